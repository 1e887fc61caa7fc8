/*
 * app/httpd/conn: one connection, one fiber: request heads in, responses out, in order, for as
 * long as the connection persists (RFC 9112 9.3; pipelined requests wait in the input buffer and
 * are answered one after the other, 9.3.2).
 *
 * Time limits, so a slow or silent client cannot hold a slot (slowloris):
 *   idle_ns    between requests, the next one must begin within it; else the connection closes
 *   header_ns  a request head must be complete header_ns after its first byte, however slowly
 *              the bytes trickle in; else 408 and close
 *   send_ns    each block of a response must be taken by the peer within it; else reset
 * A request that breaks the framing rules (every 400/413/414/431/501/505 from the parser) is
 * answered and the connection closed, since what follows cannot be trusted to start a request.
 *
 * Closing after an error drains what the client still sends for a moment before releasing the
 * connection (a "lingering close"): releasing it with unread data would reset it, and the reset
 * could destroy the error response before the client read it.
 */
#include "app/httpd/httpd.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/platform.h"

#define IN_BUF (HTTP_MAX_HEAD + 8192)
#define OUT_BUF (32 * 1024)
#define LINGER_NS (2ull * NS_PER_S)
#define LINGER_MAX_BYTES (256 * 1024)
#define LOG_TARGET_MAX 200

struct conn {
    struct server *srv;
    struct tcp_conn *tcp;
    struct tcp_conn_info info;
    size_t in_len;
    char in[IN_BUF];
    char out[OUT_BUF];
    char path[HTTP_PATH_MAX + sizeof("/index.html")];
};

static uint64_t now_ns(void)
{
    return platform_monotonic_ns();
}

static int64_t wall_seconds(void)
{
    uint64_t ns = platform_wallclock_ns();
    return ns ? (int64_t)(ns / NS_PER_S) : -1;
}

/* Writes all of buf within send_ns per block; false when the peer did not take it. */
static bool send_all(struct conn *c, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len > 0) {
        long w = tcp_write(c->tcp, p, len, now_ns() + c->srv->cfg.send_ns);
        if (w <= 0) {
            c->srv->stats.send_failures++;
            return false;
        }
        c->srv->stats.bytes_sent += (uint64_t)w;
        p += w;
        len -= (size_t)w;
    }
    return true;
}

