/*
 * Unit tests for arch/x86_64/tsc_cpuid: the TSC rate and LAPIC clock decoded from fake CPUID
 * leaves. Each case is a CPU's table of leaves; a leaf the table lacks answers zeros, and a
 * read past the CPU's stated maximum fails the test (real CPUs answer such a read with another
 * leaf's values, so the decoder must never make one).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tsc_cpuid.h"
#include "xenolith/test_main.h"

#include <xen/arch-x86/cpuid.h>

#define HYPERVISOR_BIT (1u << 31)

struct fake_leaf {
    uint32_t leaf, subleaf;
    struct cpuid_regs regs;
};

static const struct fake_leaf *table;
static size_t table_len;
static unsigned out_of_range_reads;

static uint32_t fake_max(uint32_t leaf)
{
    uint32_t base = leaf >= 0x40000000u && leaf < 0x40010000u ? leaf & ~0xffu : leaf & 0x80000000u;
    for (size_t i = 0; i < table_len; i++)
        if (table[i].leaf == base)
            return table[i].regs.eax;
    return 0;
}

static struct cpuid_regs fake_cpuid(uint32_t leaf, uint32_t subleaf)
{
    bool is_base = leaf == 0 || leaf == 0x80000000u ||
                   (leaf >= 0x40000000u && leaf < 0x40010000u && (leaf & 0xff) == 0);
    if (!is_base && leaf > fake_max(leaf))
        out_of_range_reads++;
    for (size_t i = 0; i < table_len; i++)
        if (table[i].leaf == leaf && table[i].subleaf == subleaf)
            return table[i].regs;
    return (struct cpuid_regs){ 0 };
}

static uint64_t decode(const struct fake_leaf *leaves, size_t n, struct tsc_cpuid_rate *rate)
{
    table = leaves;
    table_len = n;
    out_of_range_reads = 0;
    uint64_t hz = tsc_rate_from_cpuid(fake_cpuid, rate);
    ck_assert_uint_eq(out_of_range_reads, 0);
    ck_assert_uint_eq(hz, rate->tsc_hz);
    return hz;
}

#define DECODE(leaves, rate) decode(leaves, sizeof(leaves) / sizeof(leaves[0]), rate)
/* "KVMKVMKVM\0\0\0" and "VMwareVMware" as EBX, ECX, EDX. */
#define KVM_SIG 0x4b4d564bu, 0x564b4d56u, 0x0000004du
#define VMWARE_SIG 0x61774d56u, 0x4d566572u, 0x65726177u

/* Intel SDM, CPUID leaf 15H: TSC = crystal (ECX) * EBX / EAX; on bare hardware the LAPIC
 * timer counts the core crystal clock. */
START_TEST(crystal_leaf_on_bare_hardware)
{
    static const struct fake_leaf cpu[] = {
        { 0, 0, { 0x16, 0, 0, 0 } },
        { 1, 0, { 0, 0, 0, 0 } },
        { 0x15, 0, { 2, 176, 24000000, 0 } },  /* 24 MHz crystal * 88 = 2.112 GHz */
    };
    struct tsc_cpuid_rate rate;
    ck_assert_uint_eq(DECODE(cpu, &rate), 2112000000ull);
    ck_assert_uint_eq(rate.lapic_hz, 24000000);
    ck_assert_str_eq(rate.source, "CPUID 0x15");
}
END_TEST

/* SDM 15H: "If ECX is 0, the nominal core crystal clock frequency is not enumerated"; the TSC
 * then runs at leaf 16H's base frequency (the ratio gives the crystal back). */
START_TEST(crystal_missing_uses_base_frequency)
{
    static const struct fake_leaf cpu[] = {
        { 0, 0, { 0x16, 0, 0, 0 } },
        { 0x15, 0, { 2, 200, 0, 0 } },
        { 0x16, 0, { 2400, 3900, 100, 0 } },
    };
    struct tsc_cpuid_rate rate;
    ck_assert_uint_eq(DECODE(cpu, &rate), 2400000000ull);
    ck_assert_uint_eq(rate.lapic_hz, 24000000);
}
END_TEST

/* SDM 15H: EBX 0 means the ratio is not enumerated; a zero denominator must not divide. */
START_TEST(crystal_leaf_without_ratio_is_no_rate)
{
    static const struct fake_leaf no_ratio[] = {
        { 0, 0, { 0x16, 0, 0, 0 } },
        { 0x15, 0, { 2, 0, 24000000, 0 } },
        { 0x16, 0, { 2400, 0, 0, 0 } },
    };
    static const struct fake_leaf zero_denominator[] = {
        { 0, 0, { 0x15, 0, 0, 0 } },
        { 0x15, 0, { 0, 100, 24000000, 0 } },
    };
    struct tsc_cpuid_rate rate;
    ck_assert_uint_eq(DECODE(no_ratio, &rate), 0);
    ck_assert_uint_eq(rate.lapic_hz, 0);
    ck_assert_uint_eq(DECODE(zero_denominator, &rate), 0);
}
END_TEST

