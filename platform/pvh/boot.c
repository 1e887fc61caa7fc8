/*
 * arch/x86_64/boot: the C half of the PVH boot (entry.S calls arch_main) and the machine's
 * end. Order matters: the console first (so every refusal is visible), then the loader's
 * data is copied out before page tables reuse memory after the image, then descriptors and
 * page tables, Xen detection (it needs the final identity map), the clock (Xen tells the
 * TSC rate; bare QEMU measures it), the LAPIC timer (calibrated against the TSC).
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "kernel/kernel.h"
#include "kernel/options.h"
#include "lib/printf.h"
#include "xen/xen.h"
#include "xen/hypercall.h"
#include "xen/events.h"
#include "xen/events_log.h"
#include "xen/physmap.h"
#include "xen/pvclock.h"

#include <xen/sched.h>

#define DEBUG_EXIT_PORT 0xf4

static bool running_on_xen;

bool arch_on_xen(void)
{
    return running_on_xen;
}

__attribute__((noreturn)) void arch_main(uintptr_t start_info);

void arch_main(uintptr_t start_info)
{
    console_init();
    memmap_init(start_info);
    descriptors_init();
    xen_hypercall_page_prepare();   /* while the boot tables still let us write it */
    paging_init();
    running_on_xen = xen_early_init();
    /* The PV console needs no heap: bring it up now so every boot line reaches `xl console`. */
    if (running_on_xen && xen_console_init() < 0)
        kprintf("xenolith: PV console unavailable; output goes to the Xen debug port only\n");
    console_use_xen(running_on_xen);
    if (running_on_xen)
        xen_report_identity();
    else
        kprintf("xenolith: no hypervisor interface (no Xen CPUID leaves): bare-metal paths\n");
    /* shared_info (time, events) before the clock; the PV clock replaces the TSC math. */
    if (running_on_xen && (xen_physmap_init() < 0 || xen_pvclock_init() < 0)) {
        kprintf("xenolith: Xen's shared_info or PV clock is unusable\n");
        platform_shutdown(SHUTDOWN_FAILURE);
    }
    clock_init(running_on_xen);
    lapic_init();
    if (running_on_xen && xen_events_init() < 0) {
        kprintf("xenolith: Xen event channels cannot be set up\n");
        platform_shutdown(SHUTDOWN_FAILURE);
    }
    memmap_finish();
    const struct mem_region *regions;
    size_t count = platform_memory(&regions);
    uint64_t ram = 0;
    for (size_t i = 0; i < count; i++)
        ram += regions[i].length;
    kprintf("xenolith: x86_64 PVH on %s, image %#lx-%#lx, %lu KiB free RAM in %zu regions\n",
            running_on_xen ? "Xen" : "bare metal/QEMU", (unsigned long)(uintptr_t)_kernel_start,
            (unsigned long)(uintptr_t)_kernel_end, (unsigned long)(ram / 1024), count);
    kernel_start();
}

int platform_late_init(void)
{
    if (running_on_xen)
        return xen_late_init();
    if (kernel_options()->watchdog_s)
        kprintf("xenolith: watchdog= is Xen's domain watchdog; there is none here\n");
    return 0;
}

static const char *const shutdown_words[] = {
    [SHUTDOWN_SUCCESS] = "success",
    [SHUTDOWN_FAILURE] = "failure",
    [SHUTDOWN_CRASH] = "crash",
    [SHUTDOWN_REBOOT] = "reboot",
};

void platform_shutdown(enum shutdown_reason reason)
{
    irq_disable();
    if ((unsigned)reason > SHUTDOWN_REBOOT)
        reason = SHUTDOWN_CRASH;
    kprintf("xenolith: shutdown: %s\n", shutdown_words[reason]);
    if (running_on_xen && reason == SHUTDOWN_CRASH)
        xen_block_log_dump("crash");
    if (running_on_xen) {
        static const unsigned xen_reasons[] = {
            [SHUTDOWN_SUCCESS] = SHUTDOWN_poweroff,
            [SHUTDOWN_FAILURE] = SHUTDOWN_poweroff,
            [SHUTDOWN_CRASH] = SHUTDOWN_crash,
            [SHUTDOWN_REBOOT] = SHUTDOWN_reboot,
        };
        xen_shutdown(xen_reasons[reason]);
    }
    /* QEMU's isa-debug-exit ends QEMU with status value*2+1: 1, 3, 5, 7. */
    outl(DEBUG_EXIT_PORT, (uint32_t)reason);
    cpu_halt_forever();
}
