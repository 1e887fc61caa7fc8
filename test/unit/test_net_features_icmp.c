/*
 * Unit tests for an image that sends no ICMP errors (net/wire/features.h: icmp_errors in
 * APP_NET_WITHOUT, mk/app.mk), every other feature kept. This program defines net_features
 * itself, as such an application's image does. RFC 1122 makes port unreachable (4.1.3.1) and
 * protocol unreachable (3.2.2.1) SHOULDs: without the feature such datagrams are dropped and
 * counted, and nothing is sent. Echo replies (a MUST, 3.2.2.6) and ICMP errors received stay.
 */
#include <stdlib.h>

#include "net/wire/features.h"
#include "test/unit/net_ip_fixture.h"
#include "xenolith/test_main.h"

const uint32_t net_features = NET_FEATURES_ALL & ~(uint32_t)NET_FEATURE_ICMP_ERRORS;

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

static void inject_datagram(uint8_t protocol, const void *payload, size_t len)
{
    static uint8_t f[1700];
    size_t flen = build_ipv4_frame(f, cap.dev.mac, PEER_IP, OUR_IP, protocol, 7, 0, payload, len);
    inject(&cap.dev, rxpool, f, flen);
    settle();
}

/* RFC 1122 4.1.3.1 (a SHOULD): a datagram to a closed UDP port is dropped and counted, with no
 * port unreachable. */
START_TEST(closed_udp_port_gets_no_port_unreachable)
{
    uint8_t udp[64];
    size_t n = build_udp(udp, PEER_IP, OUR_IP, 40000, 9999, "x", 1);
    inject_datagram(IPV4_PROTO_UDP, udp, n);
    ck_assert_uint_eq(s->udp.stats.rx_no_port, 1);
    ck_assert_uint_eq(s->icmp.stats.tx_dest_unreachable, 0);
    ck_assert_uint_eq(cap.count, 0);
}
END_TEST

/* RFC 1122 3.2.2.1 (a SHOULD): a datagram of a protocol the stack does not carry is dropped and
 * counted, with no protocol unreachable. */
START_TEST(unknown_protocol_gets_no_protocol_unreachable)
{
    const char body[] = "not a transport we have";
    inject_datagram(99, body, sizeof(body));
    ck_assert_uint_eq(s->ipv4.stats.rx_unknown_protocol, 1);
    ck_assert_uint_eq(s->icmp.stats.tx_dest_unreachable, 0);
    ck_assert_uint_eq(cap.count, 0);
}
END_TEST

/* RFC 1122 3.2.2.6 (a MUST): echo requests are still answered. */
START_TEST(echo_is_still_answered)
{
    uint8_t msg[64];
    size_t n = build_icmp(msg, ICMP_ECHO_REQUEST, 0, 0x12340001, "ping", 4);
    inject_datagram(IPV4_PROTO_ICMP, msg, n);
    ck_assert_uint_eq(s->icmp.stats.tx_echo_replies, 1);
    struct ip_view v;
    ck_assert_int_ge(find_ip(&cap, 0, IPV4_PROTO_ICMP, &v), 0);
    ck_assert_uint_eq(v.payload[0], ICMP_ECHO_REPLY);
}
END_TEST

static Suite *suite(void)
{
    Suite *st = suite_create("net_features_icmp");
    TCase *tc = tcase_create("icmp");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, closed_udp_port_gets_no_port_unreachable);
    tcase_add_test(tc, unknown_protocol_gets_no_protocol_unreachable);
    tcase_add_test(tc, echo_is_still_answered);
    suite_add_tcase(st, tc);
    return st;
}

TEST_MAIN(suite)
