/*
 * Unit tests for netfront's receive page pool (xen/netfront_rxpool.c) over fake grant calls: the
 * pool lends at most NETFRONT_RXPOOL_PAGES pages (lent and spare together), and reserves a
 * record for every page a slot gives up, so a multi-slot frame whose slots all got fresh pages
 * can lend every old one; at the bound a slot gets no fresh page (the ring copies). A page the
 * ring does not lend is spare once its grant ended, else quarantined (xen/grants.h, the
 * grant-lifetime rule: never back to the allocator while the backend maps it).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net_core_fixture.h"
#include "xen_fixture.h"
#include "xen/grants.h"
#include "xen/netfront_conn.h"
#include "xen/netfront_rxpool.h"
#include "lib/errno.h"
#include "mm/mm.h"
#include "mm/pbuf.h"
#include "xenolith/test_main.h"

/* ---- fake grant calls (xen/grants.h) ---- */
static uint32_t next_ref, busy_ref, quarantined_pages;
static unsigned live_grants;

long xen_grant_access(uint16_t domid, const void *page, bool readonly)
{
    (void)domid, (void)page, (void)readonly;
    live_grants++;
    return next_ref++;
}

int xen_grant_end(uint32_t ref)
{
    if (ref == busy_ref)
        return -EBUSY;
    live_grants--;
    return 0;
}

int xen_grant_end_free_counted(uint32_t ref, void *page, unsigned order, uint32_t *held)
{
    if (ref == busy_ref) {
        quarantined_pages++;
        (*held)++;
        return -EBUSY;
    }
    live_grants--;
    page_free(page, order);
    return 0;
}

#define SLOTS 8u
static uint8_t *slot_pages[SLOTS];
static uint32_t slot_grefs[SLOTS];
static uint32_t held;
static struct pbuf_pool *pool;
static struct netfront_rxpool *rxpool;
static const struct netfront_rx_handoff *h;

static void setup(void)
{
    core_boot();
    next_ref = 100;
    busy_ref = 0;
    quarantined_pages = live_grants = held = 0;
    pool = pbuf_pool_create("nf", 512);
    rxpool = netfront_rxpool_create(slot_pages, slot_grefs, 0, &held);
    ck_assert_ptr_nonnull(rxpool);
    h = netfront_rxpool_handoff(rxpool);
}

static void teardown(void)
{
    netfront_rxpool_detach(rxpool);
    ck_assert_uint_eq(pool_in_use(pool), 0);
    pbuf_pool_destroy(pool);
}

/* What the ring does for a frame of n slots (xen/netfront_ring.c): fresh pages first, then the
 * old grants ended, then the old pages lent as a chain. Returns the slots replaced. */
static unsigned replace_all(unsigned n, uint8_t *old[], uint32_t old_ref[])
{
    unsigned i = 0;
    for (; i < n; i++) {
        old[i] = page_alloc(0);              /* the slot's page, granted as the ring's are */
        old_ref[i] = (uint32_t)xen_grant_access(0, old[i], false);
        uint32_t ref;
        uint8_t *fresh = h->replace_page(h->ctx, i, &ref);
        if (!fresh)
            break;
        ck_assert_ptr_eq(slot_pages[i], fresh);   /* the device's record follows the slot */
        ck_assert_uint_eq(slot_grefs[i], ref);
    }
    return i;
}

START_TEST(a_chain_of_pages_is_lent_and_comes_back)
{
    uint8_t *old[3];
    uint32_t ref[3];
    ck_assert_uint_eq(replace_all(3, old, ref), 3);
    struct pbuf *chain = NULL;
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_int_eq(h->end_grant(h->ctx, ref[i]), 0);
        struct pbuf *seg = h->lend(h->ctx, pool, old[i], 0, 4096);
        ck_assert_ptr_nonnull(seg);
        ck_assert_ptr_eq(seg->data, old[i]);
        if (chain)
            pbuf_cat(chain, seg);
        else
            chain = seg;
    }
    ck_assert_uint_eq(chain->tot_len, 3 * 4096);
    pbuf_free(chain);                        /* the three pages are spares now */
    uint8_t *again[3];
    uint32_t again_ref[3];
    ck_assert_uint_eq(replace_all(3, again, again_ref), 3);
    for (unsigned i = 0; i < 3; i++)         /* the spares come back as fresh pages */
        ck_assert(slot_pages[i] == old[0] || slot_pages[i] == old[1] || slot_pages[i] == old[2]);
    for (unsigned i = 0; i < 3; i++) {
        ck_assert_int_eq(h->end_grant(h->ctx, again_ref[i]), 0);
        h->retire(h->ctx, again[i], again_ref[i], true);
    }
}
END_TEST

/* At the bound (every record lent) no slot gets a fresh page; two records left give two slots
 * fresh pages and refuse the third, and the two old pages, not lent after all, become spares. */
START_TEST(the_bound_holds_for_multi_slot_frames)
{
    struct pbuf *held_pbufs[NETFRONT_RXPOOL_PAGES];
    for (unsigned i = 0; i < NETFRONT_RXPOOL_PAGES - 2; i++) {
        uint8_t *old[1];
        uint32_t ref[1];
        ck_assert_uint_eq(replace_all(1, old, ref), 1);
        ck_assert_int_eq(h->end_grant(h->ctx, ref[0]), 0);
        held_pbufs[i] = h->lend(h->ctx, pool, old[0], 0, 100);
        ck_assert_ptr_nonnull(held_pbufs[i]);
    }
    uint8_t *old[3];
    uint32_t ref[3];
    ck_assert_uint_eq(replace_all(3, old, ref), 2);   /* a record for each page given up */
    for (unsigned i = 0; i < 2; i++) {
        ck_assert_int_eq(h->end_grant(h->ctx, ref[i]), 0);
        h->retire(h->ctx, old[i], ref[i], true);
    }
    xen_grant_end(ref[2]);                   /* the third slot kept its page */
    page_free(old[2], 0);
    for (unsigned i = 0; i < NETFRONT_RXPOOL_PAGES - 2; i++)
        pbuf_free(held_pbufs[i]);
}
END_TEST

/* A page whose grant will not end is quarantined, not kept; its record is free again. */
START_TEST(a_busy_page_is_quarantined)
{
    uint8_t *old[2];
    uint32_t ref[2];
    ck_assert_uint_eq(replace_all(2, old, ref), 2);
    busy_ref = ref[1];
    ck_assert_int_eq(h->end_grant(h->ctx, ref[0]), 0);
    ck_assert_int_eq(h->end_grant(h->ctx, ref[1]), -EBUSY);
    h->retire(h->ctx, old[0], ref[0], true);
    h->retire(h->ctx, old[1], ref[1], false);
    ck_assert_uint_eq(quarantined_pages, 1);
    ck_assert_uint_eq(held, 1);
    /* The device's account holds it against the cap at the next connection
     * (xen/netfront_conn.h): two queues' grants no longer fit beside it, one does. */
    ck_assert(!netfront_grants_allow(held, 2));
    ck_assert(netfront_grants_allow(held, 1));
}
END_TEST

static Suite *netfront_rxpool_suite(void)
{
    Suite *s = suite_create("netfront_rxpool");
    TCase *tc = tcase_create("pool");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, a_chain_of_pages_is_lent_and_comes_back);
    tcase_add_test(tc, the_bound_holds_for_multi_slot_frames);
    tcase_add_test(tc, a_busy_page_is_quarantined);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(netfront_rxpool_suite)
