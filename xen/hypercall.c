/*
 * xen/hypercall.c: the typed hypercalls xen/ makes, each a call into its stub on the
 * hypercall page (xen/hypercall.h). Callers pass pointers to the public argument structures;
 * in a PVH guest Xen reads them through the guest's own page tables.
 */
#include "xen/hypercall.h"

/* Pulls in the public xen.h with the hypercall numbers (see the note in xen/xen.h). */
#include <xen/version.h>

void xen_hypercall_page_prepare(void)
{
    for (unsigned i = 0; i < 4096; i++)
        ((volatile char *)xen_hypercall_page)[i] = (char)0xcc;
}

long xen_sched_op(int cmd, void *arg)
{
    return xen_hypercall2(__HYPERVISOR_sched_op, (unsigned long)cmd, (unsigned long)arg);
}

long xen_event_channel_op(int cmd, void *arg)
{
    return xen_hypercall2(__HYPERVISOR_event_channel_op, (unsigned long)cmd, (unsigned long)arg);
}

long xen_hvm_op(int cmd, void *arg)
{
    return xen_hypercall2(__HYPERVISOR_hvm_op, (unsigned long)cmd, (unsigned long)arg);
}

long xen_version_op(int cmd, void *arg)
{
    return xen_hypercall2(__HYPERVISOR_xen_version, (unsigned long)cmd, (unsigned long)arg);
}

long xen_memory_op(int cmd, void *arg)
{
    return xen_hypercall2(__HYPERVISOR_memory_op, (unsigned long)cmd, (unsigned long)arg);
}

long xen_grant_table_op(int cmd, void *args, unsigned count)
{
    return xen_hypercall3(__HYPERVISOR_grant_table_op, (unsigned long)cmd, (unsigned long)args,
                          count);
}

long xen_vcpu_op(int cmd, unsigned vcpu, void *arg)
{
    return xen_hypercall3(__HYPERVISOR_vcpu_op, (unsigned long)cmd, vcpu, (unsigned long)arg);
}

long xen_console_io(int cmd, unsigned count, const char *buf)
{
    return xen_hypercall3(__HYPERVISOR_console_io, (unsigned long)cmd, count,
                          (unsigned long)buf);
}

long xen_set_timer_op(uint64_t deadline_ns)
{
    return xen_hypercall1(__HYPERVISOR_set_timer_op, (unsigned long)deadline_ns);
}
