/*
 * arch/x86_64/tsc: the TSC's rate and the conversions between ticks and nanoseconds. The rate
 * is set once at boot by the platform (platform/pvh/clock.c picks the source); the CPUID leaves
 * that state it are read here.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"

#define NS_PER_SEC 1000000000ull

static uint64_t rate_hz;
/* ns = ticks * ns_mult >> 32, so a conversion is one multiply. */
static uint64_t ns_mult;

uint64_t tsc_cpuid_crystal_hz(void)
{
    if (!cpuid_has_leaf(0x15))
        return 0;
    struct cpuid_regs r = cpuid(0x15, 0);
    if (r.eax == 0 || r.ebx == 0 || r.ecx == 0)
        return 0;
    return (uint64_t)r.ecx * r.ebx / r.eax;
}

uint64_t tsc_cpuid_base_hz(void)
{
    if (!cpuid_has_leaf(0x16))
        return 0;
    return (uint64_t)(cpuid(0x16, 0).eax & 0xffff) * 1000000;
}

void tsc_set_hz(uint64_t hz)
{
    rate_hz = hz;
    ns_mult = hz ? (uint64_t)(((unsigned __int128)NS_PER_SEC << 32) / hz) : 0;
}

uint64_t tsc_hz(void)
{
    return rate_hz;
}

uint64_t tsc_ticks_to_ns(uint64_t ticks)
{
    return (uint64_t)(((unsigned __int128)ticks * ns_mult) >> 32);
}

uint64_t tsc_ns_to_ticks(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * rate_hz / NS_PER_SEC);
}
