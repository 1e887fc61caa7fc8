/*
 * platform/hosted/tap_vnet: virtio_net_hdr encoding and checking for the TAP (see tap_vnet.h).
 */
#include "platform/hosted/tap_vnet.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pbuf.h"
#include "platform/netdev.h"

/* Offsets inside an Ethernet + IPv4 + TCP frame. */
#define ETHERTYPE_OFFSET 12u
#define IPV4_PROTOCOL_OFFSET 9u
#define TCP_DATA_OFFSET_OFFSET 12u
#define TCP_CHECKSUM_OFFSET 16u
#define PROTO_TCP 6u

int tap_vnet_encode(const struct pbuf *p, struct virtio_net_hdr *h)
{
    memset(h, 0, sizeof(*h));
    bool partial = (p->flags & PBUF_F_CSUM_PARTIAL) != 0;
    if (partial) {
        h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h->csum_start = (uint16_t)(NETDEV_ETH_HEADER_LEN + p->csum_start);
        h->csum_offset = p->csum_offset;
    }
    if (!p->gso_size)
        return 0;
    /* TSO: the host cuts the frame after hdr_len bytes of headers into gso_size pieces. */
    uint8_t eth_type[2], proto, data_offset;
    size_t l4 = NETDEV_ETH_HEADER_LEN + (size_t)p->csum_start;
    if (!partial || p->csum_offset != TCP_CHECKSUM_OFFSET ||
        pbuf_copy_out(p, ETHERTYPE_OFFSET, eth_type, 2) != 0 ||
        eth_type[0] != 0x08 || eth_type[1] != 0x00 ||
        pbuf_copy_out(p, NETDEV_ETH_HEADER_LEN + IPV4_PROTOCOL_OFFSET, &proto, 1) != 0 ||
        proto != PROTO_TCP ||
        pbuf_copy_out(p, l4 + TCP_DATA_OFFSET_OFFSET, &data_offset, 1) != 0)
        return -EINVAL;
    size_t hdr_len = l4 + (size_t)(data_offset >> 4) * 4u;
    if (hdr_len >= p->tot_len)
        return -EINVAL;
    h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    h->gso_size = p->gso_size;
    h->hdr_len = (uint16_t)hdr_len;
    return 0;
}

int tap_vnet_decode(const struct virtio_net_hdr *h, struct pbuf *p)
{
    bool partial = (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) != 0;
    if (partial) {
        uint32_t field = (uint32_t)h->csum_start + h->csum_offset;
        if (h->csum_start < NETDEV_ETH_HEADER_LEN || field + 2u > p->tot_len)
            return -EINVAL;
    }
    /* Only TCPv4 was offered (TUNSETOFFLOAD without TUN_F_TSO_ECN, TSO6 or UFO). */
    if (h->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
        if (h->gso_type != VIRTIO_NET_HDR_GSO_TCPV4 || h->gso_size == 0 || !partial)
            return -EINVAL;
        p->gso_size = h->gso_size;
    }
    if (partial || (h->flags & VIRTIO_NET_HDR_F_DATA_VALID))
        p->flags |= PBUF_F_CSUM_VERIFIED;
    return 0;
}
