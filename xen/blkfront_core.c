/*
 * xen/blkfront_core: building blkif requests over the core's own pages, validating responses,
 * the persistent grant pool, deadlines (see blkfront_core.h for the rules).
 */
#include "xen/blkfront_core.h"
#include "xen/optional.h"
#include <stdarg.h>
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/platform.h"

_Static_assert(BLKFRONT_PAGE_SIZE == BLKDEV_PAGE_SIZE, "a segment is one granted page");
_Static_assert(BLKFRONT_MAX_INDIRECT_SEGMENTS <= BLKFRONT_DESCS_PER_INDIRECT_PAGE,
               "one indirect page per request");

uint32_t blkfront_ring_slots(unsigned order)
{
    return __CONST_RING_SIZE(blkif, BLKFRONT_PAGE_SIZE << order);
}

/* ---- own pages and their grants ---- */

/* A fresh page of the core's, zeroed: whatever the allocator last held never reaches the
 * backend. */
static struct blkfront_page *page_new(int *err)
{
    struct blkfront_page *p = kcalloc(1, sizeof(*p));
    void *page = p ? page_alloc(0) : NULL;
    if (!page) {
        kfree(p);
        *err = -ENOMEM;
        return NULL;
    }
    memset(page, 0, BLKFRONT_PAGE_SIZE);
    p->page = page;
    return p;
}

/* Grants page within the budget. */
static long grant(struct blkfront_core *c, const void *page, bool readonly)
{
    if (c->stats.grants_live >= c->feat.max_grants)
        return -ENOSPC;
    long ref = c->gops.grant(c->gops.ctx, page, readonly);
    if (ref >= 0 && ++c->stats.grants_live > c->stats.grants_peak)
        c->stats.grants_peak = c->stats.grants_live;
    return ref;
}

/* Ends a grant and gives its page up under the grant-lifetime rule. */
static void end_free(struct blkfront_core *c, uint32_t ref, void *page)
{
    c->stats.grants_live--;
    if (c->gops.end_free(c->gops.ctx, ref, page) == 0)
        c->stats.grants_ended++;
    else
        c->stats.grants_quarantined++;
}

/* A page for one segment, granted: from the persistent pool (growing it while below its
 * limit), or a spare page granted for this request only. */
static struct blkfront_page *page_get(struct blkfront_core *c, bool write, int *err)
{
    struct blkfront_page *p;
    if (c->feat.persistent) {
        if ((p = c->pool)) {
            c->pool = p->next;
            return p;
        }
        /* The limit is what all slots can hold at once, so an empty pool below it means growth. */
        if (c->stats.pool_pages >= c->pool_max) {
            *err = -ENOSPC;
            return NULL;
        }
        if (!(p = page_new(err)))
            return NULL;
        /* blkback maps every grant of a persistent connection writable. */
        long ref = grant(c, p->page, false);
        if (ref < 0) {
            page_free(p->page, 0);
            kfree(p);
            *err = (int)ref;
            return NULL;
        }
        p->ref = (uint32_t)ref;
        c->stats.pool_pages++;
        return p;
    }
    if ((p = c->spare))
        c->spare = p->next;
    else if (!(p = page_new(err)))
        return NULL;
    /* A write's pages are only read by the backend. */
    long ref = grant(c, p->page, write);
    if (ref < 0) {
        p->next = c->spare;
        c->spare = p;
        *err = (int)ref;
        return NULL;
    }
    p->ref = (uint32_t)ref;
    c->stats.grants++;
    return p;
}

/* ---- slots ---- */

/* Gives back the pages of the slot's request. Without persistent grants each grant is ended
 * first; a page the backend still maps goes to the quarantine. Only when every grant ended
 * (persistent pages: always) and copy_read is set is a read copied into the caller's buffers:
 * a request with a kept page fails without its buffers being touched. Returns true if the
 * backend kept a grant. */
