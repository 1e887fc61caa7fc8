/*
 * xen/xenstore: the xenstore client (xenstore.h). One reader fiber owns the response ring: it
 * reassembles messages, routes each (xs_route_reply) to the request with the same req_id or
 * to its watch. Requesters stream whole messages into the request ring under a writer lock
 * (xs_ring_write: a message starts only when it fits or the ring is empty, then goes in as
 * the daemon makes room), then sleep until their reply arrives or the request times out. A reply that breaks a
 * stream rule fails the connection for good (connection_failed): the stream cannot be brought
 * back into step, so nothing after it is believed.
 */
#include "xen/xenstore.h"
#include "xen/control.h"
#include "xen/events.h"
#include "xen/hypercall.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/mm.h"

#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>

/* We do not rely on the daemon notifying us when it takes request bytes from a ring that was
 * not full, so a writer waiting for room also looks again this often. */
#define XENSTORE_ROOM_POLL_NS (10ull * 1000 * 1000)
/* With requests in flight the reader looks at the ring this often even without an event; a
 * reply found that way is counted (replies_without_event): a lost notification shows up as a
 * counter and a one-second delay rather than a request that times out. */
#define XENSTORE_READER_POLL_NS (1000ull * 1000 * 1000)

struct xs_request {
    uint32_t req_id;
    uint32_t type;
    bool done;
    int err;
    struct xs_header reply;
    char *payload;              /* kmalloc'ed, len + 1 bytes, NUL-terminated for safety */
    struct waitq waiters;
    struct xs_request *next;
};

static volatile struct xenstore_domain_interface *ring;
static struct xen_event store_event;
static struct xs_request *in_flight;
static unsigned in_flight_count;
static struct xenstore_watch *watches;
static struct xs_req_ids req_ids;
static unsigned next_watch_token = 1;
static unsigned watch_epoch;        /* bumped by each resume in a new domain */
static bool writer_busy;
static struct waitq writer_queue = WAITQ_INIT;
static struct xenstore_stats stats;
static struct xs_assembler assembler;
static bool ready;
static const char *broken_rule;   /* set once the connection failed; never cleared */

bool xenstore_ready(void)
{
    return ready;
}

void xenstore_get_stats(struct xenstore_stats *out)
{
    *out = stats;
    out->broken = broken_rule != NULL;
}

/* ---- failing the connection ---- */

static void fail_all_in_flight(int err)
{
    for (struct xs_request *r = in_flight; r; r = r->next) {
        if (!r->done) {
            r->done = true;
            r->err = err;
            waitq_wake_all(&r->waiters);
        }
    }
}

/* The daemon broke a stream rule: every request in flight fails, every later one fails at
 * once, watches end (their waiters get -EPIPE) and the reader stops reading. */
static void connection_failed(const char *rule)
{
    if (broken_rule)
        return;
    broken_rule = rule;
    stats.malformed++;
    log_error("xenstore", "connection failed: %s; xenstore is down",
              rule);
    fail_all_in_flight(-EPROTO);
    while (watches) {
        struct xenstore_watch *w = watches;
        watches = w->next;
        w->active = false;
        waitq_wake_all(&w->waiters);
    }
    waitq_wake_all(&writer_queue);
}

/* ---- the reader fiber ---- */

static void deliver_watch_event(const char *payload, size_t len)
{
    const char *path, *token;
    if (xs_decode_watch_event(payload, len, &path, &token) < 0) {
        stats.malformed++;   /* framed correctly, so the stream is still in step */
        return;
    }
    stats.watch_events++;
    for (struct xenstore_watch *w = watches; w; w = w->next) {
        if (!w->active || strcmp(w->token, token) != 0)
            continue;
        if (strlen(path) >= XENSTORE_PATH_MAX) {
            w->dropped++;
            return;
        }
        if (w->count == XENSTORE_WATCH_QUEUE) {   /* drop the oldest: the newest matters */
            w->head = (w->head + 1) % XENSTORE_WATCH_QUEUE;
            w->count--;
            w->dropped++;
        }
        kstrlcpy(w->events[(w->head + w->count) % XENSTORE_WATCH_QUEUE], path, XENSTORE_PATH_MAX);
        w->count++;
        waitq_wake_all(&w->waiters);
        return;
    }
    stats.watch_events_unknown++;
}

