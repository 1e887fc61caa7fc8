/*
 * xen/blkfront_xenbus: one blkfront connection's life on xenbus -- the handshake (ring pages,
 * event channel, features), the close handshake, and the watcher fiber that follows the
 * backend's state after connecting: it takes a broken or closed connection down and reconnects
 * when the backend offers InitWait again, bounded and rate-limited (see blkfront.h).
 */
#include "xen/blkfront_private.h"
#include "lib/errno.h"
#include "lib/list.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/platform.h"
#include "sched/sched.h"
#include "xen/grants.h"
#include "xen/optional.h"

#include <xen/io/protocols.h>

#define CONNECT_TIMEOUT_NS (30 * BLKFRONT_SECOND)
#define CLOSE_TIMEOUT_NS (5 * BLKFRONT_SECOND)
#define WATCH_POLL_NS (1 * BLKFRONT_SECOND)
#define QUIESCE_POLL_NS (BLKFRONT_SECOND / 1000)

/* ---- grants for the core ---- */

static long grant_page(void *ctx, const void *page, bool readonly)
{
    struct blkfront *f = ctx;
    return xen_grant_access(f->fe.xb.backend_id, page, readonly);
}

static int end_grant(void *ctx, uint32_t ref)
{
    (void)ctx;
    return xen_grant_end(ref);
}

static int end_free_page(void *ctx, uint32_t ref, void *page)
{
    (void)ctx;
    return xen_grant_end_free(ref, page, 0);
}

static void request_done(void *ctx, struct blk_request *req, int status)
{
    struct blkfront *f = ctx;
    blkdev_complete(&f->dev, req, status);
}

/* ---- connecting ---- */

static unsigned long backend_uint(struct blkfront *f, const char *node, unsigned long absent)
{
    return xenbus_frontend_key(&f->fe, node, absent);
}

/* Grants the ring pages and the event channel and publishes them. */
static int publish_ring(struct blkfront *f)
{
    unsigned pages = 1u << f->ring_order;
    f->sring = page_alloc(f->ring_order);
    if (!f->sring)
        return -ENOMEM;
    memset(f->sring, 0, BLKFRONT_PAGE_SIZE * pages);
    /* The backend may map the ring as soon as it is published: it must read as empty. */
    SHARED_RING_INIT((struct blkif_sring *)f->sring);
    for (unsigned i = 0; i < pages; i++) {
        long ref = xen_grant_access(f->fe.xb.backend_id,
                                    (uint8_t *)f->sring + i * BLKFRONT_PAGE_SIZE, false);
        if (ref < 0)
            return (int)ref;
        f->ring_refs[f->ring_granted++] = (uint32_t)ref;
    }
    int rc = xen_event_alloc_unbound(&f->ev, f->fe.xb.backend_id);
    if (rc)
        return rc;
    /* The nodes (blkif.h), as "node=value" lines written in order: one ring-ref for a
     * one-page ring, else ring-page-order and ring-ref0..N-1. */
    char kv[192];   /* the longest: order 2, four 10-digit refs and port: 168 */
    size_t at = f->ring_order == 0
                    ? ksnprintf(kv, sizeof(kv), "ring-ref=%u\n", f->ring_refs[0])
                    : ksnprintf(kv, sizeof(kv), "ring-page-order=%u\n", f->ring_order);
    for (unsigned i = 0; f->ring_order && i < pages; i++)
        at += ksnprintf(kv + at, sizeof(kv) - at, "ring-ref%u=%u\n", i, f->ring_refs[i]);
    ksnprintf(kv + at, sizeof(kv) - at,
              "event-channel=%u\nprotocol=" XEN_IO_PROTO_ABI_NATIVE "\nfeature-persistent=%c\n",
              f->ev.port, blkfront_current_options.persistent ? '1' : '0');
    for (char *node = kv; rc == 0 && *node;) {
        char *value = strchr(node, '=');
        char *end = strchr(value, '\n');
        *value++ = *end = '\0';
        rc = xenbus_write_frontend(&f->fe.xb, node, value);
        node = end + 1;
    }
    return rc;
}

