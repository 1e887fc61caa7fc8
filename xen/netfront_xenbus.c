/*
 * xen/netfront_xenbus: a netfront's connection to netback: queue set-up (pages granted once),
 * the xenstore handshake and feature negotiation, the close handshake, and the watcher fiber
 * that follows the backend's state (reconnecting when a closed backend offers InitWait again).
 */
#include "xen/netfront_private.h"
#include "xen/grants.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/platform.h"

#define CONNECT_TIMEOUT_NS (10ull * 1000000000ull)
#define CLOSE_TIMEOUT_NS (5ull * 1000000000ull)
#define WATCH_POLL_NS (250ull * 1000000ull)
#define NO_REF (-1L)
#define RECONNECT_ATTEMPTS 3u

static uint64_t after(uint64_t ns)
{
    return platform_monotonic_ns() + ns;
}

/* ---- pages and grants ---- */

/* A fresh zeroed page granted to the backend; NULL when out of pages or grants. */
static void *grant_page(struct netfront *nf, bool readonly, long *ref)
{
    void *page = page_alloc(0);
    if (!page)
        return NULL;
    memset(page, 0, NETFRONT_PAGE_SIZE);
    *ref = xen_grant_access(nf->xb.backend_id, page, readonly);
    if (*ref < 0) {
        page_free(page, 0);
        return NULL;
    }
    return page;
}

/* Ends the grant and frees the page; a page the backend still maps is kept for ever (counted),
 * because freeing it would hand the backend memory we reuse. */
static void release_page(struct netfront *nf, void *page, long ref)
{
    if (!page)
        return;
    if (ref >= 0 && xen_grant_end((uint32_t)ref) < 0) {
        nf->stats.grants_stuck++;
        return;
    }
    page_free(page, 0);
}

static void queue_free(struct netfront *nf, struct netfront_q *q)
{
    if (!q)
        return;
    xen_event_close(&q->ev_tx);
    xen_event_close(&q->ev_rx);
    release_page(nf, q->tx_sring, q->tx_ring_ref);
    release_page(nf, q->rx_sring, q->rx_ring_ref);
    for (unsigned i = 0; i < NETFRONT_TX_SLOTS; i++)
        release_page(nf, q->tx_pages[i], q->tx_pages[i] ? (long)q->tx_grefs[i] : NO_REF);
    for (unsigned i = 0; i < NETFRONT_RX_SLOTS; i++)
        release_page(nf, q->rx_pages[i], q->rx_pages[i] ? (long)q->rx_grefs[i] : NO_REF);
    kfree(q);
}

static struct netfront_q *queue_create(struct netfront *nf, unsigned index)
{
    struct netfront_q *q = kcalloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->nf = nf;
    q->tx_ring_ref = q->rx_ring_ref = NO_REF;
    xen_event_init(&q->ev_tx, netfront_event, nf);
    xen_event_init(&q->ev_rx, netfront_event, nf);
    long ref;
    if (!(q->tx_sring = grant_page(nf, false, &q->tx_ring_ref)) ||
        !(q->rx_sring = grant_page(nf, false, &q->rx_ring_ref)))
        goto fail;
    for (unsigned i = 0; i < NETFRONT_TX_SLOTS; i++) {
        if (!(q->tx_pages[i] = grant_page(nf, true, &ref)))
            goto fail;
        q->tx_grefs[i] = (uint32_t)ref;
    }
    for (unsigned i = 0; i < NETFRONT_RX_SLOTS; i++) {
        if (!(q->rx_pages[i] = grant_page(nf, false, &ref)))
            goto fail;
        q->rx_grefs[i] = (uint32_t)ref;
    }
    if (xen_event_alloc_unbound(&q->ev_tx, nf->xb.backend_id) < 0 ||
        (nf->neg.split_events && xen_event_alloc_unbound(&q->ev_rx, nf->xb.backend_id) < 0))
        goto fail;
    struct netfront_queue_features f = {
        .tx_csum = nf->neg.tx_csum,
        .tx_sg = nf->neg.sg,
        .tx_gso = nf->neg.gso_tcpv4 && nf->neg.sg,
        .rx_csum = true,
    };
    netfront_queue_init(&q->ring, index, q->tx_sring, q->rx_sring, q->tx_pages, q->tx_grefs,
                        q->rx_pages, q->rx_grefs, &f);
    netfront_rx_refill(&q->ring);   /* the backend sees them when it connects */
    return q;
fail:
    log_error("netfront", "%s: out of pages, grants or event channels for queue %u",
              nf->dev.name, index);
    queue_free(nf, q);
    return NULL;
}

