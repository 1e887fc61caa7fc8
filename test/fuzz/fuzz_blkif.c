/*
 * Fuzz harness: blkif responses from a hostile backend against the blkfront core
 * (xen/blkfront_core.c), with the fake backend of test/unit/blkfront_fake.h. The first byte
 * picks the negotiated features (persistent grants, indirect segments, flush/barrier/discard,
 * ring pages, sector size, a grant budget, a deadline); the rest is a multi-step script:
 * submit a request of any shape, serve one honestly, take requests without answering and
 * answer them later in any order (honestly or wrongly), forge a response with any id,
 * operation and status, move the response producer anywhere, scribble on the ring, keep any
 * granted page mapped (busy: ending its grant fails) or unmap pages again and retry the
 * quarantine, write into every page the backend maps, let simulated time pass and expire
 * deadlines, poll, disconnect.
 * Checks, beyond memory safety:
 *  - ownership: the caller's buffers are never granted; the core never ends a grant it does
 *    not hold nor gives a page up twice (the fake aborts); a page is freed only after its
 *    grant ended -- the backend writes into every page it maps, so a page freed while still
 *    granted is a use-after-poison for ASan; a request completes only while in flight and
 *    exactly once; the grant budget is never exceeded;
 *  - liveness: a poll either consumes every response the producer index announces or breaks
 *    the core; a broken core has nothing in flight, accepts nothing and reads nothing more;
 *    once the clock passes every deadline, nothing is in flight;
 *  - at the end: teardown completes every accepted request, quarantines exactly the pages
 *    whose grants were busy, and once the backend unmaps them every grant is ended and every
 *    page and heap byte is back.
 */
#include <stdlib.h>
#include <string.h>

#include "test/unit/blkfront_fake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REQS 160
#define BUF_PAGES 64

struct cursor {
    const uint8_t *p;
    size_t left;
};

static uint8_t take(struct cursor *c)
{
    if (!c->left)
        return 0;
    c->left--;
    return *c->p++;
}

static uint64_t take64(struct cursor *c)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)take(c) << (8 * i);
    return v;
}

static struct fake_backend fb;
static struct blkfront_core core;
static struct blk_request reqs[REQS];
static struct blk_segment segs[REQS][BLKFRONT_MAX_INDIRECT_SEGMENTS];
static unsigned state[REQS];                 /* 0 free, 1 in flight */
static unsigned completions[REQS];
static uint8_t *buffers;

static void harness_complete(void *ctx, struct blk_request *req, int status)
{
    size_t i = (size_t)(req - reqs);
    if (i >= REQS || state[i] != 1)
        abort();                             /* completed twice, or never submitted */
    if (status > 0 || status < -4095)
        abort();
    state[i] = 0;
    completions[i]++;
}

static void submit(struct cursor *c, const struct blkfront_features *feat)
{
    unsigned i = take(c) % REQS;
    if (state[i])
        return;
    struct blk_request *r = &reqs[i];
    uint8_t kind = take(c);
    uint32_t ss = feat->sector_size;
    *r = (struct blk_request){ .op = (enum blk_op)(kind % 5), .sector = take(c) % 64 };
    if (r->op == BLK_OP_READ || r->op == BLK_OP_WRITE) {
        uint32_t n = 1 + take(c) % (feat->max_segments + 2);
        if (n > BLKFRONT_MAX_INDIRECT_SEGMENTS)
            n = BLKFRONT_MAX_INDIRECT_SEGMENTS;
        uint32_t bytes = 0;
        for (uint32_t s = 0; s < n; s++) {
            uint8_t shape = take(c);
            uint32_t offset = (shape & 7) * 512u, len = (1u + (shape >> 3) % 8) * 512u;
            if (!(kind & 0x80)) {            /* mostly well-formed: within the page, whole sectors */
                offset -= offset % ss;
                len = len < ss ? ss : len - len % ss;
                if (offset + len > BLKFRONT_PAGE_SIZE)
                    len = BLKFRONT_PAGE_SIZE - offset;
            }
            segs[i][s] = (struct blk_segment){ buffers + (s % BUF_PAGES) * BLKFRONT_PAGE_SIZE + offset, len };
            bytes += len;
        }
        r->nr_segments = n;
        r->segments = segs[i];
        r->count = bytes / ss;
    } else if (r->op == BLK_OP_DISCARD) {
        r->count = 1 + take(c) % 16;
    }
    /* op 4 is no operation at all: it must be refused. */
    int rc = blkfront_core_submit(&core, r);
    if (rc == 0) {
        if (core.broken)
            abort();
        state[i] = 1;
    }
}

