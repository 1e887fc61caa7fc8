/*
 * platform/pvh/entry: the PVH entry point. Xen and QEMU find it through the
 * XEN_ELFNOTE_PHYS32_ENTRY note and enter it in 32-bit protected mode, paging off,
 * %ebx = physical address of struct hvm_start_info. This code checks the start-info
 * magic, clears .bss, identity-maps the first 4 GiB with 2 MiB pages, enables SSE and
 * long mode and calls pvh_main(start_info) on the boot stack. C replaces the boot page
 * tables with the final ones (paging.c).
 */
#include <xen/elfnote.h>
#include "arch/x86_64/cpu.h"

#define XEN_HVM_START_MAGIC 0x336ec578
#define BOOT_STACK_SIZE 32768
#define IST_SLOT_SIZE (16384 + 4096)
#define IST_COUNT 4

/* The note's descriptor is 8 bytes (Xen and QEMU both accept it); the section stays 4-byte
 * aligned because QEMU aligns the name by the PT_NOTE segment's alignment. */
    .section .note.xen, "a", @note
    .balign 4
    .long 4
    .long 8
    .long XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .balign 4
    .quad pvh_start32
    .balign 4
    .long 4
    .long 9
    .long XEN_ELFNOTE_GUEST_OS
    .asciz "Xen"
    .balign 4
    .asciz "Xenolith"
    .balign 4

    .section .text.boot, "ax", @progbits
    .code32
    .globl pvh_start32
    .type pvh_start32, @function
pvh_start32:
    cli
    cld
    cmpl $XEN_HVM_START_MAGIC, (%ebx)
    jne bad_magic
    movl %ebx, %esi                 /* kept across the .bss clear (rep stos uses edi/ecx/eax) */
    movl $boot_stack_top, %esp

    movl $_bss_start, %edi
    movl $_ebss, %ecx
    subl %edi, %ecx
    shrl $2, %ecx                   /* dwords (32-bit code: no stosq); kernel.ld aligns both ends to 4 KiB */
    xorl %eax, %eax
    rep stosl

    /* PML4[0] -> PDPT; PDPT[0..3] -> four page directories of 2 MiB pages (4 GiB). */
    movl $boot_pdpt, %eax
    orl $0x3, %eax
    movl %eax, boot_pml4
    movl $boot_pd, %eax
    orl $0x3, %eax
    xorl %ecx, %ecx
1:  movl %eax, boot_pdpt(,%ecx,8)
    addl $4096, %eax
    incl %ecx
    cmpl $4, %ecx
    jb 1b
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax                 /* present, writable, 2 MiB */
    movl %eax, boot_pd(,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jb 2b

    movl %cr4, %eax
    orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    andl $~CR0_EM, %eax
    orl $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG), %eax
    movl %eax, %cr0
    lgdt boot_gdt_pointer
    ljmp $GDT_KERNEL_CODE, $long_mode_entry

/* Without a valid start info nothing is known about memory: say so on the debug port. */
bad_magic:
    movl $bad_magic_message, %esi
3:  movb (%esi), %al
    testb %al, %al
    jz 4f
    outb %al, $0xe9
    incl %esi
    jmp 3b
4:  hlt
    jmp 4b

    .code64
long_mode_entry:
    movl $GDT_KERNEL_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    xorl %eax, %eax
    movl %eax, %fs
    movl %eax, %gs
    movq $boot_stack_top, %rsp
    fninit
    xorl %ebp, %ebp                 /* ends every frame-pointer walk */
    movl %esi, %edi
    call pvh_main
5:  cli
    hlt
    jmp 5b
    .size pvh_start32, . - pvh_start32

    .section .rodata.boot, "a", @progbits
bad_magic_message:
    .asciz "xenolith: entered without a PVH start info (bad magic); halting\n"

/* The GDT is written by the CPU (TSS busy bit) and by desc.c (TSS descriptor): .data. */
    .section .data.boot, "aw", @progbits
    .balign 16
    .globl boot_gdt
boot_gdt:
    .quad 0
    .quad 0x00af9b000000ffff        /* 0x08: 64-bit code, accessed */
    .quad 0x00cf93000000ffff        /* 0x10: data, accessed */
    .quad 0, 0                      /* 0x18: 64-bit TSS, filled by desc.c */
boot_gdt_end:
    .globl boot_gdt_pointer
boot_gdt_pointer:
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

    .section .bss.boot, "aw", @nobits
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_pd:
    .skip 4 * 4096

/* Every stack has an unmapped guard page below it (paging.c), so an overflow faults. */
    .section .bss.stacks, "aw", @nobits
    .balign 4096
    .globl boot_stack_guard, boot_stack_top, ist_stacks_start, ist_stacks_end
boot_stack_guard:
    .skip 4096
    .skip BOOT_STACK_SIZE
boot_stack_top:
ist_stacks_start:
    .skip IST_COUNT * IST_SLOT_SIZE
ist_stacks_end:
