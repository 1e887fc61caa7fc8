/*
 * Unit tests for net/http_date, net/http_cond, net/http_names and net/http_response: HTTP-dates,
 * entity-tag comparison, Range, the evaluation order of preconditions (RFC 9110 13.2.2), media
 * types, what each response status carries, and what an answer says about its connection (RFC
 * 9112 9.3, 9.6, C.2.2). Each rule cites its RFC section.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "http/http.h"
#include "xenolith/test_main.h"

#define STR(lit) ((struct http_str){ lit, sizeof(lit) - 1 })
#define EPOCH_1994 784111777           /* Sun, 06 Nov 1994 08:49:37 GMT */
#define NOW_2024 1718000000            /* June 2024 */

/* ---- dates (RFC 9110 5.6.7) ---- */

START_TEST(date_format_is_imf_fixdate)
{
    char out[HTTP_DATE_LEN + 1];
    http_format_date(EPOCH_1994, out);
    ck_assert_str_eq(out, "Sun, 06 Nov 1994 08:49:37 GMT");
    http_format_date(0, out);
    ck_assert_str_eq(out, "Thu, 01 Jan 1970 00:00:00 GMT");
    http_format_date(951782400, out);           /* leap day of a year divisible by 400 */
    ck_assert_str_eq(out, "Tue, 29 Feb 2000 00:00:00 GMT");
    http_format_date(4102444799, out);
    ck_assert_str_eq(out, "Thu, 31 Dec 2099 23:59:59 GMT");
}
END_TEST

START_TEST(date_parse_accepts_the_three_formats)
{
    /* Recipients MUST accept IMF-fixdate, rfc850-date and asctime-date. */
    int64_t t;
    ck_assert_int_eq(http_parse_date(STR("Sun, 06 Nov 1994 08:49:37 GMT"), NOW_2024, &t), 0);
    ck_assert_int_eq(t, EPOCH_1994);
    ck_assert_int_eq(http_parse_date(STR("Sunday, 06-Nov-94 08:49:37 GMT"), NOW_2024, &t), 0);
    ck_assert_int_eq(t, EPOCH_1994);
    ck_assert_int_eq(http_parse_date(STR("Sun Nov  6 08:49:37 1994"), NOW_2024, &t), 0);
    ck_assert_int_eq(t, EPOCH_1994);
    ck_assert_int_eq(http_parse_date(STR("Tue Feb 29 00:00:00 2000"), NOW_2024, &t), 0);
    ck_assert_int_eq(t, 951782400);
}
END_TEST

START_TEST(date_two_digit_years)
{
    /* A two-digit year more than 50 years in the future is the most recent past year with those
     * digits. */
    int64_t t;
    ck_assert_int_eq(http_parse_date(STR("Wednesday, 01-Jan-75 00:00:00 GMT"), NOW_2024, &t), 0);
    ck_assert_int_eq(t, 157766400);         /* 2075 is more than 50 years ahead: 1975 */
    ck_assert_int_eq(http_parse_date(STR("Monday, 01-Jan-74 00:00:00 GMT"), NOW_2024, &t), 0);
    ck_assert_int_eq(t, 3281990400);        /* 2074 is not */
    ck_assert_int_eq(http_parse_date(STR("Monday, 01-Jan-24 00:00:00 GMT"), NOW_2024, &t), 0);
    ck_assert_int_eq(t, 1704067200);
}
END_TEST

