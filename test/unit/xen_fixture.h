/*
 * test/unit/xen_fixture.h: what the Xen layer's unit tests (test_xen_*, test_blkfront*,
 * test_netfront*) set up the same way (header-only: each test_*.c is its own program): the
 * simulated machine they run on (clock, page allocator, scheduler) and the hypervisor's side of
 * an event channel (raising the event a fiber waits on). The program's main() is TEST_MAIN
 * (xenolith/test_main.h), as in every unit test program.
 */
#ifndef XENOLITH_TEST_UNIT_XEN_FIXTURE_H
#define XENOLITH_TEST_UNIT_XEN_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/mm.h"
#include "sched/sched.h"
#include "test/unit/sim/sim.h"
#include "xen/events.h"

#define XEN_FIXTURE_SEC 1000000000ull
#define XEN_FIXTURE_MS 1000000ull

/* The clock set to one second; pages and the scheduler made ready once per process (Check
 * runs each test in a fresh child). */
static inline void xen_fixture_boot(void)
{
    sim_start_kernel(XEN_FIXTURE_SEC);
}

/* Xen raises ev (as the backend's or the daemon's notification would): its count moves and
 * the fibers in xen_event_wait wake. */
static inline void xen_fixture_raise(struct xen_event *ev)
{
    ev->count++;
    waitq_wake_all(&ev->waiters);
}

#endif
