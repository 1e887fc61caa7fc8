/*
 * test/fuzz/fuzz_ip_common.h: what the IPv4, ICMP and UDP harnesses share, on top of
 * fuzz_net_common.h: a transmit check that every IPv4 datagram the stack emits is well formed
 * (version, header checksum, total length within the MTU and the frame, ICMP/UDP checksums of
 * unfragmented datagrams), a neighbour in the ARP cache so replies really leave, and delivery of
 * an IPv4 datagram wrapped in an Ethernet frame.
 */
#ifndef XENOLITH_TEST_FUZZ_FUZZ_IP_COMMON_H
#define XENOLITH_TEST_FUZZ_FUZZ_IP_COMMON_H

#include "test/fuzz/fuzz_net_common.h"

#include "lib/byteorder.h"
#include "lib/checksum.h"
#include "net/ip/icmp.h"
#include "net/ip/ipv4.h"
#include "net/udp/udp.h"

#define FUZZ_OUR_IP IP4_ADDR(10, 0, 0, 2)
#define FUZZ_PEER_IP IP4_ADDR(10, 0, 0, 1)
static const uint8_t fuzz_peer_mac[6] = { 0x02, 0xaa, 0, 0, 0, 1 };

static void fuzz_check_ipv4_frame(const uint8_t *f, size_t len, uint32_t mtu)
{
    if (len < 14 || load_be16(f + 12) != 0x0800)
        return;
    const uint8_t *ip = f + 14;
    struct ipv4_header h;
    if (ipv4_header_parse(ip, len - 14, true, &h) != IPV4_HEADER_OK)
        abort();
    if (h.total_len > mtu || h.ttl == 0)
        abort();
    if (ipv4_is_fragment(&h))
        return;
    const uint8_t *l4 = ip + h.header_len;
    size_t l4_len = h.total_len - h.header_len;
    if (h.protocol == IPV4_PROTO_ICMP && inet_checksum(l4, l4_len) != 0)
        abort();
    if (h.protocol == IPV4_PROTO_UDP) {
        struct csum c;
        csum_init(&c);
        ipv4_csum_add_pseudo(&c, h.src, h.dst, IPV4_PROTO_UDP, (uint16_t)l4_len);
        csum_add(&c, l4, l4_len);
        if (l4_len < 8 || load_be16(l4 + 4) != l4_len || csum_finish(&c) != 0)
            abort();
    }
}

static int fuzz_checked_transmit(struct netdev *dev, struct pbuf *p)
{
    struct fuzz_net *f = dev->priv;
    static uint8_t frame[2048];
    if (p->tot_len < 14 || p->tot_len > 14 + dev->mtu || pbuf_copy_out(p, 0, frame, p->tot_len) != 0)
        abort();
    fuzz_check_ipv4_frame(frame, p->tot_len, dev->mtu);
    f->sent++;
    pbuf_free(p);
    return 0;
}

static const struct netdev_ops fuzz_checked_ops = { .transmit = fuzz_checked_transmit };

/* A configured stack whose transmissions are checked, with the peer's MAC learnt. */
static void fuzz_ip_up(struct fuzz_net *f, bool configured)
{
    fuzz_net_up(f, configured);
    f->dev.ops = &fuzz_checked_ops;
    uint8_t frame[60];
    memset(frame, 0, sizeof(frame));
    memcpy(frame, f->dev.mac, 6);
    memcpy(frame + 6, fuzz_peer_mac, 6);
    store_be16(frame + 12, 0x0806);
    uint8_t *a = frame + 14;
    store_be16(a, 1);
    store_be16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    store_be16(a + 6, 2);
    memcpy(a + 8, fuzz_peer_mac, 6);
    uint32_t peer = FUZZ_PEER_IP, us = FUZZ_OUR_IP;
    memcpy(a + 14, &peer, 4);
    memcpy(a + 18, f->dev.mac, 6);
    memcpy(a + 24, &us, 4);
    fuzz_net_deliver(f, frame, sizeof(frame), 0);
}

/* Wraps an IPv4 datagram in an Ethernet frame (to us, or broadcast) and delivers it, split into
 * two segments at `split` when that falls inside the frame. */
static void fuzz_ip_deliver(struct fuzz_net *f, const uint8_t *ip, size_t len, bool link_broadcast,
                            size_t split)
{
    static uint8_t frame[14 + 65536];
    if (len > 65535)
        len = 65535;
    if (link_broadcast)
        memset(frame, 0xff, 6);
    else
        memcpy(frame, f->dev.mac, 6);
    memcpy(frame + 6, fuzz_peer_mac, 6);
    store_be16(frame + 12, 0x0800);
    memcpy(frame + 14, ip, len);
    size_t n = 14 + len;
    if (n < 60) {
        memset(frame + n, 0, 60 - n);
        n = 60;
    }
    fuzz_net_deliver(f, frame, n, split);
}

/* Writes a valid 20-byte IPv4 header for a datagram of payload_len bytes. */
static void fuzz_ip_header(uint8_t *h, uint32_t src, uint32_t dst, uint8_t protocol, uint16_t id,
                           uint16_t frag_field, size_t payload_len)
{
    struct ipv4_header hd = {
        .total_len = (uint16_t)(20 + payload_len), .id = id, .frag_field = frag_field, .ttl = 64,
        .protocol = protocol, .src = src, .dst = dst,
    };
    ipv4_header_build(h, &hd);
}

#endif