START_TEST(date_parse_refuses_malformed)
{
    int64_t t = 7;
    ck_assert_int_eq(http_parse_date(STR("Sun, 6 Nov 1994 08:49:37 GMT"), NOW_2024, &t), -EINVAL);
    ck_assert_int_eq(http_parse_date(STR("Sun, 06 Nov 1994 08:49:37 UTC"), NOW_2024, &t), -EINVAL);
    ck_assert_int_eq(http_parse_date(STR("Sun, 31 Nov 1994 08:49:37 GMT"), NOW_2024, &t), -EINVAL);
    ck_assert_int_eq(http_parse_date(STR("Sun, 29 Feb 1900 08:49:37 GMT"), NOW_2024, &t), -EINVAL);
    ck_assert_int_eq(http_parse_date(STR("Sun, 06 Nov 1994 24:00:00 GMT"), NOW_2024, &t), -EINVAL);
    ck_assert_int_eq(http_parse_date(STR("Sun, 06 Nov 1994 08:49:37 GMT "), NOW_2024, &t),
                     -EINVAL);
    ck_assert_int_eq(http_parse_date(STR("Sun, 06 Nov 1994 08:49:37 GMT, Mon"), NOW_2024, &t),
                     -EINVAL);
    ck_assert_int_eq(http_parse_date(STR("yesterday"), NOW_2024, &t), -EINVAL);
    ck_assert_int_eq(http_parse_date(STR(""), NOW_2024, &t), -EINVAL);
    ck_assert_int_eq(t, 7);
}
END_TEST

/* ---- entity-tags (RFC 9110 8.8.3) ---- */

START_TEST(etag_comparison)
{
    const char *tag = "\"abc\"";
    /* 8.8.3.2: weak comparison ignores W/, strong needs both strong. */
    ck_assert(http_etag_list_matches(STR("\"abc\""), tag, true));
    ck_assert(http_etag_list_matches(STR("\"abc\""), tag, false));
    ck_assert(http_etag_list_matches(STR("W/\"abc\""), tag, true));
    ck_assert(!http_etag_list_matches(STR("W/\"abc\""), tag, false));
    ck_assert(http_etag_list_matches(STR("\"x\", W/\"y\",\"abc\""), tag, true));
    ck_assert(http_etag_list_matches(STR(" \"x\" ,, \"abc\" "), tag, false));
    ck_assert(!http_etag_list_matches(STR("\"abcd\""), tag, true));
    ck_assert(!http_etag_list_matches(STR("\"ab\""), tag, true));
    /* "*" matches any current representation (13.1.1, 13.1.2). */
    ck_assert(http_etag_list_matches(STR("*"), tag, true));
    ck_assert(http_etag_list_matches(STR(" * "), tag, false));
    /* Malformed lists match nothing. */
    ck_assert(!http_etag_list_matches(STR("abc"), tag, true));
    ck_assert(!http_etag_list_matches(STR("\"abc"), tag, true));
    ck_assert(!http_etag_list_matches(STR("\"abc\" \"x\""), tag, true));
    ck_assert(!http_etag_list_matches(STR("\"a bc\""), "\"a bc\"", true));
    ck_assert(!http_etag_list_matches(STR(""), tag, true));
}
END_TEST

START_TEST(etag_format_identifies_the_bytes)
{
    char a[HTTP_ETAG_MAX], b[HTTP_ETAG_MAX];
    http_format_etag(a, sizeof(a), 100, 5, 512);
    http_format_etag(b, sizeof(b), 100, 5, 1024);
    ck_assert_str_ne(a, b);
    ck_assert_int_eq(a[0], '"');
    ck_assert_int_eq(a[strlen(a) - 1], '"');
    ck_assert(http_etag_list_matches((struct http_str){ a, strlen(a) }, a, false));
}
END_TEST

/* ---- Range (RFC 9110 14.1.1, 14.1.2, 14.2) ---- */

START_TEST(range_syntax)
{
    uint64_t first = 0, length = 0;
    ck_assert_int_eq(http_parse_range(STR("bytes=0-499"), 10000, &first, &length), HTTP_RANGE_OK);
    ck_assert_uint_eq(first, 0);
    ck_assert_uint_eq(length, 500);
    ck_assert_int_eq(http_parse_range(STR("bytes=9500-"), 10000, &first, &length), HTTP_RANGE_OK);
    ck_assert_uint_eq(first, 9500);
    ck_assert_uint_eq(length, 500);
    /* suffix-range: the last N bytes. */
    ck_assert_int_eq(http_parse_range(STR("bytes=-500"), 10000, &first, &length), HTTP_RANGE_OK);
    ck_assert_uint_eq(first, 9500);
    ck_assert_uint_eq(length, 500);
    /* A suffix longer than the representation is all of it. */
    ck_assert_int_eq(http_parse_range(STR("bytes=-50000"), 10000, &first, &length),
                     HTTP_RANGE_OK);
    ck_assert_uint_eq(first, 0);
    ck_assert_uint_eq(length, 10000);
    /* last-pos beyond the end is clamped (14.1.1). */
    ck_assert_int_eq(http_parse_range(STR("bytes=9990-20000"), 10000, &first, &length),
                     HTTP_RANGE_OK);
    ck_assert_uint_eq(length, 10);
    /* The unit is case-insensitive (14.1). */
    ck_assert_int_eq(http_parse_range(STR("Bytes=1-1"), 10, &first, &length), HTTP_RANGE_OK);
    ck_assert_uint_eq(length, 1);
}
END_TEST

