/*
 * test/unit/blkfront_fake.h: a fake blkback for the blkfront core (header-only; used by
 * test/unit/test_blkfront*.c and test/fuzz/fuzz_blkif.c). It owns a grant table of page
 * pointers, the back half of the shared ring and an in-memory disk counted in 512-byte
 * sectors, and serves requests the way blkback does: grants resolved (through the indirect page
 * for BLKIF_OP_INDIRECT), data moved between the granted pages and the disk, one response per
 * request. Tests can also forge responses of their own.
 *
 * Grants model Xen's: a grant marked busy ("the backend still maps it") cannot be ended; a page
 * given up through end_free while busy goes to the fake's quarantine (the page stays allocated,
 * the grant live) until fake_retry_quarantine finds it no longer busy, as xen/grants.c does.
 * Each grant records whether its page was all zeros at the moment it was granted.
 */
#ifndef XENOLITH_TEST_UNIT_BLKFRONT_FAKE_H
#define XENOLITH_TEST_UNIT_BLKFRONT_FAKE_H

#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "mm/mm.h"
#include "test/unit/sim/sim.h"
#include "test/unit/xen_fixture.h"
#include "xen/blkfront_core.h"

#define FAKE_GRANTS 4096u
#define FAKE_FIRST_REF 8u
#define FAKE_DISK_SECTORS 2048u              /* 1 MiB */

struct fake_grant {
    const void *page;
    bool live, readonly, busy;               /* busy: "still mapped", ending it fails */
    bool zero_when_granted;                  /* the page held only zeros at the grant */
    bool quarantined;                        /* given up while busy: freed once it ends */
};

struct fake_backend {
    void *sring;
    unsigned order;
    blkif_back_ring_t back;
    struct fake_grant grants[FAKE_GRANTS];
    uint32_t live_grants;
    uint64_t granted, ended;
    uint32_t quarantined;                    /* pages held in the fake quarantine now */
    uint32_t ref_end;                        /* every reference ever granted is below this */
    bool refuse_grants;
    uint8_t disk[FAKE_DISK_SECTORS * 512];
    struct blkif_request last;               /* the last request served, as read off the ring */
    struct blkif_request_segment last_descs[BLKFRONT_MAX_INDIRECT_SEGMENTS];
    uint32_t served, flushes, barriers, discards;
    /* completions seen by the core's callback */
    struct blk_request *completed[1024];
    int statuses[1024];
    unsigned ncompleted;
};

static inline void fake_boot(void)
{
    xen_fixture_boot();
}

static inline long fake_grant(void *ctx, const void *page, bool readonly)
{
    struct fake_backend *fb = ctx;
    if (fb->refuse_grants || ((uintptr_t)page % BLKFRONT_PAGE_SIZE))
        return -ENOSPC;
    for (uint32_t r = FAKE_FIRST_REF; r < FAKE_GRANTS; r++) {
        if (!fb->grants[r].live) {
            static const uint8_t zeros[BLKFRONT_PAGE_SIZE];
            fb->grants[r] = (struct fake_grant){
                .page = page, .live = true, .readonly = readonly,
                .zero_when_granted = memcmp(page, zeros, BLKFRONT_PAGE_SIZE) == 0,
            };
            fb->live_grants++;
            fb->granted++;
            if (r >= fb->ref_end)
                fb->ref_end = r + 1;
            return r;
        }
    }
    return -ENOSPC;
}

static inline int fake_end(void *ctx, uint32_t ref)
{
    struct fake_backend *fb = ctx;
    if (ref >= FAKE_GRANTS || !fb->grants[ref].live)
        abort();                             /* the core ended a grant it does not hold */
    if (fb->grants[ref].busy)
        return -EBUSY;
    fb->grants[ref].live = false;
    fb->live_grants--;
    fb->ended++;
    return 0;
}

