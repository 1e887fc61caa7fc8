/*
 * xen/blkfront: the xenbus handshake, the shared ring's pages and event channel, the service
 * fiber that takes responses, and the blkdev operations (see blkfront.h). Everything that looks
 * at the ring's contents is in blkfront_core.c.
 */
#include "xen/blkfront.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/platform.h"
#include "sched/sched.h"
#include "xen/events.h"
#include "xen/grants.h"
#include "xen/xen.h"
#include "xen/xenbus_client.h"
#include "xen/xenstore.h"

#include <xen/io/protocols.h>

#define SECOND 1000000000ull
#define CONNECT_TIMEOUT_NS (30 * SECOND)
#define CLOSE_TIMEOUT_NS (5 * SECOND)
#define MAX_VBDS 16

struct blkfront {
    struct blkdev dev;
    struct xenbus_device xb;
    struct blkfront_core core;
    struct xen_event ev;
    void *sring;
    unsigned ring_order;
    uint32_t ring_refs[1u << BLKFRONT_MAX_RING_ORDER];
    unsigned ring_granted;
    uint64_t wire_sectors;
    struct fiber *service;
    bool stopping;
    bool disconnect_reported;
};

static struct blkfront_options options = {
    .persistent = true, .indirect = true, .max_ring_order = BLKFRONT_MAX_RING_ORDER,
};

void blkfront_set_options(const struct blkfront_options *opts)
{
    options = *opts;
    if (options.max_ring_order > BLKFRONT_MAX_RING_ORDER)
        options.max_ring_order = BLKFRONT_MAX_RING_ORDER;
}

/* ---- grants for the core ---- */

static long grant_page(void *ctx, const void *page, bool readonly)
{
    struct blkfront *f = ctx;
    return xen_grant_access(f->xb.backend_id, page, readonly);
}

static int end_grant(void *ctx, uint32_t ref)
{
    return xen_grant_end(ref);
}

static void request_done(void *ctx, struct blk_request *req, int status)
{
    struct blkfront *f = ctx;
    blkdev_complete(&f->dev, req, status);
}

/* ---- the service fiber ---- */

static void report_disconnect(struct blkfront *f)
{
    const char *why;
    if (f->disconnect_reported || !blkfront_core_broken(&f->core, &why))
        return;
    f->disconnect_reported = true;
    log_error("blkfront", "%s: disconnected: %s; every request now fails with EIO", f->dev.name,
              why);
    xenbus_switch_state(&f->xb, XenbusStateClosing);
}

static int service_main(void *arg)
{
    struct blkfront *f = arg;
    uint64_t seen = f->ev.count;
    while (!f->stopping) {
        blkfront_core_poll(&f->core);
        report_disconnect(f);
        if (xen_event_wait(&f->ev, &seen, DEADLINE_NONE) == -EPIPE)
            break;
    }
    return 0;
}

/* ---- blkdev operations ---- */

static int blkfront_submit(struct blkdev *dev, struct blk_request *req)
{
    struct blkfront *f = dev->priv;
    int rc = blkfront_core_submit(&f->core, req);
    if (rc)
        return rc;
    if (blkfront_core_push(&f->core) && xen_event_notify(&f->ev) != 0)
        blkfront_core_disconnect(&f->core, "cannot notify the backend");
    return 0;
}

static void end_ring_grants(struct blkfront *f)
{
    bool kept = false;
    for (unsigned i = 0; i < f->ring_granted; i++)
        kept |= xen_grant_end(f->ring_refs[i]) != 0;
    f->ring_granted = 0;
    if (kept)
        log_error("blkfront", "vbd %s: the backend still maps the ring; its pages are leaked",
                  f->xb.id);
    else if (f->sring)
        page_free(f->sring, f->ring_order);
    f->sring = NULL;
}

/* Tells the backend we are going and waits (bounded) for it to let go of our pages. */
static void close_handshake(struct blkfront *f)
{
    enum xenbus_state state = XenbusStateUnknown;
    uint64_t deadline = platform_monotonic_ns() + CLOSE_TIMEOUT_NS;
    int rc = xenbus_switch_state(&f->xb, XenbusStateClosing);
    if (rc == 0)
        rc = xenbus_wait_backend_state(&f->xb, XENBUS_STATE_BIT(XenbusStateClosing) |
                                                   XENBUS_STATE_BIT(XenbusStateClosed),
                                       deadline, &state);
    log_info("blkfront", "vbd %s: closing (%s, backend %s)", f->xb.id, error_name(rc),
             xenbus_state_name(state));
    rc = xenbus_switch_state(&f->xb, XenbusStateClosed);
    if (rc == 0)
        rc = xenbus_wait_backend_state(&f->xb, XENBUS_STATE_BIT(XenbusStateClosed) |
                                                   XENBUS_STATE_BIT(XenbusStateInitWait),
                                       deadline, &state);
    log_info("blkfront", "vbd %s: closed (%s, backend %s)", f->xb.id, error_name(rc),
             xenbus_state_name(state));
}