/* What the connected backend announces, read in this order (a missing key is 0). */
static const char disk_keys[] = "sectors\0info\0feature-max-indirect-segments\0"
                                "feature-persistent\0feature-flush-cache\0feature-barrier\0"
                                "feature-discard\0";
enum { DISK_SECTORS, DISK_INFO, DISK_INDIRECT, DISK_PERSISTENT, DISK_FLUSH, DISK_BARRIER,
       DISK_DISCARD, DISK_KEYS };

/* Reads what the connected backend announces into features, capacity and mode. */
static int read_backend_disk(struct blkfront *f, struct blkfront_features *feat, bool *read_only,
                             uint64_t *capacity)
{
    unsigned long sector_size = backend_uint(f, "sector-size", BLKFRONT_WIRE_SECTOR);
    unsigned long disk[DISK_KEYS];
    xenbus_frontend_read_keys(&f->fe, disk_keys, disk);
    unsigned long sectors = disk[DISK_SECTORS];
    if (sector_size < BLKFRONT_WIRE_SECTOR || sector_size > BLKFRONT_PAGE_SIZE ||
        (sector_size & (sector_size - 1))) {
        log_error("blkfront", "%s: bad sector-size %lu", f->fe.name, sector_size);
        return -EINVAL;
    }
    /* Without feature-large-sector-size, "sectors" counts 512-byte units. */
    uint64_t per = sector_size / BLKFRONT_WIRE_SECTOR;
    if (sectors / per == 0) {
        log_error("blkfront", "%s: empty disk (%lu sectors)", f->fe.name, sectors);
        return -EINVAL;
    }
    if (sectors % per)
        log_warn("blkfront", "%s: last %lu 512-byte sectors ignored (sector size %lu)",
                 f->fe.name, (unsigned long)(sectors % per), sector_size);
    f->wire_sectors = sectors;
    *capacity = sectors / per;
    char mode[4] = "";
    xenbus_read_backend(&f->fe.xb, "mode", mode, sizeof(mode));
    bool backend_ro = mode[0] == 'r' || (disk[DISK_INFO] & VDISK_READONLY);
    if (blkfront_mode_allowed(xen_optionals, backend_ro) != 0) {
        log_error("blkfront", "%s: attached writable, but this image only reads disks "
                  "(APP_XEN_WITHOUT blkfront_write): attach it read-only", f->fe.name);
        f->fe.no_reconnect = true;
        return -EROFS;
    }
    bool writes = xen_has(xen_optionals, XEN_OPTIONAL_BLKFRONT_WRITE);
    if (backend_ro && !*read_only)
        log_info("blkfront", "%s: read-only by the backend (mode \"%s\")", f->fe.name, mode);
    *read_only |= backend_ro;

    const struct blkfront_options *o = &blkfront_current_options;
    unsigned long indirect = o->indirect ? disk[DISK_INDIRECT] : 0;
    *feat = (struct blkfront_features){
        .sector_size = (uint32_t)sector_size,
        .max_segments = BLKIF_MAX_SEGMENTS_PER_REQUEST,
        .persistent = o->persistent && disk[DISK_PERSISTENT] == 1,
        .flush_cache = writes && disk[DISK_FLUSH] == 1,
        .barrier = writes && disk[DISK_BARRIER] == 1,
        .discard = writes && disk[DISK_DISCARD] == 1 && !*read_only,
        .max_grants = BLKFRONT_DEFAULT_MAX_GRANTS,
        .timeout_ns = f->timeout_ns,
    };
    if (indirect > BLKIF_MAX_SEGMENTS_PER_REQUEST)
        feat->max_segments = indirect < BLKFRONT_SEGMENTS_WANTED ? (uint32_t)indirect
                                                                 : BLKFRONT_SEGMENTS_WANTED;
    return 0;
}

static void name_device(struct blkfront *f, char *name, size_t cap)
{
    char dev[BLKDEV_NAME_MAX];
    if (xenbus_read_backend(&f->fe.xb, "dev", dev, sizeof(dev)) > 0)
        kstrlcpy(name, dev, cap);
    else
        ksnprintf(name, cap, "vbd%s", f->fe.xb.id);
}

