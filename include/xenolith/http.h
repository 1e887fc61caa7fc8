/*
 * xenolith/http.h: HTTP/1.1 server-side message rules (RFC 9110 semantics, RFC 9112 syntax),
 * pure and portable: no I/O, no allocation, no clock (the caller passes the time in). An appliance
 * collects a request head in a buffer, parses it here, asks here what the answer is for the
 * resource it found, and formats the response head here; the bytes move elsewhere.
 *
 *   http_head_scan       where the head ends in a buffer (or that it cannot fit)
 *   http_request_line_status  a head still arriving whose request-line already earns a refusal
 *   http_parse_request   request-line and header fields into struct http_request (pointers into
 *                        the caller's buffer), or the status a malformed request earns
 *   http_normalize_path  percent-decoding and dot-segment removal of the target's path
 *   http_evaluate        conditional requests (RFC 9110 13.2.2 order) and single byte ranges
 *   http_format_*        dates, entity-tags and the response head
 *
 * What is refused, and with which status, is listed at each function. The choices the RFCs
 * leave to the server are:
 *   - a request carrying Transfer-Encoding is refused with 501 (RFC 9112 6.1: no transfer coding
 *     of request content is implemented) and the connection closed, since its framing is unknown;
 *     both Transfer-Encoding and Content-Length: 400 (RFC 9112 6.3, request smuggling);
 *   - a GET or HEAD with Content-Length content is framed by it and the content discarded
 *     (RFC 9110 9.3.1: content in a GET has no meaning), up to HTTP_MAX_DISCARD bytes, else 413;
 *   - obs-fold in a field is refused with 400 (RFC 9112 5.2 allows rejecting it);
 *   - a bare CR anywhere in the head is refused with 400 (RFC 9112 2.2); a bare LF ends a line
 *     (RFC 9112 2.2 lets a recipient accept it);
 *   - Range with several ranges, another unit or a syntax error is ignored (200, RFC 9110 14.2).
 *
 * Part of the http library (http/), which an image carries only when its application uses it.
 * Every function here is pure (no I/O, no allocation, no blocking): any context may call it.
 */
#ifndef XENOLITH_PUBLIC_HTTP_H
#define XENOLITH_PUBLIC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEAD 8192           /* request-line + fields + empty line; beyond: 431 */
#define HTTP_MAX_TARGET 2048         /* request-target bytes; beyond: 414 */
#define HTTP_MAX_FIELDS 64           /* header field lines; beyond: 431 */
#define HTTP_MAX_FIELD_LINE 4096     /* one field line; beyond: 431 */
#define HTTP_MAX_DISCARD (64 * 1024) /* request content read and dropped; beyond: 413 */
#define HTTP_PATH_MAX 1024           /* a normalized, decoded path (without the leading '/') */
#define HTTP_DATE_LEN 29             /* "Sun, 06 Nov 1994 08:49:37 GMT" */
#define HTTP_ETAG_MAX 64

enum http_method {
    HTTP_METHOD_GET,
    HTTP_METHOD_HEAD,
    HTTP_METHOD_KNOWN,               /* a registered method this server does not allow: 405 */
    HTTP_METHOD_UNKNOWN,             /* any other token: 501 */
};

enum http_target_form {
    HTTP_FORM_ORIGIN,                /* "/path?query" (RFC 9112 3.2.1) */
    HTTP_FORM_ABSOLUTE,              /* "http://host/path" (3.2.2) */
    HTTP_FORM_AUTHORITY,             /* "host:port", CONNECT only (3.2.3) */
    HTTP_FORM_ASTERISK,              /* "*", OPTIONS only (3.2.4) */
};

/* A byte string inside the parsed buffer (not NUL-terminated). len 0 with ptr NULL: absent. */
struct http_str {
    const char *ptr;
    size_t len;
};

