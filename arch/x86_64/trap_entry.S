/*
 * arch/x86_64/trap_entry: the 256 interrupt/exception entry stubs and the common path.
 * Each stub pushes its vector; the common path adds a dummy error code where the CPU pushes
 * none, so every frame has the layout of struct trap_frame (trap.h). It saves all general
 * registers and the SSE state (fxsave), so an interrupt never corrupts the interrupted
 * code's registers, and calls trap_dispatch(frame). trap_dispatch may rewrite the frame
 * (trap_expect recovery) before iretq restores it.
 * Also trap_expect_arm: the set-jump half of trap_expect (trap.c).
 */
#include "arch/x86_64/cpu.h"

    .section .text.trap_entry, "ax", @progbits

/* Stubs are 8 bytes apart (desc.c computes trap_stubs + 8 * vector): each pushes its vector
 * as a sign-extended byte (2 bytes even for vectors >= 128) and jumps to the common path,
 * which inserts the dummy error code for vectors whose exception pushes none. */
    .balign 8
    .globl trap_stubs
trap_stubs:
vector = 0
    .rept 256
    .balign 8
    .if vector < 128
    pushq $vector
    .else
    pushq $(vector - 256)
    .endif
    {disp32} jmp trap_common        /* 2 + 5 bytes: every stub fits its 8 */
vector = vector + 1
    .endr

/* Exceptions that push an error code: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX. */
#define ERROR_CODE_VECTORS ((1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 13) | \
                            (1 << 14) | (1 << 17) | (1 << 21) | (1 << 29) | (1 << 30))

    .type trap_common, @function
trap_common:
    andq $0xff, (%rsp)
    cmpq $32, (%rsp)
    jae 1f                          /* interrupts push no error code */
    pushq %rax
    movq 8(%rsp), %rax
    btl %eax, error_code_vectors(%rip)
    popq %rax                       /* keeps CF from btl */
    jc 2f
1:  pushq (%rsp)                    /* [vector][rip] -> [vector][0][rip] */
    movq $0, 8(%rsp)
2:
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

    .section .rodata.trap_entry, "a", @progbits
    .balign 4
error_code_vectors:
    .long ERROR_CODE_VECTORS

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
