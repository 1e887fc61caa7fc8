/*
 * net/tcp_seq: sequence-number and window arithmetic for TCP.
 *
 * Sequence numbers live in a 2^32 circle (RFC 9293 3.4): "a < b" means b is ahead of a by less
 * than 2^31, computed from the signed difference, so every comparison stays right across the
 * wrap from 0xffffffff to 0. Windows are byte counts; the 16-bit window field is scaled by a
 * shift of at most 14 (RFC 7323 2.2, 2.3), so the largest window is 65535 << 14 (just under 1 GiB,
 * well below 2^31 as the comparisons need).
 *
 * Everything here is a pure inline function; tests are in test/unit/test_tcp_seq.c.
 */
#ifndef XENOLITH_NET_TCP_SEQ_H
#define XENOLITH_NET_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

/* RFC 7323 2.3: a shift count above 14 is used as 14. */
#define TCP_WSCALE_MAX 14u
/* The largest window that can be expressed: 65535 scaled by the largest shift. */
#define TCP_MAX_WINDOW (0xffffu << TCP_WSCALE_MAX)

/* b - a as a signed distance: positive when b is ahead of a. */
static inline int32_t seq_diff(uint32_t b, uint32_t a)
{
    return (int32_t)(b - a);
}

static inline bool seq_lt(uint32_t a, uint32_t b) { return seq_diff(b, a) > 0; }
static inline bool seq_le(uint32_t a, uint32_t b) { return seq_diff(b, a) >= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return seq_diff(b, a) < 0; }
static inline bool seq_ge(uint32_t a, uint32_t b) { return seq_diff(b, a) <= 0; }

static inline uint32_t seq_max(uint32_t a, uint32_t b) { return seq_lt(a, b) ? b : a; }
static inline uint32_t seq_min(uint32_t a, uint32_t b) { return seq_lt(a, b) ? a : b; }

/* lo <= seq <= hi, both ends included, going forward from lo (hi may have wrapped past 0).
 * When hi is behind lo the range is empty and the answer is false. */
static inline bool seq_between(uint32_t seq, uint32_t lo, uint32_t hi)
{
    return seq_le(lo, hi) && seq - lo <= hi - lo;
}

/* start <= seq < start + len: seq falls inside a window of len bytes (false when len is 0). */
static inline bool seq_in_window(uint32_t seq, uint32_t start, uint32_t len)
{
    return seq - start < len;
}

/* The window in bytes carried by a 16-bit window field under a shift (clamped to 14). */
static inline uint32_t tcp_window_unscale(uint16_t field, uint8_t shift)
{
    if (shift > TCP_WSCALE_MAX)
        shift = TCP_WSCALE_MAX;
    return (uint32_t)field << shift;
}

/* The window field to send for `window` bytes under a shift: rounded up to the next unit of
 * 2^shift, so that a right edge already offered is never pulled back by the rounding (RFC 9293
 * 3.8.6.2.2 discourages shrinking the window), and capped at 65535. Rounding up may offer up to
 * 2^shift - 1 bytes more than `window`: a caller that must not exceed its buffer checks
 * field << shift against it and takes one unit less. */
static inline uint16_t tcp_window_field(uint32_t window, uint8_t shift)
{
    if (shift > TCP_WSCALE_MAX)
        shift = TCP_WSCALE_MAX;
    uint64_t units = ((uint64_t)window + ((1u << shift) - 1)) >> shift;
    return units > 0xffff ? 0xffff : (uint16_t)units;
}

/* The smallest shift whose scaled 16-bit field can describe a buffer of `bytes` (RFC 7323 2.2:
 * the shift a receiver offers in its SYN), at most 14. */
static inline uint8_t tcp_wscale_for_buffer(uint32_t bytes)
{
    uint8_t shift = 0;
    while (shift < TCP_WSCALE_MAX && ((uint64_t)0xffff << shift) < bytes)
        shift++;
    return shift;
}

/* How much of a window with right edge `right_edge` is left from `next` on (0 when next is at
 * or beyond the edge, as after the peer shrank its window: RFC 9293 3.8.6.2.1). */
static inline uint32_t tcp_window_left(uint32_t right_edge, uint32_t next)
{
    return seq_lt(next, right_edge) ? right_edge - next : 0;
}

#endif
