/*
 * arch/x86_64/trap: exception dispatch, expected-trap recovery for tests, and the crash
 * report (registers, fiber, stack-overflow diagnosis, symbolized backtrace). External
 * interrupt vectors go to lapic.c. Fibers are the scheduler's: their names reach the report
 * through the functions the platform hands down (trap_set_fiber_names).
 */
#include <stddef.h>
#include "arch/x86_64/trap.h"
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/ksyms.h"
#include "lib/printf.h"

/* The 32 exception names in vector order, each ended by its NUL: packed, where a pointer per
 * name cost 256 bytes. Reserved vectors print as "reserved". */
static const char exception_names[] =
    "#DE divide error\0" "#DB debug\0" "NMI\0" "#BP breakpoint\0" "#OF overflow\0"
    "#BR bound range\0" "#UD invalid opcode\0" "#NM device not available\0" "#DF double fault\0"
    "coprocessor segment overrun\0" "#TS invalid TSS\0" "#NP segment not present\0"
    "#SS stack fault\0" "#GP general protection\0" "#PF page fault\0" "reserved\0"
    "#MF x87 error\0" "#AC alignment check\0" "#MC machine check\0" "#XM SIMD error\0"
    "#VE virtualization\0" "#CP control protection\0" "reserved\0" "reserved\0" "reserved\0"
    "reserved\0" "reserved\0" "reserved\0" "#HV hypervisor injection\0"
    "#VC VMM communication\0" "#SX security\0" "reserved\0";

const char *trap_name(unsigned vector)
{
    if (vector >= 32)
        return "interrupt";
    const char *name = exception_names;
    while (vector--)
        name += __builtin_strlen(name) + 1;
    return name;
}

static const char *(*running_fiber_name)(void);
static const char *(*guard_page_owner)(uintptr_t addr);

void trap_set_fiber_names(const char *(*running)(void), const char *(*guard_owner)(uintptr_t))
{
    running_fiber_name = running;
    guard_page_owner = guard_owner;
}

static struct trap_recovery *expected_recovery;
static unsigned expected_vector;

void trap_expect_register(unsigned vector, struct trap_recovery *recovery)
{
    expected_vector = vector;
    expected_recovery = recovery;
}

void trap_expect_cancel(void)
{
    /* With link-time optimization this is inlined into the caller: the barrier keeps the store
     * after the access that was expected to trap (a volatile access orders only volatiles). */
    __asm__ volatile("" ::: "memory");
    expected_recovery = NULL;
}

static void resume_at_recovery(struct trap_frame *frame, struct trap_recovery *r)
{
    r->vector = (unsigned)frame->vector;
    r->error_code = frame->error_code;
    r->cr2 = frame->vector == TRAP_PF ? read_cr2() : 0;
    r->fault_rip = frame->rip;
    frame->rbx = r->rbx;
    frame->rbp = r->rbp;
    frame->r12 = r->r12;
    frame->r13 = r->r13;
    frame->r14 = r->r14;
    frame->r15 = r->r15;
    frame->rsp = r->rsp;
    frame->rip = r->rip;
    frame->rax = 1;
}

static void describe_page_fault(uint64_t error, uint64_t cr2)
{
    kprintf("page fault at 0x%016lx: %s %s%s%s\n", (unsigned long)cr2,
            (error & PF_FETCH) ? "instruction fetch" : (error & PF_WRITE) ? "write" : "read",
            (error & PF_PRESENT) ? "violates the page's protection" : "of an unmapped page",
            (error & PF_RESERVED) ? ", reserved bit set" : "",
            (error & PF_USER) ? ", user mode" : "");
    if (cr2 < 4096)
        kprintf("(a NULL pointer dereference)\n");
}

