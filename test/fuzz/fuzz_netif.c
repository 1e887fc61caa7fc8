/*
 * Fuzz harness: a hostile netback (xen/netfront_ring.c, xen/netfront_conn.c). The input is a
 * program for the backend: each operation writes a tx or rx response (any id, status, offset,
 * flags; or a well-formed answer to a random request in flight, so completions arrive in any
 * order), an extra-info slot, an arbitrary response producer, bytes into a received page, maps
 * or unmaps a granted page, or makes the frontend act (send a frame directly or through the
 * holding queue, reap tx completions and send held frames, poll
 * the rx ring as the poller does, disconnect and reconnect under the backoff and grant cap, run
 * the quarantine's retry, let time pass). The first byte picks the negotiated features and
 * whether received frames are handed up in their pages (a receive handoff over the fake table, a
 * few fresh pages allowed, as xen/netfront_rxpool.c does over Xen's). Pages and grants come from
 * the fake table of test/unit/netfront_grant_fake.h.
 * Checks: no crash or sanitizer report; the consumer indices never pass our own requests; the
 * pool's free count matches the ids marked busy; a delivered frame is 14..NETFRONT_RX_FRAME_MAX
 * bytes; once a bad response broke the queue nothing else is taken; no packet buffer leaks.
 * Liveness: a tx reap consumes every published response or breaks the queue; an rx poll below
 * its budget leaves nothing that rx_pending reports (the poller then sleeps instead of
 * spinning), and a poll after a partial frame's deadline consumes it or breaks the queue.
 * Ownership: no page goes back to the allocator while a grant names it (the backend may map any
 * page when it is given back: it goes to the quarantine); no page is lent to the stack while a
 * grant names it; the device never holds more than
 * NETFRONT_GRANT_CAP grants; after the backend unmapped everything, every page comes back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mm/pbuf.h"
#include "test/fuzz/fuzz_boot.h"
#include "xen/netfront_conn.h"
#include "xen/netfront_ring.h"

#define FAKE_CHECK(cond, what) \
    do {                       \
        if (!(cond))           \
            abort();           \
    } while (0)
#include "test/unit/netfront_grant_fake.h"

/* Queue 0 carries the traffic; queue 1 only holds its pages, as a second queue would. */
#define QUEUES 2u

static struct nf_grant_fake fake;
static struct netfront_page_ops ops;
static struct netfront_queue_pages pages[QUEUES];
static bool connected;
static unsigned connections;   /* queue 0 is set up again on each */
static struct netfront_reconnect reconnect;
static uint64_t now;
static struct pbuf_pool *pool;
static struct netfront_queue q;

static void boot(void)
{
    if (fuzz_boot()) {
        pool = pbuf_pool_create("fuzz", 256);
        if (!pool)
            abort();
    }
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
    if (how & 4) {
        netfront_tx_send(&q, p, &notify);   /* takes p: sent, held or dropped */
        if (q.tx_held_count > NETFRONT_TX_HOLD)
            abort();
        return;
    }
    netfront_tx_frame(&q, p, &notify);
    pbuf_free(p);
}

static struct netfront_queue_features features;

/* ---- the receive handoff over the fake table (xen/netfront_rxpool.c's rules) ---- */
#define FUZZ_LEND_RECORDS 32u
static struct pbuf_device_storage lend_records[FUZZ_LEND_RECORDS];
static unsigned fresh_left;      /* fresh pages replace_page may still give: the pool's bound */

static uint8_t *fz_replace(void *ctx, unsigned slot, uint32_t *gref)
{
    (void)ctx;
    if (!fresh_left)
        return NULL;
    uint8_t *page = fake_grant(false, gref, &fake);
    if (!page)
        return NULL;
    fresh_left--;
    memset(page, 0, 4096);
    /* The connection's record of its slots, so a disconnect ends the right grants. */
    pages[0].rx_pages[slot] = page;
    pages[0].rx_grefs[slot] = *gref;
    return page;
}

static int fz_end(void *ctx, uint32_t gref)
{
    (void)ctx;
    int rc = grants_core_end(&fake.core, gref);
    if (rc == 0)
        fake.ref_of_page[fake.entries[gref].frame] = FAKE_NO_REF;
    return rc;
}

static void fz_retire(void *ctx, uint8_t *page, uint32_t gref, bool ended)
{
    (void)ctx;
    if (ended)
        fake_page_free(&fake, page);   /* aborts if a grant still names it */
    else
        fake_end_free(gref, page, &fake);
}

static void fz_release(struct pbuf_device_storage *ds)
{
    fake_page_free(&fake, ds->base);
    ds->base = NULL;
}

