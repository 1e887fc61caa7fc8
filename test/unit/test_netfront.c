/*
 * Unit tests for xen/netfront_ring.c against a fake backend that reads and writes the shared
 * rings as netback would (Xen public io/netif.h, io/ring.h). The rules: the transmit pool's
 * pages are granted once and reused, a frame costs slots but no grant; the first tx slot carries
 * the whole frame's size, later ones their own with NETTXF_more_data; TSO adds a GSO extra-info
 * slot; checksum offload sets NETTXF_csum_blank|data_validated; responses return pages to the
 * pool. The receive ring stays full, request id = slot. Every bad response (id, status, offset,
 * length, slot count, extra type, GSO prefix, producer past the requests, stray NULL) breaks the
 * queue by a named rule and nothing after it is touched; backend error statuses are counted, not
 * fatal, but an error chain counts toward the frame's slots; a partial frame is waited for
 * quietly and for a bounded time (issue 13, finding 3). Notifications follow the backend's
 * req_event (batching).
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

#define GREF_TX0 NF_GREF_TX0
#define GREF_RX0 NF_GREF_RX0

static struct netfront_queue q;
static struct pbuf_pool *pool;
static struct netfront_queue_features all = { true, true, true, true };

#define DELIVERED_MAX 64
static struct pbuf *delivered[DELIVERED_MAX];
static unsigned delivered_count;

static void collect(void *ctx, struct pbuf *p)
{
    (void)ctx;
    ck_assert_uint_lt(delivered_count, DELIVERED_MAX);
    delivered[delivered_count++] = p;
}

static void init_queue(const struct netfront_queue_features *f)
{
    netfront_queue_init(&q, 0, txs, rxs, tx_pages, tx_grefs, rx_pages, rx_grefs, f);
    /* netback asks for an event on its first request */
    txs->req_event = 1;
    rxs->req_event = 1;
}

static void setup(void)
{
    core_boot();
    nf_ring_pages_alloc();
    pool = pbuf_pool_create("nf", 256);
    delivered_count = 0;
    init_queue(&all);
}

static void teardown(void)
{
    for (unsigned i = 0; i < delivered_count; i++)
        pbuf_free(delivered[i]);
    ck_assert_uint_eq(pool_in_use(pool), 0);
    pbuf_pool_destroy(pool);
    nf_ring_pages_free();
}

static struct pbuf *frame(size_t len, uint8_t seed)
{
    struct pbuf *p = pbuf_alloc(pool, len);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < len; i++) {
        uint8_t b = (uint8_t)(seed + i * 7);
        pbuf_copy_in(p, i, &b, 1);
    }
    return p;
}

static int send(size_t len, uint8_t seed, bool *notify)
{
    struct pbuf *p = frame(len, seed);
    int rc = netfront_tx_frame(&q, p, notify);
    pbuf_free(p);
    return rc;
}

/* The backend answers tx ring index i with (id, status). */
static void tx_respond(RING_IDX i, uint16_t id, int16_t status)
{
    txs->ring[i % NETFRONT_TX_SLOTS].rsp.id = id;
    txs->ring[i % NETFRONT_TX_SLOTS].rsp.status = status;
}

/* The backend answers every tx request so far with OKAY (NULL for extra-info slots). */
static void tx_answer_all(void)
{
    RING_IDX i = txs->rsp_prod;
    bool extra = false;
    for (; i != txs->req_prod; i++) {
        netif_tx_request_t r = txs->ring[i % NETFRONT_TX_SLOTS].req;
        if (extra) {
            tx_respond(i, 0, NETIF_RSP_NULL);
            extra = false;
            continue;
        }
        extra = (r.flags & NETTXF_extra_info) != 0;
        tx_respond(i, r.id, NETIF_RSP_OKAY);
    }
    txs->rsp_prod = i;
}

/* The backend fills rx ring index i. */
static void rx_respond(RING_IDX i, uint16_t id, uint16_t offset, uint16_t flags, int16_t status)
{
    netif_rx_response_t *r = &rxs->ring[i % NETFRONT_RX_SLOTS].rsp;
    r->id = id;
    r->offset = offset;
    r->flags = flags;
    r->status = status;
}

static void rx_fill_page(RING_IDX i, uint16_t offset, uint16_t len, uint8_t seed)
{
    for (unsigned b = 0; b < len; b++)
        rx_pages[i % NETFRONT_RX_SLOTS][offset + b] = (uint8_t)(seed + b);
}

/* The monotonic time the polls see (partial frames are timed). */
static uint64_t now_ns = 1000000000ull;

static int rx_poll(bool *notify)
{
    return netfront_rx_poll(&q, pool, 32, collect, NULL, now_ns, notify);
}

/* ---- transmit ---- */

