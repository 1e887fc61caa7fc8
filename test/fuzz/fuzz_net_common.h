/*
 * test/fuzz/fuzz_net_common.h: what the Ethernet and ARP harnesses share: the simulated machine
 * booted once (fuzz_boot.h), a fresh stack per input on a device that discards what it sends, a loop driver on
 * the simulated clock, and a leak check (every buffer back in its pool after teardown).
 */
#ifndef XENOLITH_TEST_FUZZ_FUZZ_NET_COMMON_H
#define XENOLITH_TEST_FUZZ_FUZZ_NET_COMMON_H

#include <stdlib.h>
#include <string.h>

#include "mm/pbuf.h"
#include "net/stack.h"
#include "platform/netdev.h"
#include "test/fuzz/fuzz_boot.h"

struct fuzz_net {
    struct netdev dev;
    struct pbuf_pool *rxpool;
    struct netstack *stack;
    unsigned sent;
};

static int fuzz_discard_transmit(struct netdev *dev, struct pbuf *p)
{
    struct fuzz_net *f = dev->priv;
    /* Whatever the stack emits must at least be a whole Ethernet header. */
    if (p->tot_len < 14)
        abort();
    f->sent++;
    pbuf_free(p);
    return 0;
}

static const struct netdev_ops fuzz_discard_ops = { .transmit = fuzz_discard_transmit };

static void fuzz_run_for(uint64_t ns)
{
    sim_run_for(ns);
}

static void fuzz_net_up(struct fuzz_net *f, bool configured)
{
    static const uint8_t mac[6] = { 0x02, 0x58, 0x00, 0x00, 0x00, 0x02 };
    fuzz_boot();
    memset(f, 0, sizeof(*f));
    f->rxpool = pbuf_pool_create("fuzzrx", 64);
    netdev_init(&f->dev, &fuzz_discard_ops, "fz", mac, 1500, 0, f->rxpool, f);
    f->stack = netstack_create(&f->dev);
    if (!f->rxpool || !f->stack)
        abort();
    if (configured) {
        struct ipv4_config cfg = { .addr = IP4_ADDR(10, 0, 0, 2), .prefix_len = 24,
                                   .gateway = IP4_ADDR(10, 0, 0, 1) };
        if (netstack_set_ipv4_config(f->stack, &cfg) != 0)
            abort();
    }
}

static void fuzz_net_down(struct fuzz_net *f)
{
    netstack_destroy(f->stack);
    struct pbuf_pool_stats st;
    pbuf_pool_get_stats(f->rxpool, &st);
    if (st.storage_in_use || st.segments_in_use)
        abort();   /* a received frame was never freed */
    pbuf_pool_destroy(f->rxpool);
}

/* Delivers bytes as one frame, split into two segments at `split` when split is inside it. */
static void fuzz_net_deliver(struct fuzz_net *f, const uint8_t *frame, size_t len, size_t split)
{
    struct pbuf *p;
    if (split > 0 && split < len) {
        p = pbuf_from_bytes(f->rxpool, frame, split);
        struct pbuf *tail = pbuf_from_bytes(f->rxpool, frame + split, len - split);
        if (!p || !tail)
            abort();
        pbuf_cat(p, tail);
    } else {
        p = pbuf_from_bytes(f->rxpool, frame, len);
        if (!p)
            abort();
    }
    netdev_receive(&f->dev, p);
}

#endif
