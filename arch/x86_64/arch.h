/*
 * arch/x86_64/arch: the x86_64 CPU mechanisms the PVH platform (platform/pvh) builds on:
 * descriptor tables, page tables, the TSC's rate and conversions, the local APIC and its
 * timer, and the interrupt path into drivers. Nothing here knows which machine it runs on
 * (Xen or bare QEMU) or what runs above it: what it needs from above (the memory map, a page
 * allocator at boot, a page of hypervisor-written code, fiber names for crash reports) is
 * handed down by the platform at boot. Included by platform/pvh, xen/ and the boot tests.
 */
#ifndef XENOLITH_ARCH_X86_64_ARCH_H
#define XENOLITH_ARCH_X86_64_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "platform/platform.h"

/* The image's layout, defined by the platform's linker script and entry code (platform/pvh:
 * kernel.ld, entry.S): the image and its permission boundaries. */
extern char _kernel_start[], _text_start[], _etext[], _rodata_start[], _erodata[];
extern char _data_start[], _edata[], _bss_start[], _ebss[], _kernel_end[];
/* Stacks in .bss.stacks, each with an unmapped guard page below it (entry.S). */
extern char boot_stack_guard[], boot_stack_top[];
extern char ist_stacks_start[], ist_stacks_end[];
#define IST_STACK_SIZE 16384u
#define IST_SLOT_SIZE (IST_STACK_SIZE + 4096u) /* guard page + stack */
#define IST_COUNT 4                            /* #DF, NMI, #MC, #PF */

/* One entry of the physical memory map (E820 layout, the types PVH's start info uses). */
#define MEMMAP_TYPE_RAM 1
struct memmap_entry {
    uint64_t base, length;
    uint32_t type;                 /* MEMMAP_TYPE_RAM, or reserved/ACPI/... (never mapped RX) */
};

/* ---- desc.c: GDT, TSS with IST stacks, IDT ---- */
void descriptors_init(void);

/* ---- paging.c ---- */
struct paging_setup {
    /* Every entry is identity-mapped read-write, no-execute (minus the NULL page and the
     * image, which gets W^X 4 KiB pages). RAM entries size the pool of tables kept for
     * splitting 2 MiB pages later. */
    const struct memmap_entry *entries;
    size_t count;
    /* A zeroed 4 KiB page for a page table, never returned; must not fail (it halts). Used
     * only inside paging_init. */
    void *(*boot_page)(void);
    /* The same without the clearing: the pool kept for splitting 2 MiB pages later, cleared
     * only when a table is taken from it (most never are). */
    void *(*boot_page_uncleared)(void);
    /* A page of the image's .bss that holds code the hypervisor writes (Xen's hypercall
     * page): mapped read-only and executable. 0: none. */
    uintptr_t code_page;
};
void paging_init(const struct paging_setup *setup);
/* True if addr is mapped readable in the current page tables (crash-report walks). */
bool paging_is_mapped(uintptr_t addr);
bool cpu_has_nx(void);
/* Maps [base, end) read-write, no-execute like a memory-map entry (never the image or the
 * NULL page); used for ranges the hypervisor reports after boot (platform/pvh/iomap.c). */
void paging_map_data_range(uint64_t base, uint64_t end);
/* Makes 4 KiB pages (above the image) inaccessible (guard) or read-write again, splitting a
 * 2 MiB page on first use. 0, -EINVAL (unaligned), -EPERM (the image or low memory), -EFAULT
 * (unmapped), -ENOMEM (no table left); a refusal changes nothing. */
int paging_guard_pages(void *addr, size_t len, bool guard);

/* ---- tsc.c: the TSC's rate, set once at boot by the platform ---- */
struct cpuid_regs;
/* The CPUID instruction as a function (tsc_cpuid.h decodes through one). */
struct cpuid_regs cpuid_query(uint32_t leaf, uint32_t subleaf);
/* The TSC rate in Hz CPUID states (Xen's time leaf, KVM's or VMware's timing leaf, leaf 0x15:
 * tsc_rate_from_cpuid), with *source naming the leaf and the LAPIC timer's input clock set when
 * the leaf states it too; 0 (and *source untouched) when no leaf states it. Both machines of
 * the PVH image ask this first (platform/pvh). */
uint64_t tsc_cpuid_stated_hz(const char **source);
/* Leaf 0x16's nominal base frequency, rounded to a MHz: a last resort ("CPUID 0x16"); 0 when
 * the CPU does not tell. */
uint64_t tsc_cpuid_nominal_hz(const char **source);
void tsc_set_hz(uint64_t hz);
uint64_t tsc_hz(void);
/* Converts a duration in TSC ticks to ns (and back), with the rate set (0 before). */
uint64_t tsc_ticks_to_ns(uint64_t ticks);
uint64_t tsc_ns_to_ticks(uint64_t ns);

/* ---- entropy.c ---- */
/* Seed material: RDSEED, else RDRAND, when CPUID offers them, always mixed with TSC jitter. */
void entropy_fill(void *buf, size_t len);

/* ---- lapic.c ---- */
/* The timer's input clock before its divider, when CPUID states it (tsc_cpuid.h): given
 * before lapic_init, it spares the calibration. */
void lapic_timer_set_input_hz(uint64_t hz);
/* Enables the LAPIC, masks the legacy PICs and, unless the rate is known, calibrates the timer
 * against the TSC (whose rate must be set). Halts the machine if there is no LAPIC or its
 * timer does not count. */
void lapic_init(void);
void lapic_eoi(void);
/* The LAPIC's one-shot timer (vector 0x40), also emulated by Xen, which counts it from its
 * own now: xen/events.c uses it when Xen's absolute time is not known well enough. */
void lapic_timer_start_ns(uint64_t ns);
void lapic_timer_stop(void);
/* The timer's current count (0 when stopped or expired); *initial gets the count armed. */
uint32_t lapic_timer_count(uint32_t *initial);
/* LAPIC timer interrupts taken so far (for the block log: which source ended a block). */
uint64_t lapic_timer_interrupts(void);
/* Bare hardware's idle (now_ns < deadline_ns, same clock; interrupts off): arms the one-shot
 * timer for the difference (deadline UINT64_MAX: no timer), halts with `sti; hlt; cli`
 * (STI's one-instruction shadow makes "enable and halt" atomic, so no wake-up is lost
 * between the caller's check and the halt) and stops the timer. */
void lapic_halt_until(uint64_t now_ns, uint64_t deadline_ns);
/* Set by interrupt handlers; cleared by irq_end_wait once the loop takes over again. */
extern volatile bool irq_work_pending;
/* The end of every platform_wait_until: clears irq_work_pending and runs the event
 * dispatcher (irq.h) in loop context. */
void irq_end_wait(void);
/* The idle halt with interrupts on for its duration only: `sti; nop; hlt; cli` (lapic.c
 * says why not `sti; hlt`). Returns with interrupts off. */
void arch_idle_halt(void);
/* For trap_dispatch: if an interrupt was taken at arch_idle_halt's HLT, moves *rip past it
 * (the halt must not start once an interrupt has been handled) and returns true. */
bool irq_skip_idle_halt(uint64_t *rip);
/* Called by trap_dispatch for vectors 32..255. */
void irq_dispatch(unsigned vector);

#endif