static void queues_free(struct netfront *nf)
{
    for (unsigned i = 0; i < NETFRONT_MAX_QUEUES; i++) {
        struct netfront_q *q = nf->q[i];
        if (!q)
            continue;
        /* Keep the counters of this connection. */
#define NETFRONT_SUM(name) nf->stats.rings.name += q->ring.stats.name;
        NETFRONT_QUEUE_COUNTERS(NETFRONT_SUM)
#undef NETFRONT_SUM
        nf->q[i] = NULL;
        queue_free(nf, q);
    }
}

/* ---- the handshake ---- */

static unsigned long backend_flag(struct netfront *nf, const char *node)
{
    unsigned long v = 0;
    if (xenbus_read_backend_uint(&nf->xb, node, &v) < 0)
        v = 0;
    return v;
}

struct publish_args {
    struct netfront *nf;
};

static int write_node(uint32_t tx, struct netfront *nf, const char *dir, const char *node,
                      const char *fmt, unsigned long value)
{
    char path[XENBUS_PATH_MAX + 48], text[24];
    ksnprintf(path, sizeof(path), "%s/%s%s%s", nf->xb.nodename, dir, *dir ? "/" : "", node);
    ksnprintf(text, sizeof(text), fmt, value);
    return xenstore_write(tx, path, text);
}

static int publish(uint32_t tx, void *arg)
{
    struct netfront *nf = ((struct publish_args *)arg)->nf;
    int rc = 0;
    for (unsigned i = 0; i < nf->nqueues && rc == 0; i++) {
        struct netfront_q *q = nf->q[i];
        char dir[16] = "";
        if (nf->nqueues > 1)
            ksnprintf(dir, sizeof(dir), "queue-%u", i);
        if ((rc = write_node(tx, nf, dir, "tx-ring-ref", "%lu", (unsigned long)q->tx_ring_ref)) ||
            (rc = write_node(tx, nf, dir, "rx-ring-ref", "%lu", (unsigned long)q->rx_ring_ref)))
            break;
        if (nf->neg.split_events)
            rc = write_node(tx, nf, dir, "event-channel-tx", "%lu", q->ev_tx.port) ?:
                 write_node(tx, nf, dir, "event-channel-rx", "%lu", q->ev_rx.port);
        else
            rc = write_node(tx, nf, dir, "event-channel", "%lu", q->ev_tx.port);
    }
    if (rc == 0 && nf->nqueues > 1)
        rc = write_node(tx, nf, "", "multi-queue-num-queues", "%lu", nf->nqueues);
    if (rc == 0)
        rc = write_node(tx, nf, "", "request-rx-copy", "%lu", 1) ?:
             write_node(tx, nf, "", "feature-rx-notify", "%lu", 1) ?:
             write_node(tx, nf, "", "feature-sg", "%lu", 1) ?:
             write_node(tx, nf, "", "feature-gso-tcpv4", "%lu", 1) ?:
             write_node(tx, nf, "", "feature-no-csum-offload", "%lu", 0);
    return rc;
}

static void negotiate(struct netfront *nf)
{
    nf->neg.sg = backend_flag(nf, "feature-sg") != 0;
    nf->neg.gso_tcpv4 = backend_flag(nf, "feature-gso-tcpv4") != 0;
    nf->neg.tx_csum = backend_flag(nf, "feature-no-csum-offload") == 0;
    nf->neg.split_events = backend_flag(nf, "feature-split-event-channels") != 0;
    nf->neg.max_queues = (unsigned)backend_flag(nf, "multi-queue-max-queues");
    unsigned queues = nf->neg.max_queues ? nf->neg.max_queues : 1;
    nf->nqueues = queues < NETFRONT_MAX_QUEUES ? queues : NETFRONT_MAX_QUEUES;
    uint32_t caps = NETDEV_CAP_RX_CSUM | NETDEV_CAP_SG;
    if (nf->neg.tx_csum)
        caps |= NETDEV_CAP_TX_CSUM;
    if (nf->neg.gso_tcpv4 && nf->neg.sg)
        caps |= NETDEV_CAP_TSO;
    nf->dev.caps = caps;
}