static void deliver_reply(struct xs_request *r, const struct xs_header *h, const uint8_t *payload)
{
    r->payload = kmalloc(h->len + 1);
    if (!r->payload) {
        r->err = -ENOMEM;
    } else {
        memcpy(r->payload, payload, h->len);
        r->payload[h->len] = '\0';
        r->reply = *h;
    }
    r->done = true;
    stats.replies++;
    waitq_wake_all(&r->waiters);
}

static struct xs_request *waiting_request(uint32_t req_id)
{
    for (struct xs_request *r = in_flight; r; r = r->next)
        if (r->req_id == req_id && !r->done)
            return r;
    return NULL;
}

static void handle_message(void)
{
    const struct xs_header *h = &assembler.header;
    const char *payload = (const char *)assembler.buf + XS_HEADER_SIZE;
    struct xs_request *r = waiting_request(h->req_id);
    const char *rule;
    switch (xs_route_reply(h, r != NULL, r ? r->type : 0, &req_ids, &rule)) {
    case XS_ROUTE_WATCH_EVENT:
        deliver_watch_event(payload, h->len);
        break;
    case XS_ROUTE_REPLY:
        deliver_reply(r, h, (const uint8_t *)payload);
        break;
    case XS_ROUTE_LATE:
        stats.unmatched_replies++;
        break;
    case XS_ROUTE_BROKEN:
        xs_assembler_break(&assembler, rule);
        connection_failed(rule);
        break;
    }
}

/* True while the reader sleeps with no deadline (nothing was in flight when it went to sleep):
 * a request going out then wakes it, so that it looks again within XENSTORE_READER_POLL_NS. */
static bool reader_sleeps_untimed;

/* Sleeps until the daemon raises the event, a request goes out while the reader slept untimed
 * (reader_wake_for_request), or, with requests in flight, XENSTORE_READER_POLL_NS passes.
 * True when it woke for that time alone: no event came since *seen. */
static bool reader_sleep(uint64_t *seen)
{
    bool timed_out = false;
    if (store_event.count == *seen) {
        uint64_t deadline = DEADLINE_NONE;
        if (in_flight_count)
            deadline = platform_monotonic_ns() + XENSTORE_READER_POLL_NS;
        reader_sleeps_untimed = deadline == DEADLINE_NONE;
        timed_out = waitq_wait(&store_event.waiters, deadline) == -ETIMEDOUT;
        reader_sleeps_untimed = false;
    }
    timed_out = timed_out && store_event.count == *seen;
    *seen = store_event.count;
    return timed_out;
}

static void reader_wake_for_request(void)
{
    if (reader_sleeps_untimed) {
        reader_sleeps_untimed = false;
        waitq_wake_all(&store_event.waiters);
    }
}

static int reader_fiber(void *arg)
{
    uint64_t seen = store_event.count;
    uint8_t chunk[256];
    bool looked_without_event = false;
    while (!broken_rule) {
        long n = xs_ring_read(ring, chunk, sizeof(chunk));
        if (n < 0) {
            connection_failed("response indices span more than the ring");
            break;
        }
        if (n == 0) {
            looked_without_event = reader_sleep(&seen);
            continue;
        }
        if (looked_without_event) {
            looked_without_event = false;
            if (stats.replies_without_event++ == 0)
                log_warn("xenstore", "reply without an event");
        }
        xen_event_notify(&store_event);   /* space freed for the daemon */
        for (long used = 0; used < n && !broken_rule;) {
            bool complete;
            long took = xs_assembler_feed(&assembler, chunk + used, (size_t)(n - used),
                                          &complete);
            if (took < 0) {
                connection_failed(assembler.broken);
                break;
            }
            used += took;
            if (complete)
                handle_message();
        }
    }
    return 0;
}

