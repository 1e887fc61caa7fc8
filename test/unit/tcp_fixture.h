/*
 * test/unit/tcp_fixture.h: two stacks (A 10.1.0.1, B 10.1.0.2) wired back to back on the in-memory
 * pair with the simulated clock, optionally with the fault injector on A's side, and fibers that
 * run the TCP API exactly as applications do (header-only: each test_*.c is its own program).
 *
 * A's stack always sits on a tap (tf_tap): a decorator that records every TCP segment A sends
 * (before the fault injector) and receives (after it), and lets a test drop or hold chosen
 * segments for deterministic loss and reordering. tf_inject_* put hand-made segments and ICMP
 * errors on the wire for rules that need a hostile or unusual peer.
 */
#ifndef XENOLITH_TEST_UNIT_TCP_FIXTURE_H
#define XENOLITH_TEST_UNIT_TCP_FIXTURE_H

#include <stdlib.h>

#include "lib/errno.h"
#include "mm/mm.h"
#include "net/dev/faults.h"
#include "net/dev/pair.h"
#include "mm/pbuf.h"
#include "net/tcp/tcp.h"
#include "net/wire/tcp_opts.h"
#include "test/unit/net_ip_fixture.h"

#define A_IP IP4_ADDR(10, 1, 0, 1)
#define B_IP IP4_ADDR(10, 1, 0, 2)

static struct pbuf_pool *tf_pool_a, *tf_pool_b;
static struct netdev_pair *tf_pair;
static struct netdev *tf_faults;             /* wraps A's end when faults are in use */
static struct netstack *sa, *sb;

/* ---- the tap on A's side ---- */

#define TF_TAP_MAX 8192
#define TF_TAP_HELD 64

struct tf_seg {
    bool tx;                        /* sent by A (else received by A) */
    struct tcp_header h;
    struct tcp_options opts;
    uint32_t len;                   /* payload bytes */
    uint32_t ip_len;                /* IPv4 total length */
    uint16_t gso_size;              /* a TSO frame's segment size (0: one segment) */
    bool csum_partial;              /* tx: left for the device to complete */
    bool csum_ok;                   /* the checksum as it stands is correct (false if partial) */
    bool dont_fragment;
    uint64_t at;                    /* simulated time it passed the tap */
};

enum tf_verdict { TF_PASS, TF_DROP, TF_HOLD };
typedef enum tf_verdict (*tf_filter_fn)(const struct tf_seg *seg, void *ctx);

struct tf_tap {
    struct netdev dev;
    struct netdev *lower;
    struct tf_seg seg[TF_TAP_MAX];
    unsigned count;                 /* recorded (stops at TF_TAP_MAX) */
    tf_filter_fn filter;
    void *filter_ctx;
    struct { struct pbuf *p; bool tx; } held[TF_TAP_HELD];
    unsigned nheld;
    unsigned dropped;
};
static struct tf_tap tf_tap;

/* Parses a frame's TCP segment; false for anything else. */
static inline bool tf_parse(struct pbuf *p, bool tx, struct tf_seg *out)
{
    static uint8_t f[14 + 65535];   /* TSO frames too */
    size_t n = p->tot_len < sizeof(f) ? p->tot_len : sizeof(f);
    if (pbuf_copy_out(p, 0, f, n) || n < 14 + 20 + 20 || load_be16(f + 12) != ETHERTYPE_IPV4)
        return false;
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    uint16_t total = load_be16(ip + 2);
    if (ip[9] != IPV4_PROTO_TCP || total > n - 14 || total < ihl + 20)
        return false;
    memset(out, 0, sizeof(*out));
    out->tx = tx;
    out->at = sim_now();
    out->ip_len = total;
    out->dont_fragment = (load_be16(ip + 6) & 0x4000) != 0;
    const uint8_t *t = ip + ihl;
    size_t tlen = total - ihl;
    if (tcp_parse_header(t, tlen, tlen, &out->h, &out->opts) != TCP_PARSE_OK)
        return false;
    out->len = (uint32_t)(tlen - out->h.header_len);
    out->csum_partial = (p->flags & PBUF_F_CSUM_PARTIAL) != 0;
    out->gso_size = p->gso_size;
    struct csum c;
    csum_init(&c);
    uint32_t src, dst;                  /* network order, as the stack keeps addresses */
    memcpy(&src, ip + 12, 4);
    memcpy(&dst, ip + 16, 4);
    ipv4_csum_add_pseudo(&c, src, dst, IPV4_PROTO_TCP, (uint16_t)tlen);
    csum_add(&c, t, tlen);
    out->csum_ok = !out->csum_partial && csum_finish(&c) == 0;
    return true;
}

