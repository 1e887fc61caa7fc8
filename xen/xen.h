/*
 * xen/xen.h: what the boot code (arch/x86_64) asks of the Xen support in xen/: detecting Xen,
 * installing the hypercall page, the PV console, the guest TSC frequency and shutting the
 * domain down. Everything here is harmless on bare QEMU: xen_early_init() returns false and the
 * rest does nothing (xen_shutdown halts). The later event channel, grant and xenstore code
 * grows beside this in xen/, each file named for what it owns.
 *
 * Project headers are found only through quoted includes (-iquote), so "xen/xen.h" is this file
 * and <xen/xen.h> is always Xen's public header.
 */
#ifndef XENOLITH_XEN_XEN_H
#define XENOLITH_XEN_XEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Looks for Xen's CPUID leaves (0x40000000 upwards, step 0x100) and, if found, installs the
 * hypercall page through the MSR Xen names. Call once, after the final page tables are up.
 * Returns true when running on Xen with working hypercalls, false otherwise (bare QEMU). */
bool xen_early_init(void);

/* True once xen_early_init() found Xen and installed the hypercall page. */
bool xen_present(void);

/* Attaches to the PV console ring (HVM_PARAM_CONSOLE_PFN / _EVTCHN). 0, or a negative errno:
 * -ENODEV when not on Xen, -EIO when Xen refuses the parameters. */
int xen_console_init(void);

/* Writes to the PV console ring and notifies the back end. Blocks briefly (yielding to Xen)
 * while the ring is full, so output is not lost to a slow reader; gives up after a bound and
 * counts what it dropped. Does nothing before xen_console_init() succeeded. */
void xen_console_write(const char *buf, size_t len);

/* Waits (yielding, bounded) until the back end has read everything written so far; used
 * before shutdown so the last lines reach the console log. */
void xen_console_drain(void);

/* Bytes xen_console_write() had to drop because the ring stayed full. */
uint64_t xen_console_dropped(void);

/* The guest TSC frequency in kHz from Xen's time leaf (base+3, subleaf 0, ecx); 0 if unknown
 * or not on Xen. */
uint32_t xen_tsc_khz(void);

/* Ends the domain with a SHUTDOWN_* reason from <xen/sched.h> (SCHEDOP_shutdown), after giving
 * the console back end a moment to drain the ring. If that returns (not on Xen), halts forever. */
__attribute__((noreturn)) void xen_shutdown(unsigned reason);

#endif
