/*
 * arch/x86_64/tsc_calibrate: judging measurements of the TSC against a reference clock whose
 * rate is known (PIT channel 0, the CMOS RTC's seconds) and keeping the least disturbed one.
 * Pure: the platform takes the samples (platform/pvh/pvh_qemu.c), the unit tests feed made-up
 * ones. A host that stops the guest between a reference read and the TSC reads around it
 * makes that end of the sample uncertain; a stop longer than the reference counter's period
 * hides whole periods. Both happen only on a loaded host, so a few samples, the least
 * disturbed kept, give the rate.
 */
#ifndef XENOLITH_ARCH_X86_64_TSC_CALIBRATE_H
#define XENOLITH_ARCH_X86_64_TSC_CALIBRATE_H

#include <stdint.h>

/* One run: the TSC read just before and just after the first and the last reference read,
 * and the reference ticks between those two reads (summed read to read, modulo the period).
 * run_tsc and run_ticks sum the TSC ("after" to "after") and the reference ticks over the
 * stretches between reads where the guest ran (no stop): no turn of the count can hide there,
 * so they give the rate that tells how many turns the stops hid. */
struct tsc_sample {
    uint64_t first_before, first_after;
    uint64_t last_before, last_after;
    uint64_t ref_ticks;
    uint64_t run_tsc, run_ticks;
};

struct tsc_reference {
    uint64_t hz;       /* the reference's rate */
    uint64_t period;   /* ticks after which its counter reads the same again (PIT: 65536) */
};

enum tsc_sample_verdict {
    /* No rate: a rate outside TSC_PLAUSIBLE_{MIN,MAX}_HZ, ends too uncertain, a run that
     * disagrees with the rate where the guest ran, stops that may have hidden a whole
     * reference period with too little running to count the hidden turns, or reads out of
     * order. */
    TSC_SAMPLE_UNUSABLE,
    /* A rate, but its two ends are uncertain by more than 1/TSC_SAMPLE_SLACK of its span (and
     * at most 1/TSC_DISTURBED_SLACK). */
    TSC_SAMPLE_DISTURBED,
    TSC_SAMPLE_GOOD,
};

/* A good sample's ends are known within 1/TSC_SAMPLE_SLACK of its span (the rate within
 * 250 ppm); a disturbed one's within 1/TSC_DISTURBED_SLACK (3 %), else it is unusable. */
#define TSC_SAMPLE_SLACK 2000u
#define TSC_DISTURBED_SLACK 16u
/* Running ticks needed to trust the running rate (the count is read to a tick, so this many
 * keep it within 1/256 per stretch; far closer than the half turn that counting turns needs). */
#define TSC_RUNNING_MIN_TICKS 256u
/* Wide: an emulator's TSC may count instructions (slow); above the maximum is a miscount. */
#define TSC_PLAUSIBLE_MIN_HZ 1000000ull
#define TSC_PLAUSIBLE_MAX_HZ 50000000000ull

/* The samples so far; zero-initialise, then tsc_calibration_add each. */
struct tsc_calibration {
    struct tsc_sample best;              /* the least uncertain usable sample */
    uint64_t best_hz;                    /* its rate; 0: no usable sample yet */
    enum tsc_sample_verdict best_verdict;
};

/* The rate a sample gives (midpoint to midpoint of its ends), or 0 when it is unusable. */
enum tsc_sample_verdict tsc_sample_judge(const struct tsc_sample *s,
                                         const struct tsc_reference *ref, uint64_t *hz);

/* Judges a sample and keeps it if it is the least uncertain usable one so far (relative to
 * its span); returns its verdict. The kept rate is cal->best_hz, its verdict cal->best_verdict. */
enum tsc_sample_verdict tsc_calibration_add(struct tsc_calibration *cal,
                                            const struct tsc_sample *s,
                                            const struct tsc_reference *ref);

#endif
