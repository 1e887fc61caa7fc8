/*
 * xen/suspend: suspend and resume of the domain (suspend.h).
 */
#include "xen/suspend.h"
#include "xen/events.h"
#include "xen/grants.h"
#include "xen/hypercall.h"
#include "xen/physmap.h"
#include "xen/pvclock.h"
#include "xen/xen.h"
#include "xen/xenstore.h"
#include "kernel/kernel.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "platform/platform.h"

#include <xen/sched.h>

/* How long quiescing may take before the domain suspends anyway (libxl waits 60 s for the
 * guest to suspend once it acknowledged the request). */
#define QUIESCE_NS (10ull * 1000 * 1000 * 1000)

/* Weak: an image without grants (no devices) does not link them. */
#pragma weak xen_grants_resume

static struct xen_suspend_hook *hooks;

void xen_suspend_register(struct xen_suspend_hook *hook)
{
    hook->next = hooks;
    hooks = hook;
}

void xen_suspend_unregister(struct xen_suspend_hook *hook)
{
    for (struct xen_suspend_hook **p = &hooks; *p; p = &(*p)->next)
        if (*p == hook) {
            *p = hook->next;
            return;
        }
}

/* The new domain's Xen state, in dependency order; no output before the console is back. A
 * step that fails is reported once the console works. */
static const char *rebuild(int *err)
{
    if ((*err = xen_physmap_resume()) < 0)
        return "shared_info";
    if ((*err = xen_events_resume()) < 0)
        return "events";
    if ((*err = xen_pvclock_resume()) < 0)
        return "clock";
    if (xen_grants_resume && (*err = xen_grants_resume()) < 0)
        return "grants";
    if ((*err = xen_console_resume()) < 0)
        return "console";
    if ((*err = xenstore_resume_ring()) < 0)
        return "xenstore";
    if ((*err = xen_watchdog_resume()) < 0)
        return "watchdog";
    return NULL;
}

int xen_suspend_run(void)
{
    uint64_t deadline = platform_monotonic_ns() + QUIESCE_NS;
    /* Quiet means one pass in which nobody had to wait: a wait lets other fibers run, and
     * they may have put new requests in flight. */
    for (bool waited = true; waited;) {
        waited = false;
        for (struct xen_suspend_hook *h = hooks; h; h = h->next)
            if (h->quiesce && h->quiesce(h->arg, deadline))
                waited = true;
        int rc = xenstore_quiesce(deadline);
        if (rc > 0)
            waited = true;
        if (platform_monotonic_ns() >= deadline) {
            log_warn("xen", "devices still busy; suspending anyway");
            break;
        }
    }
    uint64_t uptime = platform_monotonic_ns(), wall_before = xen_wallclock_ns();
    log_info("xen", "suspending at uptime %llu ms", (unsigned long long)(uptime / 1000000));
    xen_console_drain();
    /* From here to the hypercall nothing yields: no fiber puts anything into a ring. Fibers
     * run with interrupts off, so no upcall runs on the way either. */
    struct sched_shutdown shutdown = { .reason = SHUTDOWN_suspend };
    long rc = xen_sched_op(SCHEDOP_shutdown, &shutdown);
    if (rc < 0) {
        log_error("xen", "suspend refused: %s", error_name((int)rc));
        return (int)rc;
    }
    bool cancelled = rc != 0;   /* 1: xc_domain_resume's fast path (the same domain) */
    const char *failed = NULL;
    int err = 0;
    if (!cancelled)
        failed = rebuild(&err);
    else if ((err = xen_pvclock_resume()) < 0)
        failed = "clock";   /* the same record: the pause is not counted here either */
    if (failed) {
        /* Without it the domain cannot go on sanely; crash so the toolstack sees it. */
        log_error("xen", "resume failed: %s: %s", failed, error_name(err));
        platform_shutdown(SHUTDOWN_CRASH);
    }
    if (cancelled) {
        log_info("xen", "suspend cancelled; uptime %llu ms continues",
                 (unsigned long long)(platform_monotonic_ns() / 1000000));
    } else {
        /* The wall clock is the new host's: the pause as well as the hosts agree on time. */
        uint64_t wall_after = xen_wallclock_ns();
        uint64_t pause = wall_after > wall_before ? wall_after - wall_before : 0;
        log_info("xen", "resumed after %llu ms; uptime %llu ms continues",
                 (unsigned long long)(pause / 1000000),
                 (unsigned long long)(platform_monotonic_ns() / 1000000));
        xenstore_resume_watches();   /* a watch it cannot register again is logged */
    }
    for (struct xen_suspend_hook *h = hooks; h; h = h->next)
        if (h->resume)
            h->resume(h->arg, cancelled);
    if (!cancelled)
        lifecycle_run_resume_hooks();   /* e.g. the network announces its addresses */
    return cancelled ? XEN_SUSPEND_CANCELLED : XEN_SUSPEND_RESUMED;
}
