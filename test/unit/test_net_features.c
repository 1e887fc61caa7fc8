/*
 * Unit tests for an image that leaves every optional network feature but SACK and TCP's
 * timestamps, window scaling and out-of-order queue out
 * (net/wire/features.h; an application's app.mk chooses with APP_NET_WITHOUT, mk/app.mk). This
 * program defines net_features itself, as such an application's image does, so the stack under
 * test is the one that image carries: no DHCP client, NewReno, DupThresh recovery without
 * RACK-TLP, one segment per frame on a TSO device, no SYN cookies, no path MTU discovery, no IPv4
 * reassembly, received data copied rather than kept by reference. Each fallback still follows
 * its RFC. SACK stays so that DupThresh recovery without RACK-TLP is tested; test_net_no_sack.c
 * leaves SACK out too, test_net_features_tcp.c the three TCP features kept here.
 */
#include "test/unit/tcp_forge.h"
#include "lib/errno.h"
#include "net/dhcp/dhcp.h"
#include "net/tcp/tcp_cc.h"
#include "net/udp/udp.h"
#include "net/wire/features.h"
#include "xenolith/test_main.h"

const uint32_t net_features = NET_FEATURE_SACK | NET_FEATURE_TIMESTAMPS | NET_FEATURE_WSCALE |
                               NET_FEATURE_OOO;

#define PORT 5300

static void tso_device_setup(void)
{
    tcp_fixture_up(NULL, MS, NETDEV_CAP_TX_CSUM | NETDEV_CAP_TSO);
}

/* Without a DHCP client the boot cannot configure an address by itself: dhcp_start refuses
 * clearly (netup then fails: the application must be given ip=). */
START_TEST(dhcp_start_refuses)
{
    struct dhcp_params params;
    dhcp_default_params(&params);
    struct dhcp *d = NULL;
    ck_assert_int_eq(dhcp_start(&sa->udp, &params, &d), -EOPNOTSUPP);
    ck_assert_ptr_null(d);
    dhcp_stop(d, false);                          /* what netup_stop would do: nothing */
}
END_TEST

/* Without CUBIC the default is NewReno (RFC 6582), and "cubic" is not an algorithm. */
START_TEST(newreno_is_the_only_algorithm)
{
    ck_assert_ptr_null(tcp_cc_find("cubic"));
    ck_assert_ptr_eq(tcp_cc_find("newreno"), &tcp_cc_newreno);
    ck_assert_str_eq(TCP_CC_DEFAULT, "newreno");
    struct tcp_config cfg;
    tcp_layer_get_config(&sa->tcp, &cfg);
    ck_assert_str_eq(cfg.congestion_control, "newreno");
    memcpy(cfg.congestion_control, "cubic", 6);
    ck_assert_int_eq(tcp_layer_set_config(&sa->tcp, &cfg), -EINVAL);
    struct tf_conns p;
    tf_open(&p, PORT);
    ck_assert_ptr_eq(p.client->cc.ops, &tcp_cc_newreno);
    ck_assert_ptr_eq(p.server->cc.ops, &tcp_cc_newreno);
    ck_assert_int_eq(tcp_set_congestion_control(p.client, "cubic"), -EINVAL);
    tf_close_all(&p);
}
END_TEST

/* Without RACK-TLP a SACK connection has no RACK: a lost segment in a bulk transfer is found by
 * DupThresh SACKed segments and repaired by fast retransmit (RFC 6675 5, RFC 5681 3.2), never by
 * RACK's timer or a tail loss probe. And on a device that offers TSO every frame is one segment. */
START_TEST(loss_is_repaired_by_dupthresh_and_frames_are_single_segments)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    ck_assert(p.client->sack_ok);
    ck_assert_ptr_null(p.client->cc.rack);
    tf_bulk_with_one_loss(&p);
    ck_assert_uint_ge(p.client->cc.counters.fast_retransmits, 1);
    ck_assert_uint_eq(p.client->cc.counters.rack_recoveries, 0);
    ck_assert_uint_eq(p.client->cc.counters.tlp_repairs, 0);
    uint32_t mss = p.client->mss;
    for (unsigned i = 0; i < tf_tap.count; i++)
        if (tf_tap.seg[i].tx)
            ck_assert_uint_le(tf_tap.seg[i].len, mss);
    ck_assert_uint_eq(netdev_pair_end(tf_pair, 0)->stats.tx_gso_frames, 0);
    tf_close_all(&p);
}
END_TEST

/* Without SYN cookies the stack's default has them off and refuses to turn them on; a SYN flood
 * past max_half_open is dropped and counted (RFC 4987 3.1: a bounded half-open queue), with no
 * cookie answered, while the half-open entries already made stay. */
START_TEST(syn_flood_past_the_bound_is_dropped_without_cookies)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    ck_assert(!cfg.syncookies);
    cfg.syncookies = true;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), -EINVAL);
    cfg.syncookies = false;
    cfg.max_half_open = 4;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), 0);
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    struct tcp_options mss = { .present = TCP_OPTF_MSS, .mss = 1460 };
    for (uint16_t i = 0; i < 20; i++)
        tf_inject(sb, IP4_ADDR(10, 1, 0, 9), B_IP, (uint16_t)(30000 + i), PORT, 1000u * i, 0,
                  TCP_FLAG_SYN, 65535, &mss, NULL, 0);
    run_for(10 * MS);
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.half_open, 4);
    ck_assert_uint_eq(sb->tcp.stats.rx_half_open_full, 16);
    ck_assert_uint_eq(sb->tcp.stats.rx_syncookies_sent, 0);
    tcp_listener_close(l);
}
END_TEST

