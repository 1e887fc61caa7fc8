/*
 * Unit tests for netfront's receive handoff (xen/netfront_ring.c, struct netfront_rx_handoff):
 * a one-slot frame leaves in its own page, without a copy, only after the page's grant was
 * ended, and its ring slot is posted again with a fresh granted page. The Xen rule behind the
 * order (xen/grants.h, the grant-lifetime rule; Xen's grant_table.h: a grant can be ended only
 * when the other domain no longer maps it): a page the backend may still write is never
 * given to the stack. A grant that will not end means the frame is copied and that page is
 * abandoned (to the quarantine), never posted again; no fresh page means the frame is copied and
 * the slot keeps its page. A multi-slot frame (a large receive: NETRXF_more_data and the GSO
 * extra, xen/io/netif.h) leaves the same way as a chain of its slots' pages, every grant ended
 * before the stack sees any page, or is copied whole when any slot has no fresh page or any
 * grant will not end. Each page the backend still maps after answering it is counted, and more
 * than NETFRONT_RX_HELD_PAGES_MAX in a connection break the queue. Against a fake backend and a
 * fake pool.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net_core_fixture.h"
#include "xen/netfront_ring.h"
#include "netfront_ring_pages.h"
#include "lib/errno.h"
#include "mm/pbuf.h"
#include "xenolith/test_main.h"

#define GREF_RX0 NF_GREF_RX0
#define GREF_FRESH0 9000u
#define FAKE_PAGES 24u
#define FAKE_MAX 64u

static struct netfront_queue q;
static struct pbuf_pool *pool;
static struct netfront_queue_features feats = { true, true, true, true };

static struct pbuf *delivered[16];
static unsigned delivered_count;

static bool grant_ended(const uint8_t *page);

/* The stack's side: every page a delivered packet lies in had its grant ended. */
static void collect(void *ctx, struct pbuf *p)
{
    (void)ctx;
    ck_assert_uint_lt(delivered_count, 16);
    for (const struct pbuf *s = p; s; s = s->next)
        if (s->storage->device)
            ck_assert(grant_ended((const uint8_t *)((uintptr_t)s->data & ~(uintptr_t)4095)));
    delivered[delivered_count++] = p;
}

/* ---- the fake device pool ---- */
struct fake_pool {
    uint8_t *fresh[FAKE_PAGES];      /* pages replace_page hands out, in order */
    unsigned fresh_given, fresh_limit;
    int end_result;                  /* what end_grant answers */
    uint32_t busy_gref;              /* ... or -EBUSY for this one grant only (0: none) */
    uint32_t ended[FAKE_MAX], ended_count;  /* grants asked to end, in order */
    uint8_t *ended_pages[FAKE_MAX];  /* pages whose grant did end */
    unsigned ended_pages_count;
    uint8_t *abandoned;
    uint32_t abandoned_gref;
    unsigned abandoned_count;
    uint8_t *taken_back[FAKE_MAX];   /* pages back to the pool without being lent */
    unsigned taken_back_count;
    unsigned replaced_slot;
    char events[2 * FAKE_MAX + 1];   /* 'R' replace_page, 'E' end_grant, in order */
    unsigned events_count;
    bool lend_fails;
    int lend_fails_at;               /* the lend call (from 0) that finds no descriptor, or -1 */
    unsigned lend_calls;
    struct pbuf_device_storage ds[FAKE_MAX];
    unsigned lent, released;
};
static struct fake_pool fp;

/* The page a grant of the test names: a slot's first page or a fresh one. */
static uint8_t *page_of_gref(uint32_t gref)
{
    if (gref >= GREF_FRESH0 && gref < GREF_FRESH0 + FAKE_PAGES)
        return fp.fresh[gref - GREF_FRESH0];
    ck_assert(gref >= GREF_RX0 && gref < GREF_RX0 + NETFRONT_RX_SLOTS);
    return rx_pages[gref - GREF_RX0];
}

