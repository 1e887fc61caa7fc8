/*
 * xen/xen.c: finding Xen and the few things the boot code needs from it before anything else
 * works: the hypercall page, the guest TSC frequency and shutting the domain down.
 */
#include "xen/xen.h"
#include "xen/hypercall.h"

#include <xen/arch-x86/cpuid.h>
#include <xen/sched.h>

#define XEN_CPUID_FIRST_BASE 0x40000000u
#define XEN_CPUID_LAST_BASE  0x40010000u
#define XEN_CPUID_BASE_STEP  0x100u

/* Leaf offsets from the base Xen's signature was found at. */
#define XEN_CPUID_LEAF_VERSION    1
#define XEN_CPUID_LEAF_HYPERCALL  2
#define XEN_CPUID_LEAF_TIME       3

static uint32_t xen_cpuid_base;   /* 0: not on Xen */
static uint32_t xen_cpuid_max;    /* highest leaf Xen answers */
static bool xen_hypercalls_ready;

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

static void wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                     : "memory");
}

static uint32_t find_xen_cpuid_base(void)
{
    for (uint32_t base = XEN_CPUID_FIRST_BASE; base < XEN_CPUID_LAST_BASE;
         base += XEN_CPUID_BASE_STEP) {
        struct cpuid_regs r = cpuid(base, 0);
        if (r.ebx == XEN_CPUID_SIGNATURE_EBX && r.ecx == XEN_CPUID_SIGNATURE_ECX &&
            r.edx == XEN_CPUID_SIGNATURE_EDX && r.eax - base >= XEN_CPUID_LEAF_HYPERCALL) {
            xen_cpuid_max = r.eax;
            return base;
        }
    }
    return 0;
}

bool xen_early_init(void)
{
    if (xen_hypercalls_ready)
        return true;
    uint32_t base = find_xen_cpuid_base();
    if (!base)
        return false;
    xen_cpuid_base = base;

    struct cpuid_regs hc = cpuid(base + XEN_CPUID_LEAF_HYPERCALL, 0);
    if (hc.eax < 1)
        return false;
    /* The image is identity-mapped, so the page's address is its guest-physical address. */
    wrmsr(hc.ebx, (uint64_t)(uintptr_t)xen_hypercall_page);

    /* Xen fills the page synchronously; an untouched first stub means it refused the MSR. */
    xen_hypercalls_ready = (unsigned char)xen_hypercall_page[0] != 0xcc;
    return xen_hypercalls_ready;
}

bool xen_present(void)
{
    return xen_hypercalls_ready;
}

uint32_t xen_tsc_khz(void)
{
    if (!xen_cpuid_base || xen_cpuid_max < xen_cpuid_base + XEN_CPUID_LEAF_TIME)
        return 0;
    return cpuid(xen_cpuid_base + XEN_CPUID_LEAF_TIME, 0).ecx;
}

__attribute__((noreturn)) void xen_shutdown(unsigned reason)
{
    if (xen_hypercalls_ready) {
        xen_console_drain();
        struct sched_shutdown shutdown = { .reason = reason };
        xen_sched_op(SCHEDOP_shutdown, &shutdown);
    }
    for (;;)
        __asm__ volatile("cli; hlt");
}
