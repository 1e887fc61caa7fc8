/*
 * TCP receive without copies, end to end on the in-memory pair: bulk data is kept in the
 * received frames' own buffers (tcp_buf_store) and read out intact, in order and, on a link that
 * drops, duplicates and reorders, out of order with holes filled later (RFC 9293 3.10.7.4: data
 * beyond RCV.NXT is kept and delivered in sequence once the hole fills); every pinned block is
 * given back when the data is read, and the buffer budget ends at zero (nothing charged leaks).
 */
#include "test/unit/tcp_fixture.h"
#include "xenolith/test_main.h"

#define PORT 5003

static uint8_t server_buf[1024 * 1024];
static uint8_t client_buf[1024 * 1024];

static const struct faults_config bad_link = {
    .seed = 4242, .directions = FAULTS_TX | FAULTS_RX,
    .drop_ppm = 20000, .duplicate_ppm = 20000, .reorder_ppm = 50000,
};

static void run_echo(size_t len, struct tf_server *s, struct tf_client *c)
{
    memset(s, 0, sizeof(*s));
    memset(c, 0, sizeof(*c));
    *s = (struct tf_server){ .port = PORT, .echo = true, .buf = server_buf,
                             .cap = sizeof(server_buf) };
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &s->l), 0);
    *c = (struct tf_client){ .dst = B_IP, .port = PORT, .len = len, .back = client_buf,
                             .back_cap = sizeof(client_buf) };
    fiber_detach(fiber_spawn("server", tf_server_fiber, s, 0));
    fiber_detach(fiber_spawn("client", tf_client_fiber, c, 0));
    uint64_t end = sim_now() + 300 * SEC;
    while (!(s->done && c->done) && sim_now() < end)
        run_for(10 * MS);
    ck_assert(s->done && c->done);
    ck_assert_uint_eq(s->got, len);
    ck_assert_uint_eq(c->back_got, len);
    ck_assert(tf_pattern_ok(server_buf, s->got));
    ck_assert(tf_pattern_ok(client_buf, c->back_got));
    tcp_listener_close(s->l);
}

static void expect_nothing_held(void)
{
    run_for(61 * SEC);                           /* TIME_WAIT ends */
    struct tcp_census census;
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.buffered_bytes, 0);
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.buffered_bytes, 0);
    tcp_fixture_down();                          /* every block back in its pool */
}

START_TEST(bulk_is_received_in_the_frames_own_buffers)
{
    tcp_fixture_up(NULL, 0, 0);
    struct tf_server s;
    struct tf_client c;
    run_echo(512 * 1024, &s, &c);
    struct tcp_census census;
    tcp_get_census(sb, &census);
    /* Full-sized segments are kept by reference, not copied. */
    ck_assert_uint_gt(census.rx_stored_by_reference, 300);
    ck_assert_uint_lt(census.rx_stored_by_copy, census.rx_stored_by_reference / 10);
    tcp_get_census(sa, &census);
    ck_assert_uint_gt(census.rx_stored_by_reference, 300);
    expect_nothing_held();
}
END_TEST

START_TEST(out_of_order_data_fills_holes_by_reference)
{
    tcp_fixture_up(&bad_link, 2 * MS, 0);
    struct tf_server s;
    struct tf_client c;
    run_echo(256 * 1024, &s, &c);
    struct faults_stats fs;
    faults_get_stats(tf_faults, &fs);
    ck_assert_uint_gt(fs.dropped, 0);
    ck_assert_uint_gt(fs.reordered, 0);
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_gt(census.rx_stored_by_reference, 100);
    expect_nothing_held();
}
END_TEST

static Suite *rx_suite(void)
{
    Suite *s = suite_create("tcp_buf_rx");
    TCase *tc = tcase_create("rx");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, bulk_is_received_in_the_frames_own_buffers);
    tcase_add_test(tc, out_of_order_data_fills_holes_by_reference);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(rx_suite)