static bool grant_ended(const uint8_t *page)
{
    for (unsigned i = 0; i < fp.ended_pages_count; i++)
        if (fp.ended_pages[i] == page)
            return true;
    return false;
}

static uint8_t *fake_replace(void *ctx, unsigned slot, uint32_t *gref)
{
    (void)ctx;
    fp.events[fp.events_count++] = 'R';
    if (fp.fresh_given >= fp.fresh_limit)
        return NULL;
    fp.replaced_slot = slot;
    *gref = GREF_FRESH0 + fp.fresh_given;
    return fp.fresh[fp.fresh_given++];
}

static int fake_end(void *ctx, uint32_t gref)
{
    (void)ctx;
    ck_assert_uint_lt(fp.ended_count, FAKE_MAX);
    fp.ended[fp.ended_count++] = gref;
    fp.events[fp.events_count++] = 'E';
    int rc = gref == fp.busy_gref ? -EBUSY : fp.end_result;
    if (rc == 0)
        fp.ended_pages[fp.ended_pages_count++] = page_of_gref(gref);
    return rc;
}

/* A page the ring did not lend: to the quarantine when its grant will not end, else spare. */
static void fake_retire(void *ctx, uint8_t *page, uint32_t gref, bool ended)
{
    if (!ended && fake_end(ctx, gref) != 0) {
        ck_assert(!grant_ended(page));
        fp.abandoned = page;
        fp.abandoned_gref = gref;
        fp.abandoned_count++;
        return;
    }
    ck_assert(grant_ended(page));      /* only a page whose grant ended is the pool's again */
    ck_assert_uint_lt(fp.taken_back_count, FAKE_MAX);
    fp.taken_back[fp.taken_back_count++] = page;
}

static void fake_release(struct pbuf_device_storage *ds)
{
    (void)ds;
    fp.released++;
}

static struct pbuf *fake_lend(void *ctx, struct pbuf_pool *pbufs, uint8_t *page, unsigned offset,
                              unsigned len)
{
    (void)ctx;
    /* The page's grant must have been ended before the stack sees it. */
    ck_assert(grant_ended(page));
    ck_assert_int_eq(fp.end_result, 0);
    if (fp.lend_fails || (int)fp.lend_calls++ == fp.lend_fails_at) {
        fp.taken_back[fp.taken_back_count++] = page;   /* the pool keeps it spare */
        return NULL;
    }
    struct pbuf_device_storage *ds = &fp.ds[fp.lent++];
    ds->base = page;
    ds->size = NETFRONT_PAGE_SIZE;
    ds->release = fake_release;
    return pbuf_from_device(pbufs, ds, offset, len);
}

static const struct netfront_rx_handoff handoff = {
    .replace_page = fake_replace, .end_grant = fake_end, .retire = fake_retire,
    .lend = fake_lend, .ctx = &fp,
};

static void setup(void)
{
    core_boot();
    nf_ring_pages_alloc();
    memset(&fp, 0, sizeof(fp));
    for (unsigned i = 0; i < FAKE_PAGES; i++)
        fp.fresh[i] = aligned_alloc(4096, 4096);
    fp.fresh_limit = FAKE_PAGES;
    fp.lend_fails_at = -1;
    pool = pbuf_pool_create("nf", 64);
    delivered_count = 0;
    nf_queue_start(&q, &feats, &handoff);
}

static void teardown(void)
{
    for (unsigned i = 0; i < delivered_count; i++)
        pbuf_free(delivered[i]);
    ck_assert_uint_eq(pool_in_use(pool), 0);
    ck_assert_uint_eq(fp.released, fp.lent);   /* every lent page came back */
    pbuf_pool_destroy(pool);
    nf_ring_pages_free();
    for (unsigned i = 0; i < FAKE_PAGES; i++)
        free(fp.fresh[i]);
}