/* A reconnection must offer the disk the layer already describes. */
static int same_disk(struct blkfront *f, const struct blkfront_features *feat, bool read_only,
                     uint64_t capacity)
{
    if (feat->sector_size == f->dev.sector_size && capacity == f->dev.capacity &&
        read_only == f->dev.read_only)
        return 0;
    log_error("blkfront", "%s: backend now has another disk (%llu sectors of %u B%s); "
              "staying down", f->dev.name, (unsigned long long)capacity,
              feat->sector_size, read_only ? ", read-only" : "");
    f->fe.no_reconnect = true;
    return -ENODEV;
}

static int setup_device(struct blkfront *f, const struct blkfront_features *feat, bool read_only,
                        uint64_t capacity)
{
    if (f->dev_ready) {
        /* The layer hands out at most what this connection's core takes. */
        f->dev.max_in_flight = f->core.max_in_flight;
        f->dev.max_segments = feat->max_segments;
        return 0;
    }
    uint32_t caps = (feat->flush_cache || feat->barrier ? BLKDEV_CAP_FLUSH : 0) |
                    (feat->barrier ? BLKDEV_CAP_BARRIER : 0) |
                    (feat->discard ? BLKDEV_CAP_DISCARD : 0);
    char name[BLKDEV_NAME_MAX];
    name_device(f, name, sizeof(name));
    int rc = blkdev_init(&f->dev, &blkfront_ops, name, feat->sector_size, capacity, read_only,
                         caps, f->core.max_in_flight, feat->max_segments, f);
    f->dev_ready = rc == 0;
    if (rc == 0)
        kstrlcpy(f->fe.name, f->dev.name, sizeof(f->fe.name));   /* "xvda" in log lines */
    return rc;
}

int blkfront_connect(struct blkfront *f)
{
    uint64_t deadline = platform_monotonic_ns() + CONNECT_TIMEOUT_NS;
    int rc = xenbus_frontend_await_backend(&f->fe, deadline);
    if (rc)
        return rc;
    unsigned long order = backend_uint(f, "max-ring-page-order", 0);
    unsigned max_order = blkfront_current_options.max_ring_order;
    f->ring_order = order < max_order ? (unsigned)order : max_order;
    rc = publish_ring(f);
    if (rc) {
        log_error("blkfront", "%s: cannot publish the ring: %s", f->fe.name, error_name(rc));
        return rc;
    }
    rc = xenbus_frontend_handshake(&f->fe, XenbusStateInitialised, deadline);
    if (rc)
        return rc;
    struct blkfront_features feat;
    uint64_t capacity;
    bool read_only = f->read_only_wanted;
    rc = read_backend_disk(f, &feat, &read_only, &capacity);
    if (rc == 0 && f->dev_ready)
        rc = same_disk(f, &feat, read_only, capacity);
    if (rc)
        return rc;
    struct blkfront_grant_ops gops = { .grant = grant_page, .end = end_grant,
                                       .end_free = end_free_page, .ctx = f };
    uint32_t handle = 0;
    if (parse_u32(f->fe.xb.id, strlen(f->fe.xb.id), 10, &handle) != 0 || handle > UINT16_MAX) {
        log_warn("blkfront", "%s: id is not a device number; handle 0", f->fe.name);
        handle = 0;
    }
    rc = blkfront_core_init(&f->core, f->sring, f->ring_order, &feat, (uint16_t)handle, &gops,
                            request_done, f);
    if (rc) {
        log_error("blkfront", "%s: ring set-up failed: %s", f->fe.name, error_name(rc));
        return rc;
    }
    rc = setup_device(f, &feat, read_only, capacity);
    if (rc == 0)
        rc = blkfront_service_start(f);
    if (rc == 0)
        rc = xenbus_switch_state(&f->fe.xb, XenbusStateConnected);
    if (rc)
        return rc;
    f->connected = true;
    f->totals.connections++;
    log_info("blkfront", "%s (vbd %s, dom%u): %llu sectors of %u B%s, ring %u pages, %u slots, "
             "%u in flight, %u segments%s%s%s%s%s, timeout %llu s",
             f->dev.name, f->fe.xb.id, f->fe.xb.backend_id, (unsigned long long)capacity,
             feat.sector_size, read_only ? ", read-only" : "", 1u << f->ring_order,
             f->core.nr_slots, f->core.max_in_flight, feat.max_segments,
             feat.max_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST ? " (indirect)" : "",
             feat.persistent ? ", persistent" : "", feat.flush_cache ? ", flush" : "",
             feat.barrier ? ", barrier" : "", feat.discard ? ", discard" : "",
             (unsigned long long)(f->timeout_ns / BLKFRONT_SECOND));
    return 0;
}