/* A CPU whose maximum basic leaf is below 15H: the leaf is never read (a read past the
 * maximum returns the highest leaf's values, which would be taken for a ratio). */
START_TEST(old_cpu_reads_no_leaf_past_its_maximum)
{
    static const struct fake_leaf cpu[] = {
        { 0, 0, { 0xd, 0, 0, 0 } },
        { 1, 0, { 0, 0, 0, 0 } },
        { 0x15, 0, { 2, 176, 24000000, 0 } },
    };
    struct tsc_cpuid_rate rate;
    ck_assert_uint_eq(DECODE(cpu, &rate), 0);
    ck_assert_uint_eq(tsc_base_hz_from_cpuid(fake_cpuid), 0);
    ck_assert_uint_eq(out_of_range_reads, 0);
}
END_TEST

/* Xen's leaf 4 (base + 3), sub-leaf 0: ECX is the guest TSC frequency in kHz
 * (xen/arch-x86/cpuid.h). Xen leaves the LAPIC clock unstated. */
START_TEST(xen_time_leaf)
{
    static const struct fake_leaf cpu[] = {
        { 0, 0, { 0x16, 0, 0, 0 } },
        { 1, 0, { 0, 0, HYPERVISOR_BIT, 0 } },
        { 0x15, 0, { 2, 176, 24000000, 0 } },   /* the host's: not the guest's */
        { 0x40000000u, 0, { 0x40000005u, XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX,
                            XEN_CPUID_SIGNATURE_EDX } },
        { 0x40000003u, 0, { 0, 0, 2893212, 0 } },
        { 0x40000003u, 2, { 3000000, 0, 0, 0 } },  /* the host's TSC */
    };
    struct tsc_cpuid_rate rate;
    ck_assert_uint_eq(DECODE(cpu, &rate), 2893212000ull);
    ck_assert_uint_eq(rate.lapic_hz, 0);
    ck_assert_str_eq(rate.source, "Xen CPUID time leaf");
}
END_TEST

/* Xen behind Viridian (Hyper-V's leaves first): Xen's leaves move up by 0x100. */
START_TEST(xen_leaves_after_another_hypervisors)
{
    static const struct fake_leaf cpu[] = {
        { 0, 0, { 0x1, 0, 0, 0 } },
        { 1, 0, { 0, 0, HYPERVISOR_BIT, 0 } },
        { 0x40000000u, 0, { 0x40000006u, 0x7263694d, 0x666f736f, 0x76482074 } },
        { 0x40000100u, 0, { 0x40000105u, XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX,
                            XEN_CPUID_SIGNATURE_EDX } },
        { 0x40000103u, 0, { 0, 0, 1000000, 0 } },
    };
    struct tsc_cpuid_rate rate;
    ck_assert_uint_eq(DECODE(cpu, &rate), 1000000000ull);
}
END_TEST

/* KVM's timing leaf (0x40000010, VMware's layout, which QEMU fills under KVM): EAX TSC kHz,
 * EBX LAPIC bus kHz. It wins over leaf 15H, which a guest may see as the host's. */
START_TEST(kvm_timing_leaf_gives_tsc_and_lapic)
{
    static const struct fake_leaf cpu[] = {
        { 0, 0, { 0x16, 0, 0, 0 } },
        { 1, 0, { 0, 0, HYPERVISOR_BIT, 0 } },
        { 0x15, 0, { 2, 176, 24000000, 0 } },
        { 0x40000000u, 0, { 0x40000010u, KVM_SIG } },
        { 0x40000010u, 0, { 2995200, 1000000, 0, 0 } },
    };
    struct tsc_cpuid_rate rate;
    ck_assert_uint_eq(DECODE(cpu, &rate), 2995200000ull);
    ck_assert_uint_eq(rate.lapic_hz, 1000000000ull);
    static const struct fake_leaf vmware[] = {
        { 0, 0, { 0x1, 0, 0, 0 } },
        { 1, 0, { 0, 0, HYPERVISOR_BIT, 0 } },
        { 0x40000000u, 0, { 0x40000010u, VMWARE_SIG } },
        { 0x40000010u, 0, { 2000000, 66000, 0, 0 } },
    };
    ck_assert_uint_eq(DECODE(vmware, &rate), 2000000000ull);
    ck_assert_uint_eq(rate.lapic_hz, 66000000);
}
END_TEST