static void rx_respond(RING_IDX i, uint16_t offset, uint16_t flags, int16_t status)
{
    netif_rx_response_t *r = &rxs->ring[i % NETFRONT_RX_SLOTS].rsp;
    r->id = (uint16_t)(i % NETFRONT_RX_SLOTS);
    r->offset = offset;
    r->flags = flags;
    r->status = status;
}

static void fill(uint8_t *page, uint16_t offset, uint16_t len, uint8_t seed)
{
    for (unsigned b = 0; b < len; b++)
        page[offset + b] = (uint8_t)(seed + b);
}

static void expect_bytes(const struct pbuf *p, uint8_t seed)
{
    for (uint32_t i = 0; i < p->tot_len; i++) {
        uint8_t b;
        pbuf_copy_out(p, i, &b, 1);
        ck_assert_uint_eq(b, (uint8_t)(seed + i));
    }
}

static int poll_once(void)
{
    bool notify;
    return netfront_rx_poll(&q, pool, 8, collect, NULL, 1000000000ull, &notify);
}

START_TEST(frame_leaves_in_its_page_after_the_grant_ended)
{
    uint8_t *old = rx_pages[0];
    fill(old, 10, 1500, 7);
    rx_respond(0, 10, NETRXF_data_validated, 1500);
    rxs->rsp_prod = 1;
    ck_assert_int_eq(poll_once(), 1);
    ck_assert_uint_eq(delivered_count, 1);
    struct pbuf *p = delivered[0];
    ck_assert_ptr_eq(p->data, old + 10);              /* no copy: the page itself */
    ck_assert_uint_eq(p->tot_len, 1500);
    expect_bytes(p, 7);
    ck_assert(p->flags & PBUF_F_CSUM_VERIFIED);
    ck_assert_uint_eq(fp.ended_count, 1);
    ck_assert_uint_eq(fp.ended[0], GREF_RX0);          /* the old page's grant, ended first */
    /* The slot went back to the backend with the fresh page's grant. */
    ck_assert_uint_eq(fp.replaced_slot, 0);
    ck_assert_ptr_eq(q.rx_page[0], fp.fresh[0]);
    ck_assert_uint_eq(q.rx_gref[0], GREF_FRESH0);
    ck_assert_uint_eq(rxs->req_prod, NETFRONT_RX_SLOTS + 1);
    ck_assert_uint_eq(rxs->ring[0].req.gref, GREF_FRESH0);
    ck_assert_uint_eq(q.stats.rx_handed_up, 1);
    ck_assert_uint_eq(q.stats.rx_copied, 0);
    ck_assert_uint_eq(fp.released, 0);
    pbuf_free(p);
    delivered_count = 0;
    ck_assert_uint_eq(fp.released, 1);                 /* back with the device's pool */
}
END_TEST

START_TEST(grant_that_will_not_end_copies_and_abandons_the_page)
{
    uint8_t *old = rx_pages[0];
    fill(old, 0, 200, 3);
    fp.end_result = -EBUSY;                            /* the backend still maps it */
    rx_respond(0, 0, 0, 200);
    rxs->rsp_prod = 1;
    ck_assert_int_eq(poll_once(), 1);
    ck_assert_uint_eq(delivered_count, 1);
    struct pbuf *p = delivered[0];
    ck_assert(p->data < old || p->data >= old + NETFRONT_PAGE_SIZE);   /* a copy */
    expect_bytes(p, 3);
    ck_assert_ptr_eq(fp.abandoned, old);               /* to the quarantine, never reused */
    ck_assert_uint_eq(fp.abandoned_gref, GREF_RX0);
    ck_assert_ptr_eq(q.rx_page[0], fp.fresh[0]);       /* the slot does not get it back */
    ck_assert_uint_eq(rxs->ring[0].req.gref, GREF_FRESH0);
    ck_assert_uint_eq(q.stats.rx_copy_end_busy, 1);
    ck_assert_uint_eq(q.stats.rx_copied, 1);
    ck_assert_uint_eq(q.stats.rx_handed_up, 0);
}
END_TEST