/* The caller's buffers are never shared with the backend. */
static void check_buffers_not_granted(void)
{
    const uint8_t *lo = buffers, *hi = buffers + BUF_PAGES * BLKFRONT_PAGE_SIZE;
    for (uint32_t r = FAKE_FIRST_REF; r < fb.ref_end; r++) {
        const uint8_t *p = fb.grants[r].page;
        if (fb.grants[r].live && p >= lo && p < hi)
            abort();
    }
}

/* The backend writes into every page it maps: a freed page is poisoned, so ASan catches one
 * that went back to the allocator while still granted. */
static void backend_writes_mapped_pages(uint8_t value)
{
    for (uint32_t r = FAKE_FIRST_REF; r < fb.ref_end; r++)
        if (fb.grants[r].live && !fb.grants[r].readonly)
            memset((void *)fb.grants[r].page, value, BLKFRONT_PAGE_SIZE);
        else if (fb.grants[r].live)
            (void)*(volatile const uint8_t *)fb.grants[r].page;
}

static void poll_checked(void)
{
    bool was_broken = core.broken;
    RING_IDX announced = core.ring.sring->rsp_prod;
    unsigned n = blkfront_core_poll(&core);
    if (was_broken && n)
        abort();                              /* a broken core reads nothing more */
    /* Liveness: every announced response consumed, or the core broke (no silent wedge). */
    if (!core.broken && core.ring.rsp_cons != announced && core.ring.sring->rsp_prod == announced)
        abort();
}

