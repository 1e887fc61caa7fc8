/*
 * xen/pvclock: Xen's PV clock and one-shot timer (pvclock.h). The time record is written by
 * Xen with a seqlock-like protocol: an odd version means an update is in progress, and a
 * version that changed while we copied means the copy may mix two updates.
 */
#include "xen/pvclock.h"
#include "xen/physmap.h"
#include "xen/pvclock_clock.h"
#include "lib/errno.h"
#include <stddef.h>

#include <xen/vcpu.h>

static bool ready;
static bool use_set_timer_op;
static uint64_t retries;
static uint64_t origin;
static struct pvclock_clock clock;
static uint64_t timer_refusals;
/* The last sample of Xen's own clock (see xen_pvclock_sample_after_wake). */
static struct pvclock_sample sample;
static uint64_t samples;
static int64_t sample_offset_ns;
/* The last deadline given to Xen, and the TSC it was computed at. */
static uint64_t armed_xen_ns, armed_tsc;
static struct xen_timer_arm_info last_arm;
static uint64_t wake_entry_ns, wake_tsc;
static uint64_t early_fires;
/* Until a fresh sample arrives (after boot, after Xen fired a deadline at once) blocks run
 * on a timer Xen counts from its own now (see xen_pvclock_sync_wanted). */
static bool sync_wanted;
static uint64_t stale_wakes;
static uint64_t syncs;

static bool take_sample(const struct vcpu_runstate_info *info, uint64_t tsc);

static inline uint64_t read_tsc(void)
{
    uint32_t lo, hi;
    /* lfence keeps the TSC read after the version load (RDTSC is not ordered by itself). */
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
    return (uint64_t)hi << 32 | lo;
}

/* A consistent copy of vCPU 0's record, and the TSC read inside the same version window. */
static void read_time_record(struct pvclock_record *rec, uint64_t *tsc)
{
    volatile struct vcpu_time_info *t = &xen_shared_info()->vcpu_info[0].time;
    for (;;) {
        uint32_t version = t->version;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (version & 1) {
            retries++;
            continue;
        }
        rec->version = version;
        rec->tsc_timestamp = t->tsc_timestamp;
        rec->system_time = t->system_time;
        rec->mul = t->tsc_to_system_mul;
        rec->shift = t->tsc_shift;
        *tsc = read_tsc();
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (t->version == version)
            return;
        retries++;
    }
}

uint64_t xen_system_time_ns(void)
{
    struct pvclock_record rec;
    uint64_t tsc;
    read_time_record(&rec, &tsc);
    return pvclock_record_time(&rec, tsc);
}

/* The clock (Xen's time scale); *tsc_out gets the TSC it was read at. */
static uint64_t clock_now(uint64_t *tsc_out)
{
    struct pvclock_record rec;
    uint64_t tsc;
    read_time_record(&rec, &tsc);
    uint64_t now = pvclock_clock_read(&clock, &rec, tsc);
    if (tsc_out)
        *tsc_out = tsc;
    return now;
}

uint64_t xen_pvclock_tsc_hz(void)
{
    struct pvclock_record rec;
    uint64_t tsc;
    read_time_record(&rec, &tsc);
    return pvclock_tsc_hz(rec.mul, rec.shift);
}

uint64_t xen_pvclock_retries(void)
{
    return retries;
}

/* Xen's time at our `tsc`: from the last sample of Xen's own clock (a lower bound, fresh
 * after every real block), else from the record, whose stamp can be seconds off our TSC. */
static uint64_t xen_time_estimate(uint64_t tsc)
{
    uint64_t xen_ns;
    if (pvclock_sample_estimate(&sample, tsc, clock.mul, clock.shift, &xen_ns))
        return xen_ns;
    return pvclock_clock_xen_now(&clock, tsc);
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
    /* The base is the wall clock at system time 0. Our best estimate of Xen's time, not the
     * slewed clock: a wall clock may be stepped, and should be right at once. */
    uint64_t tsc;
    clock_now(&tsc);
    return base + xen_time_estimate(tsc);
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
    origin = clock_now(NULL);
    ready = true;
    /* A first sample of Xen's clock: the time we were scheduled in, stale by everything boot
     * did since (hundreds of ms under nested emulation), so only a lower bound. The first
     * block therefore runs on a relative timer and brings a fresh one. */
    struct vcpu_runstate_info info;
    if (xen_vcpu_op(VCPUOP_get_runstate_info, 0, &info) == 0) {
        uint64_t tsc;
        clock_now(&tsc);
        take_sample(&info, tsc);
    }
    sync_wanted = true;
    return 0;
}

int xen_pvclock_resume(void)
{
    if (!ready)
        return -ENODEV;
    /* A new domain's vCPU starts with Xen's periodic timer running again. */
    long rc = xen_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
    if (rc < 0 && rc != -ENOSYS)
        return (int)rc;
    if (xen_shared_info()->vcpu_info[0].time.tsc_to_system_mul == 0)
        return -EIO;
    pvclock_clock_resume(&clock);
    clock_now(NULL);
    /* Samples of the old host's clock say nothing about the new one's. */
    sample.valid = false;
    armed_xen_ns = armed_tsc = 0;
    sync_wanted = true;
    return 0;
}

