/*
 * xen/blkfront: the blkdev operations, the service fiber that takes responses and enforces
 * deadlines, the device's counters, and opening (see blkfront.h). Everything that looks at the
 * ring's contents is in blkfront_core.c; the xenbus side in blkfront_xenbus.c.
 */
#include "xen/blkfront_private.h"
#include "kernel/options.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/platform.h"
#include "sched/sched.h"
#include "xen/grants.h"
#include "xen/optional.h"
#include "xen/xen.h"

#define MAX_VBDS 16

struct blkfront_options blkfront_current_options = {
    .persistent = true, .indirect = true, .max_ring_order = BLKFRONT_MAX_RING_ORDER,
};

void blkfront_set_options(const struct blkfront_options *opts)
{
    blkfront_current_options = *opts;
    if (blkfront_current_options.max_ring_order > BLKFRONT_MAX_RING_ORDER)
        blkfront_current_options.max_ring_order = BLKFRONT_MAX_RING_ORDER;
}

/* ---- the service fiber ---- */

/* Once per connection: the core broke (bad response, kept grant, deadline, failed notify).
 * Closing tells the backend; the watcher takes the connection down. */
static void report_break(struct blkfront *f)
{
    const char *why;
    if (f->break_reported || !blkfront_core_broken(&f->core, &why))
        return;
    f->break_reported = true;
    log_error("blkfront", "%s: disconnected: %s; requests fail until it reconnects",
              f->dev.name, why);
    xenbus_switch_state(&f->fe.xb, XenbusStateClosing);
}

static int service_main(void *arg)
{
    struct blkfront *f = arg;
    uint64_t seen = f->ev.count;
    while (!f->service_stop) {
        blkfront_core_poll(&f->core);
        uint64_t now = platform_monotonic_ns();
        blkfront_core_expire(&f->core, now);
        report_break(f);
        /* Wake at the earliest deadline; when idle, once per timeout so that a request
         * submitted meanwhile is looked at by its deadline. */
        uint64_t wake = blkfront_core_next_deadline(&f->core);
        if (wake == UINT64_MAX && !blkfront_core_broken(&f->core, NULL))
            wake = now + f->timeout_ns;
        if (xen_event_wait(&f->ev, &seen, wake) == -EPIPE)
            break;
    }
    return 0;
}

int blkfront_service_start(struct blkfront *f)
{
    f->service_stop = false;
    f->break_reported = false;
    f->service = fiber_spawn("blkfront", service_main, f, 0);
    return f->service ? 0 : -ENOMEM;
}

/* ---- blkdev operations ---- */

static int blkfront_submit(struct blkdev *dev, struct blk_request *req)
{
    struct blkfront *f = dev->priv;
    int rc = blkfront_core_submit(&f->core, req);
    if (rc)
        return rc;
    /* A failed notify breaks the core; the watcher takes the connection down (submit may run
     * in loop context, where xenstore cannot be used). */
    if (blkfront_core_push(&f->core) && xen_event_notify(&f->ev) != 0)
        blkfront_core_disconnect(&f->core, "cannot notify the backend");
    return 0;
}

void blkfront_totals_of(const struct blkfront *f, struct blkfront_totals *out)
{
    const struct blkfront_core_stats *s = &f->core.stats;
    if (out != &f->totals)
        *out = f->totals;
    out->requests += s->requests;
    out->responses += s->responses;
    out->errors += s->errors;
    out->bad_responses += s->bad_responses;
    out->timeouts += s->timeouts;
    out->grants_quarantined += s->grants_quarantined;
#define BLKFRONT_BREAK_ADD(name) out->breaks.name += s->breaks.name;
    BLKFRONT_BREAKS(BLKFRONT_BREAK_ADD)
#undef BLKFRONT_BREAK_ADD
}

void blkfront_print_stats(const struct blkdev *dev)
{
    if (!dev || dev->ops != &blkfront_ops)
        return;
    const struct blkfront *f = dev->priv;
    struct blkfront_totals t;
    blkfront_totals_of(f, &t);
    struct xen_grant_stats g;
    xen_grants_get_stats(&g);
    kprintf("%s: blkfront requests %llu responses %llu errors %llu timeouts %llu "
            "bad_responses %llu connections %u reconnects %u\n", dev->name,
            (unsigned long long)t.requests, (unsigned long long)t.responses,
            (unsigned long long)t.errors, (unsigned long long)t.timeouts,
            (unsigned long long)t.bad_responses, t.connections, t.reconnects);
#define BLKFRONT_BREAK_PRINT(name) " " #name " %u"
#define BLKFRONT_BREAK_ARG(name) , t.breaks.name
    kprintf("%s: blkfront breaks" BLKFRONT_BREAKS(BLKFRONT_BREAK_PRINT) "\n",
            dev->name BLKFRONT_BREAKS(BLKFRONT_BREAK_ARG));
#undef BLKFRONT_BREAK_PRINT
#undef BLKFRONT_BREAK_ARG
    kprintf("%s: blkfront grants.quarantined %llu (domain: %u pages, %llu B held)\n",
            dev->name, (unsigned long long)t.grants_quarantined, g.quarantined,
            (unsigned long long)g.quarantined_bytes);
}

