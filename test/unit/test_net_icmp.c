/*
 * Unit tests for net/icmp (RFC 792, RFC 1122 3.2.2) and its token bucket: echo replies, the
 * conditions under which no error may be sent, rate limiting, quoting, and ICMP errors received
 * (path MTU from fragmentation needed, RFC 1191; redirects ignored).
 */
#include <stdlib.h>

#include "lib/errno.h"
#include "test/unit/net_ip_fixture.h"
#include "xenolith/test_main.h"

static struct pbuf_pool *rxpool;
static struct capture_dev cap;
static struct netstack *s;

static void setup(void)
{
    s = net_ip_stack_up(&cap, &rxpool);
}

static void teardown(void)
{
    net_ip_stack_down(s, rxpool);
}

static void inject_icmp(const uint8_t *eth_dst, uint32_t dst, uint8_t type, uint8_t code,
                        uint32_t rest, const void *payload, size_t len, bool corrupt)
{
    static uint8_t msg[1600], f[1700];
    size_t n = build_icmp(msg, type, code, rest, payload, len);
    if (corrupt)
        msg[n - 1] ^= 0x40;
    size_t flen = build_ipv4_frame(f, eth_dst, PEER_IP, dst, IPV4_PROTO_ICMP, 3, 0, msg, n);
    inject(&cap.dev, rxpool, f, flen);
    settle();
}

/* RFC 792 (Echo) / RFC 1122 3.2.2.6: the reply swaps the addresses and returns the identifier,
 * sequence number and data unchanged, with a correct checksum. */
START_TEST(echo_reply)
{
    const char text[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    inject_icmp(cap.dev.mac, OUR_IP, ICMP_ECHO_REQUEST, 0, 0x12340007, text, sizeof(text), false);
    struct ip_view v;
    ck_assert_int_ge(find_ip(&cap, 0, IPV4_PROTO_ICMP, &v), 0);
    ck_assert(v.checksum_ok);
    ck_assert_uint_eq(v.h.src, OUR_IP);
    ck_assert_uint_eq(v.h.dst, PEER_IP);
    ck_assert_mem_eq(v.eth_dst, PEER_MAC, 6);
    ck_assert_uint_eq(v.payload[0], ICMP_ECHO_REPLY);
    ck_assert_uint_eq(v.payload[1], 0);
    ck_assert_uint_eq(load_be32(v.payload + 4), 0x12340007);
    ck_assert_uint_eq(v.payload_len, 8 + sizeof(text));
    ck_assert_mem_eq(v.payload + 8, text, sizeof(text));
    ck_assert_uint_eq(inet_checksum(v.payload, v.payload_len), 0);
    ck_assert_uint_eq(s->icmp.stats.tx_echo_replies, 1);
}
END_TEST

/* RFC 1122 3.2.2.6 with RFC 791 3.2: a 4000-byte echo request arriving in fragments is
 * reassembled and answered with all its data, fragmented on the way out. */
START_TEST(fragmented_echo)
{
    static uint8_t data[4000], msg[4008], f[1600], whole[4100];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i ^ (i >> 7));
    size_t n = build_icmp(msg, ICMP_ECHO_REQUEST, 0, 0x0abc0001, data, sizeof(data));
    for (size_t off = 0; off < n; off += 1480) {
        size_t len = n - off < 1480 ? n - off : 1480;
        bool more = off + len < n;
        size_t flen = build_ipv4_frame(f, cap.dev.mac, PEER_IP, OUR_IP, IPV4_PROTO_ICMP, 0x4242,
                                       (uint16_t)((off / 8) | (more ? IPV4_FLAG_MF : 0)), msg + off, len);
        inject(&cap.dev, rxpool, f, flen);
    }
    settle();
    size_t got = 0;
    struct ip_view v;
    for (unsigned i = 0; i < cap.count; i++) {
        if (!parse_ip(&cap, i, &v) || v.h.protocol != IPV4_PROTO_ICMP)
            continue;
        ck_assert(v.checksum_ok);
        memcpy(whole + ipv4_frag_offset_bytes(&v.h), v.payload, v.payload_len);
        got += v.payload_len;
    }
    ck_assert_uint_eq(got, n);
    ck_assert_uint_eq(whole[0], ICMP_ECHO_REPLY);
    ck_assert_uint_eq(load_be32(whole + 4), 0x0abc0001);
    ck_assert_mem_eq(whole + 8, data, sizeof(data));
    ck_assert_uint_eq(inet_checksum(whole, n), 0);
}
END_TEST

/* RFC 1122 3.2.2: an ICMP message with a bad checksum is discarded. */
START_TEST(bad_checksum_dropped)
{
    inject_icmp(cap.dev.mac, OUR_IP, ICMP_ECHO_REQUEST, 0, 1, "data", 4, true);
    ck_assert_uint_eq(s->icmp.stats.rx_bad_checksum, 1);
    ck_assert_uint_eq(cap.count, 0);
}
END_TEST