/* ---- disconnecting ---- */

/* Ends the ring's grants under the grant-lifetime rule. A 1-page ring (or a ring with only one
 * page still mapped) goes to the quarantine with that page's grant; a multi-page ring the
 * backend keeps several pages of cannot be tracked by one grant and is kept for good. */
static void end_ring_grants(struct blkfront *f)
{
    unsigned busy = 0;
    uint32_t busy_ref = 0;
    for (unsigned i = 0; i < f->ring_granted; i++) {
        if (xen_grant_end(f->ring_refs[i]) != 0) {
            busy++;
            busy_ref = f->ring_refs[i];
        }
    }
    if (f->sring && busy == 0)
        page_free(f->sring, f->ring_order);
    else if (f->sring && busy == 1)
        xen_grant_end_free(busy_ref, f->sring, f->ring_order);
    else if (f->sring)
        log_error("blkfront", "%s: %u ring pages still mapped: kept for good", f->fe.name,
                  busy);
    f->ring_granted = 0;
    f->sring = NULL;
}

/* Tells the backend we are going and waits (bounded) for it to let go of our pages. */
static void close_handshake(struct blkfront *f)
{
    enum xenbus_state s = xenbus_frontend_close(&f->fe, CLOSE_TIMEOUT_NS);
    log_info("blkfront", "%s: closed (backend %s)", f->fe.name, xenbus_state_name(s));
}

static void add_totals(struct blkfront *f)
{
    blkfront_totals_of(f, &f->totals);
    memset(&f->core.stats, 0, sizeof(f->core.stats));
}

/* Stops the service fiber, tears the core down and gives the ring back. */
static void release_connection(struct blkfront *f)
{
    f->service_stop = true;
    xen_event_close(&f->ev);
    waitq_wake_all(&f->ev.waiters);   /* also when a resume already unbound the port */
    if (f->service)
        fiber_join(f->service);
    f->service = NULL;
    blkfront_core_teardown(&f->core);
    add_totals(f);
    end_ring_grants(f);
    /* The backend has closed: pages it unmapped just now can leave the quarantine at once. */
    xen_grants_retry_quarantine();
    xen_event_init(&f->ev, NULL, NULL);
}

void blkfront_drop_connection(struct blkfront *f, const char *reason)
{
    bool was_connected = f->connected;
    f->connected = false;
    /* Requests in flight fail now; their pages stay where the backend can see them until the
     * close handshake, then go back under the grant-lifetime rule. */
    if (f->core.in_flight)
        blkfront_core_disconnect(&f->core, reason);
    if (f->ring_granted)
        close_handshake(f);
    else
        xenbus_switch_state(&f->fe.xb, XenbusStateClosed);
    release_connection(f);
    if (was_connected)
        log_info("blkfront", "%s: disconnected (%s)", f->dev.name, reason);
}

/* ---- suspend and resume (xen/suspend.h) ---- */

bool blkfront_quiesce(struct blkfront *f, uint64_t deadline_ns)
{
    bool waited = false;
    while (f->connected && f->core.in_flight && platform_monotonic_ns() < deadline_ns) {
        waited = true;
        fiber_sleep_ns(QUIESCE_POLL_NS);
    }
    return waited;
}

