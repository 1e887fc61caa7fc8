/*
 * Unit tests for TCP's memory bounds: out-of-order data per connection (never beyond the receive
 * window, at most TCP_RANGES_MAX separate holes, refused before any memory is taken) and the
 * stack-wide budget shared by every send, receive and out-of-order byte (total_buffer_limit).
 * The hostile peer is forged: segments as if from B to A's connections while A's own
 * transmissions are dropped at the tap. Every refusal is counted.
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5104

static uint8_t junk[1400];

/* A peer sending far-ahead out-of-order data cannot make A hold more than the window, nor more
 * than TCP_RANGES_MAX holes; what it refuses costs no memory and is counted. */
START_TEST(out_of_order_bounded_per_connection)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    tf_tap_set_filter(tf_drop_tx, NULL);
    struct tcp_conn *c = p.client;
    struct tcp_census census;
    tcp_get_census(sa, &census);
    size_t base = census.buffered_bytes;
    uint32_t window = c->rcv_adv - c->rcv_nxt;
    ck_assert_uint_gt(window, 100000);
    /* Wholly beyond the window: unacceptable (RFC 9293 3.10.7.4), nothing stored. */
    forge_data(c, 10u * 1024 * 1024, 0, junk, 1000);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_unacceptable, 1);
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.buffered_bytes, base);
    /* Straddling the right edge: trimmed to the window. */
    forge_data(c, window - 100, 0, junk, 1000);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_window_trimmed, 900);
    struct tcp_conn_info ci;
    tcp_get_info(c, &ci);
    ck_assert_uint_eq(ci.ooo_queued, 100);
    /* Many separate holes: TCP_RANGES_MAX are kept, the rest refused before storing. */
    for (uint32_t i = 0; i < 40; i++)
        forge_data(c, 1 + i * 5000, 0, junk, 10);
    settle();
    ck_assert_uint_eq(c->ooo.count, TCP_RANGES_MAX);
    ck_assert_uint_eq(sa->tcp.stats.rx_out_of_order, TCP_RANGES_MAX);
    ck_assert_uint_eq(sa->tcp.stats.rx_ooo_dropped, 40 - (TCP_RANGES_MAX - 1));
    tcp_get_census(sa, &census);
    ck_assert_uint_le(census.buffered_bytes - base, TCP_RANGES_MAX * TCP_BUF_CHUNK);
    tcp_get_info(c, &ci);
    ck_assert_uint_le(ci.ooo_queued, window);
    /* Filling the gap delivers what was held, in order. */
    tf_close_all(&p);
    tf_tap_set_filter(NULL, NULL);
}
END_TEST

/* The stack-wide budget: out-of-order data on two connections and a send buffer all draw on
 * total_buffer_limit; beyond it bytes are refused (counted in buffer_limit), never allocated, and a
 * write reports how much it queued. */
START_TEST(total_budget_shared_by_connections)
{
    struct tcp_config cfg;
    tcp_get_config(sa, &cfg);
    cfg.total_buffer_limit = 64 * 1024;
    ck_assert_int_eq(tcp_set_config(sa, &cfg), 0);
    struct tf_conns p, q;
    tf_open(&p, PORT);
    tf_open(&q, PORT + 1);
    tf_tap_set_filter(tf_drop_tx, NULL);
    struct tcp_census census;
    for (uint32_t i = 0; i < 40; i++) {
        forge_data(p.client, 1 + i * 1000, 0, junk, 1000);
        forge_data(q.client, 1 + i * 1000, 0, junk, 1000);
        settle();
        tcp_get_census(sa, &census);
        ck_assert_uint_le(census.buffered_bytes, 64 * 1024);
    }
    ck_assert_uint_gt(sa->tcp.stats.buffer_limit, 0);
    struct tcp_conn_info pi, qi;
    tcp_get_info(p.client, &pi);
    tcp_get_info(q.client, &qi);
    ck_assert_uint_gt(pi.ooo_queued, 0);
    ck_assert_uint_gt(qi.ooo_queued, 0);
    ck_assert_uint_lt(pi.ooo_queued + qi.ooo_queued, 80 * 1000);
    /* The send buffer draws on the same budget: with the budget spent, a write queues nothing. */
    uint64_t refused = sa->tcp.stats.buffer_limit;
    static uint8_t data[128 * 1024];
    ck_assert_int_eq(tcp_write(p.client, data, sizeof(data), 0), -EAGAIN);
    ck_assert_uint_gt(sa->tcp.stats.buffer_limit, refused);
    /* Releasing one connection gives its memory back; a write takes what fits (partial). */
    tf_close_all(&q);
    tcp_get_census(sa, &census);
    size_t after = census.buffered_bytes;
    long w = tcp_write(p.client, data, sizeof(data), 0);
    ck_assert_int_gt(w, 0);
    ck_assert_int_lt(w, (long)sizeof(data));
    ck_assert_uint_ge((size_t)w, 64 * 1024 - after - TCP_BUF_CHUNK);
    tcp_get_census(sa, &census);
    ck_assert_uint_gt(census.buffered_bytes, after);
    ck_assert_uint_le(census.buffered_bytes, 64 * 1024);
    tf_close_all(&p);
    tf_tap_set_filter(NULL, NULL);
}
END_TEST

/* The per-connection send buffer: a write never queues more than its size. */
START_TEST(send_buffer_bounded_per_connection)
{
    struct tcp_config cfg;
    tcp_get_config(sa, &cfg);
    cfg.sndbuf_default = 16 * 1024;
    ck_assert_int_eq(tcp_set_config(sa, &cfg), 0);
    struct tf_conns p;
    tf_open(&p, PORT);
    tf_tap_set_filter(tf_drop_tx, NULL);                 /* nothing is ever acknowledged */
    static uint8_t data[64 * 1024];
    ck_assert_int_eq(tcp_write(p.client, data, sizeof(data), 0), 16 * 1024);
    ck_assert_int_eq(tcp_write(p.client, data, sizeof(data), 0), -EAGAIN);
    struct tcp_conn_info ci;
    tcp_get_info(p.client, &ci);
    ck_assert_uint_eq(ci.send_queued, 16 * 1024);
    tf_close_all(&p);
    tf_tap_set_filter(NULL, NULL);
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
    Suite *s = suite_create("tcp_bounds");
    TCase *tc = tcase_create("bounds");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, out_of_order_bounded_per_connection);
    tcase_add_test(tc, total_budget_shared_by_connections);
    tcase_add_test(tc, send_buffer_bounded_per_connection);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
