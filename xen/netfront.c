/*
 * xen/netfront: the netdev face of the Xen network frontend (netfront.h): opening device/vif/<n>
 * (xen_netfront_open_index, which the PVH platform's platform_netdev_open calls), transmit, the
 * poller fiber that takes responses when the backend signals, counters, and the clean close
 * at destroy or kernel shutdown.
 */
#include "xen/netfront_private.h"
#include "xen/grants.h"
#include "xen/optional.h"
#include "xen/xen.h"
#include "kernel/kernel.h"
#include "lib/counters.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pbuf.h"
#include "platform/platform.h"

#define RX_BUDGET 64u            /* frames per queue before other fibers get the CPU */
#define MAX_VIFS 16u
#define CLOSE_AT_SHUTDOWN_NS (12ull * 1000000000ull)

static struct netfront *open_devices;

void netfront_kick_poller(struct netfront *nf)
{
    nf->kicked = true;
    waitq_wake_one(&nf->wake);
}

/* Loop context: only marks work for the poller. */
void netfront_event(struct xen_event *ev, void *arg)
{
    (void)ev;
    struct netfront *nf = arg;
    nf->stats.events++;
    netfront_kick_poller(nf);
}

static void kick_backend(struct netfront_q *q, bool rx)
{
    xen_event_notify(rx && q->nf->neg.split_events ? &q->ev_rx : &q->ev_tx);
}

/* A bad response: the rings are not touched again; the watcher closes the connection. */
static void queue_broken(struct netfront *nf, struct netfront_q *q)
{
    if (nf->link != NETFRONT_UP)
        return;
    log_error("netfront", "%s: queue %u broken (rule %s): %s; disconnecting", nf->dev.name,
              q->ring.index, netfront_break_name(q->ring.break_reason), q->ring.why);
    nf->link = NETFRONT_BROKEN;
    nf->fe.no_reconnect = true;
}

static void deliver(void *ctx, struct pbuf *p)
{
    struct netfront *nf = ctx;
    netdev_receive(&nf->dev, p);
}

static bool service_queue(struct netfront *nf, struct netfront_q *q)
{
    bool notify;
    /* Responses free slots: held frames go out now. */
    if (netfront_tx_progress(&q->ring, &notify) < 0) {
        queue_broken(nf, q);
        return false;
    }
    if (notify)
        kick_backend(q, false);
    int n = netfront_rx_poll(&q->ring, nf->dev.pool, RX_BUDGET, deliver, nf,
                             platform_monotonic_ns(), &notify);
    if (notify && nf->link == NETFRONT_UP)
        kick_backend(q, true);
    if (n < 0) {
        queue_broken(nf, q);
        return false;
    }
    return (unsigned)n >= RX_BUDGET;
}

/* The earliest time a queue must be polled again without an event (a partial frame's wait
 * running out), or DEADLINE_NONE. */
static uint64_t poll_deadline(struct netfront *nf)
{
    uint64_t deadline = DEADLINE_NONE;
    for (unsigned i = 0; i < nf->nqueues && nf->link == NETFRONT_UP; i++) {
        uint64_t d = nf->q[i] ? netfront_rx_partial_deadline(&nf->q[i]->ring) : 0;
        if (d && d < deadline)
            deadline = d;
    }
    return deadline;
}

/* Polls when kicked and sleeps otherwise. It goes round again without sleeping only when a
 * queue used its whole budget or new responses arrived (netfront_rx_pending reports only what
 * no poll has seen): a partial frame or a broken queue never keeps it busy. */
static int poller_main(void *arg)
{
    struct netfront *nf = arg;
    while (!nf->poller_stop) {
        if (!nf->kicked) {
            uint64_t deadline = poll_deadline(nf);
            if (waitq_wait(&nf->wake, deadline) == -ETIMEDOUT && deadline != DEADLINE_NONE)
                nf->kicked = true;   /* a partial frame's wait ran out: look at it again */
            continue;
        }
        nf->kicked = false;
        bool again = false;
        for (unsigned i = 0; i < nf->nqueues && nf->link == NETFRONT_UP; i++)
            if (nf->q[i] && service_queue(nf, nf->q[i]))
                again = true;
        if (nf->link == NETFRONT_UP)
            for (unsigned i = 0; i < nf->nqueues; i++)
                if (nf->q[i] && netfront_rx_pending(&nf->q[i]->ring))
                    again = true;
        if (again) {
            nf->kicked = true;
            fiber_yield();
        }
    }
    return 0;
}

