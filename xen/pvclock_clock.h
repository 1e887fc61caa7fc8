/*
 * xen/pvclock_clock: the guest's clock on Xen as a pure state machine (unit-tested on the host
 * by test/unit/test_xen_pvclock.c; xen/pvclock.c feeds it the time record and the TSC).
 *
 * Why not just evaluate Xen's record at every read: the record's tsc_timestamp is Xen's TSC
 * stamp from its last once-a-second calibration plus our TSC offset, and nothing guarantees
 * the TSC we read afterwards is past it (on the nested test bed it often is not, by up to
 * tens of seconds, and the record may be written before our TSC offset was set). Clamping
 * the negative delta to zero stops the clock until Xen's next update. So the clock runs on
 * our own TSC, at the rate the record gives (mul/shift), from an anchor; each new record
 * re-anchors at the current reading (continuity) and adopts the new rate. The clock never
 * chases the record's idea of Xen's absolute time: that idea can be off by seconds, and
 * slewing toward it would make every sleep measured on the clock shorter or longer in real
 * time; the kernel's clock counts from boot, so only its rate matters. What the record says
 * about Xen's time is kept as an offset (error_ns), for estimating Xen's time when nothing
 * better is known; a record far behind us is implausible and ignored unless it keeps
 * saying so. The first reading does not extrapolate backwards from a stamp ahead of our TSC.
 *
 * Xen's time for timers comes better from samples of Xen's own clock (struct
 * pvclock_sample): the runstate's state_entry_time, Xen's NOW() at the schedule-in that
 * ended a block, paired with our TSC right after the wake-up. Such a sample is fresh only if
 * the vCPU really blocked (the runstate's blocked time grew): a HLT that returned at once
 * leaves state_entry_time at an older schedule-in, possibly hundreds of ms back.
 *
 * All times are in ns on Xen's system-time scale; the clock starts at the record's estimate.
 */
#ifndef XENOLITH_XEN_PVCLOCK_CLOCK_H
#define XENOLITH_XEN_PVCLOCK_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "xen/pvclock_math.h"

/* Xen's estimate behind ours by more than this is ignored ... */
#define PVCLOCK_IMPLAUSIBLE_NS 1000000000ll
/* ... unless this many records in a row say so. */
#define PVCLOCK_IMPLAUSIBLE_LIMIT 3u

/* One consistent copy of struct vcpu_time_info's fields. */
struct pvclock_record {
    uint32_t version;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t mul;
    int8_t shift;
};

struct pvclock_clock_stats {
    uint64_t records;            /* record changes folded in */
    uint64_t tsc_before_stamp;   /* ...of which our TSC was behind the record's stamp */
    uint64_t max_before_stamp_ns;
    int64_t last_error_ns;       /* Xen's estimate minus ours at the last record change */
    uint64_t max_error_ns;       /* largest |error| seen */
    uint64_t ignored;            /* implausible records ignored */
    uint64_t tsc_backwards;      /* reads with a TSC below our anchor (re-anchored) */
};

struct pvclock_clock {
    bool started;
    uint32_t version;            /* of the record last folded in */
    uint32_t mul;
    int8_t shift;
    uint64_t anchor_tsc;
    uint64_t anchor_ns;          /* the clock at anchor_tsc */
    int64_t error_ns;            /* the record's Xen time minus ours (+: Xen is ahead) */
    uint64_t last_ns;            /* the last value returned */
    unsigned implausible_run;
    bool resume_pending;         /* pvclock_clock_resume: the next read re-anchors */
    struct pvclock_clock_stats stats;
};

/* Xen's system time per the record at `tsc`, extrapolating backwards when tsc is before the
 * record's stamp (rather than treating that as no time elapsed). */
static inline uint64_t pvclock_record_time(const struct pvclock_record *r, uint64_t tsc)
{
    if (tsc >= r->tsc_timestamp)
        return r->system_time + pvclock_scale_delta(tsc - r->tsc_timestamp, r->mul, r->shift);
    uint64_t back = pvclock_scale_delta(r->tsc_timestamp - tsc, r->mul, r->shift);
    return back < r->system_time ? r->system_time - back : 0;
}

