/*
 * platform/pvh/pvh_qemu: the PVH image on bare QEMU (`-kernel`, microvm/pc/q35), or any PVH
 * loader without a Xen interface: console on COM1 and port 0xe9, the TSC rate from CPUID (a
 * hypervisor's timing leaf or leaf 0x15, with the LAPIC timer's clock when stated), else
 * measured against PIT channel 0 (short runs, then longer ones, the least disturbed kept:
 * arch/x86_64/tsc_calibrate.c), else CPUID 0x16, else the least disturbed PIT run, else an
 * assumed rate (the boot line names the source); the wall clock
 * from the CMOS RTC read once at boot, idle on the LAPIC timer, and the end through QEMU's
 * isa-debug-exit.
 */
#include "platform/pvh/pvh.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc_calibrate.h"
#include "kernel/options.h"
#include "lib/calendar.h"
#include "lib/printf.h"
#include "lib/string.h"

#define PIT_HZ 1193182ull
#define PIT_CHANNEL0 0x40
#define PIT_COMMAND 0x43
#define PIT_RUNS 3                  /* per window length, fewer when a run is good */
#define PIT_STALL_READS 1000000ul   /* reads without a count change: the PIT does not count */
#define PIT_WARMUP_READS 16         /* reads before the quickest read and stretch are known */
#define PIT_QUICK 4                 /* a read this many times the quickest is quick */
#define PIT_RUNNING 16              /* a stretch between reads this many times the shortest ran */
#define TSC_ASSUMED_HZ 1000000000ull
#define NS_PER_SEC 1000000000ull
#define DEBUG_EXIT_PORT 0xf4

static uint64_t wallclock_at_boot_ns;

/* ---- measuring the TSC against the PIT (the rules: arch/x86_64/tsc_calibrate.h) ---- */

/* Channel 0 is read back through latch commands, which needs no port 0x61 (microvm has none);
 * its IRQ 0 stays masked (PIC and LINT0 masked, IOAPIC pins masked since reset). */
static uint16_t pit_read_channel0(void)
{
    outb(PIT_COMMAND, 0x00);            /* latch channel 0's count */
    uint8_t lo = inb(PIT_CHANNEL0);
    return (uint16_t)(lo | inb(PIT_CHANNEL0) << 8);
}

/* One run of at least `ticks` PIT ticks, the TSC read around every PIT read; false when the
 * count stays put for PIT_STALL_READS reads (no PIT). A loaded host stops the guest, often
 * inside a read (QEMU's device lock): the run starts and ends only on a quick read (at most
 * PIT_QUICK times the quickest), so its ends are sharp. The ticks are summed read by read, so
 * the count may wrap any number of times; a stop longer than a whole turn between two reads
 * hides turns, which tsc_calibrate counts back from the stretches between reads where the guest
 * ran (at most PIT_RUNNING times the shortest stretch). */
static bool pit_run(uint32_t ticks, struct tsc_sample *s)
{
    uint16_t last = pit_read_channel0();
    uint64_t before = 0, after = 0, quickest = UINT64_MAX, shortest = UINT64_MAX;
    unsigned long stalled = 0, reads = 0;
    bool started = false;
    *s = (struct tsc_sample){ 0 };
    for (;;) {
        uint64_t last_before = before, last_after = after;
        before = rdtsc();
        uint16_t now = pit_read_channel0();
        after = rdtsc();
        uint16_t moved = (uint16_t)(last - now);     /* channel 0 counts down */
        last = now;
        if (after - before < quickest)
            quickest = after - before;
        bool quick = ++reads > PIT_WARMUP_READS && after - before <= PIT_QUICK * quickest;
        /* The shortest stretch is known from the reads before the start (PIT_WARMUP_READS);
         * much shorter than any before, the stretches taken so far may include stops. */
        uint64_t stretch = after - last_before;
        if (stretch < shortest) {
            if (stretch * PIT_RUNNING < shortest)
                s->run_tsc = s->run_ticks = 0;
            shortest = stretch;
        }
        if (started) {
            if (stretch <= PIT_RUNNING * shortest) {
                s->run_tsc += after - last_after;
                s->run_ticks += moved;
            }
            s->ref_ticks += moved;
        }
        if (moved == 0) {
            if (++stalled > PIT_STALL_READS)
                return false;
            continue;
        }
        stalled = 0;
        /* A quick read ends the wait, or (should none come) enough reads or ticks do: a run
         * ends either way, judged by its ends. */
        if (!started && (quick || reads > PIT_STALL_READS)) {
            s->first_before = before;
            s->first_after = after;
            started = true;
        } else if (started && s->ref_ticks >= ticks && (quick || s->ref_ticks >= 4 * ticks)) {
            s->last_before = before;
            s->last_after = after;
            return true;
        }
    }
}

static const struct tsc_reference pit_reference = { .hz = PIT_HZ, .period = 65536 };

/* Runs of 10 ms, then (when none was good) of 50 ms, where a late read weighs a fifth as much;
 * stops at the first good run. A run is disturbed only when the host stops the guest at one of
 * its ends, which a loaded host does. */
static void pit_calibrate(struct tsc_calibration *cal)
{
    static const uint8_t window_ms[] = { 10, 50 };
    outb(PIT_COMMAND, 0x30);            /* channel 0, low then high byte, mode 0, binary */
    outb(PIT_CHANNEL0, 0xff);           /* from 0xffff down, wrapping on (mode 0) */
    outb(PIT_CHANNEL0, 0xff);
    for (unsigned w = 0; w < sizeof(window_ms); w++)
        for (int run = 0; run < PIT_RUNS; run++) {
            struct tsc_sample s;
            if (!pit_run((uint32_t)(PIT_HZ * window_ms[w] / 1000), &s))
                return;
            if (tsc_calibration_add(cal, &s, &pit_reference) == TSC_SAMPLE_GOOD)
                return;
        }
}