START_TEST(no_fresh_page_copies_and_the_slot_keeps_its_page)
{
    uint8_t *old = rx_pages[0];
    fill(old, 0, 100, 9);
    fp.fresh_limit = 0;                                /* the pool is at its bound */
    rx_respond(0, 0, 0, 100);
    rxs->rsp_prod = 1;
    ck_assert_int_eq(poll_once(), 1);
    ck_assert_uint_eq(delivered_count, 1);
    expect_bytes(delivered[0], 9);
    ck_assert_uint_eq(fp.ended_count, 0);              /* the grant stays: the slot reuses it */
    ck_assert_ptr_eq(q.rx_page[0], old);
    ck_assert_uint_eq(rxs->ring[0].req.gref, GREF_RX0);
    ck_assert_uint_eq(rxs->req_prod, NETFRONT_RX_SLOTS + 1);   /* the ring never starves */
    ck_assert_uint_eq(q.stats.rx_copy_no_page, 1);
    ck_assert_uint_eq(q.stats.rx_copied, 1);
}
END_TEST

/* A large receive as netback sends it (xen/io/netif.h): the first data slot with
 * NETRXF_more_data | NETRXF_extra_info, the GSO extra in the next ring slot, then the other data
 * slots, each with NETRXF_more_data but the last. Data slot d (of n) lies at ring index
 * d ? d + 1 : 0, holds lens[d] bytes at offsets[d], and the frame's bytes count up from seed. */
static void large_receive(unsigned n, const uint16_t offsets[], const uint16_t lens[],
                          uint8_t seed)
{
    uint32_t at = 0;
    for (unsigned d = 0; d < n; d++) {
        RING_IDX i = d ? d + 1 : 0;
        fill(rx_pages[i], offsets[d], lens[d], (uint8_t)(seed + at));
        at += lens[d];
        uint16_t flags = (uint16_t)((d + 1 < n ? NETRXF_more_data : 0) |
                                    (d == 0 ? NETRXF_extra_info | NETRXF_csum_blank : 0));
        rx_respond(i, offsets[d], flags, (int16_t)lens[d]);
    }
    struct netif_extra_info *x = (struct netif_extra_info *)&rxs->ring[1].rsp;
    memset(x, 0, sizeof(*x));
    x->type = XEN_NETIF_EXTRA_TYPE_GSO;
    x->u.gso.size = 1448;
    x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
    rxs->rsp_prod = n + 1;
}

static bool was_taken_back(const uint8_t *page)
{
    for (unsigned i = 0; i < fp.taken_back_count; i++)
        if (fp.taken_back[i] == page)
            return true;
    return false;
}

