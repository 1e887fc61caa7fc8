/*
 * xen/netfront_xenbus: a netfront's connection to netback: queue set-up (pages granted once,
 * given back under the grant-lifetime rule with this device's quarantine account), the xenstore
 * handshake and feature negotiation, the close handshake, and the watcher fiber that follows
 * the backend's state (reconnecting when a closed backend offers InitWait again, as the backoff
 * and the grant cap of xen/netfront_conn.h allow).
 */
#include "xen/netfront_private.h"
#include "xen/grants.h"
#include "xen/netfront_rxpool.h"
#include "xen/optional.h"
#include "lib/counters.h"
#include "lib/errno.h"
#include "lib/list.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "net/wire/features.h"
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
    long rc = xen_grant_access(nf->fe.xb.backend_id, page, readonly);
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
    if (net_feature(NET_FEATURE_RX_BY_REFERENCE) && q->ring.rx_handoff)
        netfront_rxpool_detach(q->ring.rx_handoff->ctx);   /* pages lent stay with the stack */
    struct netfront_page_ops ops = page_ops(nf);
    unsigned held = netfront_queue_pages_release(&q->pages, &ops);
    if (held)
        log_warn("netfront", "%s: queue %u: %u pages still mapped: quarantined (%u held)",
                 nf->dev.name,
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
    if (xen_event_alloc_unbound(&q->ev_tx, nf->fe.xb.backend_id) < 0 ||
        (nf->neg.split_events && xen_event_alloc_unbound(&q->ev_rx, nf->fe.xb.backend_id) < 0))
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
    /* Received frames leave in their page when the pool allows (netfront_rxpool.h), in an
     * image that keeps receive data by reference (net/wire/features.h). */
    struct netfront_rxpool *rxpool = !net_feature(NET_FEATURE_RX_BY_REFERENCE) ? NULL :
                                     netfront_rxpool_create(q->pages.rx_pages, q->pages.rx_grefs,
                                                            nf->fe.xb.backend_id, nf->quarantined);
    if (rxpool)
        q->ring.rx_handoff = netfront_rxpool_handoff(rxpool);
    netfront_rx_refill(&q->ring);   /* the backend sees them when it connects */
    return q;
fail:
    log_error("netfront", "%s: queue %u: no pages, grants or ports", nf->dev.name, index);
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
    return xenbus_frontend_key(&nf->fe, node, 0);
}

struct publish_args {
    struct netfront *nf;
};

static int write_node(uint32_t tx, struct netfront *nf, const char *dir, const char *node,
                      const char *fmt, unsigned long value)
{
    char path[XENBUS_PATH_MAX + 48], text[24];
    ksnprintf(path, sizeof(path), "%s/%s%s%s", nf->fe.xb.nodename, dir, *dir ? "/" : "", node);
    ksnprintf(text, sizeof(text), fmt, value);
    return xenstore_write(tx, path, text);
}

