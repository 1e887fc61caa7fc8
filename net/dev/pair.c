/*
 * net/dev/pair: the in-memory wire (see pair.h). Each end owns the queue of frames travelling
 * towards it, ordered by arrival time, and a sched/ timer armed for the head's arrival.
 */
#include "net/dev/pair.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pbuf.h"
#include "platform/platform.h"
#include "sched/sched.h"

/* The pair copies frames, so scatter-gather costs it nothing; checksum completion it emulates; a
 * TSO frame reaches the other end whole, as a large receive (what netback or a TAP does when the
 * receiver accepts GSO). */
#define PAIR_CAPS (NETDEV_CAP_SG | NETDEV_CAP_TX_CSUM | NETDEV_CAP_TSO)

struct pair_end {
    struct netdev dev;
    struct netdev_pair *pair;
    unsigned side;
    struct pbuf *head, *tail;        /* frames on their way to this end, qnext-linked */
    unsigned queued;
    struct timer timer;
};

struct netdev_pair {
    struct pair_end end[2];
    bool link_up;
    uint64_t latency_ns;
};

static void deliver(struct timer *t, void *arg)
{
    struct pair_end *to = arg;
    uint64_t now = platform_monotonic_ns();
    while (to->head && to->head->timestamp_ns <= now) {
        struct pbuf *p = to->head;
        to->head = p->qnext;
        if (!to->head)
            to->tail = NULL;
        p->qnext = NULL;
        to->queued--;
        p->timestamp_ns = now;
        netdev_receive(&to->dev, p);
    }
    if (to->head)
        timer_arm(&to->timer, to->head->timestamp_ns);
}

static int pair_transmit(struct netdev *dev, struct pbuf *p)
{
    struct pair_end *from = dev->priv;
    struct netdev_pair *pair = from->pair;
    struct pair_end *to = &pair->end[!from->side];
    if (!pair->link_up) {
        dev->stats.tx_dropped++;
        pbuf_free(p);
        return -ENETDOWN;
    }
    if (to->queued >= NETDEV_PAIR_QUEUE) {
        dev->stats.tx_dropped++;
        pbuf_free(p);
        return -ENOBUFS;
    }
    if ((p->flags & PBUF_F_CSUM_PARTIAL) && netdev_complete_checksum(p) != 0) {
        dev->stats.tx_errors++;
        pbuf_free(p);
        return -EINVAL;
    }
    /* The receiver gets its own copy in its own pool, as from a real wire: the sender may still
     * hold references (retransmission queues), and the receiver's pool bound applies. */
    struct pbuf *copy = pbuf_clone(p, to->dev.pool);
    pbuf_free(p);
    if (!copy) {
        to->dev.stats.rx_errors++;
        return 0;   /* the wire took it; the far side had no buffer */
    }
    copy->flags = 0;
    copy->csum_start = copy->csum_offset = copy->gso_segs = 0;
    uint64_t arrival = platform_monotonic_ns() + pair->latency_ns;
    if (to->tail && to->tail->timestamp_ns > arrival)
        arrival = to->tail->timestamp_ns;   /* a wire does not let frames overtake */
    copy->timestamp_ns = arrival;
    copy->qnext = NULL;
    if (to->tail)
        to->tail->qnext = copy;
    else
        to->head = copy;
    to->tail = copy;
    to->queued++;
    if (!timer_armed(&to->timer))
        timer_arm(&to->timer, to->head->timestamp_ns);
    return 0;
}

static const struct netdev_ops pair_ops = {
    .transmit = pair_transmit,
    .destroy = NULL,    /* the ends live and die with the pair */
};

struct netdev_pair *netdev_pair_create(const char *name, uint32_t mac_seed, uint32_t mtu,
                                       uint32_t caps, struct pbuf_pool *pool_a,
                                       struct pbuf_pool *pool_b)
{
    struct netdev_pair *pair = kcalloc(1, sizeof(*pair));
    if (!pair)
        return NULL;
    pair->link_up = true;
    for (unsigned side = 0; side < 2; side++) {
        struct pair_end *e = &pair->end[side];
        char end_name[NETDEV_NAME_MAX];
        uint8_t mac[NETDEV_MAC_LEN];
        ksnprintf(end_name, sizeof(end_name), "%s%u", name ? name : "pair", side);
        netdev_make_mac(mac, mac_seed * 2 + side);
        netdev_init(&e->dev, &pair_ops, end_name, mac, mtu, caps & PAIR_CAPS,
                    side ? pool_b : pool_a, e);
        e->pair = pair;
        e->side = side;
        timer_init(&e->timer, deliver, e);
    }
    return pair;
}

void netdev_pair_destroy(struct netdev_pair *pair)
{
    if (!pair)
        return;
    for (unsigned side = 0; side < 2; side++) {
        timer_cancel(&pair->end[side].timer);
        pbuf_free_queue(pair->end[side].head);
    }
    kfree(pair);
}

struct netdev *netdev_pair_end(struct netdev_pair *pair, unsigned side)
{
    return side < 2 ? &pair->end[side].dev : NULL;
}

void netdev_pair_set_link(struct netdev_pair *pair, bool up)
{
    pair->link_up = up;
}

void netdev_pair_set_latency(struct netdev_pair *pair, uint64_t latency_ns)
{
    pair->latency_ns = latency_ns;
}

unsigned netdev_pair_in_flight(const struct netdev_pair *pair)
{
    return pair->end[0].queued + pair->end[1].queued;
}
