/*
 * arch/x86_64/lapic: the local APIC (xAPIC MMIO at 0xfee00000; QEMU's TCG has no x2APIC)
 * and the idle path. The LAPIC timer runs one-shot, calibrated against the TSC, and only
 * ends platform_wait_until's halt at the deadline. The legacy 8259 PICs are remapped out
 * of the exception vectors and masked. External-interrupt dispatch lives here too, and the
 * bare-hardware halt (lapic_halt_until); which idle a machine uses is the platform's choice.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "lib/errno.h"
#include "lib/printf.h"

#define LAPIC_BASE 0xfee00000ull
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_SVR 0x0f0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0
#define LVT_MASKED (1u << 16)
#define SVR_ENABLE (1u << 8)
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define DIVIDE_BY_16 0x3
#define TIMER_VECTOR 0x40
#define ERROR_VECTOR 0xfe
#define SPURIOUS_VECTOR 0xff
#define CALIBRATION_NS 10000000ull
#define CALIBRATION_RUNS 3
#define PIC_MASTER 0x20
#define PIC_SLAVE 0xa0

volatile bool irq_work_pending;
static uint64_t lapic_timer_hz;
static irq_handler_fn handlers[256];
static void (*event_dispatcher)(void);
static uint64_t unexpected_interrupts;
static volatile uint64_t timer_interrupts;

static inline uint32_t lapic_read(uint32_t reg)
{
    return *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg);
}

static inline void lapic_write(uint32_t reg, uint32_t value)
{
    *(volatile uint32_t *)(uintptr_t)(LAPIC_BASE + reg) = value;
}

/* The idle halt: `sti; nop; hlt; cli`. Plain `sti; hlt` relies on the STI shadow to make
 * "enable and halt" one step, and Xen does not honour that for an event-channel upcall that
 * became pending while interrupts were off: it can block the vCPU in the HLT with
 * evtchn_upcall_pending already set, and then no later event wakes it (Xen kicks the vCPU
 * only when that flag goes from 0 to 1). Here the shadow ends at the NOP, so a pending
 * interrupt is taken before the HLT, and trap_dispatch moves an interrupt taken at the HLT
 * past it (irq_skip_idle_halt): the halt never starts with work pending. */
__asm__(".pushsection .text\n"
        ".globl arch_idle_halt\n"
        ".type arch_idle_halt, @function\n"
        "arch_idle_halt:\n"
        "    sti\n"
        "    nop\n"
        ".globl arch_idle_hlt_insn\n"
        "arch_idle_hlt_insn:\n"
        "    hlt\n"
        "    cli\n"
        "    ret\n"
        ".size arch_idle_halt, . - arch_idle_halt\n"
        ".popsection\n");
extern char arch_idle_hlt_insn[];

bool irq_skip_idle_halt(uint64_t *rip)
{
    if (*rip != (uint64_t)(uintptr_t)arch_idle_hlt_insn)
        return false;
    *rip += 1;   /* HLT is one byte */
    return true;
}

void lapic_eoi(void)
{
    lapic_write(LAPIC_EOI, 0);
}

/* Moves the PICs' vectors to 0x20-0x2f (away from the exceptions) and masks every line. */
static void legacy_pic_disable(void)
{
    outb(PIC_MASTER, 0x11);
    outb(PIC_SLAVE, 0x11);
    outb(PIC_MASTER + 1, 0x20);
    outb(PIC_SLAVE + 1, 0x28);
    outb(PIC_MASTER + 1, 0x04);
    outb(PIC_SLAVE + 1, 0x02);
    outb(PIC_MASTER + 1, 0x01);
    outb(PIC_SLAVE + 1, 0x01);
    outb(PIC_MASTER + 1, 0xff);
    outb(PIC_SLAVE + 1, 0xff);
}

/* Ticks per second of one CALIBRATION_NS window against the TSC. The count starts at the
 * INITIAL write, before the TSC is read, so a delay there (an emulated MMIO write, a vCPU
 * descheduled by the hypervisor) only inflates the count: the error makes the rate too high
 * and relative timers too long (seen on the nested Xen test bed: 9.6 MHz for Xen's 6.25 MHz,
 * a 1 s LAPIC block lasting 1.54 s). */
static uint64_t lapic_timer_measure(void)
{
    uint64_t window = tsc_ns_to_ticks(CALIBRATION_NS);
    lapic_write(LAPIC_TIMER_INITIAL, 0xffffffffu);
    uint64_t start = rdtsc();
    while (rdtsc() - start < window)
        cpu_relax();
    uint32_t remaining = lapic_read(LAPIC_TIMER_CURRENT);
    uint64_t elapsed = rdtsc() - start;
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    uint64_t counted = 0xffffffffull - remaining;
    uint64_t elapsed_ns = tsc_ticks_to_ns(elapsed);
    return counted && elapsed_ns ? counted * 1000000000ull / elapsed_ns : 0;
}

