/*
 * Unit tests for net/ethernet and the device core: RFC 894 framing (header layout, EtherType
 * dispatch, 60-byte minimum with padding), our receive filter, counted drops, the software
 * checksum fallback for TX offload, and netdev length checks.
 */
#include "test/unit/net_core_fixture.h"
#include "lib/checksum.h"
#include "lib/errno.h"
#include "xenolith/test_main.h"

static struct pbuf_pool *rxpool;
static struct capture_dev cap;
static struct netstack *s;
static unsigned handled;
static uint8_t handled_first;
static uint32_t handled_len;
static uint16_t handled_flags;

static void test_handler(void *ctx, struct pbuf *p)
{
    handled++;
    handled_len = p->tot_len;
    handled_flags = p->flags;
    pbuf_copy_out(p, 0, &handled_first, 1);
    pbuf_free(p);
}

#define TEST_ETHERTYPE 0x88b5   /* IEEE local experimental */

static void setup(void)
{
    core_boot();
    rxpool = pbuf_pool_create("rx", 64);
    capture_init(&cap, 0, rxpool);
    s = netstack_create(&cap.dev);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(eth_register(&s->eth, TEST_ETHERTYPE, test_handler, NULL), 0);
    handled = 0;
}

static void teardown(void)
{
    netstack_destroy(s);
    ck_assert_uint_eq(pool_in_use(rxpool), 0);
    pbuf_pool_destroy(rxpool);
}

static size_t frame_to(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memset(f, 0, 60);
    build_eth(f, dst, src, type);
    f[14] = 0x5a;
    return 60;
}

/* RFC 894: destination, source, type; the payload follows the 14-byte header. */
START_TEST(output_builds_header)
{
    struct pbuf *p = pbuf_alloc(s->pool, 100);
    memset(p->data, 0x42, 100);
    ck_assert_int_eq(eth_output(&s->eth, p, PEER_MAC, TEST_ETHERTYPE), 0);
    ck_assert_uint_eq(cap.count, 1);
    ck_assert_uint_eq(cap.len[0], 114);
    ck_assert_mem_eq(cap.frame[0], PEER_MAC, 6);
    ck_assert_mem_eq(cap.frame[0] + 6, cap.dev.mac, 6);
    ck_assert_uint_eq(load_be16(cap.frame[0] + 12), TEST_ETHERTYPE);
    ck_assert_uint_eq(cap.frame[0][14], 0x42);
    ck_assert_uint_eq(s->eth.stats.tx_frames, 1);
}
END_TEST

/* RFC 894 "Frame Format": the data field is at least 46 bytes, so short frames are padded to 60
 * (without FCS) with zeros. */
START_TEST(output_pads_to_minimum)
{
    struct pbuf *p = pbuf_alloc(s->pool, 28);
    memset(p->data, 0x11, 28);
    ck_assert_int_eq(eth_output(&s->eth, p, PEER_MAC, TEST_ETHERTYPE), 0);
    ck_assert_uint_eq(cap.len[0], ETH_MIN_FRAME);
    for (unsigned i = 14 + 28; i < 60; i++)
        ck_assert_uint_eq(cap.frame[0][i], 0);
    ck_assert_uint_eq(s->eth.stats.tx_padded, 1);
}
END_TEST

START_TEST(output_without_headroom_chains_a_header)
{
    struct pbuf *p = pbuf_alloc_headroom(s->pool, 80, 0);
    memset(p->data, 0x33, 80);
    ck_assert_int_eq(eth_output(&s->eth, p, PEER_MAC, TEST_ETHERTYPE), 0);
    ck_assert_uint_eq(cap.len[0], 94);
    ck_assert_uint_eq(load_be16(cap.frame[0] + 12), TEST_ETHERTYPE);
    ck_assert_uint_eq(cap.frame[0][14], 0x33);
    ck_assert_uint_eq(cap.frame[0][93], 0x33);
}
END_TEST

START_TEST(input_dispatches_unicast_to_us)
{
    uint8_t f[60];
    inject(&cap.dev, rxpool, f, frame_to(f, cap.dev.mac, PEER_MAC, TEST_ETHERTYPE));
    ck_assert_uint_eq(handled, 1);
    ck_assert_uint_eq(handled_len, 46);    /* header removed, padding left for the upper layer */
    ck_assert_uint_eq(handled_first, 0x5a);
    ck_assert_uint_eq(handled_flags & (PBUF_F_LINK_BCAST | PBUF_F_LINK_MCAST), 0);
    ck_assert_uint_eq(s->eth.stats.rx_frames, 1);
}
END_TEST