static bool release_slot_pages(struct blkfront_core *c, struct blkfront_slot *s, bool copy_read)
{
    bool kept = false;
    if (!c->feat.persistent) {
        for (uint32_t i = 0; i < s->nr_pages; i++) {
            struct blkfront_page *p = s->pages[i];
            if (c->gops.end(c->gops.ctx, p->ref) == 0) {
                c->stats.grants_live--;
                c->stats.grants_ended++;
                continue;
            }
            kept = true;
            end_free(c, p->ref, p->page);
            kfree(p);
            s->pages[i] = NULL;
        }
    }
    if (copy_read && !kept) {
        const struct blk_request *req = s->req;
        for (uint32_t i = 0; i < s->nr_pages; i++)
            memcpy(req->segments[i].addr, s->pages[i]->page, req->segments[i].len);
    }
    for (uint32_t i = 0; i < s->nr_pages; i++) {
        struct blkfront_page *p = s->pages[i];
        if (!p)
            continue;
        struct blkfront_page **list = c->feat.persistent ? &c->pool : &c->spare;
        p->next = *list;
        *list = p;
    }
    s->nr_pages = 0;
    return kept;
}

static void free_slot(struct blkfront_core *c, uint32_t id)
{
    struct blkfront_slot *s = &c->slots[id];
    s->req = NULL;
    s->next_free = c->free_head;
    c->free_head = id;
    c->in_flight--;
}

/* Completes the slot's request with status (its pages given back, no data copied). */
static void fail_slot(struct blkfront_core *c, uint32_t id, int status)
{
    struct blkfront_slot *s = &c->slots[id];
    struct blk_request *req = s->req;
    release_slot_pages(c, s, false);
    free_slot(c, id);
    c->stats.errors++;
    c->complete(c->complete_ctx, req, status);
}

static int status_to_errno(struct blkfront_slot *s, int16_t status)
{
    if (status == BLKIF_RSP_OKAY)
        return 0;
    if (status == BLKIF_RSP_EOPNOTSUPP &&
        (s->operation == BLKIF_OP_FLUSH_DISKCACHE || s->operation == BLKIF_OP_WRITE_BARRIER ||
         s->operation == BLKIF_OP_DISCARD))
        return -EOPNOTSUPP;
    return -EIO;
}

/* ---- breaking ---- */

enum break_kind {
#define BLKFRONT_BREAK_ENUM(name) BREAK_##name,
    BLKFRONT_BREAKS(BLKFRONT_BREAK_ENUM)
#undef BLKFRONT_BREAK_ENUM
};

static void count_break(struct blkfront_core *c, enum break_kind kind)
{
    switch (kind) {
#define BLKFRONT_BREAK_CASE(name) case BREAK_##name: c->stats.breaks.name++; break;
    BLKFRONT_BREAKS(BLKFRONT_BREAK_CASE)
#undef BLKFRONT_BREAK_CASE
    }
}