START_TEST(tx_frame_uses_a_pregranted_pool_page)
{
    bool notify;
    ck_assert_int_eq(send(100, 3, &notify), 0);
    ck_assert(notify);                       /* req_event = 1: netback waits for the first */
    ck_assert_uint_eq(txs->req_prod, 1);
    netif_tx_request_t r = txs->ring[0].req;
    ck_assert_uint_lt(r.id, NETFRONT_TX_SLOTS);
    ck_assert_uint_eq(r.gref, GREF_TX0 + r.id);    /* the page's grant from set-up: no new one */
    ck_assert_uint_eq(r.offset, 0);
    ck_assert_uint_eq(r.size, 100);
    ck_assert_uint_eq(r.flags, 0);
    for (unsigned i = 0; i < 100; i++)
        ck_assert_uint_eq(tx_pages[r.id][i], (uint8_t)(3 + i * 7));
    ck_assert_uint_eq(netfront_tx_in_flight(&q), 1);
    tx_answer_all();
    ck_assert_int_eq(netfront_tx_reap(&q), 1);
    ck_assert_uint_eq(netfront_tx_in_flight(&q), 0);
    /* the next completion event is wanted only after a batch of them */
    ck_assert_uint_eq(txs->rsp_event, 1 + NETFRONT_TX_EVENT_BATCH);
    /* the page goes back and is used again */
    ck_assert_int_eq(send(60, 9, &notify), 0);
    ck_assert_uint_eq(txs->ring[1].req.id, r.id);
    ck_assert_uint_eq(txs->ring[1].req.gref, r.gref);
}
END_TEST

START_TEST(tx_pool_exhausts_and_refills)
{
    bool notify;
    unsigned sent = 0;
    while (send(64, (uint8_t)sent, &notify) == 0)
        sent++;
    ck_assert_uint_eq(sent, NETFRONT_TX_SLOTS);
    ck_assert_int_eq(send(64, 0, &notify), -ENOBUFS);
    tx_answer_all();
    ck_assert_int_eq(netfront_tx_reap(&q), (int)NETFRONT_TX_SLOTS);
    ck_assert_int_eq(send(64, 0, &notify), 0);
}
END_TEST

/* The seed of the frame on tx ring index i (frames of one slot). */
static uint8_t seed_at(RING_IDX i)
{
    return tx_pages[txs->ring[i % NETFRONT_TX_SLOTS].req.id][0];
}

/* A full ring does not lose frames: they wait in the holding queue, the backend is asked for an
 * event at its next response (io/ring.h: it notifies when rsp_prod passes rsp_event; the
 * batched rsp_event would leave them waiting for half a ring), and once responses free slots the
 * held frames go out in the order they were given; frames given meanwhile queue behind them.
 * Only a full holding queue drops (counted). */
START_TEST(tx_full_ring_holds_frames_and_sends_them_in_order)
{
    bool notify;
    for (unsigned i = 0; i < NETFRONT_TX_SLOTS; i++)
        ck_assert_int_eq(netfront_tx_send(&q, frame(64, (uint8_t)i), &notify), 0);
    ck_assert_uint_eq(txs->req_prod, NETFRONT_TX_SLOTS);
    for (unsigned i = 0; i < NETFRONT_TX_HOLD; i++)
        ck_assert_int_eq(netfront_tx_send(&q, frame(64, (uint8_t)(100 + i)), &notify), 0);
    ck_assert_uint_eq(q.stats.tx_held, NETFRONT_TX_HOLD);
    ck_assert_uint_eq(txs->req_prod, NETFRONT_TX_SLOTS);        /* nothing more on the ring */
    ck_assert_uint_eq(txs->rsp_event, q.tx.rsp_cons + 1);       /* the next response signals */
    ck_assert_int_eq(netfront_tx_send(&q, frame(64, 200), &notify), -ENOBUFS);
    ck_assert_uint_eq(q.stats.tx_hold_dropped, 1);

    /* The backend answers the first ten; the poller takes the responses. */
    const unsigned moved = 10;
    for (RING_IDX i = 0; i < moved; i++)
        tx_respond(i, txs->ring[i].req.id, NETIF_RSP_OKAY);
    txs->rsp_prod = moved;
    txs->req_event = txs->req_prod + 1;                          /* netback went idle */
    ck_assert_int_eq(netfront_tx_progress(&q, &notify), 0);
    ck_assert(notify);
    ck_assert_uint_eq(txs->rsp_event, moved + 1);                /* still waiting */
    ck_assert_uint_eq(txs->req_prod, NETFRONT_TX_SLOTS + moved);
    for (unsigned i = 0; i < moved; i++)
        ck_assert_uint_eq(seed_at(NETFRONT_TX_SLOTS + i), (uint8_t)(100 + i));
    ck_assert_uint_eq(q.tx_held_count, NETFRONT_TX_HOLD - moved);
    /* A new frame queues behind the held ones, never ahead. */
    ck_assert_int_eq(netfront_tx_send(&q, frame(64, 250), &notify), 0);
    tx_answer_all();
    ck_assert_int_eq(netfront_tx_progress(&q, &notify), 0);
    ck_assert_uint_eq(q.tx_held_count, 0);
    RING_IDX end = txs->req_prod;
    ck_assert_uint_eq(end, NETFRONT_TX_SLOTS + NETFRONT_TX_HOLD + 1);
    for (unsigned i = moved; i < NETFRONT_TX_HOLD; i++)
        ck_assert_uint_eq(seed_at(NETFRONT_TX_SLOTS + i), (uint8_t)(100 + i));
    ck_assert_uint_eq(seed_at(end - 1), 250);
    /* Nothing waits: completions are batched again. */
    ck_assert_uint_eq(txs->rsp_event, q.tx.rsp_cons + NETFRONT_TX_EVENT_BATCH);
    ck_assert_uint_eq(q.stats.tx_hold_dropped, 1);
}
END_TEST

