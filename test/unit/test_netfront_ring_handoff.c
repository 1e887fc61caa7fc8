/*
 * Unit tests for netfront's receive handoff (xen/netfront_ring.c, struct netfront_rx_handoff):
 * a one-slot frame leaves in its own page, without a copy, only after the page's grant was
 * ended, and its ring slot is posted again with a fresh granted page. The Xen rule behind the
 * order (xen/grants.h, the grant-lifetime rule; Xen's grant_table.h: a grant can be ended only
 * when the other domain no longer maps it): a page the backend may still write is never
 * given to the stack. A grant that will not end means the frame is copied and that page is
 * abandoned (to the quarantine), never posted again; no fresh page means the frame is copied and
 * the slot keeps its page; multi-slot frames are copied. Against a fake backend and a fake pool.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net_core_fixture.h"
#include "xen/netfront_ring.h"
#include "netfront_ring_pages.h"
#include "lib/errno.h"
#include "mm/pbuf.h"

#define GREF_RX0 NF_GREF_RX0
#define GREF_FRESH0 9000u
#define FAKE_PAGES 8u

static struct netfront_queue q;
static struct pbuf_pool *pool;
static struct netfront_queue_features feats = { true, true, true, true };

static struct pbuf *delivered[16];
static unsigned delivered_count;

static void collect(void *ctx, struct pbuf *p)
{
    (void)ctx;
    ck_assert_uint_lt(delivered_count, 16);
    delivered[delivered_count++] = p;
}

/* ---- the fake device pool ---- */
struct fake_pool {
    uint8_t *fresh[FAKE_PAGES];      /* pages replace_page hands out, in order */
    unsigned fresh_given, fresh_limit;
    int end_result;                  /* what end_grant answers */
    uint32_t ended[4], ended_count;  /* grants ended, in order */
    uint8_t *abandoned;
    uint32_t abandoned_gref;
    unsigned replaced_slot;
    bool lend_fails;
    struct pbuf_device_storage ds[4];
    unsigned lent, released;
};
static struct fake_pool fp;

static uint8_t *fake_replace(void *ctx, unsigned slot, uint32_t *gref)
{
    (void)ctx;
    if (fp.fresh_given >= fp.fresh_limit)
        return NULL;
    fp.replaced_slot = slot;
    *gref = GREF_FRESH0 + fp.fresh_given;
    return fp.fresh[fp.fresh_given++];
}

static int fake_end(void *ctx, uint32_t gref)
{
    (void)ctx;
    ck_assert_uint_lt(fp.ended_count, 4);
    fp.ended[fp.ended_count++] = gref;
    return fp.end_result;
}

static void fake_abandon(void *ctx, uint8_t *page, uint32_t gref)
{
    (void)ctx;
    fp.abandoned = page;
    fp.abandoned_gref = gref;
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
    ck_assert_uint_ge(fp.ended_count, 1);
    ck_assert_int_eq(fp.end_result, 0);
    if (fp.lend_fails)
        return NULL;
    struct pbuf_device_storage *ds = &fp.ds[fp.lent++];
    ds->base = page;
    ds->size = NETFRONT_PAGE_SIZE;
    ds->release = fake_release;
    return pbuf_from_device(pbufs, ds, offset, len);
}

static const struct netfront_rx_handoff handoff = {
    .replace_page = fake_replace, .end_grant = fake_end, .abandon = fake_abandon,
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

START_TEST(multi_slot_frame_is_copied)
{
    fill(rx_pages[0], 0, 4096, 1);
    fill(rx_pages[1], 0, 100, (uint8_t)(1 + 4096));
    rx_respond(0, 0, NETRXF_more_data, 4096);
    rx_respond(1, 0, 0, 100);
    rxs->rsp_prod = 2;
    ck_assert_int_eq(poll_once(), 1);
    ck_assert_uint_eq(delivered[0]->tot_len, 4196);
    expect_bytes(delivered[0], 1);
    ck_assert_uint_eq(fp.fresh_given, 0);
    ck_assert_uint_eq(fp.ended_count, 0);
    ck_assert_uint_eq(q.stats.rx_copied, 1);
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
    tcase_add_test(tc, multi_slot_frame_is_copied);
    tcase_add_test(tc, no_descriptor_drops_but_the_slot_gets_a_fresh_page);
    tcase_add_test(tc, every_frame_of_a_burst_is_handed_up);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(handoff_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
