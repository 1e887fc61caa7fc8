/*
 * net/http_parse: the request head of RFC 9112: where it ends, the request-line (section 3), the
 * field lines (section 5) and the fields the server acts on (Host, Connection, Content-Length,
 * Transfer-Encoding, the conditionals, Range). Everything refers into the caller's buffer.
 */
#include <stddef.h>
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/string.h"
#include "http/http.h"

#define MAX_LEADING_EMPTY_LINES 4

enum http_scan_result http_head_scan(const char *buf, size_t len, size_t *skip, size_t *head_len)
{
    size_t pos = 0;
    unsigned empty = 0;
    /* RFC 9112 2.2: empty lines before the request-line are ignored. */
    while (empty < MAX_LEADING_EMPTY_LINES && pos < len) {
        if (buf[pos] == '\n') {
            pos++;
        } else if (buf[pos] == '\r' && pos + 1 < len && buf[pos + 1] == '\n') {
            pos += 2;
        } else {
            break;
        }
        empty++;
    }
    *skip = pos;
    size_t line_start = pos;
    bool first_line = true;
    for (size_t i = pos; i < len; i++) {
        if (i - pos >= HTTP_MAX_HEAD)
            return HTTP_SCAN_TOO_LARGE;
        if (buf[i] != '\n')
            continue;
        size_t line_len = i - line_start;
        if (line_len > 0 && buf[i - 1] == '\r')
            line_len--;
        if (first_line && i - pos > HTTP_MAX_TARGET + 64)
            return HTTP_SCAN_TOO_LONG_LINE;
        if (line_len == 0 && !first_line) {
            *head_len = i + 1 - pos;
            return HTTP_SCAN_DONE;
        }
        first_line = false;
        line_start = i + 1;
    }
    if (first_line && len - pos > HTTP_MAX_TARGET + 64)
        return HTTP_SCAN_TOO_LONG_LINE;
    if (len - pos >= HTTP_MAX_HEAD)
        return HTTP_SCAN_TOO_LARGE;
    return HTTP_SCAN_MORE;
}

/* RFC 9110 5.6.2: tchar. */
static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *s, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_tchar((unsigned char)s[i]))
            return false;
    return true;
}

bool http_str_ieq(struct http_str s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        char a = s.ptr[i], b = lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (char)(b - 'A' + 'a');
        if (a != b)
            return false;
    }
    return true;
}

struct http_str http_trim_ows(struct http_str s)
{
    while (s.len > 0 && (s.ptr[0] == ' ' || s.ptr[0] == '\t')) {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && (s.ptr[s.len - 1] == ' ' || s.ptr[s.len - 1] == '\t'))
        s.len--;
    return s;
}

enum http_method http_method_from(struct http_str t)
{
    /* Methods are case-sensitive (RFC 9110 9.1). Packed ("GET\0HEAD\0"), ended by an empty
     * name: no pointer per method. */
    static const char known[] = "GET\0HEAD\0POST\0PUT\0DELETE\0CONNECT\0OPTIONS\0TRACE\0PATCH\0";
    unsigned i = 0;
    for (const char *m = known; *m; m += strlen(m) + 1, i++)
        if (t.len == strlen(m) && memcmp(t.ptr, m, t.len) == 0)
            return i == 0 ? HTTP_METHOD_GET : i == 1 ? HTTP_METHOD_HEAD : HTTP_METHOD_KNOWN;
    return HTTP_METHOD_UNKNOWN;
}

/* RFC 9112 3.2: classifies the target and finds its path and, for absolute-form, authority. */
static int parse_target(struct http_request *req)
{
    struct http_str t = req->target;
    if (t.len == 1 && t.ptr[0] == '*') {
        req->form = HTTP_FORM_ASTERISK;
        return 0;
    }
    for (size_t i = 0; i < t.len; i++) {
        unsigned char c = (unsigned char)t.ptr[i];
        /* Visible ASCII only; '#' never travels in a request-target (RFC 9112 3.2). */
        if (c <= 0x20 || c >= 0x7f || c == '#')
            return 400;
    }
    const char *query = memchr(t.ptr, '?', t.len);
    size_t before_query = query ? (size_t)(query - t.ptr) : t.len;
    if (t.ptr[0] == '/') {
        req->form = HTTP_FORM_ORIGIN;
        req->path = (struct http_str){ t.ptr, before_query };
        return 0;
    }
    const char *sep = kmemmem(t.ptr, before_query, "://", 3);
    if (sep) {
        struct http_str scheme = { t.ptr, (size_t)(sep - t.ptr) };
        if (!http_str_ieq(scheme, "http") && !http_str_ieq(scheme, "https"))
            return 400;
        const char *auth = sep + 3;
        const char *end = t.ptr + before_query;
        const char *slash = memchr(auth, '/', (size_t)(end - auth));
        const char *auth_end = slash ? slash : end;
        if (auth_end == auth || memchr(auth, '@', (size_t)(auth_end - auth)))
            return 400;              /* no host, or userinfo (RFC 9110 4.2.4: not in http URIs) */
        req->form = HTTP_FORM_ABSOLUTE;
        req->host = (struct http_str){ auth, (size_t)(auth_end - auth) };
        /* An empty path is the root (RFC 9112 3.2.1). */
        req->path = slash ? (struct http_str){ slash, (size_t)(end - slash) }
                          : (struct http_str){ "/", 1 };
        return 0;
    }
    req->form = HTTP_FORM_AUTHORITY;
    return 0;
}

