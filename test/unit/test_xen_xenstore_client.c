/*
 * Unit tests for xen/xenstore.c, the fiber client, against a fake shared page that the test
 * reads and writes as xenstored would (Xen public io/xs_wire.h: two 1 KiB byte rings framed
 * only by the 16-byte headers' lengths). The event channel, HVM parameters and the control
 * watcher are faked below; fibers and time are the simulated platform's.
 * The stream rules: a request of up to XENSTORE_PAYLOAD_MAX streams through the ring, starting
 * only with room for all of it or an empty ring (one that cannot start in time writes nothing,
 * one over the limit is refused, one stalled part-way fails the connection); a reply header
 * that breaks a rule fails the connection for good (a log line naming the rule, every pending and
 * later request fails with -EPROTO, watches end); a late reply to a timed-out request is
 * dropped; and a reply whose event notification never comes is still found.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "mm/mm.h"
#include "sched/sched.h"
#include "test/unit/sim/sim.h"
#include "xen/control.h"
#include "xen/events.h"
#include "xen/hypercall.h"
#include "xen/xenstore.h"
#include "test/unit/xen_fixture.h"
#include "xenolith/test_main.h"

#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

#define SEC XEN_FIXTURE_SEC
#define MS XEN_FIXTURE_MS
#define STORE_PORT 5u

/* ---- the fakes: what Xen and the toolstack provide to xenstore.c ---- */

static struct xenstore_domain_interface *page;
static struct xen_event *store;
static unsigned notifies;

long xen_hvm_op(int cmd, void *arg)
{
    struct xen_hvm_param *p = arg;
    ck_assert_int_eq(cmd, HVMOP_get_param);
    if (p->index == HVM_PARAM_STORE_PFN)
        p->value = (uintptr_t)page >> 12;
    else if (p->index == HVM_PARAM_STORE_EVTCHN)
        p->value = STORE_PORT;
    else
        return -EINVAL;
    return 0;
}

int xen_event_bind_existing(struct xen_event *ev, uint32_t port)
{
    ev->port = port;
    store = ev;
    return 0;
}

int xen_event_notify(const struct xen_event *ev)
{
    notifies++;
    return 0;
}

/* As xen/events.c: wait until the count moves past *seen. */
int xen_event_wait(struct xen_event *ev, uint64_t *seen, uint64_t deadline_ns)
{
    while (ev->count == *seen) {
        int rc = waitq_wait(&ev->waiters, deadline_ns);
        if (rc < 0 && ev->count == *seen)
            return rc;
    }
    *seen = ev->count;
    return 0;
}

int xen_control_start(void)
{
    return 0;
}

/* ---- the daemon's side ---- */

static void raise_event(void)
{
    xen_fixture_raise(store);
}

static uint32_t req_used(void)
{
    return page->req_prod - page->req_cons;
}

/* Takes one whole request off the request ring (it must be there whole). */
static struct xsd_sockmsg take_request(char *payload, size_t cap)
{
    struct xsd_sockmsg h;
    ck_assert_uint_ge(req_used(), sizeof(h));
    uint8_t *p = (uint8_t *)&h;
    for (size_t i = 0; i < sizeof(h); i++)
        p[i] = (uint8_t)page->req[MASK_XENSTORE_IDX(page->req_cons++)];
    ck_assert_uint_ge(req_used(), h.len);
    ck_assert_uint_lt(h.len, cap);
    for (size_t i = 0; i < h.len; i++)
        payload[i] = page->req[MASK_XENSTORE_IDX(page->req_cons++)];
    payload[h.len] = '\0';
    return h;
}

static void put_bytes(const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++)
        page->rsp[MASK_XENSTORE_IDX(page->rsp_prod++)] = (char)p[i];
}

/* Writes a reply into the response ring; with `notify`, raises the event as xenstored does. */
static void reply(uint32_t type, uint32_t req_id, const void *payload, size_t len, bool notify)
{
    struct xsd_sockmsg h = { type, req_id, 0, (uint32_t)len };
    put_bytes(&h, sizeof(h));
    put_bytes(payload, len);
    if (notify)
        raise_event();
}

/* ---- client fibers ---- */

