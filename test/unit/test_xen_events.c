/*
 * Unit tests for xen/events_core.c, the 2-level event-channel scan (Xen public xen.h,
 * struct shared_info / struct vcpu_info: evtchn_pending, evtchn_mask, evtchn_pending_sel,
 * evtchn_upcall_pending) against fake bitmaps: only pending and unmasked ports are delivered,
 * each pending bit is cleared before its handler runs, a masked event is replayed on unmask,
 * events on unowned ports are counted and dropped, and the owner table refuses bad ports.
 */
#include <check.h>
#include <string.h>

#include "xen/events_core.h"
#include "lib/errno.h"
#include "test/unit/xen_fixture.h"
#include "xenolith/test_main.h"

static struct events_core core;
static uint64_t pending[EVENTS_WORDS], mask[EVENTS_WORDS], sel;
static uint8_t upcall;

/* What Xen does when it raises a port (evtchn_2l_set_pending): pending bit; if unmasked,
 * the selector bit and the upcall flag. */
static void xen_raises(uint32_t port)
{
    pending[port / 64] |= 1ull << (port % 64);
    if (!(mask[port / 64] & (1ull << (port % 64)))) {
        sel |= 1ull << (port / 64);
        upcall = 1;
    }
}

static void setup(void)
{
    memset(pending, 0, sizeof(pending));
    memset(mask, 0, sizeof(mask));
    sel = 0;
    upcall = 0;
    events_core_init(&core, pending, mask, &sel, &upcall);
}

struct seen {
    uint32_t ports[16];
    unsigned count;
    bool pending_when_called;
};

static void record(struct xen_event *ev, void *arg)
{
    struct seen *s = arg;
    if (s->count < 16)
        s->ports[s->count++] = ev->port;
    s->pending_when_called |= (pending[ev->port / 64] >> (ev->port % 64)) & 1;
}

START_TEST(pending_unmasked_ports_are_delivered_once)
{
    setup();
    struct seen s = { { 0 }, 0, false };
    struct xen_event a, b;
    xen_event_init(&a, record, &s);
    xen_event_init(&b, record, &s);
    a.port = 3;
    b.port = 130;
    ck_assert_int_eq(events_core_attach(&core, 3, &a), 0);
    ck_assert_int_eq(events_core_attach(&core, 130, &b), 0);
    xen_raises(3);
    xen_raises(130);
    ck_assert_uint_eq(events_core_scan(&core), 2);
    ck_assert_uint_eq(a.count, 1);
    ck_assert_uint_eq(b.count, 1);
    ck_assert_uint_eq(s.count, 2);
    /* The pending bit is cleared before the handler runs (an event during it is kept). */
    ck_assert(!s.pending_when_called);
    ck_assert_uint_eq(upcall, 0);
    ck_assert_uint_eq(sel, 0);
    ck_assert_uint_eq(events_core_scan(&core), 0);   /* nothing twice */
}
END_TEST

START_TEST(masked_port_waits_for_unmask)
{
    setup();
    struct xen_event a;
    xen_event_init(&a, NULL, NULL);
    a.port = 70;
    events_core_attach(&core, 70, &a);
    events_core_set_mask(&core, 70, true);
    xen_raises(70);
    ck_assert_uint_eq(upcall, 0);                 /* Xen does not signal a masked port */
    ck_assert_uint_eq(events_core_scan(&core), 0);
    ck_assert_uint_eq(a.count, 0);
    ck_assert(events_core_unmask(&core, 70));     /* it was pending: replayed */
    ck_assert_uint_eq(upcall, 1);
    ck_assert_uint_eq(events_core_scan(&core), 1);
    ck_assert_uint_eq(a.count, 1);
    ck_assert(!events_core_unmask(&core, 70));
}
END_TEST

START_TEST(selector_bit_without_pending_port_delivers_nothing)
{
    setup();
    sel = 1ull << 5;
    upcall = 1;
    ck_assert_uint_eq(events_core_scan(&core), 0);
    ck_assert_uint_eq(sel, 0);
}
END_TEST

START_TEST(unowned_port_is_counted_and_cleared)
{
    setup();
    xen_raises(9);
    ck_assert_uint_eq(events_core_scan(&core), 1);
    ck_assert_uint_eq(core.unbound, 1);
    ck_assert_uint_eq(core.delivered, 0);
    ck_assert_uint_eq(pending[0], 0);
}
END_TEST

START_TEST(attach_refuses_bad_and_taken_ports)
{
    setup();
    struct xen_event a, b;
    xen_event_init(&a, NULL, NULL);
    xen_event_init(&b, NULL, NULL);
    ck_assert_int_eq(events_core_attach(&core, 0, &a), -EINVAL);
    ck_assert_int_eq(events_core_attach(&core, XEN_EVENT_PORTS, &a), -EINVAL);
    ck_assert_int_eq(events_core_attach(&core, 12, &a), 0);
    ck_assert_int_eq(events_core_attach(&core, 12, &b), -EBUSY);
    events_core_detach(&core, 12);
    ck_assert_int_eq(events_core_attach(&core, 12, &b), 0);
}
END_TEST

START_TEST(every_port_of_every_word_is_reachable)
{
    setup();
    static struct xen_event evs[XEN_EVENT_PORTS];
    for (uint32_t p = 1; p < XEN_EVENT_PORTS; p++) {
        xen_event_init(&evs[p], NULL, NULL);
        evs[p].port = p;
        ck_assert_int_eq(events_core_attach(&core, p, &evs[p]), 0);
        xen_raises(p);
    }
    ck_assert_uint_eq(events_core_scan(&core), XEN_EVENT_PORTS - 1);
    for (uint32_t p = 1; p < XEN_EVENT_PORTS; p++)
        ck_assert_uint_eq(evs[p].count, 1);
}
END_TEST

static Suite *xen_events_suite(void)
{
    Suite *s = suite_create("xen_events");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, pending_unmasked_ports_are_delivered_once);
    tcase_add_test(tc, masked_port_waits_for_unmask);
    tcase_add_test(tc, selector_bit_without_pending_port_delivers_nothing);
    tcase_add_test(tc, unowned_port_is_counted_and_cleared);
    tcase_add_test(tc, attach_refuses_bad_and_taken_ports);
    tcase_add_test(tc, every_port_of_every_word_is_reachable);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(xen_events_suite)
