/*
 * Unit tests for net/http_parse and net/http_path: framing of a request head, the request-line,
 * field syntax, the fields the server acts on, and the path a target names. Each rule cites the
 * RFC 9112 / RFC 9110 / RFC 3986 section it comes from.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "xenolith/test_main.h"

/* Parses a NUL-terminated head; returns the status (0 = accepted). */
static int parse(const char *head, struct http_request *req)
{
    return http_parse_request(head, strlen(head), req);
}

static int status_of(const char *head)
{
    struct http_request req;
    return parse(head, &req);
}

static bool str_is(struct http_str s, const char *want)
{
    return s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

/* ---- framing ---- */

START_TEST(scan_finds_the_end_of_the_head)
{
    size_t skip, len;
    const char *two = "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n";
    ck_assert_int_eq(http_head_scan(two, strlen(two), &skip, &len), HTTP_SCAN_DONE);
    ck_assert_uint_eq(skip, 0);
    ck_assert_uint_eq(len, strlen("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    const char *part = "GET / HTTP/1.1\r\nHost: a\r\n";
    ck_assert_int_eq(http_head_scan(part, strlen(part), &skip, &len), HTTP_SCAN_MORE);
}
END_TEST

START_TEST(scan_skips_leading_empty_lines)
{
    /* RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request-line. */
    size_t skip, len;
    const char *h = "\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    ck_assert_int_eq(http_head_scan(h, strlen(h), &skip, &len), HTTP_SCAN_DONE);
    ck_assert_uint_eq(skip, 3);
    struct http_request req;
    ck_assert_int_eq(http_parse_request(h + skip, len, &req), 0);
}
END_TEST

START_TEST(scan_accepts_bare_lf_line_ends)
{
    /* RFC 9112 2.2: a recipient MAY recognize a single LF as a line terminator. */
    size_t skip, len;
    const char *h = "GET / HTTP/1.1\nHost: a\n\n";
    ck_assert_int_eq(http_head_scan(h, strlen(h), &skip, &len), HTTP_SCAN_DONE);
    ck_assert_uint_eq(len, strlen(h));
    ck_assert_int_eq(status_of(h), 0);
}
END_TEST

START_TEST(scan_bounds_the_head_and_the_request_line)
{
    size_t skip, len;
    /* A request-line longer than the target limit: 414 (RFC 9112 3: a server that receives a
     * request-target longer than it wishes to parse MUST respond with 414). */
    char *big = malloc(HTTP_MAX_HEAD * 2);
    memset(big, 'a', HTTP_MAX_HEAD * 2);
    memcpy(big, "GET /", 5);
    ck_assert_int_eq(http_head_scan(big, HTTP_MAX_TARGET + 100, &skip, &len),
                     HTTP_SCAN_TOO_LONG_LINE);
    /* Fields beyond the head limit: 431 (RFC 6585 5). */
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    ck_assert_int_eq(http_head_scan(big, HTTP_MAX_HEAD + 10, &skip, &len), HTTP_SCAN_TOO_LARGE);
    ck_assert_int_eq(http_head_scan(big, HTTP_MAX_HEAD - 10, &skip, &len), HTTP_SCAN_MORE);
    free(big);
}
END_TEST

/* ---- request-line (RFC 9112 3) ---- */

START_TEST(request_line_parts)
{
    struct http_request req;
    ck_assert_int_eq(parse("GET /a/b?x=1 HTTP/1.1\r\nHost: example.org\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.method, HTTP_METHOD_GET);
    ck_assert(str_is(req.method_name, "GET"));
    ck_assert(str_is(req.target, "/a/b?x=1"));
    ck_assert(str_is(req.path, "/a/b"));
    ck_assert(str_is(req.host, "example.org"));
    ck_assert_int_eq(req.form, HTTP_FORM_ORIGIN);
    ck_assert_uint_eq(req.version_minor, 1);
    ck_assert(req.keep_alive);
    ck_assert_int_eq(parse("HEAD / HTTP/1.0\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.method, HTTP_METHOD_HEAD);
    ck_assert_uint_eq(req.version_minor, 0);
}
END_TEST

START_TEST(request_line_syntax_errors_are_400)
{
    /* RFC 9112 3: exactly one SP between the three parts; RFC 9112 3 also allows a server to
     * reject other whitespace with 400. */
    ck_assert_int_eq(status_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET /\r\nHost: a\r\n\r\n"), 400);
    ck_assert_int_eq(status_of(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    /* RFC 9112 2.3: HTTP-version is case-sensitive "HTTP/" DIGIT "." DIGIT. */
    ck_assert_int_eq(status_of("GET / http/1.1\r\nHost: a\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1\r\nHost: a\r\n\r\n"), 400);
    /* RFC 9110 5.6.2: the method is a token. */
    ck_assert_int_eq(status_of("G(ET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    /* RFC 9112 3.2: the target has no whitespace or fragment. */
    ck_assert_int_eq(status_of("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}
END_TEST

START_TEST(versions_other_than_1_are_505)
{
    /* RFC 9110 15.6.6: 505 for a major version the server does not support. */
    ck_assert_int_eq(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
    ck_assert_int_eq(status_of("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505);
    /* A higher minor version is answered as 1.1 (RFC 9110 2.5). */
    struct http_request req;
    ck_assert_int_eq(parse("GET / HTTP/1.7\r\nHost: a\r\n\r\n", &req), 0);
    ck_assert(req.keep_alive);
}
END_TEST

START_TEST(methods_known_and_unknown)
{
    /* RFC 9110 9.1: methods are case-sensitive; 15.5.6 405 for a known method not allowed on the
     * target; 15.6.2 501 for an unrecognized one. */
    struct http_request req;
    ck_assert_int_eq(parse("POST / HTTP/1.1\r\nHost: a\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.method, HTTP_METHOD_KNOWN);
    ck_assert_int_eq(parse("DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.method, HTTP_METHOD_KNOWN);
    ck_assert_int_eq(status_of("BREW / HTTP/1.1\r\nHost: a\r\n\r\n"), 501);
    ck_assert_int_eq(status_of("get / HTTP/1.1\r\nHost: a\r\n\r\n"), 501);
}
END_TEST

START_TEST(absolute_form)
{
    /* RFC 9112 3.2.2: a server MUST accept absolute-form and take the host from it, ignoring
     * the Host field. */
    struct http_request req;
    ck_assert_int_eq(parse("GET http://example.org:8080/a/b?q HTTP/1.1\r\nHost: other\r\n\r\n",
                           &req), 0);
    ck_assert_int_eq(req.form, HTTP_FORM_ABSOLUTE);
    ck_assert(str_is(req.host, "example.org:8080"));
    ck_assert(str_is(req.path, "/a/b"));
    /* An empty path is "/" (RFC 9112 3.2.1). */
    ck_assert_int_eq(parse("GET HTTP://example.org HTTP/1.1\r\nHost: example.org\r\n\r\n", &req),
                     0);
    ck_assert(str_is(req.path, "/"));
    /* Other schemes, userinfo, an empty host: 400. */
    ck_assert_int_eq(status_of("GET ftp://example.org/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET http://u@example.org/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}
END_TEST

START_TEST(authority_and_asterisk_forms_only_for_their_methods)
{
    /* RFC 9112 3.2.3 / 3.2.4: authority-form is for CONNECT, asterisk-form for OPTIONS. */
    ck_assert_int_eq(status_of("GET example.org:80 HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
    struct http_request req;
    ck_assert_int_eq(parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.form, HTTP_FORM_ASTERISK);
    ck_assert_int_eq(parse("CONNECT example.org:443 HTTP/1.1\r\nHost: a\r\n\r\n", &req), 0);
    ck_assert_int_eq(req.form, HTTP_FORM_AUTHORITY);
}
END_TEST

START_TEST(long_target_is_414)
{
    /* RFC 9112 3 / RFC 9110 15.5.15. */
    size_t n = HTTP_MAX_TARGET + 1;
    char *h = malloc(n + 64);
    strcpy(h, "GET /");
    memset(h + 5, 'a', n - 1);
    strcpy(h + 4 + n, " HTTP/1.1\r\nHost: a\r\n\r\n");
    ck_assert_int_eq(status_of(h), 414);
    free(h);
}
END_TEST

/* ---- fields (RFC 9112 5, RFC 9110 5) ---- */

/* RFC 9112 3: "Recipients of an invalid request-line SHOULD respond with either a 400 (Bad
 * Request) error or a 301 ...": a head whose request-line already shows it is refused with the
 * status the whole head would earn, without waiting for the rest of it (a TLS handshake or any
 * binary protocol on the port, "HELP"). A request-line that may still become valid is not. */
START_TEST(request_line_judged_before_the_head_ends)
{
#define LINE_STATUS(text) http_request_line_status(text, sizeof(text) - 1)
    ck_assert_int_eq(LINE_STATUS(""), 0);
    ck_assert_int_eq(LINE_STATUS("GE"), 0);
    ck_assert_int_eq(LINE_STATUS("GET /index.html HT"), 0);
    ck_assert_int_eq(LINE_STATUS("GET / HTTP/1.1\r"), 0);
    ck_assert_int_eq(LINE_STATUS("GET / HTTP/1.1\r\n"), 0);
    ck_assert_int_eq(LINE_STATUS("GET / HTTP/1.1\r\nHost: a\r\n"), 0);
    ck_assert_int_eq(LINE_STATUS("GET / HTTP/1.0\n"), 0);
    ck_assert_int_eq(LINE_STATUS("HELP\r\n"), 400);                 /* no target, no version */
    ck_assert_int_eq(LINE_STATUS("\x16\x03\x01\x02\x00\x01"), 400);  /* TLS ClientHello */
    ck_assert_int_eq(LINE_STATUS("l\0\x0b\0"), 400);                    /* X11 setup */
    ck_assert_int_eq(LINE_STATUS("GE\rT"), 400);                       /* bare CR in the method */
    ck_assert_int_eq(LINE_STATUS("\r\n"), 400);              /* an empty line past the skipped */
    ck_assert_int_eq(LINE_STATUS("GET / HTTP/2.0\r\n"), 505);
    ck_assert_int_eq(LINE_STATUS("BREW / HTTP/1.1\r\n"), 501);
    ck_assert_int_eq(LINE_STATUS("GET /a b HTTP/1.1\r\n"), 400);
    ck_assert_int_eq(LINE_STATUS("GET / HTTP/1.1 \r\nHost: a\r\n"), 400);
    /* The same status as the whole head earns. */
    ck_assert_int_eq(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
    ck_assert_int_eq(status_of("BREW / HTTP/1.1\r\nHost: a\r\n\r\n"), 501);
#undef LINE_STATUS
}
END_TEST

START_TEST(field_syntax)
{
    struct http_request req;
    /* OWS around the value is not part of it (RFC 9112 5.1). */
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: \t a.example \t\r\n\r\n", &req), 0);
    ck_assert(str_is(req.host, "a.example"));
    /* Field names are case-insensitive (RFC 9110 5.1). */
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nhOsT: b\r\n\r\n", &req), 0);
    ck_assert(str_is(req.host, "b"));
    /* No whitespace between name and colon: MUST be rejected with 400 (RFC 9112 5.1). */
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
    /* A line without a colon, a name that is not a token. */
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nBad[Name]: x\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n"), 400);
    /* NUL and other CTLs in a value are invalid (RFC 9110 5.5). */
    static const char nul[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
    ck_assert_int_eq(http_parse_request(nul, sizeof(nul) - 1, &req), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n"), 400);
    /* HTAB and obs-text are allowed in values. */
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: a\tb \xe9\r\n\r\n"), 0);
}
END_TEST

START_TEST(obs_fold_is_rejected)
{
    /* RFC 9112 5.2: a server that receives obs-fold MUST reject it with 400 or replace it;
     * this one rejects. */
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: one\r\n two\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nX: one\r\n\ttwo\r\n\r\n"), 400);
}
END_TEST

START_TEST(bare_cr_is_rejected)
{
    /* RFC 9112 2.2: a bare CR MUST be treated as invalid (or replaced). */
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
}
END_TEST

START_TEST(field_count_and_line_limits_are_431)
{
    /* RFC 6585 5: 431 when the header fields are too large. */
    char h[HTTP_MAX_HEAD * 2];
    size_t o = (size_t)sprintf(h, "GET / HTTP/1.1\r\nHost: a\r\n");
    for (int i = 0; i < HTTP_MAX_FIELDS; i++)
        o += (size_t)sprintf(h + o, "X-%d: v\r\n", i);
    strcpy(h + o, "\r\n");
    ck_assert_int_eq(status_of(h), 431);
    o = (size_t)sprintf(h, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
    memset(h + o, 'v', HTTP_MAX_FIELD_LINE);
    strcpy(h + o + HTTP_MAX_FIELD_LINE, "\r\n\r\n");
    ck_assert_int_eq(status_of(h), 431);
}
END_TEST

START_TEST(host_is_required_on_http_1_1)
{
    /* RFC 9112 3.2: 400 for an HTTP/1.1 request without Host, with several Host lines, or with an
     * invalid Host value. */
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400);
    /* Absolute-form still needs the field on 1.1. */
    ck_assert_int_eq(status_of("GET http://a/ HTTP/1.1\r\n\r\n"), 400);
    /* An empty Host is allowed (URI without authority) and so are IP literals and ports. */
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost:\r\n\r\n"), 0);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: 10.0.0.2:8080\r\n\r\n"), 0);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"), 0);
    /* HTTP/1.0 may omit it. */
    ck_assert_int_eq(status_of("GET / HTTP/1.0\r\n\r\n"), 0);
}
END_TEST

START_TEST(persistence)
{
    /* RFC 9112 9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive". */
    struct http_request req;
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", &req), 0);
    ck_assert(!req.keep_alive);
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, CLOSE\r\n\r\n", &req),
                     0);
    ck_assert(!req.keep_alive);
    ck_assert_int_eq(parse("GET / HTTP/1.0\r\n\r\n", &req), 0);
    ck_assert(!req.keep_alive);
    ck_assert_int_eq(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req), 0);
    ck_assert(req.keep_alive);
    ck_assert_int_eq(parse("GET / HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n",
                           &req), 0);
    ck_assert(!req.keep_alive);
}
END_TEST

START_TEST(content_length_rules)
{
    struct http_request req;
    /* RFC 9110 8.6: Content-Length = 1*DIGIT. */
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n", &req), 0);
    ck_assert(req.has_content_length);
    ck_assert_uint_eq(req.content_length, 12);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999"
                               "\r\n\r\n"), 400);
    /* RFC 9112 6.3 (5): differing values are unrecoverable; identical repeats may be one. */
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                               "Content-Length: 2\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\n"), 400);
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n"
                           "Content-Length: 5\r\n\r\n", &req), 0);
    ck_assert_uint_eq(req.content_length, 5);
}
END_TEST

START_TEST(transfer_encoding_on_requests)
{
    /* RFC 9112 6.1: a server that does not understand the transfer coding SHOULD answer 501; this
     * server decodes none on requests, so any Transfer-Encoding is 501 and the connection
     * closes. RFC 9112 6.3 (3): with Content-Length as well, it is a smuggling attempt: 400. */
    struct http_request req;
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &req),
                     501);
    ck_assert(!req.keep_alive);
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                           "Content-Length: 4\r\n\r\n", &req), 400);
}
END_TEST

START_TEST(repeated_singleton_fields_are_refused)
{
    /* RFC 9110 5.3: a field that is not a list may not be repeated; which one counts would be a
     * guess, so the request is refused. */
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n"
                               "Range: bytes=2-3\r\n\r\n"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: x\r\n"
                               "If-Modified-Since: y\r\n\r\n"), 400);
}
END_TEST

START_TEST(conditional_fields_are_kept)
{
    struct http_request req;
    ck_assert_int_eq(parse("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"x\"\r\n"
                           "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                           "If-Match: *\r\nIf-Unmodified-Since: y\r\nRange: bytes=1-2\r\n"
                           "If-Range: \"z\"\r\n\r\n", &req), 0);
    ck_assert(str_is(req.if_none_match, "\"x\""));
    ck_assert(str_is(req.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT"));
    ck_assert(str_is(req.if_match, "*"));
    ck_assert(str_is(req.if_unmodified_since, "y"));
    ck_assert(str_is(req.range, "bytes=1-2"));
    ck_assert(str_is(req.if_range, "\"z\""));
}
END_TEST

START_TEST(head_must_end_with_an_empty_line)
{
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\n"), 400);
    ck_assert_int_eq(status_of(""), 400);
    ck_assert_int_eq(status_of("\r\n"), 400);
}
END_TEST

/* ---- path (RFC 3986 2.1, 5.2.4) ---- */

static int norm(const char *path, char *out, bool *dir)
{
    struct http_str p = { path, strlen(path) };
    return http_normalize_path(p, out, HTTP_PATH_MAX, dir);
}

START_TEST(path_percent_decoding)
{
    char out[HTTP_PATH_MAX];
    bool dir;
    ck_assert_int_eq(norm("/a%20b/c%2Ed", out, &dir), 0);
    ck_assert_str_eq(out, "a b/c.d");
    ck_assert(!dir);
    /* RFC 3986 2.1: "%" HEXDIG HEXDIG; anything else is malformed. */
    ck_assert_int_eq(norm("/a%2", out, &dir), 400);
    ck_assert_int_eq(norm("/a%zz", out, &dir), 400);
    ck_assert_int_eq(norm("/a%", out, &dir), 400);
    /* A decoded NUL, control character or "/" is refused. */
    ck_assert_int_eq(norm("/a%00b", out, &dir), 400);
    ck_assert_int_eq(norm("/a%0ab", out, &dir), 400);
    ck_assert_int_eq(norm("/a%2fb", out, &dir), 400);
}
END_TEST

START_TEST(path_dot_segments)
{
    char out[HTTP_PATH_MAX];
    bool dir;
    /* RFC 3986 5.2.4 remove_dot_segments. */
    ck_assert_int_eq(norm("/a/./b/../c", out, &dir), 0);
    ck_assert_str_eq(out, "a/c");
    ck_assert(!dir);
    ck_assert_int_eq(norm("//a///b//", out, &dir), 0);
    ck_assert_str_eq(out, "a/b");
    ck_assert(dir);
    ck_assert_int_eq(norm("/", out, &dir), 0);
    ck_assert_str_eq(out, "");
    ck_assert(dir);
    ck_assert_int_eq(norm("/a/b/..", out, &dir), 0);
    ck_assert_str_eq(out, "a");
    ck_assert(dir);
    ck_assert_int_eq(norm("/a/..", out, &dir), 0);
    ck_assert_str_eq(out, "");
    /* Climbing above the root is refused, however it is spelled. */
    ck_assert_int_eq(norm("/..", out, &dir), 400);
    ck_assert_int_eq(norm("/../etc/passwd", out, &dir), 400);
    ck_assert_int_eq(norm("/a/../../etc", out, &dir), 400);
    ck_assert_int_eq(norm("/%2e%2e/etc", out, &dir), 400);
    ck_assert_int_eq(norm("/a/%2E%2e/%2e./x", out, &dir), 400);
    /* "..." is an ordinary name. */
    ck_assert_int_eq(norm("/.../x", out, &dir), 0);
    ck_assert_str_eq(out, ".../x");
    /* The path must be absolute. */
    ck_assert_int_eq(norm("a/b", out, &dir), 400);
    ck_assert_int_eq(norm("", out, &dir), 400);
}
END_TEST

START_TEST(path_too_long_is_414)
{
    char out[16];
    bool dir;
    struct http_str p = { "/abcdefgh/ijklmnopq", 19 };
    ck_assert_int_eq(http_normalize_path(p, out, sizeof(out), &dir), 414);
}
END_TEST

static Suite *http_parse_suite(void)
{
    Suite *s = suite_create("http_parse");
    TCase *tc = tcase_create("framing");
    tcase_add_test(tc, scan_finds_the_end_of_the_head);
    tcase_add_test(tc, scan_skips_leading_empty_lines);
    tcase_add_test(tc, scan_accepts_bare_lf_line_ends);
    tcase_add_test(tc, scan_bounds_the_head_and_the_request_line);
    tcase_add_test(tc, head_must_end_with_an_empty_line);
    suite_add_tcase(s, tc);
    tc = tcase_create("request_line");
    tcase_add_test(tc, request_line_parts);
    tcase_add_test(tc, request_line_syntax_errors_are_400);
    tcase_add_test(tc, versions_other_than_1_are_505);
    tcase_add_test(tc, methods_known_and_unknown);
    tcase_add_test(tc, absolute_form);
    tcase_add_test(tc, authority_and_asterisk_forms_only_for_their_methods);
    tcase_add_test(tc, long_target_is_414);
    tcase_add_test(tc, request_line_judged_before_the_head_ends);
    suite_add_tcase(s, tc);
    tc = tcase_create("fields");
    tcase_add_test(tc, field_syntax);
    tcase_add_test(tc, obs_fold_is_rejected);
    tcase_add_test(tc, bare_cr_is_rejected);
    tcase_add_test(tc, field_count_and_line_limits_are_431);
    tcase_add_test(tc, host_is_required_on_http_1_1);
    tcase_add_test(tc, persistence);
    tcase_add_test(tc, content_length_rules);
    tcase_add_test(tc, transfer_encoding_on_requests);
    tcase_add_test(tc, repeated_singleton_fields_are_refused);
    tcase_add_test(tc, conditional_fields_are_kept);
    suite_add_tcase(s, tc);
    tc = tcase_create("path");
    tcase_add_test(tc, path_percent_decoding);
    tcase_add_test(tc, path_dot_segments);
    tcase_add_test(tc, path_too_long_is_414);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(http_parse_suite)
