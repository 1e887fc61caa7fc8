/*
 * xenolith/time.h: the two clocks an application reads, and how deadlines are written.
 *
 * Every blocking call of the public API takes an absolute deadline on the monotonic clock, in
 * nanoseconds: platform_monotonic_ns() + how long the caller is willing to wait. DEADLINE_NONE
 * waits as long as it takes; a deadline already past does not block (the call answers at once).
 *
 * Both clocks may be read in any context (fiber, loop, handler). Under the unit tests' simulated
 * platform both follow the simulated clock, so code written against them is testable.
 */
#ifndef XENOLITH_PUBLIC_TIME_H
#define XENOLITH_PUBLIC_TIME_H

#include <stdint.h>

#define NS_PER_S 1000000000ull
#define NS_PER_MS 1000000ull
#define NS_PER_US 1000ull

/* "No deadline": a blocking call waits until its condition holds. */
#define DEADLINE_NONE UINT64_MAX

/* Monotonic nanoseconds since an arbitrary origin (boot). Never goes backwards; not affected by
 * changes of the wall clock. Use it for deadlines and durations. */
uint64_t platform_monotonic_ns(void);

/* Wall-clock nanoseconds since the Unix epoch (UTC), or 0 when the platform does not know the
 * date (bare QEMU without an RTC answer). Use it for timestamps people read (HTTP Date fields,
 * logs), never for deadlines. */
uint64_t platform_wallclock_ns(void);

#endif
