/*
 * Unit tests for the fiber API's blocking rules (net/tcp/tcp.h): read and write deadlines, partial
 * writes reported when the send buffer stays full past the deadline, abort (RFC 9293 3.10.5), reset
 * (the same ABORT with the handle kept by its owner), and ephemeral ports that do not follow a
 * predictable sequence (RFC 6056).
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5108

struct io {
    struct tcp_conn *c;
    uint64_t deadline;
    const uint8_t *data;
    size_t len;
    long rc;
    uint64_t at;
    bool done;
};

static int read_fiber(void *arg)
{
    struct io *io = arg;
    static uint8_t buf[4096];
    io->rc = tcp_read(io->c, buf, sizeof(buf), io->deadline);
    io->at = sim_now();
    io->done = true;
    return 0;
}

static int write_fiber(void *arg)
{
    struct io *io = arg;
    io->rc = tcp_write(io->c, io->data, io->len, io->deadline);
    io->at = sim_now();
    io->done = true;
    return 0;
}

/* tcp_read blocks only the calling fiber, until data or its deadline; a past deadline answers at
 * once. The deadline is -EAGAIN, never -ETIMEDOUT, which means the connection died of timeouts
 * (timers: user_timeout checks that side). */
START_TEST(read_deadline)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    uint8_t b;
    ck_assert_int_eq(tcp_read(p.server, &b, 1, 0), -EAGAIN);
    uint64_t t0 = sim_now();
    struct io r = { .c = p.server, .deadline = t0 + 500 * MS };
    fiber_detach(fiber_spawn("read", read_fiber, &r, 0));
    RUN_UNTIL(r.done, 2 * SEC);
    ck_assert_int_eq(r.rc, -EAGAIN);
    ck_assert_uint_eq(r.at, t0 + 500 * MS);
    /* Data arriving before the deadline ends the wait with it. */
    struct io r2 = { .c = p.server, .deadline = sim_now() + 5 * SEC };
    fiber_detach(fiber_spawn("read", read_fiber, &r2, 0));
    run_for(100 * MS);
    ck_assert(!r2.done);
    ck_assert_int_eq(tcp_write(p.client, "abc", 3, 0), 3);
    RUN_UNTIL(r2.done, SEC);
    ck_assert_int_eq(r2.rc, 3);
    ck_assert_uint_lt(r2.at, r2.deadline);
    tf_close_all(&p);
}
END_TEST

/* tcp_write with the send buffer full: at the deadline it returns the bytes it queued (a partial
 * write); with nothing queued, -EAGAIN; once the reader drains, the rest goes. */
START_TEST(write_deadline_partial)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    cfg.rcvbuf_default = 8192;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), 0);
    struct tf_conns p;
    tf_open(&p, PORT);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_SNDBUF, 8192), 0);
    static uint8_t data[64 * 1024];
    fill_pattern(data, sizeof(data), 0);
    uint64_t t0 = sim_now();
    struct io w = { .c = p.client, .deadline = t0 + 2 * SEC, .data = data, .len = sizeof(data) };
    fiber_detach(fiber_spawn("write", write_fiber, &w, 0));
    RUN_UNTIL(w.done, 5 * SEC);
    ck_assert(w.done);
    ck_assert_uint_eq(w.at, t0 + 2 * SEC);
    ck_assert_int_eq(w.rc, 8192 + 8192);              /* B's window plus our buffer */
    struct io w2 = { .c = p.client, .deadline = sim_now() + SEC, .data = data, .len = 10 };
    fiber_detach(fiber_spawn("write", write_fiber, &w2, 0));
    RUN_UNTIL(w2.done, 5 * SEC);
    ck_assert_int_eq(w2.rc, -EAGAIN);
    /* The rest, with no deadline, completes as B reads. */
    struct io w3 = { .c = p.client, .deadline = DEADLINE_NONE, .data = data + w.rc,
                     .len = sizeof(data) - (size_t)w.rc };
    fiber_detach(fiber_spawn("write", write_fiber, &w3, 0));
    static uint8_t got[64 * 1024];
    size_t n = 0;
    uint64_t end = sim_now() + 60 * SEC;
    while (n < sizeof(got) && sim_now() < end) {
        long r = tcp_read(p.server, got + n, sizeof(got) - n, 0);
        if (r > 0)
            n += (size_t)r;
        else
            run_for(10 * MS);
    }
    ck_assert(w3.done);
    ck_assert_int_eq(w3.rc, (long)(sizeof(data) - (size_t)w.rc));
    ck_assert_uint_eq(n, sizeof(got));
    ck_assert(tf_pattern_ok(got, n));
    tf_close_all(&p);
}
END_TEST