/* ---- CMOS RTC ---- */
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71

static uint8_t cmos_read(uint8_t reg)
{
    outb(CMOS_INDEX, reg);
    return inb(CMOS_DATA);
}

/* The RTC's date and time registers, in the order the fields are kept, and each field's
 * largest valid value (day and month also start at 1). */
enum { RTC_SEC, RTC_MIN, RTC_HOUR, RTC_DAY, RTC_MONTH, RTC_YEAR, RTC_FIELDS };
static const uint8_t rtc_registers[RTC_FIELDS] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09 };
static const uint8_t rtc_max[RTC_FIELDS] = { 59, 59, 23, 31, 12, 99 };

static bool rtc_read_raw(uint8_t t[RTC_FIELDS])
{
    for (unsigned spins = 0; cmos_read(0x0a) & 0x80; spins++) /* update in progress */
        if (spins > 1000000)
            return false;
    for (unsigned i = 0; i < RTC_FIELDS; i++)
        t[i] = cmos_read(rtc_registers[i]);
    return true;
}

static unsigned from_bcd(unsigned v)
{
    return (v & 0x0f) + (v >> 4) * 10;
}

static uint64_t rtc_unix_seconds(void)
{
    uint8_t a[RTC_FIELDS], b[RTC_FIELDS];
    /* Read until two reads agree, so no field is taken from either side of an update. */
    for (int tries = 0;; tries++) {
        if (tries == 5 || !rtc_read_raw(a) || !rtc_read_raw(b))
            return 0;
        if (memcmp(a, b, sizeof(a)) == 0)
            break;
    }
    uint8_t status_b = cmos_read(0x0b);
    bool pm = a[RTC_HOUR] & 0x80;
    a[RTC_HOUR] &= 0x7f;
    if (!(status_b & 0x04))
        for (unsigned i = 0; i < RTC_FIELDS; i++)
            a[i] = (uint8_t)from_bcd(a[i]);
    if (!(status_b & 0x02)) /* 12-hour clock */
        a[RTC_HOUR] = (uint8_t)(a[RTC_HOUR] % 12 + (pm ? 12 : 0));
    for (unsigned i = 0; i < RTC_FIELDS; i++)
        if (a[i] > rtc_max[i] || (a[i] == 0 && (i == RTC_DAY || i == RTC_MONTH)))
            return 0; /* no RTC answers, or it holds garbage: the time is unknown */
    unsigned year = a[RTC_YEAR] + (a[RTC_YEAR] < 70 ? 2000 : 1900);
    return (uint64_t)days_from_civil(year, a[RTC_MONTH], a[RTC_DAY]) * 86400 + a[RTC_HOUR] * 3600u +
           a[RTC_MIN] * 60u + a[RTC_SEC];
}

/* The TSC rate when no CPUID leaf states it: a good PIT run, else leaf 0x16's nominal rate, else
 * the least disturbed PIT run; never none (an assumed rate, said so, when the PIT does not
 * count). */
static uint64_t tsc_measure(const char **source)
{
    struct tsc_calibration pit = { 0 };
    uint64_t hz;
    pit_calibrate(&pit);
    if (pit.best_verdict == TSC_SAMPLE_GOOD) {
        *source = "PIT";
        return pit.best_hz;
    }
    if ((hz = tsc_cpuid_nominal_hz(source)) != 0)
        return hz;
    if (pit.best_hz) {
        *source = "PIT, disturbed";
        return pit.best_hz;
    }
    *source = "assumed: no PIT or CPUID rate";
    return TSC_ASSUMED_HZ;
}

/* ---- the machine ---- */

static uint64_t qemu_start(const char **source)
{
    kprintf("xenolith: no Xen CPUID leaves: bare-metal paths\n");
    uint64_t hz = tsc_cpuid_stated_hz(source);
    if (hz == 0)
        hz = tsc_measure(source);
    uint64_t seconds = rtc_unix_seconds();
    if (seconds)
        wallclock_at_boot_ns = seconds * NS_PER_SEC;
    return hz;
}

static uint64_t qemu_wallclock_ns(void)
{
    if (wallclock_at_boot_ns == 0)
        return 0;
    return wallclock_at_boot_ns + clock_tsc_ns();
}

static void qemu_console_write(const char *buf, size_t len)
{
    console_debug_port_write(buf, len);
    console_uart_write(buf, len);
}

static int qemu_late_init(void)
{
    if (kernel_options()->watchdog_s)
        kprintf("xenolith: watchdog= ignored: no Xen watchdog here\n");
    return 0;
}

__attribute__((noreturn)) static void qemu_shutdown(enum shutdown_reason reason)
{
    /* QEMU's isa-debug-exit ends QEMU with status value*2+1: 1, 3, 5, 7. */
    outl(DEBUG_EXIT_PORT, (uint32_t)reason);
    cpu_halt_forever();
}

const struct pvh_machine pvh_qemu = {
    .name = "bare metal/QEMU",
    .start = qemu_start,
    .monotonic_ns = clock_tsc_ns,
    .wallclock_ns = qemu_wallclock_ns,
    .console_write = qemu_console_write,
    .block_until = lapic_halt_until,
    .late_init = qemu_late_init,
    .shutdown = qemu_shutdown,
};