/* The grant-lifetime rule: the page is freed only once its grant ended. */
static inline int fake_end_free(void *ctx, uint32_t ref, void *page)
{
    struct fake_backend *fb = ctx;
    if (ref >= FAKE_GRANTS || !fb->grants[ref].live || fb->grants[ref].page != page ||
        fb->grants[ref].quarantined)
        abort();                             /* not the core's grant, or given up twice */
    if (fake_end(ctx, ref) == 0) {
        page_free(page, 0);
        return 0;
    }
    fb->grants[ref].quarantined = true;
    fb->quarantined++;
    return -EBUSY;
}

/* Retries the quarantine: pages no longer mapped are freed. Returns the pages still held. */
static inline uint32_t fake_retry_quarantine(struct fake_backend *fb)
{
    for (uint32_t r = FAKE_FIRST_REF; r < fb->ref_end; r++) {
        struct fake_grant *g = &fb->grants[r];
        if (g->quarantined && !g->busy) {
            void *page = (void *)g->page;
            g->quarantined = false;
            fb->quarantined--;
            fake_end(fb, r);
            page_free(page, 0);
        }
    }
    return fb->quarantined;
}

/* Whether page is still granted (live) to the fake backend. */
static inline bool fake_page_granted(const struct fake_backend *fb, const void *page)
{
    const uint8_t *p = page;
    for (uint32_t r = FAKE_FIRST_REF; r < fb->ref_end; r++) {
        const uint8_t *g = fb->grants[r].page;
        if (fb->grants[r].live && g <= p && p < g + BLKFRONT_PAGE_SIZE)
            return true;
    }
    return false;
}

static inline void fake_complete(void *ctx, struct blk_request *req, int status)
{
    struct fake_backend *fb = ctx;
    if (fb->ncompleted < 1024) {
        fb->completed[fb->ncompleted] = req;
        fb->statuses[fb->ncompleted] = status;
    }
    fb->ncompleted++;
}

/* A fresh fake and a core on a ring of 2^order pages. Returns blkfront_core_init's result. */
static inline int fake_start(struct fake_backend *fb, struct blkfront_core *c, unsigned order,
                             const struct blkfront_features *feat)
{
    fake_boot();
    free(fb->sring);
    memset(fb, 0, sizeof(*fb));
    fb->order = order;
    fb->sring = aligned_alloc(BLKFRONT_PAGE_SIZE, BLKFRONT_PAGE_SIZE << order);
    memset(fb->sring, 0xa5, BLKFRONT_PAGE_SIZE << order);
    for (uint32_t s = 0; s < FAKE_DISK_SECTORS; s++)
        memset(fb->disk + s * 512, (int)(s & 0xff), 512);
    struct blkfront_grant_ops gops = { .grant = fake_grant, .end = fake_end,
                                       .end_free = fake_end_free, .ctx = fb };
    int rc = blkfront_core_init(c, fb->sring, order, feat, 0x1234, &gops, fake_complete, fb);
    BACK_RING_INIT(&fb->back, (struct blkif_sring *)fb->sring, BLKFRONT_PAGE_SIZE << order);
    return rc;
}

/* Tears the core down; then the backend unmaps everything and the quarantine empties. */
static inline void fake_stop(struct fake_backend *fb, struct blkfront_core *c)
{
    blkfront_core_teardown(c);
    for (uint32_t r = FAKE_FIRST_REF; r < FAKE_GRANTS; r++)
        fb->grants[r].busy = false;
    fake_retry_quarantine(fb);
    free(fb->sring);
    fb->sring = NULL;
}

static inline uint8_t *fake_page(struct fake_backend *fb, uint32_t ref)
{
    if (ref >= FAKE_GRANTS || !fb->grants[ref].live)
        return NULL;
    return (uint8_t *)fb->grants[ref].page;
}