/* KVM without the timing leaf (its maximum, 0x40000001, is below it; QEMU leaves it out
 * without a known TSC rate): under a hypervisor leaf 15H's TSC rate stands, but its crystal
 * is not the emulated LAPIC's clock. */
START_TEST(kvm_without_timing_leaf_falls_back_to_crystal)
{
    static const struct fake_leaf cpu[] = {
        { 0, 0, { 0x16, 0, 0, 0 } },
        { 1, 0, { 0, 0, HYPERVISOR_BIT, 0 } },
        { 0x15, 0, { 2, 176, 24000000, 0 } },
        { 0x40000000u, 0, { 0x40000001u, KVM_SIG } },
        { 0x40000010u, 0, { 2995200, 1000000, 0, 0 } },
    };
    struct tsc_cpuid_rate rate;
    ck_assert_uint_eq(DECODE(cpu, &rate), 2112000000ull);
    ck_assert_uint_eq(rate.lapic_hz, 0);
}
END_TEST

/* A hypervisor bit with no hypervisor's block (QEMU's TCG answers 0x40000000 with its
 * highest basic leaf), or an unknown signature: nothing from those leaves. */
START_TEST(garbage_hypervisor_leaves_are_ignored)
{
    static const struct fake_leaf cpu[] = {
        { 0, 0, { 0xd, 0x756e6547, 0x6c65746e, 0x49656e69 } },
        { 1, 0, { 0, 0, HYPERVISOR_BIT, 0 } },
        { 0x40000000u, 0, { 0xd, KVM_SIG } },   /* maximum outside the block */
        { 0x40000100u, 0, { 0x40000110u, 0x11111111u, 0x22222222u, 0x33333333u } },
        { 0x40000110u, 0, { 2000000, 1000000, 0, 0 } },
    };
    struct tsc_cpuid_rate rate;
    ck_assert_uint_eq(DECODE(cpu, &rate), 0);
    ck_assert_uint_eq(rate.lapic_hz, 0);
    ck_assert_str_eq(rate.source, "none");
}
END_TEST

/* A timing leaf of zeros (no rate known to the hypervisor) falls through to leaf 15H. */
START_TEST(zero_timing_leaf_falls_through)
{
    static const struct fake_leaf cpu[] = {
        { 0, 0, { 0x15, 0, 0, 0 } },
        { 1, 0, { 0, 0, HYPERVISOR_BIT, 0 } },
        { 0x15, 0, { 1, 100, 19200000, 0 } },
        { 0x40000000u, 0, { 0x40000010u, KVM_SIG } },
        { 0x40000010u, 0, { 0, 1000000, 0, 0 } },
    };
    struct tsc_cpuid_rate rate;
    ck_assert_uint_eq(DECODE(cpu, &rate), 1920000000ull);
    ck_assert_uint_eq(rate.lapic_hz, 0);
}
END_TEST

/* Leaf 16H EAX[15:0]: base frequency in MHz (the last resort after the PIT). */
START_TEST(base_frequency_leaf)
{
    static const struct fake_leaf cpu[] = {
        { 0, 0, { 0x16, 0, 0, 0 } },
        { 0x16, 0, { 0xffff0000u | 3100, 0, 0, 0 } },
    };
    table = cpu;
    table_len = sizeof(cpu) / sizeof(cpu[0]);
    ck_assert_uint_eq(tsc_base_hz_from_cpuid(fake_cpuid), 3100000000ull);
}
END_TEST

static Suite *tsc_cpuid_suite(void)
{
    Suite *s = suite_create("arch_tsc_cpuid");
    TCase *tc = tcase_create("decode");
    tcase_add_test(tc, crystal_leaf_on_bare_hardware);
    tcase_add_test(tc, crystal_missing_uses_base_frequency);
    tcase_add_test(tc, crystal_leaf_without_ratio_is_no_rate);
    tcase_add_test(tc, old_cpu_reads_no_leaf_past_its_maximum);
    tcase_add_test(tc, xen_time_leaf);
    tcase_add_test(tc, xen_leaves_after_another_hypervisors);
    tcase_add_test(tc, kvm_timing_leaf_gives_tsc_and_lapic);
    tcase_add_test(tc, kvm_without_timing_leaf_falls_back_to_crystal);
    tcase_add_test(tc, garbage_hypervisor_leaves_are_ignored);
    tcase_add_test(tc, zero_timing_leaf_falls_through);
    tcase_add_test(tc, base_frequency_leaf);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tsc_cpuid_suite)