/* Held frames belong to the queue: a queue torn down frees them. */
START_TEST(tx_held_frames_are_freed_with_the_queue)
{
    bool notify;
    for (unsigned i = 0; i < NETFRONT_TX_SLOTS + 3; i++)
        ck_assert_int_eq(netfront_tx_send(&q, frame(64, (uint8_t)i), &notify), 0);
    ck_assert_uint_eq(netfront_tx_hold_flush(&q), 3);
    ck_assert_uint_eq(q.tx_held_count, 0);
    /* A frame the queue cannot carry is refused at once, not held. */
    struct netfront_queue_features no_sg = all;
    no_sg.tx_sg = false;
    init_queue(&no_sg);
    ck_assert_int_eq(netfront_tx_send(&q, frame(9000, 1), &notify), -EMSGSIZE);
    ck_assert_uint_eq(q.tx_held_count, 0);
}
END_TEST

START_TEST(tx_notifications_follow_req_event)
{
    bool notify;
    ck_assert_int_eq(send(64, 1, &notify), 0);
    ck_assert(notify);
    /* netback is busy and will look again by itself: req_event stays at 1 */
    for (unsigned i = 0; i < 10; i++) {
        ck_assert_int_eq(send(64, 1, &notify), 0);
        ck_assert(!notify);
    }
    ck_assert_uint_eq(q.stats.tx_notify, 1);
    txs->req_event = txs->req_prod + 1;      /* it went idle: the next request must kick it */
    ck_assert_int_eq(send(64, 1, &notify), 0);
    ck_assert(notify);
    ck_assert_uint_eq(q.stats.tx_notify, 2);
}
END_TEST

START_TEST(tx_large_frame_spans_slots)
{
    bool notify;
    ck_assert_int_eq(send(9000, 5, &notify), 0);
    ck_assert_uint_eq(txs->req_prod, 3);
    netif_tx_request_t a = txs->ring[0].req, b = txs->ring[1].req, c = txs->ring[2].req;
    ck_assert_uint_eq(a.size, 9000);                 /* the whole frame */
    ck_assert_uint_eq(b.size, 4096);
    ck_assert_uint_eq(c.size, 9000 - 8192);
    ck_assert(a.flags & NETTXF_more_data);
    ck_assert(b.flags & NETTXF_more_data);
    ck_assert(!(c.flags & NETTXF_more_data));
    ck_assert_uint_eq(tx_pages[c.id][0], (uint8_t)(5 + 8192 * 7));
    ck_assert_uint_eq(q.stats.tx_slots, 3);

    struct netfront_queue_features no_sg = all;
    no_sg.tx_sg = false;
    init_queue(&no_sg);
    ck_assert_int_eq(send(9000, 5, &notify), -EMSGSIZE);
    ck_assert_int_eq(send(4096, 5, &notify), 0);
}
END_TEST

START_TEST(tx_tso_adds_a_gso_extra)
{
    bool notify;
    struct pbuf *p = frame(30000, 1);
    p->gso_size = 1448;
    p->flags |= PBUF_F_CSUM_PARTIAL;
    ck_assert_int_eq(netfront_tx_frame(&q, p, &notify), 0);
    netif_tx_request_t first = txs->ring[0].req;
    ck_assert(first.flags & NETTXF_extra_info);
    ck_assert(first.flags & NETTXF_csum_blank);
    ck_assert(first.flags & NETTXF_data_validated);
    struct netif_extra_info *x = (struct netif_extra_info *)&txs->ring[1].req;
    ck_assert_uint_eq(x->type, XEN_NETIF_EXTRA_TYPE_GSO);
    ck_assert_uint_eq(x->u.gso.size, 1448);
    ck_assert_uint_eq(x->u.gso.type, XEN_NETIF_GSO_TYPE_TCPV4);
    ck_assert_uint_eq(x->flags, 0);
    ck_assert_uint_eq(txs->req_prod, 1 + 1 + 7);    /* 8 data slots + the extra */
    ck_assert_uint_eq(q.stats.tx_gso, 1);
    tx_answer_all();
    ck_assert_int_eq(netfront_tx_reap(&q), 8);       /* the extra's NULL answer frees nothing */
    ck_assert_uint_eq(netfront_tx_in_flight(&q), 0);

    struct netfront_queue_features plain = all;
    plain.tx_gso = false;
    plain.tx_csum = false;
    init_queue(&plain);
    ck_assert_int_eq(netfront_tx_frame(&q, p, &notify), -EINVAL);   /* no TSO */
    p->gso_size = 0;
    ck_assert_int_eq(netfront_tx_frame(&q, p, &notify), -EINVAL);   /* no checksum offload */
    pbuf_free(p);
}
END_TEST