/* RFC 1122 3.2.2.6: an echo request to a broadcast address may be silently discarded; we do so
 * (no amplification). */
START_TEST(broadcast_echo_ignored)
{
    inject_icmp(BCAST, IP4_BROADCAST, ICMP_ECHO_REQUEST, 0, 1, "data", 4, false);
    inject_icmp(BCAST, SUBNET_BCAST, ICMP_ECHO_REQUEST, 0, 1, "data", 4, false);
    ck_assert_uint_eq(s->icmp.stats.rx_echo_broadcast_ignored, 2);
    ck_assert_uint_eq(cap.count, 0);
}
END_TEST

/* Makes a pbuf holding a whole datagram (header first) as if received. */
static struct pbuf *datagram(uint32_t src, uint32_t dst, uint8_t protocol, uint16_t frag,
                             const uint8_t *payload, size_t len)
{
    uint8_t buf[1600];
    fixture_ipv4_header(buf, src, dst, protocol, 9, frag, len);
    memcpy(buf + 20, payload, len);
    struct pbuf *p = pbuf_from_bytes(s->pool, buf, 20 + len);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* RFC 1122 3.2.2: never an error about an ICMP error, a datagram to a broadcast or multicast
 * address, a non-initial fragment, or from a source that is not one host. */
START_TEST(errors_never_sent_about)
{
    struct ipv4_rx_info rx = { .src = PEER_IP, .dst = OUR_IP, .header_len = 20 };
    uint8_t unreach[16] = { ICMP_DEST_UNREACHABLE, 3 };
    uint8_t echo[16] = { ICMP_ECHO_REQUEST, 0 };
    struct pbuf *p;

    p = datagram(PEER_IP, OUR_IP, IPV4_PROTO_ICMP, 0, unreach, sizeof(unreach));
    ck_assert_int_eq(icmp_send_error(&s->icmp, p, &rx, ICMP_DEST_UNREACHABLE, 2, 0), -EPERM);
    pbuf_free(p);
    p = datagram(PEER_IP, IP4_BROADCAST, 99, 0, echo, sizeof(echo));
    ck_assert_int_eq(icmp_send_error(&s->icmp, p, &rx, ICMP_DEST_UNREACHABLE, 2, 0), -EPERM);
    pbuf_free(p);
    p = datagram(PEER_IP, IP4_ADDR(224, 0, 0, 1), 99, 0, echo, sizeof(echo));
    ck_assert_int_eq(icmp_send_error(&s->icmp, p, &rx, ICMP_DEST_UNREACHABLE, 2, 0), -EPERM);
    pbuf_free(p);
    p = datagram(PEER_IP, OUR_IP, 99, 185, echo, sizeof(echo));          /* offset 1480 */
    ck_assert_int_eq(icmp_send_error(&s->icmp, p, &rx, ICMP_DEST_UNREACHABLE, 2, 0), -EPERM);
    pbuf_free(p);
    p = datagram(IP4_ADDR(0, 0, 0, 0), OUR_IP, 99, 0, echo, sizeof(echo));
    ck_assert_int_eq(icmp_send_error(&s->icmp, p, &rx, ICMP_DEST_UNREACHABLE, 2, 0), -EPERM);
    pbuf_free(p);
    /* Unicast to us but arrived as a link broadcast. */
    p = datagram(PEER_IP, OUR_IP, 99, 0, echo, sizeof(echo));
    struct ipv4_rx_info bcast = rx;
    bcast.link_broadcast = true;
    ck_assert_int_eq(icmp_send_error(&s->icmp, p, &bcast, ICMP_DEST_UNREACHABLE, 2, 0), -EPERM);
    ck_assert_uint_eq(s->icmp.stats.tx_suppressed, 6);
    ck_assert_uint_eq(cap.count, 0);
    /* An echo request (a query, not an error) may be answered with an error. */
    ck_assert_int_eq(icmp_send_error(&s->icmp, p, &rx, ICMP_DEST_UNREACHABLE, 2, 0), 0);
    pbuf_free(p);
    p = datagram(PEER_IP, OUR_IP, IPV4_PROTO_ICMP, 0, echo, sizeof(echo));
    ck_assert_int_eq(icmp_send_error(&s->icmp, p, &rx, ICMP_DEST_UNREACHABLE, 2, 0), 0);
    pbuf_free(p);
    ck_assert_uint_eq(cap.count, 2);
}
END_TEST

/* RFC 1812 4.3.2.3 (and RFC 1122 3.2.2: at least the header and 8 bytes): the quote is as much
 * of the datagram as keeps the error within 576 bytes. */
START_TEST(quote_limited_to_576)
{
    static uint8_t big[1400];
    memset(big, 0x5a, sizeof(big));
    struct ipv4_rx_info rx = { .src = PEER_IP, .dst = OUR_IP, .header_len = 20 };
    struct pbuf *p = datagram(PEER_IP, OUR_IP, 99, 0, big, sizeof(big));
    ck_assert_int_eq(icmp_send_error(&s->icmp, p, &rx, ICMP_DEST_UNREACHABLE, 2, 0), 0);
    pbuf_free(p);
    struct ip_view v;
    ck_assert_int_ge(find_ip(&cap, 0, IPV4_PROTO_ICMP, &v), 0);
    ck_assert_uint_eq(v.h.total_len, ICMP_ERROR_MAX_LEN);
    ck_assert_uint_eq(inet_checksum(v.payload, v.payload_len), 0);
}
END_TEST

/* RFC 1122 3.2.2 / RFC 1812 4.3.2.8: error generation is rate-limited by a token bucket: a burst,
 * then one per interval as time passes. UDP to a closed port is the trigger (RFC 1122 4.1.3.1). */
START_TEST(errors_rate_limited)
{
    uint8_t seg[64], f[128];
    for (int i = 0; i < 25; i++) {
        size_t n = build_udp(seg, PEER_IP, OUR_IP, 5000, 9999, "x", 1);
        size_t len = build_ipv4_frame(f, cap.dev.mac, PEER_IP, OUR_IP, IPV4_PROTO_UDP, (uint16_t)i,
                                      0, seg, n);
        inject(&cap.dev, rxpool, f, len);
    }
    settle();
    ck_assert_uint_eq(s->icmp.stats.tx_dest_unreachable, ICMP_RATELIMIT_DEFAULT_BURST);
    ck_assert_uint_eq(s->icmp.stats.tx_rate_limited, 25 - ICMP_RATELIMIT_DEFAULT_BURST);
    run_for(SEC / ICMP_RATELIMIT_DEFAULT_RATE);
    size_t n = build_udp(seg, PEER_IP, OUR_IP, 5000, 9999, "x", 1);
    size_t len = build_ipv4_frame(f, cap.dev.mac, PEER_IP, OUR_IP, IPV4_PROTO_UDP, 99, 0, seg, n);
    inject(&cap.dev, rxpool, f, len);
    inject(&cap.dev, rxpool, f, len);
    settle();
    ck_assert_uint_eq(s->icmp.stats.tx_dest_unreachable, ICMP_RATELIMIT_DEFAULT_BURST + 1);
}
END_TEST

/* The token bucket itself: burst, refill by elapsed time, capped at the burst. */
START_TEST(token_bucket)
{
    struct icmp_ratelimit rl;
    icmp_ratelimit_init(&rl, 100, 3, 0);
    for (int i = 0; i < 3; i++)
        ck_assert(icmp_ratelimit_allow(&rl, 0));
    ck_assert(!icmp_ratelimit_allow(&rl, 0));
    ck_assert(!icmp_ratelimit_allow(&rl, 9 * MS));
    ck_assert(icmp_ratelimit_allow(&rl, 10 * MS));
    /* A long idle period refills only up to the burst. */
    int allowed = 0;
    for (int i = 0; i < 10; i++)
        allowed += icmp_ratelimit_allow(&rl, 100 * SEC);
    ck_assert_int_eq(allowed, 3);
    icmp_ratelimit_init(&rl, 0, 1, 0);
    for (int i = 0; i < 1000; i++)
        ck_assert(icmp_ratelimit_allow(&rl, 0));
}
END_TEST

/* Builds the quote of a datagram we sent to `to` (protocol UDP), for an incoming ICMP error. */
static size_t our_quote(uint8_t *q, uint32_t from, uint32_t to, uint16_t total_len)
{
    fixture_ipv4_header(q, from, to, IPV4_PROTO_UDP, 1, IPV4_FLAG_DF, total_len - 20);
    memset(q + 20, 0xab, 8);
    return 28;
}

static unsigned errors_seen;
static struct ipv4_icmp_error last_error;
static void record_error(void *ctx, const struct ipv4_icmp_error *err)
{
    errors_seen++;
    last_error = *err;
}
static void discard_input(void *ctx, struct pbuf *p, const struct ipv4_rx_info *rx)
{
    pbuf_free(p);
}

/* RFC 1191 4 with RFC 5927 4.1: ICMP hands "fragmentation needed" to the transport that sent the
 * quoted datagram, with the next-hop MTU (RFC 1191 5: with MTU 0, from an old router, the next
 * plateau below the quoted length), and never lowers the path MTU itself: only a transport that
 * matched the quote to data in flight may (TCP does, test_tcp_pmtu.c). A UDP quote, which UDP
 * cannot vouch for, changes nothing; a quote of someone else's datagram is ignored. Without the
 * hand-off rule, a forged error about any UDP datagram lowered the path MTU for ten minutes. */
START_TEST(frag_needed_goes_to_the_transport_first)
{
    errors_seen = 0;
    uint8_t q[64];
    our_quote(q, OUR_IP, FAR_IP, 1500);
    inject_icmp(cap.dev.mac, OUR_IP, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_FRAG_NEEDED, 1400, q, 28, false);
    ck_assert_uint_eq(ipv4_path_mtu(&s->ipv4, FAR_IP), 1500);
    ck_assert_uint_eq(s->icmp.stats.rx_frag_needed, 1);

    ck_assert_int_eq(ipv4_register_protocol(&s->ipv4, 200, discard_input, record_error, NULL), 0);
    fixture_ipv4_header(q, OUR_IP, IP4_ADDR(192, 0, 2, 8), 200, 1, IPV4_FLAG_DF, 1400 - 20);
    memset(q + 20, 0xab, 8);
    inject_icmp(cap.dev.mac, OUR_IP, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_FRAG_NEEDED, 0, q, 28, false);
    ck_assert_uint_eq(errors_seen, 1);
    ck_assert_uint_eq(last_error.info, 1006);
    ck_assert_uint_eq(ipv4_path_mtu(&s->ipv4, IP4_ADDR(192, 0, 2, 8)), 1500);

    our_quote(q, IP4_ADDR(10, 0, 0, 9), IP4_ADDR(192, 0, 2, 9), 1500);
    inject_icmp(cap.dev.mac, OUR_IP, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_FRAG_NEEDED, 600, q, 28, false);
    ck_assert_uint_eq(ipv4_path_mtu(&s->ipv4, IP4_ADDR(192, 0, 2, 9)), 1500);
    ck_assert_uint_eq(s->icmp.stats.rx_bad_quote, 1);

    /* Shorter than a header + 8 bytes: not believable. */
    inject_icmp(cap.dev.mac, OUR_IP, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_FRAG_NEEDED, 600, q, 20, false);
    ck_assert_uint_eq(s->icmp.stats.rx_bad_quote, 2);
    ck_assert_uint_eq(errors_seen, 1);
}
END_TEST

/* RFC 1122 3.2.2.1: destination unreachable is passed to the transport that sent the datagram,
 * with the quoted header and ports. Redirects are ignored (counted). */
START_TEST(errors_reach_transport_redirects_ignored)
{
    errors_seen = 0;
    ck_assert_int_eq(ipv4_register_protocol(&s->ipv4, 200, discard_input, record_error, NULL), 0);
    ck_assert_int_eq(ipv4_register_protocol(&s->ipv4, 200, discard_input, record_error, NULL),
                     -EEXIST);
    uint8_t q[64];
    fixture_ipv4_header(q, OUR_IP, PEER_IP, 200, 1, 0, 8);
    store_be16(q + 20, 1234);
    store_be16(q + 22, 80);
    inject_icmp(cap.dev.mac, OUR_IP, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_PORT, 0, q, 28, false);
    ck_assert_uint_eq(errors_seen, 1);
    ck_assert_uint_eq(last_error.type, ICMP_DEST_UNREACHABLE);
    ck_assert_uint_eq(last_error.code, ICMP_UNREACH_PORT);
    ck_assert_uint_eq(last_error.quoted.dst, PEER_IP);
    ck_assert_uint_eq(last_error.reporter, PEER_IP);
    ck_assert_uint_eq(last_error.quoted_payload_len, 8);

    inject_icmp(cap.dev.mac, OUR_IP, ICMP_REDIRECT, 1, GATEWAY_IP, q, 28, false);
    ck_assert_uint_eq(s->icmp.stats.rx_redirects_ignored, 1);
    ck_assert_uint_eq(errors_seen, 1);
    uint32_t hop;
    ck_assert_int_eq(ipv4_route(&s->ipv4, PEER_IP, &hop), 0);
    ck_assert_uint_eq(hop, PEER_IP);
}
END_TEST

static Suite *icmp_suite(void)
{
    Suite *su = suite_create("net_icmp");
    TCase *tc = tcase_create("icmp");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, echo_reply);
    tcase_add_test(tc, fragmented_echo);
    tcase_add_test(tc, bad_checksum_dropped);
    tcase_add_test(tc, broadcast_echo_ignored);
    tcase_add_test(tc, errors_never_sent_about);
    tcase_add_test(tc, quote_limited_to_576);
    tcase_add_test(tc, errors_rate_limited);
    tcase_add_test(tc, token_bucket);
    tcase_add_test(tc, frag_needed_goes_to_the_transport_first);
    tcase_add_test(tc, errors_reach_transport_redirects_ignored);
    suite_add_tcase(su, tc);
    return su;
}

TEST_MAIN(icmp_suite)
