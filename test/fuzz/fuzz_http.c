/*
 * Fuzz harness: the HTTP request parser and everything that reads request text (net/http_*.c).
 * The input is a byte stream as a client would send it: heads are cut out of it one after the
 * other (pipelining) with http_head_scan, parsed, and every field the server acts on goes through
 * its own parser: the path through percent-decoding and normalization, the conditionals and
 * Range through the precondition evaluation, dates through the date parser, then a response head
 * is formatted.
 * Checks: no crash or sanitizer report; parse statuses are ones the server sends; a request-line
 * judged invalid early (http_request_line_status) makes the whole head invalid too; every pointer
 * of a parsed request lies inside the head (but an absolute-form target's implied "/"); a normalized path has no empty, "." or ".."
 * segment and no control character; a range lies inside the representation; a formatted date
 * parses back to the same time; the response's Connection field matches the request's
 * persistence (RFC 9112 9.3).
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_inside(struct http_str s, const char *head, size_t len)
{
    if (s.ptr && (s.ptr < head || s.ptr + s.len > head + len))
        abort();
}

static void check_path(const char *p)
{
    if (p[0] == '/')
        abort();
    const char *seg = p;
    for (;;) {
        const char *end = strchr(seg, '/');
        size_t n = end ? (size_t)(end - seg) : strlen(seg);
        if (*p && (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.')))
            abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)seg[i] < 0x20 || seg[i] == 0x7f)
                abort();
        if (!end)
            break;
        seg = end + 1;
    }
}

static void exercise(const char *head, size_t len)
{
    struct http_request req;
    int status = http_parse_request(head, len, &req);
    static const int allowed[] = { 0, 400, 414, 431, 501, 505 };
    bool known = false;
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        known |= status == allowed[i];
    if (!known)
        abort();
    /* A request-line refused before the head ended is refused by the whole head too. */
    if (http_request_line_status(head, len) != 0 && status == 0)
        abort();
    check_inside(req.method_name, head, len);
    check_inside(req.target, head, len);
    if (status)
        return;
    /* An absolute-form target without a path gets the root, which is not in the head. */
    if (!(req.form == HTTP_FORM_ABSOLUTE && req.path.len == 1 && req.path.ptr[0] == '/'))
        check_inside(req.path, head, len);
    check_inside(req.if_none_match, head, len);
    check_inside(req.range, head, len);
    if (req.path.ptr) {
        char path[HTTP_PATH_MAX];
        bool dir;
        if (http_normalize_path(req.path, path, sizeof(path), &dir) == 0)
            check_path(path);
    }
    static const char etag[] = "\"5f-10-400\"";
    struct http_resource res = { .size = 1000, .mtime = 784111777, .etag = etag };
    struct http_outcome out;
    http_evaluate(&req, &res, 1718000000, &out);
    if (out.status == 200 || out.status == 206) {
        if (out.first > res.size || out.length > res.size - out.first)
            abort();
        if (out.status == 206 && out.length == 0)
            abort();
    }
    int64_t t;
    if (req.if_modified_since.ptr && http_parse_date(req.if_modified_since, 1718000000, &t) == 0) {
        char text[HTTP_DATE_LEN + 1];
        http_format_date(t, text);
        int64_t back;
        if (t >= 0 && t < 253402300800 &&
            (http_parse_date((struct http_str){ text, HTTP_DATE_LEN }, 1718000000, &back) != 0 ||
             back != t))
            abort();
    }
    char buf[1024];
    struct http_response_head h = {
        .status = out.status, .date = 0, .content_type = "text/plain", .last_modified = res.mtime,
        .etag = etag, .accept_ranges = true, .content_length = out.length,
        .range_first = out.first, .complete_length = res.size,
        .connection = http_response_connection(&req, false),
    };
    int n = http_format_head(buf, sizeof(buf), &h);
    if (n < 0)
        abort();
    buf[n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1] = '\0';
    /* RFC 9112 9.3: the answer says close exactly when the request does not persist, and
     * keep-alive exactly to a persisting HTTP/1.0 request (C.2.2). */
    bool says_close = strstr(buf, "Connection: close\r\n") != NULL;
    bool says_keep = strstr(buf, "Connection: keep-alive\r\n") != NULL;
    if (says_close != !req.keep_alive || says_keep != (req.keep_alive && req.version_minor == 0))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t left = size;
    /* Pipelined heads, as the connection loop cuts them. */
    for (int i = 0; i < 8 && left > 0; i++) {
        size_t skip, head_len;
        enum http_scan_result r = http_head_scan(p, left, &skip, &head_len);
        if (r != HTTP_SCAN_DONE) {
            /* What never ends is still parsed whole, as a truncated head. */
            exercise(p + skip, left - skip);
            break;
        }
        if (skip + head_len > left)
            abort();
        exercise(p + skip, head_len);
        p += skip + head_len;
        left -= skip + head_len;
    }
    return 0;
}
