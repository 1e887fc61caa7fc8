/*
 * arch/x86_64/trap_entry: the 256 interrupt/exception entry stubs and the common path.
 * Each stub pushes a dummy error code where the CPU pushes none, then its vector, so every
 * frame has the layout of struct trap_frame (trap.h). The common path saves all general
 * registers and the SSE state (fxsave), so an interrupt never corrupts the interrupted
 * code's registers, and calls trap_dispatch(frame). trap_dispatch may rewrite the frame
 * (trap_expect recovery) before iretq restores it.
 * Also trap_expect_arm: the set-jump half of trap_expect (trap.c).
 */
#include "arch/x86_64/cpu.h"

    .section .text.trap_entry, "ax", @progbits

/* Stubs are 16 bytes apart so desc.c computes each address as trap_stubs + 16 * vector. */
    .balign 16
    .globl trap_stubs
trap_stubs:
vector = 0
    .rept 256
    .balign 16
    .if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30
    .else
    pushq $0
    .endif
    pushq $vector
    jmp trap_common
vector = vector + 1
    .endr

    .type trap_common, @function
trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %r12                 /* the frame; callee-saved across the C call */
    subq $512, %rsp
    andq $-16, %rsp
    fxsave (%rsp)
    cld
    movq %r12, %rdi
    call trap_dispatch
    fxrstor (%rsp)
    movq %r12, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                  /* vector and error code */
    iretq
    .size trap_common, . - trap_common

/*
 * int trap_expect_arm(struct trap_recovery *r): records the callee-saved registers, the
 * stack pointer and the return address in r (see trap.h for the layout) and returns 0.
 * When the expected trap fires, trap_dispatch resumes here-after with 1 in %rax.
 */
    .section .text.trap_expect_arm, "ax", @progbits
    .globl trap_expect_arm
    .type trap_expect_arm, @function
trap_expect_arm:
    movq %rbx, 0(%rdi)
    movq %rbp, 8(%rdi)
    movq %r12, 16(%rdi)
    movq %r13, 24(%rdi)
    movq %r14, 32(%rdi)
    movq %r15, 40(%rdi)
    leaq 8(%rsp), %rax              /* the stack pointer after our return */
    movq %rax, 48(%rdi)
    movq (%rsp), %rax
    movq %rax, 56(%rdi)             /* where execution resumes */
    xorl %eax, %eax
    ret
    .size trap_expect_arm, . - trap_expect_arm