static void blkfront_destroy(struct blkdev *dev)
{
    struct blkfront *f = dev->priv;
    f->stopping = true;
    close_handshake(f);
    xen_event_close(&f->ev);
    if (f->service)
        fiber_join(f->service);
    log_info("blkfront", "%s: service stopped", dev->name);
    uint64_t leaked = blkfront_core_teardown(&f->core);
    if (leaked)
        log_error("blkfront", "%s: %llu grants kept by the backend were never reused", dev->name,
                  (unsigned long long)leaked);
    end_ring_grants(f);
    kfree(f);
}

static const struct blkdev_ops blkfront_ops = {
    .submit = blkfront_submit,
    .destroy = blkfront_destroy,
};

bool blkfront_get_info(const struct blkdev *dev, struct blkfront_info *out)
{
    if (!dev || dev->ops != &blkfront_ops)
        return false;
    const struct blkfront *f = dev->priv;
    memset(out, 0, sizeof(*out));
    kstrlcpy(out->vbd, f->xb.id, sizeof(out->vbd));
    out->backend_id = f->xb.backend_id;
    out->ring_order = f->ring_order;
    out->ring_slots = f->core.nr_slots;
    out->features = f->core.feat;
    out->read_only = dev->read_only;
    out->wire_sectors = f->wire_sectors;
    out->stats = f->core.stats;
    out->broken = blkfront_core_broken(&f->core, NULL);
    return true;
}

/* ---- connecting ---- */

static unsigned long backend_uint(struct blkfront *f, const char *node, unsigned long absent)
{
    char buf[32];
    unsigned long v;
    if (xenbus_read_backend(&f->xb, node, buf, sizeof(buf)) < 0)
        return absent;
    if (xenbus_read_backend_uint(&f->xb, node, &v) < 0) {
        log_warn("blkfront", "vbd %s: backend node %s holds \"%s\", not a number; ignored",
                 f->xb.id, node, buf);
        return absent;
    }
    return v;
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
        long ref = xen_grant_access(f->xb.backend_id,
                                    (uint8_t *)f->sring + i * BLKFRONT_PAGE_SIZE, false);
        if (ref < 0)
            return (int)ref;
        f->ring_refs[f->ring_granted++] = (uint32_t)ref;
    }
    int rc = xen_event_alloc_unbound(&f->ev, f->xb.backend_id);
    if (rc)
        return rc;
    char node[24], value[24];
    if (f->ring_order == 0) {
        ksnprintf(value, sizeof(value), "%u", f->ring_refs[0]);
        rc = xenbus_write_frontend(&f->xb, "ring-ref", value);
    } else {
        ksnprintf(value, sizeof(value), "%u", f->ring_order);
        rc = xenbus_write_frontend(&f->xb, "ring-page-order", value);
        for (unsigned i = 0; rc == 0 && i < pages; i++) {
            ksnprintf(node, sizeof(node), "ring-ref%u", i);
            ksnprintf(value, sizeof(value), "%u", f->ring_refs[i]);
            rc = xenbus_write_frontend(&f->xb, node, value);
        }
    }
    ksnprintf(value, sizeof(value), "%u", f->ev.port);
    if (rc == 0)
        rc = xenbus_write_frontend(&f->xb, "event-channel", value);
    if (rc == 0)
        rc = xenbus_write_frontend(&f->xb, "protocol", XEN_IO_PROTO_ABI_NATIVE);
    if (rc == 0)
        rc = xenbus_write_frontend(&f->xb, "feature-persistent", options.persistent ? "1" : "0");
    return rc;
}