/* ---- requests ---- */

/* Streams msg[len] (at most XS_MSG_MAX) into the request ring, waiting for room until
 * deadline. Before its first byte went in a failure leaves nothing written; once started, a
 * daemon that stops reading mid-message leaves the stream out of step, and the connection
 * fails (the request gets -ETIMEDOUT, every other one -EPROTO). */
static int write_message(const uint8_t *msg, size_t len, uint64_t deadline)
{
    while (writer_busy && !broken_rule)
        if (waitq_wait(&writer_queue, deadline) == -ETIMEDOUT && writer_busy)
            return -ETIMEDOUT;
    if (broken_rule)
        return -EPROTO;
    writer_busy = true;
    uint64_t seen = store_event.count;
    size_t sent = 0;
    int rc;
    for (;;) {
        if (broken_rule) {
            rc = -EPROTO;
            break;
        }
        long n = xs_ring_write(ring, msg, len, sent);
        if (n < 0) {
            if (n == -EPROTO)
                connection_failed("request indices span more than the ring");
            rc = (int)n;
            break;
        }
        if (n > 0) {
            xen_event_notify(&store_event);
            sent += (size_t)n;
            if (sent == len) {
                rc = 0;
                break;
            }
            continue;
        }
        uint64_t now = platform_monotonic_ns();
        if (now >= deadline) {
            if (sent)
                connection_failed("request stalled part-written");
            rc = -ETIMEDOUT;
            break;
        }
        uint64_t look = deadline - now > XENSTORE_ROOM_POLL_NS ? now + XENSTORE_ROOM_POLL_NS
                                                               : deadline;
        rc = xen_event_wait(&store_event, &seen, look);
        if (rc < 0 && rc != -ETIMEDOUT)
            break;
    }
    writer_busy = false;
    waitq_wake_one(&writer_queue);
    return rc;
}

static void unlink_request(struct xs_request *req)
{
    for (struct xs_request **p = &in_flight; *p; p = &(*p)->next) {
        if (*p == req) {
            *p = req->next;
            in_flight_count--;
            return;
        }
    }
}

/* Sends one request and waits for its reply. On success *reply_out holds the payload (the
 * caller kfrees it) and *reply_len its length. */
static int transact_once(uint32_t type, uint32_t tx, const struct xs_piece *pieces, size_t count,
                         char **reply_out, size_t *reply_len)
{
    if (!ready)
        return -ENODEV;
    if (!fiber_current())
        return -EPERM;   /* waiting needs a fiber */
    if (broken_rule)
        return -EPROTO;
    struct xs_request req = { .type = type };
    waitq_init(&req.waiters);
    uint8_t *msg = kmalloc(XS_MSG_MAX);
    if (!msg)
        return -ENOMEM;
    req.req_id = xs_req_id_issue(&req_ids);
    long len = xs_encode(msg, XS_MSG_MAX, type, req.req_id, tx, pieces, count);
    if (len < 0) {
        kfree(msg);
        return (int)len;
    }
    /* Registered before the bytes go out, so the reply cannot overtake us. */
    req.next = in_flight;
    in_flight = &req;
    if (++in_flight_count > stats.in_flight_max)
        stats.in_flight_max = in_flight_count;
    stats.requests++;
    uint64_t deadline = platform_monotonic_ns() + XENSTORE_REQUEST_TIMEOUT_NS;
    int rc = write_message(msg, (size_t)len, deadline);
    kfree(msg);
    if (rc == 0)
        reader_wake_for_request();
    deadline = platform_monotonic_ns() + XENSTORE_REQUEST_TIMEOUT_NS;
    while (rc == 0 && !req.done)
        rc = waitq_wait(&req.waiters, deadline);
    unlink_request(&req);
    if (rc == -ETIMEDOUT && !req.done)
        stats.timeouts++;
    if (rc == 0 && req.err)
        rc = req.err;
    if (rc == 0 && req.reply.type == XS_ERROR) {
        rc = xs_decode_error(req.payload, req.reply.len);
        stats.errors++;
    }
    if (rc < 0) {
        kfree(req.payload);
        return rc;
    }
    *reply_out = req.payload;
    *reply_len = req.reply.len;
    return 0;
}