static void mark_broken(struct blkfront_core *c, enum break_kind kind, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
static void mark_broken(struct blkfront_core *c, enum break_kind kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(c->broken_reason, sizeof(c->broken_reason), fmt, ap);
    va_end(ap);
    c->broken = true;
    count_break(c, kind);
}

/* Fails every request still in flight with status. The core is broken already, so a
 * completion that submits again gets -EIO. */
static void fail_all(struct blkfront_core *c, int status)
{
    for (uint32_t id = 0; id < c->nr_slots; id++)
        if (c->slots[id].req)
            fail_slot(c, id, status);
}

#define breaks(c, kind, ...)                                                                   \
    do {                                                                                       \
        if (!(c)->broken) {                                                                    \
            mark_broken(c, kind, __VA_ARGS__);                                                 \
            fail_all(c, -EIO);                                                                 \
        }                                                                                      \
    } while (0)

void blkfront_core_disconnect(struct blkfront_core *c, const char *reason)
{
    breaks(c, BREAK_disconnect, "%s", reason);
}

bool blkfront_core_broken(const struct blkfront_core *c, const char **reason)
{
    if (reason)
        *reason = c->broken ? c->broken_reason : NULL;
    return c->broken;
}

uint64_t blkfront_core_next_deadline(const struct blkfront_core *c)
{
    uint64_t next = UINT64_MAX;
    for (uint32_t id = 0; id < c->nr_slots; id++)
        if (c->slots[id].req && c->slots[id].deadline_ns < next)
            next = c->slots[id].deadline_ns;
    return next;
}

unsigned blkfront_core_expire(struct blkfront_core *c, uint64_t now_ns)
{
    if (c->broken)
        return 0;
    unsigned expired = 0;
    uint32_t first = BLKFRONT_NO_SLOT;
    for (uint32_t id = 0; id < c->nr_slots; id++) {
        if (!c->slots[id].req || c->slots[id].deadline_ns > now_ns)
            continue;
        if (first == BLKFRONT_NO_SLOT)
            first = id;
        expired++;
    }
    if (!expired)
        return 0;
    /* The slot (and its pages) may still be in the backend's hands: the ring cannot be
     * trusted to stay in step, so the whole core goes. */
    mark_broken(c, BREAK_timeout, "request %u (and %u more) had no response within %llu ms",
                first, expired - 1, (unsigned long long)(c->feat.timeout_ns / 1000000));
    for (uint32_t id = 0; id < c->nr_slots; id++) {
        if (c->slots[id].req && c->slots[id].deadline_ns <= now_ns) {
            c->stats.timeouts++;
            fail_slot(c, id, -ETIMEDOUT);
        }
    }
    fail_all(c, -EIO);
    return expired;
}

/* ---- set-up and teardown ---- */

static void free_slots(struct blkfront_core *c)
{
    for (uint32_t i = 0; c->slots && i < c->nr_slots; i++) {
        struct blkfront_slot *s = &c->slots[i];
        kfree(s->pages);
        if (s->indirect)
            end_free(c, s->indirect_ref, s->indirect);
    }
    kfree(c->slots);
    c->slots = NULL;
    c->nr_slots = c->max_in_flight = 0;
    c->free_head = BLKFRONT_NO_SLOT;
}

static bool features_valid(const struct blkfront_features *f)
{
    uint32_t ss = f->sector_size;
    return ss >= BLKFRONT_WIRE_SECTOR && ss <= BLKFRONT_PAGE_SIZE && (ss & (ss - 1)) == 0 &&
           f->max_segments >= 1 && f->max_segments <= BLKFRONT_MAX_INDIRECT_SEGMENTS;
}

int blkfront_core_init(struct blkfront_core *c, void *sring, unsigned ring_order,
                       const struct blkfront_features *feat, uint16_t handle,
                       const struct blkfront_grant_ops *gops,
                       void (*complete)(void *ctx, struct blk_request *req, int status),
                       void *ctx)
{
    memset(c, 0, sizeof(*c));
    if (ring_order > BLKFRONT_MAX_RING_ORDER || !features_valid(feat))
        return -EINVAL;
    c->feat = *feat;
    if (!c->feat.max_grants)
        c->feat.max_grants = BLKFRONT_DEFAULT_MAX_GRANTS;
    bool indirect = feat->max_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST;
    uint32_t per_request = feat->max_segments + (indirect ? 1 : 0);
    if (per_request > c->feat.max_grants)
        return -EINVAL;
    c->gops = *gops;
    c->complete = complete;
    c->complete_ctx = ctx;
    c->handle = handle;
    c->wire_per_sector = feat->sector_size / BLKFRONT_WIRE_SECTOR;
    struct blkif_sring *shared = sring;
    SHARED_RING_INIT(shared);
    FRONT_RING_INIT(&c->ring, shared, BLKFRONT_PAGE_SIZE << ring_order);
    c->nr_slots = blkfront_ring_slots(ring_order);
    c->max_in_flight = c->feat.max_grants / per_request;
    if (c->max_in_flight > c->nr_slots)
        c->max_in_flight = c->nr_slots;
    c->pool_max = feat->persistent ? c->max_in_flight * feat->max_segments : 0;
    c->slots = kcalloc(c->nr_slots, sizeof(*c->slots));
    int err = -ENOMEM;
    if (!c->slots)
        goto fail;
    /* Only the slots the budget allows are on the free list (and have indirect pages). */
    for (uint32_t i = 0; i < c->max_in_flight; i++) {
        struct blkfront_slot *s = &c->slots[i];
        s->next_free = i + 1 < c->max_in_flight ? i + 1 : BLKFRONT_NO_SLOT;
        s->pages = kcalloc(feat->max_segments, sizeof(*s->pages));
        if (!s->pages)
            goto fail;
        if (!indirect)
            continue;
        struct blkfront_page *p = page_new(&err);
        if (!p)
            goto fail;
        /* Zeroed before the grant. The backend only reads descriptors, but blkback maps every
         * grant of a persistent connection writable, so there a read-only grant would fail
         * its mapping. */
        long ref = grant(c, p->page, !feat->persistent);
        if (ref < 0) {
            page_free(p->page, 0);
            kfree(p);
            err = (int)ref;
            goto fail;
        }
        s->indirect = p->page;
        s->indirect_ref = (uint32_t)ref;
        kfree(p);
    }
    c->free_head = 0;
    return 0;
fail:
    free_slots(c);
    return err;
}

uint64_t blkfront_core_teardown(struct blkfront_core *c)
{
    if (!c->slots)
        return c->stats.grants_quarantined;
    if (!c->broken) {                        /* a normal end: not counted as a break */
        c->broken = true;
        kstrlcpy(c->broken_reason, "torn down", sizeof(c->broken_reason));
        fail_all(c, -EIO);
    }
    while (c->pool) {
        struct blkfront_page *p = c->pool;
        c->pool = p->next;
        end_free(c, p->ref, p->page);
        kfree(p);
        c->stats.pool_pages--;
    }
    while (c->spare) {
        struct blkfront_page *p = c->spare;
        c->spare = p->next;
        page_free(p->page, 0);               /* not granted */
        kfree(p);
    }
    free_slots(c);
    return c->stats.grants_quarantined;
}

/* ---- requests ---- */

static bool segment_ok(const struct blkfront_core *c, const struct blk_segment *seg)
{
    uintptr_t offset = (uintptr_t)seg->addr % BLKFRONT_PAGE_SIZE;
    return seg->len && seg->len % c->feat.sector_size == 0 &&
           offset % BLKFRONT_WIRE_SECTOR == 0 && offset + seg->len <= BLKFRONT_PAGE_SIZE;
}

/* Takes a granted page for every segment of a read or write (a write's data copied in, the
 * rest of the page zeroed) and writes its descriptor: the data sits at the page's start. On
 * failure, what was taken is given back by the caller (release_slot_pages). */
static int map_segments(struct blkfront_core *c, struct blkfront_slot *s,
                        const struct blk_request *req, struct blkif_request_segment *descs)
{
    bool write = xen_has(xen_optionals, XEN_OPTIONAL_BLKFRONT_WRITE) && req->op == BLK_OP_WRITE;
    for (uint32_t i = 0; i < req->nr_segments; i++) {
        const struct blk_segment *seg = &req->segments[i];
        int err = 0;
        struct blkfront_page *p = page_get(c, write, &err);
        if (!p)
            return err;
        s->pages[s->nr_pages++] = p;
        if (write) {
            memcpy(p->page, seg->addr, seg->len);
            memset((uint8_t *)p->page + seg->len, 0, BLKFRONT_PAGE_SIZE - seg->len);
        }
        descs[i] = (struct blkif_request_segment){
            .gref = p->ref, .first_sect = 0,
            .last_sect = (uint8_t)(seg->len / BLKFRONT_WIRE_SECTOR - 1),
        };
    }
    return 0;
}

/* One ring entry in the shapes we send. */
union blkfront_wire {
    struct blkif_request rw;
    struct blkif_request_indirect ind;
    struct blkif_request_discard discard;
};
_Static_assert(sizeof(union blkfront_wire) == sizeof(struct blkif_request), "ring entry size");

static int build_rw(struct blkfront_core *c, struct blkfront_slot *s, uint32_t id,
                    const struct blk_request *req, union blkfront_wire *out)
{
    if (req->nr_segments == 0 || req->nr_segments > c->feat.max_segments || !req->segments)
        return -EINVAL;
    uint64_t bytes = 0;
    for (uint32_t i = 0; i < req->nr_segments; i++) {
        if (!segment_ok(c, &req->segments[i]))
            return -EINVAL;
        bytes += req->segments[i].len;
    }
    if (bytes != (uint64_t)req->count * c->feat.sector_size)
        return -EINVAL;
    uint8_t op = xen_has(xen_optionals, XEN_OPTIONAL_BLKFRONT_WRITE) && req->op != BLK_OP_READ
                     ? BLKIF_OP_WRITE : BLKIF_OP_READ;
    uint64_t wire_sector = req->sector * c->wire_per_sector;
    s->data_op = op;
    if (req->nr_segments <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
        s->operation = op;
        out->rw = (struct blkif_request){ .operation = op, .nr_segments = (uint8_t)req->nr_segments,
                                          .handle = c->handle, .id = id,
                                          .sector_number = wire_sector };
        return map_segments(c, s, req, out->rw.seg);
    }
    s->operation = BLKIF_OP_INDIRECT;
    out->ind = (struct blkif_request_indirect){
        .operation = BLKIF_OP_INDIRECT, .indirect_op = op,
        .nr_segments = (uint16_t)req->nr_segments, .id = id, .sector_number = wire_sector,
        .handle = c->handle, .indirect_grefs = { s->indirect_ref },
    };
    int err = map_segments(c, s, req, s->indirect);
    if (err == 0)
        c->stats.indirect_requests++;
    return err;
}

int blkfront_core_submit(struct blkfront_core *c, struct blk_request *req)
{
    if (c->broken || !c->slots)
        return -EIO;
    if (c->free_head == BLKFRONT_NO_SLOT || RING_FULL(&c->ring))
        return -EBUSY;
    uint32_t id = c->free_head;
    struct blkfront_slot *s = &c->slots[id];
    union blkfront_wire wire;
    memset(&wire, 0, sizeof(wire));
    int err = 0;
    /* An image without blkfront_write builds reads only (xen/optional.h). */
    enum blk_op kind = req->op;
    if (!xen_has(xen_optionals, XEN_OPTIONAL_BLKFRONT_WRITE)) {
        if (kind != BLK_OP_READ)
            return -EROFS;
        kind = BLK_OP_READ;
    }
    switch (kind) {
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        err = build_rw(c, s, id, req, &wire);
        break;
    case BLK_OP_FLUSH:
        if (c->feat.flush_cache)
            s->operation = BLKIF_OP_FLUSH_DISKCACHE;
        else if (c->feat.barrier)
            s->operation = BLKIF_OP_WRITE_BARRIER;
        else
            return -EOPNOTSUPP;
        s->data_op = s->operation;
        wire.rw = (struct blkif_request){ .operation = s->operation, .handle = c->handle, .id = id };
        break;
    case BLK_OP_DISCARD:
        if (!c->feat.discard)
            return -EOPNOTSUPP;
        if (req->count == 0)
            return -EINVAL;
        s->operation = s->data_op = BLKIF_OP_DISCARD;
        wire.discard = (struct blkif_request_discard){
            .operation = BLKIF_OP_DISCARD, .handle = c->handle, .id = id,
            .sector_number = req->sector * c->wire_per_sector,
            .nr_sectors = (uint64_t)req->count * c->wire_per_sector,
        };
        break;
    default:
        return -EINVAL;
    }
    if (err) {
        release_slot_pages(c, s, false);
        return err;
    }
    c->free_head = s->next_free;
    s->req = req;
    s->deadline_ns = c->feat.timeout_ns ? platform_monotonic_ns() + c->feat.timeout_ns
                                        : UINT64_MAX;
    req->backend_data = id;
    if (++c->in_flight > c->stats.in_flight_peak)
        c->stats.in_flight_peak = c->in_flight;
    c->stats.requests++;
    memcpy(RING_GET_REQUEST(&c->ring, c->ring.req_prod_pvt), &wire, sizeof(struct blkif_request));
    c->ring.req_prod_pvt++;
    return 0;
}

bool blkfront_core_push(struct blkfront_core *c)
{
    int notify = 0;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&c->ring, notify);
    return notify != 0;
}

