/*
 * test/unit/tcp_fixture.h: two stacks (A 10.1.0.1, B 10.1.0.2) wired back to back on the in-memory
 * pair with the simulated clock, optionally with the fault injector on A's side, and fibers that
 * run the TCP API exactly as applications do (header-only: each test_*.c is its own program).
 */
#ifndef XENOLITH_TEST_UNIT_TCP_FIXTURE_H
#define XENOLITH_TEST_UNIT_TCP_FIXTURE_H

#include <stdlib.h>

#include "lib/errno.h"
#include "net/dev/faults.h"
#include "net/dev/pair.h"
#include "net/tcp.h"
#include "test/unit/net_ip_fixture.h"

#define A_IP IP4_ADDR(10, 1, 0, 1)
#define B_IP IP4_ADDR(10, 1, 0, 2)

static struct pbuf_pool *tf_pool_a, *tf_pool_b;
static struct netdev_pair *tf_pair;
static struct netdev *tf_faults;             /* wraps A's end when faults are in use */
static struct netstack *sa, *sb;

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
    if (tf_faults)
        netdev_destroy(tf_faults);
    netdev_pair_destroy(tf_pair);
    ck_assert_uint_eq(pool_in_use(tf_pool_a), 0);
    ck_assert_uint_eq(pool_in_use(tf_pool_b), 0);
    pbuf_pool_destroy(tf_pool_a);
    pbuf_pool_destroy(tf_pool_b);
}

static inline void tcp_fixture_setup(void)
{
    tcp_fixture_up(NULL, 0, 0);
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
