/*
 * Fuzz harness: a hostile netback (xen/netfront_ring.c). The input is a program for the backend:
 * each operation writes a tx or rx response (any id, status, offset, flags), an extra-info slot,
 * an arbitrary response producer, bytes into a received page, or makes the frontend act (send a
 * frame of a chosen size with or without TSO/checksum offload, reap tx completions, poll the rx
 * ring). The first byte picks the negotiated features.
 * Checks: no crash or sanitizer report; the consumer indices never pass our own requests; the
 * pool's free count matches the ids marked busy; a delivered frame is 14..NETFRONT_RX_FRAME_MAX
 * bytes; once a bad response broke the queue nothing else is taken; no packet buffer leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mm/mm.h"
#include "net/pbuf.h"
#include "sched/sched.h"
#include "test/unit/sim/sim.h"
#include "xen/netfront_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(4096) uint8_t tx_sring_page[4096], rx_sring_page[4096];
static _Alignas(4096) uint8_t tx_mem[NETFRONT_TX_SLOTS][4096];
static _Alignas(4096) uint8_t rx_mem[NETFRONT_RX_SLOTS][4096];
static uint8_t *tx_pages[NETFRONT_TX_SLOTS], *rx_pages[NETFRONT_RX_SLOTS];
static uint32_t tx_grefs[NETFRONT_TX_SLOTS], rx_grefs[NETFRONT_RX_SLOTS];
static struct pbuf_pool *pool;
static struct netfront_queue q;

static void boot(void)
{
    static bool booted;
    if (booted)
        return;
    sim_reset(1000000000ull);
    const struct mem_region *regions;
    size_t n = platform_memory(&regions);
    page_allocator_init(regions, n);
    sched_init();
    for (unsigned i = 0; i < NETFRONT_TX_SLOTS; i++) {
        tx_pages[i] = tx_mem[i];
        tx_grefs[i] = 100 + i;
    }
    for (unsigned i = 0; i < NETFRONT_RX_SLOTS; i++) {
        rx_pages[i] = rx_mem[i];
        rx_grefs[i] = 1000 + i;
    }
    pool = pbuf_pool_create("fuzz", 256);
    booted = true;
}

struct input {
    const uint8_t *p;
    size_t left;
};

static uint32_t take(struct input *in, unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < bytes; i++) {
        v = (v << 8) | (in->left ? *in->p : 0);
        if (in->left) {
            in->p++;
            in->left--;
        }
    }
    return v;
}

static void deliver(void *ctx, struct pbuf *p)
{
    (void)ctx;
    if (p->tot_len < 14 || p->tot_len > NETFRONT_RX_FRAME_MAX)
        abort();
    pbuf_free(p);
}

static void check_invariants(void)
{
    unsigned busy = 0;
    for (unsigned i = 0; i < NETFRONT_TX_SLOTS; i++)
        busy += q.tx_busy[i];
    if (q.tx_free_count > NETFRONT_TX_SLOTS || busy != NETFRONT_TX_SLOTS - q.tx_free_count)
        abort();
    if ((RING_IDX)(q.tx.req_prod_pvt - q.tx.rsp_cons) > NETFRONT_TX_SLOTS)
        abort();
    if ((RING_IDX)(q.rx.req_prod_pvt - q.rx.rsp_cons) > NETFRONT_RX_SLOTS)
        abort();
}

static void send_frame(struct input *in)
{
    uint32_t len = take(in, 2) % 20000;
    uint8_t how = (uint8_t)take(in, 1);
    struct pbuf *p = pbuf_alloc(pool, len ? len : 1);
    if (!p)
        return;
    if (how & 1)
        p->gso_size = 1448;
    if (how & 2)
        p->flags |= PBUF_F_CSUM_PARTIAL;
    bool notify;
    netfront_tx_frame(&q, p, &notify);
    pbuf_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    boot();
    struct input in = { data, size };
    uint8_t feat = (uint8_t)take(&in, 1);
    struct netfront_queue_features f = {
        .tx_csum = feat & 1, .tx_sg = feat & 2, .tx_gso = feat & 4, .rx_csum = feat & 8,
    };
    memset(tx_sring_page, 0, sizeof(tx_sring_page));
    memset(rx_sring_page, 0, sizeof(rx_sring_page));
    netfront_queue_init(&q, 0, (netif_tx_sring_t *)tx_sring_page,
                        (netif_rx_sring_t *)rx_sring_page, tx_pages, tx_grefs, rx_pages,
                        rx_grefs, &f);
    netfront_rx_refill(&q);
    netif_tx_sring_t *txs = (netif_tx_sring_t *)tx_sring_page;
    netif_rx_sring_t *rxs = (netif_rx_sring_t *)rx_sring_page;
    RING_IDX tx_next = 0, rx_next = 0;   /* where the backend writes its next response */
    bool notify;
    while (in.left) {
        bool was_broken = q.broken;
        struct netfront_queue_stats before = q.stats;
        switch (take(&in, 1) % 9) {
        case 0: {   /* a tx response, published */
            netif_tx_response_t *r = &txs->ring[tx_next % NETFRONT_TX_SLOTS].rsp;
            r->id = (uint16_t)take(&in, 2);
            r->status = (int16_t)take(&in, 2);
            txs->rsp_prod = ++tx_next;
            break;
        }
        case 1: {   /* an rx response, published */
            netif_rx_response_t *r = &rxs->ring[rx_next % NETFRONT_RX_SLOTS].rsp;
            r->id = (uint16_t)take(&in, 2);
            r->offset = (uint16_t)take(&in, 2);
            r->flags = (uint16_t)take(&in, 1);
            r->status = (int16_t)take(&in, 2);
            rxs->rsp_prod = ++rx_next;
            break;
        }
        case 2: {   /* an extra-info slot on the rx ring */
            struct netif_extra_info *x =
                (struct netif_extra_info *)&rxs->ring[rx_next % NETFRONT_RX_SLOTS].rsp;
            x->type = (uint8_t)take(&in, 1);
            x->flags = (uint8_t)take(&in, 1);
            x->u.gso.size = (uint16_t)take(&in, 2);
            x->u.gso.type = (uint8_t)take(&in, 1);
            rxs->rsp_prod = ++rx_next;
            break;
        }
        case 3:     /* an arbitrary producer */
            if (take(&in, 1) & 1)
                txs->rsp_prod = tx_next = take(&in, 4);
            else
                rxs->rsp_prod = rx_next = take(&in, 4);
            break;
        case 4: {   /* bytes in a received page (the backend may change them at any time) */
            unsigned page = take(&in, 1);
            unsigned off = take(&in, 2) % 4096;
            rx_mem[page][off] = (uint8_t)take(&in, 1);
            break;
        }
        case 5:
            send_frame(&in);
            break;
        case 6:
            netfront_tx_reap(&q);
            break;
        case 7:
            netfront_rx_poll(&q, pool, 1 + take(&in, 1) % 64, deliver, NULL, &notify);
            break;
        case 8:
            netfront_rx_pending(&q);
            break;
        }
        check_invariants();
        /* A broken queue takes nothing more. */
        if (was_broken && (q.stats.rx_frames != before.rx_frames ||
                           q.stats.tx_completed != before.tx_completed ||
                           q.stats.tx_frames != before.tx_frames))
            abort();
    }
    struct pbuf_pool_stats ps;
    pbuf_pool_get_stats(pool, &ps);
    if (ps.storage_in_use != 0 || ps.segments_in_use != 0)
        abort();
    return 0;
}