START_TEST(range_ignored_when_invalid_or_multiple)
{
    /* 14.2: a server MAY ignore Range; invalid specifiers and several ranges are served whole. */
    uint64_t first, length;
    ck_assert_int_eq(http_parse_range(STR("bytes=5-1"), 10, &first, &length), HTTP_RANGE_NONE);
    ck_assert_int_eq(http_parse_range(STR("bytes=a-b"), 10, &first, &length), HTTP_RANGE_NONE);
    ck_assert_int_eq(http_parse_range(STR("bytes=1"), 10, &first, &length), HTTP_RANGE_NONE);
    ck_assert_int_eq(http_parse_range(STR("bytes=-"), 10, &first, &length), HTTP_RANGE_NONE);
    ck_assert_int_eq(http_parse_range(STR("bytes=0-1,3-4"), 10, &first, &length),
                     HTTP_RANGE_NONE);
    ck_assert_int_eq(http_parse_range(STR("items=0-1"), 10, &first, &length), HTTP_RANGE_NONE);
    ck_assert_int_eq(http_parse_range(STR("bytes 0-1"), 10, &first, &length), HTTP_RANGE_NONE);
    ck_assert_int_eq(http_parse_range(STR("bytes=+1-2"), 10, &first, &length), HTTP_RANGE_NONE);
}
END_TEST

