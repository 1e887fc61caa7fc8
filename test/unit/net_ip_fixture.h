/*
 * test/unit/net_ip_fixture.h: shared set-up for the IPv4/ICMP/UDP unit tests (header-only, since
 * each test_*.c is its own program), on top of NET-CORE's fixture (simulated machine, loop drivers,
 * capture device, frame injection): builders for IPv4/UDP/ICMP frames, a parsed view of captured
 * IPv4 frames, and a stack on a capture device with a known peer in its ARP cache.
 */
#ifndef XENOLITH_TEST_UNIT_NET_IP_FIXTURE_H
#define XENOLITH_TEST_UNIT_NET_IP_FIXTURE_H

#include "lib/checksum.h"
#include "net/ip/icmp.h"
#include "net/ip/ipv4.h"
#include "net/wire/ipv4_header.h"
#include "net/udp/udp.h"
#include "test/unit/net_core_fixture.h"

#define OUR_IP IP4_ADDR(10, 0, 0, 2)
#define PEER_IP IP4_ADDR(10, 0, 0, 1)
#define GATEWAY_IP IP4_ADDR(10, 0, 0, 254)
#define FAR_IP IP4_ADDR(192, 0, 2, 7)
#define SUBNET_BCAST IP4_ADDR(10, 0, 0, 255)

static inline void net_ip_fixture_boot(void)
{
    core_boot();
}

/* A network-order address from dotted parts. */
static inline uint32_t fixture_addr(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return IP4_ADDR(a, b, c, d);
}

/* Writes a valid IPv4 header (no options) into out; returns 20. */
static inline size_t fixture_ipv4_header(uint8_t *out, uint32_t src, uint32_t dst, uint8_t protocol,
                                         uint16_t id, uint16_t frag_field, size_t payload_len)
{
    struct ipv4_header h = {
        .tos = 0,
        .total_len = (uint16_t)(IPV4_HEADER_MIN + payload_len),
        .id = id,
        .frag_field = frag_field,
        .ttl = 64,
        .protocol = protocol,
        .src = src,
        .dst = dst,
    };
    return ipv4_header_build(out, &h);
}

/* An Ethernet frame with an IPv4 datagram (valid header, no options) around payload; padded to 60.
 * Returns the frame length. */
static inline size_t build_ipv4_frame(uint8_t *f, const uint8_t *eth_dst, uint32_t src, uint32_t dst,
                                      uint8_t protocol, uint16_t id, uint16_t frag_field,
                                      const void *payload, size_t len)
{
    size_t n = build_eth(f, eth_dst, PEER_MAC, ETHERTYPE_IPV4);
    fixture_ipv4_header(f + n, src, dst, protocol, id, frag_field, len);
    memcpy(f + n + IPV4_HEADER_MIN, payload, len);
    n += IPV4_HEADER_MIN + len;
    if (n < 60) {
        memset(f + n, 0, 60 - n);
        n = 60;
    }
    return n;
}

/* A UDP segment (header + data) with a correct checksum into out; returns its length. */
static inline size_t build_udp(uint8_t *out, uint32_t src, uint32_t dst, uint16_t sport,
                               uint16_t dport, const void *data, size_t len)
{
    store_be16(out, sport);
    store_be16(out + 2, dport);
    store_be16(out + 4, (uint16_t)(8 + len));
    store_be16(out + 6, 0);
    memcpy(out + 8, data, len);
    struct csum c;
    csum_init(&c);
    ipv4_csum_add_pseudo(&c, src, dst, IPV4_PROTO_UDP, (uint16_t)(8 + len));
    csum_add(&c, out, 8 + len);
    uint16_t sum = csum_finish(&c);
    store_be16(out + 6, sum ? sum : 0xffff);
    return 8 + len;
}

/* An ICMP message (type, code, 4-byte rest, data) with a correct checksum; returns its length. */
static inline size_t build_icmp(uint8_t *out, uint8_t type, uint8_t code, uint32_t rest,
                                const void *data, size_t len)
{
    out[0] = type;
    out[1] = code;
    store_be16(out + 2, 0);
    store_be32(out + 4, rest);
    memcpy(out + 8, data, len);
    store_be16(out + 2, inet_checksum(out, 8 + len));
    return 8 + len;
}

/* A captured frame's IPv4 view. */
struct ip_view {
    struct ipv4_header h;
    const uint8_t *eth_dst;
    const uint8_t *payload;
    size_t payload_len;
    bool checksum_ok;
};

static inline bool parse_ip(const struct capture_dev *c, unsigned i, struct ip_view *v)
{
    const uint8_t *f = c->frame[i];
    if (c->len[i] < 34 || load_be16(f + 12) != ETHERTYPE_IPV4)
        return false;
    if (ipv4_header_parse(f + 14, c->len[i] - 14, false, &v->h) != IPV4_HEADER_OK)
        return false;
    v->eth_dst = f;
    v->checksum_ok = inet_checksum(f + 14, v->h.header_len) == 0;
    v->payload = f + 14 + v->h.header_len;
    v->payload_len = v->h.total_len - v->h.header_len;
    return true;
}

/* Index of the first captured IPv4 frame with this protocol at or after `from`, or -1. */
static inline int find_ip(const struct capture_dev *c, unsigned from, uint8_t protocol,
                          struct ip_view *v)
{
    for (unsigned i = from; i < c->count; i++)
        if (parse_ip(c, i, v) && v->h.protocol == protocol)
            return (int)i;
    return -1;
}

/* Teaches the stack the peer's MAC (an ARP request from it, RFC 826 merge) and forgets what the
 * stack transmitted in answer. */
static inline void learn_neighbor(struct capture_dev *c, struct pbuf_pool *pool, const uint8_t *mac,
                                  uint32_t ip)
{
    uint8_t f[60];
    size_t n = build_arp(f, BCAST, mac, ARP_OP_REQUEST, ip, ZERO_MAC, OUR_IP);
    inject(&c->dev, pool, f, n);
    settle();
    c->count = 0;
}

/* The stack most IPv4 tests run on: booted, a capture device on a 256-block rx pool, our
 * address on a /24 with a gateway, settled, and the peer's MAC learned. */
static inline struct netstack *net_ip_stack_up(struct capture_dev *cap, struct pbuf_pool **rxpool)
{
    net_ip_fixture_boot();
    *rxpool = pbuf_pool_create("rx", 256);
    capture_init(cap, 0, *rxpool);
    struct netstack *s = netstack_create(&cap->dev);
    ck_assert_ptr_nonnull(s);
    set_addr(s, OUR_IP, 24, GATEWAY_IP);
    settle();
    learn_neighbor(cap, *rxpool, PEER_MAC, PEER_IP);
    return s;
}

/* Takes it down again; every rx block must have come back. */
static inline void net_ip_stack_down(struct netstack *s, struct pbuf_pool *rxpool)
{
    netstack_destroy(s);
    ck_assert_uint_eq(pool_in_use(rxpool), 0);
    pbuf_pool_destroy(rxpool);
}

#endif