struct http_request {
    enum http_method method;
    struct http_str method_name;
    struct http_str target;          /* as received */
    enum http_target_form form;
    unsigned version_minor;          /* HTTP/1.x */
    struct http_str path;            /* raw path of the target (no query), absolute-form too */
    struct http_str host;            /* Host field, or the authority of an absolute-form target */
    unsigned host_fields;            /* Host field lines seen */
    bool keep_alive;                 /* persistence after this request (RFC 9112 9.3) */
    bool connection_close;           /* "Connection: close" was received */
    bool has_content_length;
    uint64_t content_length;
    bool has_transfer_encoding;
    struct http_str if_match, if_none_match, if_modified_since, if_unmodified_since;
    struct http_str range, if_range;
    unsigned fields;                 /* field lines */
};

/* ---- Framing ---- */

enum http_scan_result {
    HTTP_SCAN_MORE,                  /* no end yet: read more */
    HTTP_SCAN_DONE,                  /* *head_len bytes (terminating empty line included) */
    HTTP_SCAN_TOO_LONG_LINE,         /* request-line longer than HTTP_MAX_TARGET + 64: 414 */
    HTTP_SCAN_TOO_LARGE,             /* no end within HTTP_MAX_HEAD bytes: 431 */
};
/* Looks for the empty line ending a head in buf[len], after skipping *skip leading empty lines
 * (RFC 9112 2.2: a server SHOULD ignore at least one empty line before the request-line; up to
 * 4 are skipped, their bytes counted into *skip). */
enum http_scan_result http_head_scan(const char *buf, size_t len, size_t *skip, size_t *head_len);

/* The status a request will be refused with, judged from the start of its head in buf[len]
 * (leading empty lines skipped, as by http_head_scan) before the head is complete: 0 while its
 * request-line is valid or may still become so, else what http_parse_request answers for that
 * request-line (400, 414, 501, 505). An unfinished request-line is judged by its method alone
 * (a byte before the first SP that is no token character). RFC 9112 3: a recipient of an
 * invalid request-line SHOULD respond with 400; a server need not wait for the rest of a head
 * it can only refuse. */
int http_request_line_status(const char *buf, size_t len);

/* ---- Parsing ---- */

/* Parses one head (as found by http_head_scan, leading empty lines skipped). Returns 0, or the
 * status to answer with: 400 malformed (request-line, field syntax, obs-fold, bare CR, CTL in a
 * value, no/several/invalid Host on HTTP/1.1, bad Content-Length, CL with TE, target form not
 * allowed for the method), 414 target too long, 431 too many or too long fields, 501 unknown
 * method or Transfer-Encoding, 505 HTTP major version other than 1. On error *req still holds
 * what was parsed (the method and target, when found, for the log). */
int http_parse_request(const char *head, size_t len, struct http_request *req);

/* Percent-decodes path and removes dot segments (RFC 3986 5.2.4). out receives the result
 * without the leading slash ("" is the root), NUL-terminated; *dir says the path ended in '/'
 * (or is the root). Returns 0, or 400 for a path not starting with '/', a malformed or NUL
 * escape, a control character after decoding, or ".." climbing above the root; 414 when the
 * result does not fit out_size. */
int http_normalize_path(struct http_str path, char *out, size_t out_size, bool *dir);

/* ---- Dates (RFC 9110 5.6.7) ---- */

/* Formats seconds since the epoch as IMF-fixdate into out[HTTP_DATE_LEN + 1]. */
void http_format_date(int64_t seconds, char *out);
/* Parses IMF-fixdate, rfc850-date or asctime-date (recipients MUST accept all three). A two-digit
 * year is placed in the century that puts it at most 50 years after now_seconds. Returns 0, or
 * -EINVAL. */
int http_parse_date(struct http_str s, int64_t now_seconds, int64_t *out);

/* ---- Conditionals and ranges ---- */

/* What the server knows about the selected representation. */
struct http_resource {
    uint64_t size;
    int64_t mtime;                   /* Last-Modified, seconds since the epoch */
    const char *etag;                /* strong entity-tag with its quotes, e.g. "\"1f-5e0\"" */
};