/* Spreads IPv4 flows over the queues; everything else goes to queue 0. */
static unsigned pick_queue(struct netfront *nf, const struct pbuf *p)
{
    if (nf->nqueues < 2)
        return 0;
    uint8_t h[14 + 20 + 4];
    if (pbuf_copy_out(p, 0, h, sizeof(h)) < 0 || h[12] != 0x08 || h[13] != 0x00)
        return 0;
    uint32_t hash = 2166136261u;
    unsigned ihl = (h[14] & 0x0f) * 4u;
    unsigned upto = ihl == 20 && (h[23] == 6 || h[23] == 17) ? sizeof(h) : 14 + 20;
    for (unsigned i = 14 + 12; i < upto; i++)    /* addresses, then ports */
        hash = (hash ^ h[i]) * 16777619u;
    return hash % nf->nqueues;
}

static int netfront_transmit(struct netdev *dev, struct pbuf *p)
{
    struct netfront *nf = dev->priv;
    if (nf->link != NETFRONT_UP) {
        dev->stats.tx_dropped++;
        pbuf_free(p);
        return -ENETDOWN;
    }
    struct netfront_q *q = nf->q[xen_has(xen_optionals, XEN_OPTIONAL_NETFRONT_OFFLOAD)
                                     ? pick_queue(nf, p) : 0];
    if ((p->flags & PBUF_F_CSUM_PARTIAL) && !q->ring.features.tx_csum &&
        netdev_complete_checksum(p) < 0) {
        dev->stats.tx_errors++;
        pbuf_free(p);
        return -EINVAL;
    }
    bool notify;
    int rc = netfront_tx_send(&q->ring, p, &notify);   /* takes p */
    if (notify)
        kick_backend(q, false);
    if (rc == 0)
        return 0;
    if (rc == -EPROTO)
        queue_broken(nf, q);
    if (rc == -EMSGSIZE || rc == -EINVAL)
        dev->stats.tx_errors++;
    else
        dev->stats.tx_dropped++;
    return rc;
}

/* Fiber context: everything a clean close needs (xenstore, waiting for the backend). */
static void close_device(struct netfront *nf)
{
    if (nf->closed)
        return;
    xenbus_frontend_watch_stop(&nf->fe);
    if (nf->q[0])
        netfront_disconnect(nf, "closing");
    nf->link = NETFRONT_DOWN;
    nf->poller_stop = true;
    netfront_kick_poller(nf);
    if (nf->poller) {
        fiber_join(nf->poller);
        nf->poller = NULL;
    }
    xen_suspend_unregister(&nf->suspend_hook);
    xen_grants_retry_quarantine();   /* the counters show what the backend really still maps */
    netfront_print_stats(&nf->dev);
    netfront_account_release(nf);
    nf->closed = true;
    for (struct netfront **pp = &open_devices; *pp; pp = &(*pp)->next)
        if (*pp == nf) {
            *pp = nf->next;
            break;
        }
}

static void netfront_destroy(struct netdev *dev)
{
    struct netfront *nf = dev->priv;
    if (fiber_current()) {
        close_device(nf);
        kfree(nf);
    } else {
        /* Without a fiber we cannot talk to xenstore; the shutdown hook closes it. */
        log_warn("netfront", "%s: destroy outside a fiber: closed at shutdown", dev->name);
    }
}

static const struct netdev_ops netfront_ops = {
    .transmit = netfront_transmit,
    .destroy = netfront_destroy,
};

/* ---- the kernel shutdown hook: closes devices the application left open ---- */

static int close_all_fiber(void *arg)
{
    (void)arg;
    while (open_devices)
        close_device(open_devices);
    return 0;
}

static bool close_all_done(void *arg)
{
    const uint64_t *deadline = arg;
    return !open_devices || platform_monotonic_ns() > *deadline;
}

