/*
 * xen/xen.c: finding Xen and the few things the boot code needs from it before anything else
 * works: the hypercall page, Xen's version and feature bits, the hypervisor's debug console
 * (probed once: Xen may refuse it to a domU) and shutting the domain down. (The TSC rate in
 * Xen's time leaf is read with the other CPUID rates: arch/x86_64/tsc_cpuid.c.)
 */
#include "xen/xen.h"
#include "xen/hypercall.h"
#include "xen/events_log.h"
#include "xen/xenstore.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "kernel/options.h"
#include "lib/log.h"
#include "sched/sched.h"

#include <xen/arch-x86/cpuid.h>
#include <xen/features.h>
#include <xen/sched.h>
#include <xen/version.h>

#define XEN_CPUID_FIRST_BASE 0x40000000u
#define XEN_CPUID_LAST_BASE  0x40010000u
#define XEN_CPUID_BASE_STEP  0x100u

/* Leaf offsets from the base Xen's signature was found at. */
#define XEN_CPUID_LEAF_VERSION    1
#define XEN_CPUID_LEAF_HYPERCALL  2

static uint32_t xen_cpuid_base;   /* 0: not on Xen */
static bool xen_hypercalls_ready;
static struct xen_identity identity;
static uint32_t feature_words[2];   /* XENVER_get_features submaps 0 and 1 */
static int debug_console_state;     /* 0 untested, 1 usable, negative errno: refused */

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
    if (!xen_hypercalls_ready)
        return false;

    long version = xen_version_op(XENVER_version, NULL);
    identity.major = (unsigned)((unsigned long)version >> 16);
    identity.minor = (unsigned)version & 0xffff;
    /* Xen fills all 16 bytes and need not terminate them. */
    char extra[sizeof(xen_extraversion_t) + 1];
    memset(extra, 0, sizeof(extra));
    if (xen_version_op(XENVER_extraversion, extra) >= 0)
        kstrlcpy(identity.extra, extra, sizeof(identity.extra));
    for (unsigned i = 0; i < 2; i++) {
        xen_feature_info_t fi = { .submap_idx = i };
        if (xen_version_op(XENVER_get_features, &fi) >= 0)
            feature_words[i] = fi.submap;
    }
    identity.features = feature_words[0];
    identity.cpuid_base = base;

    /* One probe decides whether the debug console is ours: Debian's release build refuses
     * CONSOLEIO_write from a domU (-EPERM), a debug build accepts it. Later output then goes
     * either through the hypercall or through port 0xe9 alone. */
    static const char probe[] = "xenolith: Xen debug console reachable\n";
    long rc = xen_console_io(CONSOLEIO_write, sizeof(probe) - 1, probe);
    debug_console_state = rc < 0 ? (int)rc : 1;
    return true;
}

void xen_report_identity(void)
{
    kprintf("xenolith: Xen %u.%u%s (CPUID base %#x), features %#x%s%s\n", identity.major,
            identity.minor, identity.extra, (unsigned)identity.cpuid_base,
            (unsigned)identity.features,
            xen_has_feature(XENFEAT_hvm_callback_vector) ? " hvm_callback_vector" : "",
            xen_has_feature(XENFEAT_hvm_safe_pvclock) ? " hvm_safe_pvclock" : "");
    if (debug_console_state == 1)
        kprintf("xenolith: early output via CONSOLEIO_write\n");
    else
        kprintf("xenolith: CONSOLEIO_write refused (%s); early output via port 0xe9\n",
                error_name(debug_console_state));
}

const struct xen_identity *xen_identity(void)
{
    return xen_hypercalls_ready ? &identity : NULL;
}

bool xen_has_feature(unsigned bit)
{
    return bit < 64 && (feature_words[bit / 32] >> (bit % 32)) & 1u;
}

int xen_debug_console_status(void)
{
    return debug_console_state;
}

void xen_debug_console_write(const char *buf, size_t len)
{
    if (debug_console_state != 1)
        return;
    while (len > 0) {
        unsigned chunk = len > 1024 ? 1024 : (unsigned)len;
        if (xen_console_io(CONSOLEIO_write, chunk, buf) < 0)
            return;
        buf += chunk;
        len -= chunk;
    }
}

bool xen_present(void)
{
    return xen_hypercalls_ready;
}

__attribute__((noreturn)) void xen_shutdown(unsigned reason)
{
    if (xen_hypercalls_ready) {
        xen_block_log_summary();
        xen_console_drain();
        struct sched_shutdown shutdown = { .reason = reason };
        xen_sched_op(SCHEDOP_shutdown, &shutdown);
    }
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* Weak: an image links the xenstore client (and with it the control/ watcher) only if
 * something in it uses xenstore (drivers, xenbus, tests); a weak reference does not pull it
 * from the archive, so an image without devices (hello) stays small. */
#pragma weak xenstore_init

/* ---- Xen's domain watchdog ---- */

static struct sched_watchdog watchdog;   /* id as Xen numbers it, timeout in seconds */
static uint64_t watchdog_pet_failures;

static void watchdog_pet(void *arg)
{
    struct sched_watchdog again = watchdog;
    if (xen_sched_op(SCHEDOP_watchdog, &again) < 0 && watchdog_pet_failures++ == 0)
        log_error("xen", "Xen refused to re-arm watchdog %u", watchdog.id);
}

int xen_watchdog_start(uint32_t seconds)
{
    if (seconds == 0)
        return 0;
    /* Id 0 asks Xen for a new watchdog; it answers with the id to re-arm it with. */
    struct sched_watchdog arm = { .id = 0, .timeout = seconds };
    long id = xen_sched_op(SCHEDOP_watchdog, &arm);
    if (id <= 0)
        return id < 0 ? (int)id : -EIO;
    watchdog = (struct sched_watchdog){ .id = (uint32_t)id, .timeout = seconds };
    sched_set_watchdog((uint64_t)seconds * 1000000000ull / 2, watchdog_pet, NULL);
    kprintf("xenolith: Xen watchdog %u armed: %u s, re-armed every %u ms\n", watchdog.id, seconds, seconds * 500);
    return 0;
}

int xen_watchdog_resume(void)
{
    if (watchdog.id == 0)
        return 0;
    struct sched_watchdog arm = { .id = 0, .timeout = watchdog.timeout };
    long id = xen_sched_op(SCHEDOP_watchdog, &arm);
    if (id <= 0)
        return id < 0 ? (int)id : -EIO;
    watchdog.id = (uint32_t)id;
    return 0;
}

int xen_late_init(void)
{
    int rc = xen_watchdog_start(kernel_options()->watchdog_s);
    if (rc < 0) {
        kprintf("xenolith: Xen would not arm the watchdog (%s)\n", error_name(rc));
        return rc;
    }
    rc = xen_console_input_init();
    if (rc < 0)
        kprintf("xenolith: PV console input unavailable (%s)\n", error_name(rc));
    if (!xenstore_init)
        return 0;
    rc = xenstore_init();
    if (rc < 0)
        kprintf("xenolith: xenstore unavailable (%s)\n", error_name(rc));
    return rc;
}