static struct xs_piece str_piece(const char *s)
{
    return (struct xs_piece){ s, strlen(s) + 1 };
}

/* A request whose reply carries nothing we keep ("OK"). */
static int simple_request(uint32_t type, uint32_t tx, const struct xs_piece *pieces, size_t n)
{
    char *reply;
    size_t len;
    int rc = transact_once(type, tx, pieces, n, &reply, &len);
    if (rc == 0)
        kfree(reply);
    return rc;
}

int xenstore_read(uint32_t tx, const char *path, char *buf, size_t cap)
{
    struct xs_piece p = str_piece(path);
    char *reply;
    size_t len;
    int rc = transact_once(XS_READ, tx, &p, 1, &reply, &len);
    if (rc < 0)
        return rc;
    if (len + 1 > cap) {
        rc = -EOVERFLOW;
    } else {
        memcpy(buf, reply, len);
        buf[len] = '\0';
        rc = (int)len;
    }
    kfree(reply);
    return rc;
}

int xenstore_read_uint(uint32_t tx, const char *path, unsigned long *value)
{
    char buf[24];
    int rc = xenstore_read(tx, path, buf, sizeof(buf));
    if (rc < 0)
        return rc;
    if (rc == 0)
        return -EINVAL;
    unsigned long v = 0;
    for (int i = 0; i < rc; i++) {
        if (buf[i] < '0' || buf[i] > '9' || v > (~0ul - 9) / 10)
            return -EINVAL;
        v = v * 10 + (unsigned long)(buf[i] - '0');
    }
    *value = v;
    return 0;
}

int xenstore_write(uint32_t tx, const char *path, const char *value)
{
    struct xs_piece p[2] = { str_piece(path), { value, strlen(value) } };
    return simple_request(XS_WRITE, tx, p, 2);
}

int xenstore_mkdir(uint32_t tx, const char *path)
{
    struct xs_piece p = str_piece(path);
    return simple_request(XS_MKDIR, tx, &p, 1);
}

int xenstore_rm(uint32_t tx, const char *path)
{
    struct xs_piece p = str_piece(path);
    return simple_request(XS_RM, tx, &p, 1);
}

int xenstore_directory(uint32_t tx, const char *path, char *buf, size_t cap, const char **names,
                       size_t max)
{
    struct xs_piece p = str_piece(path);
    char *reply;
    size_t len;
    int rc = transact_once(XS_DIRECTORY, tx, &p, 1, &reply, &len);
    if (rc < 0)
        return rc;
    if (len > cap)
        rc = -EOVERFLOW;
    else {
        memcpy(buf, reply, len);
        rc = xs_split_strings(buf, len, names, max);
    }
    kfree(reply);
    return rc;
}

int xenstore_get_perms(uint32_t tx, const char *path, struct xs_perm *perms, size_t max)
{
    struct xs_piece p = str_piece(path);
    char *reply;
    size_t len;
    int rc = transact_once(XS_GET_PERMS, tx, &p, 1, &reply, &len);
    if (rc < 0)
        return rc;
    rc = xs_decode_perms(reply, len, perms, max);
    kfree(reply);
    return rc;
}

int xenstore_set_perms(uint32_t tx, const char *path, const struct xs_perm *perms, size_t count)
{
    char encoded[256];
    long n = xs_encode_perms(encoded, sizeof(encoded), perms, count);
    if (n < 0)
        return (int)n;
    struct xs_piece p[2] = { str_piece(path), { encoded, (size_t)n } };
    return simple_request(XS_SET_PERMS, tx, p, 2);
}