struct call {
    const char *path;
    const char *value;          /* a write when set, else a read */
    int rc;
    bool done;
    char buf[64];
};

static int call_fiber(void *arg)
{
    struct call *c = arg;
    c->rc = c->value ? xenstore_write(XENSTORE_NO_TX, c->path, c->value)
                     : xenstore_read(XENSTORE_NO_TX, c->path, c->buf, sizeof(c->buf));
    c->done = true;
    return 0;
}

static void start(struct call *c)
{
    c->done = false;
    struct fiber *f = fiber_spawn("client", call_fiber, c, 0);
    ck_assert_ptr_nonnull(f);
    fiber_detach(f);
}

/* Starts c and, as the daemon, takes its request off the ring (payload in payload[cap]). */
static struct xsd_sockmsg start_and_take(struct call *c, char *payload, size_t cap)
{
    start(c);
    sim_run_for(MS);
    return take_request(payload, cap);
}

struct watcher {
    struct xenstore_watch w;
    int watch_rc, next_rc;
    bool done;
};

static int watch_fiber(void *arg)
{
    struct watcher *wt = arg;
    wt->watch_rc = xenstore_watch(&wt->w, "device");
    char path[XENSTORE_PATH_MAX];
    do
        wt->next_rc = xenstore_watch_next(&wt->w, path, sizeof(path), sim_now() + 60 * SEC);
    while (wt->next_rc == 0);
    wt->done = true;
    return 0;
}

static void setup(void)
{
    xen_fixture_boot();
    page = aligned_alloc(4096, 4096);
    memset(page, 0, 4096);
    notifies = 0;
    ck_assert_int_eq(xenstore_init(), 0);
    sim_run_for(MS);
}

static void teardown(void)
{
    free(page);   /* the rest goes with the test's process (Check's fork mode) */
}

/* A request that fails at once with -EPROTO, writing nothing (the connection failed, or fails
 * on it). */
static void request_fails_unwritten(void)
{
    uint32_t prod = page->req_prod;
    struct call b = { .path = "domid" };
    start(&b);
    sim_run_for(MS);
    ck_assert(b.done);
    ck_assert_int_eq(b.rc, -EPROTO);
    ck_assert_uint_eq(page->req_prod, prod);
}

/* A read answered normally: the baseline the rule tests depart from. */
START_TEST(read_round_trip)
{
    struct call a = { .path = "domid" };
    char payload[64];
    struct xsd_sockmsg h = start_and_take(&a, payload, sizeof(payload));
    ck_assert_uint_eq(h.type, XS_READ);
    ck_assert_str_eq(payload, "domid");
    reply(XS_READ, h.req_id, "7", 1, true);
    sim_run_for(MS);
    ck_assert(a.done);
    ck_assert_int_eq(a.rc, 1);
    ck_assert_str_eq(a.buf, "7");
}
END_TEST

/* xs_wire.h framing: after a reply header whose length is above XENSTORE_PAYLOAD_MAX the
 * stream has no boundary left to trust. The connection fails visibly and for good: the log
 * names the rule, the request in flight and every later one fail with -EPROTO (a later one
 * writes nothing), and a watch ends with -EPIPE; the good-looking reply after the bad header
 * is never delivered. */
START_TEST(malformed_header_fails_connection)
{
    struct watcher wt;
    memset(&wt, 0, sizeof(wt));
    struct fiber *f = fiber_spawn("watcher", watch_fiber, &wt, 0);
    fiber_detach(f);
    sim_run_for(MS);
    char payload[128];
    struct xsd_sockmsg h = take_request(payload, sizeof(payload));
    ck_assert_uint_eq(h.type, XS_WATCH);
    reply(XS_WATCH, h.req_id, "OK", 3, true);
    sim_run_for(MS);
    ck_assert_int_eq(wt.watch_rc, 0);
    ck_assert(!wt.done);

    struct call a = { .path = "domid" };
    h = start_and_take(&a, payload, sizeof(payload));
    struct xsd_sockmsg bad = { XS_READ, h.req_id, 0, XENSTORE_PAYLOAD_MAX + 1 };
    put_bytes(&bad, sizeof(bad));
    reply(XS_READ, h.req_id, "7", 1, true);
    sim_run_for(MS);
    ck_assert(a.done);
    ck_assert_int_eq(a.rc, -EPROTO);
    ck_assert(wt.done);
    ck_assert_int_eq(wt.next_rc, -EPIPE);
    ck_assert_ptr_nonnull(strstr(sim_console_output(),
                                 "connection failed: reply length above XENSTORE_PAYLOAD_MAX"));
    struct xenstore_stats st;
    xenstore_get_stats(&st);
    ck_assert(st.broken);
    ck_assert_uint_eq(st.replies, 1);   /* the watch's OK only */
    request_fails_unwritten();
}
END_TEST

