/*
 * Unit tests for fragmentation on send (net/ip_frag, RFC 791 3.2 and RFC 1122 3.3.3), reassembly
 * through a stack (RFC 791 3.2, RFC 5722's overlap rule applied to IPv4, RFC 1122 3.3.2 time
 * exceeded), and path MTU (RFC 1191).
 */
#include <stdlib.h>

#include "lib/errno.h"
#include "net/ip/ip_frag.h"
#include "test/unit/net_ip_fixture.h"
#include "xenolith/test_main.h"

static struct pbuf_pool *rxpool;
static struct capture_dev cap;
static struct netstack *s;
static struct udp_socket *sock;
static uint8_t data[9000];

static void setup(void)
{
    s = net_ip_stack_up(&cap, &rxpool);
    ck_assert_int_eq(udp_bind(s, 7, &sock), 0);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 13 + 5);
}

static void teardown(void)
{
    udp_close(sock);
    net_ip_stack_down(s, rxpool);
}

/* RFC 791 3.2: every fragment but the last carries a multiple of 8 bytes and fills the MTU as far
 * as that allows; the pieces cover the payload exactly once. */
START_TEST(plan_arithmetic)
{
    struct ip_frag_plan plan;
    ck_assert_int_eq(ip_frag_plan(20, 20, 4000, 1500, &plan), 0);
    ck_assert_uint_eq(plan.count, 3);
    uint32_t off, len, expect = 0;
    bool more;
    const uint32_t sizes[] = { 1480, 1480, 1040 };
    for (uint32_t i = 0; i < plan.count; i++) {
        ip_frag_piece(&plan, i, &off, &len, &more);
        ck_assert_uint_eq(off, expect);
        ck_assert_uint_eq(len, sizes[i]);
        ck_assert_uint_eq(off % 8, 0);
        ck_assert(more == (i + 1 < plan.count));
        expect += len;
    }
    ck_assert_uint_eq(expect, 4000);

    /* An MTU that is not 20 + a multiple of 8: fragments round down. */
    ck_assert_int_eq(ip_frag_plan(20, 20, 1000, 577, &plan), 0);
    ip_frag_piece(&plan, 0, &off, &len, &more);
    ck_assert_uint_eq(len, 552);
    ck_assert_uint_eq(plan.count, 2);

    /* A first header with options and shorter later headers. */
    ck_assert_int_eq(ip_frag_plan(40, 24, 3000, 1500, &plan), 0);
    ck_assert_uint_eq(plan.first_payload, 1456);
    ck_assert_uint_eq(plan.later_payload, 1472);

    /* Fits: one piece. Too small an MTU for header + 8 bytes (or below 68): refused. */
    ck_assert_int_eq(ip_frag_plan(20, 20, 1480, 1500, &plan), 0);
    ck_assert_uint_eq(plan.count, 1);
    ck_assert_int_eq(ip_frag_plan(60, 60, 1000, 64, &plan), -EMSGSIZE);
    ck_assert_int_eq(ip_frag_plan(20, 20, 1000, 27, &plan), -EMSGSIZE);
}
END_TEST

/* Rebuilds the payload of captured fragments [from, count) and checks the per-fragment rules. */
static size_t collect_fragments(unsigned from, uint8_t *out, uint16_t *id, uint32_t mtu)
{
    size_t total = 0;
    struct ip_view v;
    bool seen_last = false;
    for (unsigned i = from; i < cap.count; i++) {
        if (!parse_ip(&cap, i, &v))
            continue;
        ck_assert(v.checksum_ok);
        ck_assert_uint_le(v.h.total_len, mtu);
        if (i == from)
            *id = v.h.id;
        ck_assert_uint_eq(v.h.id, *id);                      /* RFC 791: one identification */
        uint32_t off = ipv4_frag_offset_bytes(&v.h);
        bool more = ipv4_more_fragments(&v.h);
        if (more)
            ck_assert_uint_eq(v.payload_len % 8, 0);
        else
            seen_last = true;
        ck_assert_uint_eq(off, total);                      /* sent in order, no gaps */
        memcpy(out + off, v.payload, v.payload_len);
        total += v.payload_len;
    }
    ck_assert(seen_last);
    return total;
}

/* RFC 791 3.2 / RFC 1122 3.3.3: a UDP datagram larger than the MTU leaves as fragments within the
 * MTU, MF on all but the last, 8-byte aligned offsets, one identification, valid checksums; and
 * they put together the original datagram. */