START_TEST(large_receive_leaves_as_a_chain_of_its_pages)
{
    static const uint16_t offsets[] = { 0, 0, 0 }, lens[] = { 4096, 4096, 1000 };
    large_receive(3, offsets, lens, 5);
    ck_assert_int_eq(poll_once(), 1);
    ck_assert_uint_eq(delivered_count, 1);
    struct pbuf *p = delivered[0];
    ck_assert_uint_eq(p->tot_len, 9192);
    ck_assert_uint_eq(pbuf_segments(p), 3);
    /* No copy: each segment is its slot's own page, in slot order. */
    ck_assert_ptr_eq(p->data, rx_pages[0]);
    ck_assert_ptr_eq(p->next->data, rx_pages[2]);
    ck_assert_ptr_eq(p->next->next->data, rx_pages[3]);
    expect_bytes(p, 5);
    ck_assert_uint_eq(p->gso_size, 1448);
    ck_assert(p->flags & PBUF_F_CSUM_VERIFIED);
    /* Every data slot was given a fresh page before any grant ended, then the three old
     * grants ended (collect checks each page's before the stack sees it). */
    ck_assert_str_eq(fp.events, "RRREEE");
    ck_assert_uint_eq(fp.ended_count, 3);
    ck_assert_uint_eq(fp.ended[0], GREF_RX0);
    ck_assert_uint_eq(fp.ended[1], GREF_RX0 + 2);
    ck_assert_uint_eq(fp.ended[2], GREF_RX0 + 3);
    ck_assert_ptr_eq(q.rx_page[0], fp.fresh[0]);
    ck_assert_ptr_eq(q.rx_page[2], fp.fresh[1]);
    ck_assert_ptr_eq(q.rx_page[3], fp.fresh[2]);
    /* The extra-info slot's page was never written: posted again as it was. */
    ck_assert_ptr_eq(q.rx_page[1], rx_pages[1]);
    ck_assert_uint_eq(rxs->ring[1].req.gref, GREF_RX0 + 1);
    ck_assert_uint_eq(rxs->ring[3].req.gref, GREF_FRESH0 + 2);
    ck_assert_uint_eq(rxs->req_prod, NETFRONT_RX_SLOTS + 4);
    ck_assert_uint_eq(q.stats.rx_handed_up, 1);
    ck_assert_uint_eq(q.stats.rx_multi_handed_up, 1);
    ck_assert_uint_eq(q.stats.rx_copied, 0);
    ck_assert_uint_eq(q.stats.rx_multi_copied, 0);
    ck_assert_uint_eq(q.stats.rx_gso, 1);
    ck_assert_uint_eq(q.stats.rx_slots, 3);
    pbuf_free(p);
    delivered_count = 0;
    ck_assert_uint_eq(fp.released, 3);                 /* every page back with the pool */
}
END_TEST

/* Data slots at their offsets, a slot with no bytes in the middle adding no segment (its page,
 * its grant ended, goes back to the pool). */
START_TEST(chain_keeps_offsets_and_skips_an_empty_slot)
{
    static const uint16_t offsets[] = { 64, 0, 128 }, lens[] = { 1500, 0, 700 };
    large_receive(3, offsets, lens, 9);
    ck_assert_int_eq(poll_once(), 1);
    struct pbuf *p = delivered[0];
    ck_assert_uint_eq(p->tot_len, 2200);
    ck_assert_uint_eq(pbuf_segments(p), 2);
    ck_assert_ptr_eq(p->data, rx_pages[0] + 64);
    ck_assert_ptr_eq(p->next->data, rx_pages[3] + 128);
    expect_bytes(p, 9);
    ck_assert_uint_eq(fp.taken_back_count, 1);
    ck_assert(was_taken_back(rx_pages[2]));
    ck_assert_uint_eq(q.stats.rx_multi_handed_up, 1);
}
END_TEST

/* The one frame delivered is a copy of the frame's bytes (seed), no page lent, and counted as a
 * multi-slot frame copied. */
static void expect_copied_frame(uint8_t seed)
{
    ck_assert_uint_eq(delivered_count, 1);
    for (const struct pbuf *s = delivered[0]; s; s = s->next)
        ck_assert(s->storage && !s->storage->device);
    expect_bytes(delivered[0], seed);
    ck_assert_uint_eq(fp.lent, 0);
    ck_assert_uint_eq(q.stats.rx_multi_copied, 1);
    ck_assert_uint_eq(q.stats.rx_multi_handed_up, 0);
    ck_assert_uint_eq(q.stats.rx_handed_up, 0);
}

/* No fresh page for the second data slot: the whole frame is copied; the first slot's old page
 * (replaced already) goes back to the pool with its grant ended, and the slots from the second
 * on keep their pages and grants. */
