/*
 * xen/hypercall.c: the typed hypercalls xen/ makes, each a call into its stub on the
 * hypercall page (xen/hypercall.h). Callers pass pointers to the public argument structures;
 * in a PVH guest Xen reads them through the guest's own page tables.
 */
#include "xen/hypercall.h"

/* Pulls in the public xen.h with the hypercall numbers (see the note in xen/xen.h). */
#include <xen/version.h>

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
