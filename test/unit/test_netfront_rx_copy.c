/*
 * Unit tests for netfront's receive in an image without receive by reference
 * (NET_FEATURE_RX_BY_REFERENCE, net/wire/features.h; app.mk's APP_NET_WITHOUT rx_by_reference):
 * this program defines net_features itself, as such an image does. Even with a handoff set
 * (struct netfront_rx_handoff), every frame is copied out of its slot's page and the slot is
 * posted again with the same page and grant: no page is replaced, no grant ended, none lent.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net_core_fixture.h"
#include "xen_fixture.h"
#include "xen/netfront_ring.h"
#include "netfront_ring_pages.h"
#include "mm/pbuf.h"
#include "net/wire/features.h"
#include "xenolith/test_main.h"

const uint32_t net_features = NET_FEATURES_ALL & ~(uint32_t)NET_FEATURE_RX_BY_REFERENCE;

#define GREF_RX0 NF_GREF_RX0

static struct netfront_queue q;
static struct pbuf_pool *pool;
static struct netfront_queue_features feats = { true, true, true, true };
static struct pbuf *delivered[8];
static unsigned delivered_count, handoff_calls;

static void collect(void *ctx, struct pbuf *p)
{
    (void)ctx;
    ck_assert_uint_lt(delivered_count, 8);
    delivered[delivered_count++] = p;
}

/* A handoff that counts its calls: in this image none may come. */
static uint8_t *never_replace(void *ctx, unsigned slot, uint32_t *gref)
{
    (void)ctx, (void)slot, (void)gref;
    handoff_calls++;
    return NULL;
}

static int never_end(void *ctx, uint32_t gref)
{
    (void)ctx, (void)gref;
    handoff_calls++;
    return 0;
}

static void never_retire(void *ctx, uint8_t *page, uint32_t gref, bool ended)
{
    (void)ctx, (void)page, (void)gref, (void)ended;
    handoff_calls++;
}

static struct pbuf *never_lend(void *ctx, struct pbuf_pool *pbufs, uint8_t *page, unsigned offset,
                               unsigned len)
{
    (void)ctx, (void)pbufs, (void)page, (void)offset, (void)len;
    handoff_calls++;
    return NULL;
}

static const struct netfront_rx_handoff handoff = {
    .replace_page = never_replace, .end_grant = never_end, .retire = never_retire,
    .lend = never_lend,
};

static void setup(void)
{
    core_boot();
    nf_ring_pages_alloc();
    pool = pbuf_pool_create("nf", 64);
    delivered_count = 0;
    handoff_calls = 0;
    nf_queue_start(&q, &feats, &handoff);
}

static void teardown(void)
{
    for (unsigned i = 0; i < delivered_count; i++)
        pbuf_free(delivered[i]);
    pbuf_pool_destroy(pool);
    nf_ring_pages_free();
}

START_TEST(every_frame_is_copied_and_its_slot_keeps_its_page)
{
    for (unsigned i = 0; i < 4; i++) {
        for (unsigned b = 0; b < 1000; b++)
            rx_pages[i][20 + b] = (uint8_t)(i * 10 + b);
        netif_rx_response_t *r = &rxs->ring[i].rsp;
        r->id = (uint16_t)i;
        r->offset = 20;
        r->flags = NETRXF_data_validated;
        r->status = 1000;
    }
    rxs->rsp_prod = 4;
    bool notify;
    ck_assert_int_eq(netfront_rx_poll(&q, pool, 8, collect, NULL, 1000000000ull, &notify), 4);
    ck_assert_uint_eq(delivered_count, 4);
    for (unsigned i = 0; i < 4; i++) {
        struct pbuf *p = delivered[i];
        ck_assert_uint_eq(p->tot_len, 1000);
        ck_assert(p->data < rx_pages[i] || p->data >= rx_pages[i] + 4096);   /* a copy */
        for (unsigned b = 0; b < 1000; b++) {
            uint8_t byte;
            pbuf_copy_out(p, b, &byte, 1);
            ck_assert_uint_eq(byte, (uint8_t)(i * 10 + b));
        }
        ck_assert_ptr_eq(q.rx_page[i], rx_pages[i]);          /* posted again as it was */
        ck_assert_uint_eq(q.rx_gref[i], GREF_RX0 + i);
    }
    ck_assert_uint_eq(handoff_calls, 0);
    ck_assert_uint_eq(q.stats.rx_copied, 4);
    ck_assert_uint_eq(q.stats.rx_handed_up, 0);
}
END_TEST

static Suite *netfront_rx_copy_suite(void)
{
    Suite *s = suite_create("netfront_rx_copy");
    TCase *tc = tcase_create("copy");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_frame_is_copied_and_its_slot_keeps_its_page);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(netfront_rx_copy_suite)