/* The clock at `tsc` from the anchor; *offset is the record's Xen time minus the clock. A
 * TSC below the anchor counts as no time elapsed. */
static inline uint64_t pvclock_clock_at(const struct pvclock_clock *c, uint64_t tsc,
                                        int64_t *offset)
{
    uint64_t elapsed =
        tsc > c->anchor_tsc ? pvclock_scale_delta(tsc - c->anchor_tsc, c->mul, c->shift) : 0;
    *offset = c->error_ns;
    return c->anchor_ns + elapsed;
}

static inline void pvclock_clock_anchor(struct pvclock_clock *c, uint64_t tsc, uint64_t ns,
                                        int64_t error)
{
    c->anchor_tsc = tsc;
    c->anchor_ns = ns;
    c->error_ns = error;
}

/* Folds a record we have not seen yet into the clock at `tsc`, whose clock value is `now`. */
static inline uint64_t pvclock_clock_fold(struct pvclock_clock *c, const struct pvclock_record *r,
                                          uint64_t tsc, uint64_t now)
{
    struct pvclock_clock_stats *s = &c->stats;
    uint64_t xen = pvclock_record_time(r, tsc);
    int64_t error = (int64_t)(xen - now);
    s->records++;
    if (tsc < r->tsc_timestamp) {
        s->tsc_before_stamp++;
        uint64_t before = pvclock_scale_delta(r->tsc_timestamp - tsc, r->mul, r->shift);
        if (before > s->max_before_stamp_ns)
            s->max_before_stamp_ns = before;
    }
    s->last_error_ns = error;
    uint64_t magnitude = error < 0 ? (uint64_t)-error : (uint64_t)error;
    if (magnitude > s->max_error_ns)
        s->max_error_ns = magnitude;
    c->version = r->version;
    c->mul = r->mul;
    c->shift = r->shift;
    if (error < -PVCLOCK_IMPLAUSIBLE_NS && ++c->implausible_run < PVCLOCK_IMPLAUSIBLE_LIMIT) {
        s->ignored++;
        pvclock_clock_anchor(c, tsc, now, 0);
        return now;
    }
    c->implausible_run = 0;
    pvclock_clock_anchor(c, tsc, now, error);
    return now;
}

/* The clock at `tsc` given the current record: monotonic, and advancing whenever the TSC does. */
static inline uint64_t pvclock_clock_read(struct pvclock_clock *c, const struct pvclock_record *r,
                                          uint64_t tsc)
{
    if (!c->started) {
        c->started = true;
        c->version = r->version;
        c->mul = r->mul;
        c->shift = r->shift;
        uint64_t start = pvclock_record_time(r, tsc);
        if (start < r->system_time)
            start = r->system_time;
        pvclock_clock_anchor(c, tsc, start, 0);
        c->last_ns = start;
        return start;
    }
    if (c->resume_pending) {
        /* The first reading in the new domain: on from the last value, at the new rate,
         * with the new record's offset taken whatever it says. */
        c->resume_pending = false;
        c->implausible_run = PVCLOCK_IMPLAUSIBLE_LIMIT - 1;
        pvclock_clock_anchor(c, tsc, c->last_ns, 0);
        c->last_ns = pvclock_clock_fold(c, r, tsc, c->last_ns);
        return c->last_ns;
    }
    if (tsc < c->anchor_tsc) {
        /* Our TSC went back (a vCPU moved to a CPU whose TSC differs): carry on from the
         * last value; the next record measures what was lost. */
        c->stats.tsc_backwards++;
        pvclock_clock_anchor(c, tsc, c->last_ns, c->error_ns);
    }
    int64_t offset;
    uint64_t now = pvclock_clock_at(c, tsc, &offset);
    if (now < c->last_ns)
        now = c->last_ns;
    if (r->version != c->version) {
        /* The new anchor starts from the current value (continuity); the new record's
         * offset supersedes the old one. */
        now = pvclock_clock_fold(c, r, tsc, now);
    }
    c->last_ns = now;
    return now;
}