/* ---- responses ---- */

static const char *bad_response(const struct blkfront_core *c, const struct blkif_response *rsp)
{
    if (rsp->id >= c->nr_slots)
        return "id out of range";
    const struct blkfront_slot *s = &c->slots[rsp->id];
    if (!s->req)
        return "id of no request in flight";
    /* Backends echo either the ring operation or, for indirect requests, the inner one. */
    if (rsp->operation != s->operation && rsp->operation != s->data_op)
        return "operation differs from the request's";
    if (rsp->status != BLKIF_RSP_OKAY && rsp->status != BLKIF_RSP_ERROR &&
        rsp->status != BLKIF_RSP_EOPNOTSUPP)
        return "unknown status";
    return NULL;
}

static void finish(struct blkfront_core *c, const struct blkif_response *rsp)
{
    uint32_t id = (uint32_t)rsp->id;
    struct blkfront_slot *s = &c->slots[id];
    struct blk_request *req = s->req;
    int status = status_to_errno(s, rsp->status);
    bool kept = release_slot_pages(c, s, status == 0 && s->data_op == BLKIF_OP_READ);
    free_slot(c, id);
    c->stats.responses++;
    if (kept) {
        /* The backend can still change the page: its data cannot be trusted, and the caller's
         * buffer was left alone. The page is in the quarantine. */
        c->stats.errors++;
        mark_broken(c, BREAK_kept_grant, "grant of request %u kept after its answer",
                    id);
        c->complete(c->complete_ctx, req, -EIO);
        fail_all(c, -EIO);
        return;
    }
    if (status)
        c->stats.errors++;
    c->complete(c->complete_ctx, req, status);
}

