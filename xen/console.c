/*
 * xen/console.c: the PV console, the ring page Xen's console back end (xenconsoled in dom0)
 * reads and copies to the guest's console log. We only produce into its "out" ring: bytes go at
 * out_prod, the back end consumes up to out_cons, and an event on the console channel tells it
 * to look. Indices are free-running 32-bit counters; MASK_XENCONS_IDX wraps them into the ring.
 */
#include "xen/xen.h"
#include "xen/hypercall.h"
#include "lib/errno.h"

#include <xen/event_channel.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>
#include <xen/sched.h>

#define PAGE_SHIFT 12

/* How long a full ring may hold a writer: each round yields the vCPU to Xen so the back end
 * can run. Beyond this the reader is gone or stuck, and output is dropped (and counted)
 * rather than hanging the guest. */
#define CONSOLE_FULL_MAX_YIELDS 2000

static volatile struct xencons_interface *console_ring;
static evtchn_port_t console_port;
static uint64_t console_dropped;

static int hvm_get_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param param = { .domid = DOMID_SELF, .index = index };
    long rc = xen_hvm_op(HVMOP_get_param, &param);
    if (rc < 0)
        return (int)rc;
    *value = param.value;
    return 0;
}

static void console_notify(void)
{
    struct evtchn_send send = { .port = console_port };
    xen_event_channel_op(EVTCHNOP_send, &send);
}

static void yield_to_xen(void)
{
    xen_sched_op(SCHEDOP_yield, NULL);
}

int xen_console_init(void)
{
    if (!xen_present())
        return -ENODEV;
    uint64_t pfn = 0, port = 0;
    if (hvm_get_param(HVM_PARAM_CONSOLE_PFN, &pfn) < 0 ||
        hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &port) < 0)
        return -EIO;
    if (pfn == 0 || port == 0)
        return -ENODEV;   /* the toolstack gave this domain no console */
    /* The console page is among Xen's special pages, which the PVH memory map lists as
     * reserved; the boot code identity-maps every memory map entry, so pfn << 12 is usable. */
    console_port = (evtchn_port_t)port;
    console_ring = (volatile struct xencons_interface *)(uintptr_t)(pfn << PAGE_SHIFT);
    return 0;
}

/* Free space in the out ring, or -1 if the indices are impossible (a corrupt ring). */
static int32_t ring_space(XENCONS_RING_IDX prod, XENCONS_RING_IDX cons)
{
    XENCONS_RING_IDX used = prod - cons;
    if (used > sizeof(console_ring->out))
        return -1;
    return (int32_t)(sizeof(console_ring->out) - used);
}

void xen_console_write(const char *buf, size_t len)
{
    volatile struct xencons_interface *ring = console_ring;
    if (!ring || len == 0)
        return;

    XENCONS_RING_IDX prod = ring->out_prod;
    size_t sent = 0;
    unsigned yields = 0;
    while (sent < len) {
        /* Acquire: the back end's reads of the slots it released happen before we reuse them. */
        XENCONS_RING_IDX cons = __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE);
        int32_t space = ring_space(prod, cons);
        if (space < 0)
            break;   /* never write through a ring whose indices make no sense */
        if (space == 0) {
            /* Publish what we have so the back end can make room, then give it time. */
            __atomic_store_n(&ring->out_prod, prod, __ATOMIC_RELEASE);
            console_notify();
            if (++yields > CONSOLE_FULL_MAX_YIELDS)
                break;
            yield_to_xen();
            continue;
        }
        while (space-- > 0 && sent < len)
            ring->out[MASK_XENCONS_IDX(prod++, ring->out)] = buf[sent++];
        /* Release: the bytes are in the ring before the back end can see the new index. */
        __atomic_store_n(&ring->out_prod, prod, __ATOMIC_RELEASE);
    }
    console_dropped += len - sent;
    console_notify();
}

void xen_console_drain(void)
{
    volatile struct xencons_interface *ring = console_ring;
    if (!ring)
        return;
    console_notify();
    for (unsigned i = 0; i < CONSOLE_FULL_MAX_YIELDS; i++) {
        XENCONS_RING_IDX cons = __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE);
        if (cons == ring->out_prod)
            return;
        yield_to_xen();
    }
}

uint64_t xen_console_dropped(void)
{
    return console_dropped;
}
