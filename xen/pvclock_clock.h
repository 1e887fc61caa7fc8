/*
 * xen/pvclock_clock: the guest's clock on Xen as a pure state machine (unit-tested on the host
 * by test/unit/test_xen_pvclock.c; xen/pvclock.c feeds it the time record and the TSC).
 *
 * Why not just evaluate Xen's record at every read: the record's tsc_timestamp is Xen's TSC
 * stamp from its last once-a-second calibration plus our TSC offset, and nothing guarantees
 * the TSC we read afterwards is past it (on the nested test bed it often is not, by up to
 * hundreds of ms). Clamping the negative delta to zero stops the clock until Xen's next
 * update. So the clock runs on our own TSC, at the rate the record gives (mul/shift), from an
 * anchor; each new record re-anchors at the current reading (continuity), adopts the new
 * rate, and measures how far the record's estimate of Xen's time is from ours. That error is
 * absorbed by slewing - the clock runs at most 1/PVCLOCK_SLEW_DIVISOR faster or slower than
 * the TSC until it is gone (1/PVCLOCK_FAST_SLEW_DIVISOR faster when Xen is more than
 * PVCLOCK_FAST_SLEW_NS ahead) - so the clock never stands still, never jumps and never goes
 * backwards, and a sleep measured on it is never off by more than the slew rate. A record far
 * behind us is implausible (our clock only ever runs at the record's rate) and ignored,
 * unless it keeps saying so. The first reading does not extrapolate backwards from a stamp
 * ahead of our TSC (the record may be stale from before our TSC offset was set): starting
 * low is corrected by slewing forward, starting high could only be by slowing down.
 *
 * Timers take Xen's time: pvclock_clock_to_xen converts a deadline by adding the part of the
 * error not yet absorbed, so a timer targets Xen's time as well as the record lets us know it.
 *
 * All times are in ns on Xen's system-time scale; the clock starts at the record's estimate.
 */
#ifndef XENOLITH_XEN_PVCLOCK_CLOCK_H
#define XENOLITH_XEN_PVCLOCK_CLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "xen/pvclock_math.h"

/* The clock runs at most 1/8 fast or slow while absorbing an error ... */
#define PVCLOCK_SLEW_DIVISOR 8u
/* ... or 1/2 fast while Xen is more than this ahead. */
#define PVCLOCK_FAST_SLEW_DIVISOR 2u
#define PVCLOCK_FAST_SLEW_NS 1000000000ll
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
    uint64_t fast_slews;         /* records with Xen ahead by more than PVCLOCK_FAST_SLEW_NS */
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
    int64_t error_ns;            /* still to absorb at anchor_tsc (+: Xen is ahead of us) */
    uint64_t last_ns;            /* the last value returned */
    unsigned implausible_run;
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

/* The clock at `tsc` from the anchor, with the slew due by then; *unabsorbed is what is left
 * of the error afterwards. A TSC below the anchor counts as no time elapsed. */
static inline uint64_t pvclock_clock_at(const struct pvclock_clock *c, uint64_t tsc,
                                        int64_t *unabsorbed)
{
    uint64_t elapsed =
        tsc > c->anchor_tsc ? pvclock_scale_delta(tsc - c->anchor_tsc, c->mul, c->shift) : 0;
    uint64_t budget = elapsed / (c->error_ns > PVCLOCK_FAST_SLEW_NS ? PVCLOCK_FAST_SLEW_DIVISOR
                                                                    : PVCLOCK_SLEW_DIVISOR);
    int64_t applied;
    if (c->error_ns >= 0)
        applied = (uint64_t)c->error_ns < budget ? c->error_ns : (int64_t)budget;
    else
        applied = (uint64_t)-c->error_ns < budget ? c->error_ns : -(int64_t)budget;
    *unabsorbed = c->error_ns - applied;
    /* elapsed + applied >= elapsed * 7/8: the clock never stands still while the TSC runs
     * (a fast slew only ever runs forward). */
    return c->anchor_ns + elapsed + (uint64_t)applied;
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
    if (error > PVCLOCK_FAST_SLEW_NS)
        s->fast_slews++;
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
    if (tsc < c->anchor_tsc) {
        /* Our TSC went back (a vCPU moved to a CPU whose TSC differs): carry on from the
         * last value; the next record measures what was lost. */
        c->stats.tsc_backwards++;
        pvclock_clock_anchor(c, tsc, c->last_ns, c->error_ns);
    }
    int64_t unabsorbed;
    uint64_t now = pvclock_clock_at(c, tsc, &unabsorbed);
    if (now < c->last_ns)
        now = c->last_ns;
    if (r->version != c->version) {
        /* The new anchor starts from the slewed value: what is left of the old error is
         * superseded by the new record's measurement. */
        now = pvclock_clock_fold(c, r, tsc, now);
    }
    c->last_ns = now;
    return now;
}

/* Xen's time now as well as we know it: the clock plus the error not yet absorbed. */
static inline uint64_t pvclock_clock_xen_now(const struct pvclock_clock *c, uint64_t tsc)
{
    int64_t unabsorbed;
    uint64_t now = pvclock_clock_at(c, tsc, &unabsorbed);
    if (now < c->last_ns)
        now = c->last_ns;
    int64_t xen = (int64_t)now + unabsorbed;
    return xen < 0 ? 0 : (uint64_t)xen;
}

/* Xen's time at which our clock reads `deadline`, as well as we know it at `tsc` (the
 * error not yet absorbed is added; `lag_ns` is what timer refusals taught on top). */
static inline uint64_t pvclock_clock_to_xen(const struct pvclock_clock *c, uint64_t tsc,
                                            uint64_t deadline, uint64_t lag_ns)
{
    int64_t unabsorbed;
    uint64_t now = pvclock_clock_at(c, tsc, &unabsorbed);
    if (now < c->last_ns)
        now = c->last_ns;
    uint64_t ahead = deadline > now ? deadline - now : 0;
    int64_t xen_now = (int64_t)now + unabsorbed + (int64_t)lag_ns;
    return xen_now < 0 ? ahead : (uint64_t)xen_now + ahead;
}

#endif