/* Formats a strong entity-tag from what identifies a file's bytes on a read-only medium. */
void http_format_etag(char *out, size_t size, uint64_t mtime, uint64_t length, uint64_t location);

/* Whether an If-None-Match / If-Match list matches etag ("*" matches any). weak: the weak
 * comparison (RFC 9110 8.8.3.2, If-None-Match), else the strong one (If-Match). A malformed
 * list matches nothing. */
bool http_etag_list_matches(struct http_str list, const char *etag, bool weak);

enum http_range_result {
    HTTP_RANGE_NONE,                 /* no usable Range: send everything */
    HTTP_RANGE_OK,                   /* one satisfiable range [first, first+length) */
    HTTP_RANGE_UNSATISFIABLE,        /* 416 */
};
/* Parses a Range field value for a representation of `size` bytes (RFC 9110 14.1.1, 14.2). Only
 * one range of the "bytes" unit is honoured; anything else is HTTP_RANGE_NONE. */
enum http_range_result http_parse_range(struct http_str value, uint64_t size, uint64_t *first,
                                        uint64_t *length);

struct http_outcome {
    int status;                      /* 200, 206, 304, 412 or 416 */
    uint64_t first, length;          /* the bytes to send for 200/206 */
};
/* Evaluates the preconditions in the order of RFC 9110 13.2.2 (If-Match, If-Unmodified-Since,
 * If-None-Match, If-Modified-Since, then If-Range and Range for GET). */
void http_evaluate(const struct http_request *req, const struct http_resource *res,
                   int64_t now_seconds, struct http_outcome *out);

/* ---- Responses ---- */

/* What a response says about its connection (RFC 9112 9.3, 9.6, appendix C.2.2). */
enum http_connection {
    HTTP_CONN_PERSIST,               /* HTTP/1.1 persists by default: no Connection field */
    HTTP_CONN_KEEP_ALIVE,            /* "Connection: keep-alive": an HTTP/1.0 client's request
                                        for persistence is honoured (C.2.2) */
    HTTP_CONN_CLOSE,                 /* "Connection: close": the last response (9.6) */
};
/* How the response to req leaves the connection. req is NULL when no request could be parsed
 * (the connection closes); server_closes: the server ends the connection after this response
 * whatever the client asked (shutting down). RFC 9112 9.3: HTTP/1.1 persists unless "close";
 * HTTP/1.0 only with "keep-alive", and then the answer must say so, since an HTTP/1.0 client
 * otherwise waits for the close that ends the response (C.2.2); 9.6: a response after which the
 * server closes carries "close". */
enum http_connection http_response_connection(const struct http_request *req, bool server_closes);

/* A response head to format. Fields that do not apply are left zero/NULL. */
struct http_response_head {
    int status;
    int64_t date;                    /* Date field; < 0 when the clock is unknown (omitted) */
    const char *content_type;        /* representation metadata: omitted in a 304 (15.4.5) */
    int64_t last_modified;           /* < 0: none; omitted in a 304, which has the ETag */
    const char *etag;
    bool accept_ranges;              /* "Accept-Ranges: bytes" */
    uint64_t content_length;         /* bytes of content that follow (the range for a 206) */
    uint64_t range_first;            /* 206: Content-Range bytes first-last/complete_length */
    uint64_t complete_length;        /* 206 and 416 (bytes * /complete_length) */
    const char *location;            /* 301 */
    const char *allow;               /* 405 */
    enum http_connection connection; /* the Connection field, if any */
};
/* Formats the status line and fields, ending with the empty line. Content-Length is sent for
 * every status but 304 (RFC 9110 8.6 lets it be omitted there; it would describe the 200). Returns
 * the length, or -ENOSPC if it does not fit in size. */
int http_format_head(char *buf, size_t size, const struct http_response_head *h);

const char *http_reason(int status);
/* The media type for a file name from its extension (case-insensitive);
 * application/octet-stream when unknown. */
const char *http_content_type(const char *name);
/* Whether a method token is one this server knows (for 405 vs 501). */
enum http_method http_method_from(struct http_str token);

#endif