int xenstore_domain_path(char *buf, size_t cap)
{
    char *reply;
    size_t len;
    /* A guest is not told its domain id; the toolstack writes it under the home directory,
     * which relative paths reach. */
    char id[8];
    int rc = xenstore_read(XENSTORE_NO_TX, "domid", id, sizeof(id));
    if (rc < 0)
        return rc;
    struct xs_piece p = str_piece(id);
    rc = transact_once(XS_GET_DOMAIN_PATH, XENSTORE_NO_TX, &p, 1, &reply, &len);
    if (rc < 0)
        return rc;
    if (len == 0 || reply[len - 1] != '\0' || len > cap)
        rc = len > cap ? -EOVERFLOW : -EBADMSG;
    else
        memcpy(buf, reply, len);
    kfree(reply);
    return rc;
}

int xenstore_transaction_start(uint32_t *tx)
{
    struct xs_piece p = { "", 1 };
    char *reply;
    size_t len;
    int rc = transact_once(XS_TRANSACTION_START, XENSTORE_NO_TX, &p, 1, &reply, &len);
    if (rc < 0)
        return rc;
    /* The id as a decimal string, terminated. */
    unsigned long id = 0;
    rc = (len >= 2 && reply[len - 1] == '\0') ? 0 : -EBADMSG;
    for (size_t i = 0; rc == 0 && i + 1 < len; i++) {
        if (reply[i] < '0' || reply[i] > '9' || id > 0xffffffful)
            rc = -EBADMSG;
        else
            id = id * 10 + (unsigned long)(reply[i] - '0');
    }
    kfree(reply);
    if (rc == 0 && (id == 0 || id > 0xfffffffful))
        rc = -EBADMSG;
    if (rc == 0)
        *tx = (uint32_t)id;
    return rc;
}

int xenstore_transaction_end(uint32_t tx, bool commit)
{
    struct xs_piece p = str_piece(commit ? "T" : "F");
    return simple_request(XS_TRANSACTION_END, tx, &p, 1);
}

int xenstore_transact(int (*body)(uint32_t tx, void *arg), void *arg, unsigned attempts)
{
    for (unsigned i = 0; i < attempts; i++) {
        uint32_t tx;
        int rc = xenstore_transaction_start(&tx);
        if (rc < 0)
            return rc;
        rc = body(tx, arg);
        if (rc < 0) {
            xenstore_transaction_end(tx, false);
            if (rc != -EAGAIN)
                return rc;
            continue;
        }
        rc = xenstore_transaction_end(tx, true);
        if (rc != -EAGAIN)
            return rc;
        log_debug("xenstore", "transaction conflict; retrying (%u)", i + 1);
    }
    return -EAGAIN;
}

/* ---- watches ---- */

/* XS_WATCH or XS_UNWATCH of w's path and token. */
static int send_watch(uint32_t type, struct xenstore_watch *w)
{
    struct xs_piece p[2] = { str_piece(w->path), str_piece(w->token) };
    return simple_request(type, XENSTORE_NO_TX, p, 2);
}

int xenstore_watch(struct xenstore_watch *w, const char *path)
{
    if (kstrlcpy(w->path, path, sizeof(w->path)) >= sizeof(w->path))
        return -ENAMETOOLONG;
    ksnprintf(w->token, sizeof(w->token), "xenolith-%u", next_watch_token++);
    w->head = w->count = 0;
    w->dropped = 0;
    waitq_init(&w->waiters);
    /* Linked before the request, so the immediate first event finds it. */
    w->active = true;
    w->epoch = watch_epoch;
    w->next = watches;
    watches = w;
    int rc = send_watch(XS_WATCH, w);
    if (rc < 0) {
        w->active = false;
        for (struct xenstore_watch **q = &watches; *q; q = &(*q)->next)
            if (*q == w) {
                *q = w->next;
                break;
            }
    }
    return rc;
}

int xenstore_unwatch(struct xenstore_watch *w)
{
    if (!w->active)
        return -EINVAL;
    int rc = send_watch(XS_UNWATCH, w);
    w->active = false;
    for (struct xenstore_watch **q = &watches; *q; q = &(*q)->next)
        if (*q == w) {
            *q = w->next;
            break;
        }
    waitq_wake_all(&w->waiters);
    return rc;
}

