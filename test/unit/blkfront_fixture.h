/*
 * test/unit/blkfront_fixture.h: the shared fixture of the blkfront core's unit tests
 * (test_blkfront.c, test_blkfront_rules.c): the fake backend and core under test, 64
 * page-aligned caller pages filled with 0xee, a plain feature set, and small helpers.
 */
#ifndef XENOLITH_TEST_UNIT_BLKFRONT_FIXTURE_H
#define XENOLITH_TEST_UNIT_BLKFRONT_FIXTURE_H

#include "test/unit/blkfront_fake.h"

static struct fake_backend fb;
static struct blkfront_core core;
static uint8_t *pages;                      /* 64 page-aligned pages for request buffers */

static const struct blkfront_features plain = {
    .sector_size = 512, .max_segments = 11, .flush_cache = true, .discard = true,
};

static void setup(void)
{
    fake_boot();
    pages = aligned_alloc(4096, 64 * 4096);
    memset(pages, 0xee, 64 * 4096);
}

static void teardown(void)
{
    fake_stop(&fb, &core);
    free(pages);
}

static struct blk_request rw(enum blk_op op, uint64_t sector, struct blk_segment *segs,
                             uint32_t n, uint32_t sector_size)
{
    uint32_t bytes = 0;
    for (uint32_t i = 0; i < n; i++)
        bytes += segs[i].len;
    return (struct blk_request){ .op = op, .sector = sector, .count = bytes / sector_size,
                                 .nr_segments = n, .segments = segs };
}

/* The backend answers id with op and status; the core reads the ring. */
static inline void answer(uint64_t id, uint8_t op, int16_t status)
{
    fake_respond(&fb, id, op, status);
    blkfront_core_poll(&core);
}

static uint64_t pages_free(void)
{
    struct page_stats ps;
    page_get_stats(&ps);
    return ps.pages_free;
}

#endif
