/*
 * xen/blkfront_core: building blkif requests, validating responses, the persistent grant pool
 * (see blkfront_core.h for the rules).
 */
#include "xen/blkfront_core.h"
#include <stdarg.h>
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"

_Static_assert(BLKFRONT_PAGE_SIZE == BLKDEV_PAGE_SIZE, "a segment is one granted page");
_Static_assert(BLKFRONT_MAX_INDIRECT_SEGMENTS <= BLKFRONT_DESCS_PER_INDIRECT_PAGE,
               "one indirect page per request");

uint32_t blkfront_ring_slots(unsigned order)
{
    return __CONST_RING_SIZE(blkif, BLKFRONT_PAGE_SIZE << order);
}

/* ---- persistent grant pool ---- */

static struct blkfront_pgrant *pool_get(struct blkfront_core *c, int *err)
{
    struct blkfront_pgrant *p = c->pool;
    if (p) {
        c->pool = p->next;
        return p;
    }
    /* The limit is what all slots can hold at once, so an empty pool below it means growth. */
    if (c->stats.pool_pages >= c->pool_max) {
        *err = -ENOSPC;
        return NULL;
    }
    p = kcalloc(1, sizeof(*p));
    void *page = p ? page_alloc(0) : NULL;
    if (!page) {
        kfree(p);
        *err = -ENOMEM;
        return NULL;
    }
    long ref = c->gops.grant(c->gops.ctx, page, false);
    if (ref < 0) {
        page_free(page, 0);
        kfree(p);
        *err = (int)ref;
        return NULL;
    }
    p->page = page;
    p->ref = (uint32_t)ref;
    c->stats.pool_pages++;
    return p;
}

static void pool_put(struct blkfront_core *c, struct blkfront_pgrant *p)
{
    p->next = c->pool;
    c->pool = p;
}

/* ---- slots ---- */

static void end_grant(struct blkfront_core *c, uint32_t ref, bool *kept)
{
    if (c->gops.end(c->gops.ctx, ref) == 0) {
        c->stats.grants_ended++;
    } else {
        c->stats.grants_leaked++;
        *kept = true;
    }
}

