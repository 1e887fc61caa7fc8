/*
 * dns/dns_exchange: one question to one server. Over UDP each attempt has its own socket on a
 * random ephemeral port and a random ID (RFC 5452 9.2), and only an answer from the server's
 * address and port, to that port, with that ID and the same question is taken (RFC 5452 9.1);
 * the rest is counted as spoofed and the wait goes on. Over TCP (RFC 7766) the messages carry
 * their 2-byte length (RFC 1035 4.2.2). Every accepted answer is read through once by the codec.
 * A fiber waits on one queue at a time, so a wait for an answer cannot also wait for a shutdown
 * request: it is cut into slices of DNS_RESOLVER_STOP_CHECK_NS and looks for one between them.
 * A TCP open cannot be cut into slices (each would start over with a new SYN): a timer looks for
 * a shutdown request as often, and resets the connection being opened (tcp_connect holds it out
 * while it blocks), which ends the open at once.
 */
#include "dns/dns_resolver.h"

#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/random.h"
#include "lib/string.h"
#include "xenolith/app.h"
#include "xenolith/mem.h"
#include "xenolith/tcp.h"
#include "xenolith/timer.h"
#include "xenolith/udp.h"

#define QUERY_MAX (DNS_HEADER_LEN + DNS_NAME_MAX + 4 + 11)
#define UDP_ANSWER_MAX 4096u /* more than the EDNS size we offer: a longer answer is cut, refused */

/* The end of the next slice of a wait until `until`. */
static uint64_t wait_slice(uint64_t until)
{
    uint64_t next = platform_monotonic_ns() + DNS_RESOLVER_STOP_CHECK_NS;
    return next < until ? next : until;
}

/* After a slice: -ESHUTDOWN once a shutdown was requested, else 0 to wait again before
 * `until`, `err` (the timeout) at it. */
static int wait_again(int err, uint64_t until)
{
    if (lifecycle_shutdown_requested())
        return -ESHUTDOWN;
    return platform_monotonic_ns() < until ? 0 : err;
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
    struct udp_socket *sock;
    int err = udp_bind(r->stack, 0, &sock); /* a random ephemeral port per query */
    if (err < 0)
        return err;
    uint8_t *buf = kmalloc(UDP_ANSWER_MAX);
    if (!buf) {
        udp_close(sock);
        return -ENOMEM;
    }
    err = udp_sendto(sock, x->server, DNS_PORT, query, qlen);
    while (err >= 0) {
        uint32_t src;
        uint16_t port;
        int n = udp_recvfrom(sock, buf, UDP_ANSWER_MAX, &src, &port, wait_slice(until));
        if (n == -ETIMEDOUT || lifecycle_shutdown_requested()) {
            if ((err = wait_again(-ETIMEDOUT, until)) == 0)
                continue;
            break;
        }
        if (n < 0) {
            err = n;
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
        udp_close(sock);
        return 0;
    }
    kfree(buf);
    udp_close(sock);
    return err;
}

/* Reads exactly len bytes. */
static int read_full(struct tcp_conn *c, uint8_t *buf, size_t len, uint64_t until)
{
    size_t got = 0;
    while (got < len) {
        long n = tcp_read(c, buf + got, len - got, wait_slice(until));
        if (n == 0)
            return -ECONNRESET; /* closed before the whole message */
        if (n == -EAGAIN) {
            int err = wait_again(-ETIMEDOUT, until);
            if (err < 0)
                return err;
            continue;
        }
        if (n < 0)
            return (int)n;
        got += (size_t)n;
    }
    return 0;
}

/* A TCP open in progress and the timer that cuts it when a shutdown is requested. */
struct open_watch {
    struct timer timer;
    struct tcp_conn *conn;   /* tcp_connect's handle while it blocks, else NULL */
    bool cut;
};

static void watch_open(struct timer *t, void *arg)
{
    struct open_watch *w = arg;
    if (!lifecycle_shutdown_requested()) {
        timer_arm(t, platform_monotonic_ns() + DNS_RESOLVER_STOP_CHECK_NS);
    } else if (w->conn) {
        w->cut = true;
        tcp_reset(w->conn);  /* tcp_connect wakes and fails: it releases the connection */
    }
}

/* tcp_connect to the server until `until`, ended within DNS_RESOLVER_STOP_CHECK_NS of a shutdown
 * request with -ESHUTDOWN. */
static int open_tcp(struct dns_exchange *x, uint64_t until, struct tcp_conn **out)
{
    struct open_watch w = {.conn = NULL};
    timer_init(&w.timer, watch_open, &w);
    timer_arm(&w.timer, platform_monotonic_ns() + DNS_RESOLVER_STOP_CHECK_NS);
    int err = tcp_connect(x->r->stack, x->server, DNS_PORT, until, &w.conn);
    timer_cancel(&w.timer);
    *out = w.conn;
    return w.cut ? -ESHUTDOWN : err;
}

int dns_exchange_tcp(struct dns_exchange *x, uint64_t until)
{
    uint8_t frame[2 + QUERY_MAX];
    uint16_t id;
    size_t qlen = build_query(x, frame + 2, &id);
    store_u16(frame, cpu_to_be16((uint16_t)qlen)); /* RFC 1035 4.2.2 */
    struct tcp_conn *c;
    int err = open_tcp(x, until, &c);
    if (err < 0)
        return err;
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
    tcp_close(c); /* one question per connection, closed once its answer is read */
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
