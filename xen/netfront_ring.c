/*
 * xen/netfront_ring: the rules of one netfront queue's rings (see netfront_ring.h): set-up, the
 * bad-response rules and receive; transmit is netfront_ring_tx.c. Pure memory operations:
 * compiled into the kernel, the unit tests and the fuzzers alike.
 */
#include "xen/netfront_ring.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/pbuf.h"
#include "net/wire/features.h"
#include "xen/netfront_ring_private.h"
#include "xen/optional.h"

#include <stdarg.h>

const char *netfront_break_name(enum netfront_break reason)
{
    switch (reason) {
    case NETFRONT_BREAK_NONE:
        return "none";
#define NETFRONT_BREAK_CASE(name) case NETFRONT_##name: return &#name[sizeof("broken_") - 1];
    NETFRONT_BREAK_REASONS(NETFRONT_BREAK_CASE)
#undef NETFRONT_BREAK_CASE
    }
    return "?";
}

/* The counter of a rule: the broken_<rule> fields follow one another in the rules' order, and a
 * counter struct is an array of uint64_t (lib/counters.h). */
#define BREAK_COUNTER_AT(rule) (offsetof(struct netfront_queue_stats, rule) / sizeof(uint64_t))
_Static_assert(BREAK_COUNTER_AT(broken_tx_stray_null) - BREAK_COUNTER_AT(broken_rx_producer) ==
               NETFRONT_broken_tx_stray_null - NETFRONT_broken_rx_producer,
               "the broken_<rule> counters are in the rules' order");

static uint64_t *break_counter(struct netfront_queue_stats *s, enum netfront_break reason)
{
    return &((uint64_t *)s)[BREAK_COUNTER_AT(broken_rx_producer) +
                            (unsigned)(reason - NETFRONT_broken_rx_producer)];
}

int netfront_refuse(struct netfront_queue *q, enum netfront_break reason, const char *fmt, ...)
{
    if (!q->broken) {
        va_list ap;
        va_start(ap, fmt);
        kvsnprintf(q->why, sizeof(q->why), fmt, ap);
        va_end(ap);
        q->broken = true;
        q->break_reason = reason;
        q->stats.bad_responses++;
        (*break_counter(&q->stats, reason))++;
    }
    return -EPROTO;
}

void netfront_queue_init(struct netfront_queue *q, unsigned index, netif_tx_sring_t *tx_sring,
                         netif_rx_sring_t *rx_sring, uint8_t *const tx_pages[],
                         const uint32_t tx_grefs[], uint8_t *const rx_pages[],
                         const uint32_t rx_grefs[], const struct netfront_queue_features *f)
{
    memset(q, 0, sizeof(*q));
    q->index = index;
    q->features = *f;
    SHARED_RING_INIT(tx_sring);
    FRONT_RING_INIT(&q->tx, tx_sring, NETFRONT_PAGE_SIZE);
    SHARED_RING_INIT(rx_sring);
    FRONT_RING_INIT(&q->rx, rx_sring, NETFRONT_PAGE_SIZE);
    for (unsigned i = 0; i < NETFRONT_TX_SLOTS; i++) {
        q->tx_page[i] = tx_pages[i];
        q->tx_gref[i] = tx_grefs[i];
        /* Lowest ids on top of the stack: easier to read in traces. */
        q->tx_free[i] = (uint16_t)(NETFRONT_TX_SLOTS - 1 - i);
    }
    q->tx_free_count = NETFRONT_TX_SLOTS;
    for (unsigned i = 0; i < NETFRONT_RX_SLOTS; i++) {
        q->rx_page[i] = rx_pages[i];
        q->rx_gref[i] = rx_grefs[i];
    }
}

int netfront_response_window(struct netfront_queue *q, bool rx, RING_IDX cons,
                             RING_IDX req_prod, volatile RING_IDX *rsp_prod, RING_IDX *out)
{
    RING_IDX prod = *rsp_prod;
    xen_rmb();   /* responses are read after the producer index that published them */
    if ((RING_IDX)(prod - cons) > (RING_IDX)(req_prod - cons))
        return netfront_refuse(q, rx ? NETFRONT_broken_rx_producer : NETFRONT_broken_tx_producer,
                               "%s: producer %u past our requests (%u from %u)",
                               rx ? "rx" : "tx", prod, req_prod - cons, cons);
    *out = prod;
    return 0;
}

