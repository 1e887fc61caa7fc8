/*
 * Unit tests for netfront's rings in an image that leaves netfront_offload out (APP_XEN_WITHOUT,
 * xen/optional.h): this program defines xen_optionals itself, as such an image does. Such an
 * image never offers feature-sg or feature-gso-tcpv4 (netfront_frontend_features), so every
 * frame is one slot each way (xen/io/netif.h: without feature-sg the backend sends no
 * NETRXF_more_data, without feature-gso-tcpv4 no GSO extra): even on a queue whose features say
 * otherwise, a frame of more than a page is refused with -EMSGSIZE and a TSO frame with -EINVAL,
 * and a received NETRXF_more_data or NETRXF_extra_info is a bad response that breaks the queue.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net_core_fixture.h"
#include "xen_fixture.h"
#include "xen/netfront_ring.h"
#include "xen/optional.h"
#include "netfront_ring_pages.h"
#include "lib/errno.h"
#include "mm/pbuf.h"
#include "xenolith/test_main.h"

const uint32_t xen_optionals = XEN_OPTIONALS_ALL & ~(uint32_t)XEN_OPTIONAL_NETFRONT_OFFLOAD;

static struct netfront_queue q;
static struct pbuf_pool *pool;
/* What a backend offering everything would let an image with netfront_offload negotiate. */
static struct netfront_queue_features all = { true, true, true, true };
static struct pbuf *delivered[4];
static unsigned delivered_count;

static void collect(void *ctx, struct pbuf *p)
{
    (void)ctx;
    ck_assert_uint_lt(delivered_count, 4);
    delivered[delivered_count++] = p;
}

static void setup(void)
{
    core_boot();
    nf_ring_pages_alloc();
    pool = pbuf_pool_create("nf", 64);
    delivered_count = 0;
    nf_queue_start(&q, &all, NULL);
}

static void teardown(void)
{
    for (unsigned i = 0; i < delivered_count; i++)
        pbuf_free(delivered[i]);
    ck_assert_uint_eq(pool_in_use(pool), 0);
    pbuf_pool_destroy(pool);
    nf_ring_pages_free();
}

static int send(size_t len, uint16_t gso_size)
{
    struct pbuf *p = pbuf_alloc(pool, len);
    ck_assert_ptr_nonnull(p);
    p->gso_size = gso_size;
    bool notify;
    int rc = netfront_tx_frame(&q, p, &notify);
    pbuf_free(p);
    return rc;
}

START_TEST(tx_frames_stay_one_slot)
{
    ck_assert_int_eq(send(NETFRONT_PAGE_SIZE + 1, 0), -EMSGSIZE);
    ck_assert_int_eq(send(1514, 1448), -EINVAL);
    ck_assert_uint_eq(txs->req_prod, 0);
    ck_assert_int_eq(send(NETFRONT_PAGE_SIZE, 0), 0);
    ck_assert_uint_eq(txs->req_prod, 1);
    netif_tx_request_t r = txs->ring[0].req;
    ck_assert_uint_eq(r.size, NETFRONT_PAGE_SIZE);
    ck_assert(!(r.flags & (NETTXF_more_data | NETTXF_extra_info)));
    ck_assert_uint_eq(q.stats.tx_slots, 1);
}
END_TEST

static int poll_once(void)
{
    bool notify;
    return netfront_rx_poll(&q, pool, 8, collect, NULL, 1000000000ull, &notify);
}

static void rx_respond(RING_IDX i, uint16_t flags, int16_t status)
{
    netif_rx_response_t *r = &rxs->ring[i % NETFRONT_RX_SLOTS].rsp;
    r->id = (uint16_t)(i % NETFRONT_RX_SLOTS);
    r->offset = 0;
    r->flags = flags;
    r->status = status;
}

START_TEST(rx_one_slot_frame_is_taken)
{
    memset(rx_pages[0], 0x5a, 1500);
    rx_respond(0, 0, 1500);
    rxs->rsp_prod = 1;
    ck_assert_int_eq(poll_once(), 1);
    ck_assert_uint_eq(delivered_count, 1);
    ck_assert_uint_eq(delivered[0]->tot_len, 1500);
    ck_assert(!q.broken);
}
END_TEST

START_TEST(rx_more_data_breaks_the_queue)
{
    rx_respond(0, NETRXF_more_data, 4096);
    rx_respond(1, 0, 100);
    rxs->rsp_prod = 2;
    ck_assert_int_eq(poll_once(), -EPROTO);
    ck_assert_int_eq(q.break_reason, NETFRONT_broken_rx_slot_overrun);
    ck_assert(strstr(q.why, "feature-sg"));
    ck_assert_uint_eq(delivered_count, 0);
}
END_TEST

START_TEST(rx_extra_info_breaks_the_queue)
{
    rx_respond(0, NETRXF_extra_info, 1500);
    struct netif_extra_info *x = (struct netif_extra_info *)&rxs->ring[1].rsp;
    memset(x, 0, sizeof(*x));
    x->type = XEN_NETIF_EXTRA_TYPE_GSO;
    x->u.gso.size = 1448;
    x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
    rxs->rsp_prod = 2;
    ck_assert_int_eq(poll_once(), -EPROTO);
    ck_assert_int_eq(q.break_reason, NETFRONT_broken_rx_bad_extra);
    ck_assert(strstr(q.why, "feature-gso-tcpv4"));
    ck_assert_uint_eq(delivered_count, 0);
}
END_TEST

static Suite *netfront_no_offload_suite(void)
{
    Suite *s = suite_create("netfront_no_offload");
    TCase *tc = tcase_create("one_slot");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, tx_frames_stay_one_slot);
    tcase_add_test(tc, rx_one_slot_frame_is_taken);
    tcase_add_test(tc, rx_more_data_breaks_the_queue);
    tcase_add_test(tc, rx_extra_info_breaks_the_queue);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(netfront_no_offload_suite)
