/*
 * xen/pvclock: Xen's PV clock and one-shot timer (pvclock.h). The time record is written by
 * Xen with a seqlock-like protocol: an odd version means an update is in progress, and a
 * version that changed while we copied means the copy may mix two updates.
 */
#include "xen/pvclock.h"
#include "xen/physmap.h"
#include "xen/pvclock_math.h"
#include "lib/errno.h"
#include <stddef.h>

#include <xen/vcpu.h>

static bool ready;
static bool use_set_timer_op;
static uint64_t retries;
static uint64_t origin;
static uint64_t last_monotonic;
/* How far our reading has been found behind Xen's own clock (see xen_timer_arm). */
static uint64_t behind_ns;
static uint64_t corrections;

static inline uint64_t read_tsc(void)
{
    uint32_t lo, hi;
    /* lfence keeps the TSC read after the version load (RDTSC is not ordered by itself). */
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return (uint64_t)hi << 32 | lo;
}

struct time_snapshot {
    uint64_t tsc_timestamp, system_time;
    uint32_t mul;
    int8_t shift;
};

static void read_time_record(struct time_snapshot *snap, uint64_t *tsc)
{
    volatile struct vcpu_time_info *t = &xen_shared_info()->vcpu_info[0].time;
    for (;;) {
        uint32_t version = t->version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (version & 1) {
            retries++;
            continue;
        }
        snap->tsc_timestamp = t->tsc_timestamp;
        snap->system_time = t->system_time;
        snap->mul = t->tsc_to_system_mul;
        snap->shift = t->tsc_shift;
        if (tsc)
            *tsc = read_tsc();
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (t->version == version)
            return;
        retries++;
    }
}

uint64_t xen_system_time_ns(void)
{
    struct time_snapshot s;
    uint64_t tsc;
    read_time_record(&s, &tsc);
    return pvclock_system_time(s.system_time, s.tsc_timestamp, s.mul, s.shift, tsc);
}

uint64_t xen_pvclock_tsc_hz(void)
{
    struct time_snapshot s;
    read_time_record(&s, NULL);
    return pvclock_tsc_hz(s.mul, s.shift);
}

uint64_t xen_pvclock_retries(void)
{
    return retries;
}

uint64_t xen_wallclock_ns(void)
{
    volatile struct shared_info *sh = xen_shared_info();
    uint32_t version, sec, nsec, sec_hi;
    for (;;) {
        version = sh->wc_version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (version & 1)
            continue;
        sec = sh->wc_sec;
        nsec = sh->wc_nsec;
        sec_hi = sh->wc_sec_hi;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (sh->wc_version == version)
            break;
    }
    uint64_t base = ((uint64_t)sec_hi << 32 | sec) * 1000000000ull + nsec;
    if (base == 0)
        return 0;
    /* The base is the wall clock at system time 0. */
    return base + xen_system_time_ns();
}

int xen_pvclock_init(void)
{
    if (!xen_shared_info())
        return -ENODEV;
    long rc = xen_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    if (rc < 0 && rc != -ENOSYS)
        return (int)rc;
    if (xen_shared_info()->vcpu_info[0].time.tsc_to_system_mul == 0)
        return -EIO;   /* Xen never filled the record */
    origin = xen_system_time_ns();
    ready = true;
    return 0;
}

bool xen_pvclock_ready(void)
{
    return ready;
}

uint64_t xen_monotonic_ns(void)
{
    if (!ready)
        return 0;
    uint64_t now = xen_system_time_ns() + behind_ns - origin;
    if (now < last_monotonic)
        now = last_monotonic;
    last_monotonic = now;
    return now;
}

uint64_t xen_monotonic_origin(void)
{
    return origin;
}

uint64_t xen_pvclock_corrections(void)
{
    return corrections;
}

int xen_timer_arm(uint64_t system_deadline_ns)
{
    if (!use_set_timer_op) {
        /* "Future" makes Xen refuse a deadline its own clock has passed (-ETIME). Our
         * reading can lag Xen's when the TSC we read disagrees with the TSC stamp of the
         * time record (seen on nested SVM under TCG: the record's stamp ahead of our TSC
         * froze the clock for up to a second); the refusal proves Xen's time is past the
         * deadline, so the clock moves forward to it instead of spinning until it catches
         * up by itself. */
        struct vcpu_set_singleshot_timer single = { .timeout_abs_ns = system_deadline_ns,
                                                    .flags = VCPU_SSHOTTMR_future };
        long rc = xen_vcpu_op(VCPUOP_set_singleshot_timer, 0, &single);
        if (rc == -ETIME) {
            uint64_t ours = xen_system_time_ns() + behind_ns;
            if (system_deadline_ns > ours) {
                behind_ns += system_deadline_ns - ours;
                corrections++;
            }
            return -ETIME;
        }
        if (rc != -ENOSYS && rc != -EPERM)
            return (int)rc;
        use_set_timer_op = true;
    }
    /* set_timer_op treats 0 as "stop": a deadline of 0 means "now", so make it 1 ns. */
    return (int)xen_set_timer_op(system_deadline_ns ? system_deadline_ns : 1);
}

void xen_timer_stop(void)
{
    if (use_set_timer_op)
        xen_set_timer_op(0);
    else
        xen_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
}

const char *xen_timer_interface(void)
{
    return use_set_timer_op ? "set_timer_op" : "VCPUOP_set_singleshot_timer";
}
