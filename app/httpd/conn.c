/*
 * app/httpd/conn: one connection, one fiber: request heads in, responses out, in order, for as
 * long as the connection persists (RFC 9112 9.3; pipelined requests wait in the input buffer and
 * are answered one after the other, 9.3.2). Every answer says how the connection goes on
 * (http_response_connection): "Connection: keep-alive" to an HTTP/1.0 client kept open,
 * "Connection: close" on the last one.
 *
 * The connection moves through http/http_slots.h's phases (WAITING, HEAD, BODY, RESPONSE,
 * CLOSING) and each phase ends at its deadline, so a slow or silent client cannot hold a slot:
 *   WAITING    the next request must begin in time; else the connection closes quietly
 *   HEAD       the whole head in time, however slowly the bytes trickle; else 408 and close
 *   BODY       content read (and dropped) at the minimum rate after a grace; else 408, close
 *   RESPONSE   the client must take the answer at the minimum rate after a grace; else reset
 *   CLOSING    a lingering close, bounded in time and bytes
 * A request that breaks the framing rules (every 400/413/414/431/501/505 from the parser) is
 * answered and the connection closed, since what follows cannot be trusted to start a request;
 * a request-line that is invalid is answered as soon as it shows, not when the head ends.
 * A connection the server evicts to make room (server.c) is woken by a shutdown of its read side
 * and ends at once: quietly when it was waiting, with 503 when a head was under way.
 *
 * The TCP send buffer grows with the client (grow_sndbuf), so slow readers cannot take the
 * stack-wide TCP buffer budget from everyone else.
 *
 * Closing after an answer drains what the client still sends for a moment before releasing the
 * connection (a "lingering close"): releasing it with unread data would reset it, and the reset
 * could destroy the answer before the client read it. The buffers are freed first: a closing
 * connection holds its fiber and its TCP state only.
 */
#include "httpd.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "xenolith/mem.h"
#include "xenolith/time.h"

/* Two separate 16 KiB buffers (4 pages each) rather than one large block: a heap fragmented by
 * many small objects still has them. */
#define IN_BUF (HTTP_MAX_HEAD + 8192)
#define OUT_BUF (16 * 1024)
#define LINGER_MAX_BYTES (256 * 1024)
/* The TCP send buffer starts at this and doubles each time the client takes a whole buffer
 * within a second, up to the stack's default: a fast client soon has it all, while a slow reader
 * never holds more than this much of the stack-wide TCP buffer budget (500 slow readers with the
 * 256 KiB default held all of it, and then no new request could even be received). */
#define SNDBUF_START (16 * 1024)
#define DRAIN_CHUNK 512
#define LOG_TARGET_MAX 200