/* After the domain was suspended and resumed (xen/suspend.h), possibly on another host: our
 * TSC and Xen's time record may both have moved anywhere (a TSC that counted on while the
 * domain was saved, a new host's TSC and system time). The next reading continues from the
 * last value returned, so the suspended time is not counted: to everything timed on this
 * clock (timers, TCP's retransmissions) the suspend is a pause, and no deadline passes
 * because of it. The new record's offset is adopted at once, however far off the old one it
 * is, since the new host's time is the truth now (the wall clock follows it). */
static inline void pvclock_clock_resume(struct pvclock_clock *c)
{
    c->resume_pending = c->started;
}

/* Xen's time now as well as the record lets us know it: the clock plus its offset. */
static inline uint64_t pvclock_clock_xen_now(const struct pvclock_clock *c, uint64_t tsc)
{
    int64_t offset;
    uint64_t now = pvclock_clock_at(c, tsc, &offset);
    if (now < c->last_ns)
        now = c->last_ns;
    int64_t xen = (int64_t)now + offset;
    return xen < 0 ? 0 : (uint64_t)xen;
}

/* Xen's time at which our clock reads `deadline`, as well as the record lets us know it at
 * `tsc` (its offset is added; `lag_ns` is what timer refusals taught on top). */
static inline uint64_t pvclock_clock_to_xen(const struct pvclock_clock *c, uint64_t tsc,
                                            uint64_t deadline, uint64_t lag_ns)
{
    int64_t offset;
    uint64_t now = pvclock_clock_at(c, tsc, &offset);
    if (now < c->last_ns)
        now = c->last_ns;
    uint64_t ahead = deadline > now ? deadline - now : 0;
    int64_t xen_now = (int64_t)now + offset + (int64_t)lag_ns;
    return xen_now < 0 ? ahead : (uint64_t)xen_now + ahead;
}

/* A sample of Xen's own clock: Xen's time xen_ns when our TSC read tsc. */
struct pvclock_sample {
    bool valid;
    uint64_t tsc;
    uint64_t xen_ns;
    uint64_t blocked_total_ns;   /* the runstate's blocked time when it was taken */
};

/* Takes a runstate reading (state_entry_time, time[RUNSTATE_blocked]) made right after a
 * HLT, with our TSC: true, and the sample replaced, only if the blocked time grew since the
 * last sample (the vCPU blocked in that HLT, so state_entry_time is moments old). A first
 * reading is always taken (a lower bound, stale by whatever ran since the schedule-in). */
static inline bool pvclock_sample_offer(struct pvclock_sample *s, uint64_t state_entry_ns,
                                        uint64_t blocked_total_ns, uint64_t tsc)
{
    if (s->valid && blocked_total_ns == s->blocked_total_ns)
        return false;
    s->valid = true;
    s->tsc = tsc;
    s->xen_ns = state_entry_ns;
    s->blocked_total_ns = blocked_total_ns;
    return true;
}

/* Xen's time at our `tsc` from the sample, extrapolated at the record's rate; false when
 * there is no sample or tsc is before it. */
static inline bool pvclock_sample_estimate(const struct pvclock_sample *s, uint64_t tsc,
                                           uint32_t mul, int8_t shift, uint64_t *xen_ns)
{
    if (!s->valid || tsc < s->tsc)
        return false;
    *xen_ns = s->xen_ns + pvclock_scale_delta(tsc - s->tsc, mul, shift);
    return true;
}

/* Xen's time was at least xen_ns when our TSC read tsc (a deadline it fired at once): the
 * sample moves there if that is later than it says. True if it moved. */
static inline bool pvclock_sample_raise(struct pvclock_sample *s, uint64_t tsc, uint64_t xen_ns,
                                        uint32_t mul, int8_t shift)
{
    uint64_t known;
    if (pvclock_sample_estimate(s, tsc, mul, shift, &known) && known >= xen_ns)
        return false;
    uint64_t blocked = s->blocked_total_ns;
    s->valid = true;
    s->tsc = tsc;
    s->xen_ns = xen_ns;
    s->blocked_total_ns = blocked;
    return true;
}

#endif
