/*
 * net/http_cond: conditional requests (RFC 9110 13) and byte ranges (RFC 9110 14) for a static
 * representation: entity-tags, their comparison, the Range field and the order in which the
 * preconditions are evaluated (13.2.2).
 */
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "http/http.h"

void http_format_etag(char *out, size_t size, uint64_t mtime, uint64_t length, uint64_t location)
{
    ksnprintf(out, size, "\"%llx-%llx-%llx\"", (unsigned long long)mtime,
              (unsigned long long)length, (unsigned long long)location);
}

static bool is_etagc(unsigned char c)
{
    /* RFC 9110 8.8.3: etagc = %x21 / %x23-7E / obs-text */
    return c == 0x21 || (c >= 0x23 && c != 0x7f);
}

static size_t skip_ows(struct http_str s, size_t i)
{
    while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t'))
        i++;
    return i;
}

bool http_etag_list_matches(struct http_str list, const char *etag, bool weak)
{
    list = http_trim_ows(list);
    size_t i = 0, end = list.len;
    if (end - i == 1 && list.ptr[i] == '*')
        return true;
    size_t etag_len = strlen(etag);
    bool matched = false;
    bool any = false;
    /* #entity-tag: members separated by commas with OWS; empty members are allowed. */
    while (i < end) {
        if (list.ptr[i] == ',') {
            i = skip_ows(list, i + 1);
            continue;
        }
        bool is_weak = false;
        if (end - i >= 2 && list.ptr[i] == 'W' && list.ptr[i + 1] == '/') {
            is_weak = true;
            i += 2;
        }
        if (i >= end || list.ptr[i] != '"')
            return false;                /* malformed: nothing matches */
        size_t start = i;
        for (i++; i < end && list.ptr[i] != '"'; i++)
            if (!is_etagc((unsigned char)list.ptr[i]))
                return false;
        if (i >= end)
            return false;
        i++;                             /* the closing quote */
        size_t tag_len = i - start;
        any = true;
        /* Strong comparison: both strong and identical; weak: opaque-tags identical. */
        if (tag_len == etag_len && memcmp(list.ptr + start, etag, etag_len) == 0 &&
            (weak || !is_weak))
            matched = true;
        i = skip_ows(list, i);
        if (i < end && list.ptr[i] != ',')
            return false;
    }
    return any && matched;
}

enum http_range_result http_parse_range(struct http_str v, uint64_t size, uint64_t *first,
                                        uint64_t *length)
{
    /* ranges-specifier = range-unit "=" range-set; the unit is case-insensitive (14.1). */
    if (v.len < 6)
        return HTTP_RANGE_NONE;
    static const char unit[] = "bytes=";
    for (size_t i = 0; i < 6; i++) {
        char c = v.ptr[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != unit[i])
            return HTTP_RANGE_NONE;
    }
    struct http_str r = http_trim_ows((struct http_str){ v.ptr + 6, v.len - 6 });
    if (memchr(r.ptr, ',', r.len))
        return HTTP_RANGE_NONE;          /* several ranges: served whole, as 14.2 allows */
    const char *dash = memchr(r.ptr, '-', r.len);
    if (!dash)
        return HTTP_RANGE_NONE;
    size_t d = (size_t)(dash - r.ptr), e = r.len;
    uint64_t a, b;
    if (d == 0) {
        /* suffix-range = "-" suffix-length */
        if (d + 1 == e || parse_u64(r.ptr + d + 1, e - d - 1, 10, &b) < 0)
            return HTTP_RANGE_NONE;
        /* 14.1.3: a zero suffix-length, or an empty representation, cannot be satisfied. */
        if (b == 0 || size == 0)
            return HTTP_RANGE_UNSATISFIABLE;
        *length = b < size ? b : size;
        *first = size - *length;
        return HTTP_RANGE_OK;
    }
    if (parse_u64(r.ptr, d, 10, &a) < 0)
        return HTTP_RANGE_NONE;
    if (d + 1 == e) {
        b = UINT64_MAX;                  /* "a-": to the end */
    } else if (parse_u64(r.ptr + d + 1, e - d - 1, 10, &b) < 0 || b < a) {
        return HTTP_RANGE_NONE;          /* last-pos < first-pos is invalid (14.1.1) */
    }
    /* 14.1.1: satisfiable when first-pos < length; last-pos is clamped. */
    if (a >= size)
        return HTTP_RANGE_UNSATISFIABLE;
    if (b >= size)
        b = size - 1;
    *first = a;
    *length = b - a + 1;
    return HTTP_RANGE_OK;
}

/* 13.1.5: If-Range holds an entity-tag (strong comparison) or an HTTP-date that must equal
 * Last-Modified exactly. */
static bool if_range_holds(struct http_str v, const struct http_resource *res, int64_t now)
{
    if (v.len > 0 && (v.ptr[0] == '"' || v.ptr[0] == 'W')) {
        if (v.ptr[0] == 'W')
            return false;                /* a weak tag never satisfies If-Range */
        return http_etag_list_matches(v, res->etag, false) && !memchr(v.ptr, ',', v.len);
    }
    int64_t t;
    return http_parse_date(v, now, &t) == 0 && t == res->mtime;
}

void http_evaluate(const struct http_request *req, const struct http_resource *res, int64_t now,
                   struct http_outcome *out)
{
    bool get_or_head = req->method == HTTP_METHOD_GET || req->method == HTTP_METHOD_HEAD;
    int64_t t;
    out->first = 0;
    out->length = res->size;
    /* 13.2.2 step 1: If-Match (strong comparison); step 2 only without it. */
    if (req->if_match.ptr) {
        if (!http_etag_list_matches(req->if_match, res->etag, false)) {
            out->status = 412;
            return;
        }
    } else if (req->if_unmodified_since.ptr &&
               http_parse_date(req->if_unmodified_since, now, &t) == 0 && res->mtime > t) {
        out->status = 412;               /* 13.1.4: an invalid date is ignored */
        return;
    }
    /* Step 3: If-None-Match (weak comparison); step 4 only without it (13.1.3). */
    if (req->if_none_match.ptr) {
        if (http_etag_list_matches(req->if_none_match, res->etag, true)) {
            out->status = get_or_head ? 304 : 412;
            return;
        }
    } else if (get_or_head && req->if_modified_since.ptr &&
               http_parse_date(req->if_modified_since, now, &t) == 0 && res->mtime <= t) {
        out->status = 304;
        return;
    }
    /* Step 5: Range only for GET (14.2: ignored for other methods), subject to If-Range. */
    if (req->method == HTTP_METHOD_GET && req->range.ptr &&
        (!req->if_range.ptr || if_range_holds(req->if_range, res, now))) {
        uint64_t first, length;
        switch (http_parse_range(req->range, res->size, &first, &length)) {
        case HTTP_RANGE_OK:
            out->status = 206;
            out->first = first;
            out->length = length;
            return;
        case HTTP_RANGE_UNSATISFIABLE:
            out->status = 416;
            out->length = 0;
            return;
        case HTTP_RANGE_NONE:
            break;
        }
    }
    out->status = 200;
}