/* Records the segment and decides its fate; true when the caller must not pass p on. */
static inline bool tf_tap_intercept(struct pbuf *p, bool tx)
{
    struct tf_seg s;
    if (!tf_parse(p, tx, &s))
        return false;
    if (tf_tap.count < TF_TAP_MAX)
        tf_tap.seg[tf_tap.count++] = s;
    enum tf_verdict v = tf_tap.filter ? tf_tap.filter(&s, tf_tap.filter_ctx) : TF_PASS;
    if (v == TF_HOLD && tf_tap.nheld < TF_TAP_HELD) {
        tf_tap.held[tf_tap.nheld].p = p;
        tf_tap.held[tf_tap.nheld++].tx = tx;
        return true;
    }
    if (v == TF_DROP) {
        tf_tap.dropped++;
        pbuf_free(p);
        return true;
    }
    return false;
}

static inline int tf_tap_transmit(struct netdev *dev, struct pbuf *p)
{
    (void)dev;
    if (tf_tap_intercept(p, true))
        return 0;
    return netdev_transmit(tf_tap.lower, p);
}

static inline void tf_tap_receive(struct netdev *lower, struct pbuf *p, void *ctx)
{
    (void)lower;
    (void)ctx;
    if (tf_tap_intercept(p, false))
        return;
    netdev_receive(&tf_tap.dev, p);
}

/* Sends (or delivers) the held segments, oldest first. */
static inline void tf_tap_release(void)
{
    unsigned n = tf_tap.nheld;
    tf_tap.nheld = 0;
    for (unsigned i = 0; i < n; i++) {
        if (tf_tap.held[i].tx)
            netdev_transmit(tf_tap.lower, tf_tap.held[i].p);
        else
            netdev_receive(&tf_tap.dev, tf_tap.held[i].p);
    }
}

static inline void tf_tap_destroy(struct netdev *dev)
{
    (void)dev;
    for (unsigned i = 0; i < tf_tap.nheld; i++)
        pbuf_free(tf_tap.held[i].p);
    tf_tap.nheld = 0;
    netdev_set_rx_handler(tf_tap.lower, NULL, NULL);
}

static const struct netdev_ops tf_tap_ops = { .transmit = tf_tap_transmit,
                                              .destroy = tf_tap_destroy };

static inline struct netdev *tf_tap_wrap(struct netdev *lower)
{
    memset(&tf_tap, 0, sizeof(tf_tap));
    tf_tap.lower = lower;
    netdev_init(&tf_tap.dev, &tf_tap_ops, lower->name, lower->mac, lower->mtu, lower->caps,
                lower->pool, NULL);
    netdev_set_rx_handler(lower, tf_tap_receive, NULL);
    return &tf_tap.dev;
}

/* Forget what was recorded (keeps the filter). */
static inline void tf_tap_clear(void)
{
    tf_tap.count = 0;
}

static inline void tf_tap_set_filter(tf_filter_fn fn, void *ctx)
{
    tf_tap.filter = fn;
    tf_tap.filter_ctx = ctx;
}

/* faults: NULL for a clean wire. latency_ns: one-way delay of the pair. */
static inline void tcp_fixture_up(const struct faults_config *faults, uint64_t latency_ns,
                                  uint32_t caps)
{
    net_ip_fixture_boot();
    tf_pool_a = pbuf_pool_create("a.rx", 1024);
    tf_pool_b = pbuf_pool_create("b.rx", 1024);
    tf_pair = netdev_pair_create("p", 7, 1500, caps, tf_pool_a, tf_pool_b);
    ck_assert_ptr_nonnull(tf_pair);
    netdev_pair_set_latency(tf_pair, latency_ns);
    struct netdev *a_dev = netdev_pair_end(tf_pair, 0);
    tf_faults = NULL;
    if (faults) {
        tf_faults = faults_wrap(a_dev, faults);
        ck_assert_ptr_nonnull(tf_faults);
        a_dev = tf_faults;
    }
    a_dev = tf_tap_wrap(a_dev);
    sa = netstack_create(a_dev);
    sb = netstack_create(netdev_pair_end(tf_pair, 1));
    ck_assert_ptr_nonnull(sa);
    ck_assert_ptr_nonnull(sb);
    set_addr(sa, A_IP, 24, 0);
    set_addr(sb, B_IP, 24, 0);
    run_for(10 * SEC);
    /* Resolve each other's MAC so the first SYN is not parked in ARP. */
    struct udp_socket *ua, *ub;
    ck_assert_int_eq(udp_bind(sa, 0, &ua), 0);
    ck_assert_int_eq(udp_bind(sb, 0, &ub), 0);
    udp_sendto(ua, B_IP, udp_local_port(ub), "x", 1);
    udp_sendto(ub, A_IP, udp_local_port(ua), "x", 1);
    run_for(SEC);
    udp_close(ua);
    udp_close(ub);
}

