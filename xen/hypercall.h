/*
 * xen/hypercall: calling Xen. The hypercall page (xen/hypercall_page.S) holds one 32-byte stub per
 * hypercall, written by Xen when xen_early_init() hands it the page's address. These wrappers
 * call into it with the 64-bit hypercall convention: number implied by the stub, arguments in
 * rdi, rsi, rdx, r10, r8, result in rax. Xen may clobber the argument registers, so they are
 * in/out operands. Include this before any Xen public header: it selects the interface version.
 */
#ifndef XENOLITH_XEN_HYPERCALL_H
#define XENOLITH_XEN_HYPERCALL_H

#include <stdint.h>

/* The newest interface the installed public headers describe (they define the right-hand name
 * before testing this one, so the indirection resolves). */
#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__

#define XEN_HYPERCALL_STUB_SIZE 32

/* One page, page-aligned, in .bss; mapped read-only and executable; filled by Xen. */
extern char xen_hypercall_page[];
/* Fills the page with int3. Call before the final page tables (which make it read-only). */
void xen_hypercall_page_prepare(void);

static inline long xen_hypercall1(unsigned op, unsigned long a1)
{
    register unsigned long rdi __asm__("rdi") = a1;
    long ret;
    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+r"(rdi)
                     : [stub] "r"(xen_hypercall_page + op * XEN_HYPERCALL_STUB_SIZE)
                     : "memory");
    return ret;
}

static inline long xen_hypercall2(unsigned op, unsigned long a1, unsigned long a2)
{
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi") = a2;
    long ret;
    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi)
                     : [stub] "r"(xen_hypercall_page + op * XEN_HYPERCALL_STUB_SIZE)
                     : "memory");
    return ret;
}

static inline long xen_hypercall3(unsigned op, unsigned long a1, unsigned long a2,
                                  unsigned long a3)
{
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi") = a2;
    register unsigned long rdx __asm__("rdx") = a3;
    long ret;
    __asm__ volatile("call *%[stub]"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx)
                     : [stub] "r"(xen_hypercall_page + op * XEN_HYPERCALL_STUB_SIZE)
                     : "memory");
    return ret;
}

/* Typed entry points for the hypercalls xen/ uses; the argument structures come from Xen's
 * public headers. Each returns 0 or a negative Xen errno (which matches lib/errno.h). */
long xen_sched_op(int cmd, void *arg);
long xen_event_channel_op(int cmd, void *arg);
long xen_hvm_op(int cmd, void *arg);
long xen_version_op(int cmd, void *arg);
long xen_memory_op(int cmd, void *arg);
long xen_grant_table_op(int cmd, void *args, unsigned count);
long xen_vcpu_op(int cmd, unsigned vcpu, void *arg);
long xen_console_io(int cmd, unsigned count, const char *buf);
/* The old one-shot timer interface: fires VIRQ_TIMER at Xen system time deadline_ns (0 stops it). */
long xen_set_timer_op(uint64_t deadline_ns);

#endif