START_TEST(large_receive_without_a_fresh_page_for_every_slot_is_copied)
{
    static const uint16_t offsets[] = { 0, 0, 0 }, lens[] = { 4096, 4096, 300 };
    large_receive(3, offsets, lens, 2);
    fp.fresh_limit = 1;
    ck_assert_int_eq(poll_once(), 1);
    expect_copied_frame(2);
    ck_assert_uint_eq(delivered[0]->tot_len, 8492);
    ck_assert_uint_eq(delivered[0]->gso_size, 1448);
    ck_assert_uint_eq(fp.ended_count, 1);
    ck_assert_uint_eq(fp.ended[0], GREF_RX0);
    ck_assert(was_taken_back(rx_pages[0]));
    ck_assert_ptr_eq(q.rx_page[0], fp.fresh[0]);
    ck_assert_ptr_eq(q.rx_page[2], rx_pages[2]);
    ck_assert_ptr_eq(q.rx_page[3], rx_pages[3]);
    ck_assert_uint_eq(rxs->ring[2].req.gref, GREF_RX0 + 2);
    ck_assert_uint_eq(rxs->req_prod, NETFRONT_RX_SLOTS + 4);   /* the ring never starves */
    ck_assert_uint_eq(q.stats.rx_copy_no_page, 1);
}
END_TEST

/* One slot's grant will not end: the whole frame is copied, that page abandoned to the
 * quarantine, the others (their grants ended) back to the pool; every slot has its fresh page. */
START_TEST(large_receive_with_a_grant_that_will_not_end_is_copied)
{
    static const uint16_t offsets[] = { 0, 0, 0 }, lens[] = { 4096, 4096, 300 };
    large_receive(3, offsets, lens, 4);
    fp.busy_gref = GREF_RX0 + 2;                       /* the backend still maps the second */
    ck_assert_int_eq(poll_once(), 1);
    expect_copied_frame(4);
    ck_assert_uint_eq(fp.abandoned_count, 1);
    ck_assert_ptr_eq(fp.abandoned, rx_pages[2]);
    ck_assert_uint_eq(fp.abandoned_gref, GREF_RX0 + 2);
    ck_assert_uint_eq(fp.taken_back_count, 2);
    ck_assert(was_taken_back(rx_pages[0]));
    ck_assert(was_taken_back(rx_pages[3]));
    ck_assert_ptr_eq(q.rx_page[0], fp.fresh[0]);
    ck_assert_ptr_eq(q.rx_page[2], fp.fresh[1]);       /* never posted again with its old page */
    ck_assert_ptr_eq(q.rx_page[3], fp.fresh[2]);
    ck_assert_uint_eq(q.stats.rx_copy_end_busy, 1);
    ck_assert_uint_eq(q.stats.rx_held_pages, 1);       /* the others' grants ended */
    ck_assert(!q.broken);
}
END_TEST

/* A backend that maps every page of a large receive: each page is tried, quarantined and
 * counted, not only the first. */
START_TEST(large_receive_whose_pages_are_all_held_counts_each)
{
    static const uint16_t offsets[] = { 0, 0, 0 }, lens[] = { 4096, 4096, 300 };
    large_receive(3, offsets, lens, 6);
    fp.end_result = -EBUSY;
    ck_assert_int_eq(poll_once(), 1);
    expect_copied_frame(6);
    ck_assert_uint_eq(fp.abandoned_count, 3);
    ck_assert_uint_eq(fp.taken_back_count, 0);
    ck_assert_uint_eq(q.stats.rx_held_pages, 3);
    ck_assert(!q.broken);
}
END_TEST

/* The grant-lifetime rule (xen/grants.h; Xen's grant_table.h: a grant ends only once the other
 * domain unmaps the page) sends every answered page the backend still maps to the quarantine,
 * while its slot already holds a fresh grant: a reference over NETFRONT_GRANT_CAP. A backend
 * that never lets go of the pages it answered gets the queue broken once more than
 * NETFRONT_RX_HELD_PAGES_MAX pages are held, like a bad response (netfront_ring.h), instead of
 * growing the quarantine until the grant table is full. Pages quarantined stay there. */