static void blkfront_destroy(struct blkdev *dev)
{
    struct blkfront *f = dev->priv;
    f->fe.stopping = true;
    xen_suspend_unregister(&f->suspend_hook);
    xenbus_frontend_watch_stop(&f->fe);
    blkfront_drop_connection(f, "the device is closed");
    log_info("blkfront", "%s: service stopped", dev->name);
    blkfront_print_stats(dev);
    if (f->totals.grants_quarantined)
        log_warn("blkfront", "%s: %llu pages still mapped by the backend (quarantined)",
                 dev->name, (unsigned long long)f->totals.grants_quarantined);
    kfree(f);
}

const struct blkdev_ops blkfront_ops = {
    .submit = blkfront_submit,
    .destroy = blkfront_destroy,
};

bool blkfront_get_info(const struct blkdev *dev, struct blkfront_info *out)
{
    if (!dev || dev->ops != &blkfront_ops)
        return false;
    const struct blkfront *f = dev->priv;
    memset(out, 0, sizeof(*out));
    kstrlcpy(out->vbd, f->fe.xb.id, sizeof(out->vbd));
    out->backend_id = f->fe.xb.backend_id;
    out->ring_order = f->ring_order;
    out->ring_slots = f->core.nr_slots;
    out->features = f->core.feat;
    out->read_only = dev->read_only;
    out->wire_sectors = f->wire_sectors;
    out->stats = f->core.stats;
    blkfront_totals_of(f, &out->totals);
    out->broken = !f->connected || blkfront_core_broken(&f->core, NULL);
    return true;
}

/* ---- suspend and resume (xen/suspend.h) ---- */

static bool suspend_quiesce(void *arg, uint64_t deadline_ns)
{
    return blkfront_quiesce(arg, deadline_ns);
}

/* A cancelled suspend keeps the same backend and ring. */
static void suspend_resume(void *arg, bool cancelled)
{
    if (!cancelled)
        blkfront_resume(arg);
}

/* ---- opening ---- */

struct blkdev *blkfront_open(const char *vbd, bool read_only)
{
    struct blkfront *f = kcalloc(1, sizeof(*f));
    if (!f) {
        log_error("blkfront", "vbd %s: no memory", vbd);
        return NULL;
    }
    xen_event_init(&f->ev, NULL, NULL);
    f->read_only_wanted = read_only;
    f->timeout_ns = (uint64_t)kernel_options()->blk_timeout_s * BLKFRONT_SECOND;
    int rc = xenbus_device_open(&f->fe.xb, "vbd", vbd);
    if (rc) {
        log_error("blkfront", "vbd %s: no backend nodes: %s", vbd, error_name(rc));
        kfree(f);
        return NULL;
    }
    blkfront_frontend_init(f);
    rc = blkfront_connect(f);
    if (rc == 0) {
        rc = xenbus_frontend_watch_start(&f->fe, "blkfront-watch");
        if (rc)
            log_error("blkfront", "%s: cannot watch the backend: %s", f->dev.name,
                      error_name(rc));
    }
    if (rc == 0) {
        if (xen_has(xen_optionals, XEN_OPTIONAL_SUSPEND)) {
            f->suspend_hook = (struct xen_suspend_hook){ .name = f->dev.name,
                                                         .quiesce = suspend_quiesce,
                                                         .resume = suspend_resume, .arg = f };
            xen_suspend_register(&f->suspend_hook);
        }
        return &f->dev;
    }
    f->fe.stopping = true;
    blkfront_drop_connection(f, "the device could not be set up");
    kfree(f);
    return NULL;
}

static uint64_t device_number(const char *id)
{
    uint64_t v;
    return parse_u64(id, strlen(id), 10, &v) == 0 ? v : UINT64_MAX;
}

struct blkdev *xen_blkfront_open_index(unsigned index, bool read_only)
{
    if (!xen_present() || !xenstore_ready()) {
        log_error("blkfront", "no vbd: not on Xen");
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
        log_error("blkfront", "no vbd %u (the domain has %d)", index, n);
        return NULL;
    }
    return blkfront_open(ids[index], read_only);
}