START_TEST(tx_backend_error_status_is_counted_not_fatal)
{
    bool notify;
    send(64, 1, &notify);
    tx_respond(0, txs->ring[0].req.id, NETIF_RSP_DROPPED);
    txs->rsp_prod = 1;
    ck_assert_int_eq(netfront_tx_reap(&q), 1);
    ck_assert(!q.broken);
    ck_assert_uint_eq(q.stats.tx_backend_errors, 1);
    ck_assert_uint_eq(netfront_tx_in_flight(&q), 0);
}
END_TEST

START_TEST(tx_bad_responses_break_the_queue)
{
    bool notify;
    /* an id that is not in flight */
    send(64, 1, &notify);
    tx_respond(0, (uint16_t)(txs->ring[0].req.id + 1), NETIF_RSP_OKAY);
    txs->rsp_prod = 1;
    ck_assert_int_eq(netfront_tx_reap(&q), -EPROTO);
    ck_assert(q.broken);
    ck_assert_ptr_nonnull(strstr(q.why, "not in flight"));
    ck_assert_int_eq(q.break_reason, NETFRONT_broken_tx_not_in_flight);
    ck_assert_uint_eq(q.stats.bad_responses, 1);
    ck_assert_int_eq(send(64, 1, &notify), -EPIPE);   /* nothing is touched afterwards */
    ck_assert_int_eq(netfront_tx_reap(&q), -EPROTO);

    /* the same id answered twice */
    init_queue(&all);
    send(64, 1, &notify);
    send(64, 2, &notify);
    tx_respond(0, txs->ring[0].req.id, NETIF_RSP_OKAY);
    tx_respond(1, txs->ring[0].req.id, NETIF_RSP_OKAY);
    txs->rsp_prod = 2;
    ck_assert_int_eq(netfront_tx_reap(&q), -EPROTO);

    /* an id past the pool */
    init_queue(&all);
    send(64, 1, &notify);
    tx_respond(0, 60000, NETIF_RSP_OKAY);
    txs->rsp_prod = 1;
    ck_assert_int_eq(netfront_tx_reap(&q), -EPROTO);

    /* an unknown status */
    init_queue(&all);
    send(64, 1, &notify);
    tx_respond(0, txs->ring[0].req.id, 7);
    txs->rsp_prod = 1;
    ck_assert_int_eq(netfront_tx_reap(&q), -EPROTO);

    /* a producer past our requests */
    init_queue(&all);
    send(64, 1, &notify);
    tx_respond(0, txs->ring[0].req.id, NETIF_RSP_OKAY);
    txs->rsp_prod = 2;
    ck_assert_int_eq(netfront_tx_reap(&q), -EPROTO);
    ck_assert_ptr_nonnull(strstr(q.why, "past our requests"));
    ck_assert_uint_eq(q.stats.broken_tx_producer, 1);
    ck_assert_uint_eq(netfront_tx_in_flight(&q), 1);   /* nothing was taken */
}
END_TEST

/* ---- receive ---- */

START_TEST(rx_ring_is_kept_full)
{
    ck_assert(netfront_rx_refill(&q));
    ck_assert_uint_eq(rxs->req_prod, NETFRONT_RX_SLOTS);
    for (unsigned i = 0; i < NETFRONT_RX_SLOTS; i++) {
        ck_assert_uint_eq(rxs->ring[i].req.id, i);
        ck_assert_uint_eq(rxs->ring[i].req.gref, GREF_RX0 + i);
    }
    ck_assert(!netfront_rx_refill(&q));    /* nothing to add, no kick */
    ck_assert_uint_eq(q.stats.rx_notify, 1);
}
END_TEST

START_TEST(rx_frame_is_copied_out_and_the_slot_reposted)
{
    bool notify;
    netfront_rx_refill(&q);
    rx_fill_page(0, 10, 60, 4);
    rx_respond(0, 0, 10, NETRXF_data_validated, 60);
    rxs->rsp_prod = 1;
    rxs->req_event = NETFRONT_RX_SLOTS + 1;
    ck_assert_int_eq(rx_poll(&notify), 1);
    ck_assert_uint_eq(delivered_count, 1);
    struct pbuf *p = delivered[0];
    ck_assert_uint_eq(p->tot_len, 60);
    uint8_t buf[60];
    pbuf_copy_out(p, 0, buf, 60);
    for (unsigned i = 0; i < 60; i++)
        ck_assert_uint_eq(buf[i], (uint8_t)(4 + i));
    ck_assert(p->flags & PBUF_F_CSUM_VERIFIED);
    ck_assert_uint_eq(rxs->req_prod, NETFRONT_RX_SLOTS + 1);   /* slot 0 went back */
    ck_assert_uint_eq(rxs->ring[0].req.id, 0);
    ck_assert(notify);
    ck_assert_uint_eq(q.stats.rx_frames, 1);
}
END_TEST

START_TEST(rx_checksum_mark_needs_the_feature)
{
    bool notify;
    struct netfront_queue_features f = all;
    f.rx_csum = false;
    init_queue(&f);
    netfront_rx_refill(&q);
    rx_respond(0, 0, 0, NETRXF_data_validated | NETRXF_csum_blank, 60);
    rxs->rsp_prod = 1;
    ck_assert_int_eq(rx_poll(&notify), 1);
    ck_assert(!(delivered[0]->flags & PBUF_F_CSUM_VERIFIED));
}
END_TEST

