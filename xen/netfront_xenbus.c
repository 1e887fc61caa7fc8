/*
 * xen/netfront_xenbus: a netfront's connection to netback: queue set-up (pages granted once,
 * given back under the grant-lifetime rule with this device's quarantine account), the xenstore
 * handshake and feature negotiation, the close handshake, and the watcher fiber that follows
 * the backend's state (reconnecting when a closed backend offers InitWait again, as the backoff
 * and the grant cap of xen/netfront_conn.h allow).
 */
#include "xen/netfront_private.h"
#include "xen/grants.h"
#include "lib/counters.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/platform.h"

#define CONNECT_TIMEOUT_NS (10ull * 1000000000ull)
#define CLOSE_TIMEOUT_NS (5ull * 1000000000ull)
#define WATCH_POLL_NS (250ull * 1000000ull)
/* Devices whose quarantine counters exist at once (open ones, and closed ones whose backend
 * still maps pages). */
#define NETFRONT_ACCOUNTS 16u

static uint64_t after(uint64_t ns)
{
    return platform_monotonic_ns() + ns;
}

/* ---- the quarantine accounts ---- */

static struct {
    bool open;
    uint32_t held;    /* pages in the grant quarantine; the quarantine decrements it */
} accounts[NETFRONT_ACCOUNTS];

int netfront_account_claim(struct netfront *nf)
{
    for (unsigned i = 0; i < NETFRONT_ACCOUNTS; i++)
        if (!accounts[i].open && accounts[i].held == 0) {
            accounts[i].open = true;
            nf->quarantined = &accounts[i].held;
            return 0;
        }
    return -ENOSPC;
}

void netfront_account_release(struct netfront *nf)
{
    for (unsigned i = 0; i < NETFRONT_ACCOUNTS; i++)
        if (nf->quarantined == &accounts[i].held)
            accounts[i].open = false;   /* held drains on its own as the backend unmaps */
    nf->quarantined = NULL;
}

/* ---- pages and grants ---- */

/* A fresh zeroed page granted to the backend; NULL when out of pages or grants. */
static void *grant_page(bool readonly, uint32_t *ref, void *ctx)
{
    struct netfront *nf = ctx;
    void *page = page_alloc(0);
    if (!page)
        return NULL;
    memset(page, 0, NETFRONT_PAGE_SIZE);   /* the backend never reads stale memory */
    long rc = xen_grant_access(nf->xb.backend_id, page, readonly);
    if (rc < 0) {
        page_free(page, 0);
        return NULL;
    }
    *ref = (uint32_t)rc;
    return page;
}

/* The grant-lifetime rule (xen/grants.h): a page the backend still maps goes to the quarantine,
 * counted in this device's account, and comes back when the backend unmaps it. */
static int end_free_page(uint32_t ref, void *page, void *ctx)
{
    struct netfront *nf = ctx;
    int rc = xen_grant_end_free_counted(ref, page, 0, nf->quarantined);
    if (rc == -EBUSY)
        nf->stats.pages_quarantined++;
    return rc;
}

static void free_page(void *page, void *ctx)
{
    (void)ctx;
    page_free(page, 0);
}

static struct netfront_page_ops page_ops(struct netfront *nf)
{
    return (struct netfront_page_ops){ .grant = grant_page, .end_free = end_free_page,
                                       .free = free_page, .ctx = nf };
}

static void queue_free(struct netfront *nf, struct netfront_q *q)
{
    if (!q)
        return;
    xen_event_close(&q->ev_tx);
    xen_event_close(&q->ev_rx);
    nf->dev.stats.tx_dropped += netfront_tx_hold_flush(&q->ring);   /* lost with the link */
    struct netfront_page_ops ops = page_ops(nf);
    unsigned held = netfront_queue_pages_release(&q->pages, &ops);
    if (held)
        log_warn("netfront", "%s: queue %u: %u pages still mapped by the backend: quarantined "
                 "until it unmaps them (%u of this device's pages held)", nf->dev.name,
                 q->ring.index, held, nf->quarantined ? *nf->quarantined : 0);
    kfree(q);
}

