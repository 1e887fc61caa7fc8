/*
 * xen/pvclock: time on Xen. The monotonic clock runs on our TSC at the rate of vCPU 0's time
 * record in shared_info (xen/pvclock_clock.h says why not on the record's absolute time);
 * Xen's own time is known from samples of its clock taken after blocks; the wall clock is
 * shared_info's wall-clock base plus that estimate of Xen's time; one-shot
 * timers are armed with VCPUOP_set_singleshot_timer (set_timer_op if that is refused), their
 * deadlines converted to Xen's time from samples of Xen's own clock, and arrive as VIRQ_TIMER.
 * Until a fresh sample exists (at boot, and after Xen fired a deadline at once), blocks end
 * on a relative timer instead: see xen_pvclock_sync_wanted.
 * Never uses RDTSCP (the nested-SVM test bed cannot emulate it).
 */
#ifndef XENOLITH_XEN_PVCLOCK_H
#define XENOLITH_XEN_PVCLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "xen/pvclock_clock.h"

/* Stops the periodic timer Xen starts for vCPU 0 (idle must stay idle). Needs shared_info.
 * Returns 0 or a negative errno. */
int xen_pvclock_init(void);
bool xen_pvclock_ready(void);
/* After a resume in a new domain (xen/suspend.h): stops the new vCPU's periodic timer and
 * carries the monotonic clock on from where it stopped (pvclock_clock_resume); Xen's time is
 * learnt afresh. 0 or a negative errno. */
int xen_pvclock_resume(void);

/* Xen's system time in ns (since the host booted) as the time record alone says it, at this
 * moment (for diagnostics: the clock below is what to use). */
uint64_t xen_system_time_ns(void);
/* Monotonic ns since xen_pvclock_init (the kernel's clock on Xen); never goes backwards. */
uint64_t xen_monotonic_ns(void);
/* The system time the monotonic clock counts from. */
uint64_t xen_monotonic_origin(void);
/* Wall-clock ns since the Unix epoch (shared_info wc_* plus system time); 0 if Xen has none. */
uint64_t xen_wallclock_ns(void);
/* The TSC rate the time record implies (Hz). */
uint64_t xen_pvclock_tsc_hz(void);
/* How many reads had to retry because Xen was updating the record. */
uint64_t xen_pvclock_retries(void);

struct xen_pvclock_stats {
    struct pvclock_clock_stats clock;   /* records and their errors */
    uint64_t retries;                   /* record reads retried (Xen was updating it) */
    uint64_t timer_refusals;            /* deadlines Xen refused as already past */
    uint64_t samples;                   /* samples of Xen's clock after wake-ups */
    uint64_t early_fires;               /* timers Xen fired at once (deadline already past) */
    int64_t sample_offset_ns;           /* the last: Xen's time minus the record's estimate */
    uint64_t stale_wakes;               /* HLTs that returned without blocking (no sample) */
    uint64_t syncs;                     /* fresh samples that ended a sync (boot, early fires) */
};
void xen_pvclock_get_stats(struct xen_pvclock_stats *out);

/* Samples Xen's own clock (the runstate's state_entry_time, Xen's NOW() when the vCPU was
 * scheduled in) right after a HLT, for converting timer deadlines: the record's estimate
 * of Xen's time can be off by seconds here (its stamp need not match our TSC). Only a HLT
 * that really blocked (the runstate's blocked time grew) gives a sample: otherwise the
 * schedule-in can be long past. True when it took a sample. */
bool xen_pvclock_sample_after_wake(void);

/* Tells the clock that the timer just armed fired at once: Xen's time had passed it. */
void xen_pvclock_timer_fired_at_arm(void);

/* True while no fresh sample of Xen's clock is known (after boot; after a deadline Xen
 * fired at once): an absolute deadline converted to Xen's time may then be far off, so the
 * next block should end on a timer Xen counts from its own now (the LAPIC's, which Xen
 * emulates; Xen's periodic timer would not do: Xen stops it while the vCPU is blocked). */
bool xen_pvclock_sync_wanted(void);

/* Arms vCPU 0's one-shot timer for when the monotonic clock (xen_monotonic_ns) reads
 * deadline_ns, converted to Xen's time (from the last wake-up's sample, else the record);
 * the expiry is an event on VIRQ_TIMER. -ETIME when the deadline has passed by our clock or
 * Xen refuses it as past (nothing is armed), else 0 or a negative errno. */
int xen_timer_arm(uint64_t deadline_ns);
void xen_timer_stop(void);

/* What the last xen_timer_arm computed, for the block log (xen/events_log.h). */
struct xen_timer_arm_info {
    uint64_t tsc;               /* our TSC when the deadline was converted */
    uint64_t xen_deadline_ns;   /* what Xen was given */
    uint64_t xen_now_ns;        /* our estimate of Xen's time at tsc */
    bool from_sample;           /* the estimate came from a sample (else from the record) */
    uint64_t sample_tsc;        /* the sample used: Xen's time sample_xen_ns at our sample_tsc */
    uint64_t sample_xen_ns;
};
void xen_timer_last_arm(struct xen_timer_arm_info *out);

/* The last runstate reading after a wake (xen_pvclock_sample_after_wake): Xen's NOW() when
 * the vCPU was scheduled in, and our TSC just after; 0s if none was read. */
void xen_pvclock_last_wake(uint64_t *state_entry_ns, uint64_t *tsc);
/* Which interface xen_timer_arm uses: "VCPUOP_set_singleshot_timer" or "set_timer_op". */
const char *xen_timer_interface(void);

#endif