static void lapic_timer_calibrate(void)
{
    lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_16);
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | TIMER_VECTOR);
    /* Delays only ever raise a measurement (see above): the lowest of a few is the best. */
    for (int run = 0; run < CALIBRATION_RUNS; run++) {
        uint64_t hz = lapic_timer_measure();
        if (hz == 0) {
            kprintf("xenolith: the LAPIC timer does not count\n");
            platform_shutdown(SHUTDOWN_FAILURE);
        }
        if (lapic_timer_hz == 0 || hz < lapic_timer_hz)
            lapic_timer_hz = hz;
    }
    lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR); /* one-shot, unmasked, stopped */
}

void lapic_timer_set_input_hz(uint64_t hz)
{
    lapic_timer_hz = hz / 16;  /* DIVIDE_BY_16 */
}

void lapic_init(void)
{
    if (!(cpuid(1, 0).edx & (1u << 9))) {
        kprintf("xenolith: this CPU has no local APIC\n");
        platform_shutdown(SHUTDOWN_FAILURE);
    }
    legacy_pic_disable();
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if (base & APIC_BASE_X2APIC) /* leaving x2APIC mode requires disabling first */
        wrmsr(MSR_APIC_BASE, base & ~(APIC_BASE_X2APIC | APIC_BASE_ENABLE));
    base = (base & ~(APIC_BASE_X2APIC | 0xfffff000ull)) | LAPIC_BASE | APIC_BASE_ENABLE;
    wrmsr(MSR_APIC_BASE, base);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED | ERROR_VECTOR);
    if (lapic_timer_hz) {
        lapic_write(LAPIC_TIMER_DIVIDE, DIVIDE_BY_16);
        lapic_write(LAPIC_LVT_TIMER, TIMER_VECTOR); /* one-shot, unmasked, stopped */
    } else {
        lapic_timer_calibrate();
    }
}

int irq_set_handler(unsigned vector, irq_handler_fn fn)
{
    if (vector < IRQ_VECTOR_DRIVER_FIRST || vector > IRQ_VECTOR_DRIVER_LAST)
        return -EINVAL;
    if (fn && handlers[vector] && handlers[vector] != fn)
        return -EBUSY;
    handlers[vector] = fn;
    return 0;
}

void irq_set_event_dispatcher(void (*dispatch)(void))
{
    event_dispatcher = dispatch;
}

void irq_dispatch(unsigned vector)
{
    if (vector == SPURIOUS_VECTOR)
        return; /* spurious interrupts take no EOI */
    if (handlers[vector])
        handlers[vector](vector);
    else if (vector == TIMER_VECTOR)
        timer_interrupts++;
    else
        unexpected_interrupts++;
    irq_work_pending = true;
    lapic_eoi();
}

/* Arms the one-shot timer to fire after ns (capped at the counter's range; the loop calls
 * again if woken before its deadline). */
static void timer_arm_ns(uint64_t ns)
{
    uint64_t ticks = (uint64_t)((unsigned __int128)ns * lapic_timer_hz / 1000000000ull) + 1;
    if (ticks > 0xffffffffull)
        ticks = 0xffffffffull;
    lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)ticks);
}

void lapic_timer_start_ns(uint64_t ns)
{
    timer_arm_ns(ns);
}

void lapic_timer_stop(void)
{
    lapic_write(LAPIC_TIMER_INITIAL, 0);
}

uint32_t lapic_timer_count(uint32_t *initial)
{
    if (initial)
        *initial = lapic_read(LAPIC_TIMER_INITIAL);
    return lapic_read(LAPIC_TIMER_CURRENT);
}

uint64_t lapic_timer_interrupts(void)
{
    return timer_interrupts;
}

void lapic_halt_until(uint64_t now_ns, uint64_t deadline_ns)
{
    if (deadline_ns != UINT64_MAX)
        timer_arm_ns(deadline_ns - now_ns);
    /* Interrupts are off everywhere else; sti's one-instruction shadow makes
     * "enable and halt" atomic, so no wake-up is lost between check and halt. */
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    lapic_write(LAPIC_TIMER_INITIAL, 0);
}

void irq_end_wait(void)
{
    irq_work_pending = false;
    if (event_dispatcher)
        event_dispatcher();
}
