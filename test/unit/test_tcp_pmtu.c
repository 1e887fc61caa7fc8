/*
 * Unit tests for the order of path MTU discovery (RFC 1191 with RFC 5927 4.1): ICMP hands a
 * "fragmentation needed" to TCP first and the path MTU is lowered only when the quote matches a
 * segment in flight; and the MSS lowered by an estimate is raised again once the estimate expires
 * (RFC 1191 6.3).
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5122

/* RFC 5927 4.1 / RFC 1191: a forged "fragmentation needed" whose quote lies outside SND.UNA ..
 * SND.NXT does not lower the path MTU at all (before, ICMP lowered it for every destination before
 * TCP looked at the quote, so a blind forger could shrink any path to 552 bytes for ten minutes);
 * one that quotes a segment in flight lowers both the path MTU and the MSS. */
START_TEST(forged_frag_needed_does_not_lower_pmtu)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    tf_tap_set_filter(tf_drop_tx, NULL);             /* keep data in flight */
    ck_assert_int_eq(tcp_write(p.client, "abcdef", 6, 0), 6);
    uint32_t una = p.client->snd_una, nxt = p.client->snd_nxt;
    uint16_t lport = p.client->ep.local_port;
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_FRAG_NEEDED, 576, A_IP, B_IP, lport, PORT,
                           nxt + 5000, 1500);
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_FRAG_NEEDED, 576, A_IP, B_IP, lport, PORT,
                           una - 5000, 1500);
    /* No connection at all: another port. */
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_FRAG_NEEDED, 576, A_IP, B_IP, lport, PORT + 7,
                           una, 1500);
    settle();
    ck_assert_uint_eq(sa->icmp.stats.rx_frag_needed, 3);
    ck_assert_uint_eq(sa->tcp.stats.rx_icmp_ignored, 3);
    ck_assert_uint_eq(ipv4_path_mtu(&sa->ipv4, B_IP), 1500);
    ck_assert_uint_eq(sa->ipv4.stats.pmtu_updates, 0);
    ck_assert_uint_eq(p.client->mss, 1448);
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_FRAG_NEEDED, 1200, A_IP, B_IP, lport, PORT,
                           una + 2, 1500);
    settle();
    ck_assert_uint_eq(ipv4_path_mtu(&sa->ipv4, B_IP), 1200);
    ck_assert_uint_eq(p.client->mss, 1200 - 40 - 12);
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}
END_TEST

/* RFC 1191 6.3: the estimate is forgotten after IPV4_PMTU_TIMEOUT_NS so a path that grew is used
 * again; a connection whose MSS the estimate lowered raises it again and sends full-sized
 * segments (before, it kept the small MSS for its whole life). */
START_TEST(mss_raised_when_estimate_expires)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    tf_tap_set_filter(tf_drop_tx, NULL);
    ck_assert_int_eq(tcp_write(p.client, "x", 1, 0), 1);
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_FRAG_NEEDED, 1000, A_IP, B_IP,
                           p.client->ep.local_port, PORT, p.client->snd_una, 1500);
    settle();
    tf_tap_set_filter(NULL, NULL);
    ck_assert_uint_eq(p.client->mss, 1000 - 40 - 12);
    run_for(5 * SEC);                                /* the lost byte is retransmitted */
    uint8_t x;
    ck_assert_int_eq(tcp_read(p.server, &x, 1, 0), 1);
    ck_assert_uint_eq(pump(p.client, p.server, 20000, 10 * SEC), 20000);
    ck_assert_uint_eq(p.client->mss, 1000 - 40 - 12);
    run_for(IPV4_PMTU_TIMEOUT_NS);
    tf_tap_clear();
    ck_assert_uint_eq(pump(p.client, p.server, 30000, 10 * SEC), 30000);
    ck_assert_uint_eq(p.client->mss, 1448);
    ck_assert_uint_eq(sa->tcp.stats.pmtu_mss_raised, 1);
    unsigned full = 0;
    for (unsigned i = 0; i < tf_tap.count; i++)
        if (tf_tap.seg[i].tx && tf_tap.seg[i].len == 1448)
            full++;
    ck_assert_uint_gt(full, 0);
    tf_close_all(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_pmtu");
    TCase *tc = tcase_create("pmtu");
    tcase_add_checked_fixture(tc, tcp_fixture_setup, tcp_fixture_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, forged_frag_needed_does_not_lower_pmtu);
    tcase_add_test(tc, mss_raised_when_estimate_expires);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
