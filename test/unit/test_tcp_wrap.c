/*
 * Unit test for sequence-number and timestamp wrap (RFC 9293 3.4: sequence space is modular;
 * RFC 7323 5.2: TSval comparisons are modular too): both ends start just below 2^32 (through the
 * test hooks of net/tcp/tcp_internal.h) and move data both ways across the wrap over a wire that loses,
 * reorders and duplicates, so retransmission, SACK, reassembly, PAWS and window arithmetic all
 * meet values on both sides of zero.
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5103
#define LEN (400 * 1000)

static uint8_t server_buf[LEN];
static uint8_t client_buf[LEN];

START_TEST(transfer_across_sequence_and_timestamp_wrap)
{
    struct faults_config fc = { .seed = 21, .directions = FAULTS_TX | FAULTS_RX, .drop_ppm = 30000,
                                .reorder_ppm = 50000, .duplicate_ppm = 20000 };
    tcp_fixture_up(&fc, 5 * MS, 0);
    uint32_t ts_now = tcp_ts_clock(sim_now());
    struct tcp_test_hooks ha = { .fixed_iss = true, .iss = 0xffffffffu - 30000,
                                 .fixed_ts_offset = true, .ts_offset = 0xffffffffu - 300 - ts_now };
    struct tcp_test_hooks hb = { .fixed_iss = true, .iss = 0xffffffffu - 50000,
                                 .fixed_ts_offset = true, .ts_offset = 0xffffffffu - 200 - ts_now };
    tcp_test_set_hooks(&sa->tcp, &ha);
    tcp_test_set_hooks(&sb->tcp, &hb);
    struct tf_server s = { .port = PORT, .echo = true, .buf = server_buf, .cap = sizeof(server_buf) };
    struct tf_client c = { .dst = B_IP, .port = PORT, .len = LEN, .back = client_buf,
                           .back_cap = sizeof(client_buf), .keep_open = true };
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &s.l), 0);
    fiber_detach(fiber_spawn("server", tf_server_fiber, &s, 0));
    fiber_detach(fiber_spawn("client", tf_client_fiber, &c, 0));
    RUN_UNTIL(s.done && c.done, 600 * SEC);
    ck_assert(s.done && c.done);
    ck_assert_int_eq(c.connect_rc, 0);
    ck_assert_int_eq(c.write_rc, LEN);
    ck_assert_uint_eq(s.got, LEN);
    ck_assert_uint_eq(c.back_got, LEN);
    ck_assert(tf_pattern_ok(server_buf, LEN));
    ck_assert(tf_pattern_ok(client_buf, LEN));
    ck_assert_int_eq(c.read_rc, 0);
    /* Both directions really crossed zero, and the network really misbehaved. */
    struct tcp_conn *cc = c.conn;
    ck_assert_uint_eq(cc->iss, 0xffffffffu - 30000);
    ck_assert_uint_lt(cc->snd_nxt, 0x10000000u);
    ck_assert_uint_lt(cc->rcv_nxt, 0x10000000u);
    ck_assert(cc->ts_ok);
    ck_assert_uint_lt(tcp_tsval(cc), 0x10000000u);
    ck_assert_uint_lt(cc->ts_recent, 0x10000000u);
    ck_assert_uint_gt(cc->stats.retransmits, 0);
    ck_assert_uint_gt(sa->tcp.stats.rx_out_of_order + sb->tcp.stats.rx_out_of_order, 0);
    /* PAWS across the timestamp wrap: a broken comparison would reject nearly every segment
     * after it. A few rejections are legitimate on this link: a reordered segment can arrive
     * after a later-stamped retransmission filled the hole and raised TS.Recent (RFC 7323 5.3). */
    uint64_t rx = sa->tcp.stats.rx_segments + sb->tcp.stats.rx_segments;
    ck_assert_uint_lt(100 * (sa->tcp.stats.rx_paws_rejected + sb->tcp.stats.rx_paws_rejected), rx);
    tcp_close(c.conn);
    tcp_listener_close(s.l);
    run_for(120 * SEC);
    tcp_fixture_down();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_wrap");
    TCase *tc = tcase_create("wrap");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, transfer_across_sequence_and_timestamp_wrap);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
