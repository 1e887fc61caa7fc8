/*
 * xen/netfront_ring_tx: the transmit rules of one netfront queue's ring (see netfront_ring.h):
 * frames copied into the granted pool pages, the holding queue, completions. Pure memory
 * operations, as netfront_ring.c.
 */
#include "xen/netfront_ring.h"
#include "xen/netfront_ring_private.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/pbuf.h"

unsigned netfront_tx_in_flight(const struct netfront_queue *q)
{
    return NETFRONT_TX_SLOTS - q->tx_free_count;
}

/* Whether the queue can carry frame p at all; its data slots into *slots. */
static int tx_check(const struct netfront_queue *q, const struct pbuf *p, unsigned *slots)
{
    uint32_t len = p->tot_len;
    /* Without netfront_offload a frame is one slot (a constant the sending loop folds). */
    *slots = netfront_offload() ? (len + NETFRONT_PAGE_SIZE - 1) / NETFRONT_PAGE_SIZE : 1;
    if (q->broken)
        return -EPIPE;
    if (len == 0 || (p->gso_size && (!netfront_offload() || !q->features.tx_gso)) ||
        ((p->flags & PBUF_F_CSUM_PARTIAL) && !q->features.tx_csum))
        return -EINVAL;
    if (!netfront_offload())
        return len > NETFRONT_PAGE_SIZE ? -EMSGSIZE : 0;
    if (len > NETFRONT_TX_FRAME_MAX || (*slots > 1 && !q->features.tx_sg))
        return -EMSGSIZE;
    return 0;
}

int netfront_tx_frame(struct netfront_queue *q, const struct pbuf *p, bool *notify)
{
    *notify = false;
    unsigned slots;
    int rc = tx_check(q, p, &slots);
    if (rc)
        return rc;
    uint32_t len = p->tot_len;
    bool gso = netfront_offload() && p->gso_size != 0;
    uint16_t csum_flags = p->flags & PBUF_F_CSUM_PARTIAL ?
                          NETTXF_csum_blank | NETTXF_data_validated : 0;
    unsigned extras = gso ? 1 : 0;
    RING_IDX prod = q->tx.req_prod_pvt;
    unsigned ring_free = RING_SIZE(&q->tx) - (prod - q->tx.rsp_cons);
    if (slots + extras > ring_free || slots > q->tx_free_count)
        return -ENOBUFS;
    uint32_t off = 0;
    for (unsigned s = 0; s < slots; s++) {
        uint16_t id = q->tx_free[--q->tx_free_count];
        q->tx_busy[id] = true;
        uint32_t chunk = len - off < NETFRONT_PAGE_SIZE ? len - off : NETFRONT_PAGE_SIZE;
        pbuf_copy_out(p, off, q->tx_page[id], chunk);
        netif_tx_request_t *req = RING_GET_REQUEST(&q->tx, prod++);
        req->gref = q->tx_gref[id];
        req->offset = 0;
        req->id = id;
        /* The first slot announces the whole frame; the others say what they hold. */
        req->size = (uint16_t)(s == 0 ? len : chunk);
        req->flags = (uint16_t)((s == 0 ? csum_flags : 0) | (s + 1 < slots ? NETTXF_more_data : 0));
        if (s == 0 && gso) {
            req->flags |= NETTXF_extra_info;
            q->tx_extras_in_flight++;
            struct netif_extra_info *x = (struct netif_extra_info *)RING_GET_REQUEST(&q->tx, prod++);
            memset(x, 0, sizeof(*x));
            x->type = XEN_NETIF_EXTRA_TYPE_GSO;
            x->u.gso.size = p->gso_size;
            x->u.gso.type = XEN_NETIF_GSO_TYPE_TCPV4;
        }
        off += chunk;
    }
    q->tx.req_prod_pvt = prod;
    q->stats.tx_frames++;
    q->stats.tx_slots += slots;
    if (gso)
        q->stats.tx_gso++;
    if (csum_flags)
        q->stats.tx_csum_blank++;
    int kick;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->tx, kick);
    if (kick) {
        q->stats.tx_notify++;
        *notify = true;
    }
    return 0;
}

