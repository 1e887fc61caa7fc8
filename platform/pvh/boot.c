/*
 * platform/pvh/boot: the C half of the PVH boot (entry.S calls pvh_main), the choice of
 * machine, and the machine's end. Order matters: the console first (so every refusal is
 * visible), then the loader's data is copied out before page tables reuse memory after the
 * image, then descriptors and page tables, the one test for Xen (it needs the final identity
 * map), the machine's early services, the clock (Xen tells the TSC rate; bare QEMU measures
 * it), the LAPIC timer (calibrated against the TSC), the machine's event delivery, and then
 * the portable kernel.
 */
#include "platform/pvh/pvh.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "kernel/kernel.h"
#include "lib/printf.h"
#include "sched/sched.h"
#include "xen/xen.h"
#include "xen/hypercall.h"

const struct pvh_machine *pvh_machine = &pvh_qemu;

/* The scheduler's names for crash reports (the arch code knows no fibers). */
static const char *running_fiber_name(void)
{
    struct fiber *running = fiber_current();
    return running ? fiber_name(running) : NULL;
}

static const char *guard_page_owner(uintptr_t addr)
{
    struct fiber *owner = fiber_by_guard_address(addr);
    return owner ? fiber_name(owner) : NULL;
}

__attribute__((noreturn)) void pvh_main(uintptr_t start_info);

void pvh_main(uintptr_t start_info)
{
    console_init();
    memmap_init(start_info);
    descriptors_init();
    trap_set_fiber_names(running_fiber_name, guard_page_owner);
    xen_hypercall_page_prepare();   /* while the boot tables still let us write it */
    struct paging_setup setup = {
        .boot_page = memmap_boot_page,
        .boot_page_uncleared = memmap_boot_page_uncleared,
        .code_page = (uintptr_t)xen_hypercall_page,
    };
    setup.count = memmap_entries(&setup.entries);
    paging_init(&setup);
    /* The one place the image asks where it runs. */
    if (xen_early_init())
        pvh_machine = &pvh_xen;
    clock_init();                   /* starts the machine, which tells the TSC rate */
    lapic_init();
    if (pvh_machine->start_events)
        pvh_machine->start_events();
    memmap_finish();
    const struct mem_region *regions;
    size_t count = platform_memory(&regions);
    uint64_t ram = 0;
    for (size_t i = 0; i < count; i++)
        ram += regions[i].length;
    kprintf("xenolith: x86_64 PVH on %s, image %#lx-%#lx, %lu KiB free RAM in %zu regions\n",
            pvh_machine->name, (unsigned long)(uintptr_t)_kernel_start,
            (unsigned long)(uintptr_t)_kernel_end, (unsigned long)(ram / 1024), count);
    kernel_start();
}

int platform_late_init(void)
{
    return pvh_machine->late_init();
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
    pvh_machine->shutdown(reason);
}