int netfront_connect(struct netfront *nf)
{
    enum xenbus_state s = XenbusStateUnknown;
    int rc = xenbus_wait_backend_state(&nf->xb, XENBUS_STATE_BIT(XenbusStateInitWait) |
                                       XENBUS_STATE_BIT(XenbusStateConnected),
                                       after(CONNECT_TIMEOUT_NS), &s);
    if (rc < 0) {
        log_error("netfront", "%s: backend %s stays %s: %s", nf->dev.name, nf->xb.backend,
                  xenbus_state_name(s), error_name(rc));
        return rc;
    }
    if (backend_flag(nf, "feature-rx-copy") == 0) {
        log_error("netfront", "%s: the backend cannot copy received frames (feature-rx-copy)",
                  nf->dev.name);
        return -EOPNOTSUPP;
    }
    negotiate(nf);
    for (unsigned i = 0; i < nf->nqueues; i++)
        if (!(nf->q[i] = queue_create(nf, i))) {
            queues_free(nf);
            return -ENOMEM;
        }
    struct publish_args args = { nf };
    rc = xenstore_transact(publish, &args, 5);
    if (rc == 0)
        rc = xenbus_switch_state(&nf->xb, XenbusStateConnected);
    if (rc == 0)
        rc = xenbus_wait_backend_state(&nf->xb, XENBUS_STATE_BIT(XenbusStateConnected) |
                                       XENBUS_STATE_BIT(XenbusStateClosing) |
                                       XENBUS_STATE_BIT(XenbusStateClosed),
                                       after(CONNECT_TIMEOUT_NS), &s);
    if (rc == 0 && s != XenbusStateConnected) {
        rc = -ECONNREFUSED;   /* netback refused what we published (see its error node) */
    }
    if (rc < 0) {
        log_error("netfront", "%s: handshake failed (backend %s): %s", nf->dev.name,
                  xenbus_state_name(s), error_name(rc));
        xenbus_switch_state(&nf->xb, XenbusStateClosed);
        queues_free(nf);
        return rc;
    }
    nf->link = NETFRONT_UP;
    nf->stats.connects++;
    nf->stats.queues = nf->nqueues;
    for (unsigned i = 0; i < nf->nqueues; i++) {
        xen_event_notify(&nf->q[i]->ev_tx);   /* rx requests were posted before it mapped */
        if (nf->neg.split_events)
            xen_event_notify(&nf->q[i]->ev_rx);
    }
    netfront_kick_poller(nf);
    log_info("netfront", "%s: connected to %s (domain %u): %u queue%s, %s event channels, sg %s, "
             "gso-tcpv4 %s, tx checksum offload %s, MAC %pM, MTU %u", nf->dev.name,
             nf->xb.backend, (unsigned)nf->xb.backend_id, nf->nqueues, nf->nqueues > 1 ? "s" : "",
             nf->neg.split_events ? "split" : "shared", nf->neg.sg ? "on" : "off",
             nf->neg.gso_tcpv4 ? "on" : "off", nf->neg.tx_csum ? "on" : "off", nf->dev.mac,
             (unsigned)nf->dev.mtu);
    return 0;
}

