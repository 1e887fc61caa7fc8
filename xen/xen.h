/*
 * xen/xen.h: what the boot code (platform/pvh) asks of the Xen support in xen/: detecting Xen,
 * installing the hypercall page, the PV console and shutting the domain down. Everything here
 * is harmless on bare QEMU: xen_early_init() returns false and the rest does nothing
 * (xen_shutdown halts). The later event channel, grant and xenstore code
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

/* What xen_early_init() learned: XENVER_version, XENVER_extraversion (".0" style suffix),
 * the first XENVER_get_features word, and the CPUID base Xen's leaves start at. NULL when
 * not on Xen. */
struct xen_identity {
    unsigned major, minor;
    char extra[16];
    uint32_t features;
    uint32_t cpuid_base;
};
const struct xen_identity *xen_identity(void);
/* Prints Xen's version, feature bits and how early output leaves the guest. */
void xen_report_identity(void);
/* One XENFEAT_* bit of XENVER_get_features (submaps 0 and 1). */
bool xen_has_feature(unsigned bit);

/* The hypervisor's debug console (CONSOLEIO_write): 1 when a probe write succeeded, 0 before
 * xen_early_init, or the negative errno Xen refused it with (-EPERM from a release build for
 * a domU). xen_debug_console_write does nothing unless the status is 1. */
int xen_debug_console_status(void);
void xen_debug_console_write(const char *buf, size_t len);

/* Attaches to the PV console ring (HVM_PARAM_CONSOLE_PFN / _EVTCHN). 0, or a negative errno:
 * -ENODEV when not on Xen, -EIO when Xen refuses the parameters. */
int xen_console_init(void);

/* After a resume in a new domain (xen/suspend.h; events set up again): the console's event
 * channel from the HVM parameters, input bound to it again. 0 or a negative errno. */
int xen_console_resume(void);

/* Writes to the PV console ring and notifies the back end. Blocks briefly (yielding to Xen)
 * while the ring is full, so output is not lost to a slow reader; gives up after a bound and
 * counts what it dropped. Does nothing before xen_console_init() succeeded. */
void xen_console_write(const char *buf, size_t len);

/* Waits (yielding, bounded) until the back end has read everything written so far; used
 * before shutdown so the last lines reach the console log. */
void xen_console_drain(void);

/* Console input (`xl console` keystrokes, or a write to the console's pty in dom0). Needs
 * event channels. xen_console_read takes what is pending (0 if nothing; never blocks);
 * xen_console_wait_input blocks the calling fiber until input is pending or the deadline
 * (-ETIMEDOUT). */
int xen_console_input_init(void);
long xen_console_read(char *buf, size_t len);
int xen_console_wait_input(uint64_t deadline_ns);

/* Bytes xen_console_write() had to drop because the ring stayed full. */
uint64_t xen_console_dropped(void);

/* The Xen platform's part of platform_late_init (heap and scheduler up): PV console input,
 * and, in every image that links the xenstore client (any image with Xen devices or
 * xenstore use), xenstore and the control/ watcher that obeys xl shutdown/reboot. An image
 * that never touches xenstore (hello) carries neither. 0 or a negative errno. */
int xen_late_init(void);

/* Arms Xen's domain watchdog (SCHEDOP_watchdog) for `seconds` (0: does nothing) and has the
 * event loop re-arm it (sched_set_watchdog: at least every half timeout while the loop comes
 * round, idle or not). If the loop stops (a fiber that never yields), Xen ends the domain
 * with SHUTDOWN_watchdog, which xl's on_watchdog= handles ("restart" in the configs
 * scripts/run.sh writes). Called by xen_late_init with the watchdog= option. 0 or a
 * negative errno. */
int xen_watchdog_start(uint32_t seconds);
/* After a resume in a new domain: Xen knows nothing of the old domain's watchdog, so the
 * watchdog= option's one is armed again (nothing without it). 0 or a negative errno. */
int xen_watchdog_resume(void);

/* Ends the domain with a SHUTDOWN_* reason from <xen/sched.h> (SCHEDOP_shutdown), after giving
 * the console back end a moment to drain the ring. If that returns (not on Xen), halts forever. */
__attribute__((noreturn)) void xen_shutdown(unsigned reason);

#endif