/* Reads what the connected backend announces into features, capacity and mode. */
static int read_backend_disk(struct blkfront *f, struct blkfront_features *feat, bool *read_only,
                             uint64_t *capacity)
{
    unsigned long sector_size = backend_uint(f, "sector-size", BLKFRONT_WIRE_SECTOR);
    unsigned long sectors = backend_uint(f, "sectors", 0);
    unsigned long info = backend_uint(f, "info", 0);
    if (sector_size < BLKFRONT_WIRE_SECTOR || sector_size > BLKFRONT_PAGE_SIZE ||
        (sector_size & (sector_size - 1))) {
        log_error("blkfront", "vbd %s: unusable sector-size %lu", f->xb.id, sector_size);
        return -EINVAL;
    }
    /* Without feature-large-sector-size, "sectors" counts 512-byte units. */
    uint64_t per = sector_size / BLKFRONT_WIRE_SECTOR;
    if (sectors / per == 0) {
        log_error("blkfront", "vbd %s: the backend announces an empty disk (%lu sectors)",
                  f->xb.id, sectors);
        return -EINVAL;
    }
    if (sectors % per)
        log_warn("blkfront", "vbd %s: ignoring %lu trailing 512-byte sectors (not a whole "
                 "%lu-byte sector)", f->xb.id, (unsigned long)(sectors % per), sector_size);
    f->wire_sectors = sectors;
    *capacity = sectors / per;
    char mode[4] = "";
    xenbus_read_backend(&f->xb, "mode", mode, sizeof(mode));
    bool backend_ro = mode[0] == 'r' || (info & VDISK_READONLY);
    if (backend_ro && !*read_only)
        log_info("blkfront", "vbd %s: the backend gives it read-only (mode \"%s\"); writes will "
                 "be refused", f->xb.id, mode);
    *read_only |= backend_ro;

    unsigned long indirect = options.indirect ?
        backend_uint(f, "feature-max-indirect-segments", 0) : 0;
    feat->sector_size = (uint32_t)sector_size;
    feat->max_segments = BLKIF_MAX_SEGMENTS_PER_REQUEST;
    if (indirect > BLKIF_MAX_SEGMENTS_PER_REQUEST)
        feat->max_segments = indirect < BLKFRONT_MAX_INDIRECT_SEGMENTS ?
            (uint32_t)indirect : BLKFRONT_MAX_INDIRECT_SEGMENTS;
    feat->persistent = options.persistent && backend_uint(f, "feature-persistent", 0) == 1;
    feat->flush_cache = backend_uint(f, "feature-flush-cache", 0) == 1;
    feat->barrier = backend_uint(f, "feature-barrier", 0) == 1;
    feat->discard = backend_uint(f, "feature-discard", 0) == 1 && !*read_only;
    return 0;
}

static void name_device(struct blkfront *f, char *name, size_t cap)
{
    char dev[BLKDEV_NAME_MAX];
    if (xenbus_read_backend(&f->xb, "dev", dev, sizeof(dev)) > 0)
        kstrlcpy(name, dev, cap);
    else
        ksnprintf(name, cap, "vbd%s", f->xb.id);
}