START_TEST(backend_that_keeps_answered_pages_breaks_the_queue_after_the_bound)
{
    fp.end_result = -EBUSY;
    for (RING_IDX i = 0; i <= NETFRONT_RX_HELD_PAGES_MAX; i++) {
        fill(rx_pages[i], 0, 100, (uint8_t)i);
        rx_respond(i, 0, 0, 100);
        rxs->rsp_prod = i + 1;
        int rc = poll_once();
        ck_assert_uint_eq(delivered_count, 1);          /* every frame was copied up */
        expect_bytes(delivered[0], (uint8_t)i);
        pbuf_free(delivered[0]);
        delivered_count = 0;
        ck_assert_uint_eq(fp.abandoned_count, i + 1);   /* quarantined, never reused */
        ck_assert_uint_eq(q.stats.rx_held_pages, i + 1);
        if (i < NETFRONT_RX_HELD_PAGES_MAX) {
            ck_assert_int_eq(rc, 1);
            ck_assert(!q.broken);
        } else {
            ck_assert_int_eq(rc, -EPROTO);
        }
    }
    ck_assert(q.broken);
    ck_assert_int_eq(q.break_reason, NETFRONT_broken_rx_held_pages);
    ck_assert_str_eq(netfront_break_name(q.break_reason), "rx_held_pages");
    ck_assert_uint_eq(q.stats.broken_rx_held_pages, 1);
    ck_assert_uint_eq(q.stats.bad_responses, 1);
    ck_assert_ptr_nonnull(strstr(q.why, "still maps"));
    /* The broken queue takes no more frames: the quarantine grows no further. */
    RING_IDX next = NETFRONT_RX_HELD_PAGES_MAX + 1;
    rx_respond(next, 0, 0, 100);
    rxs->rsp_prod = next + 1;
    ck_assert_int_eq(poll_once(), -EPROTO);
    ck_assert_uint_eq(delivered_count, 0);
    ck_assert_uint_eq(fp.abandoned_count, NETFRONT_RX_HELD_PAGES_MAX + 1);
    ck_assert_uint_eq(fp.fresh_given, NETFRONT_RX_HELD_PAGES_MAX + 1);
}
END_TEST

/* No packet descriptor for the second page: the frame is dropped, the first page (lent) comes
 * back through its release, the others go back to the pool; no page is lost. */
START_TEST(large_receive_without_a_descriptor_is_dropped_and_every_page_returns)
{
    static const uint16_t offsets[] = { 0, 0, 0 }, lens[] = { 4096, 4096, 300 };
    large_receive(3, offsets, lens, 4);
    fp.lend_fails_at = 1;
    ck_assert_int_eq(poll_once(), 1);
    ck_assert_uint_eq(delivered_count, 0);
    ck_assert_uint_eq(q.stats.rx_no_buffer, 1);
    ck_assert_uint_eq(fp.lent, 1);
    ck_assert_uint_eq(fp.released, 1);
    ck_assert_uint_eq(fp.taken_back_count, 2);
    ck_assert(was_taken_back(rx_pages[2]));
    ck_assert(was_taken_back(rx_pages[3]));
    ck_assert_uint_eq(q.stats.rx_handed_up, 0);
    ck_assert_ptr_eq(q.rx_page[3], fp.fresh[2]);
}
END_TEST

/* A malformed large receive breaks the queue before anything is replaced, ended or lent: every
 * field of every slot is checked first (xen/io/netif.h; netfront_ring.h). */