/* ---- receive ---- */

bool netfront_rx_refill(struct netfront_queue *q)
{
    if (q->broken)
        return false;
    RING_IDX prod = q->rx.req_prod_pvt;
    RING_IDX limit = q->rx.rsp_cons + RING_SIZE(&q->rx);
    if (prod == limit)
        return false;
    for (; prod != limit; prod++) {
        unsigned slot = prod & (NETFRONT_RX_SLOTS - 1);
        netif_rx_request_t *req = RING_GET_REQUEST(&q->rx, prod);
        req->id = (uint16_t)slot;
        req->gref = q->rx_gref[slot];
    }
    q->rx.req_prod_pvt = prod;
    int kick;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->rx, kick);
    if (kick)
        q->stats.rx_notify++;
    return kick != 0;
}

bool netfront_rx_pending(struct netfront_queue *q)
{
    if (q->broken)
        return false;
    /* Responses a poll already looked at (a partial frame) are not work: only new ones are. */
    RING_IDX seen = q->rx_examined;
    if (q->rx.sring->rsp_prod != seen)
        return true;
    q->rx.sring->rsp_event = seen + 1;
    xen_mb();   /* the event request must be visible before we look at the producer again */
    return q->rx.sring->rsp_prod != seen;
}

uint64_t netfront_rx_partial_deadline(const struct netfront_queue *q)
{
    if (q->broken || !q->rx_partial)
        return 0;
    return q->rx_partial_since + NETFRONT_RX_PARTIAL_WAIT_NS;
}

/* A data slot of a frame, with the page and grant it was posted with. */
struct rx_slot {
    uint8_t *page;
    uint32_t gref;
    uint16_t slot, offset, len;
};

/* One frame as the responses from `cons` describe it, checked but not yet consumed. */
struct rx_frame {
    struct rx_slot data[NETFRONT_RX_SLOTS_PER_FRAME];
    unsigned data_count;
    RING_IDX end;            /* first response after the frame */
    uint32_t total;
    uint16_t flags;          /* of the first response */
    uint16_t gso_size;
    bool backend_error;
};

/* 1: a whole frame was parsed into f; 0: its last responses have not arrived yet; -EPROTO.
 * Out of line, as hand_up: inlined into netfront_rx_poll the two make the image larger. */
