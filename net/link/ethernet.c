/*
 * net/link/ethernet: Ethernet II framing (RFC 894): the EtherType handler table, receive filtering
 * and dispatch, header construction, minimum-size padding, and the software fallback for transmit
 * checksum offload.
 */
#include "net/link/ethernet.h"
#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pbuf.h"

const uint8_t eth_broadcast_addr[ETH_ADDR_LEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* RFC 1112 6.4: every IPv4 host belongs to the all-hosts group 224.0.0.1. Without IGMP we join no
 * other group, so other multicast frames are not for us. */
static const uint8_t all_hosts_mac[ETH_ADDR_LEN] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

void eth_ipv4_multicast_addr(uint32_t group_be, uint8_t mac[ETH_ADDR_LEN])
{
    const uint8_t *g = (const uint8_t *)&group_be;
    mac[0] = 0x01;
    mac[1] = 0x00;
    mac[2] = 0x5e;
    mac[3] = g[1] & 0x7f;
    mac[4] = g[2];
    mac[5] = g[3];
}

static void drop(struct pbuf *p, uint64_t *counter)
{
    (*counter)++;
    pbuf_free(p);
}

void eth_init(struct eth_layer *eth, struct netdev *dev, struct pbuf_pool *pool)
{
    memset(eth, 0, sizeof(*eth));
    eth->dev = dev;
    eth->pool = pool;
    memcpy(eth->mac, dev->mac, ETH_ADDR_LEN);
}

void eth_attach(struct eth_layer *eth)
{
    netdev_set_rx_handler(eth->dev, eth_input, eth);
}

void eth_fini(struct eth_layer *eth)
{
    netdev_set_rx_handler(eth->dev, NULL, NULL);
}

int eth_register(struct eth_layer *eth, uint16_t ethertype, eth_input_fn input, void *ctx)
{
    if (eth_handler_for(eth, ethertype))
        return -EEXIST;
    if (eth->handler_count >= ETH_MAX_HANDLERS)
        return -ENOSPC;
    eth->handlers[eth->handler_count++] = (struct eth_handler){ ethertype, input, ctx };
    return 0;
}

const struct eth_handler *eth_handler_for(const struct eth_layer *eth, uint16_t ethertype)
{
    for (unsigned i = 0; i < eth->handler_count; i++)
        if (eth->handlers[i].ethertype == ethertype)
            return &eth->handlers[i];
    return NULL;
}

void eth_input(struct netdev *dev, struct pbuf *p, void *ctx)
{
    (void)dev;
    struct eth_layer *eth = ctx;
    struct eth_stats *st = &eth->stats;
    const uint8_t *h = pbuf_linearize(p, ETH_HEADER_LEN);
    if (!h)
        return drop(p, &st->rx_too_short);
    const uint8_t *dst = h, *src = h + ETH_ADDR_LEN;
    uint16_t type = load_be16(h + 12);

    if (eth_addr_is_multicast(src))
        return drop(p, &st->rx_bad_source);
    if (memcmp(src, eth->mac, ETH_ADDR_LEN) == 0)
        return drop(p, &st->rx_own_source);
    p->flags &= (uint16_t)~(PBUF_F_LINK_BCAST | PBUF_F_LINK_MCAST);
    if (eth_addr_is_broadcast(dst)) {
        p->flags |= PBUF_F_LINK_BCAST;
        st->rx_broadcast++;
    } else if (eth_addr_is_multicast(dst)) {
        if (memcmp(dst, all_hosts_mac, ETH_ADDR_LEN) != 0)
            return drop(p, &st->rx_not_for_us);
        p->flags |= PBUF_F_LINK_MCAST;
        st->rx_multicast++;
    } else if (memcmp(dst, eth->mac, ETH_ADDR_LEN) != 0) {
        return drop(p, &st->rx_not_for_us);
    }
    if (type < ETH_MIN_ETHERTYPE)
        return drop(p, &st->rx_ieee8023);
    const struct eth_handler *handler = eth_handler_for(eth, type);
    if (!handler)
        return drop(p, &st->rx_unknown_ethertype);
    pbuf_pull(p, ETH_HEADER_LEN);
    st->rx_frames++;
    handler->input(handler->ctx, p);
}

/* Gives p ETH_HEADER_LEN bytes of room in front: in place when it can, else in a new head. */
static struct pbuf *make_header_room(struct eth_layer *eth, struct pbuf *p)
{
    if (pbuf_push(p, ETH_HEADER_LEN))
        return p;
    struct pbuf *h = pbuf_alloc(eth->pool, ETH_HEADER_LEN);
    if (!h)
        return NULL;
    h->flags = p->flags;
    h->csum_start = p->csum_start;
    h->csum_offset = p->csum_offset;
    h->gso_size = p->gso_size;
    h->gso_segs = p->gso_segs;
    h->timestamp_ns = p->timestamp_ns;
    pbuf_cat(h, p);
    return h;
}

int eth_output(struct eth_layer *eth, struct pbuf *p, const uint8_t dst_mac[ETH_ADDR_LEN],
               uint16_t ethertype)
{
    struct eth_stats *st = &eth->stats;
    struct netdev *dev = eth->dev;
    struct pbuf *f = make_header_room(eth, p);
    if (!f) {
        drop(p, &st->tx_no_headroom);
        return -ENOBUFS;
    }
    uint8_t hdr[ETH_HEADER_LEN];
    memcpy(hdr, dst_mac, ETH_ADDR_LEN);
    memcpy(hdr + ETH_ADDR_LEN, eth->mac, ETH_ADDR_LEN);
    store_be16(hdr + 12, ethertype);
    memcpy(f->data, hdr, ETH_HEADER_LEN);
    if ((f->flags & PBUF_F_CSUM_PARTIAL) && !(dev->caps & NETDEV_CAP_TX_CSUM) &&
        netdev_complete_checksum(f) != 0) {
        drop(f, &st->tx_device_errors);
        return -EINVAL;
    }
    if (f->tot_len < ETH_MIN_FRAME) {
        size_t pad = ETH_MIN_FRAME - f->tot_len;
        struct pbuf *z = pbuf_alloc_headroom(eth->pool, pad, 0);
        if (!z) {
            drop(f, &st->tx_no_headroom);
            return -ENOBUFS;
        }
        memset(z->data, 0, pad);
        pbuf_cat(f, z);
        st->tx_padded++;
    }
    int err = netdev_transmit(dev, f);
    if (err) {
        st->tx_device_errors++;
        return err;
    }
    st->tx_frames++;
    return 0;
}