bool xen_pvclock_ready(void)
{
    return ready;
}

uint64_t xen_monotonic_ns(void)
{
    return ready ? clock_now(NULL) - origin : 0;
}

uint64_t xen_monotonic_origin(void)
{
    return origin;
}

void xen_pvclock_get_stats(struct xen_pvclock_stats *out)
{
    out->clock = clock.stats;
    out->retries = retries;
    out->timer_refusals = timer_refusals;
    out->samples = samples;
    out->early_fires = early_fires;
    out->sample_offset_ns = sample_offset_ns;
    out->stale_wakes = stale_wakes;
    out->syncs = syncs;
}

/* Offers a runstate reading to the sample; true if it was taken (see pvclock_sample_offer). */
static bool take_sample(const struct vcpu_runstate_info *info, uint64_t tsc)
{
    if (!pvclock_sample_offer(&sample, info->state_entry_time, info->time[RUNSTATE_blocked],
                              tsc))
        return false;
    sample_offset_ns = (int64_t)(sample.xen_ns - pvclock_clock_xen_now(&clock, tsc));
    samples++;
    return true;
}

bool xen_pvclock_sample_after_wake(void)
{
    struct vcpu_runstate_info info;
    if (!ready || xen_vcpu_op(VCPUOP_get_runstate_info, 0, &info) < 0 ||
        info.state != RUNSTATE_running)
        return false;
    uint64_t tsc;
    clock_now(&tsc);
    wake_entry_ns = info.state_entry_time;
    wake_tsc = tsc;
    if (!take_sample(&info, tsc)) {
        stale_wakes++;   /* the HLT returned without blocking: nothing new to learn */
        return false;
    }
    if (sync_wanted) {
        sync_wanted = false;
        syncs++;
    }
    return true;
}

void xen_pvclock_timer_fired_at_arm(void)
{
    /* Xen fires a deadline it has already passed at once: its time was past armed_xen_ns
     * when we computed it, a better lower bound than a sample that proved too low. By how
     * much more is unknown, so the next block runs on a relative timer. */
    early_fires++;
    pvclock_sample_raise(&sample, armed_tsc, armed_xen_ns, clock.mul, clock.shift);
    sync_wanted = true;
}

/* Xen's time for our clock's deadline, from the last sample if there is one. */
static uint64_t deadline_to_xen(uint64_t deadline, uint64_t now, uint64_t tsc)
{
    uint64_t xen_ns;
    if (!pvclock_sample_estimate(&sample, tsc, clock.mul, clock.shift, &xen_ns))
        return pvclock_clock_to_xen(&clock, tsc, deadline, 0);
    return xen_ns + (deadline > now ? deadline - now : 0);
}

bool xen_pvclock_sync_wanted(void)
{
    return ready && sync_wanted;
}

int xen_timer_arm(uint64_t deadline_ns)
{
    uint64_t tsc;
    uint64_t now = clock_now(&tsc) - origin;
    if (deadline_ns <= now)
        return -ETIME;
    uint64_t xen_deadline = deadline_to_xen(origin + deadline_ns, origin + now, tsc);
    armed_xen_ns = xen_deadline;
    armed_tsc = tsc;
    last_arm = (struct xen_timer_arm_info){ .tsc = tsc, .xen_deadline_ns = xen_deadline,
                                            .sample_tsc = sample.tsc,
                                            .sample_xen_ns = sample.xen_ns };
    last_arm.from_sample = pvclock_sample_estimate(&sample, tsc, clock.mul, clock.shift,
                                                   &last_arm.xen_now_ns);
    if (!last_arm.from_sample)
        last_arm.xen_now_ns = pvclock_clock_xen_now(&clock, tsc);
    if (!use_set_timer_op) {
        /* Xen 4.17 ignores "future" and fires a past deadline at once; older Xen refuses it. */
        struct vcpu_set_singleshot_timer single = { .timeout_abs_ns = xen_deadline,
                                                    .flags = VCPU_SSHOTTMR_future };
        long rc = xen_vcpu_op(VCPUOP_set_singleshot_timer, 0, &single);
        if (rc == -ETIME)
            timer_refusals++;
        if (rc != -ENOSYS && rc != -EPERM)
            return (int)rc;
        use_set_timer_op = true;
    }
    /* set_timer_op treats 0 as "stop": a deadline of 0 means "now", so make it 1 ns. */
    return (int)xen_set_timer_op(xen_deadline ? xen_deadline : 1);
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

void xen_timer_last_arm(struct xen_timer_arm_info *out)
{
    *out = last_arm;
}

void xen_pvclock_last_wake(uint64_t *state_entry_ns, uint64_t *tsc)
{
    *state_entry_ns = wake_entry_ns;
    *tsc = wake_tsc;
}
