/*
 * Unit tests for receive buffers and the window scale: the scale offered in the SYN follows the
 * receive buffer configured before it (tcp_connect_sized, tcp_listener_set_buffers; RFC 7323 2.3),
 * so a buffer above 512 KiB is offered whole; and growing the receive buffer of an open connection
 * moves only the bytes it holds (TCP_SOCKOPT_RCVBUF).
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5123
#define BIG (4u * 1024 * 1024)

struct opener {
    struct tcp_buffer_sizes sizes;
    int rc;
    bool done;
    struct tcp_conn *c;
};

static int open_fiber(void *arg)
{
    struct opener *o = arg;
    o->rc = tcp_connect_sized(sa, 0, B_IP, PORT, &o->sizes, sim_now() + 5 * SEC, &o->c);
    o->done = true;
    return 0;
}

/* RFC 7323 2.3: the scale is the smallest shift that lets the window field cover the buffer, and
 * it is fixed by the SYN. A 4 MiB receive buffer chosen before the open (either side) is offered
 * with a scale that covers it and the window offered exceeds 512 KiB. (Before, the scale always
 * came from the 256 KiB default: at most 65535 << 3 bytes were ever offered.) */
START_TEST(window_scale_follows_configured_buffer)
{
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    struct tcp_buffer_sizes big = { .rcvbuf = BIG };
    ck_assert_int_eq(tcp_listener_set_buffers(l, &big), 0);
    struct tcp_buffer_sizes bad = { .rcvbuf = 100 };
    ck_assert_int_eq(tcp_listener_set_buffers(l, &bad), -EINVAL);
    struct opener o = { .sizes = { .rcvbuf = BIG } };
    fiber_detach(fiber_spawn("open", open_fiber, &o, 0));
    RUN_UNTIL(o.done, 2 * SEC);
    ck_assert_int_eq(o.rc, 0);
    struct tcp_conn *srv;
    ck_assert_int_eq(tcp_accept(l, &srv, 0), 0);
    uint8_t want = tcp_wscale_for_buffer(BIG);
    ck_assert_uint_ge((uint32_t)0xffff << want, BIG);
    const struct tf_seg *syn = tap_find(true, TCP_FLAG_SYN);
    const struct tf_seg *synack = tap_find(false, TCP_FLAG_SYN | TCP_FLAG_ACK);
    ck_assert_ptr_nonnull(syn);
    ck_assert_ptr_nonnull(synack);
    ck_assert_uint_eq(syn->opts.wscale, want);
    ck_assert_uint_eq(synack->opts.wscale, want);
    ck_assert_uint_eq(o.c->rcvbuf.capacity, BIG);
    ck_assert_uint_eq(srv->rcvbuf.capacity, BIG);
    /* The whole buffer is offered: the peer may send well past 512 KiB unread. */
    ck_assert_uint_gt(pump(o.c, srv, 1, SEC), 0);
    run_for(100 * MS);                               /* B's ACK with its scaled window */
    struct tcp_conn_info ci;
    tcp_get_info(srv, &ci);
    ck_assert_uint_gt(ci.rcv_wnd, 2 * 1024 * 1024);
    tcp_get_info(o.c, &ci);
    ck_assert_uint_gt(ci.snd_wnd, 2 * 1024 * 1024);
    ck_assert_int_eq(tcp_connect_sized(sa, 0, B_IP, PORT, &bad, sim_now(), &o.c), -EINVAL);
    tcp_abort(srv);
    tcp_abort(o.c);
    tcp_listener_close(l);
}
END_TEST

/* TCP_SOCKOPT_RCVBUF on an open connection moves the unread bytes (and out-of-order data) into the
 * larger buffer once. (Before, the unread bytes were counted twice, so growing a buffer more than
 * half full failed with -EINVAL.) */
START_TEST(rcvbuf_grow_with_unread_data)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    static uint8_t data[200 * 1024];
    fill_pattern(data, sizeof(data), 0);
    size_t sent = 0;
    uint64_t end = sim_now() + 10 * SEC;
    while (tcp_readable(p.server) < sizeof(data) && sim_now() < end) {
        if (sent < sizeof(data)) {
            long w = tcp_write(p.client, data + sent, sizeof(data) - sent, 0);
            if (w > 0)
                sent += (size_t)w;
        }
        run_for(MS);
    }
    ck_assert_uint_eq(tcp_readable(p.server), sizeof(data));    /* 200 KiB of a 256 KiB buffer */
    ck_assert_int_eq(tcp_set_option(p.server, TCP_SOCKOPT_RCVBUF, 300 * 1024), 0);
    long v;
    ck_assert_int_eq(tcp_get_option(p.server, TCP_SOCKOPT_RCVBUF, &v), 0);
    ck_assert_int_ge(v, 300 * 1024);
    static uint8_t got[200 * 1024];
    size_t have = 0;
    while (have < sizeof(got)) {
        long r = tcp_read(p.server, got + have, sizeof(got) - have, 0);
        ck_assert_int_gt(r, 0);
        have += (size_t)r;
    }
    ck_assert(tf_pattern_ok(got, sizeof(got)));
    tf_close_all(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_wscale");
    TCase *tc = tcase_create("wscale");
    tcase_add_checked_fixture(tc, tcp_fixture_setup, tcp_fixture_down);
    tcase_add_test(tc, window_scale_follows_configured_buffer);
    tcase_add_test(tc, rcvbuf_grow_with_unread_data);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