START_TEST(rx_multi_slot_frame_with_gso_extra)
{
    bool notify;
    netfront_rx_refill(&q);
    rx_fill_page(0, 0, 4096, 1);
    rx_respond(0, 0, 0, NETRXF_more_data | NETRXF_extra_info | NETRXF_csum_blank, 4096);
    struct netif_extra_info *x = (struct netif_extra_info *)&rxs->ring[1].rsp;
    memset(x, 0, sizeof(*x));
    x->type = XEN_NETIF_EXTRA_TYPE_GSO;
    x->u.gso.size = 1448;
    x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
    rx_fill_page(2, 0, 1000, 50);
    rx_respond(2, 2, 0, 0, 1000);
    rxs->rsp_prod = 3;
    ck_assert_int_eq(rx_poll(&notify), 1);
    ck_assert_uint_eq(delivered[0]->tot_len, 5096);
    ck_assert_uint_eq(delivered[0]->gso_size, 1448);   /* a large receive, one chain */
    uint8_t b;
    pbuf_copy_out(delivered[0], 4096, &b, 1);
    ck_assert_uint_eq(b, 50);
    ck_assert_uint_eq(q.stats.rx_gso, 1);
    ck_assert_uint_eq(q.stats.rx_slots, 2);
    ck_assert_uint_eq(rxs->req_prod, NETFRONT_RX_SLOTS + 3);   /* the extra's slot too */
}
END_TEST

START_TEST(rx_partial_frame_waits_for_its_end)
{
    bool notify;
    netfront_rx_refill(&q);
    rx_respond(0, 0, 0, NETRXF_more_data, 100);
    rxs->rsp_prod = 1;
    ck_assert_int_eq(rx_poll(&notify), 0);
    ck_assert_uint_eq(q.rx.rsp_cons, 0);
    ck_assert_uint_eq(rxs->rsp_event, 2);        /* wake us when the producer moves */
    rx_respond(1, 1, 0, 0, 50);
    rxs->rsp_prod = 2;
    ck_assert_int_eq(rx_poll(&notify), 1);
    ck_assert_uint_eq(delivered[0]->tot_len, 150);
}
END_TEST

START_TEST(rx_backend_errors_and_runts_are_dropped)
{
    bool notify;
    netfront_rx_refill(&q);
    rx_respond(0, 0, 0, 0, NETIF_RSP_ERROR);
    rx_respond(1, 1, 0, 0, 10);                   /* shorter than an Ethernet header */
    rx_respond(2, 2, 0, 0, 60);
    rxs->rsp_prod = 3;
    ck_assert_int_eq(rx_poll(&notify), 3);
    ck_assert(!q.broken);
    ck_assert_uint_eq(delivered_count, 1);
    ck_assert_uint_eq(q.stats.rx_backend_errors, 1);
    ck_assert_uint_eq(q.stats.rx_runts, 1);
}
END_TEST

START_TEST(rx_without_buffers_drops_and_reposts)
{
    bool notify;
    struct pbuf_pool *tiny = pbuf_pool_create("tiny", 1);
    struct pbuf *hog = pbuf_alloc(tiny, 10);
    netfront_rx_refill(&q);
    rx_respond(0, 0, 0, 0, 60);
    rxs->rsp_prod = 1;
    ck_assert_int_eq(netfront_rx_poll(&q, tiny, 8, collect, NULL, now_ns, &notify), 1);
    ck_assert_uint_eq(delivered_count, 0);
    ck_assert_uint_eq(q.stats.rx_no_buffer, 1);
    ck_assert_uint_eq(rxs->req_prod, NETFRONT_RX_SLOTS + 1);
    pbuf_free(hog);
    pbuf_pool_destroy(tiny);
}
END_TEST

/* Issue 13 finding 3, the wedge: netback fills every posted slot with NETIF_RSP_ERROR linked by
 * NETRXF_more_data (io/netif.h: more_data means the frame continues in the next slot), so the
 * frame can never end. Before, error slots did not count toward the per-frame bound: every poll
 * took nothing and rx_pending kept reporting work, and the poller yielded for ever. Now every
 * slot counts: the poll breaks the queue by the error-chain rule and rx_pending goes quiet. */
START_TEST(rx_error_chain_breaks_the_queue_instead_of_wedging)
{
    bool notify;
    netfront_rx_refill(&q);
    for (unsigned i = 0; i < NETFRONT_RX_SLOTS; i++)
        rx_respond(i, (uint16_t)i, 0, NETRXF_more_data, NETIF_RSP_ERROR);
    rxs->rsp_prod = NETFRONT_RX_SLOTS;
    ck_assert(netfront_rx_pending(&q));
    for (unsigned round = 0; round < 3; round++) {
        RING_IDX cons = q.rx.rsp_cons;
        int n = rx_poll(&notify);
        /* liveness: a poll either consumes or breaks the queue */
        ck_assert(n > 0 || q.rx.rsp_cons != cons || q.broken);
        if (!netfront_rx_pending(&q))
            break;
    }
    ck_assert(q.broken);
    ck_assert_int_eq(q.break_reason, NETFRONT_broken_rx_error_chain);
    ck_assert_str_eq(netfront_break_name(q.break_reason), "rx_error_chain");
    ck_assert_uint_eq(q.stats.broken_rx_error_chain, 1);
    ck_assert_uint_eq(q.stats.bad_responses, 1);
    ck_assert(!netfront_rx_pending(&q));
    ck_assert_uint_eq(delivered_count, 0);
}
END_TEST

