/*
 * arch/x86_64/tsc_cpuid: decodes the TSC's rate (and, where stated, the LAPIC timer's input
 * clock) from CPUID leaves read through a caller's query function (tsc_cpuid.h).
 */
#include "arch/x86_64/tsc_cpuid.h"
#include "arch/x86_64/cpu.h"

#include <xen/arch-x86/cpuid.h>

#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define HV_FIRST_BASE 0x40000000u
#define HV_LAST_BASE 0x40010000u   /* hypervisors place their leaves at a 0x100 step below this */
#define HV_BASE_STEP 0x100u
#define XEN_LEAF_TIME 3            /* base+3, subleaf 0: ECX guest TSC kHz (xen/arch-x86/cpuid.h) */
#define TIMING_LEAF 0x10           /* base+0x10: EAX TSC kHz, EBX LAPIC bus kHz (KVM, VMware) */
#define CRYSTAL_LEAF 0x15
#define BASE_FREQ_LEAF 0x16

static bool signature_is(struct cpuid_regs r, const char name[12])
{
    uint32_t words[3] = { r.ebx, r.ecx, r.edx };
    for (unsigned i = 0; i < 12; i++)
        if ((char)(words[i / 4] >> (8 * (i % 4))) != name[i])
            return false;
    return true;
}

static uint32_t max_basic_leaf(cpuid_query_fn query)
{
    return query(0, 0).eax;
}

/* One hypervisor's leaves at base: the rate its timing leaf states, else 0; *block tells
 * whether base holds a hypervisor's block at all. */
static uint64_t hypervisor_rate(cpuid_query_fn query, uint32_t base, struct tsc_cpuid_rate *rate,
                                bool *block)
{
    struct cpuid_regs sig = query(base, 0);
    /* The maximum leaf must lie in this base's block; anything else is no hypervisor's
     * (a CPU without these leaves answers with some other leaf's values). */
    if (sig.eax < base || sig.eax >= base + HV_BASE_STEP)
        return 0;
    *block = true;
    if (sig.ebx == XEN_CPUID_SIGNATURE_EBX && sig.ecx == XEN_CPUID_SIGNATURE_ECX &&
        sig.edx == XEN_CPUID_SIGNATURE_EDX) {
        if (sig.eax < base + XEN_LEAF_TIME)
            return 0;
        rate->tsc_hz = (uint64_t)query(base + XEN_LEAF_TIME, 0).ecx * 1000;
        rate->source = "Xen CPUID time leaf";
    } else if (signature_is(sig, "KVMKVMKVM\0\0\0") || signature_is(sig, "VMwareVMware")) {
        if (sig.eax < base + TIMING_LEAF)
            return 0;
        struct cpuid_regs timing = query(base + TIMING_LEAF, 0);
        rate->tsc_hz = (uint64_t)timing.eax * 1000;
        if (rate->tsc_hz)
            rate->lapic_hz = (uint64_t)timing.ebx * 1000;
        rate->source = "hypervisor CPUID timing leaf";
    }
    return rate->tsc_hz;
}

/* Leaf 0x15: TSC = crystal * EBX / EAX. Without the crystal (ECX 0) the TSC runs at leaf
 * 0x16's base frequency and the crystal is that times EAX / EBX. On bare hardware the LAPIC
 * timer counts the crystal; under a hypervisor its emulated timer has its own clock. */
static uint64_t crystal_rate(cpuid_query_fn query, bool under_hypervisor,
                             struct tsc_cpuid_rate *rate)
{
    uint32_t max = max_basic_leaf(query);
    if (max < CRYSTAL_LEAF)
        return 0;
    struct cpuid_regs r = query(CRYSTAL_LEAF, 0);
    if (r.eax == 0 || r.ebx == 0)
        return 0;
    uint64_t crystal_hz = r.ecx, tsc_hz = 0;
    if (crystal_hz) {
        tsc_hz = crystal_hz * r.ebx / r.eax;
        rate->source = "CPUID 0x15";
    } else if (max >= BASE_FREQ_LEAF && (query(BASE_FREQ_LEAF, 0).eax & 0xffff)) {
        tsc_hz = (uint64_t)(query(BASE_FREQ_LEAF, 0).eax & 0xffff) * 1000000;
        crystal_hz = tsc_hz * r.eax / r.ebx;
        rate->source = "CPUID 0x15 ratio, 0x16 base";
    }
    rate->tsc_hz = tsc_hz;
    if (tsc_hz && !under_hypervisor)
        rate->lapic_hz = crystal_hz;
    return tsc_hz;
}

uint64_t tsc_rate_from_cpuid(cpuid_query_fn query, struct tsc_cpuid_rate *rate)
{
    *rate = (struct tsc_cpuid_rate){ .source = "none" };
    bool under_hypervisor = max_basic_leaf(query) >= 1 &&
                            (query(1, 0).ecx & LEAF1_ECX_HYPERVISOR);
    if (under_hypervisor)
        for (uint32_t base = HV_FIRST_BASE; base < HV_LAST_BASE; base += HV_BASE_STEP) {
            bool block = false;
            if (hypervisor_rate(query, base, rate, &block))
                return rate->tsc_hz;
            *rate = (struct tsc_cpuid_rate){ .source = "none" };
            if (!block)
                break;  /* hypervisors stack their blocks from the first base up, no gaps */
        }
    return crystal_rate(query, under_hypervisor, rate);
}

uint64_t tsc_base_hz_from_cpuid(cpuid_query_fn query)
{
    if (max_basic_leaf(query) < BASE_FREQ_LEAF)
        return 0;
    return (uint64_t)(query(BASE_FREQ_LEAF, 0).eax & 0xffff) * 1000000;
}