START_TEST(malformed_large_receive_touches_no_page)
{
    static const uint16_t offsets[] = { 0, 0, 0 }, lens[] = { 4096, 4096, 300 };
    enum netfront_break rules[] = { NETFRONT_broken_rx_bad_id, NETFRONT_broken_rx_bad_offset,
                                    NETFRONT_broken_rx_bad_extra,
                                    NETFRONT_broken_rx_bad_status };
    for (unsigned c = 0; c < 4; c++) {
        teardown();
        setup();
        large_receive(3, offsets, lens, 1);
        struct netif_extra_info *x = (struct netif_extra_info *)&rxs->ring[1].rsp;
        switch (c) {
        case 0: rxs->ring[3].rsp.id = 7; break;                      /* not the slot posted */
        case 1: rxs->ring[3].rsp.offset = 3900; break;               /* 300 bytes overrun */
        case 2: x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV6; break;     /* never asked for */
        case 3: rxs->ring[2].rsp.status = -5; break;                 /* below DROPPED */
        }
        ck_assert_int_eq(poll_once(), -EPROTO);
        ck_assert(q.broken);
        ck_assert_int_eq(q.break_reason, rules[c]);
        ck_assert_uint_eq(delivered_count, 0);
        ck_assert_uint_eq(fp.fresh_given, 0);
        ck_assert_uint_eq(fp.ended_count, 0);
        ck_assert_uint_eq(fp.lent, 0);
        ck_assert_uint_eq(fp.taken_back_count, 0);
    }
}
END_TEST

START_TEST(no_descriptor_drops_but_the_slot_gets_a_fresh_page)
{
    fp.lend_fails = true;
    rx_respond(0, 0, 0, 60);
    rxs->rsp_prod = 1;
    ck_assert_int_eq(poll_once(), 1);
    ck_assert_uint_eq(delivered_count, 0);
    ck_assert_uint_eq(q.stats.rx_no_buffer, 1);
    ck_assert_ptr_eq(q.rx_page[0], fp.fresh[0]);
    ck_assert_uint_eq(rxs->ring[0].req.gref, GREF_FRESH0);
}
END_TEST

START_TEST(every_frame_of_a_burst_is_handed_up)
{
    for (unsigned i = 0; i < 4; i++) {
        fill(rx_pages[i], 0, 64, (uint8_t)(i * 10));
        rx_respond(i, 0, 0, 64);
    }
    rxs->rsp_prod = 4;
    ck_assert_int_eq(poll_once(), 4);
    for (unsigned i = 0; i < 4; i++) {
        ck_assert_ptr_eq(q.rx_page[i], fp.fresh[i]);
        expect_bytes(delivered[i], (uint8_t)(i * 10));
    }
    ck_assert_uint_eq(q.stats.rx_handed_up, 4);
}
END_TEST

static Suite *handoff_suite(void)
{
    Suite *s = suite_create("netfront_ring_handoff");
    TCase *tc = tcase_create("handoff");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, frame_leaves_in_its_page_after_the_grant_ended);
    tcase_add_test(tc, grant_that_will_not_end_copies_and_abandons_the_page);
    tcase_add_test(tc, no_fresh_page_copies_and_the_slot_keeps_its_page);
    tcase_add_test(tc, large_receive_leaves_as_a_chain_of_its_pages);
    tcase_add_test(tc, chain_keeps_offsets_and_skips_an_empty_slot);
    tcase_add_test(tc, large_receive_without_a_fresh_page_for_every_slot_is_copied);
    tcase_add_test(tc, large_receive_with_a_grant_that_will_not_end_is_copied);
    tcase_add_test(tc, large_receive_whose_pages_are_all_held_counts_each);
    tcase_add_test(tc, backend_that_keeps_answered_pages_breaks_the_queue_after_the_bound);
    tcase_add_test(tc, large_receive_without_a_descriptor_is_dropped_and_every_page_returns);
    tcase_add_test(tc, malformed_large_receive_touches_no_page);
    tcase_add_test(tc, no_descriptor_drops_but_the_slot_gets_a_fresh_page);
    tcase_add_test(tc, every_frame_of_a_burst_is_handed_up);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(handoff_suite)
