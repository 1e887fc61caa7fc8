/*
 * arch/x86_64/desc: the descriptor tables. The GDT itself comes from entry.S (the CPU needs
 * it before C runs); here the TSS is added with its interrupt stacks, and the IDT points all
 * 256 vectors at trap_entry.S's stubs. #DF, NMI, #MC and #PF run on their own stacks (each
 * with a guard page) so that a stack overflow can still be reported.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

struct descriptor_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern uint64_t boot_gdt[];
extern char trap_stubs[];
#define TRAP_STUB_SIZE 8

static struct tss tss;
static struct idt_gate idt[256] __attribute__((aligned(16)));

/* Which IST slot (1-based) each vector uses; 0 = the interrupted stack. */
static unsigned ist_for_vector(unsigned vector)
{
    switch (vector) {
    case TRAP_DF: return 1;
    case TRAP_NMI: return 2;
    case TRAP_MC: return 3;
    case TRAP_PF: return 4;
    default: return 0;
    }
}

static void install_tss(void)
{
    for (unsigned i = 0; i < IST_COUNT; i++) {
        /* Slot i: guard page, then the stack, whose top is the slot's end. */
        tss.ist[i] = (uintptr_t)ist_stacks_start + (uint64_t)(i + 1) * IST_SLOT_SIZE;
    }
    tss.iomap_base = sizeof(tss);
    uint64_t base = (uintptr_t)&tss;
    uint64_t limit = sizeof(tss) - 1;
    boot_gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                            (0x89ull << 40) /* present, 64-bit TSS available */ |
                            (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    boot_gdt[GDT_TSS / 8 + 1] = base >> 32;
    __asm__ volatile("ltr %w0" : : "r"(GDT_TSS) : "memory");
}

static void install_idt(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t handler = (uintptr_t)trap_stubs + (uint64_t)v * TRAP_STUB_SIZE;
        idt[v] = (struct idt_gate){
            .offset_low = handler & 0xffff,
            .selector = GDT_KERNEL_CODE,
            .ist = (uint8_t)ist_for_vector(v),
            .type_attr = 0x8e, /* present, DPL 0, interrupt gate (IF cleared on entry) */
            .offset_mid = (handler >> 16) & 0xffff,
            .offset_high = (uint32_t)(handler >> 32),
        };
    }
    struct descriptor_pointer p = { .limit = sizeof(idt) - 1, .base = (uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

void descriptors_init(void)
{
    install_tss();
    install_idt();
}
