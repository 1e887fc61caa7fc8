/*
 * test/unit/net_core_fixture.h: shared set-up for the Ethernet/ARP/device unit tests (header-only;
 * each test_*.c is its own program): the simulated machine with heap and scheduler, loop drivers
 * on the simulated clock, a capture device that records what a stack transmits, and builders for
 * raw Ethernet and ARP frames.
 */
#ifndef XENOLITH_TEST_UNIT_NET_CORE_FIXTURE_H
#define XENOLITH_TEST_UNIT_NET_CORE_FIXTURE_H

#include <check.h>
#include <string.h>

#include "lib/byteorder.h"
#include "mm/mm.h"
#include "mm/pbuf.h"
#include "net/stack.h"
#include "platform/netdev.h"
#include "sched/sched.h"
#include "test/unit/sim/sim.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (1 * SEC)

static inline void core_boot(void)
{
    sim_start_kernel(T0);
}

/* ---- driving the loop on the simulated clock ---- */

/* Runs every timer and delivery due up to and including `when`; the clock ends at `when`. */
static inline void run_until(uint64_t when)
{
    sim_run_until(when);
}
static inline void run_for(uint64_t ns)
{
    sim_run_for(ns);
}
/* Lets zero-delay work at the current instant happen (1 ns later on the clock). */
static inline void settle(void)
{
    run_for(1);
}

/* ---- a device that records transmitted frames ---- */

#define CAPTURE_MAX 128
struct capture_dev {
    struct netdev dev;
    unsigned count;
    uint8_t frame[CAPTURE_MAX][2048];
    uint32_t len[CAPTURE_MAX];
    uint64_t when[CAPTURE_MAX];
};

static inline int capture_transmit(struct netdev *dev, struct pbuf *p)
{
    struct capture_dev *c = dev->priv;
    ck_assert_uint_lt(c->count, CAPTURE_MAX);
    ck_assert_uint_le(p->tot_len, sizeof(c->frame[0]));
    ck_assert_int_eq(pbuf_copy_out(p, 0, c->frame[c->count], p->tot_len), 0);
    c->len[c->count] = p->tot_len;
    c->when[c->count] = sim_now();
    c->count++;
    pbuf_free(p);
    return 0;
}

static const struct netdev_ops capture_ops = { .transmit = capture_transmit };

static inline void capture_init(struct capture_dev *c, uint32_t caps, struct pbuf_pool *pool)
{
    static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
    memset(c, 0, sizeof(*c));
    netdev_init(&c->dev, &capture_ops, "cap", mac, 1500, caps, pool, c);
}

/* Hands a raw frame to the stack as if the wire delivered it. */
static inline void inject(struct netdev *dev, struct pbuf_pool *pool, const void *frame, size_t len)
{
    struct pbuf *p = pbuf_from_bytes(pool, frame, len);
    ck_assert_ptr_nonnull(p);
    netdev_receive(dev, p);
}

/* ---- frame builders ---- */

static const uint8_t PEER_MAC[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01 };
static const uint8_t PEER2_MAC[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02 };
static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t ZERO_MAC[6];

static inline size_t build_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    store_be16(f + 12, type);
    return 14;
}

/* An Ethernet frame carrying an ARP packet; returns its length (60, padded like a real NIC). */
static inline size_t build_arp(uint8_t *f, const uint8_t *eth_dst, const uint8_t *sha, uint16_t op,
                               uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
    memset(f, 0, 60);
    size_t n = build_eth(f, eth_dst, sha, ETHERTYPE_ARP);
    uint8_t *a = f + n;
    store_be16(a, 1);
    store_be16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    store_be16(a + 6, op);
    memcpy(a + 8, sha, 6);
    memcpy(a + 14, &spa, 4);
    memcpy(a + 18, tha, 6);
    memcpy(a + 24, &tpa, 4);
    return 60;
}

/* Parsed view of a captured ARP frame. */
struct arp_view {
    uint8_t eth_dst[6], eth_src[6];
    uint16_t ethertype, op;
    uint8_t sha[6], tha[6];
    uint32_t spa, tpa;
};

static inline bool parse_arp(const struct capture_dev *c, unsigned i, struct arp_view *v)
{
    const uint8_t *f = c->frame[i];
    if (c->len[i] < 42)
        return false;
    memcpy(v->eth_dst, f, 6);
    memcpy(v->eth_src, f + 6, 6);
    v->ethertype = load_be16(f + 12);
    if (v->ethertype != ETHERTYPE_ARP)
        return false;
    v->op = load_be16(f + 20);
    memcpy(v->sha, f + 22, 6);
    memcpy(&v->spa, f + 28, 4);
    memcpy(v->tha, f + 32, 6);
    memcpy(&v->tpa, f + 38, 4);
    return true;
}

static inline void set_addr(struct netstack *s, uint32_t addr, uint8_t prefix, uint32_t gw)
{
    struct ipv4_config cfg = { .addr = addr, .prefix_len = prefix, .gateway = gw };
    ck_assert_int_eq(netstack_set_ipv4_config(s, &cfg), 0);
}

static inline uint64_t pool_in_use(struct pbuf_pool *pool)
{
    struct pbuf_pool_stats st;
    pbuf_pool_get_stats(pool, &st);
    return st.storage_in_use + st.segments_in_use;
}

#endif