static __attribute__((noinline)) int parse_frame(struct netfront_queue *q, RING_IDX cons,
                                                  RING_IDX prod, struct rx_frame *f)
{
    memset(f, 0, sizeof(*f));
    const RING_IDX start = cons;
    bool first = true, more = true;
    unsigned slots = 0;
    while (more) {
        if (cons == prod)
            return 0;
        const volatile netif_rx_response_t *v = RING_GET_RESPONSE(&q->rx, cons);
        netif_rx_response_t r = { .id = v->id, .offset = v->offset, .flags = v->flags,
                                  .status = v->status };
        unsigned slot = cons & (NETFRONT_RX_SLOTS - 1);
        if (r.id != slot)
            return netfront_refuse(q, NETFRONT_broken_rx_bad_id,
                                   "rx %u: id %u, slot %u was posted there", cons, r.id,
                                   slot);
        if (r.flags & NETRXF_gso_prefix)
            return netfront_refuse(q, NETFRONT_broken_rx_gso_prefix,
                                   "rx %u: GSO prefix never asked for", cons);
        if (!first && (r.flags & NETRXF_extra_info))
            return netfront_refuse(q, NETFRONT_broken_rx_bad_extra,
                                   "rx %u: extra info after the first slot", cons);
        if (r.status < NETIF_RSP_DROPPED)
            return netfront_refuse(q, NETFRONT_broken_rx_bad_status, "rx %u: status %d",
                                   cons, r.status);
        /* Without netfront_offload we never offered feature-sg or feature-gso-tcpv4 (nor asked
         * for any other extra): a frame is one slot, with no extra info (xen/io/netif.h). */
        if (!netfront_offload() && (r.flags & NETRXF_more_data))
            return netfront_refuse(q, NETFRONT_broken_rx_slot_overrun,
                                   "rx %u: more data without feature-sg", cons);
        if (!netfront_offload() && (r.flags & NETRXF_extra_info))
            return netfront_refuse(q, NETFRONT_broken_rx_bad_extra,
                                   "rx %u: extra info without feature-gso-tcpv4", cons);
        /* Every slot counts, error slots too: a chain of errors linked by NETRXF_more_data is
         * one frame, and without the bound it could fill the ring and never end. */
        if (++slots > NETFRONT_RX_SLOTS_PER_FRAME) {
            if (f->backend_error || r.status < 0)
                return netfront_refuse(q, NETFRONT_broken_rx_error_chain,
                                       "rx %u: error frame of more than %u slots",
                                       start, NETFRONT_RX_SLOTS_PER_FRAME);
            return netfront_refuse(q, NETFRONT_broken_rx_slot_overrun,
                                   "rx %u: frame of more than %u slots", start,
                                   NETFRONT_RX_SLOTS_PER_FRAME);
        }
        if (r.status < 0) {
            f->backend_error = true;
        } else {
            if ((uint32_t)r.offset + (uint32_t)r.status > NETFRONT_PAGE_SIZE)
                return netfront_refuse(q, NETFRONT_broken_rx_bad_offset,
                                       "rx %u: %d bytes at %u overrun the page", cons,
                                       r.status, r.offset);
            f->data[f->data_count++] = (struct rx_slot){ q->rx_page[slot], q->rx_gref[slot],
                                                          (uint16_t)slot, r.offset,
                                                          (uint16_t)r.status };
            f->total += (uint32_t)r.status;
            if (f->total > NETFRONT_RX_FRAME_MAX)
                return netfront_refuse(q, NETFRONT_broken_rx_too_long,
                                       "rx %u: frame longer than %u bytes", start,
                                       NETFRONT_RX_FRAME_MAX);
        }
        more = netfront_offload() && (r.flags & NETRXF_more_data) != 0;
        cons++;
        if (first) {
            f->flags = r.flags;
            first = false;
            /* Extra-info slots follow the first data slot, each naming the next. */
            bool extra_more = netfront_offload() && (r.flags & NETRXF_extra_info) != 0;
            unsigned extras = 0;
            while (extra_more) {
                if (cons == prod)
                    return 0;
                if (++extras > NETFRONT_EXTRAS_PER_FRAME)
                    return netfront_refuse(q, NETFRONT_broken_rx_bad_extra,
                                           "rx: more than %u extra-info slots",
                                           NETFRONT_EXTRAS_PER_FRAME);
                const volatile struct netif_extra_info *xv =
                    (const volatile struct netif_extra_info *)RING_GET_RESPONSE(&q->rx, cons);
                uint8_t type = xv->type, xflags = xv->flags;
                if (type == XEN_NETIF_EXTRA_TYPE_NONE || type >= XEN_NETIF_EXTRA_TYPE_MAX)
                    return netfront_refuse(q, NETFRONT_broken_rx_bad_extra,
                                           "rx %u: extra of unknown type %u", cons, type);
                if (type == XEN_NETIF_EXTRA_TYPE_GSO) {
                    uint16_t size = xv->u.gso.size;
                    uint8_t gso_type = xv->u.gso.type;
                    if (size == 0 || gso_type != XEN_NETIF_GSO_TYPE_TCPV4)
                        return netfront_refuse(q, NETFRONT_broken_rx_bad_extra,
                                               "rx %u: GSO extra of type %u size %u", cons,
                                               gso_type, size);
                    f->gso_size = size;
                }
                extra_more = (xflags & XEN_NETIF_EXTRA_FLAG_MORE) != 0;
                cons++;
            }
        }
    }
    f->end = cons;
    return 1;
}

/* The frame copied out of its slots' pages into a packet from pool (NULL: none left). */
static struct pbuf *copy_frame(struct netfront_queue *q, struct pbuf_pool *pool,
                               const struct rx_frame *f)
{
    struct pbuf *p = pbuf_alloc(pool, f->total);
    if (!p)
        return NULL;
    uint32_t off = 0;
    for (unsigned i = 0; i < f->data_count; i++) {
        const struct rx_slot *s = &f->data[i];
        pbuf_copy_in(p, off, s->page + s->offset, s->len);
        off += s->len;
    }
    q->stats.rx_copied++;
    if (f->data_count > 1)
        q->stats.rx_multi_copied++;
    return p;
}