int netfront_tx_reap(struct netfront_queue *q)
{
    if (q->broken)
        return -EPROTO;
    int done = 0;
    int more;
    do {
        RING_IDX cons = q->tx.rsp_cons, prod = cons;
        if (netfront_response_window(q, false, cons, q->tx.req_prod_pvt, &q->tx.sring->rsp_prod,
                                     &prod) < 0)
            return -EPROTO;
        for (; cons != prod; cons++) {
            const volatile netif_tx_response_t *v = RING_GET_RESPONSE(&q->tx, cons);
            uint16_t id = v->id;
            int16_t status = v->status;
            if (status == NETIF_RSP_NULL) {
                /* The answer to an extra-info slot (netif.h: netback answers each extra with
                 * NETIF_RSP_NULL): only as many as we sent extras. */
                if (q->tx_extras_in_flight == 0) {
                    q->tx.rsp_cons = cons;
                    return netfront_refuse(q, NETFRONT_broken_tx_stray_null,
                                           "tx %u: NULL, no extra outstanding",
                                           cons);
                }
                q->tx_extras_in_flight--;
                continue;
            }
            if (id >= NETFRONT_TX_SLOTS || !q->tx_busy[id]) {
                q->tx.rsp_cons = cons;
                return netfront_refuse(q, NETFRONT_broken_tx_not_in_flight,
                                       "tx %u: id %u not in flight", cons, id);
            }
            if (status != NETIF_RSP_OKAY) {
                if (status != NETIF_RSP_ERROR && status != NETIF_RSP_DROPPED) {
                    q->tx.rsp_cons = cons;
                    return netfront_refuse(q, NETFRONT_broken_tx_bad_status,
                                           "tx %u: id %u status %d", cons, id, status);
                }
                q->stats.tx_backend_errors++;
            }
            q->tx_busy[id] = false;
            q->tx_free[q->tx_free_count++] = id;
            q->stats.tx_completed++;
            done++;
        }
        q->tx.rsp_cons = cons;
        /* Completions are not urgent (the pool is large and transmit reaps when it runs dry):
         * ask for an event only once half the ring has been answered since. */
        q->tx.sring->rsp_event = cons + NETFRONT_TX_EVENT_BATCH;
        xen_mb();
        more = (RING_IDX)(q->tx.sring->rsp_prod - cons) >= NETFRONT_TX_EVENT_BATCH;
    } while (more);
    return done;
}

/* Puts held frames on the ring, oldest first, while they fit. */
static void tx_drain(struct netfront_queue *q, bool *notify)
{
    while (q->tx_held_count && !q->broken) {
        struct pbuf *p = q->tx_held[q->tx_held_first];
        bool kick;
        if (netfront_tx_frame(q, p, &kick) == -ENOBUFS)
            return;
        *notify |= kick;   /* checked when held: it went on the ring */
        pbuf_free(p);
        q->tx_held_first = (q->tx_held_first + 1) % NETFRONT_TX_HOLD;
        q->tx_held_count--;
    }
}

int netfront_tx_progress(struct netfront_queue *q, bool *notify)
{
    *notify = false;
    for (;;) {
        if (netfront_tx_reap(q) < 0)
            return -EPROTO;
        tx_drain(q, notify);
        if (!q->tx_held_count)
            return 0;
        /* Frames still wait: the backend signals its very next response (io/ring.h: it
         * notifies when rsp_prod passes rsp_event), and a response that came before we asked
         * is taken now rather than waited for. */
        q->tx.sring->rsp_event = q->tx.rsp_cons + 1;
        xen_mb();
        if (q->tx.sring->rsp_prod == q->tx.rsp_cons)
            return 0;
    }
}

int netfront_tx_send(struct netfront_queue *q, struct pbuf *p, bool *notify)
{
    *notify = false;
    unsigned slots;
    int rc;
    if (q->tx_held_count)   /* no frame passes one that waits */
        rc = tx_check(q, p, &slots) ?: -ENOBUFS;
    else
        rc = netfront_tx_frame(q, p, notify);
    if (rc != -ENOBUFS) {
        pbuf_free(p);
        return rc;
    }
    bool kick;
    if (q->tx_held_count == NETFRONT_TX_HOLD) {
        rc = netfront_tx_progress(q, &kick);   /* responses may have made room */
        *notify |= kick;
        if (rc == 0 && q->tx_held_count == NETFRONT_TX_HOLD) {
            q->stats.tx_hold_dropped++;
            rc = -ENOBUFS;
        }
        if (rc) {
            pbuf_free(p);
            return rc;
        }
    }
    q->tx_held[(q->tx_held_first + q->tx_held_count++) % NETFRONT_TX_HOLD] = p;
    q->stats.tx_held++;
    /* Completions are taken lazily, only now that the ring or the pool ran dry. */
    rc = netfront_tx_progress(q, &kick);
    *notify |= kick;
    return rc;
}

unsigned netfront_tx_hold_flush(struct netfront_queue *q)
{
    unsigned n = q->tx_held_count;
    for (; q->tx_held_count; q->tx_held_count--) {
        pbuf_free(q->tx_held[q->tx_held_first]);
        q->tx_held_first = (q->tx_held_first + 1) % NETFRONT_TX_HOLD;
    }
    return n;
}
