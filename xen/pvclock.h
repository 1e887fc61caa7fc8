/*
 * xen/pvclock: time on Xen. The monotonic clock is Xen's system time read from vCPU 0's time
 * record in shared_info (version-checked, scaled from the TSC with Xen's multiplier); the wall
 * clock is shared_info's wall-clock base plus system time; one-shot timers are armed with
 * VCPUOP_set_singleshot_timer (set_timer_op if that is refused) and arrive as VIRQ_TIMER.
 * Never uses RDTSCP (the nested-SVM test bed cannot emulate it).
 */
#ifndef XENOLITH_XEN_PVCLOCK_H
#define XENOLITH_XEN_PVCLOCK_H

#include <stdbool.h>
#include <stdint.h>

/* Stops the periodic timer Xen starts for vCPU 0 (idle must stay idle). Needs shared_info.
 * Returns 0 or a negative errno. */
int xen_pvclock_init(void);
bool xen_pvclock_ready(void);

/* Xen system time in ns (since the host booted), from the time record. */
uint64_t xen_system_time_ns(void);
/* Monotonic ns since xen_pvclock_init (the kernel's clock on Xen); never goes backwards. */
uint64_t xen_monotonic_ns(void);
/* The system time the monotonic clock counts from. */
uint64_t xen_monotonic_origin(void);
/* Wall-clock ns since the Unix epoch (shared_info wc_* plus system time); 0 if Xen has none. */
uint64_t xen_wallclock_ns(void);
/* The TSC rate the time record implies (Hz). */
uint64_t xen_pvclock_tsc_hz(void);
/* How many times xen_timer_arm found our clock behind Xen's and moved it forward. */
uint64_t xen_pvclock_corrections(void);
/* How many reads had to retry because Xen was updating the record. */
uint64_t xen_pvclock_retries(void);

/* Arms vCPU 0's one-shot timer for Xen system time deadline_ns; the expiry is an event on
 * VIRQ_TIMER. -ETIME when Xen's clock has already passed the deadline (nothing is armed;
 * the monotonic clock is moved forward to the deadline, since it evidently lags Xen's),
 * else 0 or a negative errno. */
int xen_timer_arm(uint64_t system_deadline_ns);
void xen_timer_stop(void);
/* Which interface xen_timer_arm uses: "VCPUOP_set_singleshot_timer" or "set_timer_op". */
const char *xen_timer_interface(void);

#endif