/* xs_wire.h: a reply carries the req_id of its request. A reply to an id the client never sent
 * means the stream is out of step: the connection fails, naming that rule. */
START_TEST(reply_to_unsent_id_fails_connection)
{
    struct call a = { .path = "domid" };
    char payload[64];
    struct xsd_sockmsg h = start_and_take(&a, payload, sizeof(payload));
    reply(XS_READ, h.req_id + 100, "7", 1, true);
    sim_run_for(MS);
    ck_assert(a.done);
    ck_assert_int_eq(a.rc, -EPROTO);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "reply to a request id never sent"));
}
END_TEST

/* A reply of another type than its request (XS_ERROR aside) is out of step too. */
START_TEST(reply_of_other_type_fails_connection)
{
    struct call a = { .path = "domid" };
    char payload[64];
    struct xsd_sockmsg h = start_and_take(&a, payload, sizeof(payload));
    reply(XS_DIRECTORY, h.req_id, "7", 2, true);
    sim_run_for(MS);
    ck_assert_int_eq(a.rc, -EPROTO);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "reply type differs from its request's"));
}
END_TEST

/* A reply that arrives after its request timed out belongs to an id we sent: it is dropped
 * (counted), and the connection carries on. */
START_TEST(late_reply_dropped_connection_kept)
{
    struct call a = { .path = "domid" };
    char payload[64];
    struct xsd_sockmsg h = start_and_take(&a, payload, sizeof(payload));
    sim_run_for(XENSTORE_REQUEST_TIMEOUT_NS + SEC);
    ck_assert(a.done);
    ck_assert_int_eq(a.rc, -ETIMEDOUT);
    reply(XS_READ, h.req_id, "7", 1, true);
    sim_run_for(MS);
    struct call b = { .path = "domid" };
    h = start_and_take(&b, payload, sizeof(payload));
    reply(XS_READ, h.req_id, "8", 1, true);
    sim_run_for(MS);
    ck_assert_int_eq(b.rc, 1);
    ck_assert_str_eq(b.buf, "8");
    struct xenstore_stats st;
    xenstore_get_stats(&st);
    ck_assert(!st.broken);
    ck_assert_uint_eq(st.unmatched_replies, 1);
    ck_assert_uint_eq(st.timeouts, 1);
}
END_TEST

/* Fills the request ring with a message the daemon has not taken yet, leaving `room` bytes. */
static void fill_request_ring(uint32_t room)
{
    uint32_t fill = XENSTORE_RING_SIZE - room;
    for (uint32_t i = 0; i < fill; i++)
        page->req[MASK_XENSTORE_IDX(page->req_prod++)] = 'f';
}

static void drop_requests(void)
{
    page->req_cons = page->req_prod;
}

/* xs_wire.h: the daemon frames requests by their headers' lengths, so a request that fits the
 * ring starts only when all of it fits. With 20 bytes of room a 30-byte request waits, writing
 * nothing; once the daemon takes bytes (without an event: it need not send one) it goes in
 * whole. */
START_TEST(request_waits_for_room_then_goes_whole)
{
    fill_request_ring(20);
    uint32_t prod = page->req_prod;
    struct call a = { .path = "data/abcdefg" };   /* 16 + 13 bytes */
    start(&a);
    sim_run_for(SEC);
    ck_assert(!a.done);
    ck_assert_uint_eq(page->req_prod, prod);
    drop_requests();
    sim_run_for(20 * MS);
    ck_assert_uint_eq(page->req_prod, prod + 29);
    char payload[64];
    struct xsd_sockmsg h = take_request(payload, sizeof(payload));
    ck_assert_str_eq(payload, "data/abcdefg");
    reply(XS_READ, h.req_id, "v", 1, true);
    sim_run_for(MS);
    ck_assert_int_eq(a.rc, 1);
}
END_TEST

