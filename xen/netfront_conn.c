/*
 * xen/netfront_conn: a netfront queue's shared pages, the device's grant budget and its
 * reconnection backoff (netfront_conn.h). Pure: compiled into the kernel, the unit tests and the
 * fuzzers alike.
 */
#include "xen/netfront_conn.h"
#include "lib/errno.h"
#include "lib/string.h"

static void give_back(void **page, uint32_t ref, const struct netfront_page_ops *ops,
                      unsigned *quarantined)
{
    if (!*page)
        return;
    int rc = ops->end_free(ref, *page, ops->ctx);
    if (rc == -EBUSY)
        (*quarantined)++;
    else if (rc != 0)
        ops->free(*page, ops->ctx);   /* not granted (any more): ours to free */
    *page = NULL;   /* freed, or the quarantine's: never touched again */
}

unsigned netfront_queue_pages_release(struct netfront_queue_pages *p,
                                      const struct netfront_page_ops *ops)
{
    unsigned quarantined = 0;
    give_back(&p->tx_sring, p->tx_ring_ref, ops, &quarantined);
    give_back(&p->rx_sring, p->rx_ring_ref, ops, &quarantined);
    for (unsigned i = 0; i < NETFRONT_TX_SLOTS; i++)
        give_back((void **)&p->tx_pages[i], p->tx_grefs[i], ops, &quarantined);
    for (unsigned i = 0; i < NETFRONT_RX_SLOTS; i++)
        give_back((void **)&p->rx_pages[i], p->rx_grefs[i], ops, &quarantined);
    memset(p, 0, sizeof(*p));
    return quarantined;
}

int netfront_queue_pages_grant(struct netfront_queue_pages *p, const struct netfront_page_ops *ops)
{
    memset(p, 0, sizeof(*p));
    /* Rings and rx pages are written by the backend; the tx pool only read. */
    if (!(p->tx_sring = ops->grant(false, &p->tx_ring_ref, ops->ctx)) ||
        !(p->rx_sring = ops->grant(false, &p->rx_ring_ref, ops->ctx)))
        goto fail;
    for (unsigned i = 0; i < NETFRONT_TX_SLOTS; i++)
        if (!(p->tx_pages[i] = ops->grant(true, &p->tx_grefs[i], ops->ctx)))
            goto fail;
    for (unsigned i = 0; i < NETFRONT_RX_SLOTS; i++)
        if (!(p->rx_pages[i] = ops->grant(false, &p->rx_grefs[i], ops->ctx)))
            goto fail;
    return 0;
fail:
    netfront_queue_pages_release(p, ops);
    return -ENOMEM;
}

bool netfront_grants_allow(uint32_t quarantined, unsigned queues)
{
    return (uint64_t)quarantined + (uint64_t)queues * NETFRONT_GRANTS_PER_QUEUE <=
           NETFRONT_GRANT_CAP;
}

enum netfront_reconnect_verdict netfront_reconnect_decide(struct netfront_reconnect *r,
                                                          uint64_t now_ns, uint32_t quarantined,
                                                          unsigned queues, uint64_t *not_before)
{
    if (r->attempts > NETFRONT_RECONNECT_LIMIT)
        return NETFRONT_RECONNECT_GIVE_UP;
    if (now_ns < r->not_before) {
        *not_before = r->not_before;
        return NETFRONT_RECONNECT_WAIT;
    }
    if (!netfront_grants_allow(quarantined, queues))
        return NETFRONT_RECONNECT_OVER_CAP;
    return NETFRONT_RECONNECT_NOW;
}

void netfront_reconnect_up(struct netfront_reconnect *r, uint64_t now_ns)
{
    r->up_since = now_ns;
}

void netfront_reconnect_down(struct netfront_reconnect *r, uint64_t now_ns)
{
    /* A connection that stayed up long enough was not part of a cycle: start counting again. */
    if (r->up_since && now_ns - r->up_since >= NETFRONT_RECONNECT_STABLE_NS)
        r->attempts = 0;
    r->up_since = 0;
    r->attempts++;
    uint64_t wait = NETFRONT_RECONNECT_FIRST_NS;
    for (unsigned i = 1; i < r->attempts && wait < NETFRONT_RECONNECT_MAX_NS; i++)
        wait *= 2;
    if (wait > NETFRONT_RECONNECT_MAX_NS)
        wait = NETFRONT_RECONNECT_MAX_NS;
    r->not_before = now_ns + wait;
}