START_TEST(input_accepts_broadcast_and_all_hosts)
{
    uint8_t f[60];
    static const uint8_t all_hosts[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    static const uint8_t other_group[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
    inject(&cap.dev, rxpool, f, frame_to(f, BCAST, PEER_MAC, TEST_ETHERTYPE));
    ck_assert_uint_eq(handled, 1);
    ck_assert(handled_flags & PBUF_F_LINK_BCAST);
    inject(&cap.dev, rxpool, f, frame_to(f, all_hosts, PEER_MAC, TEST_ETHERTYPE));
    ck_assert_uint_eq(handled, 2);
    ck_assert(handled_flags & PBUF_F_LINK_MCAST);
    /* A group we never joined (mDNS) is filtered like another host's unicast. */
    inject(&cap.dev, rxpool, f, frame_to(f, other_group, PEER_MAC, TEST_ETHERTYPE));
    ck_assert_uint_eq(handled, 2);
    ck_assert_uint_eq(s->eth.stats.rx_broadcast, 1);
    ck_assert_uint_eq(s->eth.stats.rx_multicast, 1);
    ck_assert_uint_eq(s->eth.stats.rx_not_for_us, 1);
}
END_TEST

START_TEST(input_drops_and_counts)
{
    uint8_t f[60];
    inject(&cap.dev, rxpool, f, frame_to(f, PEER2_MAC, PEER_MAC, TEST_ETHERTYPE));
    ck_assert_uint_eq(s->eth.stats.rx_not_for_us, 1);
    inject(&cap.dev, rxpool, f, 13);
    ck_assert_uint_eq(s->eth.stats.rx_too_short, 1);
    inject(&cap.dev, rxpool, f, frame_to(f, cap.dev.mac, BCAST, TEST_ETHERTYPE));
    ck_assert_uint_eq(s->eth.stats.rx_bad_source, 1);
    inject(&cap.dev, rxpool, f, frame_to(f, cap.dev.mac, cap.dev.mac, TEST_ETHERTYPE));
    ck_assert_uint_eq(s->eth.stats.rx_own_source, 1);
    /* RFC 894 vs IEEE 802.3: a type field below 0x0600 is a length; we speak Ethernet II only. */
    inject(&cap.dev, rxpool, f, frame_to(f, cap.dev.mac, PEER_MAC, 46));
    ck_assert_uint_eq(s->eth.stats.rx_ieee8023, 1);
    inject(&cap.dev, rxpool, f, frame_to(f, cap.dev.mac, PEER_MAC, ETHERTYPE_IPV6));
    ck_assert_uint_eq(s->eth.stats.rx_unknown_ethertype, 1);
    inject(&cap.dev, rxpool, f, frame_to(f, cap.dev.mac, PEER_MAC, ETHERTYPE_VLAN));
    ck_assert_uint_eq(s->eth.stats.rx_unknown_ethertype, 2);
    ck_assert_uint_eq(handled, 0);
    ck_assert_uint_eq(s->eth.stats.rx_frames, 0);
}
END_TEST

START_TEST(input_accepts_chained_frame)
{
    /* A frame split after 6 bytes: the header must be gathered from two segments. */
    uint8_t f[60];
    frame_to(f, cap.dev.mac, PEER_MAC, TEST_ETHERTYPE);
    struct pbuf *a = pbuf_from_bytes(rxpool, f, 6);
    struct pbuf *b = pbuf_from_bytes(rxpool, f + 6, 54);
    pbuf_cat(a, b);
    netdev_receive(&cap.dev, a);
    ck_assert_uint_eq(handled, 1);
    ck_assert_uint_eq(handled_first, 0x5a);
}
END_TEST

START_TEST(register_ethertype_rules)
{
    ck_assert_int_eq(eth_register(&s->eth, TEST_ETHERTYPE, test_handler, NULL), -EEXIST);
    ck_assert_int_eq(eth_register(&s->eth, ETHERTYPE_ARP, test_handler, NULL), -EEXIST);
    unsigned added = 0;
    while (eth_register(&s->eth, (uint16_t)(0x9000 + added), test_handler, NULL) == 0)
        added++;
    ck_assert_uint_eq(s->eth.handler_count, ETH_MAX_HANDLERS);
    ck_assert_int_eq(eth_register(&s->eth, 0x9999, test_handler, NULL), -ENOSPC);
}
END_TEST

/* Without NETDEV_CAP_TX_CSUM the stack completes the checksum (the field holds the pseudo-header
 * sum, as for a device); with it, the frame goes out partial for the device to finish. */
START_TEST(tx_checksum_fallback)
{
    struct pbuf *p = pbuf_alloc(s->pool, 40);
    for (int i = 0; i < 40; i++)
        p->data[i] = (uint8_t)(i * 13);
    p->data[26] = 0x12;              /* "pseudo-header sum" in the field at 20 + 6 */
    p->data[27] = 0x34;
    p->flags |= PBUF_F_CSUM_PARTIAL;
    p->csum_start = 20;
    p->csum_offset = 6;
    ck_assert_int_eq(eth_output(&s->eth, p, PEER_MAC, TEST_ETHERTYPE), 0);
    /* Rebuild the expected value independently: the region [34, 54) with the pseudo sum in the
     * field, summed and complemented. (The frame was not padded: 54 < 60 pads after it.) */
    uint8_t region[20];
    memcpy(region, cap.frame[0] + 34, 20);
    uint16_t stored = load_be16(region + 6);
    region[6] = 0x12;
    region[7] = 0x34;
    ck_assert_uint_eq(cap.len[0], 60);
    struct csum c;
    csum_init(&c);
    csum_add(&c, region, sizeof(region));
    uint16_t want = csum_finish(&c);
    ck_assert_uint_eq(stored, want ? want : 0xffff);

    struct capture_dev cap2;
    capture_init(&cap2, NETDEV_CAP_TX_CSUM, rxpool);
    struct netstack *s2 = netstack_create(&cap2.dev);
    p = pbuf_alloc(s2->pool, 40);
    memset(p->data, 0, 40);
    p->flags |= PBUF_F_CSUM_PARTIAL;
    p->csum_start = 20;
    p->csum_offset = 6;
    ck_assert_int_eq(eth_output(&s2->eth, p, PEER_MAC, TEST_ETHERTYPE), 0);
    ck_assert_uint_eq(load_be16(cap2.frame[0] + 40), 0);   /* left for the device */
    netstack_destroy(s2);
}
END_TEST

START_TEST(netdev_refuses_bad_lengths)
{
    struct pbuf *p = pbuf_alloc(s->pool, 1515);
    ck_assert_int_eq(netdev_transmit(&cap.dev, p), -EMSGSIZE);
    p = pbuf_alloc(s->pool, 13);
    ck_assert_int_eq(netdev_transmit(&cap.dev, p), -EINVAL);
    ck_assert_uint_eq(cap.dev.stats.tx_errors, 2);
    ck_assert_uint_eq(cap.count, 0);
    p = pbuf_alloc(s->pool, 1514);
    memset(p->data, 0, 14);
    ck_assert_int_eq(netdev_transmit(&cap.dev, p), 0);
    ck_assert_uint_eq(cap.dev.stats.tx_frames, 1);
    ck_assert_uint_eq(cap.dev.stats.tx_bytes, 1514);
}
END_TEST

START_TEST(receive_without_handler_counts)
{
    struct capture_dev lone;
    capture_init(&lone, 0, rxpool);
    uint8_t f[60];
    inject(&lone.dev, rxpool, f, frame_to(f, lone.dev.mac, PEER_MAC, TEST_ETHERTYPE));
    ck_assert_uint_eq(lone.dev.stats.rx_no_handler, 1);
    ck_assert_uint_eq(lone.dev.stats.rx_frames, 1);
}
END_TEST

START_TEST(stats_print_names)
{
    uint8_t f[60];
    inject(&cap.dev, rxpool, f, frame_to(f, cap.dev.mac, PEER_MAC, ETHERTYPE_IPV6));
    netstack_print_stats(s);
    const char *out = sim_console_output();
    ck_assert_ptr_nonnull(strstr(out, "eth.rx_unknown_ethertype 1\n"));
    ck_assert_ptr_nonnull(strstr(out, "arp.rx_conflicts 0\n"));
    ck_assert_ptr_nonnull(strstr(out, "dev.cap.rx_frames 1\n"));
    ck_assert_ptr_nonnull(strstr(out, "netif cap 02:00:00:00:00:01 unconfigured"));
}
END_TEST

START_TEST(multicast_mac_mapping)
{
    /* RFC 1112 6.4: 01-00-5E plus the low-order 23 bits of the group. */
    uint8_t mac[6];
    eth_ipv4_multicast_addr(IP4_ADDR(239, 129, 2, 3), mac);
    static const uint8_t want[6] = { 0x01, 0x00, 0x5e, 0x01, 0x02, 0x03 };
    ck_assert_mem_eq(mac, want, 6);
}
END_TEST

static Suite *eth_suite(void)
{
    Suite *su = suite_create("net_eth");
    TCase *tc = tcase_create("eth");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, output_builds_header);
    tcase_add_test(tc, output_pads_to_minimum);
    tcase_add_test(tc, output_without_headroom_chains_a_header);
    tcase_add_test(tc, input_dispatches_unicast_to_us);
    tcase_add_test(tc, input_accepts_broadcast_and_all_hosts);
    tcase_add_test(tc, input_drops_and_counts);
    tcase_add_test(tc, input_accepts_chained_frame);
    tcase_add_test(tc, register_ethertype_rules);
    tcase_add_test(tc, tx_checksum_fallback);
    tcase_add_test(tc, netdev_refuses_bad_lengths);
    tcase_add_test(tc, receive_without_handler_counts);
    tcase_add_test(tc, stats_print_names);
    tcase_add_test(tc, multicast_mac_mapping);
    suite_add_tcase(su, tc);
    return su;
}

TEST_MAIN(eth_suite)