struct conn {
    struct server *srv;
    struct conn_slot *slot;
    struct tcp_conn *tcp;
    struct tcp_conn_info info;
    uint64_t acked_at_response;      /* the TCP's bytes_acked when the answer began */
    size_t sndbuf, sndbuf_max;       /* the TCP send buffer now, and where its growth stops */
    uint64_t grow_ns, grow_taken;    /* since when, and from how many taken bytes, it is timed */
    size_t in_len;
    char *in;                        /* IN_BUF bytes */
    char *out;                       /* OUT_BUF bytes */
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

static void enter(struct conn *c, enum http_phase phase)
{
    server_enter(c->srv, c->slot, phase);
}

static enum http_phase phase_of(const struct conn *c)
{
    return c->slot->hs.phase;
}

/* When the current phase must end, given its progress (see http_slot_deadline). */
static uint64_t deadline_of(const struct conn *c, uint64_t progress)
{
    return http_slot_deadline(&c->srv->cfg.timeouts, &c->slot->hs, progress);
}

/* The bytes of the current answer the client has taken (acknowledged). */
static uint64_t taken(const struct conn *c)
{
    struct tcp_conn_info info;
    tcp_get_info(c->tcp, &info);
    return info.bytes_acked - c->acked_at_response;
}

static void begin_response(struct conn *c)
{
    struct tcp_conn_info info;
    tcp_get_info(c->tcp, &info);
    c->acked_at_response = info.bytes_acked;
    c->grow_ns = now_ns();
    c->grow_taken = 0;
    enter(c, HTTP_PHASE_RESPONSE);
}

/* Doubles the send buffer when the client took a whole one within the last second. */
static void grow_sndbuf(struct conn *c)
{
    if (c->sndbuf >= c->sndbuf_max)
        return;
    uint64_t now = now_ns(), took = taken(c);
    if (took - c->grow_taken >= c->sndbuf) {
        size_t want = c->sndbuf * 2 < c->sndbuf_max ? c->sndbuf * 2 : c->sndbuf_max;
        if (tcp_set_option(c->tcp, TCP_SOCKOPT_SNDBUF, (long)want) == 0)
            c->sndbuf = want;
    } else if (now - c->grow_ns <= NS_PER_S) {
        return;
    }
    c->grow_ns = now;
    c->grow_taken = took;
}

/* Writes all of buf; false when the peer did not take it at the minimum rate (the deadline of
 * the RESPONSE phase moves on with every byte it takes) or the connection failed. */
static bool send_all(struct conn *c, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    struct httpd_stats *st = &c->srv->stats;
    while (len > 0) {
        long w = tcp_write(c->tcp, p, len, deadline_of(c, taken(c)));
        if (w > 0) {
            st->bytes_sent += (uint64_t)w;
            p += w;
            len -= (size_t)w;
            grow_sndbuf(c);
            continue;
        }
        if (w == -EAGAIN && !c->slot->evicted && phase_of(c) == HTTP_PHASE_RESPONSE) {
            if (now_ns() < deadline_of(c, taken(c)))
                continue;            /* the client took more meanwhile: the deadline moved */
            st->send_timeouts++;
        }
        st->send_failures++;
        return false;
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
    st->status[status / 100 - 2]++;          /* every status sent is 200..505 */
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
static bool send_simple(struct conn *c, const struct http_request *req, int status,
                        enum http_connection connection, const char *location,
                        uint64_t range_complete)
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
        .connection = connection,
    };
    int n = http_format_head(c->out, OUT_BUF, &h);
    if (n < 0)
        return false;
    bool head_only = req && req->method == HTTP_METHOD_HEAD;
    if (!head_only) {
        memcpy(c->out + n, body, (size_t)body_len);
        n += body_len;
    }
    access_log(c, req, status, head_only ? 0 : (uint64_t)body_len);
    if (phase_of(c) != HTTP_PHASE_RESPONSE && phase_of(c) != HTTP_PHASE_EVICTED)
        begin_response(c);
    return send_all(c, c->out, (size_t)n);
}

/* Sends a file (or its range, or only its head): false when the connection must end. */
static bool send_file(struct conn *c, const struct http_request *req, struct site_file *f,
                      const char *name, enum http_connection connection)
{
    struct http_resource res = { .size = f->size, .mtime = f->mtime, .etag = f->etag };
    struct http_outcome oc;
    int64_t now = wall_seconds();
    http_evaluate(req, &res, now < 0 ? 0 : now, &oc);
    if (oc.status == 412 || oc.status == 416)
        return send_simple(c, req, oc.status, connection, NULL, f->size);
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
        .connection = connection,
    };
    int n = http_format_head(c->out, OUT_BUF, &h);
    if (n < 0)
        return false;
    bool body = req->method == HTTP_METHOD_GET && oc.status != 304;
    size_t used = (size_t)n;
    uint64_t pos = oc.first, left = body ? oc.length : 0;
    access_log(c, req, oc.status, left);
    begin_response(c);
    int rc = left > 0 ? site_pin(c->srv->site, f, deadline_of(c, taken(c))) : 0;
    bool ok = rc == 0;
    /* The head goes out with the first block of the file, so a small file is one write. */
    while (ok) {
        size_t room = OUT_BUF - used;
        size_t want = left < room ? (size_t)left : room;
        if (want > 0) {
            int64_t got = site_read(c->srv->site, f, pos, c->out + used, want,
                                    deadline_of(c, taken(c)));
            if (got <= 0) {
                rc = got < 0 ? (int)got : -EIO;      /* the file ended early */
                break;
            }
            used += (size_t)got;
            pos += (uint64_t)got;
            left -= (uint64_t)got;
        }
        ok = send_all(c, c->out, used);
        used = 0;
        if (left == 0)
            break;
    }
    site_unpin(f);
    if (rc < 0) {
        log_error("httpd", "reading /%s at %llu: %s", name, (unsigned long long)pos,
                  error_name(rc));
        return false;    /* Content-Length is promised: only ending the connection tells */
    }
    return ok;
}