/* Moves one request's data; returns the blkif status blkback would. */
static inline int16_t fake_move(struct fake_backend *fb, uint8_t op, uint64_t sector,
                                const struct blkif_request_segment *descs, uint32_t n)
{
    uint64_t at = sector * 512;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *page = fake_page(fb, descs[i].gref);
        if (!page || descs[i].last_sect < descs[i].first_sect || descs[i].last_sect >= 8)
            return BLKIF_RSP_ERROR;
        if (op == BLKIF_OP_READ && fb->grants[descs[i].gref].readonly)
            return BLKIF_RSP_ERROR;
        uint32_t len = (descs[i].last_sect - descs[i].first_sect + 1u) * 512u;
        if (at + len > sizeof(fb->disk))
            return BLKIF_RSP_ERROR;
        uint8_t *buf = page + descs[i].first_sect * 512u;
        if (op == BLKIF_OP_READ)
            memcpy(buf, fb->disk + at, len);
        else
            memcpy(fb->disk + at, buf, len);
        at += len;
    }
    return BLKIF_RSP_OKAY;
}

/* Takes the next request off the ring (false if none) without answering it. */
static inline bool fake_take(struct fake_backend *fb, struct blkif_request *req)
{
    if (!RING_HAS_UNCONSUMED_REQUESTS(&fb->back))
        return false;
    RING_COPY_REQUEST(&fb->back, fb->back.req_cons, req);
    fb->back.req_cons++;
    return true;
}

/* Puts a response on the ring and publishes it. */
static inline void fake_respond(struct fake_backend *fb, uint64_t id, uint8_t op, int16_t status)
{
    struct blkif_response *rsp = RING_GET_RESPONSE(&fb->back, fb->back.rsp_prod_pvt);
    rsp->id = id;
    rsp->operation = op;
    rsp->status = status;
    fb->back.rsp_prod_pvt++;
    int notify;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&fb->back, notify);
    (void)notify;
}

/* Carries out one taken request and answers it (echoing the ring operation). */
static inline void fake_serve_one(struct fake_backend *fb, const struct blkif_request *req)
{
    int16_t status = BLKIF_RSP_OKAY;
    fb->last = *req;
    fb->served++;
    switch (req->operation) {
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
        if (req->nr_segments == 0 || req->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST)
            status = BLKIF_RSP_ERROR;
        else
            status = fake_move(fb, req->operation, req->sector_number, req->seg,
                               req->nr_segments);
        break;
    case BLKIF_OP_INDIRECT: {
        const struct blkif_request_indirect *ind = (const void *)req;
        const uint8_t *descs = fake_page(fb, ind->indirect_grefs[0]);
        if (!descs || ind->nr_segments == 0 || ind->nr_segments > BLKFRONT_MAX_INDIRECT_SEGMENTS) {
            status = BLKIF_RSP_ERROR;
            break;
        }
        memcpy(fb->last_descs, descs, ind->nr_segments * sizeof(fb->last_descs[0]));
        status = fake_move(fb, ind->indirect_op, ind->sector_number, fb->last_descs,
                           ind->nr_segments);
        break;
    }
    case BLKIF_OP_FLUSH_DISKCACHE: fb->flushes++; break;
    case BLKIF_OP_WRITE_BARRIER: fb->barriers++; break;
    case BLKIF_OP_DISCARD: {
        const struct blkif_request_discard *d = (const void *)req;
        fb->discards++;
        if (d->sector_number + d->nr_sectors > FAKE_DISK_SECTORS)
            status = BLKIF_RSP_ERROR;
        else
            memset(fb->disk + d->sector_number * 512, 0, d->nr_sectors * 512);
        break;
    }
    default: status = BLKIF_RSP_ERROR; break;
    }
    fake_respond(fb, req->id, req->operation, status);
}

/* Serves every request on the ring; returns how many. */
static inline unsigned fake_serve(struct fake_backend *fb)
{
    struct blkif_request req;
    unsigned n = 0;
    while (fake_take(fb, &req)) {
        fake_serve_one(fb, &req);
        n++;
    }
    return n;
}

#endif
