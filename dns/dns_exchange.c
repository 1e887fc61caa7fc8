/*
 * dns/dns_exchange: one question to one server. Over UDP each attempt has its own socket on a
 * random ephemeral port and a random ID (RFC 5452 9.2), and only an answer from the server's
 * address and port, to that port, with that ID and the same question is taken (RFC 5452 9.1);
 * the rest is counted as spoofed and the wait goes on. Over TCP (RFC 7766) the messages carry
 * their 2-byte length (RFC 1035 4.2.2). Every accepted answer is read through once by the codec.
 * A shutdown request cuts an exchange at once: a shutdown request hook (xenolith/app.h),
 * registered for the exchange, closes its UDP socket or resets its TCP connection (the one being
 * opened too: tcp_connect holds it out while it blocks), the fiber blocked on it wakes, and the
 * exchange returns -ESHUTDOWN.
 */
#include "dns/dns_resolver.h"

#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "lib/string.h"
#include "xenolith/app.h"
#include "xenolith/mem.h"
#include "xenolith/tcp.h"
#include "xenolith/udp.h"

#define QUERY_MAX (DNS_HEADER_LEN + DNS_NAME_MAX + 4 + 11)
#define UDP_ANSWER_MAX 4096u /* more than the EDNS size we offer: a longer answer is cut, refused */

/* What a shutdown request cuts: the exchange's socket or connection, while it has one. */
struct exchange_stop {
    struct shutdown_request_hook hook;
    struct udp_socket *sock;     /* closed by the hook: its reader wakes with -EBADF */
    struct tcp_conn *conn;       /* reset by the hook: its reader, writer or opener wakes */
    bool requested;
};

static void stop_exchange(void *arg)
{
    struct exchange_stop *stop = arg;
    stop->requested = true;
    if (stop->sock) {
        udp_close(stop->sock);
        stop->sock = NULL;
    }
    if (stop->conn)
        tcp_reset(stop->conn);
}

/* Registers the hook; it runs at once (stop->requested) when a shutdown was already asked for. */
static void watch_shutdown(struct exchange_stop *stop)
{
    stop->hook = (struct shutdown_request_hook){.run = stop_exchange, .arg = stop};
    lifecycle_on_shutdown_request(&stop->hook);
}

/* The query with a fresh random ID (RFC 5452 9.2). Returns its length. */
static size_t build_query(const struct dns_exchange *x, uint8_t *buf, uint16_t *id)
{
    struct dns_writer w;
    dns_writer_init(&w, buf, QUERY_MAX);
    *id = (uint16_t)random_u32();
    struct dns_header h = {.id = *id, .flags = DNS_FLAG_RD, .qdcount = 1, .arcount = x->edns ? 1 : 0};
    struct dns_question q = {.name = *x->name, .type = x->type, .qclass = DNS_CLASS_IN};
    dns_write_header(&w, &h);
    dns_write_question(&w, &q); /* fits: QUERY_MAX holds the longest name */
    if (x->edns) {
        struct dns_edns e = {.udp_size = DNS_RESOLVER_UDP_SIZE};
        dns_write_opt(&w, &e);
    }
    return dns_writer_len(&w);
}

/* An answer to our query? 1 yes, 0 not ours (spoofed), -EBADMSG ours but malformed. */
static int check_answer(const struct dns_exchange *x, uint16_t id, const uint8_t *msg, size_t len)
{
    struct dns_reader rd;
    struct dns_header h;
    if (dns_reader_init(&rd, msg, len, &h) < 0 || h.id != id)
        return 0;
    if (!(h.flags & DNS_FLAG_QR) || DNS_FLAGS_OPCODE(h.flags) != DNS_OPCODE_QUERY || h.qdcount != 1 ||
        !dns_answer_matches(&rd, x->name, x->type))
        return 0;
    /* a truncated answer may end anywhere (RFC 2181 9): its records are not read */
    if (h.flags & DNS_FLAG_TC)
        return 1;
    struct dns_rr rr;
    int section;
    while ((section = dns_read_rr(&rd, &rr)) != -ENOENT)
        if (section == -EBADMSG)
            return -EBADMSG;
    return 1;
}

