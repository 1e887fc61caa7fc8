/*
 * The platform seam: everything portable code (kernel/, mm/, sched/, net/, blk/, lib/, app/)
 * may ask of the machine it runs on. Each platform implements all of it:
 *   platform/pvh          the PVH image, on Xen or bare QEMU (with arch/x86_64 and xen/)
 *   platform/hosted           an ordinary Linux process
 *   test/unit/sim         a simulated machine for unit tests (simulated clock)
 * Nothing above the seam includes a Xen or Linux header. Devices (net, block) plug in
 * through their own seams, platform/netdev.h and platform/blkdev.h.
 */
#ifndef XENOLITH_PLATFORM_PLATFORM_H
#define XENOLITH_PLATFORM_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xenolith/app.h"
#include "xenolith/time.h"

/* Declared in the public API, which the platform implements: platform_cmdline and enum
 * shutdown_reason (xenolith/app.h), platform_monotonic_ns and platform_wallclock_ns
 * (xenolith/time.h). */

/* A range of RAM the page allocator may own. Addresses are the ones code uses
 * (identity-mapped on the kernel, an mmap'ed arena when hosted). */
struct mem_region {
    uintptr_t base;
    size_t length;
};

/* RAM for the page allocator: regions not used by the image or by the platform itself.
 * Returns the number of regions and points *regions at them. */
size_t platform_memory(const struct mem_region **regions);

/* Console output: bytes go to every console the platform has (serial, debug port, PV console,
 * stdout). Must work from the first instruction of portable code and inside a crash report. */
void platform_console_write(const char *buf, size_t len);

/*
 * Blocks the CPU until an event arrives or the monotonic clock reaches deadline_ns, then
 * dispatches pending events (their handlers only mark work pending and wake fibers).
 * deadline_ns == 0 polls: dispatch what is pending without blocking. UINT64_MAX: no deadline.
 * Called only by the event loop in sched/.
 */
void platform_wait_until(uint64_t deadline_ns);

/* Fills buf with seed material from the best entropy the platform has. */
void platform_entropy(void *buf, size_t len);

/* Makes [addr, addr+len) inaccessible (guard == true) or read-write again. Page-aligned.
 * Returns 0, or a negative error code if the platform cannot change protections. */
int platform_guard_pages(void *addr, size_t len, bool guard);

/* Ends the machine. Shutdown hooks have already run (kernel/shutdown). */
__attribute__((noreturn)) void platform_shutdown(enum shutdown_reason reason);

/* Writes a backtrace of the calling context to the console (crash reports, assertions). */
void platform_backtrace(void);

#endif
