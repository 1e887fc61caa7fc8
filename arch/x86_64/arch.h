/*
 * arch/x86_64/arch: what the pieces of the x86_64 platform tell each other (boot order in
 * boot.c: console, start info, descriptors, page tables, Xen detection, clock, LAPIC, then
 * kernel_start). Nothing outside arch/x86_64 includes this header.
 */
#ifndef XENOLITH_ARCH_X86_64_ARCH_H
#define XENOLITH_ARCH_X86_64_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "platform/platform.h"

/* Linker-script symbols (platform/pvh/kernel.ld): the image and its permission boundaries. */
extern char _kernel_start[], _text_start[], _etext[], _rodata_start[], _erodata[];
extern char _data_start[], _edata[], _bss_start[], _ebss[], _kernel_end[];
/* Stacks in .bss.stacks, each with an unmapped guard page below it (entry.S). */
extern char boot_stack_guard[], boot_stack_top[];
extern char ist_stacks_start[], ist_stacks_end[];
#define IST_STACK_SIZE 16384u
#define IST_SLOT_SIZE (IST_STACK_SIZE + 4096u) /* guard page + stack */
#define IST_COUNT 4                            /* #DF, NMI, #MC, #PF */

/* ---- console.c ---- */
void console_init(void);
/* On Xen the PV console takes over from COM1 (which PVH lacks). */
void console_use_xen(bool on_xen);

/* ---- memmap.c: the start-info memory map, the command line, the RAM handed to mm/ ---- */
struct memmap_entry {
    uint64_t base, length;
    uint32_t type;                 /* XEN_HVM_MEMMAP_TYPE_* */
};
/* Copies what the loader left (it may sit in memory we reuse). Halts on malformed input. */
void memmap_init(uintptr_t start_info_paddr);
size_t memmap_entries(const struct memmap_entry **entries);
/* Boot-time page allocator for page tables: pages above the image, never returned. */
void *memmap_boot_page(void);
/* Replaces the entries (iomap_adopt_memmap); halts on more than the table holds. */
void memmap_replace(const struct memmap_entry *entries, size_t count);
/* Freezes the boot allocator and computes platform_memory()'s regions. */
void memmap_finish(void);

/* ---- desc.c: GDT, TSS with IST stacks, IDT ---- */
void descriptors_init(void);

/* ---- paging.c ---- */
void paging_init(void);
/* True if addr is mapped readable in the current page tables (crash-report walks). */
bool paging_is_mapped(uintptr_t addr);
bool cpu_has_nx(void);
/* Maps [base, end) read-write, no-execute like a memory-map entry (never the image or the
 * NULL page); used for ranges the hypervisor reports after boot (iomap.c). */
void paging_map_data_range(uint64_t base, uint64_t end);

/* ---- clock.c ---- */
void clock_init(bool on_xen);
uint64_t clock_tsc_hz(void);
/* Converts a duration in TSC ticks to ns (and back), with the calibrated rate. */
uint64_t clock_ticks_to_ns(uint64_t ticks);
uint64_t clock_ns_to_ticks(uint64_t ns);

/* ---- lapic.c ---- */
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
/* Set by interrupt handlers; cleared by platform_wait_until once it returns to the loop. */
extern volatile bool irq_work_pending;
/* The idle halt with interrupts on for its duration only: `sti; nop; hlt; cli` (lapic.c
 * says why not `sti; hlt`). Returns with interrupts off. */
void arch_idle_halt(void);
/* For trap_dispatch: if an interrupt was taken at arch_idle_halt's HLT, moves *rip past it
 * (the halt must not start once an interrupt has been handled) and returns true. */
bool irq_skip_idle_halt(uint64_t *rip);
/* Called by trap_dispatch for vectors 32..255. */
void irq_dispatch(unsigned vector);

/* ---- boot.c ---- */
bool arch_on_xen(void);

#endif
