/*
 * arch/x86_64/tsc: the TSC's rate and the conversions between ticks and nanoseconds. The rate
 * is set once at boot by the platform (platform/pvh/clock.c picks the source); the CPUID leaves
 * that state it are read here and decoded by tsc_cpuid.c.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc_cpuid.h"

#define NS_PER_SEC 1000000000ull

static uint64_t rate_hz;
/* ns = ticks * ns_mult >> 32, so a conversion is one multiply. */
static uint64_t ns_mult;

struct cpuid_regs cpuid_query(uint32_t leaf, uint32_t subleaf)
{
    return cpuid(leaf, subleaf);
}

uint64_t tsc_cpuid_stated_hz(const char **source)
{
    struct tsc_cpuid_rate rate;
    uint64_t hz = tsc_rate_from_cpuid(cpuid_query, &rate);
    if (hz) {
        *source = rate.source;
        if (rate.lapic_hz)
            lapic_timer_set_input_hz(rate.lapic_hz);
    }
    return hz;
}

uint64_t tsc_cpuid_nominal_hz(const char **source)
{
    uint64_t hz = tsc_base_hz_from_cpuid(cpuid_query);
    if (hz)
        *source = "CPUID 0x16";
    return hz;
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
