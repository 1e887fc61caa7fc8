/*
 * arch/x86_64/trap: CPU exceptions. Every exception not expected by a test is a crash
 * report (registers, fiber, symbolized backtrace) followed by platform_shutdown(SHUTDOWN_CRASH).
 *
 * In-kernel tests prove that a fault is caught as the right exception with trap_expect, a
 * set-jump-like API:
 *
 *     struct trap_recovery rec;
 *     if (trap_expect(TRAP_PF, &rec) == 0) {
 *         *(volatile int *)0;          // faults: execution resumes at trap_expect, returning 1
 *         trap_expect_cancel();        // reached only if nothing faulted
 *         return fail;
 *     }
 *     // rec.vector, rec.error_code, rec.cr2 and rec.fault_rip describe the fault
 *
 * The function calling trap_expect must still be running when the trap fires. A different
 * vector than the expected one is still a crash. One expectation at a time.
 */
#ifndef XENOLITH_ARCH_X86_64_TRAP_H
#define XENOLITH_ARCH_X86_64_TRAP_H

#include <stdint.h>

enum trap_vector {
    TRAP_DE = 0, TRAP_DB = 1, TRAP_NMI = 2, TRAP_BP = 3, TRAP_OF = 4, TRAP_BR = 5, TRAP_UD = 6,
    TRAP_NM = 7, TRAP_DF = 8, TRAP_TS = 10, TRAP_NP = 11, TRAP_SS = 12, TRAP_GP = 13,
    TRAP_PF = 14, TRAP_MF = 16, TRAP_AC = 17, TRAP_MC = 18, TRAP_XM = 19, TRAP_VE = 20,
    TRAP_CP = 21,
};

/* Page-fault error code bits. */
#define PF_PRESENT (1u << 0)   /* protection violation (else: page not present) */
#define PF_WRITE (1u << 1)
#define PF_USER (1u << 2)
#define PF_RESERVED (1u << 3)
#define PF_FETCH (1u << 4)     /* instruction fetch (NX) */

/* The interrupted context as trap_entry.S saved it. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss;    /* pushed by the CPU */
};

struct trap_recovery {
    /* filled by trap_expect_arm (offsets used by trap_entry.S) */
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
    /* filled when the expected trap fires */
    unsigned vector;
    uint64_t error_code;
    uint64_t cr2;
    uint64_t fault_rip;
};

void trap_expect_register(unsigned vector, struct trap_recovery *recovery);
void trap_expect_cancel(void);
int trap_expect_arm(struct trap_recovery *recovery) __attribute__((returns_twice));
#define trap_expect(vector, recovery) \
    (trap_expect_register((vector), (recovery)), trap_expect_arm(recovery))

/* Called by trap_entry.S for every vector. */
void trap_dispatch(struct trap_frame *frame);

/* Names for the crash report, from the scheduler (handed down by the platform at boot; the
 * arch code knows no fibers): the running fiber's name (NULL outside fibers) and the name of
 * the fiber whose stack guard page holds addr (NULL if none). Until then a report says "not
 * in a fiber". */
void trap_set_fiber_names(const char *(*running)(void), const char *(*guard_owner)(uintptr_t addr));

/* The short name of an exception vector ("#PF"). */
const char *trap_name(unsigned vector);

#endif