START_TEST(udp_send_fragments)
{
    ck_assert_int_eq(udp_sendto(sock, PEER_IP, 9999, data, 4000), 4000);
    ck_assert_uint_eq(cap.count, 3);
    uint8_t whole[8192];
    uint16_t id;
    size_t n = collect_fragments(0, whole, &id, 1500);
    ck_assert_uint_eq(n, 8 + 4000);
    ck_assert_uint_eq(load_be16(whole + 4), 4008);
    ck_assert_mem_eq(whole + 8, data, 4000);
    ck_assert_uint_eq(s->ipv4.stats.tx_fragments, 3);
}
END_TEST

/* RFC 791 3.2: a datagram marked Don't Fragment is never fragmented; the sender learns it cannot
 * go (EMSGSIZE) and nothing is sent. */
START_TEST(dont_fragment_refused)
{
    struct pbuf *p = pbuf_alloc(s->pool, 2000);
    memset(p->data, 1, p->len);
    struct ipv4_tx tx = { .dst = PEER_IP, .protocol = 99, .dont_fragment = true };
    ck_assert_int_eq(ipv4_output(&s->ipv4, p, &tx), -EMSGSIZE);
    ck_assert_uint_eq(cap.count, 0);
    ck_assert_uint_eq(s->ipv4.stats.tx_too_big, 1);
    /* A datagram beyond 65535 bytes cannot exist (RFC 791 3.1). */
    ck_assert_int_eq(udp_sendto(sock, PEER_IP, 9, data, UDP_MAX_PAYLOAD + 1), -EMSGSIZE);
}
END_TEST

/* RFC 1191 3-4: fragmentation needed lowers the estimate for that destination only, and output
 * uses it; an estimate is never raised by ICMP, reports below 68 are ignored, and low ones are
 * raised to our floor. RFC 1191 6.3: the estimate is forgotten after 10 minutes. */
START_TEST(path_mtu_rules)
{
    ck_assert_uint_eq(ipv4_path_mtu(&s->ipv4, FAR_IP), 1500);
    ck_assert(ipv4_pmtu_update(&s->ipv4, FAR_IP, 1280));
    ck_assert_uint_eq(ipv4_path_mtu(&s->ipv4, FAR_IP), 1280);
    ck_assert_uint_eq(ipv4_path_mtu(&s->ipv4, PEER_IP), 1500);
    ck_assert(!ipv4_pmtu_update(&s->ipv4, FAR_IP, 1400));
    ck_assert_uint_eq(ipv4_path_mtu(&s->ipv4, FAR_IP), 1280);
    ck_assert(!ipv4_pmtu_update(&s->ipv4, FAR_IP, 40));
    ck_assert(ipv4_pmtu_update(&s->ipv4, FAR_IP, 300));
    ck_assert_uint_eq(ipv4_path_mtu(&s->ipv4, FAR_IP), IPV4_PMTU_FLOOR);

    ck_assert(ipv4_pmtu_update(&s->ipv4, PEER_IP, 1000));
    ck_assert_int_eq(udp_sendto(sock, PEER_IP, 9999, data, 2500), 2500);
    uint8_t whole[4096];
    uint16_t id;
    ck_assert_uint_eq(collect_fragments(0, whole, &id, 1000), 2508);
    ck_assert_uint_eq(cap.count, 3);

    run_for(IPV4_PMTU_TIMEOUT_NS);
    ck_assert_uint_eq(ipv4_path_mtu(&s->ipv4, PEER_IP), 1500);
    ck_assert_uint_ge(s->ipv4.stats.pmtu_expired, 1);
}
END_TEST

/* Injects fragment [off, off+len) of a UDP datagram (whose full segment is in seg) from the peer. */
static void inject_fragment(const uint8_t *seg, uint16_t id, uint32_t off, uint32_t len, bool more)
{
    uint8_t f[2048];
    size_t n = build_ipv4_frame(f, cap.dev.mac, PEER_IP, OUR_IP, IPV4_PROTO_UDP, id,
                                (uint16_t)((off / 8) | (more ? IPV4_FLAG_MF : 0)), seg + off, len);
    inject(&cap.dev, rxpool, f, n);
}