/* An error frame within the bound is the backend's own failure: counted, dropped, not fatal. */
START_TEST(rx_short_error_chain_is_dropped)
{
    bool notify;
    netfront_rx_refill(&q);
    for (unsigned i = 0; i < NETFRONT_RX_SLOTS_PER_FRAME; i++)
        rx_respond(i, (uint16_t)i, 0, i + 1 < NETFRONT_RX_SLOTS_PER_FRAME ? NETRXF_more_data : 0,
                   NETIF_RSP_ERROR);
    rx_respond(NETFRONT_RX_SLOTS_PER_FRAME, NETFRONT_RX_SLOTS_PER_FRAME, 0, 0, 60);
    rxs->rsp_prod = NETFRONT_RX_SLOTS_PER_FRAME + 1;
    ck_assert_int_eq(rx_poll(&notify), 2);
    ck_assert(!q.broken);
    ck_assert_uint_eq(q.stats.rx_backend_errors, 1);
    ck_assert_uint_eq(delivered_count, 1);
    ck_assert(!netfront_rx_pending(&q));
}
END_TEST

/* A frame whose first slot sits at the producer index is waited for (netback may publish a
 * frame in two pushes) without keeping the poller busy, but only NETFRONT_RX_PARTIAL_WAIT_NS:
 * then the queue is broken by the partial-stall rule. */
START_TEST(rx_partial_frame_wait_is_bounded_and_quiet)
{
    bool notify;
    netfront_rx_refill(&q);
    rx_respond(0, 0, 0, NETRXF_more_data, 100);
    rxs->rsp_prod = 1;
    ck_assert(netfront_rx_pending(&q));              /* new: look at it */
    ck_assert_int_eq(rx_poll(&notify), 0);
    ck_assert(!q.broken);
    ck_assert(!netfront_rx_pending(&q));             /* seen: nothing to do until it moves */
    ck_assert_uint_eq(rxs->rsp_event, 2);
    ck_assert_uint_eq(netfront_rx_partial_deadline(&q), now_ns + NETFRONT_RX_PARTIAL_WAIT_NS);
    now_ns += NETFRONT_RX_PARTIAL_WAIT_NS - 1;
    ck_assert_int_eq(rx_poll(&notify), 0);           /* still within the wait */
    ck_assert(!q.broken);
    now_ns += 1;
    ck_assert_int_eq(rx_poll(&notify), -EPROTO);
    ck_assert_int_eq(q.break_reason, NETFRONT_broken_rx_partial_stall);
    ck_assert_uint_eq(q.stats.broken_rx_partial_stall, 1);
    ck_assert_uint_eq(netfront_rx_partial_deadline(&q), 0);
    ck_assert(!netfront_rx_pending(&q));

    /* a frame completed in time resets the clock for the next one */
    init_queue(&all);
    netfront_rx_refill(&q);
    rx_respond(0, 0, 0, NETRXF_more_data, 100);
    rxs->rsp_prod = 1;
    ck_assert_int_eq(rx_poll(&notify), 0);
    now_ns += NETFRONT_RX_PARTIAL_WAIT_NS / 2;
    rx_respond(1, 1, 0, 0, 50);
    rx_respond(2, 2, 0, NETRXF_more_data, 70);
    rxs->rsp_prod = 3;
    ck_assert(netfront_rx_pending(&q));
    ck_assert_int_eq(rx_poll(&notify), 1);
    ck_assert_uint_eq(netfront_rx_partial_deadline(&q), now_ns + NETFRONT_RX_PARTIAL_WAIT_NS);
    now_ns += NETFRONT_RX_PARTIAL_WAIT_NS / 2 + 1;
    ck_assert_int_eq(rx_poll(&notify), 0);
    ck_assert(!q.broken);
}
END_TEST

/* A producer index never moves back (io/ring.h: published responses stay published). A backend
 * that hides the start of a partial frame it already published must not leave the queue waiting
 * for a frame that can neither complete nor time out: the queue is broken at once. */
START_TEST(rx_producer_moving_back_breaks_the_queue)
{
    bool notify;
    netfront_rx_refill(&q);
    rx_respond(0, 0, 0, NETRXF_more_data, 100);
    rxs->rsp_prod = 1;
    ck_assert_int_eq(rx_poll(&notify), 0);            /* partial: waited for */
    ck_assert(!q.broken);
    rxs->rsp_prod = 0;                                 /* the backend takes it back */
    now_ns += NETFRONT_RX_PARTIAL_WAIT_NS;
    ck_assert_int_eq(rx_poll(&notify), -EPROTO);
    ck_assert_int_eq(q.break_reason, NETFRONT_broken_rx_producer);
    ck_assert_uint_eq(q.stats.broken_rx_producer, 1);
}
END_TEST