static struct pbuf *fz_lend(void *ctx, struct pbuf_pool *pbufs, uint8_t *page, unsigned offset,
                            unsigned len)
{
    (void)ctx;
    /* The grant-lifetime rule: the stack never sees a page the backend may still write. */
    if (fake.ref_of_page[fake_page_index(page)] != FAKE_NO_REF)
        abort();
    for (unsigned i = 0; i < FUZZ_LEND_RECORDS; i++) {
        struct pbuf_device_storage *ds = &lend_records[i];
        if (ds->base)
            continue;
        *ds = (struct pbuf_device_storage){ .base = page, .size = 4096, .release = fz_release };
        struct pbuf *p = pbuf_from_device(pbufs, ds, offset, len);
        if (!p)
            fz_release(ds);
        return p;
    }
    abort();   /* delivered frames are freed at once: records never run out */
}

static const struct netfront_rx_handoff fz_handoff = {
    .replace_page = fz_replace, .end_grant = fz_end, .retire = fz_retire, .lend = fz_lend,
};
static bool handoff;

/* Grants both queues' pages and sets queue 0's rings up on them. */
static bool connect_device(void)
{
    for (unsigned i = 0; i < QUEUES; i++)
        if (netfront_queue_pages_grant(&pages[i], &ops) < 0) {
            for (unsigned k = 0; k < i; k++)
                netfront_queue_pages_release(&pages[k], &ops);
            return false;
        }
    /* Responses the backend did not write read as zeros, whatever the last input left. */
    memset(pages[0].tx_sring, 0, 4096);
    memset(pages[0].rx_sring, 0, 4096);
    netfront_queue_init(&q, 0, pages[0].tx_sring, pages[0].rx_sring, pages[0].tx_pages,
                        pages[0].tx_grefs, pages[0].rx_pages, pages[0].rx_grefs, &features);
    q.rx_handoff = handoff ? &fz_handoff : NULL;
    netfront_rx_refill(&q);
    netfront_reconnect_up(&reconnect, now);
    connected = true;
    connections++;
    return true;
}

/* Gives every page back, whatever the backend still maps. */
static void disconnect_device(void)
{
    if (!connected)
        return;
    netfront_tx_hold_flush(&q);
    for (unsigned i = 0; i < QUEUES; i++)
        netfront_queue_pages_release(&pages[i], &ops);
    netfront_reconnect_down(&reconnect, now);
    connected = false;
}

/* The watcher: the backend offers InitWait again. */
static void try_reconnect(void)
{
    uint64_t not_before;
    switch (netfront_reconnect_decide(&reconnect, now, fake.held, QUEUES, &not_before)) {
    case NETFRONT_RECONNECT_NOW:
        if (!connect_device())
            netfront_reconnect_down(&reconnect, now);
        break;
    case NETFRONT_RECONNECT_WAIT:
        if (not_before <= now)
            abort();
        break;
    case NETFRONT_RECONNECT_OVER_CAP:
        if (netfront_grants_allow(fake.held, QUEUES))
            abort();
        break;
    case NETFRONT_RECONNECT_GIVE_UP:
        break;
    }
}

/* A granted page of the live queues, picked by the input. */
static uint32_t pick_ref(struct input *in)
{
    unsigned which = take(in, 2) % (2 + NETFRONT_TX_SLOTS + NETFRONT_RX_SLOTS);
    const struct netfront_queue_pages *p = &pages[take(in, 1) % QUEUES];
    if (which == 0)
        return p->tx_ring_ref;
    if (which == 1)
        return p->rx_ring_ref;
    which -= 2;
    if (which < NETFRONT_TX_SLOTS)
        return p->tx_grefs[which];
    return p->rx_grefs[which - NETFRONT_TX_SLOTS];
}

