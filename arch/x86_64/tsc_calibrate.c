/*
 * arch/x86_64/tsc_calibrate: judges TSC samples taken against a reference clock and keeps the
 * least disturbed (tsc_calibrate.h).
 */
#include "arch/x86_64/tsc_calibrate.h"

#include <stdbool.h>

typedef unsigned __int128 u128;

/* The TSC ticks from the middle of the first read's bracket to the middle of the last's:
 * where each reference read most likely happened. */
static uint64_t sample_span(const struct tsc_sample *s)
{
    return (s->last_before + (s->last_after - s->last_before) / 2) -
           (s->first_before + (s->first_after - s->first_before) / 2);
}

/* How far the reads may lie from those middles, both ends together. */
static uint64_t sample_uncertainty(const struct tsc_sample *s)
{
    return (s->first_after - s->first_before) + (s->last_after - s->last_before);
}

enum tsc_sample_verdict tsc_sample_judge(const struct tsc_sample *s,
                                         const struct tsc_reference *ref, uint64_t *hz)
{
    *hz = 0;
    if (s->ref_ticks == 0 || s->first_before > s->first_after ||
        s->first_after > s->last_before || s->last_before > s->last_after)
        return TSC_SAMPLE_UNUSABLE;
    uint64_t total = s->last_after - s->first_before, ticks = s->ref_ticks;
    /* A counter that repeats after `period` ticks shows nothing of a stop that lasts a whole
     * period: the run really took ref_ticks + k * period. The rate where the guest ran tells k:
     * the ticks the whole run took at that rate, rounded to whole turns; the whole run must
     * then agree with that rate (a stop taken for running spoils it). Without enough running,
     * the stops (the run less where the guest ran) must be too short to have hidden a turn:
     * k turns would make them at least k * period / (ref_ticks + k * period) of the run, at
     * least period / (ref_ticks + period). */
    if (s->run_ticks >= TSC_RUNNING_MIN_TICKS && s->run_tsc) {
        uint64_t at_running_rate = (uint64_t)((u128)total * s->run_ticks / s->run_tsc);
        if (at_running_rate > ticks)
            ticks += (at_running_rate - ticks + ref->period / 2) / ref->period * ref->period;
        uint64_t off = ticks > at_running_rate ? ticks - at_running_rate : at_running_rate - ticks;
        if (off > ref->period / 4 || off * 16 > ticks)
            return TSC_SAMPLE_UNUSABLE;
    } else {
        uint64_t stopped = total > s->run_tsc ? total - s->run_tsc : 0;
        if ((u128)stopped * (ticks + ref->period) >= (u128)ref->period * total)
            return TSC_SAMPLE_UNUSABLE;
    }
    u128 rate = (u128)sample_span(s) * ref->hz / ticks;
    if (rate < TSC_PLAUSIBLE_MIN_HZ || rate > TSC_PLAUSIBLE_MAX_HZ)
        return TSC_SAMPLE_UNUSABLE;
    uint64_t uncertainty = sample_uncertainty(s), span = sample_span(s);
    if ((u128)uncertainty * TSC_DISTURBED_SLACK > span)
        return TSC_SAMPLE_UNUSABLE;
    *hz = (uint64_t)rate;
    if ((u128)uncertainty * TSC_SAMPLE_SLACK > span)
        return TSC_SAMPLE_DISTURBED;
    return TSC_SAMPLE_GOOD;
}

enum tsc_sample_verdict tsc_calibration_add(struct tsc_calibration *cal,
                                            const struct tsc_sample *s,
                                            const struct tsc_reference *ref)
{
    uint64_t hz;
    enum tsc_sample_verdict verdict = tsc_sample_judge(s, ref, &hz);
    if (verdict == TSC_SAMPLE_UNUSABLE)
        return verdict;
    /* Less uncertain relative to its span: uncertainty / span below the kept one's. */
    if (cal->best_hz == 0 || (u128)sample_uncertainty(s) * sample_span(&cal->best) <
                                 (u128)sample_uncertainty(&cal->best) * sample_span(s)) {
        cal->best = *s;
        cal->best_hz = hz;
        cal->best_verdict = verdict;
    }
    return verdict;
}
