/*
 * platform/pvh/clock: the clock of the PVH image. The TSC's rate comes from the machine
 * (pvh_machine->start: Xen's CPUID time leaf, or a PIT measurement on bare QEMU, with the
 * CPUID leaves 0x15/0x16 between); monotonic time is the TSC since boot until the machine has
 * something better (Xen's PV clock), and the machine says what the wall clock is.
 */
#include "platform/pvh/pvh.h"
#include "arch/x86_64/cpu.h"
#include "lib/printf.h"

static uint64_t tsc_at_boot;
static uint64_t last_ns;

void clock_init(void)
{
    const char *source = "none";
    uint64_t hz = pvh_machine->start(&source);
    if (hz == 0) {
        kprintf("xenolith: TSC frequency unknown (no Xen leaf, CPUID or PIT)\n");
        platform_shutdown(SHUTDOWN_FAILURE);
    }
    tsc_set_hz(hz);
    tsc_at_boot = rdtsc();
    kprintf("xenolith: TSC %lu.%03lu MHz (%s)\n", (unsigned long)(hz / 1000000),
            (unsigned long)(hz / 1000 % 1000), source);
}

uint64_t clock_tsc_ns(void)
{
    if (tsc_hz() == 0)
        return 0; /* before calibration (early boot messages) */
    uint64_t ns = tsc_ticks_to_ns(rdtsc() - tsc_at_boot);
    /* One CPU, but a hypervisor may move the TSC a little; time must not go back. */
    if (ns < last_ns)
        ns = last_ns;
    last_ns = ns;
    return ns;
}

uint64_t platform_monotonic_ns(void)
{
    return pvh_machine->monotonic_ns();
}

uint64_t platform_wallclock_ns(void)
{
    return pvh_machine->wallclock_ns();
}
