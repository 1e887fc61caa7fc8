/*
 * platform/pvh/pvh: what the pieces of the PVH platform tell each other. The image boots the
 * same way on Xen and on bare QEMU (entry.S, then boot.c's pvh_main); the one place it
 * tells them apart is pvh_main, right after the page tables are up: Xen's CPUID leaves
 * answer (xen_early_init) or they do not, and `pvh_machine` is set to pvh_xen (pvh_xen.c) or
 * pvh_qemu (pvh_qemu.c). Every later difference (console, clock, idle, shutdown, late
 * services) is a call through that table, never a test of where we run. Until the choice is
 * made the bare-QEMU machine answers (port 0xe9 and COM1, no clock yet, isa-debug-exit),
 * which is also what Xen gives a guest that has not yet installed its hypercall page.
 * Nothing outside platform/pvh includes this header (the boot tests excepted).
 */
#ifndef XENOLITH_PLATFORM_PVH_PVH_H
#define XENOLITH_PLATFORM_PVH_PVH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "arch/x86_64/arch.h"
#include "platform/platform.h"

/* The machine under the image, as the rest of the platform calls it. */
struct pvh_machine {
    const char *name;                        /* for the boot line: "Xen", "bare metal/QEMU" */
    /* After the page tables: the machine's own early services and clocks. Returns the TSC
     * rate in Hz and its source's name (0: unknown, and clock_init halts). Halts
     * (platform_shutdown) when a service the image cannot run without is missing. */
    uint64_t (*start)(const char **tsc_source);
    /* After the LAPIC timer is calibrated: interrupt-driven services (event channels).
     * NULL: none. Halts when they cannot be set up. */
    void (*start_events)(void);
    uint64_t (*monotonic_ns)(void);          /* platform_monotonic_ns */
    uint64_t (*wallclock_ns)(void);          /* platform_wallclock_ns */
    void (*console_write)(const char *buf, size_t len);
    /* Idle from platform_wait_until (now < deadline, no interrupt work pending, interrupts
     * off): blocks until an interrupt or the deadline (DEADLINE_NONE: none). */
    void (*block_until)(uint64_t now_ns, uint64_t deadline_ns);
    int (*late_init)(void);                  /* platform_late_init */
    /* Ends the machine; platform_shutdown has already said why on the console. */
    __attribute__((noreturn)) void (*shutdown)(enum shutdown_reason reason);
};
extern const struct pvh_machine pvh_xen, pvh_qemu;
/* The machine chosen at boot (pvh_qemu until then). */
extern const struct pvh_machine *pvh_machine;

/* True once pvh_main found Xen (for what must not go through the table: the device drivers,
 * which an image links only if it opens a device; and the boot tests). */
static inline bool pvh_on_xen(void)
{
    return pvh_machine == &pvh_xen;
}

/* ---- console.c: the debug port 0xe9 and COM1 (probed through its scratch register) ---- */
void console_init(void);
void console_debug_port_write(const char *buf, size_t len);
void console_uart_write(const char *buf, size_t len);

/* ---- clock.c ---- */
/* Starts the machine (pvh_machine->start) and sets the TSC rate it tells, or halts; the
 * origin of clock_tsc_ns. */
void clock_init(void);
/* Nanoseconds since clock_init by the TSC, never going back; 0 before clock_init. */
uint64_t clock_tsc_ns(void);

/* ---- memmap.c: the start-info memory map, the command line, the RAM handed to mm/ ---- */
/* Copies what the loader left (it may sit in memory we reuse). Halts on malformed input. */
void memmap_init(uintptr_t start_info_paddr);
size_t memmap_entries(const struct memmap_entry **entries);
/* Boot-time page allocator for page tables: pages above the image, never returned; cleared,
 * or (the split pool, paging.c) left as the loader left them. */
void *memmap_boot_page(void);
void *memmap_boot_page_uncleared(void);
/* Replaces the entries (iomap_adopt_memmap); halts on more than the table holds. */
void memmap_replace(const struct memmap_entry *entries, size_t count);
/* Freezes the boot allocator and computes platform_memory()'s regions. */
void memmap_finish(void);

#endif