static inline void tcp_fixture_down(void)
{
    netstack_destroy(sa);
    netstack_destroy(sb);
    netdev_destroy(&tf_tap.dev);
    if (tf_faults)
        netdev_destroy(tf_faults);
    netdev_pair_destroy(tf_pair);
    ck_assert_uint_eq(pool_in_use(tf_pool_a), 0);
    ck_assert_uint_eq(pool_in_use(tf_pool_b), 0);
    pbuf_pool_destroy(tf_pool_a);
    pbuf_pool_destroy(tf_pool_b);
}

/* Runs fn(arg) in a fiber of its own, for a call that must block (an application server's stop
 * joins its fibers), and drives the simulated machine for `within`; fails unless fn returned. */
struct tf_in_fiber {
    void (*fn)(void *arg);
    void *arg;
    bool returned;
};

static inline int tf_in_fiber_main(void *arg)
{
    struct tf_in_fiber *call = arg;
    call->fn(call->arg);
    call->returned = true;
    return 0;
}

static inline void tf_run_in_fiber(void (*fn)(void *arg), void *arg, uint64_t within)
{
    static struct tf_in_fiber call;          /* outlives this frame if fn never returns */
    call = (struct tf_in_fiber){ .fn = fn, .arg = arg };
    fiber_detach(fiber_spawn("tf_in_fiber", tf_in_fiber_main, &call, 0));
    run_for(within);
    ck_assert(call.returned);
}

static inline void tcp_fixture_setup(void)
{
    tcp_fixture_up(NULL, 0, 0);
}

/* ---- hand-made segments ---- */

/* Puts a TCP segment from src:sport to dst:dport on the wire towards `to` (sa or sb), with a
 * correct checksum; opts may be NULL. */
static inline void tf_inject(struct netstack *to, uint32_t src, uint32_t dst, uint16_t sport,
                             uint16_t dport, uint32_t seq, uint32_t ack, uint8_t flags,
                             uint16_t window, const struct tcp_options *opts, const void *data,
                             size_t len)
{
    struct tcp_header h = { .src_port = sport, .dst_port = dport, .seq = seq, .ack = ack,
                            .flags = flags, .window = window };
    static uint8_t seg[1600];
    size_t hl = tcp_build_header(seg, &h, opts);
    if (len)
        memcpy(seg + hl, data, len);
    struct csum c;
    csum_init(&c);
    ipv4_csum_add_pseudo(&c, src, dst, IPV4_PROTO_TCP, (uint16_t)(hl + len));
    csum_add(&c, seg, hl + len);
    store_be16(seg + 16, csum_finish(&c));
    static uint8_t frame[1700];
    size_t n = build_ipv4_frame(frame, to->eth.mac, src, dst, IPV4_PROTO_TCP, 77, 0, seg, hl + len);
    if (to == sb)
        inject(netdev_pair_end(tf_pair, 1), tf_pool_b, frame, n);
    else
        inject(&tf_tap.dev, tf_pool_a, frame, n);
}

/* An ICMP destination-unreachable (code; next_hop_mtu for fragmentation needed) to `to`, quoting
 * a TCP segment `to` sent from its sport to dport with sequence number seq. */
static inline void tf_inject_icmp_unreach(struct netstack *to, uint32_t from_ip, uint8_t code,
                                          uint16_t next_hop_mtu, uint32_t quoted_src,
                                          uint32_t quoted_dst, uint16_t sport, uint16_t dport,
                                          uint32_t seq, uint16_t quoted_total_len)
{
    uint8_t quote[28];
    fixture_ipv4_header(quote, quoted_src, quoted_dst, IPV4_PROTO_TCP, 9, 0x4000,
                        quoted_total_len - IPV4_HEADER_MIN);
    store_be16(quote + 20, sport);
    store_be16(quote + 22, dport);
    store_be32(quote + 24, seq);
    uint8_t icmp[64];
    size_t il = build_icmp(icmp, ICMP_DEST_UNREACHABLE, code, next_hop_mtu, quote, sizeof(quote));
    uint8_t frame[128];
    size_t n = build_ipv4_frame(frame, to->eth.mac, from_ip, quoted_src, IPV4_PROTO_ICMP, 78, 0,
                                icmp, il);
    if (to == sb)
        inject(netdev_pair_end(tf_pair, 1), tf_pool_b, frame, n);
    else
        inject(&tf_tap.dev, tf_pool_a, frame, n);
}

/* ---- an established pair of connections, A (client) -> B (server) ---- */

struct tf_conns {
    uint16_t port;
    struct tcp_listener *l;
    struct tcp_conn *client, *server;
    int crc, arc;
    bool cdone, adone;
};

static inline int tf_conns_connect(void *arg)
{
    struct tf_conns *p = arg;
    p->crc = tcp_connect(sa, B_IP, p->port, sim_now() + 30 * SEC, &p->client);
    p->cdone = true;
    return 0;
}