/* netback answers each extra-info request with one NETIF_RSP_NULL (io/netif.h); a NULL with no
 * extra outstanding is a response for a slot that is not in flight. */
START_TEST(tx_stray_null_response_breaks_the_queue)
{
    bool notify;
    send(64, 1, &notify);
    tx_respond(0, 0, NETIF_RSP_NULL);
    txs->rsp_prod = 1;
    ck_assert_int_eq(netfront_tx_reap(&q), -EPROTO);
    ck_assert_int_eq(q.break_reason, NETFRONT_broken_tx_stray_null);
    ck_assert_uint_eq(q.stats.broken_tx_stray_null, 1);
}
END_TEST

/* Each case: one bad response at index 0 (after a refill), and what the reason must say. */
static void expect_rx_refused_by(const char *reason, enum netfront_break rule)
{
    bool notify;
    ck_assert_int_eq(rx_poll(&notify), -EPROTO);
    ck_assert(q.broken);
    ck_assert_msg(strstr(q.why, reason), "reason '%s' lacks '%s'", q.why, reason);
    ck_assert_msg(rule == NETFRONT_BREAK_NONE || q.break_reason == rule, "rule %s, expected %s",
                  netfront_break_name(q.break_reason), netfront_break_name(rule));
    ck_assert(!netfront_rx_pending(&q));
    ck_assert_uint_eq(delivered_count, 0);
    ck_assert_int_eq(rx_poll(&notify), -EPROTO);
    ck_assert(!netfront_rx_refill(&q));
    init_queue(&all);
    netfront_rx_refill(&q);
}

#define expect_rx_refused(reason) expect_rx_refused_by(reason, NETFRONT_BREAK_NONE)

START_TEST(rx_bad_responses_break_the_queue)
{
    netfront_rx_refill(&q);
    rx_respond(0, 7, 0, 0, 60);                       /* id of another slot */
    rxs->rsp_prod = 1;
    expect_rx_refused_by("slot 0 was posted there", NETFRONT_broken_rx_bad_id);
    rx_respond(0, 0, 4000, 0, 200);                   /* past the page */
    rxs->rsp_prod = 1;
    expect_rx_refused_by("overrun the page", NETFRONT_broken_rx_bad_offset);
    rx_respond(0, 0, 0, 0, -9);                       /* unknown status */
    rxs->rsp_prod = 1;
    expect_rx_refused_by("status -9", NETFRONT_broken_rx_bad_status);
    rx_respond(0, 0, 0, NETRXF_gso_prefix, 60);
    rxs->rsp_prod = 1;
    expect_rx_refused_by("GSO prefix", NETFRONT_broken_rx_gso_prefix);
    rx_respond(0, 0, 0, 0, 60);
    rxs->rsp_prod = NETFRONT_RX_SLOTS + 1;            /* more answers than requests */
    expect_rx_refused_by("past our requests", NETFRONT_broken_rx_producer);
    rx_respond(0, 0, 0, NETRXF_extra_info, 60);
    struct netif_extra_info *x = (struct netif_extra_info *)&rxs->ring[1].rsp;
    memset(x, 0, sizeof(*x));
    x->type = XEN_NETIF_EXTRA_TYPE_MAX;
    rxs->rsp_prod = 2;
    expect_rx_refused_by("unknown type", NETFRONT_broken_rx_bad_extra);
    rx_respond(0, 0, 0, NETRXF_extra_info, 60);
    memset(x, 0, sizeof(*x));
    x->type = XEN_NETIF_EXTRA_TYPE_GSO;               /* GSO of size 0 */
    x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
    rxs->rsp_prod = 2;
    expect_rx_refused("GSO extra");
    rx_respond(0, 0, 0, NETRXF_more_data, 60);
    rx_respond(1, 1, 0, NETRXF_extra_info, 60);       /* extra info after the first slot */
    rxs->rsp_prod = 2;
    expect_rx_refused("after the first slot");
    for (unsigned i = 0; i < 40; i++)                 /* a frame that never ends */
        rx_respond(i, (uint16_t)i, 0, NETRXF_more_data, 1);
    rxs->rsp_prod = 40;
    expect_rx_refused_by("more than", NETFRONT_broken_rx_slot_overrun);
    for (unsigned i = 0; i < 17; i++)                 /* 17 full pages: longer than 64 KiB */
        rx_respond(i, (uint16_t)i, 0, i < 16 ? NETRXF_more_data : 0, 4096);
    rxs->rsp_prod = 17;
    expect_rx_refused_by("longer than", NETFRONT_broken_rx_too_long);
}
END_TEST

/* The GSO extra of a large receive must be one we asked for (netif.h: feature-gso-tcpv4 on rx
 * offers XEN_NETIF_GSO_TYPE_TCPV4 only), and a chain of extras linked by
 * XEN_NETIF_EXTRA_FLAG_MORE must end within one per defined type. */
