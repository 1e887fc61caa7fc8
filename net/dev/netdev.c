/*
 * net/dev/netdev: the common half of every network device (platform/netdev.h): length checks and
 * counters on transmit, counting and dispatch on receive, stats printing, MAC generation.
 */
#include "platform/netdev.h"
#include "lib/byteorder.h"
#include "lib/checksum.h"
#include "lib/counters.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pbuf.h"

void netdev_init(struct netdev *dev, const struct netdev_ops *ops, const char *name,
                 const uint8_t mac[NETDEV_MAC_LEN], uint32_t mtu, uint32_t caps,
                 struct pbuf_pool *pool, void *priv)
{
    memset(dev, 0, sizeof(*dev));
    dev->ops = ops;
    kstrlcpy(dev->name, name ? name : "net", sizeof(dev->name));
    memcpy(dev->mac, mac, NETDEV_MAC_LEN);
    dev->mtu = mtu ? mtu : NETDEV_DEFAULT_MTU;
    dev->caps = caps;
    dev->pool = pool;
    dev->priv = priv;
}

void netdev_set_rx_handler(struct netdev *dev, netdev_rx_handler handler, void *ctx)
{
    dev->rx_handler = handler;
    dev->rx_ctx = ctx;
}

/* A TSO frame may exceed the MTU up to the IPv4 datagram limit. */
#define NETDEV_TSO_MAX_FRAME (NETDEV_ETH_HEADER_LEN + 65535u)

int netdev_transmit(struct netdev *dev, struct pbuf *p)
{
    uint32_t limit = dev->mtu + NETDEV_ETH_HEADER_LEN;
    if (p->gso_size && (dev->caps & NETDEV_CAP_TSO))
        limit = NETDEV_TSO_MAX_FRAME;
    int err = 0;
    if (p->tot_len < NETDEV_ETH_HEADER_LEN)
        err = -EINVAL;
    else if (p->tot_len > limit)
        err = -EMSGSIZE;
    if (err) {
        dev->stats.tx_errors++;
        pbuf_free(p);
        return err;
    }
    uint32_t bytes = p->tot_len;
    bool tso = p->gso_size && (dev->caps & NETDEV_CAP_TSO);
    uint32_t segments = tso && p->gso_segs ? p->gso_segs : 1;
    err = dev->ops->transmit(dev, p);
    if (err == 0) {
        dev->stats.tx_frames++;
        dev->stats.tx_bytes += bytes;
        dev->stats.tx_segments += segments;
        if (tso)
            dev->stats.tx_gso_frames++;
    }
    return err;
}

void netdev_receive(struct netdev *dev, struct pbuf *p)
{
    dev->stats.rx_frames++;
    dev->stats.rx_bytes += p->tot_len;
    if (p->gso_size)
        dev->stats.rx_gso_frames++;
    if (!dev->rx_handler) {
        dev->stats.rx_no_handler++;
        pbuf_free(p);
        return;
    }
    dev->rx_handler(dev, p, dev->rx_ctx);
}

int netdev_complete_checksum(struct pbuf *p)
{
    size_t start = NETDEV_ETH_HEADER_LEN + (size_t)p->csum_start;
    size_t field = start + p->csum_offset;
    if (start >= p->tot_len || field + 2 > p->tot_len)
        return -EINVAL;
    struct csum c;
    csum_init(&c);
    size_t skip = start;
    for (const struct pbuf *seg = p; seg; seg = seg->next) {
        if (skip >= seg->len) {
            skip -= seg->len;
            continue;
        }
        csum_add(&c, seg->data + skip, seg->len - skip);
        skip = 0;
    }
    /* 0 and 0xffff are the same ones' complement value; UDP reserves 0 for "no checksum"
     * (RFC 768), so a computed 0 is sent as 0xffff, which TCP receivers accept as well. */
    uint16_t sum = csum_finish(&c);
    uint8_t out[2];
    store_be16(out, sum ? sum : 0xffff);
    int err = pbuf_copy_in(p, field, out, 2);
    if (err == 0)
        p->flags &= (uint16_t)~PBUF_F_CSUM_PARTIAL;
    return err;
}

void netdev_destroy(struct netdev *dev)
{
    if (dev && dev->ops && dev->ops->destroy)
        dev->ops->destroy(dev);
}

void netdev_print_stats(const struct netdev *dev)
{
    COUNTERS_PRINT("dev", dev->name, NETDEV_COUNTERS, dev->stats);
}

void netdev_make_mac(uint8_t mac[NETDEV_MAC_LEN], uint32_t seed)
{
    /* Mix the seed so neighbouring seeds give unrelated-looking addresses. */
    uint32_t x = seed * 0x9e3779b1u;
    x ^= x >> 15;
    x *= 0x85ebca77u;
    x ^= x >> 13;
    mac[0] = 0x02;               /* locally administered, unicast */
    mac[1] = 0x58;               /* 'X' */
    mac[2] = (uint8_t)(x >> 24);
    mac[3] = (uint8_t)(x >> 16);
    mac[4] = (uint8_t)(x >> 8);
    mac[5] = (uint8_t)x;
}