static struct netfront_q *queue_create(struct netfront *nf, unsigned index)
{
    struct netfront_q *q = kcalloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->nf = nf;
    xen_event_init(&q->ev_tx, netfront_event, nf);
    xen_event_init(&q->ev_rx, netfront_event, nf);
    struct netfront_page_ops ops = page_ops(nf);
    if (netfront_queue_pages_grant(&q->pages, &ops) < 0)
        goto fail;
    if (xen_event_alloc_unbound(&q->ev_tx, nf->xb.backend_id) < 0 ||
        (nf->neg.split_events && xen_event_alloc_unbound(&q->ev_rx, nf->xb.backend_id) < 0))
        goto fail;
    struct netfront_queue_features f = {
        .tx_csum = nf->neg.tx_csum,
        .tx_sg = nf->neg.sg,
        .tx_gso = nf->neg.gso_tcpv4 && nf->neg.sg,
        .rx_csum = true,
    };
    netfront_queue_init(&q->ring, index, q->pages.tx_sring, q->pages.rx_sring,
                        q->pages.tx_pages, q->pages.tx_grefs, q->pages.rx_pages,
                        q->pages.rx_grefs, &f);
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
        COUNTERS_ADD(nf->stats.rings, q->ring.stats);
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
        if ((rc = write_node(tx, nf, dir, "tx-ring-ref", "%lu",
                             (unsigned long)q->pages.tx_ring_ref)) ||
            (rc = write_node(tx, nf, dir, "rx-ring-ref", "%lu",
                             (unsigned long)q->pages.rx_ring_ref)))
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

/* A connection refused by the device's grant cap. */
static void log_over_cap(struct netfront *nf, const char *what, uint32_t held, unsigned queues)
{
    log_warn("netfront", "%s: not %s: %u pages still mapped by the backend plus %u for %u "
             "queue%s would pass this device's cap of %u grants", nf->dev.name, what, held,
             queues * NETFRONT_GRANTS_PER_QUEUE, queues, queues > 1 ? "s" : "",
             NETFRONT_GRANT_CAP);
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
    /* Pages the backend unmapped since are back; what it still maps counts against the cap. */
    xen_grants_retry_quarantine();
    uint32_t held = nf->quarantined ? *nf->quarantined : 0;
    if (!netfront_grants_allow(held, nf->nqueues)) {
        log_over_cap(nf, "connecting", held, nf->nqueues);
        return -ENOSPC;
    }
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
    netfront_reconnect_up(&nf->reconnect, platform_monotonic_ns());
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
    netfront_reconnect_down(&nf->reconnect, platform_monotonic_ns());
    if (bad)
        nf->stats.bad_disconnects++;
    log_info("netfront", "%s: disconnected (backend %s)", nf->dev.name, xenbus_state_name(s));
}

void netfront_resume(struct netfront *nf)
{
    if (nf->stopping || nf->closed)
        return;
    nf->resuming = true;
    /* The old rings, event channels and grants went with the old domain: every grant ends
     * at once (the new grant table is empty) and the pages come back. */
    if (nf->link == NETFRONT_UP)
        nf->link = NETFRONT_DOWN;
    queues_free(nf);
    nf->nqueues = 0;
    xen_grants_retry_quarantine();
    /* The toolstack wrote the device's nodes again, naming the new backend. */
    int rc = xenbus_follow_backend(&nf->xb, nf->watching ? &nf->watch : NULL);
    if (rc < 0) {
        log_error("netfront", "%s: no connection after the resume: %s", nf->dev.name,
                  error_name(rc));
    } else if (nf->link == NETFRONT_DOWN && !nf->no_reconnect) {
        /* A move is no failure of the backend: no backoff for it. */
        nf->reconnect = (struct netfront_reconnect){ 0 };
        rc = netfront_connect(nf);
        if (rc == 0)
            log_info("netfront", "%s: reconnected after the resume", nf->dev.name);
        else
            nf->retry_pending = true;   /* the watcher tries again (backoff) */
    }
    nf->resuming = false;
}

/* ---- the watcher ---- */

static bool backend_online(struct netfront *nf)
{
    return backend_flag(nf, "online") != 0;
}

/* The queues a connection would use, as netback offers them now. */
static unsigned planned_queues(struct netfront *nf)
{
    unsigned long offered = backend_flag(nf, "multi-queue-max-queues");
    if (offered == 0)
        return 1;
    return offered < NETFRONT_MAX_QUEUES ? (unsigned)offered : NETFRONT_MAX_QUEUES;
}

/* The backend waits in InitWait: connect if the backoff and the grant cap allow it (a verdict
 * is logged once, when it changes). */
static void try_reconnect(struct netfront *nf)
{
    uint64_t now = platform_monotonic_ns(), not_before = 0;
    xen_grants_retry_quarantine();   /* pages the backend unmapped meanwhile are back */
    uint32_t held = nf->quarantined ? *nf->quarantined : 0;
    unsigned queues = planned_queues(nf);
    enum netfront_reconnect_verdict v =
        netfront_reconnect_decide(&nf->reconnect, now, held, queues, &not_before);
    bool changed = v != nf->last_verdict;
    nf->last_verdict = v;
    nf->retry_pending = v == NETFRONT_RECONNECT_WAIT || v == NETFRONT_RECONNECT_OVER_CAP;
    switch (v) {
    case NETFRONT_RECONNECT_WAIT:
        if (changed) {
            nf->stats.reconnect_backoff++;
            log_info("netfront", "%s: the backend is back; reconnecting in %llu ms (attempt %u "
                     "of %u)", nf->dev.name, (unsigned long long)((not_before - now) / 1000000u),
                     nf->reconnect.attempts, NETFRONT_RECONNECT_LIMIT);
        }
        return;
    case NETFRONT_RECONNECT_OVER_CAP:
        if (changed) {
            nf->stats.reconnect_over_cap++;
            log_over_cap(nf, "reconnecting until the backend unmaps them", held, queues);
        }
        return;
    case NETFRONT_RECONNECT_GIVE_UP:
        nf->stats.reconnect_gave_up++;
        log_error("netfront", "%s: %u reconnections without a connection that lasted %llu s; "
                  "staying down", nf->dev.name, nf->reconnect.attempts - 1,
                  (unsigned long long)(NETFRONT_RECONNECT_STABLE_NS / 1000000000u));
        nf->no_reconnect = true;
        return;
    case NETFRONT_RECONNECT_NOW:
        break;
    }
    log_info("netfront", "%s: the backend is back; reconnecting", nf->dev.name);
    if (netfront_connect(nf) == 0) {
        log_info("netfront", "%s: reconnected", nf->dev.name);
    } else {
        netfront_reconnect_down(&nf->reconnect, platform_monotonic_ns());
        nf->retry_pending = true;   /* if the backend stays in InitWait, after the backoff */
    }
}

static int watcher_main(void *arg)
{
    struct netfront *nf = arg;
    char path[XENSTORE_PATH_MAX];
    while (!nf->stopping) {
        int rc = xenstore_watch_next(&nf->watch, path, sizeof(path), after(WATCH_POLL_NS));
        if (rc == -EPIPE || nf->stopping)
            break;
        if (nf->resuming)
            continue;
        if (nf->link == NETFRONT_BROKEN && nf->q[0]) {
            netfront_disconnect(nf, "the backend sent a bad response; staying down");
            continue;
        }
        /* Without a change, look again only when a postponed reconnection may be due. */
        if (rc < 0 && !(nf->retry_pending && nf->link == NETFRONT_DOWN && !nf->no_reconnect))
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
            try_reconnect(nf);
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
