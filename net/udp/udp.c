/*
 * net/udp/udp: the UDP layer of one stack, registered with the IPv4 layer as protocol 17: input
 * validation and demultiplexing, port unreachable (through IPv4's error sender), output with
 * checksum (RFC 768, RFC 1122 4.1). Sockets are in udp_socket.c.
 */
#include "net/udp/udp.h"

#include "lib/byteorder.h"
#include "lib/checksum.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "net/ip/icmp.h"
#include "net/ip/ipv4.h"
#include "net/link/ethernet.h"
#include "mm/pbuf.h"
#include "net/udp/udp_internal.h"
#include "platform/netdev.h"

uint16_t udp_checksum(const struct pbuf *p, uint32_t src, uint32_t dst)
{
    struct csum c;
    csum_init(&c);
    ipv4_csum_add_pseudo(&c, src, dst, IPV4_PROTO_UDP, (uint16_t)p->tot_len);
    ipv4_csum_add_pbuf(&c, p, 0, p->tot_len);
    return csum_finish(&c);
}

void udp_input(struct udp_layer *udp, struct pbuf *p, const struct ipv4_rx_info *rx)
{
    struct udp_stats *st = &udp->stats;
    const uint8_t *h = p->len >= UDP_HEADER_LEN   ? p->data
                       : p->tot_len >= UDP_HEADER_LEN ? pbuf_linearize(p, UDP_HEADER_LEN)
                                                      : NULL;
    if (!h) {
        st->rx_truncated++;
        goto drop;
    }
    uint16_t src_port = load_be16(h), dst_port = load_be16(h + 2);
    uint16_t length = load_be16(h + 4), checksum = load_be16(h + 6);
    if (length < UDP_HEADER_LEN) {
        st->rx_bad_length++;
        goto drop;
    }
    if (length > p->tot_len) {
        st->rx_truncated++;
        goto drop;
    }
    /* RFC 768: the length field is authoritative; bytes beyond it in the IP payload are not ours. */
    if (length < p->tot_len)
        pbuf_trim(p, length);
    if (checksum == 0) {
        /* RFC 768: zero means the sender computed none, which IPv4 allows. */
        st->rx_no_checksum++;
    } else if (!(p->flags & PBUF_F_CSUM_VERIFIED) && udp_checksum(p, rx->src, rx->dst) != 0) {
        /* RFC 1122 4.1.3.4: a datagram with a bad checksum is discarded silently. */
        st->rx_bad_checksum++;
        goto drop;
    }
    if (src_port == 0)
        st->rx_bad_source_port++;

    struct udp_socket *sock = udp_find_socket(udp, dst_port);
    if (!sock) {
        st->rx_no_port++;
        /* RFC 1122 4.1.3.1: port unreachable; the ICMP sender refuses it for broadcast and
         * multicast destinations and rate-limits the rest. */
        if (pbuf_push(p, rx->header_len))
            ipv4_send_error(udp->ip, p, rx, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_PORT, 0);
        goto drop;
    }
    struct udp_datagram_info info = {
        .src_addr = rx->src,
        .src_port = src_port,
        .dst_addr = rx->dst,
        .dst_port = dst_port,
    };
    pbuf_pull(p, UDP_HEADER_LEN);
    udp_socket_deliver(sock, p, &info);
    return;
drop:
    pbuf_free(p);
}

static void udp_datagram(void *ctx, struct pbuf *p, const struct ipv4_rx_info *rx)
{
    udp_input(ctx, p, rx);
}

int udp_init(struct udp_layer *udp, struct ipv4_layer *ip)
{
    memset(udp, 0, sizeof(*udp));
    udp->ip = ip;
    list_init(&udp->sockets);
    return ipv4_register_protocol(ip, IPV4_PROTO_UDP, udp_datagram, NULL, udp);
}

int udp_send_from(struct udp_layer *udp, uint16_t src_port, uint32_t dst, uint16_t dst_port,
                  const void *buf, size_t len)
{
    struct udp_stats *st = &udp->stats;
    if (len > UDP_MAX_PAYLOAD) {
        st->tx_errors++;
        return -EMSGSIZE;
    }
    if (dst_port == 0 || dst == 0) {
        st->tx_errors++;
        return -EINVAL;
    }
    /* No route is found by ipv4_output (its -ENETUNREACH is returned): not looked up twice. */
    struct pbuf *p = pbuf_alloc(udp->ip->eth->pool, UDP_HEADER_LEN + len);
    if (!p) {
        st->tx_no_buffers++;
        return -ENOBUFS;
    }
    uint32_t src = ipv4_addr(udp->ip);
    /* A datagram that fits one buffer (the usual case) is written in place and summed in one
     * pass; a longer one is built on the side and copied in. */
    bool flat = !p->next;
    uint8_t side[UDP_HEADER_LEN];
    uint8_t *header = flat ? p->data : side;
    store_be16(header, src_port);
    store_be16(header + 2, dst_port);
    store_be16(header + 4, (uint16_t)(UDP_HEADER_LEN + len));
    store_be16(header + 6, 0);
    if (flat && len)
        memcpy(header + UDP_HEADER_LEN, buf, len);
    struct csum c;
    csum_init(&c);
    ipv4_csum_add_pseudo(&c, src, dst, IPV4_PROTO_UDP, (uint16_t)(UDP_HEADER_LEN + len));
    bool offload = (udp->ip->eth->dev->caps & NETDEV_CAP_TX_CSUM) &&
                   IPV4_HEADER_MIN + UDP_HEADER_LEN + len <= ipv4_path_mtu(udp->ip, dst);
    if (offload) {
        /* The device finishes it: the field holds the pseudo-header sum, as netdev.h asks. */
        store_be16(header + 6, csum_sum16(&c));
        p->flags |= PBUF_F_CSUM_PARTIAL;
        p->csum_start = IPV4_HEADER_MIN;
        p->csum_offset = 6;
    } else {
        if (flat) {
            csum_add(&c, header, UDP_HEADER_LEN + len);
        } else {
            csum_add(&c, header, UDP_HEADER_LEN);
            csum_add(&c, buf, len);
        }
        uint16_t sum = csum_finish(&c);
        /* RFC 768: a computed zero is sent as all ones (zero means "no checksum"). */
        store_be16(header + 6, sum ? sum : 0xffff);
    }
    if (!flat) {
        pbuf_copy_in(p, 0, header, UDP_HEADER_LEN);
        if (len)
            pbuf_copy_in(p, UDP_HEADER_LEN, buf, len);
    }
    struct ipv4_tx tx = { .src = src, .dst = dst, .protocol = IPV4_PROTO_UDP };
    int err = ipv4_output(udp->ip, p, &tx);
    if (err) {
        st->tx_errors++;
        return err;
    }
    st->tx_datagrams++;
    return (int)len;
}

#define STAT_NAME(field) #field,