/* The frame's pages, their grants ended, lent to the stack as one packet: a chain in slot order
 * (a slot without bytes adds no segment). NULL when no packet descriptor is left: every page is
 * back in the device's pool then (lend takes back the page it could not lend). */
static struct pbuf *lend_pages(const struct netfront_rx_handoff *h, struct pbuf_pool *pool,
                               const struct rx_frame *f, unsigned n)
{
    struct pbuf *head = NULL;
    bool failed = false;
    for (unsigned i = 0; i < n; i++) {
        const struct rx_slot *s = &f->data[i];
        if (!s->len || failed) {
            h->retire(h->ctx, s->page, s->gref, true);
            continue;
        }
        struct pbuf *seg = h->lend(h->ctx, pool, s->page, s->offset, s->len);
        if (!seg)
            failed = true;
        else if (head)
            pbuf_cat(head, seg);
        else
            head = seg;
    }
    if (!failed)
        return head;
    pbuf_free(head);              /* the pages lent go back through their release */
    return NULL;
}

/* A frame handed up in its own pages (see the top of netfront_ring.h), or copied when some slot
 * has no fresh page or some old page's grant will not end. */
static __attribute__((noinline)) struct pbuf *hand_up(struct netfront_queue *q,
                                                      struct pbuf_pool *pool,
                                                      const struct rx_frame *f)
{
    const struct netfront_rx_handoff *h = q->rx_handoff;
    /* An image without receive by reference copies every frame (net/wire/features.h). */
    if (!net_feature(NET_FEATURE_RX_BY_REFERENCE) || !h)
        return copy_frame(q, pool, f);
    /* Without netfront_offload every frame is one slot (parse_frame). */
    const unsigned n = netfront_offload() ? f->data_count : 1;
    /* Every slot gets its fresh page first (f keeps the old pages and grants); at the pool's
     * bound, the slot without one and those after it keep their pages, still granted. */
    unsigned replaced = 0, ended = 0;
    for (; replaced < n; replaced++) {
        const struct rx_slot *s = &f->data[replaced];
        uint32_t fresh_gref;
        uint8_t *fresh = h->replace_page(h->ctx, s->slot, &fresh_gref);
        if (!fresh)
            break;
        q->rx_page[s->slot] = fresh;
        q->rx_gref[s->slot] = fresh_gref;
    }
    /* Every grant ends before the stack sees any page: the backend must never write a page the
     * stack reads (xen/grants.h, the grant-lifetime rule). */
    if (replaced == n)
        while (ended < n && h->end_grant(h->ctx, f->data[ended].gref) == 0)
            ended++;
    if (ended == n) {
        struct pbuf *p = lend_pages(h, pool, f, n);
        if (p) {
            q->stats.rx_handed_up++;
            if (n > 1)
                q->stats.rx_multi_handed_up++;
        }
        return p;
    }
    if (replaced < n)
        q->stats.rx_copy_no_page++;
    else
        q->stats.rx_copy_end_busy++;
    struct pbuf *p = copy_frame(q, pool, f);
    /* The replaced slots' old pages are not needed once copied: back to the pool when their
     * grant ends, else to the quarantine. Every page from the first busy one on is tried, so
     * each page the backend still maps after answering it is counted. */
    unsigned held = 0;
    for (unsigned i = 0; i < replaced; i++) {
        bool end_ok = i < ended || (i > ended && h->end_grant(h->ctx, f->data[i].gref) == 0);
        if (!end_ok)
            held++;
        h->retire(h->ctx, f->data[i].page, f->data[i].gref, end_ok);
    }
    q->stats.rx_held_pages += held;
    /* Each held page is a grant over the cap while the queue stays connected: past
     * NETFRONT_RX_HELD_PAGES_MAX the backend is treated as broken (those pages stay in the
     * quarantine, counted against the cap at the next connection). */
    if (held && q->stats.rx_held_pages > NETFRONT_RX_HELD_PAGES_MAX)
        netfront_refuse(q, NETFRONT_broken_rx_held_pages,
                        "rx: backend still maps %llu pages it answered (at most %u)",
                        (unsigned long long)q->stats.rx_held_pages, NETFRONT_RX_HELD_PAGES_MAX);
    return p;
}