void netfront_disconnect(struct netfront *nf, const char *why)
{
    if (!nf->nqueues || !nf->q[0])
        return;
    bool bad = nf->link == NETFRONT_BROKEN;
    nf->link = bad ? NETFRONT_BROKEN : NETFRONT_DOWN;   /* transmit stops at once */
    log_info("netfront", "%s: disconnecting: %s", nf->dev.name, why);
    enum xenbus_state s;
    /* Closing makes netback unmap the rings; Closed finishes; grants end cleanly after that. */
    xenbus_switch_state(&nf->xb, XenbusStateClosing);
    xenbus_wait_backend_state(&nf->xb, XENBUS_STATE_BIT(XenbusStateClosing) |
                              XENBUS_STATE_BIT(XenbusStateClosed) |
                              XENBUS_STATE_BIT(XenbusStateUnknown) |
                              XENBUS_STATE_BIT(XenbusStateInitWait), after(CLOSE_TIMEOUT_NS), &s);
    xenbus_switch_state(&nf->xb, XenbusStateClosed);
    xenbus_wait_backend_state(&nf->xb, XENBUS_STATE_BIT(XenbusStateClosed) |
                              XENBUS_STATE_BIT(XenbusStateUnknown) |
                              XENBUS_STATE_BIT(XenbusStateInitWait), after(CLOSE_TIMEOUT_NS), &s);
    queues_free(nf);
    nf->nqueues = 0;
    nf->stats.disconnects++;
    if (bad)
        nf->stats.bad_disconnects++;
    log_info("netfront", "%s: disconnected (backend %s)", nf->dev.name, xenbus_state_name(s));
}

/* ---- the watcher ---- */

static bool backend_online(struct netfront *nf)
{
    return backend_flag(nf, "online") != 0;
}

static int watcher_main(void *arg)
{
    struct netfront *nf = arg;
    char path[XENSTORE_PATH_MAX];
    unsigned failures = 0;
    while (!nf->stopping) {
        int rc = xenstore_watch_next(&nf->watch, path, sizeof(path), after(WATCH_POLL_NS));
        if (rc == -EPIPE || nf->stopping)
            break;
        if (nf->link == NETFRONT_BROKEN && nf->q[0]) {
            netfront_disconnect(nf, "the backend sent a bad response; staying down");
            continue;
        }
        if (rc < 0)
            continue;
        enum xenbus_state s;
        if (xenbus_read_state(nf->xb.backend, &s) < 0)
            continue;
        if (nf->link == NETFRONT_UP &&
            (s == XenbusStateClosing || s == XenbusStateClosed || s == XenbusStateUnknown)) {
            log_warn("netfront", "%s: the backend is %s", nf->dev.name, xenbus_state_name(s));
            netfront_disconnect(nf, "the backend closed");
            if (nf->no_reconnect || nf->stopping || !backend_online(nf))
                continue;
            /* netback prepares a closed device for a new connection when we go Initialising. */
            xenbus_switch_state(&nf->xb, XenbusStateInitialising);
        } else if (nf->link == NETFRONT_DOWN && !nf->no_reconnect && s == XenbusStateInitWait) {
            log_info("netfront", "%s: the backend is back; reconnecting", nf->dev.name);
            if (netfront_connect(nf) == 0) {
                log_info("netfront", "%s: reconnected", nf->dev.name);
                failures = 0;
            } else if (++failures >= RECONNECT_ATTEMPTS) {
                log_error("netfront", "%s: %u reconnections failed; giving up", nf->dev.name,
                          failures);
                nf->no_reconnect = true;
            }
        } else if (nf->link == NETFRONT_DOWN && !nf->no_reconnect && s == XenbusStateClosed &&
                   backend_online(nf)) {
            xenbus_switch_state(&nf->xb, XenbusStateInitialising);
        }
    }
    return 0;
}

int netfront_watcher_start(struct netfront *nf)
{
    char path[XENBUS_PATH_MAX + 8];
    ksnprintf(path, sizeof(path), "%s/state", nf->xb.backend);
    int rc = xenstore_watch(&nf->watch, path);
    if (rc < 0)
        return rc;
    nf->watching = true;
    nf->watcher = fiber_spawn("netfront-watch", watcher_main, nf, 0);
    if (!nf->watcher) {
        xenstore_unwatch(&nf->watch);
        nf->watching = false;
        return -ENOMEM;
    }
    return 0;
}

void netfront_watcher_stop(struct netfront *nf)
{
    nf->stopping = true;
    if (nf->watching) {
        xenstore_unwatch(&nf->watch);
        nf->watching = false;
    }
    if (nf->watcher) {
        fiber_join(nf->watcher);
        nf->watcher = NULL;
    }
}
