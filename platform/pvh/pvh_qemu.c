/*
 * platform/pvh/pvh_qemu: the PVH image on bare QEMU (`-kernel`, microvm/pc/q35), or any PVH
 * loader without a Xen interface: console on COM1 and port 0xe9, the TSC rate from CPUID (a
 * hypervisor's timing leaf or leaf 0x15, with the LAPIC timer's clock when stated), else a
 * measurement against PIT channel 0, else CPUID 0x16, the wall clock from the CMOS
 * RTC read once at boot, idle on the LAPIC timer, and the end through QEMU's isa-debug-exit.
 */
#include "platform/pvh/pvh.h"
#include "arch/x86_64/cpu.h"
#include "kernel/options.h"
#include "lib/calendar.h"
#include "lib/printf.h"
#include "lib/string.h"

#define PIT_HZ 1193182ull
#define PIT_CHANNEL0 0x40
#define PIT_COMMAND 0x43
#define PIT_CALIBRATION_MS 10
#define PIT_RUNS 3
#define PIT_READ_SLACK 2000         /* a read within 0.05 % of the window */
#define NS_PER_SEC 1000000000ull
#define DEBUG_EXIT_PORT 0xf4

static uint64_t wallclock_at_boot_ns;

static uint16_t pit_read_channel0(void)
{
    outb(PIT_COMMAND, 0x00);            /* latch channel 0's count */
    uint8_t lo = inb(PIT_CHANNEL0);
    return (uint16_t)(lo | inb(PIT_CHANNEL0) << 8);
}

/* TSC ticks while PIT channel 0 counts PIT_CALIBRATION_MS, or 0 if no PIT counts; *read_ticks
 * gets how long the last read took (the run's lateness is at most that). Channel 0
 * is read back through latch commands, which needs no port 0x61 (microvm has none); its
 * IRQ 0 stays masked (PIC and LINT0 masked, IOAPIC pins masked since reset). */
static uint64_t pit_measure_once(uint64_t *read_ticks)
{
    uint16_t span = (uint16_t)(PIT_HZ * PIT_CALIBRATION_MS / 1000);
    outb(PIT_COMMAND, 0x30);            /* channel 0, low then high byte, mode 0, binary */
    outb(PIT_CHANNEL0, 0xff);
    outb(PIT_CHANNEL0, 0xff);
    uint16_t first = pit_read_channel0();
    unsigned long spins = 0;
    while (pit_read_channel0() == first) /* start on a count edge */
        if (++spins > 1000000ul)
            return 0;
    uint64_t start = rdtsc();
    uint16_t begin = pit_read_channel0();
    for (;;) {
        uint64_t before = rdtsc();
        uint16_t now = pit_read_channel0();
        uint64_t after = rdtsc();
        if (now > begin)                /* a real PIT only counts down here */
            return 0;
        if ((uint16_t)(begin - now) >= span) {
            *read_ticks = after - before;
            return (after - start) * span / (uint16_t)(begin - now);
        }
        if (++spins > 100000000ul)
            return 0;
    }
}

/* Lateness only ever adds ticks: the shortest run is the most accurate, and a run whose reads
 * are quick (within 1/PIT_READ_SLACK of the window) is accurate enough to stop at. */
static uint64_t pit_calibrate(void)
{
    uint64_t best = 0;
    for (int i = 0; i < PIT_RUNS; i++) {
        uint64_t read_ticks;
        uint64_t ticks = pit_measure_once(&read_ticks);
        if (ticks == 0)
            return 0;
        if (best == 0 || ticks < best)
            best = ticks;
        if (read_ticks * PIT_READ_SLACK <= ticks)
            break;
    }
    return best * 1000 / PIT_CALIBRATION_MS;
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

/* ---- the machine ---- */

static uint64_t qemu_start(const char **source)
{
    kprintf("xenolith: no Xen CPUID leaves: bare-metal paths\n");
    uint64_t hz = tsc_cpuid_stated_hz(source);
    if (hz == 0 && (hz = pit_calibrate()) != 0)
        *source = "PIT";
    if (hz == 0)
        hz = tsc_cpuid_nominal_hz(source);
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