/* Polls rx as the poller does and checks it cannot spin. */
static void poll_rx(struct input *in)
{
    unsigned budget = 1 + take(in, 1) % 64;
    RING_IDX cons = q.rx.rsp_cons;
    uint64_t deadline = netfront_rx_partial_deadline(&q);
    bool notify;
    int n = netfront_rx_poll(&q, pool, budget, deliver, NULL, now, &notify);
    if (n < 0) {
        if (!q.broken || q.break_reason == NETFRONT_BREAK_NONE)
            abort();
        return;
    }
    /* Below budget nothing is left that the poller would come back for. */
    if ((unsigned)n < budget && netfront_rx_pending(&q))
        abort();
    /* A partial frame whose wait ran out is consumed or breaks the queue. */
    if (deadline && now >= deadline && q.rx.rsp_cons == cons)
        abort();
    if (n > 0 && q.rx.rsp_cons == cons)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    boot();
    struct input in = { data, size };
    uint8_t feat = (uint8_t)take(&in, 1);
    features = (struct netfront_queue_features){
        .tx_csum = feat & 1, .tx_sg = feat & 2, .tx_gso = feat & 4, .rx_csum = feat & 8,
    };
    handoff = feat & 16;
    fresh_left = (feat >> 5) * 8u;   /* 0 (the pool at its bound at once) to 56 */
    fake_init(&fake);
    ops = fake_ops(&fake);
    memset(&reconnect, 0, sizeof(reconnect));
    now = 1000000000ull;
    connected = false;
    if (!connect_device())
        abort();
    RING_IDX tx_next = 0, rx_next = 0;   /* where the backend writes its next response */
    while (in.left) {
        netif_tx_sring_t *txs = q.tx.sring;
        netif_rx_sring_t *rxs = q.rx.sring;
        bool was_broken = q.broken;
        unsigned connection = connections;
        struct netfront_queue_stats before = q.stats;
        uint8_t op = (uint8_t)(take(&in, 1) % 16);
        if (!connected && op < 13) {
            /* Down: only the backend's mappings, time and the watcher act. */
            op = (uint8_t)(13 + op % 3);
        }
        switch (op) {
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
            pages[0].rx_pages[page % NETFRONT_RX_SLOTS][off] = (uint8_t)take(&in, 1);
            break;
        }
        case 5:
            send_frame(&in);
            break;
        case 6:
        {
            bool notify;
            /* Every published answer is taken (and held frames sent), or the queue is broken. */
            int rc = netfront_tx_progress(&q, &notify);
            if (rc >= 0 && q.tx.rsp_cons != txs->rsp_prod)
                abort();
        }
            break;
        case 7:
            poll_rx(&in);
            break;
        case 8:
            netfront_rx_pending(&q);
            break;
        case 9: {   /* a well-formed answer to the k-th tx id in flight: any order */
            unsigned k = take(&in, 1), seen = 0;
            for (unsigned id = 0; id < NETFRONT_TX_SLOTS; id++)
                if (q.tx_busy[id] && seen++ == k % (netfront_tx_in_flight(&q) + 1)) {
                    netif_tx_response_t *r = &txs->ring[tx_next % NETFRONT_TX_SLOTS].rsp;
                    r->id = (uint16_t)id;
                    r->status = (take(&in, 1) & 7) == 0 ? NETIF_RSP_ERROR : NETIF_RSP_OKAY;
                    txs->rsp_prod = ++tx_next;
                    break;
                }
            break;
        }
        case 10: {  /* a well-formed rx slot: right id, chosen length, maybe more to come */
            uint8_t how = (uint8_t)take(&in, 1);
            netif_rx_response_t *r = &rxs->ring[rx_next % NETFRONT_RX_SLOTS].rsp;
            r->id = (uint16_t)(rx_next % NETFRONT_RX_SLOTS);
            r->offset = 0;
            r->flags = (uint16_t)((how & 1 ? NETRXF_more_data : 0) |
                                  (how & 2 ? NETRXF_data_validated : 0));
            r->status = how & 4 ? NETIF_RSP_ERROR : (int16_t)(take(&in, 2) % 4097);
            rxs->rsp_prod = ++rx_next;
            break;
        }
        case 11:    /* the backend closes: give every page back, mapped or not */
            disconnect_device();
            tx_next = rx_next = 0;
            break;
        case 12:    /* a queue broke: the watcher disconnects */
            if (q.broken) {
                disconnect_device();
                tx_next = rx_next = 0;
            }
            break;
        case 13: {  /* the backend maps or unmaps one granted page, or all of them */
            uint8_t how = (uint8_t)take(&in, 1);
            if (connected && !(how & 2))
                fake_backend_map(&fake, pick_ref(&in), how & 1);
            else
                fake_backend_map_all(&fake, how & 1);
            break;
        }
        case 14:    /* time passes; the quarantine retries */
            now += (uint64_t)take(&in, 1) * 100000000ull;
            fake_retry_quarantine(&fake);
            break;
        case 15:    /* the backend offers InitWait again */
            if (!connected)
                try_reconnect();
            break;
        }
        /* The cap holds for the queues' own pages; a handed-up page whose grant would not end
         * goes to the quarantine while its slot gets a fresh grant, which the cap does not
         * bound yet (xen/netfront_rxpool.h). */
        if (!handoff &&
            (fake_grants_in_use(&fake) > NETFRONT_GRANT_CAP || fake.held > NETFRONT_GRANT_CAP))
            abort();
        if (!connected)
            continue;
        check_invariants();
        /* A broken queue takes nothing more (until a new connection sets it up again). */
        if (was_broken && connection == connections && (q.stats.rx_frames != before.rx_frames ||
                           q.stats.tx_completed != before.tx_completed ||
                           q.stats.tx_frames != before.tx_frames))
            abort();
    }
    /* The backend unmaps everything: every page comes back. */
    disconnect_device();
    fake_backend_map_all(&fake, false);
    if (fake_retry_quarantine(&fake) != 0 || fake.held != 0 || fake_pages_in_use(&fake) != 0 ||
        fake_grants_in_use(&fake) != 0)
        abort();
    struct pbuf_pool_stats ps;
    pbuf_pool_get_stats(pool, &ps);
    if (ps.storage_in_use != 0 || ps.segments_in_use != 0)
        abort();
    return 0;
}