int xenstore_watch_retarget(struct xenstore_watch *w, const char *path)
{
    if (!w->active)
        return -EINVAL;
    if (strlen(path) >= sizeof(w->path))
        return -ENAMETOOLONG;
    send_watch(XS_UNWATCH, w);   /* the old path may be gone with the old domain */
    kstrlcpy(w->path, path, sizeof(w->path));
    w->epoch = watch_epoch;
    return send_watch(XS_WATCH, w);
}

int xenstore_watch_next(struct xenstore_watch *w, char *buf, size_t cap, uint64_t deadline_ns)
{
    if (w->count == 0 && !fiber_current())
        return -EPERM;
    while (w->count == 0) {
        if (!w->active)
            return -EPIPE;
        int rc = waitq_wait(&w->waiters, deadline_ns);
        if (rc < 0 && w->count == 0)
            return rc;
    }
    kstrlcpy(buf, w->events[w->head], cap);
    w->head = (w->head + 1) % XENSTORE_WATCH_QUEUE;
    w->count--;
    return 0;
}

/* ---- set-up ---- */

static int hvm_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param param = { .domid = DOMID_SELF, .index = index };
    long rc = xen_hvm_op(HVMOP_get_param, &param);
    if (rc < 0)
        return (int)rc;
    *value = param.value;
    return 0;
}

/* The ring and event channel the HVM parameters name. */
static int attach_ring(void)
{
    uint64_t pfn = 0, port = 0;
    int rc;
    if ((rc = hvm_param(HVM_PARAM_STORE_PFN, &pfn)) < 0 ||
        (rc = hvm_param(HVM_PARAM_STORE_EVTCHN, &port)) < 0)
        return rc;
    if (pfn == 0 || port == 0 || port >= XEN_EVENT_PORTS)
        return -ENODEV;
    /* Like the console page, the store page is a Xen special page the memory map lists. */
    ring = (volatile struct xenstore_domain_interface *)(uintptr_t)(pfn << 12);
    xs_assembler_reset(&assembler);
    return xen_event_bind_existing(&store_event, (uint32_t)port);
}

int xenstore_quiesce(uint64_t deadline_ns)
{
    int waited = 0;
    while (ready && !broken_rule && (in_flight_count || writer_busy)) {
        if (platform_monotonic_ns() >= deadline_ns)
            return -ETIMEDOUT;
        waited = 1;
        fiber_sleep_ns(XENSTORE_ROOM_POLL_NS / 10);
    }
    return waited;
}

int xenstore_resume_ring(void)
{
    if (!ready)
        return -ENODEV;
    /* Nothing was in flight (xenstore_quiesce), so no reply is owed to anyone. */
    return attach_ring();
}

int xenstore_resume_watches(void)
{
    if (!ready)
        return -ENODEV;
    watch_epoch++;
    int failed = 0;
    /* Each request yields, and a watch may be removed meanwhile: start again from the head
     * after each one, taking the next watch not yet registered on this connection. */
    for (;;) {
        struct xenstore_watch *w = watches;
        while (w && (!w->active || w->epoch == watch_epoch))
            w = w->next;
        if (!w)
            break;
        w->epoch = watch_epoch;
        int rc = send_watch(XS_WATCH, w);
        if (rc < 0) {
            log_error("xenstore", "rewatch %s: %s", w->path, error_name(rc));
            failed = rc;
        }
    }
    return failed;
}

int xenstore_init(void)
{
    xen_event_init(&store_event, NULL, NULL);
    int rc = attach_ring();
    if (rc < 0)
        return rc;
    struct fiber *f = fiber_spawn("xenstore", reader_fiber, NULL, 0);
    if (!f)
        return -ENOMEM;
    fiber_detach(f);
    ready = true;
    /* Every image with xenstore obeys xl shutdown/reboot. */
    return xen_control_start();
}