/* The finding this fixes: a request that never finds room fails with -ETIMEDOUT having
 * written nothing, so the next request's bytes are not read by the daemon as its payload. */
START_TEST(request_without_room_writes_nothing)
{
    fill_request_ring(10);
    uint32_t prod = page->req_prod;
    struct call a = { .path = "data/first", .value = "a value that does not fit" };
    start(&a);
    sim_run_for(XENSTORE_REQUEST_TIMEOUT_NS + SEC);
    ck_assert(a.done);
    ck_assert_int_eq(a.rc, -ETIMEDOUT);
    ck_assert_uint_eq(page->req_prod, prod);
    drop_requests();
    struct call b = { .path = "data/second" };
    char payload[64];
    struct xsd_sockmsg h = start_and_take(&b, payload, sizeof(payload));
    ck_assert_uint_eq(h.type, XS_READ);
    ck_assert_str_eq(payload, "data/second");
    ck_assert_uint_eq(req_used(), 0);
    reply(XS_READ, h.req_id, "2", 1, true);
    sim_run_for(MS);
    ck_assert_int_eq(b.rc, 1);
}
END_TEST

/* The daemon's side of a request longer than the ring: takes what is in the request ring as
 * it arrives (raising the event, as xenstored does when it frees room) until a whole message
 * is read; returns its header, the payload in payload[cap]. */
static struct xsd_sockmsg take_streamed_request(char *payload, size_t cap)
{
    static uint8_t msg[XS_MSG_MAX];
    size_t got = 0, want = sizeof(struct xsd_sockmsg);
    struct xsd_sockmsg h = { 0 };
    for (unsigned round = 0; got < want; round++) {
        ck_assert_uint_lt(round, 100);
        while (req_used() && got < want)
            msg[got++] = (uint8_t)page->req[MASK_XENSTORE_IDX(page->req_cons++)];
        if (got >= sizeof(h) && want == sizeof(h)) {
            memcpy(&h, msg, sizeof(h));
            want += h.len;
            continue;
        }
        raise_event();
        sim_run_for(MS);
    }
    ck_assert_uint_lt(h.len, cap);
    memcpy(payload, msg + sizeof(h), h.len);
    payload[h.len] = '\0';
    return h;
}

/* xs_wire.h: a message carries up to XENSTORE_PAYLOAD_MAX (4096) bytes of payload, four times
 * the 1 KiB ring: a write of that size streams through the ring as the daemon reads it and
 * arrives whole; the reply completes it. (It was refused with -EMSGSIZE when a request had to
 * fit the ring.) */
START_TEST(request_up_to_payload_max_streams)
{
    static char value[XENSTORE_PAYLOAD_MAX - 9 + 1];   /* "data/big\0" + value = 4096 */
    for (size_t i = 0; i + 1 < sizeof(value); i++)
        value[i] = (char)('a' + i % 26);
    struct call a = { .path = "data/big", .value = value };
    start(&a);
    sim_run_for(MS);
    ck_assert(!a.done);
    ck_assert_uint_eq(req_used(), XENSTORE_RING_SIZE);   /* the first kilobyte */
    static char payload[XENSTORE_PAYLOAD_MAX + 1];
    struct xsd_sockmsg h = take_streamed_request(payload, sizeof(payload));
    ck_assert_uint_eq(h.type, XS_WRITE);
    ck_assert_uint_eq(h.len, XENSTORE_PAYLOAD_MAX);
    ck_assert_str_eq(payload, "data/big");
    ck_assert_int_eq(memcmp(payload + 9, value, sizeof(value) - 1), 0);
    reply(XS_WRITE, h.req_id, "OK", 3, true);
    sim_run_for(MS);
    ck_assert(a.done);
    ck_assert_int_eq(a.rc, 0);
    /* The next request starts at the boundary the daemon expects. */
    struct call b = { .path = "domid" };
    h = start_and_take(&b, payload, sizeof(payload));
    ck_assert_uint_eq(h.type, XS_READ);
    ck_assert_str_eq(payload, "domid");
}
END_TEST

