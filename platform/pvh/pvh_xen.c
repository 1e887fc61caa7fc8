/*
 * platform/pvh/pvh_xen: the PVH image on Xen. The hypercall page is already installed when
 * this machine is chosen (xen_early_init found Xen's CPUID leaves); then the PV console,
 * shared_info and the PV clock (placed in guest-physical holes of the platform's memory map,
 * iomap.c), event channels once the LAPIC timer is calibrated, and after the scheduler is up
 * xenstore, console input and the domain watchdog (xen_late_init). Console output goes to Xen's
 * debug console when Xen lets a domU use it (else port 0xe9, which Xen logs too) and to the PV
 * console ring; idle blocks in Xen (xen/events.c); the end is SCHEDOP_shutdown.
 */
#include "platform/pvh/pvh.h"
#include "platform/pvh/iomap.h"
#include "lib/printf.h"
#include "xen/xen.h"
#include "xen/events.h"
#include "xen/events_log.h"
#include "xen/physmap.h"
#include "xen/pvclock.h"

#include <xen/sched.h>

static const struct xen_physmap_space physmap_space = {
    .reserve_hole = iomap_reserve_hole,
    .adopt_memmap = iomap_adopt_memmap,
};

/* The TSC rate CPUID states (Xen's time leaf first), else leaf 0x16's nominal one: PVH on Xen
 * has no PIT to measure against. */
static uint64_t xen_machine_start(const char **source)
{
    /* The PV console needs no heap: bring it up now so every boot line reaches `xl console`. */
    if (xen_console_init() < 0)
        kprintf("xenolith: PV console unavailable; output goes to the Xen debug port only\n");
    xen_report_identity();
    /* shared_info (time, events) before the clock; the PV clock replaces the TSC math. */
    if (xen_physmap_init(&physmap_space) < 0 || xen_pvclock_init() < 0) {
        kprintf("xenolith: Xen's shared_info or PV clock is unusable\n");
        platform_shutdown(SHUTDOWN_FAILURE);
    }
    uint64_t hz = tsc_cpuid_stated_hz(source);
    return hz ? hz : tsc_cpuid_nominal_hz(source);
}

static void xen_machine_start_events(void)
{
    if (xen_events_init() < 0) {
        kprintf("xenolith: Xen event channels cannot be set up\n");
        platform_shutdown(SHUTDOWN_FAILURE);
    }
}

static uint64_t xen_machine_monotonic_ns(void)
{
    return xen_pvclock_ready() ? xen_monotonic_ns() : clock_tsc_ns();
}

static uint64_t xen_machine_wallclock_ns(void)
{
    return xen_pvclock_ready() ? xen_wallclock_ns() : 0;
}

static void xen_machine_console_write(const char *buf, size_t len)
{
    if (xen_debug_console_status() == 1)
        xen_debug_console_write(buf, len);
    else
        console_debug_port_write(buf, len);
    xen_console_write(buf, len);
}

/* Xen: the one-shot timer is Xen's (VIRQ_TIMER), the block is Xen's too. */
static void xen_machine_block_until(uint64_t now_ns, uint64_t deadline_ns)
{
    (void)now_ns;
    xen_events_block_until(deadline_ns);
}

__attribute__((noreturn)) static void xen_machine_shutdown(enum shutdown_reason reason)
{
    static const unsigned xen_reasons[] = {
        [SHUTDOWN_SUCCESS] = SHUTDOWN_poweroff,
        [SHUTDOWN_FAILURE] = SHUTDOWN_poweroff,
        [SHUTDOWN_CRASH] = SHUTDOWN_crash,
        [SHUTDOWN_REBOOT] = SHUTDOWN_reboot,
    };
    if (reason == SHUTDOWN_CRASH)
        xen_block_log_dump("crash");
    xen_shutdown(xen_reasons[reason]);
}

const struct pvh_machine pvh_xen = {
    .name = "Xen",
    .start = xen_machine_start,
    .start_events = xen_machine_start_events,
    .monotonic_ns = xen_machine_monotonic_ns,
    .wallclock_ns = xen_machine_wallclock_ns,
    .console_write = xen_machine_console_write,
    .block_until = xen_machine_block_until,
    .late_init = xen_late_init,
    .shutdown = xen_machine_shutdown,
};
