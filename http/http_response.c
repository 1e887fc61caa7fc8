/*
 * net/http_response: the status line and header fields of a response (RFC 9112 4, RFC 9110 15),
 * with what each status must or must not carry, and what it says about the connection (RFC 9112
 * 9.3).
 */
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "http/http.h"

struct out {
    char *buf;
    size_t size, used;
    bool overflow;
};

static void add(struct out *o, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void add(struct out *o, const char *fmt, ...)
{
    if (o->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(o->buf + o->used, o->size - o->used, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->size - o->used) {
        o->overflow = true;
        return;
    }
    o->used += (size_t)n;
}

/* "Name: value" when there is a value. */
static void add_field(struct out *o, const char *name, const char *value)
{
    if (value)
        add(o, "%s: %s\r\n", name, value);
}

enum http_connection http_response_connection(const struct http_request *req, bool server_closes)
{
    if (!req || !req->keep_alive || server_closes)
        return HTTP_CONN_CLOSE;
    return req->version_minor == 0 ? HTTP_CONN_KEEP_ALIVE : HTTP_CONN_PERSIST;
}

int http_format_head(char *buf, size_t size, const struct http_response_head *h)
{
    struct out o = { buf, size, 0, size == 0 };
    char date[HTTP_DATE_LEN + 1];
    add(&o, "HTTP/1.1 %d %s\r\nServer: Xenolith\r\n", h->status, http_reason(h->status));
    if (h->date >= 0) {
        http_format_date(h->date, date);
        add_field(&o, "Date", date);
    }
    bool not_modified = h->status == 304;
    /* 15.4.5: a 304 carries the validators a 200 would (ETag), not the representation's own
     * metadata. */
    if (!not_modified)
        add_field(&o, "Content-Type", h->content_type);
    if (h->last_modified >= 0 && !not_modified) {
        http_format_date(h->last_modified, date);
        add_field(&o, "Last-Modified", date);
    }
    add_field(&o, "ETag", h->etag);
    if (h->accept_ranges)
        add(&o, "Accept-Ranges: bytes\r\n");
    if (h->status == 206)
        add(&o, "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)h->range_first,
            (unsigned long long)(h->range_first + h->content_length - 1),
            (unsigned long long)h->complete_length);
    else if (h->status == 416)
        add(&o, "Content-Range: bytes */%llu\r\n", (unsigned long long)h->complete_length);
    add_field(&o, "Location", h->location);
    add_field(&o, "Allow", h->allow);
    if (!not_modified)
        add(&o, "Content-Length: %llu\r\n", (unsigned long long)h->content_length);
    if (h->connection == HTTP_CONN_CLOSE)
        add(&o, "Connection: close\r\n");
    else if (h->connection == HTTP_CONN_KEEP_ALIVE)
        add(&o, "Connection: keep-alive\r\n");
    add(&o, "\r\n");
    return o.overflow ? -ENOSPC : (int)o.used;
}