int dns_exchange_udp(struct dns_exchange *x, uint64_t until)
{
    struct dns_resolver *r = x->r;
    uint8_t query[QUERY_MAX];
    uint16_t id;
    size_t qlen = build_query(x, query, &id);
    struct exchange_stop stop = {.sock = NULL};
    int err = udp_bind(r->stack, 0, &stop.sock); /* a random ephemeral port per query */
    if (err < 0)
        return err;
    uint8_t *buf = kmalloc(UDP_ANSWER_MAX);
    if (!buf) {
        udp_close(stop.sock);
        return -ENOMEM;
    }
    watch_shutdown(&stop);
    err = stop.requested ? -ESHUTDOWN : udp_sendto(stop.sock, x->server, DNS_PORT, query, qlen);
    while (err >= 0) {
        uint32_t src;
        uint16_t port;
        int n = udp_recvfrom(stop.sock, buf, UDP_ANSWER_MAX, &src, &port, until);
        if (n < 0) {
            err = n; /* -ETIMEDOUT, or -EBADF: closed by the hook */
            break;
        }
        int ok = (src == x->server && port == DNS_PORT) ? check_answer(x, id, buf, (size_t)n) : 0;
        if (ok == 0) {
            r->stats.spoofed++;
            continue;
        }
        if (ok < 0) {
            r->stats.malformed++;
            err = -EBADMSG;
            break;
        }
        x->msg = buf;
        x->len = (size_t)n;
        buf = NULL;
        err = 0;
        break;
    }
    lifecycle_off_shutdown_request(&stop.hook);
    kfree(buf);
    if (stop.sock) /* NULL: the hook closed it */
        udp_close(stop.sock);
    return err < 0 && stop.requested ? -ESHUTDOWN : err;
}

/* Reads exactly len bytes. */
static int read_full(struct tcp_conn *c, uint8_t *buf, size_t len, uint64_t until)
{
    size_t got = 0;
    while (got < len) {
        long n = tcp_read(c, buf + got, len - got, until);
        if (n == 0)
            return -ECONNRESET; /* closed before the whole message */
        if (n < 0)
            return n == -EAGAIN ? -ETIMEDOUT : (int)n;
        got += (size_t)n;
    }
    return 0;
}

int dns_exchange_tcp(struct dns_exchange *x, uint64_t until)
{
    uint8_t frame[2 + QUERY_MAX];
    uint16_t id;
    size_t qlen = build_query(x, frame + 2, &id);
    store_u16(frame, cpu_to_be16((uint16_t)qlen)); /* RFC 1035 4.2.2 */
    struct exchange_stop stop = {.conn = NULL};
    watch_shutdown(&stop);
    /* tcp_connect publishes the connection in stop.conn while it blocks, for the hook */
    int err = stop.requested ? -ESHUTDOWN
                             : tcp_connect(x->r->stack, x->server, DNS_PORT, until, &stop.conn);
    struct tcp_conn *c = stop.conn;
    if (err < 0) {
        lifecycle_off_shutdown_request(&stop.hook);
        return stop.requested ? -ESHUTDOWN : err;
    }
    long sent = tcp_write(c, frame, qlen + 2, until);
    uint8_t len_be[2];
    uint8_t *buf = NULL;
    size_t len = 0;
    if (sent != (long)(qlen + 2))
        err = sent < 0 ? (sent == -EAGAIN ? -ETIMEDOUT : (int)sent) : -ETIMEDOUT;
    else
        err = read_full(c, len_be, 2, until);
    if (err == 0) {
        len = (size_t)len_be[0] << 8 | len_be[1];
        buf = kmalloc(len ? len : 1);
        err = buf ? read_full(c, buf, len, until) : -ENOMEM;
    }
    lifecycle_off_shutdown_request(&stop.hook);
    tcp_close(c); /* one question per connection, closed once its answer is read */
    if (err < 0 && stop.requested)
        err = -ESHUTDOWN;
    if (err == 0) {
        int ok = check_answer(x, id, buf, len);
        if (ok <= 0) {
            /* on our own connection a wrong answer is the server's fault, not a spoofer's */
            x->r->stats.malformed++;
            err = -EBADMSG;
        }
    }
    if (err < 0) {
        kfree(buf);
        return err;
    }
    kfree(x->msg);
    x->msg = buf;
    x->len = len;
    return 0;
}
