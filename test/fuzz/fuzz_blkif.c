/*
 * Fuzz harness: blkif responses from a hostile backend against the blkfront core
 * (xen/blkfront_core.c), with the fake backend of test/unit/blkfront_fake.h. The first byte
 * picks the negotiated features (persistent grants, indirect segments, flush/barrier/discard,
 * ring pages, sector size); the rest is a script of actions: submit a request of any shape,
 * serve one honestly, take one without answering, forge a response with any id, operation
 * and status, move the response producer anywhere, scribble on the ring, keep a grant mapped,
 * poll, disconnect.
 * Checks: no crash or sanitizer report; a request completes only while in flight and exactly
 * once (after teardown every accepted request has completed); the core never ends a grant it
 * does not hold (the fake aborts); after teardown every grant is ended except those the backend
 * kept, and without kept grants every page and heap byte is back; once broken, the core
 * accepts nothing and consumes no response.
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

static void run(struct cursor *c, const struct blkfront_features *feat)
{
    struct blkif_request held[8];
    unsigned nheld = 0;
    while (c->left) {
        uint8_t action = take(c) % 10;
        switch (action) {
        case 0:
        case 1:
            submit(c, feat);
            blkfront_core_push(&core);
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
        case 7: {                             /* the backend keeps a grant mapped */
            uint32_t ref = FAKE_FIRST_REF + take(c) % 512;
            if (fb.grants[ref].live)
                fb.grants[ref].busy = true;
            break;
        }
        case 8: {
            bool was_broken = core.broken;
            unsigned n = blkfront_core_poll(&core);
            if (was_broken && n)
                abort();                      /* a broken core reads nothing more */
            break;
        }
        case 9:
            if (take(c) == 0xdd)
                blkfront_core_disconnect(&core, "fuzz");
            break;
        }
        if (core.in_flight > core.nr_slots)
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
        /* Only memory can run out here (pages kept by earlier "backends" stay leaked). */
        free(fb.sring);
        return 0;
    }
    BACK_RING_INIT(&fb.back, (struct blkif_sring *)fb.sring, BLKFRONT_PAGE_SIZE << order);

    run(&c, &feat);

    uint64_t leaked = blkfront_core_teardown(&core);
    if (fb.quarantined != leaked)
        abort();
    for (unsigned i = 0; i < REQS; i++)
        if (state[i] != 0)
            abort();                          /* accepted but never completed */
    if (fb.live_grants != leaked)
        abort();
    page_get_stats(&ps1);
    heap_get_stats(&hs1);
    if (leaked == 0 && (ps1.pages_free != ps0.pages_free || hs1.bytes_in_use != hs0.bytes_in_use))
        abort();
    free(fb.sring);
    return 0;
}