/* Finds what a normalized path names and answers for it. */
static bool respond(struct conn *c, const struct http_request *req,
                    enum http_connection connection)
{
    bool dir;
    int status = http_normalize_path(req->path, c->path, HTTP_PATH_MAX, &dir);
    struct site_file f;
    if (status == 0 && site_lookup(c->srv->site, c->path, &f) == 0) {
        if (f.is_dir && !dir) {
            /* "/docs" names a directory: its page must be fetched as "/docs/" so its relative
             * links resolve inside it. The raw path is already valid URI text. */
            char location[HTTP_MAX_TARGET + 2];
            ksnprintf(location, sizeof(location), "%.*s/", (int)req->path.len, req->path.ptr);
            return send_simple(c, req, 301, connection, location, 0);
        }
        if (f.is_dir) {
            size_t len = strlen(c->path);
            kstrlcpy(c->path + len, len ? "/index.html" : "index.html", sizeof(c->path) - len);
            dir = site_lookup(c->srv->site, c->path, &f) < 0 || f.is_dir;
        }
        if (!dir)                    /* a file, not named as a directory ("/a.html/": 404) */
            return send_file(c, req, &f, c->path, connection);
    }
    return send_simple(c, req, status ? status : 404, connection, NULL, 0);
}

/* Drops a request's content (Content-Length framed) that came with the head, reading what has
 * not arrived yet within the BODY phase's deadline (a grace plus the minimum rate). */
static enum body_result { BODY_OK, BODY_SLOW, BODY_FAILED } discard_content(struct conn *c,
                                                                            uint64_t length)
{
    uint64_t received = 0;
    enter(c, HTTP_PHASE_BODY);
    while (length > 0) {
        if (c->in_len == 0) {
            long n = tcp_read(c->tcp, c->in, IN_BUF, deadline_of(c, received));
            if (c->slot->evicted)
                return BODY_FAILED;
            if (n == -EAGAIN) {
                c->srv->stats.body_timeouts++;
                return BODY_SLOW;
            }
            if (n <= 0)
                return BODY_FAILED;
            c->in_len = (size_t)n;
        }
        size_t take = c->in_len < length ? c->in_len : (size_t)length;
        memmove(c->in, c->in + take, c->in_len - take);
        c->in_len -= take;
        length -= take;
        received += take;
    }
    return BODY_OK;
}

static void free_buffers(struct conn *c)
{
    kfree(c->in);
    kfree(c->out);
    c->in = c->out = NULL;
    c->in_len = 0;
}

/* After the last answer: FIN, then swallow what the client still sends, within the CLOSING
 * phase's deadline and LINGER_MAX_BYTES, then release. The connection no longer counts against
 * the client limit meanwhile. */
static void lingering_close(struct conn *c)
{
    free_buffers(c);
    enter(c, HTTP_PHASE_CLOSING);
    if (!c->slot->evicted && tcp_shutdown(c->tcp, TCP_SHUT_WR) == 0) {
        char sink[DRAIN_CHUNK];
        uint64_t deadline = deadline_of(c, 0);
        size_t total = 0;
        for (;;) {
            long n = tcp_read(c->tcp, sink, sizeof(sink), deadline);
            if (n == -EAGAIN && !c->slot->evicted)
                c->srv->stats.linger_timeouts++;
            if (n <= 0 || c->slot->evicted)
                break;
            total += (size_t)n;
            if (total > LINGER_MAX_BYTES)
                break;
        }
    }
    tcp_close(c->tcp);
}

