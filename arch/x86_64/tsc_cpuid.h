/*
 * arch/x86_64/tsc_cpuid: what CPUID says about the TSC's rate and the LAPIC timer's input
 * clock, decoded from leaf values alone. Pure: the caller passes the CPUID instruction
 * (cpuid_query in arch.h), the unit tests a table of fake leaves. Both PVH machines ask it
 * through tsc_cpuid_stated_hz (tsc.c); what comes after it (a PIT measurement on bare QEMU) is
 * the platform's (platform/pvh).
 */
#ifndef XENOLITH_ARCH_X86_64_TSC_CPUID_H
#define XENOLITH_ARCH_X86_64_TSC_CPUID_H

#include <stdint.h>

struct cpuid_regs;
typedef struct cpuid_regs (*cpuid_query_fn)(uint32_t leaf, uint32_t subleaf);

struct tsc_cpuid_rate {
    uint64_t tsc_hz;     /* 0: CPUID does not state it */
    uint64_t lapic_hz;   /* the LAPIC timer's clock before its divider; 0: unknown */
    const char *source;  /* which leaf said so (for the boot line) */
};

/* The rate a hypervisor's leaves state (Xen's time leaf, base+3 subleaf 0; KVM's or VMware's
 * timing leaf, base+0x10, which QEMU fills under KVM), else leaf 0x15's crystal ratio (with
 * leaf 0x16's base frequency when 0x15 leaves the crystal out). Returns tsc_hz, 0 when none
 * of them tells; a leaf past the CPU's maximum is never read. */
uint64_t tsc_rate_from_cpuid(cpuid_query_fn query, struct tsc_cpuid_rate *rate);

/* Leaf 0x16's nominal base frequency: rounded to a MHz, so only a last resort (after the PIT). */
uint64_t tsc_base_hz_from_cpuid(cpuid_query_fn query);

#endif