START_TEST(range_unsatisfiable)
{
    /* 14.1.1/14.1.3: first-pos at or past the end, or a zero suffix: 416. */
    uint64_t first, length;
    ck_assert_int_eq(http_parse_range(STR("bytes=10-"), 10, &first, &length),
                     HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(http_parse_range(STR("bytes=100-200"), 10, &first, &length),
                     HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(http_parse_range(STR("bytes=-0"), 10, &first, &length),
                     HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(http_parse_range(STR("bytes=0-0"), 0, &first, &length),
                     HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(http_parse_range(STR("bytes=-5"), 0, &first, &length),
                     HTTP_RANGE_UNSATISFIABLE);
}
END_TEST

/* ---- preconditions (RFC 9110 13.2.2) ---- */

static const struct http_resource res = { .size = 1000, .mtime = EPOCH_1994, .etag = "\"t1\"" };

static struct http_request get(void)
{
    struct http_request r;
    memset(&r, 0, sizeof(r));
    r.method = HTTP_METHOD_GET;
    r.version_minor = 1;
    return r;
}

static int eval(const struct http_request *r)
{
    struct http_outcome o;
    http_evaluate(r, &res, NOW_2024, &o);
    return o.status;
}

START_TEST(unconditional_is_200)
{
    struct http_request r = get();
    struct http_outcome o;
    http_evaluate(&r, &res, NOW_2024, &o);
    ck_assert_int_eq(o.status, 200);
    ck_assert_uint_eq(o.first, 0);
    ck_assert_uint_eq(o.length, 1000);
}
END_TEST

START_TEST(if_none_match)
{
    /* 13.1.2: a match on GET/HEAD is 304; weak comparison. */
    struct http_request r = get();
    r.if_none_match = STR("\"t1\"");
    ck_assert_int_eq(eval(&r), 304);
    r.if_none_match = STR("W/\"t1\"");
    ck_assert_int_eq(eval(&r), 304);
    r.if_none_match = STR("*");
    ck_assert_int_eq(eval(&r), 304);
    r.method = HTTP_METHOD_HEAD;
    ck_assert_int_eq(eval(&r), 304);
    r.if_none_match = STR("\"other\"");
    ck_assert_int_eq(eval(&r), 200);
}
END_TEST

START_TEST(if_modified_since)
{
    /* 13.1.3: 304 when not modified after the date; 200 when modified after it. */
    struct http_request r = get();
    r.if_modified_since = STR("Sun, 06 Nov 1994 08:49:37 GMT");
    ck_assert_int_eq(eval(&r), 304);
    r.if_modified_since = STR("Mon, 07 Nov 1994 00:00:00 GMT");
    ck_assert_int_eq(eval(&r), 304);
    r.if_modified_since = STR("Sun, 06 Nov 1994 08:49:36 GMT");
    ck_assert_int_eq(eval(&r), 200);
    /* An invalid date is ignored. */
    r.if_modified_since = STR("not a date");
    ck_assert_int_eq(eval(&r), 200);
}
END_TEST

START_TEST(if_none_match_takes_precedence_over_if_modified_since)
{
    /* 13.1.3 / 13.2.2 step 4: If-Modified-Since is ignored when If-None-Match is present. */
    struct http_request r = get();
    r.if_none_match = STR("\"other\"");
    r.if_modified_since = STR("Mon, 07 Nov 1994 00:00:00 GMT");
    ck_assert_int_eq(eval(&r), 200);
    r.if_none_match = STR("\"t1\"");
    r.if_modified_since = STR("Sat, 01 Jan 1994 00:00:00 GMT");
    ck_assert_int_eq(eval(&r), 304);
}
END_TEST

START_TEST(if_match_and_if_unmodified_since)
{
    /* 13.2.2 steps 1-2: If-Match (strong) fails with 412; If-Unmodified-Since only without it. */
    struct http_request r = get();
    r.if_match = STR("\"t1\"");
    ck_assert_int_eq(eval(&r), 200);
    r.if_match = STR("W/\"t1\"");
    ck_assert_int_eq(eval(&r), 412);
    r.if_match = STR("\"x\"");
    r.if_none_match = STR("\"t1\"");
    ck_assert_int_eq(eval(&r), 412);        /* step 1 before step 3 */
    r = get();
    r.if_unmodified_since = STR("Sat, 01 Jan 1994 00:00:00 GMT");
    ck_assert_int_eq(eval(&r), 412);
    r.if_match = STR("*");                  /* If-Match present: If-Unmodified-Since ignored */
    ck_assert_int_eq(eval(&r), 200);
    r = get();
    r.if_unmodified_since = STR("Sun, 06 Nov 1994 08:49:37 GMT");
    ck_assert_int_eq(eval(&r), 200);
    r.if_unmodified_since = STR("garbage");
    ck_assert_int_eq(eval(&r), 200);        /* 13.1.4: an invalid date is ignored */
}
END_TEST

START_TEST(range_and_if_range)
{
    struct http_request r = get();
    struct http_outcome o;
    r.range = STR("bytes=100-199");
    http_evaluate(&r, &res, NOW_2024, &o);
    ck_assert_int_eq(o.status, 206);
    ck_assert_uint_eq(o.first, 100);
    ck_assert_uint_eq(o.length, 100);
    r.range = STR("bytes=1000-");
    ck_assert_int_eq(eval(&r), 416);
    /* 14.2: Range is ignored for HEAD. */
    r.method = HTTP_METHOD_HEAD;
    ck_assert_int_eq(eval(&r), 200);
    /* 13.1.5: If-Range with the current strong tag or exact date applies the Range; anything else
     * sends the whole representation. */
    r = get();
    r.range = STR("bytes=0-9");
    r.if_range = STR("\"t1\"");
    ck_assert_int_eq(eval(&r), 206);
    r.if_range = STR("\"old\"");
    ck_assert_int_eq(eval(&r), 200);
    r.if_range = STR("W/\"t1\"");
    ck_assert_int_eq(eval(&r), 200);
    r.if_range = STR("Sun, 06 Nov 1994 08:49:37 GMT");
    ck_assert_int_eq(eval(&r), 206);
    r.if_range = STR("Mon, 07 Nov 1994 08:49:37 GMT");
    ck_assert_int_eq(eval(&r), 200);
    /* 13.2.2: a 304 from If-None-Match comes before Range. */
    r = get();
    r.range = STR("bytes=0-9");
    r.if_none_match = STR("\"t1\"");
    ck_assert_int_eq(eval(&r), 304);
}
END_TEST

/* ---- names and heads ---- */

START_TEST(media_types_from_extensions)
{
    ck_assert_str_eq(http_content_type("index.html"), "text/html; charset=utf-8");
    ck_assert_str_eq(http_content_type("a/b/STYLE.CSS"), "text/css; charset=utf-8");
    ck_assert_str_eq(http_content_type("logo.png"), "image/png");
    ck_assert_str_eq(http_content_type("x.tar.gz"), "application/gzip");
    ck_assert_str_eq(http_content_type("README"), "application/octet-stream");
    /* The packed table's first and last entries, an extension that is a prefix of another
     * (htm, html; woff, woff2), one longer than any, and one only a prefix of an entry. */
    ck_assert_str_eq(http_content_type("a.htm"), "text/html; charset=utf-8");
    ck_assert_str_eq(http_content_type("a.wav"), "audio/wav");
    ck_assert_str_eq(http_content_type("f.woff"), "font/woff");
    ck_assert_str_eq(http_content_type("f.WOFF2"), "font/woff2");
    ck_assert_str_eq(http_content_type("f.woff22"), "application/octet-stream");
    ck_assert_str_eq(http_content_type("f.ht"), "application/octet-stream");
    ck_assert_str_eq(http_content_type("f."), "application/octet-stream");
    ck_assert_str_eq(http_content_type(".hidden"), "application/octet-stream");
    ck_assert_str_eq(http_content_type("dir.html/file"), "application/octet-stream");
    ck_assert_str_eq(http_content_type("a.unknownext"), "application/octet-stream");
}
END_TEST

START_TEST(method_tokens)
{
    ck_assert_int_eq(http_method_from(STR("GET")), HTTP_METHOD_GET);
    ck_assert_int_eq(http_method_from(STR("HEAD")), HTTP_METHOD_HEAD);
    ck_assert_int_eq(http_method_from(STR("PUT")), HTTP_METHOD_KNOWN);
    ck_assert_int_eq(http_method_from(STR("Get")), HTTP_METHOD_UNKNOWN);
    ck_assert_str_eq(http_reason(431), "Request Header Fields Too Large");
    ck_assert_str_eq(http_reason(416), "Range Not Satisfiable");
    /* The first and last of the packed table, and codes it lacks (RFC 9110 15: a client
     * ignores the phrase, so an unknown code still gets one). */
    ck_assert_str_eq(http_reason(200), "OK");
    ck_assert_str_eq(http_reason(505), "HTTP Version Not Supported");
    ck_assert_str_eq(http_reason(204), "Unknown");
    ck_assert_str_eq(http_reason(0), "Unknown");
    ck_assert_str_eq(http_reason(-1), "Unknown");
}
END_TEST

START_TEST(head_of_a_200)
{
    char buf[512];
    struct http_response_head h = {
        .status = 200, .date = EPOCH_1994, .content_type = "text/plain", .last_modified = 0,
        .etag = "\"e\"", .accept_ranges = true, .content_length = 42,
    };
    int n = http_format_head(buf, sizeof(buf), &h);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    ck_assert_str_eq(buf, "HTTP/1.1 200 OK\r\nServer: Xenolith\r\n"
                          "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                          "Content-Type: text/plain\r\n"
                          "Last-Modified: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
                          "ETag: \"e\"\r\nAccept-Ranges: bytes\r\nContent-Length: 42\r\n\r\n");
}
END_TEST

START_TEST(head_of_206_416_304_405_301)
{
    char buf[512];
    struct http_response_head h = {
        .status = 206, .date = -1, .last_modified = -1, .content_length = 100,
        .range_first = 100, .complete_length = 1000,
    };
    int n = http_format_head(buf, sizeof(buf), &h);
    buf[n] = '\0';
    /* 14.4: Content-Range first-last/complete-length. */
    ck_assert_ptr_nonnull(strstr(buf, "Content-Range: bytes 100-199/1000\r\n"));
    ck_assert_ptr_null(strstr(buf, "Date:"));
    h.status = 416;
    h.content_length = 5;
    n = http_format_head(buf, sizeof(buf), &h);
    buf[n] = '\0';
    /* 15.5.17: a 416 SHOULD carry Content-Range with "*" and the current length. */
    ck_assert_ptr_nonnull(strstr(buf, "Content-Range: bytes */1000\r\n"));
    /* 15.4.5: a 304 carries ETag but no Content-Type/Last-Modified; no Content-Length here. */
    struct http_response_head nm = {
        .status = 304, .date = 0, .content_type = "text/html", .last_modified = 5, .etag = "\"e\"",
        .content_length = 1000,
    };
    n = http_format_head(buf, sizeof(buf), &nm);
    buf[n] = '\0';
    ck_assert_ptr_nonnull(strstr(buf, "ETag: \"e\"\r\n"));
    ck_assert_ptr_null(strstr(buf, "Content-Type"));
    ck_assert_ptr_null(strstr(buf, "Last-Modified"));
    ck_assert_ptr_null(strstr(buf, "Content-Length"));
    /* 15.5.6: 405 MUST carry Allow. 15.4.2: 301 carries Location. */
    struct http_response_head na = { .status = 405, .date = -1, .last_modified = -1,
                                     .allow = "GET, HEAD", .connection = HTTP_CONN_CLOSE };
    n = http_format_head(buf, sizeof(buf), &na);
    buf[n] = '\0';
    ck_assert_ptr_nonnull(strstr(buf, "Allow: GET, HEAD\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "Connection: close\r\n"));
    struct http_response_head mv = { .status = 301, .date = -1, .last_modified = -1,
                                     .location = "/docs/" };
    n = http_format_head(buf, sizeof(buf), &mv);
    buf[n] = '\0';
    ck_assert_ptr_nonnull(strstr(buf, "HTTP/1.1 301 Moved Permanently\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "Location: /docs/\r\n"));
}
END_TEST

START_TEST(head_that_does_not_fit)
{
    char buf[40];
    struct http_response_head h = { .status = 200, .date = 0, .last_modified = -1 };
    ck_assert_int_eq(http_format_head(buf, sizeof(buf), &h), -ENOSPC);
}
END_TEST

/* ---- persistence (RFC 9112 9.3, 9.6, appendix C.2.2) ---- */

/* The Connection field of the answer to a request (parsed from raw text; NULL: unparsable). */
static const char *connection_field(const char *request, bool server_closes, char *buf,
                                    size_t size)
{
    struct http_request req;
    bool parsed = http_parse_request(request, strlen(request), &req) == 0;
    struct http_response_head h = {
        .status = 200, .date = -1, .last_modified = -1, .content_length = 3,
        .connection = http_response_connection(parsed ? &req : NULL, server_closes),
    };
    int n = http_format_head(buf, size, &h);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    const char *field = strstr(buf, "Connection: ");
    ck_assert_ptr_eq(field, strstr(buf, "Connection"));   /* at most where the field is */
    return field;
}

START_TEST(http10_keep_alive_is_confirmed)
{
    /* 9.3: an HTTP/1.0 request with the "keep-alive" option persists when the server honours
     * it; C.2.2 (RFC 2068 19.7.1): the server confirms with "Connection: keep-alive", else the
     * HTTP/1.0 client waits for the close that would end the response (ab -k). Token matching
     * is case-insensitive (RFC 9110 7.6.1). */
    char buf[512];
    const char *f = connection_field("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", false,
                                     buf, sizeof(buf));
    ck_assert_ptr_nonnull(f);
    ck_assert(strncmp(f, "Connection: keep-alive\r\n", 24) == 0);
    ck_assert_ptr_null(strstr(buf, "close"));
    static const char head[] = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    struct http_request req;
    ck_assert_int_eq(http_parse_request(head, sizeof(head) - 1, &req), 0);
    ck_assert_int_eq(http_response_connection(&req, false), HTTP_CONN_KEEP_ALIVE);
}
END_TEST

START_TEST(http10_without_keep_alive_closes)
{
    /* 9.3: HTTP/1.0 without "keep-alive" closes after the response; 9.6: that response SHOULD
     * carry "close". */
    char buf[512];
    const char *f = connection_field("GET / HTTP/1.0\r\n\r\n", false, buf, sizeof(buf));
    ck_assert_ptr_nonnull(f);
    ck_assert(strncmp(f, "Connection: close\r\n", 19) == 0);
    f = connection_field("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false, buf,
                         sizeof(buf));
    ck_assert(f && strncmp(f, "Connection: close\r\n", 19) == 0);
}
END_TEST

START_TEST(http11_persists_without_a_field)
{
    /* 9.3: HTTP/1.1 persists unless "close": no field needed, "keep-alive" adds nothing. */
    char buf[512];
    ck_assert_ptr_null(connection_field("GET / HTTP/1.1\r\nHost: a\r\n\r\n", false, buf,
                                        sizeof(buf)));
    ck_assert_ptr_null(connection_field("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
                                        false, buf, sizeof(buf)));
    const char *f = connection_field("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                                     false, buf, sizeof(buf));
    ck_assert(f && strncmp(f, "Connection: close\r\n", 19) == 0);
}
END_TEST

START_TEST(closing_answers_say_close)
{
    /* 9.6: every answer after which the server closes says so: when the server ends the
     * connection itself (shutting down) whatever the request asked, and for a request that
     * could not be parsed. */
    char buf[512];
    const char *f = connection_field("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true,
                                     buf, sizeof(buf));
    ck_assert(f && strncmp(f, "Connection: close\r\n", 19) == 0);
    f = connection_field("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true, buf, sizeof(buf));
    ck_assert(f && strncmp(f, "Connection: close\r\n", 19) == 0);
    f = connection_field("GET / HTTP/1.1\r\n\r\n", false, buf, sizeof(buf));   /* no Host: 400 */
    ck_assert(f && strncmp(f, "Connection: close\r\n", 19) == 0);
    ck_assert_int_eq(http_response_connection(NULL, false), HTTP_CONN_CLOSE);
}
END_TEST

static Suite *http_response_suite(void)
{
    Suite *s = suite_create("http_response");
    TCase *tc = tcase_create("dates");
    tcase_add_test(tc, date_format_is_imf_fixdate);
    tcase_add_test(tc, date_parse_accepts_the_three_formats);
    tcase_add_test(tc, date_two_digit_years);
    tcase_add_test(tc, date_parse_refuses_malformed);
    suite_add_tcase(s, tc);
    tc = tcase_create("validators");
    tcase_add_test(tc, etag_comparison);
    tcase_add_test(tc, etag_format_identifies_the_bytes);
    tcase_add_test(tc, range_syntax);
    tcase_add_test(tc, range_ignored_when_invalid_or_multiple);
    tcase_add_test(tc, range_unsatisfiable);
    suite_add_tcase(s, tc);
    tc = tcase_create("preconditions");
    tcase_add_test(tc, unconditional_is_200);
    tcase_add_test(tc, if_none_match);
    tcase_add_test(tc, if_modified_since);
    tcase_add_test(tc, if_none_match_takes_precedence_over_if_modified_since);
    tcase_add_test(tc, if_match_and_if_unmodified_since);
    tcase_add_test(tc, range_and_if_range);
    suite_add_tcase(s, tc);
    tc = tcase_create("heads");
    tcase_add_test(tc, media_types_from_extensions);
    tcase_add_test(tc, method_tokens);
    tcase_add_test(tc, head_of_a_200);
    tcase_add_test(tc, head_of_206_416_304_405_301);
    tcase_add_test(tc, head_that_does_not_fit);
    suite_add_tcase(s, tc);
    tc = tcase_create("persistence");
    tcase_add_test(tc, http10_keep_alive_is_confirmed);
    tcase_add_test(tc, http10_without_keep_alive_closes);
    tcase_add_test(tc, http11_persists_without_a_field);
    tcase_add_test(tc, closing_answers_say_close);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(http_response_suite)