/* The send buffer's slot table is made by the first write, not with the TCB: an open that never
 * sends holds none, yet reports its whole buffer writable, and a size set before the first write
 * is rounded to whole chunks as a resize would be. */
START_TEST(send_buffer_made_on_first_write)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    ck_assert_ptr_null(p.client->sndbuf.chunks);
    ck_assert_ptr_null(p.server->sndbuf.chunks);
    struct tcp_config cfg;
    tcp_get_config(sa, &cfg);
    ck_assert_uint_eq(tcp_writable(p.client), cfg.sndbuf_default);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_SNDBUF, 5000), 0);
    ck_assert_ptr_null(p.client->sndbuf.chunks);
    long size = 0;
    ck_assert_int_eq(tcp_get_option(p.client, TCP_SOCKOPT_SNDBUF, &size), 0);
    ck_assert_int_eq(size, 2 * TCP_BUF_CHUNK);
    ck_assert_uint_eq(tcp_writable(p.client), 2 * TCP_BUF_CHUNK);
    static const uint8_t hello[5] = "hello";
    ck_assert_int_eq(tcp_write(p.client, hello, sizeof(hello), 0), (long)sizeof(hello));
    ck_assert_ptr_nonnull(p.client->sndbuf.chunks);
    ck_assert_uint_eq(p.client->sndbuf.capacity, 2 * TCP_BUF_CHUNK);
    uint8_t got[8];
    long n = 0;
    RUN_UNTIL((n = tcp_read(p.server, got, sizeof(got), 0)) > 0, SEC);
    ck_assert_int_eq(n, (long)sizeof(hello));
    ck_assert_mem_eq(got, hello, sizeof(hello));
    ck_assert_ptr_null(p.server->sndbuf.chunks);            /* the server never wrote */
    tf_close_all(&p);
}
END_TEST

static enum tf_verdict drop_tx_data(const struct tf_seg *s, void *ctx)
{
    (void)ctx;
    return s->tx && s->len ? TF_DROP : TF_PASS;
}

/* RFC 9293 3.10.5 (ABORT): queued data is discarded, a RST <SEQ=SND.NXT> goes to the peer, the
 * peer's blocked read fails with "connection reset", and all memory comes back at once. */
START_TEST(abort_discards_and_resets)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    tf_tap_set_filter(drop_tx_data, NULL);
    static uint8_t data[20000];
    ck_assert_int_eq(tcp_write(p.client, data, sizeof(data), 0), (long)sizeof(data));
    struct io r = { .c = p.server, .deadline = DEADLINE_NONE };
    fiber_detach(fiber_spawn("read", read_fiber, &r, 0));
    run_for(10 * MS);
    ck_assert(!r.done);
    uint32_t snd_nxt = p.client->snd_nxt;
    tf_tap_clear();
    tcp_abort(p.client);
    p.client = NULL;
    const struct tf_seg *rst = tap_find(true, TCP_FLAG_RST);
    ck_assert_ptr_nonnull(rst);
    ck_assert_uint_eq(rst->h.seq, snd_nxt);
    struct tcp_census census;
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.connections, 0);
    ck_assert_uint_eq(census.buffered_bytes, 0);
    ck_assert_uint_eq(sa->tcp.stats.conn_aborted, 1);
    RUN_UNTIL(r.done, SEC);
    ck_assert_int_eq(r.rc, -ECONNRESET);
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}
END_TEST

/* tcp_reset (xenolith/tcp.h) is RFC 9293 3.10.5 ABORT without releasing the handle: a RST
 * <SEQ=SND.NXT> goes to the peer, queued data is discarded, the owner's blocked read wakes with
 * -ECONNABORTED, later calls fail the same way, and the handle stays valid (CLOSED) until the owner
 * closes it. A stopping server uses it on connections whose fibers did not end in time. */
