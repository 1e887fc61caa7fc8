/*
 * xen/pvclock_math: the arithmetic of Xen's per-vCPU time record (struct vcpu_time_info in
 * <xen/xen.h>) as pure functions, unit-tested on the host (test/unit/test_xen_pvclock.c):
 *   now = system_time + (((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32
 * where a negative tsc_shift shifts right. The product is taken in 128 bits so a long gap
 * since Xen's last update cannot overflow.
 */
#ifndef XENOLITH_XEN_PVCLOCK_MATH_H
#define XENOLITH_XEN_PVCLOCK_MATH_H

#include <stdint.h>

static inline uint64_t pvclock_scale_delta(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/* The system time at TSC value `tsc`; a TSC behind the record's timestamp (another vCPU's
 * TSC, or a read reordered before the update) counts as no time elapsed. */
static inline uint64_t pvclock_system_time(uint64_t system_time, uint64_t tsc_timestamp,
                                           uint32_t mul, int8_t shift, uint64_t tsc)
{
    uint64_t delta = tsc > tsc_timestamp ? tsc - tsc_timestamp : 0;
    return system_time + pvclock_scale_delta(delta, mul, shift);
}

/* The TSC frequency the record implies: ((10^9 << 32) / mul) adjusted by the shift. */
static inline uint64_t pvclock_tsc_hz(uint32_t mul, int8_t shift)
{
    if (mul == 0)
        return 0;
    uint64_t hz = (uint64_t)((1000000000ull << 32) / mul);
    return shift < 0 ? hz << -shift : hz >> shift;
}

#endif