static void shutdown_hook_run(void *arg)
{
    (void)arg;
    if (!open_devices)
        return;
    if (fiber_current()) {
        close_all_fiber(NULL);
        return;
    }
    /* Hooks run in loop context after the scheduler stopped: run it again for the close. */
    struct fiber *f = fiber_spawn("netfront-close", close_all_fiber, NULL, 0);
    if (!f)
        return;
    fiber_detach(f);
    uint64_t deadline = platform_monotonic_ns() + CLOSE_AT_SHUTDOWN_NS;
    sched_run(close_all_done, &deadline);
}

static struct shutdown_hook shutdown_hook = { .run = shutdown_hook_run };
static bool shutdown_hook_added;

/* ---- suspend and resume (xen/suspend.h) ---- */

/* Frames in the tx ring at the suspend are lost with the old backend, as on any link (TCP
 * retransmits them); received ones are posted again with the new rings. A cancelled suspend
 * keeps the same backend and rings. */
static void suspend_resume(void *arg, bool cancelled)
{
    if (!cancelled)
        netfront_resume(arg);
}

/* ---- opening ---- */

static int read_frontend(struct netfront *nf, const char *node, char *buf, size_t cap)
{
    char path[XENBUS_PATH_MAX + 16];
    ksnprintf(path, sizeof(path), "%s/%s", nf->fe.xb.nodename, node);
    return xenstore_read(XENSTORE_NO_TX, path, buf, cap);
}

static int read_mac_mtu(struct netfront *nf, uint8_t mac[NETDEV_MAC_LEN], uint32_t *mtu)
{
    char buf[32];
    int rc = read_frontend(nf, "mac", buf, sizeof(buf));
    if (rc < 0 || parse_mac(buf, (size_t)rc, mac) < 0) {
        log_error("netfront", "vif/%s: no usable MAC in xenstore (%s)", nf->fe.xb.id,
                  rc < 0 ? error_name(rc) : buf);
        return rc < 0 ? rc : -EINVAL;
    }
    *mtu = NETDEV_DEFAULT_MTU;
    rc = read_frontend(nf, "mtu", buf, sizeof(buf));
    if (rc >= 0) {
        uint32_t v;
        if (parse_u32(buf, (size_t)rc, 10, &v) < 0 || v < 68 || v > 9000)
            log_warn("netfront", "vif/%s: MTU '%s' refused (68..9000); using %u", nf->fe.xb.id, buf,
                     NETDEV_DEFAULT_MTU);
        else
            *mtu = v;
    }
    return 0;
}

struct netdev *netfront_open(const char *id, struct pbuf_pool *rx_pool)
{
    struct netfront *nf = kcalloc(1, sizeof(*nf));
    if (!nf)
        return NULL;
    int rc = xenbus_device_open(&nf->fe.xb, "vif", id);
    if (rc < 0) {
        log_error("netfront", "vif/%s: cannot read its backend: %s", id, error_name(rc));
        kfree(nf);
        return NULL;
    }
    uint8_t mac[NETDEV_MAC_LEN];
    uint32_t mtu;
    if (read_mac_mtu(nf, mac, &mtu) < 0) {
        kfree(nf);
        return NULL;
    }
    char name[NETDEV_NAME_MAX];
    ksnprintf(name, sizeof(name), "vif%s", id);
    netdev_init(&nf->dev, &netfront_ops, name, mac, mtu, NETDEV_CAP_SG | NETDEV_CAP_RX_CSUM,
                rx_pool, nf);
    netfront_frontend_init(nf);
    waitq_init(&nf->wake);
    if ((rc = netfront_account_claim(nf)) < 0) {
        log_error("netfront", "%s: too many netfront devices", name);
        kfree(nf);
        return NULL;
    }
    nf->poller = fiber_spawn("netfront", poller_main, nf, 0);
    if (!nf->poller) {
        netfront_account_release(nf);
        kfree(nf);
        return NULL;
    }
    if ((rc = netfront_connect(nf)) < 0 || (rc = xenbus_frontend_watch_start(&nf->fe, "netfront-watch")) < 0) {
        log_error("netfront", "%s: not connected: %s", name, error_name(rc));
        close_device(nf);
        kfree(nf);
        return NULL;
    }
    nf->next = open_devices;
    open_devices = nf;
    if (xen_has(xen_optionals, XEN_OPTIONAL_SUSPEND)) {
        nf->suspend_hook = (struct xen_suspend_hook){ .name = nf->dev.name,
                                                      .resume = suspend_resume, .arg = nf };
        xen_suspend_register(&nf->suspend_hook);
    }
    if (!shutdown_hook_added) {
        lifecycle_on_shutdown(&shutdown_hook);
        shutdown_hook_added = true;
    }
    return &nf->dev;
}