void blkfront_resume(struct blkfront *f)
{
    if (f->fe.stopping)
        return;
    f->fe.resuming = true;
    f->connected = false;
    /* Quiescing let every request finish; one still out (the quiesce ran out of time) was
     * never acknowledged and fails now rather than being lost silently. */
    if (f->core.in_flight)
        blkfront_core_disconnect(&f->core, "in flight at the suspend");
    /* The old backend went with the old domain; the new grant table is empty, so the ring's
     * grants end at once and nothing waits for a handshake. */
    release_connection(f);
    int rc = xenbus_frontend_follow(&f->fe);
    if (rc == 0 && !f->fe.no_reconnect)
        rc = blkfront_connect(f);
    if (rc == 0) {
        log_info("blkfront", "%s: reconnected after the resume", f->dev.name);
    } else {
        log_error("blkfront", "%s: resume: no connection: %s", f->dev.name,
                  error_name(rc));
        blkfront_drop_connection(f, "no connection after a resume");
    }
    f->fe.resuming = false;
}

/* ---- the watcher ---- */

static bool untrusted(const struct blkfront *f)
{
    const struct blkfront_break_counts *b = &f->core.stats.breaks;
    return b->bad_producer || b->bad_response || b->kept_grant;
}

/* The backend is back (InitWait): reconnect within the limits. */
static void reconnect(struct blkfront *f)
{
    if (f->reconnects >= BLKFRONT_MAX_RECONNECTS ||
        f->totals.grants_quarantined >= BLKFRONT_DEFAULT_MAX_GRANTS) {
        log_error("blkfront", "%s: staying down (%u reconnections, %llu pages held by the "
                  "backend)", f->dev.name, f->reconnects,
                  (unsigned long long)f->totals.grants_quarantined);
        f->fe.no_reconnect = true;
        return;
    }
    uint64_t now = platform_monotonic_ns();
    if (now < f->next_reconnect_ns)
        fiber_sleep_until(f->next_reconnect_ns);
    if (f->fe.stopping)
        return;
    f->reconnects++;
    f->totals.reconnects++;
    f->next_reconnect_ns = platform_monotonic_ns() + BLKFRONT_RECONNECT_INTERVAL_NS;
    log_info("blkfront", "%s: backend back; reconnecting", f->dev.name);
    int rc = blkfront_connect(f);
    if (rc == 0) {
        log_info("blkfront", "%s: reconnected", f->dev.name);
        return;
    }
    log_error("blkfront", "%s: reconnection failed: %s", f->dev.name, error_name(rc));
    blkfront_drop_connection(f, "reconnection failed");
}

static struct blkfront *of(struct xenbus_frontend *fe)
{
    return container_of(fe, struct blkfront, fe);
}

static bool connected(struct xenbus_frontend *fe)
{
    return of(fe)->connected;
}

/* A connection the core found broken goes down; after a protocol violation for good. */
static bool check(struct xenbus_frontend *fe, bool changed)
{
    (void)changed;   /* the state is read on every poll */
    struct blkfront *f = of(fe);
    const char *why;
    if (!f->connected || !blkfront_core_broken(&f->core, &why))
        return false;
    char reason[sizeof(f->core.broken_reason)];
    kstrlcpy(reason, why, sizeof(reason));
    if (untrusted(f)) {
        fe->no_reconnect = true;
        log_error("blkfront", "%s: protocol broken; staying down", f->dev.name);
    }
    blkfront_drop_connection(f, reason);
    if (!fe->no_reconnect && xenbus_frontend_online(fe))
        xenbus_switch_state(&fe->xb, XenbusStateInitialising);
    return true;
}

static void drop(struct xenbus_frontend *fe, const char *why)
{
    blkfront_drop_connection(of(fe), why);
}

static void reconnect_fe(struct xenbus_frontend *fe)
{
    reconnect(of(fe));
}

static const struct xenbus_frontend_ops frontend_ops = {
    .up = connected, .check = check, .drop = drop, .reconnect = reconnect_fe,
};

void blkfront_frontend_init(struct blkfront *f)
{
    f->fe.ops = &frontend_ops;
    f->fe.log = "blkfront";
    f->fe.poll_ns = WATCH_POLL_NS;
    ksnprintf(f->fe.name, sizeof(f->fe.name), "vbd%s", f->fe.xb.id);
}