/* One byte over XENSTORE_PAYLOAD_MAX: refused with -EMSGSIZE before any byte is written; the
 * connection carries on. */
START_TEST(request_over_payload_max_refused)
{
    static char value[XENSTORE_PAYLOAD_MAX - 9 + 2];
    memset(value, 'x', sizeof(value) - 1);
    struct call a = { .path = "data/big", .value = value };
    start(&a);
    sim_run_for(MS);
    ck_assert(a.done);
    ck_assert_int_eq(a.rc, -EMSGSIZE);
    ck_assert_uint_eq(page->req_prod, 0);
    struct xenstore_stats st;
    xenstore_get_stats(&st);
    ck_assert(!st.broken);
}
END_TEST

/* A request larger than the ring starts only into an empty ring; if the daemon then stops
 * reading part-way, the stream is out of step (the daemon would read the next request as the
 * rest of this one): the request fails with -ETIMEDOUT and the connection fails, naming it. */
START_TEST(request_stalled_part_written_fails_connection)
{
    static char value[2000];
    memset(value, 'y', sizeof(value) - 1);
    struct call a = { .path = "data/big", .value = value };
    start(&a);
    sim_run_for(MS);
    ck_assert_uint_eq(req_used(), XENSTORE_RING_SIZE);
    sim_run_for(XENSTORE_REQUEST_TIMEOUT_NS + SEC);
    ck_assert(a.done);
    ck_assert_int_eq(a.rc, -ETIMEDOUT);
    ck_assert_ptr_nonnull(strstr(sim_console_output(),
                                 "connection failed: request stalled part-written"));
    drop_requests();
    request_fails_unwritten();
}
END_TEST

/* xs_wire.h: the request ring's indices are free-running and never further apart than the
 * ring. Indices that are (the consumer ahead of the producer) fail the request and the
 * connection, naming the rule, with nothing written. */
START_TEST(corrupt_request_indices_fail_connection)
{
    page->req_cons = page->req_prod + 1;
    request_fails_unwritten();
    ck_assert_ptr_nonnull(strstr(sim_console_output(),
                                 "connection failed: request indices span more than the ring"));
}
END_TEST

/* Wake-up ordering: a reply whose event notification never comes (lost, or sent before we
 * looked) is still found by the reader's once-a-second look while a request is in flight,
 * and counted, instead of the request timing out. */
START_TEST(reply_without_event_still_found)
{
    struct call a = { .path = "domid" };
    char payload[64];
    struct xsd_sockmsg h = start_and_take(&a, payload, sizeof(payload));
    reply(XS_READ, h.req_id, "7", 1, false);
    sim_run_for(2 * SEC);
    ck_assert(a.done);
    ck_assert_int_eq(a.rc, 1);
    struct xenstore_stats st;
    xenstore_get_stats(&st);
    ck_assert_uint_eq(st.replies_without_event, 1);
}
END_TEST

static Suite *xen_xenstore_client_suite(void)
{
    Suite *s = suite_create("xen_xenstore_client");
    TCase *tc = tcase_create("client");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, read_round_trip);
    tcase_add_test(tc, malformed_header_fails_connection);
    tcase_add_test(tc, reply_to_unsent_id_fails_connection);
    tcase_add_test(tc, reply_of_other_type_fails_connection);
    tcase_add_test(tc, late_reply_dropped_connection_kept);
    tcase_add_test(tc, request_waits_for_room_then_goes_whole);
    tcase_add_test(tc, request_without_room_writes_nothing);
    tcase_add_test(tc, request_up_to_payload_max_streams);
    tcase_add_test(tc, request_over_payload_max_refused);
    tcase_add_test(tc, request_stalled_part_written_fails_connection);
    tcase_add_test(tc, corrupt_request_indices_fail_connection);
    tcase_add_test(tc, reply_without_event_still_found);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(xen_xenstore_client_suite)