static void run(struct cursor *c, const struct blkfront_features *feat)
{
    struct blkif_request held[8];
    unsigned nheld = 0;
    while (c->left) {
        uint8_t action = take(c) % 15;
        switch (action) {
        case 0:
        case 1:
            submit(c, feat);
            blkfront_core_push(&core);
            check_buffers_not_granted();
            break;
        case 2: {
            struct blkif_request r;
            if (fake_take(&fb, &r))
                fake_serve_one(&fb, &r);
            break;
        }
        case 3:
            if (nheld < 8 && fake_take(&fb, &held[nheld]))
                nheld++;
            break;
        case 4: {                             /* answer a held request, maybe wrongly */
            uint8_t how = take(c);
            uint64_t id = nheld ? held[take(c) % nheld].id : 0;
            if (how & 1)
                id = take64(c);
            uint8_t op = nheld ? held[0].operation : 0;
            if (how & 2)
                op = take(c);
            int16_t status = (how & 4) ? (int16_t)(take(c) | take(c) << 8) : 0;
            fake_respond(&fb, id, op, status);
            break;
        }
        case 5:                               /* move the producer anywhere */
            fb.back.sring->rsp_prod += (RING_IDX)(int8_t)take(c);
            break;
        case 6: {                             /* scribble on a response slot */
            unsigned slot = take(c) % RING_SIZE(&fb.back);
            uint8_t *e = (uint8_t *)&fb.back.sring->ring[slot];
            for (size_t k = 0; k < sizeof(fb.back.sring->ring[0]); k++)
                e[k] = take(c);
            break;
        }
        case 7: {                             /* the backend keeps a granted page mapped */
            if (fb.ref_end <= FAKE_FIRST_REF)
                break;
            uint32_t ref = FAKE_FIRST_REF + (take(c) | take(c) << 8) % (fb.ref_end - FAKE_FIRST_REF);
            if (fb.grants[ref].live)
                fb.grants[ref].busy = true;
            break;
        }
        case 8:
            poll_checked();
            break;
        case 9:
            if (take(c) == 0xdd)
                blkfront_core_disconnect(&core, "fuzz");
            break;
        case 10: {                            /* answer a held request honestly, any order */
            if (!nheld)
                break;
            unsigned k = take(c) % nheld;
            fake_serve_one(&fb, &held[k]);
            held[k] = held[--nheld];
            break;
        }
        case 11: {                            /* the backend unmaps some pages */
            uint8_t mask = take(c);
            for (uint32_t r = FAKE_FIRST_REF; r < fb.ref_end; r++)
                if (fb.grants[r].busy && ((r ^ mask) & 3) == 0)
                    fb.grants[r].busy = false;
            fake_retry_quarantine(&fb);
            break;
        }
        case 12:
            backend_writes_mapped_pages(take(c));
            break;
        case 13: {                            /* time passes; deadlines are enforced */
            sim_advance_to(sim_now() + (uint64_t)take(c) * 100000000ull);
            blkfront_core_expire(&core, sim_now());
            if (blkfront_core_next_deadline(&core) <= sim_now())
                abort();                      /* an expired request is still in flight */
            break;
        }
        case 14:                              /* a poll of the service fiber: poll + expire */
            poll_checked();
            blkfront_core_expire(&core, sim_now());
            break;
        }
        if (core.in_flight > core.max_in_flight || core.stats.grants_live > core.feat.max_grants)
            abort();
        if (core.broken && core.in_flight)
            abort();                          /* a broken core holds no request */
    }
    /* Liveness at the end: past every deadline nothing may remain in flight. */
    if (feat->timeout_ns) {
        sim_advance_to(sim_now() + feat->timeout_ns);
        blkfront_core_expire(&core, sim_now());
        if (core.in_flight)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fake_boot();
    if (!buffers)
        buffers = aligned_alloc(BLKFRONT_PAGE_SIZE, BUF_PAGES * BLKFRONT_PAGE_SIZE);
    struct cursor c = { data, size };
    uint8_t f = take(&c), segs_byte = take(&c);
    struct blkfront_features feat = {
        .sector_size = (f & 0x80) ? 4096 : 512,
        .max_segments = (f & 0x02) ? 12 + segs_byte % (BLKFRONT_MAX_INDIRECT_SEGMENTS - 11)
                                   : 1 + segs_byte % 11,
        .persistent = f & 0x01, .flush_cache = f & 0x04, .barrier = f & 0x08,
        .discard = f & 0x10,
        /* Bit 0x40 of the segments byte: a tight grant budget; 0x80: no deadline. */
        .max_grants = (segs_byte & 0x40) ? BLKFRONT_MAX_INDIRECT_SEGMENTS + 1 : 0,
        .timeout_ns = (segs_byte & 0x80) ? 0 : 30000000000ull,
    };
    unsigned order = ((f >> 5) & 3) % (BLKFRONT_MAX_RING_ORDER + 1);

    struct page_stats ps0, ps1;
    struct heap_stats hs0, hs1;
    page_get_stats(&ps0);
    heap_get_stats(&hs0);
    memset(&fb, 0, sizeof(fb));
    memset(state, 0, sizeof(state));
    memset(completions, 0, sizeof(completions));
    fb.sring = aligned_alloc(BLKFRONT_PAGE_SIZE, BLKFRONT_PAGE_SIZE << order);
    struct blkfront_grant_ops gops = { .grant = fake_grant, .end = fake_end,
                                       .end_free = fake_end_free, .ctx = &fb };
    if (blkfront_core_init(&core, fb.sring, order, &feat, 1, &gops, harness_complete, NULL) != 0) {
        /* Only memory can run out here. */
        free(fb.sring);
        return 0;
    }
    BACK_RING_INIT(&fb.back, (struct blkif_sring *)fb.sring, BLKFRONT_PAGE_SIZE << order);

    run(&c, &feat);

    uint64_t quarantined = blkfront_core_teardown(&core);
    for (unsigned i = 0; i < REQS; i++)
        if (state[i] != 0)
            abort();                          /* accepted but never completed */
    /* Only what was given up while mapped is still granted, and it is all in the quarantine. */
    if (fb.live_grants != fb.quarantined || quarantined < fb.quarantined)
        abort();
    backend_writes_mapped_pages(0x5a);        /* quarantined pages are still ours to map */
    for (uint32_t r = FAKE_FIRST_REF; r < FAKE_GRANTS; r++)
        fb.grants[r].busy = false;
    if (fake_retry_quarantine(&fb) != 0 || fb.live_grants != 0)
        abort();
    page_get_stats(&ps1);
    heap_get_stats(&hs1);
    if (ps1.pages_free != ps0.pages_free || hs1.bytes_in_use != hs0.bytes_in_use)
        abort();
    free(fb.sring);
    return 0;
}