/* RFC 9112 3: method SP request-target SP HTTP-version, single spaces. */
static int parse_request_line(const char *line, size_t len, struct http_request *req)
{
    const char *sp1 = memchr(line, ' ', len);
    if (!sp1)
        return 400;
    req->method_name = (struct http_str){ line, (size_t)(sp1 - line) };
    if (!is_token(line, req->method_name.len))
        return 400;
    req->method = http_method_from(req->method_name);
    const char *rest = sp1 + 1;
    size_t rest_len = len - (size_t)(rest - line);
    const char *sp2 = memchr(rest, ' ', rest_len);
    if (!sp2 || sp2 == rest)
        return 400;
    req->target = (struct http_str){ rest, (size_t)(sp2 - rest) };
    const char *ver = sp2 + 1;
    size_t ver_len = len - (size_t)(ver - line);
    /* HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive (RFC 9112 2.3). */
    if (ver_len != 8 || memcmp(ver, "HTTP/", 5) != 0 || ver[6] != '.' || ver[5] < '0' ||
        ver[5] > '9' || ver[7] < '0' || ver[7] > '9')
        return 400;
    if (req->target.len > HTTP_MAX_TARGET)
        return 414;
    if (ver[5] != '1')
        return 505;
    req->version_minor = (unsigned)(ver[7] - '0');
    int rc = parse_target(req);
    if (rc)
        return rc;
    if (req->method == HTTP_METHOD_UNKNOWN)
        return 501;
    /* authority-form is for CONNECT, asterisk-form for OPTIONS (RFC 9112 3.2.3, 3.2.4): both are
     * 405 anyway; for GET/HEAD they are malformed. */
    if (req->method != HTTP_METHOD_KNOWN &&
        (req->form == HTTP_FORM_AUTHORITY || req->form == HTTP_FORM_ASTERISK))
        return 400;
    return 0;
}

/* Whether a comma-separated list value holds `token` (case-insensitive, OWS around members). */
static bool list_has(struct http_str v, const char *token)
{
    for (size_t i = 0; i < v.len; i++) {
        size_t start = i;
        while (i < v.len && v.ptr[i] != ',')
            i++;
        if (http_str_ieq(http_trim_ows((struct http_str){ v.ptr + start, i - start }), token))
            return true;
    }
    return false;
}

/* RFC 9110 8.6: Content-Length = 1*DIGIT. A list of identical values (from repeated fields or a
 * comma list) may be accepted as one; differing values are an error. */
static int add_content_length(struct http_request *req, struct http_str v)
{
    size_t i = 0;
    while (i < v.len) {
        size_t start = i;
        while (i < v.len && v.ptr[i] != ',')
            i++;
        struct http_str m = http_trim_ows((struct http_str){ v.ptr + start, i - start });
        uint64_t n;
        if (m.len == 0 || parse_u64(m.ptr, m.len, 10, &n) < 0)
            return 400;
        if (req->has_content_length && req->content_length != n)
            return 400;
        req->has_content_length = true;
        req->content_length = n;
        if (i < v.len)
            i++;                     /* the comma */
    }
    return req->has_content_length ? 0 : 400;
}

/* The fields acted on (names compared case-insensitively), packed and ended by an empty name:
 * four with rules of their own, then the singletons kept as they are (where singleton_at says). */
static const char field_names[] = "host\0connection\0content-length\0transfer-encoding\0"
    "if-match\0if-none-match\0if-modified-since\0if-unmodified-since\0range\0if-range\0";
static const uint16_t singleton_at[] = {
    offsetof(struct http_request, if_match),
    offsetof(struct http_request, if_none_match),
    offsetof(struct http_request, if_modified_since),
    offsetof(struct http_request, if_unmodified_since),
    offsetof(struct http_request, range),
    offsetof(struct http_request, if_range),
};