/* Gives back what the slot's request held. Returns true if the backend kept a grant. */
static bool release_slot_grants(struct blkfront_core *c, struct blkfront_slot *s)
{
    bool kept = false;
    for (uint32_t i = 0; i < s->nr_grants; i++)
        end_grant(c, s->grants[i], &kept);
    s->nr_grants = 0;
    for (uint32_t i = 0; i < s->nr_pgrants; i++)
        pool_put(c, s->pgrants[i]);
    s->nr_pgrants = 0;
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

/* Persistent reads land in pool pages; the caller's buffers get them once the backend is done. */
static void copy_out(struct blkfront_slot *s)
{
    const struct blk_request *req = s->req;
    for (uint32_t i = 0; i < req->nr_segments; i++)
        memcpy(req->segments[i].addr, s->pgrants[i]->page, req->segments[i].len);
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

static void fail_in_flight(struct blkfront_core *c)
{
    for (uint32_t id = 0; id < c->nr_slots; id++) {
        struct blkfront_slot *s = &c->slots[id];
        if (!s->req)
            continue;
        struct blk_request *req = s->req;
        release_slot_grants(c, s);
        free_slot(c, id);
        c->stats.errors++;
        c->complete(c->complete_ctx, req, -EIO);
    }
}

static void breaks(struct blkfront_core *c, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void breaks(struct blkfront_core *c, const char *fmt, ...)
{
    if (c->broken)
        return;
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(c->broken_reason, sizeof(c->broken_reason), fmt, ap);
    va_end(ap);
    c->broken = true;
    fail_in_flight(c);
}

void blkfront_core_disconnect(struct blkfront_core *c, const char *reason)
{
    breaks(c, "%s", reason);
}

bool blkfront_core_broken(const struct blkfront_core *c, const char **reason)
{
    if (reason)
        *reason = c->broken ? c->broken_reason : NULL;
    return c->broken;
}

/* ---- set-up and teardown ---- */

static void free_slots(struct blkfront_core *c)
{
    if (!c->slots)
        return;
    for (uint32_t i = 0; i < c->nr_slots; i++) {
        struct blkfront_slot *s = &c->slots[i];
        kfree(s->grants);
        kfree(s->pgrants);
        if (s->indirect) {
            bool kept = false;
            end_grant(c, s->indirect_ref, &kept);
            if (!kept)
                page_free(s->indirect, 0);
        }
    }
    kfree(c->slots);
    c->slots = NULL;
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
    c->gops = *gops;
    c->complete = complete;
    c->complete_ctx = ctx;
    c->handle = handle;
    c->wire_per_sector = feat->sector_size / BLKFRONT_WIRE_SECTOR;
    struct blkif_sring *shared = sring;
    SHARED_RING_INIT(shared);
    FRONT_RING_INIT(&c->ring, shared, BLKFRONT_PAGE_SIZE << ring_order);
    c->nr_slots = blkfront_ring_slots(ring_order);
    c->pool_max = feat->persistent ? c->nr_slots * feat->max_segments : 0;
    c->slots = kcalloc(c->nr_slots, sizeof(*c->slots));
    if (!c->slots)
        return -ENOMEM;
    bool indirect = feat->max_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST;
    for (uint32_t i = 0; i < c->nr_slots; i++) {
        struct blkfront_slot *s = &c->slots[i];
        s->next_free = i + 1 < c->nr_slots ? i + 1 : BLKFRONT_NO_SLOT;
        s->grants = kcalloc(feat->max_segments, sizeof(*s->grants));
        s->pgrants = kcalloc(feat->max_segments, sizeof(*s->pgrants));
        if (!s->grants || !s->pgrants) {
            free_slots(c);
            return -ENOMEM;
        }
        if (!indirect)
            continue;
        void *page = page_alloc(0);
        if (!page) {
            free_slots(c);
            return -ENOMEM;
        }
        /* The backend only reads descriptors, but blkback maps every grant of a persistent
         * connection writable, so there a read-only grant would fail its mapping. */
        long ref = gops->grant(gops->ctx, page, !feat->persistent);
        if (ref < 0) {
            page_free(page, 0);
            free_slots(c);
            return (int)ref;
        }
        memset(page, 0, BLKFRONT_PAGE_SIZE);
        s->indirect = page;
        s->indirect_ref = (uint32_t)ref;
    }
    c->free_head = 0;
    return 0;
}

uint64_t blkfront_core_teardown(struct blkfront_core *c)
{
    if (!c->slots)
        return c->stats.grants_leaked;
    breaks(c, "torn down");
    while (c->pool) {
        struct blkfront_pgrant *p = c->pool;
        c->pool = p->next;
        bool kept = false;
        end_grant(c, p->ref, &kept);
        if (!kept)
            page_free(p->page, 0);
        kfree(p);
        c->stats.pool_pages--;
    }
    free_slots(c);
    return c->stats.grants_leaked;
}

/* ---- requests ---- */

static bool segment_ok(const struct blkfront_core *c, const struct blk_segment *seg)
{
    uintptr_t offset = (uintptr_t)seg->addr % BLKFRONT_PAGE_SIZE;
    return seg->len && seg->len % c->feat.sector_size == 0 &&
           offset % BLKFRONT_WIRE_SECTOR == 0 && offset + seg->len <= BLKFRONT_PAGE_SIZE;
}

/* Grants (or copies into the pool) every segment of a read or write and writes its descriptor.
 * On failure, what was taken is given back by the caller (release_slot_grants). */
static int map_segments(struct blkfront_core *c, struct blkfront_slot *s,
                        const struct blk_request *req, struct blkif_request_segment *descs)
{
    bool write = req->op == BLK_OP_WRITE;
    for (uint32_t i = 0; i < req->nr_segments; i++) {
        const struct blk_segment *seg = &req->segments[i];
        uint32_t wire_sectors = seg->len / BLKFRONT_WIRE_SECTOR;
        uint32_t ref, first;
        if (c->feat.persistent) {
            int err = 0;
            struct blkfront_pgrant *p = pool_get(c, &err);
            if (!p)
                return err;
            s->pgrants[s->nr_pgrants++] = p;
            if (write)
                memcpy(p->page, seg->addr, seg->len);
            ref = p->ref;
            first = 0;
        } else {
            uintptr_t addr = (uintptr_t)seg->addr;
            const void *page = (const void *)(addr - addr % BLKFRONT_PAGE_SIZE);
            /* A write's pages are only read by the backend. */
            long r = c->gops.grant(c->gops.ctx, page, write);
            if (r < 0)
                return (int)r;
            ref = (uint32_t)r;
            s->grants[s->nr_grants++] = ref;
            c->stats.grants++;
            first = (uint32_t)(addr % BLKFRONT_PAGE_SIZE) / BLKFRONT_WIRE_SECTOR;
        }
        descs[i] = (struct blkif_request_segment){
            .gref = ref, .first_sect = (uint8_t)first,
            .last_sect = (uint8_t)(first + wire_sectors - 1),
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
    uint8_t op = req->op == BLK_OP_READ ? BLKIF_OP_READ : BLKIF_OP_WRITE;
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
    if (c->broken)
        return -EIO;
    if (c->free_head == BLKFRONT_NO_SLOT || RING_FULL(&c->ring))
        return -EBUSY;
    uint32_t id = c->free_head;
    struct blkfront_slot *s = &c->slots[id];
    union blkfront_wire wire;
    memset(&wire, 0, sizeof(wire));
    int err = 0;
    switch (req->op) {
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
        release_slot_grants(c, s);
        return err;
    }
    c->free_head = s->next_free;
    s->req = req;
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
        return "id of no request in flight (duplicate or invented)";
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
    if (status == 0 && s->data_op == BLKIF_OP_READ && s->nr_pgrants)
        copy_out(s);
    bool kept = release_slot_grants(c, s);
    free_slot(c, id);
    c->stats.responses++;
    if (kept) {
        /* The backend can still write the caller's page: the data cannot be trusted. */
        c->stats.errors++;
        c->complete(c->complete_ctx, req, -EIO);
        breaks(c, "backend kept a grant of request %u after answering it", id);
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
        if (c->broken)
            return consumed;
        RING_IDX prod = c->ring.sring->rsp_prod;
        xen_rmb();   /* read responses only after the index that covers them */
        RING_IDX cons = c->ring.rsp_cons;
        /* Unsigned distances: at most every request produced so far may be answered. */
        if (prod - cons > c->ring.req_prod_pvt - cons) {
            c->stats.bad_responses++;
            breaks(c, "response producer %u is past the requests (consumer %u, produced %u)",
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
                breaks(c, "bad response (id %llu, operation %u, status %d): %s",
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