static inline int tf_conns_accept(void *arg)
{
    struct tf_conns *p = arg;
    p->arc = tcp_accept(p->l, &p->server, sim_now() + 30 * SEC);
    p->adone = true;
    return 0;
}

/* Listens on B's port, connects from A and accepts; both must succeed within 2 s. */
static inline void tf_open(struct tf_conns *p, uint16_t port)
{
    memset(p, 0, sizeof(*p));
    p->port = port;
    ck_assert_int_eq(tcp_listen(sb, port, 8, &p->l), 0);
    fiber_detach(fiber_spawn("accept", tf_conns_accept, p, 0));
    fiber_detach(fiber_spawn("connect", tf_conns_connect, p, 0));
    uint64_t end = sim_now() + 2 * SEC;
    while (!(p->cdone && p->adone) && sim_now() < end)
        run_for(MS);
    ck_assert(p->cdone && p->adone);
    ck_assert_int_eq(p->crc, 0);
    ck_assert_int_eq(p->arc, 0);
}

/* Aborts both ends and closes the listener. */
static inline void tf_close_all(struct tf_conns *p)
{
    if (p->client)
        tcp_abort(p->client);
    if (p->server)
        tcp_abort(p->server);
    if (p->l)
        tcp_listener_close(p->l);
    p->client = p->server = NULL;
    p->l = NULL;
}

/* Deterministic test data. */
static inline uint8_t pattern_byte(size_t i)
{
    return (uint8_t)(i * 131 + (i >> 8) * 7 + 3);
}
static inline void fill_pattern(uint8_t *buf, size_t len, size_t start)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern_byte(start + i);
}

/* ---- fibers ---- */

/* A server: listen on port, accept one connection, then read everything until EOF into buf
 * (echoing it back when echo is set), then close. */
struct tf_server {
    uint16_t port;
    struct tcp_listener *l;
    struct tcp_conn *conn;
    bool echo;
    bool keep_open;                 /* do not close after EOF */
    int accept_rc;
    long read_rc;                   /* last tcp_read result */
    uint8_t *buf;
    size_t cap, got;
    bool done;
};

static inline int tf_server_fiber(void *arg)
{
    struct tf_server *s = arg;
    s->accept_rc = tcp_accept(s->l, &s->conn, DEADLINE_NONE);
    if (s->accept_rc)
        goto out;
    for (;;) {
        uint8_t chunk[4096];
        long n = tcp_read(s->conn, chunk, sizeof(chunk), DEADLINE_NONE);
        s->read_rc = n;
        if (n <= 0)
            break;
        size_t keep = (size_t)n;
        if (s->got + keep > s->cap)
            keep = s->cap - s->got;
        memcpy(s->buf + s->got, chunk, keep);
        s->got += keep;
        if (s->echo) {
            long w = tcp_write(s->conn, chunk, (size_t)n, DEADLINE_NONE);
            if (w != n)
                break;
        }
    }
    if (!s->keep_open) {
        tcp_close(s->conn);
        s->conn = NULL;
    }
out:
    s->done = true;
    return 0;
}

/* A client: connect, write len bytes of pattern, shut down writing, read what comes back. */
struct tf_client {
    uint32_t dst;
    uint16_t port;
    size_t len;
    struct tcp_conn *conn;
    int connect_rc;
    long write_rc;
    long read_rc;
    uint8_t *back;
    size_t back_cap, back_got;
    bool keep_open;
    bool done;
};

static inline int tf_client_fiber(void *arg)
{
    struct tf_client *c = arg;
    c->connect_rc = tcp_connect(sa, c->dst, c->port, sim_now() + 60 * SEC, &c->conn);
    if (c->connect_rc)
        goto out;
    uint8_t *data = malloc(c->len ? c->len : 1);
    fill_pattern(data, c->len, 0);
    c->write_rc = tcp_write(c->conn, data, c->len, DEADLINE_NONE);
    free(data);
    tcp_shutdown(c->conn, TCP_SHUT_WR);
    for (;;) {
        uint8_t chunk[4096];
        long n = tcp_read(c->conn, chunk, sizeof(chunk), DEADLINE_NONE);
        c->read_rc = n;
        if (n <= 0)
            break;
        size_t keep = (size_t)n;
        if (c->back_got + keep > c->back_cap)
            keep = c->back_cap - c->back_got;
        if (c->back)
            memcpy(c->back + c->back_got, chunk, keep);
        c->back_got += keep;
    }
    if (!c->keep_open) {
        tcp_close(c->conn);
        c->conn = NULL;
    }
out:
    c->done = true;
    return 0;
}

static inline bool tf_pattern_ok(const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != pattern_byte(i))
            return false;
    return true;
}

#endif