struct netdev *xen_netfront_open_index(unsigned index, struct pbuf_pool *rx_pool)
{
    if (!xen_present() || !xenstore_ready()) {
        log_error("netfront", "no vif: not on Xen");
        return NULL;
    }
    char buf[256];
    const char *ids[MAX_VIFS];
    int n = xenbus_list_devices("vif", buf, sizeof(buf), ids, MAX_VIFS);
    if (n == -ENOENT)
        n = 0;
    if (n < 0) {
        log_error("netfront", "cannot list device/vif: %s", error_name(n));
        return NULL;
    }
    if (index >= (unsigned)n) {
        log_error("netfront", "no vif %u (the domain has %d)", index, n);
        return NULL;
    }
    return netfront_open(ids[index], rx_pool);
}

/* ---- counters ---- */

void netfront_get_stats(struct netdev *dev, struct netfront_stats *out)
{
    struct netfront *nf = dev->priv;
    *out = nf->stats;
    for (unsigned i = 0; i < NETFRONT_MAX_QUEUES; i++) {
        if (!nf->q[i])
            continue;
        COUNTERS_ADD(out->rings, nf->q[i]->ring.stats);
    }
}

void netfront_print_stats(struct netdev *dev)
{
    struct netfront_stats s;
    netfront_get_stats(dev, &s);
    /* The device's counters lead struct netfront_stats; then its queues' counters, summed. */
    static const char *const device_counters[] = { NETFRONT_COUNTERS(COUNTERS_NAME) };
    _Static_assert(offsetof(struct netfront_stats, queues) ==
                       ARRAY_SIZE(device_counters) * sizeof(uint64_t),
                   "netfront_stats must start with exactly NETFRONT_COUNTERS");
    counters_print("netfront", dev->name, device_counters, &s.connects,
                   ARRAY_SIZE(device_counters));
    COUNTERS_PRINT("netfront", dev->name, NETFRONT_QUEUE_COUNTERS, s.rings);
    uint64_t frames = s.rings.tx_frames + s.rings.rx_frames;
    uint64_t kicks = s.rings.tx_notify + s.rings.rx_notify;
    kprintf("netfront.%s: %u queues; per 1000 frames: %llu kicks, %llu events\n", dev->name, s.queues,
            (unsigned long long)(frames ? kicks * 1000 / frames : 0),
            (unsigned long long)(frames ? s.events * 1000 / frames : 0));
    /* This device's pages in the grant quarantine now (its backend still maps them). */
    struct netfront *nf = dev->priv;
    uint32_t held = nf->quarantined ? *nf->quarantined : 0;
    kprintf("netfront.%s.grants.quarantined %u\n", dev->name, held);
    kprintf("netfront.%s.grants.quarantined_bytes %llu\n", dev->name,
            (unsigned long long)held * NETFRONT_PAGE_SIZE);
    /* The grant table's own counters: netfront grants its pools once per connection, so these
     * show what the frames cost in grant operations (they include other drivers' grants). */
    struct xen_grant_stats g;
    xen_grants_get_stats(&g);
    kprintf("netfront.%s: grant table (whole guest): %llu granted, %llu ended, %u pages "
            "quarantined (%llu bytes), %llu released from the quarantine\n", dev->name,
            (unsigned long long)g.granted, (unsigned long long)g.ended, g.quarantined,
            (unsigned long long)g.quarantined_bytes, (unsigned long long)g.quarantine_released);
}