static void take_frame(struct netfront_queue *q, struct pbuf_pool *pool, const struct rx_frame *f,
                       void (*deliver)(void *ctx, struct pbuf *p), void *ctx)
{
    if (f->backend_error) {
        q->stats.rx_backend_errors++;
        return;
    }
    if (f->total < 14) {
        q->stats.rx_runts++;
        return;
    }
    struct pbuf *p = hand_up(q, pool, f);
    if (!p) {
        q->stats.rx_no_buffer++;
        return;
    }
    if (q->features.rx_csum && (f->flags & (NETRXF_data_validated | NETRXF_csum_blank))) {
        p->flags |= PBUF_F_CSUM_VERIFIED;
        q->stats.rx_csum_valid++;
    }
    if (f->gso_size) {
        /* A large receive: one frame of several segments, taken as one chain
         * (platform/netdev.h, NETDEV_CAP_TSO). */
        p->gso_size = f->gso_size;
        q->stats.rx_gso++;
    }
    q->stats.rx_frames++;
    q->stats.rx_slots += f->data_count;
    deliver(ctx, p);
}

/* A partial frame at cons: starts its clock the first time, breaks the queue once it has waited
 * NETFRONT_RX_PARTIAL_WAIT_NS. */
static int partial_frame(struct netfront_queue *q, RING_IDX cons, uint64_t now_ns)
{
    if (!q->rx_partial || q->rx_partial_cons != cons) {
        q->rx_partial = true;
        q->rx_partial_cons = cons;
        q->rx_partial_since = now_ns;
        return 0;
    }
    if (now_ns - q->rx_partial_since >= NETFRONT_RX_PARTIAL_WAIT_NS)
        return netfront_refuse(q, NETFRONT_broken_rx_partial_stall,
                               "rx %u: frame incomplete after %llu ms", cons,
                               (unsigned long long)((now_ns - q->rx_partial_since) /
                                                    1000000u));
    return 0;
}

int netfront_rx_poll(struct netfront_queue *q, struct pbuf_pool *pool, unsigned budget,
                     void (*deliver)(void *ctx, struct pbuf *p), void *ctx, uint64_t now_ns,
                     bool *notify)
{
    *notify = false;
    if (q->broken)
        return -EPROTO;
    int taken = 0;
    for (;;) {
        RING_IDX cons = q->rx.rsp_cons, prod = cons;
        if (netfront_response_window(q, true, cons, q->rx.req_prod_pvt, &q->rx.sring->rsp_prod,
                                     &prod) < 0)
            return -EPROTO;
        /* A producer never moves back (ring.h: responses once published stay published). One
         * that hides responses we already looked at would leave a partial frame that never
         * completes and never times out. */
        if ((RING_IDX)(prod - cons) < (RING_IDX)(q->rx_examined - cons) &&
            (RING_IDX)(q->rx_examined - cons) <= NETFRONT_RX_SLOTS)
            return netfront_refuse(q, NETFRONT_broken_rx_producer,
                                   "rx: producer moved back from %u to %u", q->rx_examined, prod);
        bool partial = false;
        while (cons != prod && (unsigned)taken < budget) {
            struct rx_frame f;
            int rc = parse_frame(q, cons, prod, &f);
            if (rc < 0)
                return rc;
            if (rc == 0) {
                partial = true;   /* the rest of the frame is still to come */
                break;
            }
            cons = f.end;
            q->rx.rsp_cons = cons;
            q->rx_partial = false;
            take_frame(q, pool, &f, deliver, ctx);
            taken++;
            if (q->broken)        /* the backend keeps the pages it answered (hand_up) */
                return -EPROTO;
        }
        if (netfront_rx_refill(q))
            *notify = true;
        if ((unsigned)taken >= budget) {
            q->rx_examined = q->rx.rsp_cons;   /* more may wait: the caller polls again */
            return taken;
        }
        if (partial) {
            if (partial_frame(q, cons, now_ns) < 0)
                return -EPROTO;
        } else {
            q->rx_partial = false;
        }
        /* Everything up to prod was looked at; ask for an event when the producer moves past
         * it, and look once more in case it already did. */
        q->rx_examined = prod;
        q->rx.sring->rsp_event = prod + 1;
        xen_mb();
        if (q->rx.sring->rsp_prod == prod)
            return taken;
    }
}
