/*
 * Unit tests for TCP over a bad network (net/dev/faults.h on A's side of the pair, both
 * directions): loss, reordering, duplication and corruption must never change the byte stream,
 * only its timing. 5 ms one-way latency so windows and timers matter.
 */
#include <stdio.h>

#include "test/unit/tcp_fixture.h"
#include "xenolith/test_main.h"

#define PORT 5002

static uint8_t server_buf[1024 * 1024];
static uint8_t client_buf[1024 * 1024];

static uint64_t bad_checksums;          /* TCP and IPv4 checksum drops of the last transfer */

static void transfer(const struct faults_config *fc, size_t len, struct tcp_conn_info *client_info)
{
    tcp_fixture_up(fc, 5 * MS, 0);
    struct tf_server s = { .port = PORT, .echo = true, .buf = server_buf, .cap = sizeof(server_buf) };
    struct tf_client c = { .dst = B_IP, .port = PORT, .len = len, .back = client_buf,
                           .back_cap = sizeof(client_buf), .keep_open = true };
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &s.l), 0);
    fiber_detach(fiber_spawn("server", tf_server_fiber, &s, 0));
    fiber_detach(fiber_spawn("client", tf_client_fiber, &c, 0));
    uint64_t end = sim_now() + 600 * SEC;
    while (!(s.done && c.done) && sim_now() < end)
        run_for(100 * MS);
    if (!(s.done && c.done) && getenv("TCP_DEBUG")) {
        struct tcp_conn_info i;
        fprintf(stderr, "client rc %d write %ld got %zu; server got %zu\n", c.connect_rc, c.write_rc, c.back_got, s.got);
        if (c.conn) { tcp_get_info(c.conn, &i); fprintf(stderr, "C %s una-flight %u cwnd %u ssth %u wnd %u rto %llu rtx %u q %zu rq %zu ooo %zu err %d\n", tcp_state_name(i.state), i.bytes_in_flight, i.cwnd, i.ssthresh, i.snd_wnd, (unsigned long long)i.rto_us, i.retransmits, i.send_queued, i.recv_queued, i.ooo_queued, i.error); }
        if (s.conn) { tcp_get_info(s.conn, &i); fprintf(stderr, "S %s flight %u cwnd %u ssth %u wnd %u rto %llu rtx %u q %zu rq %zu ooo %zu err %d\n", tcp_state_name(i.state), i.bytes_in_flight, i.cwnd, i.ssthresh, i.snd_wnd, (unsigned long long)i.rto_us, i.retransmits, i.send_queued, i.recv_queued, i.ooo_queued, i.error); }
        netstack_print_stats(sa);
        netstack_print_stats(sb);
        fprintf(stderr, "%s", sim_console_output());
    }
    ck_assert(s.done && c.done);
    ck_assert_int_eq(c.connect_rc, 0);
    ck_assert_int_eq(c.write_rc, (long)len);
    ck_assert_uint_eq(s.got, len);
    ck_assert_uint_eq(c.back_got, len);
    ck_assert(tf_pattern_ok(server_buf, len));
    ck_assert(tf_pattern_ok(client_buf, len));
    ck_assert_int_eq(c.read_rc, 0);
    tcp_get_info(c.conn, client_info);
    bad_checksums = sa->tcp.stats.rx_bad_checksum + sb->tcp.stats.rx_bad_checksum +
                    sa->ipv4.stats.rx_bad_checksum + sb->ipv4.stats.rx_bad_checksum;
    tcp_close(c.conn);
    tcp_listener_close(s.l);
    run_for(120 * SEC);
    tcp_fixture_down();
}

/* RFC 6298 5 (retransmission timer), RFC 5681 3.2 / RFC 6675 (fast retransmit, SACK recovery):
 * 5% loss both ways; the stream arrives intact and losses were repaired by retransmission. */
START_TEST(loss)
{
    struct faults_config fc = { .seed = 11, .directions = FAULTS_TX | FAULTS_RX, .drop_ppm = 50000 };
    struct tcp_conn_info info;
    transfer(&fc, 400 * 1000, &info);
    ck_assert_uint_gt(info.retransmits, 0);
}
END_TEST

/* RFC 9293 3.10.7.4 seventh step, RFC 2018 (SACK): reordered segments are held out of order and
 * delivered once the hole fills. */
START_TEST(reordering)
{
    struct faults_config fc = { .seed = 12, .directions = FAULTS_TX | FAULTS_RX,
                                .reorder_ppm = 100000 };
    struct tcp_conn_info info;
    transfer(&fc, 400 * 1000, &info);
}
END_TEST

/* RFC 9293 3.10.7.4 first check: duplicates are old data (trimmed, ACKed, not delivered twice). */
START_TEST(duplication)
{
    struct faults_config fc = { .seed = 13, .directions = FAULTS_TX | FAULTS_RX,
                                .duplicate_ppm = 100000 };
    struct tcp_conn_info info;
    transfer(&fc, 400 * 1000, &info);
}
END_TEST

/* RFC 9293 3.1: a corrupted segment fails the checksum and is dropped; retransmission repairs it. */
START_TEST(corruption)
{
    struct faults_config fc = { .seed = 14, .directions = FAULTS_TX | FAULTS_RX,
                                .corrupt_ppm = 30000 };
    struct tcp_conn_info info;
    transfer(&fc, 300 * 1000, &info);
    ck_assert_uint_gt(bad_checksums, 0);
}
END_TEST

/* Everything at once, as the netem test does against Linux. */
START_TEST(all_faults)
{
    struct faults_config fc = { .seed = 15, .directions = FAULTS_TX | FAULTS_RX, .drop_ppm = 30000,
                                .reorder_ppm = 30000, .duplicate_ppm = 30000, .corrupt_ppm = 10000 };
    struct tcp_conn_info info;
    transfer(&fc, 300 * 1000, &info);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_loss");
    TCase *tc = tcase_create("loss");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, loss);
    tcase_add_test(tc, reordering);
    tcase_add_test(tc, duplication);
    tcase_add_test(tc, corruption);
    tcase_add_test(tc, all_faults);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