START_TEST(rx_bad_gso_extras_break_the_queue)
{
    struct netif_extra_info *x = (struct netif_extra_info *)&rxs->ring[1].rsp;
    netfront_rx_refill(&q);
    rx_respond(0, 0, 0, NETRXF_extra_info | NETRXF_csum_blank, 60);
    memset(x, 0, sizeof(*x));
    x->type = XEN_NETIF_EXTRA_TYPE_GSO;
    x->u.gso.size = 1428;
    x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV6;
    rxs->rsp_prod = 2;
    expect_rx_refused_by("GSO extra of type", NETFRONT_broken_rx_bad_extra);
    rx_respond(0, 0, 0, NETRXF_extra_info, 60);
    for (unsigned i = 1; i <= NETFRONT_EXTRAS_PER_FRAME + 1; i++) {
        struct netif_extra_info *e = (struct netif_extra_info *)&rxs->ring[i].rsp;
        memset(e, 0, sizeof(*e));
        e->type = XEN_NETIF_EXTRA_TYPE_MCAST_ADD;
        e->flags = XEN_NETIF_EXTRA_FLAG_MORE;
    }
    rxs->rsp_prod = NETFRONT_EXTRAS_PER_FRAME + 2;
    expect_rx_refused_by("extra-info slots", NETFRONT_broken_rx_bad_extra);
}
END_TEST

/* The largest TSO frame TCP builds (an IPv4 datagram of 65535 bytes less the Ethernet header)
 * goes as 16 page-sized data slots and the GSO extra: within the XEN_NETIF_NR_SLOTS_MIN slots
 * netif.h says every backend accepts for one packet. */
START_TEST(tx_largest_tso_frame_fits_the_backend_slot_limit)
{
    bool notify;
    struct pbuf *p = frame(0xffff, 3);
    p->gso_size = 1448;
    p->flags |= PBUF_F_CSUM_PARTIAL;
    ck_assert_int_eq(netfront_tx_frame(&q, p, &notify), 0);
    pbuf_free(p);
    unsigned data_slots = q.stats.tx_slots;
    ck_assert_uint_eq(data_slots, 16);
    ck_assert_uint_le(data_slots, XEN_NETIF_NR_SLOTS_MIN);
    ck_assert_uint_eq(txs->req_prod, data_slots + 1);
    ck_assert_uint_eq(txs->ring[0].req.size, 0xffff);
    uint32_t sum = 0;
    for (unsigned i = 2; i < txs->req_prod; i++) {
        sum += txs->ring[i].req.size;
        ck_assert_uint_eq(!!(txs->ring[i].req.flags & NETTXF_more_data), i + 1 < txs->req_prod);
    }
    ck_assert_uint_eq(sum + NETFRONT_PAGE_SIZE, 0xffff);     /* the first slot holds a page */
    tx_answer_all();
    ck_assert_int_eq(netfront_tx_reap(&q), (int)data_slots);
}
END_TEST

static Suite *netfront_suite(void)
{
    Suite *s = suite_create("netfront");
    TCase *tx = tcase_create("tx");
    tcase_add_checked_fixture(tx, setup, teardown);
    tcase_add_test(tx, tx_frame_uses_a_pregranted_pool_page);
    tcase_add_test(tx, tx_pool_exhausts_and_refills);
    tcase_add_test(tx, tx_full_ring_holds_frames_and_sends_them_in_order);
    tcase_add_test(tx, tx_held_frames_are_freed_with_the_queue);
    tcase_add_test(tx, tx_notifications_follow_req_event);
    tcase_add_test(tx, tx_large_frame_spans_slots);
    tcase_add_test(tx, tx_tso_adds_a_gso_extra);
    tcase_add_test(tx, tx_backend_error_status_is_counted_not_fatal);
    tcase_add_test(tx, tx_bad_responses_break_the_queue);
    tcase_add_test(tx, tx_stray_null_response_breaks_the_queue);
    tcase_add_test(tx, tx_largest_tso_frame_fits_the_backend_slot_limit);
    suite_add_tcase(s, tx);
    TCase *rx = tcase_create("rx");
    tcase_add_checked_fixture(rx, setup, teardown);
    tcase_add_test(rx, rx_ring_is_kept_full);
    tcase_add_test(rx, rx_frame_is_copied_out_and_the_slot_reposted);
    tcase_add_test(rx, rx_checksum_mark_needs_the_feature);
    tcase_add_test(rx, rx_multi_slot_frame_with_gso_extra);
    tcase_add_test(rx, rx_partial_frame_waits_for_its_end);
    tcase_add_test(rx, rx_backend_errors_and_runts_are_dropped);
    tcase_add_test(rx, rx_without_buffers_drops_and_reposts);
    tcase_add_test(rx, rx_bad_responses_break_the_queue);
    tcase_add_test(rx, rx_bad_gso_extras_break_the_queue);
    tcase_add_test(rx, rx_error_chain_breaks_the_queue_instead_of_wedging);
    tcase_add_test(rx, rx_short_error_chain_is_dropped);
    tcase_add_test(rx, rx_partial_frame_wait_is_bounded_and_quiet);
    tcase_add_test(rx, rx_producer_moving_back_breaks_the_queue);
    suite_add_tcase(s, rx);
    return s;
}

TEST_MAIN(netfront_suite)