unsigned blkfront_core_poll(struct blkfront_core *c)
{
    unsigned consumed = 0;
    int more;
    do {
        if (c->broken || !c->slots)
            return consumed;
        RING_IDX prod = c->ring.sring->rsp_prod;
        xen_rmb();   /* read responses only after the index that covers them */
        RING_IDX cons = c->ring.rsp_cons;
        /* Unsigned distances: at most every request produced so far may be answered. */
        if (prod - cons > c->ring.req_prod_pvt - cons) {
            c->stats.bad_responses++;
            breaks(c, BREAK_bad_producer, "producer %u past the requests (consumer %u, produced %u)",
                   prod, cons, c->ring.req_prod_pvt);
            return consumed;
        }
        while (cons != prod) {
            struct blkif_response rsp;
            RING_COPY_RESPONSE(&c->ring, cons, &rsp);
            cons++;
            c->ring.rsp_cons = cons;
            consumed++;
            const char *why = bad_response(c, &rsp);
            if (why) {
                c->stats.bad_responses++;
                breaks(c, BREAK_bad_response, "bad response (id %llu, operation %u, status %d): %s",
                       (unsigned long long)rsp.id, rsp.operation, rsp.status, why);
                return consumed;
            }
            finish(c, &rsp);
            if (c->broken)
                return consumed;
        }
        RING_FINAL_CHECK_FOR_RESPONSES(&c->ring, more);
    } while (more);
    return consumed;
}