/* Copies a request's text for the access log: printable ASCII, quotes escaped, truncated. */
static void log_text(char *out, size_t size, struct http_str s)
{
    size_t o = 0;
    for (size_t i = 0; i < s.len && o + 5 < size; i++) {
        unsigned char ch = (unsigned char)s.ptr[i];
        if (ch == '"' || ch == '\\' || ch < 0x20 || ch >= 0x7f) {
            o += (size_t)ksnprintf(out + o, size - o, "\\x%02x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    if (s.len > 0 && o + 5 >= size && o + 3 < size) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static void access_log(struct conn *c, const struct http_request *req, int status, uint64_t bytes)
{
    struct httpd_stats *st = &c->srv->stats;
    st->requests++;
    if (status < 300)
        st->status_2xx++;
    else if (status < 400)
        st->status_3xx++;
    else if (status < 500)
        st->status_4xx++;
    else
        st->status_5xx++;
    if (!c->srv->cfg.access_log)
        return;
    char method[24], target[LOG_TARGET_MAX + 8];
    log_text(method, sizeof(method), req ? req->method_name : (struct http_str){ NULL, 0 });
    log_text(target, sizeof(target), req ? req->target : (struct http_str){ NULL, 0 });
    log_info("httpd", "%pI4:%u \"%s %s HTTP/1.%u\" %d %llu", &c->info.remote_addr,
             (unsigned)c->info.remote_port, method[0] ? method : "-", target[0] ? target : "-",
             req ? req->version_minor : 1, status, (unsigned long long)bytes);
}

/* A response without a representation: an error or a redirect, with a small HTML body. */
static bool send_simple(struct conn *c, const struct http_request *req, int status, bool close,
                        const char *location, uint64_t range_complete)
{
    char body[192];
    int body_len = ksnprintf(body, sizeof(body),
                             "<!DOCTYPE html>\n<title>%d %s</title>\n<h1>%d %s</h1>\n", status,
                             http_reason(status), status, http_reason(status));
    struct http_response_head h = {
        .status = status,
        .date = wall_seconds(),
        .content_type = "text/html; charset=utf-8",
        .last_modified = -1,
        .content_length = (uint64_t)body_len,
        .complete_length = range_complete,
        .location = location,
        .allow = status == 405 ? "GET, HEAD" : NULL,
        .close = close,
    };
    int n = http_format_head(c->out, sizeof(c->out), &h);
    if (n < 0)
        return false;
    bool head_only = req && req->method == HTTP_METHOD_HEAD;
    if (!head_only) {
        memcpy(c->out + n, body, (size_t)body_len);
        n += body_len;
    }
    access_log(c, req, status, head_only ? 0 : (uint64_t)body_len);
    return send_all(c, c->out, (size_t)n);
}

/* Sends a file (or its range, or only its head): false when the connection must end. */
static bool send_file(struct conn *c, const struct http_request *req, const struct site_file *f,
                      const char *name, bool close)
{
    struct http_resource res = { .size = f->size, .mtime = f->mtime, .etag = f->etag };
    struct http_outcome oc;
    int64_t now = wall_seconds();
    http_evaluate(req, &res, now < 0 ? 0 : now, &oc);
    if (oc.status == 412 || oc.status == 416)
        return send_simple(c, req, oc.status, close, NULL, f->size);
    struct http_response_head h = {
        .status = oc.status,
        .date = now,
        .content_type = http_content_type(name),
        .last_modified = f->mtime,
        .etag = f->etag,
        .accept_ranges = true,
        .content_length = oc.length,
        .range_first = oc.first,
        .complete_length = f->size,
        .close = close,
    };
    int n = http_format_head(c->out, sizeof(c->out), &h);
    if (n < 0)
        return false;
    bool body = req->method == HTTP_METHOD_GET && oc.status != 304;
    size_t used = (size_t)n;
    uint64_t pos = oc.first, left = body ? oc.length : 0;
    access_log(c, req, oc.status, left);
    /* The head goes out with the first block of the file, so a small file is one write. */
    do {
        size_t room = sizeof(c->out) - used;
        size_t want = left < room ? (size_t)left : room;
        if (want > 0) {
            int64_t got = site_read(c->srv->site, f, pos, c->out + used, want,
                                    now_ns() + c->srv->cfg.send_ns);
            if (got <= 0) {
                log_error("httpd", "reading /%s at %llu: %s", name, (unsigned long long)pos,
                          got == 0 ? "file ended early" : error_name((int)got));
                return false;    /* Content-Length is promised: only ending the connection tells */
            }
            used += (size_t)got;
            pos += (uint64_t)got;
            left -= (uint64_t)got;
        }
        if (!send_all(c, c->out, used))
            return false;
        used = 0;
    } while (left > 0);
    return true;
}

/* Finds what a normalized path names and answers for it. */
static bool respond(struct conn *c, const struct http_request *req, bool close)
{
    bool dir;
    int rc = http_normalize_path(req->path, c->path, HTTP_PATH_MAX, &dir);
    if (rc)
        return send_simple(c, req, rc, close, NULL, 0);
    struct site_file f;
    if (site_lookup(c->srv->site, c->path, &f) < 0)
        return send_simple(c, req, 404, close, NULL, 0);
    if (f.is_dir && !dir) {
        /* "/docs" names a directory: its page must be fetched as "/docs/" so its relative
         * links resolve inside it. The raw path is already valid URI text. */
        char location[HTTP_MAX_TARGET + 2];
        ksnprintf(location, sizeof(location), "%.*s/", (int)req->path.len, req->path.ptr);
        return send_simple(c, req, 301, close, location, 0);
    }
    if (!f.is_dir && dir)
        return send_simple(c, req, 404, close, NULL, 0);
    if (f.is_dir) {
        size_t len = strlen(c->path);
        kstrlcpy(c->path + len, len ? "/index.html" : "index.html", sizeof(c->path) - len);
        if (site_lookup(c->srv->site, c->path, &f) < 0 || f.is_dir)
            return send_simple(c, req, 404, close, NULL, 0);
    }
    return send_file(c, req, &f, c->path, close);
}

/* Drops a request's content (Content-Length framed) that came with the head, reading what has
 * not arrived yet within the head's deadline. */
static bool discard_content(struct conn *c, uint64_t length, uint64_t deadline)
{
    while (length > 0) {
        if (c->in_len == 0) {
            long n = tcp_read(c->tcp, c->in, sizeof(c->in), deadline);
            if (n <= 0)
                return false;
            c->in_len = (size_t)n;
        }
        size_t take = c->in_len < length ? c->in_len : (size_t)length;
        memmove(c->in, c->in + take, c->in_len - take);
        c->in_len -= take;
        length -= take;
    }
    return true;
}

/* After an error: FIN, then swallow what the client still sends, briefly, then release. */
static void lingering_close(struct conn *c)
{
    if (tcp_shutdown(c->tcp, TCP_SHUT_WR) == 0) {
        uint64_t deadline = now_ns() + LINGER_NS;
        size_t total = 0;
        for (;;) {
            long n = tcp_read(c->tcp, c->in, sizeof(c->in), deadline);
            if (n <= 0)
                break;
            total += (size_t)n;
            if (total > LINGER_MAX_BYTES)
                break;
        }
    }
    tcp_close(c->tcp);
}

enum next { NEXT_REQUEST, NEXT_CLOSE, NEXT_LINGER, NEXT_ABORT };

/* Reads until a whole head is in the buffer. Returns NEXT_REQUEST with *skip and *head_len set,
 * or how the connection ends (having answered when an answer is due). */
static enum next read_head(struct conn *c, size_t *skip, size_t *head_len)
{
    uint64_t head_deadline = c->in_len > 0 ? now_ns() + c->srv->cfg.header_ns : 0;
    uint64_t idle_deadline = now_ns() + c->srv->cfg.idle_ns;
    for (;;) {
        switch (http_head_scan(c->in, c->in_len, skip, head_len)) {
        case HTTP_SCAN_DONE:
            return NEXT_REQUEST;
        case HTTP_SCAN_TOO_LONG_LINE:
            send_simple(c, NULL, 414, true, NULL, 0);
            return NEXT_LINGER;
        case HTTP_SCAN_TOO_LARGE:
            send_simple(c, NULL, 431, true, NULL, 0);
            return NEXT_LINGER;
        case HTTP_SCAN_MORE:
            break;
        }
        /* Leading empty lines do not start a request: the idle limit still applies. */
        bool started = c->in_len > *skip;
        if (started && head_deadline == 0)
            head_deadline = now_ns() + c->srv->cfg.header_ns;
        long n = tcp_read(c->tcp, c->in + c->in_len, sizeof(c->in) - c->in_len,
                          started ? head_deadline : idle_deadline);
        if (n == -EAGAIN && started) {          /* our deadline (tcp_read: -ETIMEDOUT = dead) */
            c->srv->stats.header_timeouts++;
            send_simple(c, NULL, 408, true, NULL, 0);
            return NEXT_LINGER;
        }
        if (n == -EAGAIN) {
            c->srv->stats.idle_closes++;
            return NEXT_CLOSE;
        }
        if (n == 0)
            return NEXT_CLOSE;       /* the client is done (a partial head is dropped) */
        if (n < 0)
            return NEXT_ABORT;
        c->in_len += (size_t)n;
    }
}

static enum next serve_one(struct conn *c)
{
    size_t skip = 0, head_len = 0;
    enum next next = read_head(c, &skip, &head_len);
    if (next != NEXT_REQUEST)
        return next;
    uint64_t head_deadline = now_ns() + c->srv->cfg.header_ns;
    struct http_request req;
    int status = http_parse_request(c->in + skip, head_len, &req);
    if (status) {
        send_simple(c, req.method_name.ptr ? &req : NULL, status, true, NULL, 0);
        return NEXT_LINGER;
    }
    /* The request leaves the buffer before content is discarded; what the response needs is
     * copied out of it first (the path normalized into c->path, the rest by value below). */
    size_t consumed = skip + head_len;
    bool close = !req.keep_alive || c->srv->stopping;
    if (req.has_content_length && req.content_length > HTTP_MAX_DISCARD) {
        send_simple(c, &req, 413, true, NULL, 0);
        return NEXT_LINGER;
    }
    bool ok;
    if (req.has_content_length && req.content_length > 0) {
        /* Answer from a copy of the head, since discarding the content reuses the buffer. */
        char *copy = kmalloc(head_len);
        if (!copy)
            return NEXT_ABORT;
        memcpy(copy, c->in + skip, head_len);
        http_parse_request(copy, head_len, &req);
        memmove(c->in, c->in + consumed, c->in_len - consumed);
        c->in_len -= consumed;
        ok = discard_content(c, req.content_length, head_deadline);
        if (ok)
            ok = req.method == HTTP_METHOD_KNOWN ? send_simple(c, &req, 405, close, NULL, 0)
                                                 : respond(c, &req, close);
        kfree(copy);
        if (!ok)
            return NEXT_ABORT;
        return close ? NEXT_LINGER : NEXT_REQUEST;
    }
    ok = req.method == HTTP_METHOD_KNOWN ? send_simple(c, &req, 405, close, NULL, 0)
                                         : respond(c, &req, close);
    memmove(c->in, c->in + consumed, c->in_len - consumed);
    c->in_len -= consumed;
    if (!ok)
        return NEXT_ABORT;
    /* Closing at the client's request: it may have pipelined more requests, which must not
     * turn the close into a reset before it has read this response. */
    return close ? NEXT_LINGER : NEXT_REQUEST;
}

void conn_serve(struct server *srv, struct tcp_conn *tcp)
{
    struct conn *c = kmalloc(sizeof(*c));
    if (!c) {
        srv->stats.refused++;
        tcp_abort(tcp);
        return;
    }
    c->srv = srv;
    c->tcp = tcp;
    c->in_len = 0;
    tcp_get_info(tcp, &c->info);
    /* Responses are whole writes; waiting for more data to fill a segment only adds latency
     * (and with the client's delayed ACK, up to 200 ms per small response). */
    tcp_set_option(tcp, TCP_SOCKOPT_NODELAY, 1);
    enum next next;
    do {
        next = serve_one(c);
    } while (next == NEXT_REQUEST && !srv->stopping);
    if (next == NEXT_ABORT)
        tcp_abort(tcp);
    else if (next == NEXT_LINGER)
        lingering_close(c);
    else
        tcp_close(tcp);
    kfree(c);
}