static int publish(uint32_t tx, void *arg)
{
    struct netfront *nf = ((struct publish_args *)arg)->nf;
    int rc = 0;
    bool multi = xen_has(xen_optionals, XEN_OPTIONAL_NETFRONT_OFFLOAD) && nf->nqueues > 1;
    for (unsigned i = 0; i < nf->nqueues && rc == 0; i++) {
        struct netfront_q *q = nf->q[i];
        char dir[16] = "";
        if (multi)
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
    if (rc == 0 && multi)
        rc = write_node(tx, nf, "", "multi-queue-num-queues", "%lu", nf->nqueues);
    /* What we take (xen/optional.h): node, value, node, value ... */
    for (const char *w = netfront_frontend_features(xen_optionals); rc == 0 && *w;
         w += strlen(w) + 3)
        rc = write_node(tx, nf, "", w, "%lu", w[strlen(w) + 1] == '1');
    return rc;
}

/* The backend's offers, read in this order (a missing key is 0). */
static const char offer_keys[] = "feature-rx-copy\0feature-sg\0feature-gso-tcpv4\0"
                                 "feature-no-csum-offload\0feature-split-event-channels\0"
                                 "multi-queue-max-queues\0";
enum { OFFER_RX_COPY, OFFER_SG, OFFER_GSO, OFFER_NO_CSUM, OFFER_SPLIT, OFFER_QUEUES, OFFERS };

static unsigned queues_for(unsigned long offered)
{
    return netfront_queues_wanted(xen_optionals, offered, NETFRONT_MAX_QUEUES);
}

/* false when the backend cannot copy received frames to us (feature-rx-copy). */
static bool negotiate(struct netfront *nf)
{
    unsigned long offer[OFFERS];
    xenbus_frontend_read_keys(&nf->fe, offer_keys, offer);
    /* Without netfront_offload we did not ask for them: frames stay one slot each way. */
    bool offload = xen_has(xen_optionals, XEN_OPTIONAL_NETFRONT_OFFLOAD);
    nf->neg.sg = offload && offer[OFFER_SG] != 0;
    nf->neg.gso_tcpv4 = offload && offer[OFFER_GSO] != 0;
    nf->neg.tx_csum = offer[OFFER_NO_CSUM] == 0;
    nf->neg.split_events = offer[OFFER_SPLIT] != 0;
    nf->neg.max_queues = (unsigned)offer[OFFER_QUEUES];
    nf->nqueues = queues_for(offer[OFFER_QUEUES]);
    uint32_t caps = NETDEV_CAP_RX_CSUM | NETDEV_CAP_SG;
    if (nf->neg.tx_csum)
        caps |= NETDEV_CAP_TX_CSUM;
    if (nf->neg.gso_tcpv4 && nf->neg.sg)
        caps |= NETDEV_CAP_TSO;
    nf->dev.caps = caps;
    return offer[OFFER_RX_COPY] != 0;
}

/* A connection refused by the device's grant cap. */
static void log_over_cap(struct netfront *nf, const char *what, uint32_t held, unsigned queues)
{
    log_warn("netfront", "%s: not %s: %u pages still mapped + %u for %u queues > cap %u",
             nf->dev.name, what, held, queues * NETFRONT_GRANTS_PER_QUEUE, queues,
             NETFRONT_GRANT_CAP);
}

int netfront_connect(struct netfront *nf)
{
    int rc = xenbus_frontend_await_backend(&nf->fe, after(CONNECT_TIMEOUT_NS));
    if (rc < 0)
        return rc;
    if (!negotiate(nf)) {
        log_error("netfront", "%s: backend lacks feature-rx-copy", nf->dev.name);
        return -EOPNOTSUPP;
    }
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
        rc = xenbus_frontend_handshake(&nf->fe, XenbusStateConnected, after(CONNECT_TIMEOUT_NS));
    if (rc < 0) {
        xenbus_switch_state(&nf->fe.xb, XenbusStateClosed);
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
    log_info("netfront", "%s: connected to %s: %u queues, split events %u, sg %u, gso %u, "
             "tx csum offload %u, MAC %pM, MTU %u", nf->dev.name, nf->fe.xb.backend,
             nf->nqueues, nf->neg.split_events, nf->neg.sg, nf->neg.gso_tcpv4, nf->neg.tx_csum,
             nf->dev.mac, (unsigned)nf->dev.mtu);
    return 0;
}

void netfront_disconnect(struct netfront *nf, const char *why)
{
    if (!nf->nqueues || !nf->q[0])
        return;
    bool bad = nf->link == NETFRONT_BROKEN;
    nf->link = bad ? NETFRONT_BROKEN : NETFRONT_DOWN;   /* transmit stops at once */
    log_info("netfront", "%s: disconnecting: %s", nf->dev.name, why);
    /* netback unmaps the rings before Closed; grants end cleanly after that. */
    enum xenbus_state s = xenbus_frontend_close(&nf->fe, CLOSE_TIMEOUT_NS);
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
    if (nf->fe.stopping || nf->closed)
        return;
    nf->fe.resuming = true;
    /* The old rings, event channels and grants went with the old domain: every grant ends
     * at once (the new grant table is empty) and the pages come back. */
    if (nf->link == NETFRONT_UP)
        nf->link = NETFRONT_DOWN;
    queues_free(nf);
    nf->nqueues = 0;
    xen_grants_retry_quarantine();
    /* The toolstack wrote the device's nodes again, naming the new backend. */
    int rc = xenbus_frontend_follow(&nf->fe);
    if (rc < 0) {
        log_error("netfront", "%s: resume: no connection: %s", nf->dev.name,
                  error_name(rc));
    } else if (nf->link == NETFRONT_DOWN && !nf->fe.no_reconnect) {
        /* A move is no failure of the backend: no backoff for it. */
        nf->reconnect = (struct netfront_reconnect){ 0 };
        rc = netfront_connect(nf);
        if (rc == 0)
            log_info("netfront", "%s: reconnected after the resume", nf->dev.name);
        else
            nf->retry_pending = true;   /* the watcher tries again (backoff) */
    }
    nf->fe.resuming = false;
}

/* ---- the watcher ---- */

/* The backend waits in InitWait: connect if the backoff and the grant cap allow it (a verdict
 * is logged once, when it changes). */
static void try_reconnect(struct netfront *nf)
{
    uint64_t now = platform_monotonic_ns(), not_before = 0;
    xen_grants_retry_quarantine();   /* pages the backend unmapped meanwhile are back */
    uint32_t held = nf->quarantined ? *nf->quarantined : 0;
    unsigned queues = queues_for(backend_flag(nf, "multi-queue-max-queues"));
    enum netfront_reconnect_verdict v =
        netfront_reconnect_decide(&nf->reconnect, now, held, queues, &not_before);
    bool changed = v != nf->last_verdict;
    nf->last_verdict = v;
    nf->retry_pending = v == NETFRONT_RECONNECT_WAIT || v == NETFRONT_RECONNECT_OVER_CAP;
    switch (v) {
    case NETFRONT_RECONNECT_WAIT:
        if (changed) {
            nf->stats.reconnect_backoff++;
            log_info("netfront", "%s: reconnecting in %llu ms (attempt %u of %u)", nf->dev.name, (unsigned long long)((not_before - now) / 1000000u),
                     nf->reconnect.attempts, NETFRONT_RECONNECT_LIMIT);
        }
        return;
    case NETFRONT_RECONNECT_OVER_CAP:
        if (changed) {
            nf->stats.reconnect_over_cap++;
            log_over_cap(nf, "reconnecting", held, queues);
        }
        return;
    case NETFRONT_RECONNECT_GIVE_UP:
        nf->stats.reconnect_gave_up++;
        log_error("netfront", "%s: %u reconnections, none lasted %llu s; staying down", nf->dev.name, nf->reconnect.attempts - 1,
                  (unsigned long long)(NETFRONT_RECONNECT_STABLE_NS / 1000000000u));
        nf->fe.no_reconnect = true;
        return;
    case NETFRONT_RECONNECT_NOW:
        break;
    }
    log_info("netfront", "%s: backend back; reconnecting", nf->dev.name);
    if (netfront_connect(nf) == 0) {
        log_info("netfront", "%s: reconnected", nf->dev.name);
    } else {
        netfront_reconnect_down(&nf->reconnect, platform_monotonic_ns());
        nf->retry_pending = true;   /* if the backend stays in InitWait, after the backoff */
    }
}

static struct netfront *of(struct xenbus_frontend *fe)
{
    return container_of(fe, struct netfront, fe);
}

static bool link_up(struct xenbus_frontend *fe)
{
    return of(fe)->link == NETFRONT_UP;
}

static bool check(struct xenbus_frontend *fe, bool changed)
{
    struct netfront *nf = of(fe);
    if (nf->link == NETFRONT_BROKEN && nf->q[0]) {
        netfront_disconnect(nf, "bad response; staying down");
        return true;
    }
    /* Without a change, look again only when a postponed reconnection may be due. */
    return !changed && !(nf->retry_pending && nf->link == NETFRONT_DOWN && !fe->no_reconnect);
}

static void drop(struct xenbus_frontend *fe, const char *why)
{
    netfront_disconnect(of(fe), why);
}

static void reconnect(struct xenbus_frontend *fe)
{
    try_reconnect(of(fe));
}

static const struct xenbus_frontend_ops frontend_ops = {
    .up = link_up, .check = check, .drop = drop, .reconnect = reconnect,
};

void netfront_frontend_init(struct netfront *nf)
{
    nf->fe.ops = &frontend_ops;
    nf->fe.log = "netfront";
    nf->fe.poll_ns = WATCH_POLL_NS;
    kstrlcpy(nf->fe.name, nf->dev.name, sizeof(nf->fe.name));
}