/* One field line "name: value" (RFC 9112 5.1). */
static int parse_field(const char *line, size_t len, struct http_request *req)
{
    if (line[0] == ' ' || line[0] == '\t')
        return 400;                  /* obs-fold (RFC 9112 5.2) */
    const char *colon = memchr(line, ':', len);
    if (!colon)
        return 400;
    struct http_str name = { line, (size_t)(colon - line) };
    /* No whitespace between name and colon (RFC 9112 5.1: MUST reject with 400). */
    if (!is_token(name.ptr, name.len))
        return 400;
    struct http_str value =
        http_trim_ows((struct http_str){ colon + 1, (size_t)(line + len - colon - 1) });
    for (size_t i = 0; i < value.len; i++) {
        unsigned char c = (unsigned char)value.ptr[i];
        /* RFC 9110 5.5: CR, LF and NUL are invalid; other CTLs are not field-vchar either. */
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return 400;
    }
    unsigned k = 0;
    const char *known = field_names;
    for (; *known && !http_str_ieq(name, known); known += strlen(known) + 1)
        k++;
    if (k == 0) {                    /* host */
        req->host_fields++;
        if (req->form != HTTP_FORM_ABSOLUTE)
            req->host = value;
    } else if (k == 1) {             /* connection */
        if (list_has(value, "close")) {
            req->connection_close = true;
            req->keep_alive = false;
        } else if (list_has(value, "keep-alive") && req->version_minor == 0 &&
                   !req->connection_close) {
            req->keep_alive = true;
        }
    } else if (k == 2) {
        return add_content_length(req, value);
    } else if (k == 3) {
        req->has_transfer_encoding = true;
    } else if (*known) {
        struct http_str *slot = (struct http_str *)((char *)req + singleton_at[k - 4]);
        /* A repeated singleton field is ambiguous: refuse rather than guess which one counts. */
        if (slot->ptr)
            return 400;
        *slot = value;
    }
    return 0;
}

/* RFC 9110 7.2 / 4.2.3: Host = uri-host [ ":" port ]: reg-name or IPv4 (IP-literals in
 * brackets), optional decimal port. Empty is allowed when the URI had no authority. */
static bool host_valid(struct http_str h)
{
    size_t i = 0;
    if (h.len > 0 && h.ptr[0] == '[') {
        const char *close = memchr(h.ptr, ']', h.len);
        if (!close)
            return false;
        for (const char *p = h.ptr + 1; p < close; p++)
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F') ||
                  *p == ':' || *p == '.'))
                return false;
        i = (size_t)(close - h.ptr) + 1;
    } else {
        for (; i < h.len && h.ptr[i] != ':'; i++) {
            char c = h.ptr[i];
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  strchr("-._~!$&'()*+,;=%", c)))
                return false;
        }
    }
    if (i == h.len)
        return true;
    if (h.ptr[i] != ':')
        return false;
    for (i++; i < h.len; i++)
        if (h.ptr[i] < '0' || h.ptr[i] > '9')
            return false;
    return true;
}

int http_parse_request(const char *head, size_t len, struct http_request *req)
{
    memset(req, 0, sizeof(*req));
    /* Every line end, bare LF included; a CR anywhere else is a bare CR (RFC 9112 2.2). */
    for (size_t i = 0; i < len; i++)
        if (head[i] == '\r' && (i + 1 >= len || head[i + 1] != '\n'))
            return 400;
    size_t pos = 0;
    bool first = true, ended = false;
    while (pos < len) {
        const char *nl = memchr(head + pos, '\n', len - pos);
        if (!nl)
            return 400;              /* the head must end with an empty line */
        size_t line_len = (size_t)(nl - (head + pos));
        if (line_len > 0 && head[pos + line_len - 1] == '\r')
            line_len--;
        const char *line = head + pos;
        pos = (size_t)(nl - head) + 1;
        if (first) {
            if (line_len == 0)
                return 400;
            int rc = parse_request_line(line, line_len, req);
            if (rc)
                return rc;
            /* RFC 9112 9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive". */
            req->keep_alive = req->version_minor >= 1;
            first = false;
            continue;
        }
        if (line_len == 0) {
            if (pos != len)
                return 400;          /* bytes after the empty line are not part of this head */
            ended = true;
            break;
        }
        if (line_len > HTTP_MAX_FIELD_LINE || ++req->fields > HTTP_MAX_FIELDS)
            return 431;
        int rc = parse_field(line, line_len, req);
        if (rc)
            return rc;
    }
    if (!ended)
        return 400;
    /* RFC 9112 3.2: an HTTP/1.1 request needs exactly one valid Host; any request may not have
     * several. */
    if (req->host_fields > 1 || (req->version_minor >= 1 && req->host_fields == 0))
        return 400;
    if (req->host_fields == 1 && !host_valid(req->host))
        return 400;
    if (req->form == HTTP_FORM_ABSOLUTE && !host_valid(req->host))
        return 400;
    /* RFC 9112 6.3 (3): both framings is a smuggling attempt; 6.1: unknown codings are 501. */
    if (req->has_transfer_encoding) {
        req->keep_alive = false;
        return req->has_content_length ? 400 : 501;
    }
    return 0;
}

int http_request_line_status(const char *buf, size_t len)
{
    const char *nl = memchr(buf, '\n', len);
    if (nl) {
        size_t line_len = (size_t)(nl - buf);
        if (line_len > 0 && buf[line_len - 1] == '\r')
            line_len--;
        if (line_len == 0)
            return 400;
        struct http_request req;
        memset(&req, 0, sizeof(req));
        return parse_request_line(buf, line_len, &req);
    }
    /* Not ended yet: only its method can be judged (a token up to the first SP). A CR as the
     * last byte may be the start of the line's CRLF. */
    for (size_t i = 0; i < len && buf[i] != ' '; i++)
        if (!is_tchar((unsigned char)buf[i]) && !(buf[i] == '\r' && i + 1 == len))
            return 400;
    return 0;
}
