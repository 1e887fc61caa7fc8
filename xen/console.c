/*
 * xen/console.c: the PV console, the ring page Xen's console back end (xenconsoled in dom0)
 * reads and copies to the guest's console log. We only produce into its "out" ring
 * (xen/console_ring.h holds the ring rules); an event on the console channel tells the back
 * end to look, and a full ring makes us yield to Xen so the back end can run.
 */
#include "xen/xen.h"
#include "xen/hypercall.h"
#include "xen/console_ring.h"
#include "xen/events.h"
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

void xen_console_write(const char *buf, size_t len)
{
    volatile struct xencons_interface *ring = console_ring;
    if (!ring || len == 0)
        return;

    size_t sent = 0;
    unsigned yields = 0;
    while (sent < len) {
        long n = xencons_out_put(ring, buf + sent, len - sent);
        if (n < 0)
            break;   /* never write through a ring whose indices make no sense */
        if (n == 0) {
            /* Full: make the back end look, then give it the CPU to copy some out. */
            console_notify();
            if (++yields > CONSOLE_FULL_MAX_YIELDS)
                break;
            yield_to_xen();
            continue;
        }
        sent += (size_t)n;
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
    for (unsigned i = 0; i < CONSOLE_FULL_MAX_YIELDS && xencons_out_pending(ring) > 0; i++)
        yield_to_xen();
}

/* ---- input: bytes typed into `xl console` arrive in the "in" ring ---- */
static struct xen_event input_event;
static bool input_bound;
static uint64_t input_seen;
static uint64_t input_refused;

int xen_console_resume(void)
{
    if (!console_ring)
        return 0;
    /* The ring stays at its frame (the toolstack cleared it); the event channel is new. */
    int rc = xen_console_init();
    if (rc == 0 && input_bound)
        rc = xen_event_bind_existing(&input_event, console_port);
    return rc;
}

int xen_console_input_init(void)
{
    if (!console_ring)
        return -ENODEV;
    xen_event_init(&input_event, NULL, NULL);
    int rc = xen_event_bind_existing(&input_event, console_port);
    input_bound = rc == 0;
    input_seen = input_event.count;
    return rc;
}

long xen_console_read(char *buf, size_t len)
{
    if (!console_ring)
        return -ENODEV;
    long n = xencons_in_get(console_ring, buf, len);
    if (n < 0) {
        input_refused++;
        return -EPROTO;
    }
    if (n > 0)
        console_notify();   /* the back end may wait for room */
    return n;
}

int xen_console_wait_input(uint64_t deadline_ns)
{
    if (!console_ring)
        return -ENODEV;
    if (xencons_in_pending(console_ring) != 0)
        return 0;
    return xen_event_wait(&input_event, &input_seen, deadline_ns);
}

uint64_t xen_console_dropped(void)
{
    return console_dropped;
}