static int connect_backend(struct blkfront *f, bool read_only)
{
    enum xenbus_state state;
    uint64_t deadline = platform_monotonic_ns() + CONNECT_TIMEOUT_NS;
    int rc = xenbus_wait_backend_state(&f->xb, XENBUS_STATE_BIT(XenbusStateInitWait) |
                                                   XENBUS_STATE_BIT(XenbusStateConnected),
                                       deadline, &state);
    if (rc) {
        log_error("blkfront", "vbd %s: the backend did not get ready (state %s): %s", f->xb.id,
                  xenbus_state_name(state), error_name(rc));
        return rc;
    }
    unsigned long order = backend_uint(f, "max-ring-page-order", 0);
    f->ring_order = order < options.max_ring_order ? (unsigned)order : options.max_ring_order;
    rc = publish_ring(f);
    if (rc == 0)
        rc = xenbus_switch_state(&f->xb, XenbusStateInitialised);
    if (rc) {
        log_error("blkfront", "vbd %s: cannot publish the ring: %s", f->xb.id, error_name(rc));
        return rc;
    }
    rc = xenbus_wait_backend_state(&f->xb, XENBUS_STATE_BIT(XenbusStateConnected) |
                                               XENBUS_STATE_BIT(XenbusStateClosing) |
                                               XENBUS_STATE_BIT(XenbusStateClosed),
                                   deadline, &state);
    if (rc || state != XenbusStateConnected) {
        log_error("blkfront", "vbd %s: the backend did not connect (state %s)", f->xb.id,
                  xenbus_state_name(state));
        return rc ? rc : -ECONNREFUSED;
    }
    struct blkfront_features feat;
    uint64_t capacity;
    rc = read_backend_disk(f, &feat, &read_only, &capacity);
    if (rc)
        return rc;
    struct blkfront_grant_ops gops = { .grant = grant_page, .end = end_grant, .ctx = f };
    uint32_t handle = 0;
    if (parse_u32(f->xb.id, strlen(f->xb.id), 10, &handle) != 0 || handle > UINT16_MAX) {
        log_warn("blkfront", "vbd %s: id is not a device number; requests carry handle 0",
                 f->xb.id);
        handle = 0;
    }
    rc = blkfront_core_init(&f->core, f->sring, f->ring_order, &feat, (uint16_t)handle, &gops,
                            request_done, f);
    if (rc) {
        log_error("blkfront", "vbd %s: cannot set up the ring: %s", f->xb.id, error_name(rc));
        return rc;
    }
    uint32_t caps = (feat.flush_cache || feat.barrier ? BLKDEV_CAP_FLUSH : 0) |
                    (feat.barrier ? BLKDEV_CAP_BARRIER : 0) |
                    (feat.discard ? BLKDEV_CAP_DISCARD : 0);
    char name[BLKDEV_NAME_MAX];
    name_device(f, name, sizeof(name));
    rc = blkdev_init(&f->dev, &blkfront_ops, name, feat.sector_size, capacity, read_only, caps,
                     f->core.nr_slots, feat.max_segments, f);
    if (rc)
        return rc;
    f->service = fiber_spawn("blkfront", service_main, f, 0);
    if (!f->service)
        return -ENOMEM;
    rc = xenbus_switch_state(&f->xb, XenbusStateConnected);
    if (rc)
        return rc;
    log_info("blkfront", "%s (vbd %s, backend dom%u): %llu sectors of %u bytes%s, ring %u pages "
             "(%u slots), %u segments per request%s%s%s%s%s", name, f->xb.id, f->xb.backend_id,
             (unsigned long long)capacity, feat.sector_size, read_only ? ", read-only" : "",
             1u << f->ring_order, f->core.nr_slots, feat.max_segments,
             feat.max_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST ? " (indirect)" : "",
             feat.persistent ? ", persistent grants" : "", feat.flush_cache ? ", flush" : "",
             feat.barrier ? ", barrier" : "", feat.discard ? ", discard" : "");
    return 0;
}

struct blkdev *blkfront_open(const char *vbd, bool read_only)
{
    struct blkfront *f = kcalloc(1, sizeof(*f));
    if (!f) {
        log_error("blkfront", "vbd %s: no memory", vbd);
        return NULL;
    }
    xen_event_init(&f->ev, NULL, NULL);
    int rc = xenbus_device_open(&f->xb, "vbd", vbd);
    if (rc) {
        log_error("blkfront", "vbd %s: cannot read its xenstore nodes: %s", vbd, error_name(rc));
        kfree(f);
        return NULL;
    }
    rc = connect_backend(f, read_only);
    if (rc == 0)
        return &f->dev;
    f->stopping = true;
    if (f->ring_granted)
        close_handshake(f);
    else
        xenbus_switch_state(&f->xb, XenbusStateClosed);
    xen_event_close(&f->ev);
    if (f->service)
        fiber_join(f->service);
    if (f->core.slots)
        blkfront_core_teardown(&f->core);
    end_ring_grants(f);
    kfree(f);
    return NULL;
}

static uint64_t device_number(const char *id)
{
    uint64_t v;
    return parse_u64(id, strlen(id), 10, &v) == 0 ? v : UINT64_MAX;
}

struct blkdev *platform_blkdev_open(unsigned index, bool read_only)
{
    if (!xen_present() || !xenstore_ready()) {
        log_error("blkfront", "no block device: not running on Xen");
        return NULL;
    }
    char names[MAX_VBDS * 12];
    const char *ids[MAX_VBDS];
    int n = xenbus_list_devices("vbd", names, sizeof(names), ids, MAX_VBDS);
    if (n == -ENOENT)
        n = 0;
    if (n < 0) {
        log_error("blkfront", "cannot list block devices: %s", error_name(n));
        return NULL;
    }
    /* Device numbers in numeric order: xvda (51712) before xvdb, whatever xenstore's order. */
    for (int i = 1; i < n; i++) {
        for (int j = i; j > 0 && device_number(ids[j]) < device_number(ids[j - 1]); j--) {
            const char *t = ids[j];
            ids[j] = ids[j - 1];
            ids[j - 1] = t;
        }
    }
    if (index >= (unsigned)n) {
        log_error("blkfront", "no block device %u (the domain has %d)", index, n);
        return NULL;
    }
    return blkfront_open(ids[index], read_only);
}
