/*
 * net/dev/faults: a decorator that misbehaves like a bad network, deterministically: every
 * decision comes from a PRNG seeded by the caller, so a failing test replays exactly. Rates are in
 * parts per million per frame, applied independently in the chosen directions:
 *   drop       the frame vanishes
 *   duplicate  the frame is sent twice
 *   reorder    the frame is held back and released right after the next frame (or after
 *              reorder_hold_ns if no frame follows)
 *   corrupt    one random byte of a private copy is flipped (the sender's buffer is untouched)
 *   delay      the frame is delivered delay_ns later (sched/ timer)
 */
#ifndef XENOLITH_NET_DEV_FAULTS_H
#define XENOLITH_NET_DEV_FAULTS_H

#include <stdbool.h>
#include <stdint.h>
#include "platform/netdev.h"

#define FAULTS_PPM 1000000u
#define FAULTS_MAX_HELD 64           /* frames delayed or held for reordering at once */

enum faults_direction { FAULTS_TX = 1u << 0, FAULTS_RX = 1u << 1 };

struct faults_config {
    uint64_t seed;
    unsigned directions;             /* FAULTS_TX | FAULTS_RX */
    uint32_t drop_ppm;
    uint32_t duplicate_ppm;
    uint32_t reorder_ppm;
    uint32_t corrupt_ppm;
    uint32_t delay_ppm;
    uint64_t delay_ns;
    uint64_t reorder_hold_ns;        /* 0: 10 ms */
};

#define FAULTS_COUNTERS(X)                                                              \
    X(frames_seen)                                                                      \
    X(dropped)                                                                          \
    X(duplicated)                                                                       \
    X(reordered)                                                                        \
    X(corrupted)                                                                        \
    X(delayed)                                                                          \
    X(held_overflow)  /* could not hold a frame (limit or no memory): passed on unharmed */

struct faults_stats {
#define FAULTS_STAT_FIELD(name) uint64_t name;
    FAULTS_COUNTERS(FAULTS_STAT_FIELD)
#undef FAULTS_STAT_FIELD
};

/* A netdev that behaves like `lower` (MAC, MTU, caps) with faults injected. NULL when out of
 * memory. netdev_destroy frees held frames and removes the decorator (lower stays). */
struct netdev *faults_wrap(struct netdev *lower, const struct faults_config *cfg);
/* Changes the rates (and reseeds) on the fly, e.g. to heal the network mid-test. */
void faults_configure(struct netdev *faults_dev, const struct faults_config *cfg);
void faults_get_stats(const struct netdev *faults_dev, struct faults_stats *out);

#endif