enum next { NEXT_REQUEST, NEXT_CLOSE, NEXT_LINGER, NEXT_ABORT, NEXT_EVICTED };

/* Reads until a whole head is in the buffer. Returns NEXT_REQUEST with *skip and *head_len set,
 * or how the connection ends (having answered when an answer is due). */
static enum next read_head(struct conn *c, size_t *skip, size_t *head_len)
{
    for (;;) {
        switch (http_head_scan(c->in, c->in_len, skip, head_len)) {
        case HTTP_SCAN_DONE:
            return NEXT_REQUEST;
        case HTTP_SCAN_TOO_LONG_LINE:
            send_simple(c, NULL, 414, HTTP_CONN_CLOSE, NULL, 0);
            return NEXT_LINGER;
        case HTTP_SCAN_TOO_LARGE:
            send_simple(c, NULL, 431, HTTP_CONN_CLOSE, NULL, 0);
            return NEXT_LINGER;
        case HTTP_SCAN_MORE:
            break;
        }
        /* A request-line that is already invalid is answered now, not when the head ends or
         * times out (RFC 9112 3: 400 for an invalid request-line; a TLS handshake or another
         * protocol's greeting never sends the empty line a head ends with). */
        int refused = http_request_line_status(c->in + *skip, c->in_len - *skip);
        if (refused) {
            send_simple(c, NULL, refused, HTTP_CONN_CLOSE, NULL, 0);
            return NEXT_LINGER;
        }
        /* Leading empty lines do not start a request: the connection is still waiting. */
        bool started = c->in_len > *skip;
        if (started && phase_of(c) == HTTP_PHASE_WAITING)
            enter(c, HTTP_PHASE_HEAD);
        long n = tcp_read(c->tcp, c->in + c->in_len, IN_BUF - c->in_len, deadline_of(c, 0));
        if (c->slot->evicted)
            return NEXT_EVICTED;
        if (n == -EAGAIN && started) {          /* our deadline (tcp_read: -ETIMEDOUT = dead) */
            c->srv->stats.header_timeouts++;
            send_simple(c, NULL, 408, HTTP_CONN_CLOSE, NULL, 0);
            return NEXT_LINGER;
        }
        if (n == -EAGAIN) {
            /* Silent: closed quietly, no request was begun. A new connection owed its first
             * head within the head timeout. */
            if (c->slot->hs.kept_alive)
                c->srv->stats.idle_closes++;
            else
                c->srv->stats.header_timeouts++;
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
    if (c->slot->hs.kept_alive)
        c->srv->stats.keepalive_requests++;
    struct http_request req;
    int status = http_parse_request(c->in + skip, head_len, &req);
    if (status) {
        send_simple(c, req.method_name.ptr ? &req : NULL, status, HTTP_CONN_CLOSE, NULL, 0);
        return NEXT_LINGER;
    }
    /* The request leaves the buffer before content is discarded; what the response needs is
     * copied out of it first (the path normalized into c->path, the rest by value below). */
    size_t consumed = skip + head_len;
    enum http_connection connection = http_response_connection(&req, c->srv->stopping);
    bool close = connection == HTTP_CONN_CLOSE;
    if (req.has_content_length && req.content_length > HTTP_MAX_DISCARD) {
        send_simple(c, &req, 413, HTTP_CONN_CLOSE, NULL, 0);
        return NEXT_LINGER;
    }
    char *copy = NULL;
    if (req.has_content_length && req.content_length > 0) {
        /* Answer from a copy of the head, since discarding the content reuses the buffer. */
        copy = kmalloc(head_len);
        if (!copy)
            return NEXT_ABORT;
        memcpy(copy, c->in + skip, head_len);
        http_parse_request(copy, head_len, &req);
        memmove(c->in, c->in + consumed, c->in_len - consumed);
        c->in_len -= consumed;
        consumed = 0;
        enum body_result body = discard_content(c, req.content_length);
        if (body == BODY_SLOW)
            send_simple(c, &req, 408, HTTP_CONN_CLOSE, NULL, 0);
        if (body != BODY_OK) {
            kfree(copy);
            return body == BODY_SLOW ? NEXT_LINGER : c->slot->evicted ? NEXT_EVICTED : NEXT_ABORT;
        }
    }
    bool ok = req.method == HTTP_METHOD_KNOWN ? send_simple(c, &req, 405, connection, NULL, 0)
                                              : respond(c, &req, connection);
    kfree(copy);
    memmove(c->in, c->in + consumed, c->in_len - consumed);
    c->in_len -= consumed;
    if (!ok)
        return NEXT_ABORT;
    /* Closing at the client's request: it may have pipelined more requests, which must not
     * turn the close into a reset before it has read this response. */
    return close ? NEXT_LINGER : NEXT_REQUEST;
}

struct conn *conn_create(struct server *srv, struct conn_slot *slot)
{
    struct conn *c = kmalloc(sizeof(*c));
    if (!c)
        return NULL;
    c->srv = srv;
    c->slot = slot;
    c->tcp = slot->tcp;
    c->in_len = 0;
    c->acked_at_response = 0;
    c->in = kmalloc(IN_BUF);
    c->out = kmalloc(OUT_BUF);
    if (!c->in || !c->out) {
        conn_destroy(c);
        return NULL;
    }
    return c;
}

void conn_destroy(struct conn *c)
{
    free_buffers(c);
    kfree(c);
}

/* Evicted to make room: a head under way learns why (503, RFC 9110 15.6.4); a waiting
 * connection is closed quietly (RFC 9112 9.5: a server may close an idle connection at any
 * time). The read side is already shut, so nothing the client sends can turn the close into a
 * reset. */
static void end_evicted(struct conn *c, bool head_begun)
{
    if (head_begun && c->out)
        send_simple(c, NULL, 503, HTTP_CONN_CLOSE, NULL, 0);
    tcp_close(c->tcp);
}

void conn_serve(struct conn *c)
{
    struct server *srv = c->srv;
    struct conn_slot *slot = c->slot;
    struct tcp_conn *tcp = c->tcp;
    tcp_get_info(tcp, &c->info);
    /* Responses are whole writes; waiting for more data to fill a segment only adds latency
     * (and with the client's delayed ACK, up to 200 ms per small response). */
    tcp_set_option(tcp, TCP_SOCKOPT_NODELAY, 1);
    long sndbuf;
    c->sndbuf = c->sndbuf_max = 0;
    if (tcp_get_option(tcp, TCP_SOCKOPT_SNDBUF, &sndbuf) == 0) {
        c->sndbuf = c->sndbuf_max = (size_t)sndbuf;
        if ((size_t)sndbuf > SNDBUF_START && tcp_set_option(tcp, TCP_SOCKOPT_SNDBUF,
                                                            SNDBUF_START) == 0)
            c->sndbuf = SNDBUF_START;
    }
    enum next next;
    do {
        if (phase_of(c) != HTTP_PHASE_WAITING && phase_of(c) != HTTP_PHASE_EVICTED)
            enter(c, HTTP_PHASE_WAITING);
        next = serve_one(c);
    } while (next == NEXT_REQUEST && !srv->stopping && !slot->evicted);
    if (next == NEXT_REQUEST && slot->evicted)
        next = NEXT_EVICTED;
    if (next == NEXT_EVICTED)
        end_evicted(c, c->in_len > 0);
    else if (next == NEXT_ABORT)
        tcp_abort(tcp);
    else if (next == NEXT_LINGER)
        lingering_close(c);
    else
        tcp_close(tcp);
    slot->tcp = NULL;
    conn_destroy(c);
    server_release(slot);
}