/* True if the fault hit one of the stacks' guard pages; says whose. */
static bool report_stack_overflow(uint64_t cr2)
{
    const char *owner = guard_page_owner ? guard_page_owner((uintptr_t)cr2) : NULL;
    if (owner) {
        kprintf("stack overflow in fiber '%s' (fault at %#lx, in its guard page)\n", owner,
                (unsigned long)cr2);
        return true;
    }
    uintptr_t guard = (uintptr_t)boot_stack_guard;
    if (cr2 >= guard && cr2 < guard + 4096) {
        kprintf("stack overflow on the boot stack (fault at %#lx)\n", (unsigned long)cr2);
        return true;
    }
    uintptr_t ist = (uintptr_t)ist_stacks_start;
    if (cr2 >= ist && cr2 < (uintptr_t)ist_stacks_end && (cr2 - ist) % IST_SLOT_SIZE < 4096) {
        kprintf("stack overflow on exception stack %lu (fault at %#lx)\n",
                (unsigned long)((cr2 - ist) / IST_SLOT_SIZE + 1), (unsigned long)cr2);
        return true;
    }
    return false;
}

/* The general registers as the report prints them, three to a line: RAX first, R15 last,
 * which is the trap frame's order backwards (trap_entry.S pushes RAX first). */
static const char register_names[] = "RAXRBXRCXRDXRSIRDIRBPR8 R9 R10R11R12R13R14R15";
#define FRAME_GPRS 15
_Static_assert(offsetof(struct trap_frame, r15) == 0 &&
               offsetof(struct trap_frame, rax) == (FRAME_GPRS - 1) * sizeof(uint64_t),
               "the general registers open the trap frame, R15 first and RAX last");

static void print_registers(const struct trap_frame *f)
{
    uintptr_t offset;
    const char *fn = ksym_lookup(f->rip, &offset);
    kprintf("RIP 0x%016lx %s+%#lx  CS %#lx\n", (unsigned long)f->rip, fn ? fn : "?",
            fn ? (unsigned long)offset : 0ul, (unsigned long)f->cs);
    kprintf("RSP 0x%016lx  RFLAGS 0x%016lx  ERR %#lx  CR2 0x%016lx\n", (unsigned long)f->rsp,
            (unsigned long)f->rflags, (unsigned long)f->error_code, (unsigned long)read_cr2());
    const uint64_t *gprs = (const uint64_t *)(const void *)f;
    for (unsigned i = 0; i < FRAME_GPRS; i++)
        kprintf("%.3s 0x%016lx%s", register_names + 3 * i, (unsigned long)gprs[FRAME_GPRS - 1 - i],
                i % 3 == 2 ? "\n" : "  ");
    kprintf("CR0 %#lx  CR3 %#lx  CR4 %#lx\n", (unsigned long)read_cr0(),
            (unsigned long)read_cr3(), (unsigned long)read_cr4());
}

static bool crashing;

__attribute__((noreturn)) static void crash_report(struct trap_frame *f)
{
    unsigned vector = (unsigned)f->vector;
    if (crashing) {
        /* The report itself faulted: say the least that can still be said, then stop. */
        kprintf("\n*** %s (%u) at %#lx while reporting a crash ***\n", trap_name(vector),
                vector, (unsigned long)f->rip);
        platform_shutdown(SHUTDOWN_CRASH);
    }
    crashing = true;
    kprintf("\n*** CPU exception %u (%s), error code %#lx ***\n", vector, trap_name(vector),
            (unsigned long)f->error_code);
    if (vector == TRAP_PF) {
        uint64_t cr2 = read_cr2();
        if (!report_stack_overflow(cr2))
            describe_page_fault(f->error_code, cr2);
    }
    const char *running = running_fiber_name ? running_fiber_name() : NULL;
    if (running)
        kprintf("in fiber '%s'\n", running);
    else
        kprintf("not in a fiber (boot or the scheduler loop)\n");
    print_registers(f);
    backtrace_print(f->rip, f->rbp);
    platform_shutdown(SHUTDOWN_CRASH);
}

void trap_dispatch(struct trap_frame *frame)
{
    if (frame->vector >= 32) {
        irq_skip_idle_halt(&frame->rip);
        irq_dispatch((unsigned)frame->vector);
        return;
    }
    struct trap_recovery *r = expected_recovery;
    if (r && frame->vector == expected_vector && !crashing) {
        expected_recovery = NULL;
        resume_at_recovery(frame, r);
        return;
    }
    crash_report(frame);
}