/* Without path MTU discovery (RFC 1191) the path MTU is the interface's: an ICMP "fragmentation
 * needed" that quotes a segment in flight (one RFC 5927 4.1 would believe) is ignored and counted,
 * and TCP keeps the MSS of its handshake (RFC 9293 3.7.1: the interface MTU less the headers,
 * bounded by the peer's MSS option). */
static enum tf_verdict note_df(const struct tf_seg *s, void *ctx)
{
    if (s->tx && s->len && s->dont_fragment)
        (*(unsigned *)ctx)++;
    return TF_DROP;
}

START_TEST(frag_needed_is_ignored_and_the_mss_stays)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    unsigned with_df = 0;
    tf_tap_set_filter(note_df, &with_df);            /* keep data in flight */
    ck_assert_int_eq(tcp_write(p.client, "abcdef", 6, 0), 6);
    settle();
    /* RFC 1191 3: DF is what asks routers for "fragmentation needed"; a host that ignores the
     * answer must leave DF clear, or a narrower path would drop its segments for good. */
    ck_assert_uint_eq(with_df, 0);
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_FRAG_NEEDED, 1200, A_IP, B_IP,
                           p.client->ep.local_port, PORT, p.client->snd_una + 2, 1500);
    settle();
    ck_assert_uint_eq(sa->icmp.stats.rx_frag_needed, 1);
    ck_assert_uint_eq(sa->ipv4.stats.pmtu_updates, 0);
    ck_assert_uint_eq(sa->ipv4.stats.pmtu_ignored, 1);
    ck_assert_uint_eq(ipv4_path_mtu(&sa->ipv4, B_IP), 1500);
    ck_assert_uint_eq(p.client->mss, 1448);
    ck_assert(!ipv4_pmtu_update(&sa->ipv4, B_IP, 1000));
    ck_assert_uint_eq(ipv4_path_mtu(&sa->ipv4, B_IP), 1500);
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}
END_TEST

/* Without IPv4 reassembly (RFC 791 3.2) every fragment received is dropped and counted, and none
 * is held (no reassembly timer, no ICMP time exceeded later); whole datagrams still arrive. The
 * sender still fragments what exceeds the MTU (RFC 791: fragmentation is not the left-out part). */
START_TEST(fragments_are_dropped_and_counted)
{
    static uint8_t big[3000];
    memset(big, 0x5a, sizeof(big));
    struct udp_socket *ua, *ub;
    ck_assert_int_eq(udp_bind(sa, 0, &ua), 0);
    ck_assert_int_eq(udp_bind(sb, 53, &ub), 0);
    uint64_t delivered = sb->udp.stats.rx_datagrams;  /* the fixture's ARP warm-up */
    ck_assert_int_eq(udp_sendto(ua, B_IP, 53, big, sizeof(big)), (int)sizeof(big));
    run_for(SEC);
    ck_assert_uint_eq(sa->ipv4.stats.tx_fragments, 3);
    ck_assert_uint_eq(sb->ipv4.stats.rx_fragments, 3);
    ck_assert_uint_eq(sb->ipv4.stats.rx_reassembly_drops, 3);
    ck_assert_uint_eq(sb->ipv4.stats.rx_reassembled, 0);
    ck_assert_uint_eq(sb->ipv4.reass.stats.fragments, 0);
    ck_assert_uint_eq(ip_reass_next_deadline(&sb->ipv4.reass), UINT64_MAX);
    run_for(30 * SEC);                                /* past any reassembly timeout */
    ck_assert_uint_eq(sb->icmp.stats.tx_time_exceeded, 0);
    ck_assert_uint_eq(sb->udp.stats.rx_datagrams, delivered);
    ck_assert_int_eq(udp_sendto(ua, B_IP, 53, big, 512), 512);
    run_for(SEC);
    static uint8_t buf[4000];
    ck_assert_int_eq(udp_recvfrom(ub, buf, sizeof(buf), NULL, NULL, 0), 512);
    udp_close(ua);
    udp_close(ub);
}
END_TEST

/* Without receive by reference every received segment is copied into the receive buffer's
 * chunks: nothing is kept in the frames' own buffers, nothing pinned, the bytes arrive intact. */
START_TEST(received_data_is_copied_not_kept_by_reference)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    ck_assert_uint_eq(pump(p.client, p.server, 256 * 1024, 30 * SEC), 256 * 1024);
    ck_assert_uint_eq(pump(p.server, p.client, 64 * 1024, 30 * SEC), 64 * 1024);
    struct tcp_census census;
    for (unsigned i = 0; i < 2; i++) {
        tcp_get_census(i ? sb : sa, &census);
        ck_assert_uint_eq(census.rx_stored_by_reference, 0);
        ck_assert_uint_gt(census.rx_stored_by_copy, 40);
        ck_assert_uint_eq(census.rx_collapsed, 0);
    }
    ck_assert_ptr_null(p.server->rcvbuf.extents);
    ck_assert_uint_eq(p.server->rcvbuf.pinned, 0);
    tf_close_all(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("net_features");
    TCase *tc = tcase_create("none");
    tcase_add_checked_fixture(tc, tso_device_setup, tcp_fixture_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, dhcp_start_refuses);
    tcase_add_test(tc, newreno_is_the_only_algorithm);
    tcase_add_test(tc, loss_is_repaired_by_dupthresh_and_frames_are_single_segments);
    tcase_add_test(tc, syn_flood_past_the_bound_is_dropped_without_cookies);
    tcase_add_test(tc, frag_needed_is_ignored_and_the_mss_stays);
    tcase_add_test(tc, fragments_are_dropped_and_counted);
    tcase_add_test(tc, received_data_is_copied_not_kept_by_reference);
    suite_add_tcase(s, tc);
    return s;
}
TEST_MAIN(suite)