/* RFC 791 3.2: fragments arriving out of order are reassembled and delivered as one datagram. */
START_TEST(reassembly_through_stack)
{
    static uint8_t seg[3008];
    size_t n = build_udp(seg, PEER_IP, OUR_IP, 4000, 7, data, 3000);
    inject_fragment(seg, 77, 2960, (uint32_t)n - 2960, false);
    inject_fragment(seg, 77, 0, 1480, true);
    inject_fragment(seg, 77, 1480, 1480, true);
    settle();
    ck_assert_uint_eq(s->ipv4.stats.rx_reassembled, 1);
    static uint8_t buf[4000];
    uint32_t src;
    uint16_t port;
    ck_assert_int_eq(udp_recvfrom(sock, buf, sizeof(buf), &src, &port, 0), 3000);
    ck_assert_mem_eq(buf, data, 3000);
    ck_assert_uint_eq(src, PEER_IP);
    ck_assert_uint_eq(port, 4000);
}
END_TEST

/* RFC 5722 section 4 (applied to IPv4): overlapping fragments discard the datagram, whatever
 * arrives afterwards; nothing reaches the socket. */
START_TEST(overlap_through_stack)
{
    static uint8_t seg[3008];
    size_t n = build_udp(seg, PEER_IP, OUR_IP, 4000, 7, data, 3000);
    inject_fragment(seg, 78, 0, 1480, true);
    inject_fragment(seg, 78, 1472, 1480, true);       /* overlaps by 8 */
    inject_fragment(seg, 78, 1480, 1480, true);
    inject_fragment(seg, 78, 2960, (uint32_t)n - 2960, false);
    settle();
    ck_assert_uint_eq(s->ipv4.reass.stats.overlaps, 1);
    ck_assert_uint_eq(s->ipv4.stats.rx_reassembly_drops, 3);
    ck_assert_uint_eq(udp_pending(sock), 0);
}
END_TEST

/* RFC 1122 3.3.2 / RFC 792: when reassembly times out after fragment zero arrived, Time Exceeded
 * code 1 goes back quoting that fragment; without fragment zero nothing is sent. */
START_TEST(reassembly_timeout_time_exceeded)
{
    static uint8_t seg[3008];
    build_udp(seg, PEER_IP, OUR_IP, 4000, 7, data, 3000);
    inject_fragment(seg, 90, 0, 1480, true);
    inject_fragment(seg, 91, 1480, 1480, true);
    settle();
    unsigned before = cap.count;
    run_for(IP_REASS_DEFAULT_TIMEOUT_NS);
    ck_assert_uint_eq(s->ipv4.reass.stats.timeouts, 2);
    struct ip_view v;
    int i = find_ip(&cap, before, IPV4_PROTO_ICMP, &v);
    ck_assert_int_ge(i, 0);
    ck_assert_uint_eq(v.payload[0], ICMP_TIME_EXCEEDED);
    ck_assert_uint_eq(v.payload[1], ICMP_TIME_EXCEEDED_REASSEMBLY);
    ck_assert_uint_eq(load_be16(v.payload + 8 + 4), 90);          /* quoted identification */
    ck_assert_mem_eq(v.payload + 8 + 20, seg, 8);                 /* and the first 8 bytes */
    ck_assert_int_lt(find_ip(&cap, (unsigned)i + 1, IPV4_PROTO_ICMP, &v), 0);
    ck_assert_uint_eq(s->icmp.stats.tx_time_exceeded, 1);
}
END_TEST

/* RFC 791 3.1: fragments that would make a datagram longer than 65535 bytes are refused. */
START_TEST(oversized_reassembly_refused)
{
    uint8_t f[128], chunk[16];
    memset(chunk, 0x41, sizeof(chunk));
    size_t n = build_ipv4_frame(f, cap.dev.mac, PEER_IP, OUR_IP, IPV4_PROTO_UDP, 5,
                                (uint16_t)(65528 / 8), chunk, sizeof(chunk));
    inject(&cap.dev, rxpool, f, n);
    settle();
    ck_assert_uint_eq(s->ipv4.reass.stats.too_big, 1);
    ck_assert_uint_eq(udp_pending(sock), 0);
}
END_TEST

static Suite *frag_suite(void)
{
    Suite *su = suite_create("net_frag");
    TCase *tc = tcase_create("frag");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, plan_arithmetic);
    tcase_add_test(tc, udp_send_fragments);
    tcase_add_test(tc, dont_fragment_refused);
    tcase_add_test(tc, path_mtu_rules);
    tcase_add_test(tc, reassembly_through_stack);
    tcase_add_test(tc, overlap_through_stack);
    tcase_add_test(tc, reassembly_timeout_time_exceeded);
    tcase_add_test(tc, oversized_reassembly_refused);
    suite_add_tcase(su, tc);
    return su;
}

TEST_MAIN(frag_suite)