START_TEST(reset_wakes_owner_and_keeps_handle)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    tf_tap_set_filter(drop_tx_data, NULL);
    static uint8_t data[20000];
    ck_assert_int_eq(tcp_write(p.client, data, sizeof(data), 0), (long)sizeof(data));
    struct io owner = { .c = p.client, .deadline = DEADLINE_NONE };
    struct io peer = { .c = p.server, .deadline = DEADLINE_NONE };
    fiber_detach(fiber_spawn("owner", read_fiber, &owner, 0));
    fiber_detach(fiber_spawn("peer", read_fiber, &peer, 0));
    run_for(10 * MS);
    ck_assert(!owner.done && !peer.done);
    uint32_t snd_nxt = p.client->snd_nxt;
    tf_tap_clear();
    tcp_reset(p.client);
    const struct tf_seg *rst = tap_find(true, TCP_FLAG_RST);
    ck_assert_ptr_nonnull(rst);
    ck_assert_uint_eq(rst->h.seq, snd_nxt);
    RUN_UNTIL(owner.done && peer.done, SEC);
    ck_assert_int_eq(owner.rc, -ECONNABORTED);
    ck_assert_int_eq(peer.rc, -ECONNRESET);
    /* The handle is still the owner's: it reads CLOSED with the error, holds no buffers. */
    struct tcp_conn_info info;
    tcp_get_info(p.client, &info);
    ck_assert_int_eq(info.state, TCPS_CLOSED);
    ck_assert_int_eq(info.error, -ECONNABORTED);
    uint8_t b;
    ck_assert_int_eq(tcp_read(p.client, &b, 1, 0), -ECONNABORTED);
    ck_assert_int_eq(tcp_write(p.client, "x", 1, 0), -ECONNABORTED);
    struct tcp_census census;
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.connections, 0);
    ck_assert_uint_eq(census.buffered_bytes, 0);
    ck_assert_uint_eq(sa->tcp.stats.conn_aborted, 1);
    /* A second reset changes nothing (no second RST); closing releases the handle. */
    tf_tap_clear();
    tcp_reset(p.client);
    ck_assert_ptr_null(tap_find(true, TCP_FLAG_RST));
    ck_assert_uint_eq(sa->tcp.stats.conn_aborted, 1);
    tcp_close(p.client);
    p.client = NULL;
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}
END_TEST

struct opener {
    uint16_t port;
    int rc;
    bool done;
    struct tcp_conn *c;
};

static int open_fiber(void *arg)
{
    struct opener *o = arg;
    o->rc = tcp_connect(sa, B_IP, o->port, sim_now() + 5 * SEC, &o->c);
    o->done = true;
    return 0;
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* RFC 6056 (Algorithm 3): ephemeral ports come from 49152-65535 and do not form a sequence an
 * attacker could extrapolate across destinations; concurrent connections never share one. */
START_TEST(ephemeral_ports_unpredictable)
{
    enum { N = 12 };
    struct tcp_listener *l[N];
    struct opener o[N];
    uint16_t ports[N];
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(tcp_listen(sb, (uint16_t)(PORT + 10 + i), 4, &l[i]), 0);
        o[i] = (struct opener){ .port = (uint16_t)(PORT + 10 + i) };
        fiber_detach(fiber_spawn("open", open_fiber, &o[i], 0));
    }
    run_for(SEC);
    for (int i = 0; i < N; i++) {
        ck_assert(o[i].done);
        ck_assert_int_eq(o[i].rc, 0);
        struct tcp_conn_info ci;
        tcp_get_info(o[i].c, &ci);
        ck_assert_uint_ge(ci.local_port, 49152);
        ports[i] = ci.local_port;
    }
    qsort(ports, N, sizeof(ports[0]), cmp_u16);
    unsigned consecutive = 0;
    for (int i = 1; i < N; i++) {
        ck_assert_uint_ne(ports[i], ports[i - 1]);
        if (ports[i] - ports[i - 1] == 1)
            consecutive++;
    }
    ck_assert_uint_lt(consecutive, N / 2);
    ck_assert_uint_gt(ports[N - 1] - ports[0], 1000);
    for (int i = 0; i < N; i++) {
        tcp_abort(o[i].c);
        tcp_listener_close(l[i]);
    }
}
END_TEST

static void setup(void)
{
    tcp_fixture_setup();
}

static void teardown(void)
{
    tcp_fixture_down();
}

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_api");
    TCase *tc = tcase_create("api");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, read_deadline);
    tcase_add_test(tc, write_deadline_partial);
    tcase_add_test(tc, send_buffer_made_on_first_write);
    tcase_add_test(tc, abort_discards_and_resets);
    tcase_add_test(tc, reset_wakes_owner_and_keeps_handle);
    tcase_add_test(tc, ephemeral_ports_unpredictable);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
