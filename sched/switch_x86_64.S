/*
 * sched/switch_x86_64: the context switch between fibers and the loop (SysV x86-64 ABI, used
 * by the kernel and the hosted build alike). Only what the ABI says a callee must preserve is
 * saved: rbx, rbp, r12-r15, the stack pointer, the x87 control word and MXCSR's control bits.
 *
 * Saved frame, from the saved stack pointer upwards:
 *   +0 MXCSR (4 bytes) and x87 control word (2 bytes), +8 r15, r14, r13, r12, rbx, rbp,
 *   +56 return address. sched/fiber.c builds the same frame for a fiber that never ran, with
 *   the return address pointing at sched_fiber_trampoline.
 */

/* void sched_context_switch(uintptr_t *save_sp, uintptr_t load_sp) */
    .section .text.sched_context_switch, "ax", @progbits
    .globl sched_context_switch
    .type sched_context_switch, @function
sched_context_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .cfi_endproc
    .size sched_context_switch, . - sched_context_switch

/* First code a new fiber runs: rbx holds the entry function, r12 its argument (the fiber).
 * The stack is 16-byte aligned here, so the call gives the callee the ABI's alignment.
 * The entry never returns; ud2 makes a broken promise a crash rather than a wild jump. */
    .section .text.sched_fiber_trampoline, "ax", @progbits
    .globl sched_fiber_trampoline
    .type sched_fiber_trampoline, @function
sched_fiber_trampoline:
    .cfi_startproc
    .cfi_undefined rip
    movq %r12, %rdi
    callq *%rbx
    ud2
    .cfi_endproc
    .size sched_fiber_trampoline, . - sched_fiber_trampoline

    .section .note.GNU-stack, "", @progbits
