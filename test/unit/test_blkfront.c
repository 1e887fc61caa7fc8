/*
 * Unit tests: the blkfront core (xen/blkfront_core.c) against a fake backend
 * (test/unit/blkfront_fake.h): request building (direct segments, sector units, indirect
 * pages, flush/barrier/discard), the persistent grant pool, and response validation. The
 * protocol is Xen's public xen/io/blkif.h; comments name the part of it a test holds to.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "test/unit/blkfront_fixture.h"
#include "xenolith/test_main.h"

/* blkif.h: first_sect/last_sect are 512-byte sectors within the granted frame, inclusive;
 * sector_number counts 512-byte sectors; the id is echoed in the response. */
START_TEST(direct_read_fields_and_data)
{
    ck_assert_int_eq(fake_start(&fb, &core, 0, &plain), 0);
    struct blk_segment segs[3] = {
        { pages + 1024, 1024 }, { pages + 4096, 4096 }, { pages + 2 * 4096 + 3584, 512 },
    };
    struct blk_request req = rw(BLK_OP_READ, 5, segs, 3, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &req), 0);
    ck_assert(blkfront_core_push(&core));
    ck_assert_uint_eq(fake_serve(&fb), 1);
    ck_assert_uint_eq(fb.last.operation, BLKIF_OP_READ);
    ck_assert_uint_eq(fb.last.nr_segments, 3);
    ck_assert_uint_eq(fb.last.sector_number, 5);
    ck_assert_uint_eq(fb.last.handle, 0x1234);
    /* The data sits at the start of blkfront's own page. */
    ck_assert_uint_eq(fb.last.seg[0].first_sect, 0);
    ck_assert_uint_eq(fb.last.seg[0].last_sect, 1);
    ck_assert_uint_eq(fb.last.seg[1].first_sect, 0);
    ck_assert_uint_eq(fb.last.seg[1].last_sect, 7);
    ck_assert_uint_eq(fb.last.seg[2].first_sect, 0);
    ck_assert_uint_eq(fb.last.seg[2].last_sect, 0);
    /* Reads need writable grants. */
    ck_assert(!fb.grants[fb.last.seg[0].gref].readonly);
    ck_assert_uint_eq(blkfront_core_poll(&core), 1);
    ck_assert_uint_eq(fb.ncompleted, 1);
    ck_assert_ptr_eq(fb.completed[0], &req);
    ck_assert_int_eq(fb.statuses[0], 0);
    ck_assert_uint_eq(pages[1024], 5);                   /* sector 5's fill byte */
    ck_assert_uint_eq(pages[4096 + 4095], 5 + 2 + 7);    /* sector 14 */
    ck_assert_uint_eq(pages[2 * 4096 + 3584], 15);
    ck_assert_uint_eq(pages[0], 0xee);                   /* outside the segments: untouched */
    /* Without persistent grants every grant ends when its response arrives. */
    ck_assert_uint_eq(fb.live_grants, 0);
    ck_assert(!blkfront_core_broken(&core, NULL));
}
END_TEST

/* Writes grant the backend read-only access: it has no business changing our buffers. */
START_TEST(direct_write_grants_read_only)
{
    ck_assert_int_eq(fake_start(&fb, &core, 0, &plain), 0);
    memset(pages, 0x42, 4096);
    struct blk_segment seg = { pages, 4096 };
    struct blk_request req = rw(BLK_OP_WRITE, 100, &seg, 1, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &req), 0);
    blkfront_core_push(&core);
    struct blkif_request taken;
    ck_assert(fake_take(&fb, &taken));
    ck_assert(fb.grants[taken.seg[0].gref].readonly);
    fake_serve_one(&fb, &taken);
    blkfront_core_poll(&core);
    ck_assert_int_eq(fb.statuses[0], 0);
    ck_assert_uint_eq(fb.disk[100 * 512], 0x42);
    ck_assert_uint_eq(fb.disk[107 * 512 + 511], 0x42);
    ck_assert_uint_eq(fb.disk[108 * 512], 108);
}
END_TEST

/* blkif counts 512-byte sectors whatever the device's sector size. */
START_TEST(large_sectors_convert_to_512)
{
    struct blkfront_features f = plain;
    f.sector_size = 4096;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
    struct blk_segment seg = { pages, 4096 };
    struct blk_request req = rw(BLK_OP_READ, 3, &seg, 1, 4096);
    ck_assert_int_eq(blkfront_core_submit(&core, &req), 0);
    blkfront_core_push(&core);
    fake_serve(&fb);
    ck_assert_uint_eq(fb.last.sector_number, 24);
    struct blk_request d = { .op = BLK_OP_DISCARD, .sector = 2, .count = 3 };
    ck_assert_int_eq(blkfront_core_submit(&core, &d), 0);
    blkfront_core_push(&core);
    fake_serve(&fb);
    const struct blkif_request_discard *dr = (const void *)&fb.last;
    ck_assert_uint_eq(dr->operation, BLKIF_OP_DISCARD);
    ck_assert_uint_eq(dr->sector_number, 16);
    ck_assert_uint_eq(dr->nr_sectors, 24);
    blkfront_core_poll(&core);
    ck_assert_int_eq(fb.statuses[0], 0);
    ck_assert_int_eq(fb.statuses[1], 0);
    ck_assert_uint_eq(fb.disk[16 * 512], 0);
}
END_TEST

/* blkif.h BLKIF_OP_INDIRECT: more than 11 segments go as descriptors on granted indirect
 * pages; the request names indirect_op, nr_segments and the pages' references. */
START_TEST(indirect_request_layout)
{
    struct blkfront_features f = plain;
    f.max_segments = 40;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
    struct blk_segment segs[40];
    for (int i = 0; i < 40; i++)
        segs[i] = (struct blk_segment){ pages + i * 4096 + (i % 2) * 2048, 2048 };
    struct blk_request req = rw(BLK_OP_READ, 64, segs, 40, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &req), 0);
    blkfront_core_push(&core);
    fake_serve(&fb);
    const struct blkif_request_indirect *ind = (const void *)&fb.last;
    ck_assert_uint_eq(ind->operation, BLKIF_OP_INDIRECT);
    ck_assert_uint_eq(ind->indirect_op, BLKIF_OP_READ);
    ck_assert_uint_eq(ind->nr_segments, 40);
    ck_assert_uint_eq(ind->sector_number, 64);
    /* The backend only reads the descriptor page. */
    ck_assert(fb.grants[ind->indirect_grefs[0]].readonly);
    ck_assert_uint_eq(fb.last_descs[1].first_sect, 0);
    ck_assert_uint_eq(fb.last_descs[1].last_sect, 3);
    blkfront_core_poll(&core);
    ck_assert_int_eq(fb.statuses[0], 0);
    ck_assert_uint_eq(pages[39 * 4096 + 2048], (64 + 39 * 4) & 0xff);
    ck_assert_uint_eq(core.stats.indirect_requests, 1);
    /* The indirect pages stay granted for the connection; data grants are gone. */
    ck_assert_uint_eq(fb.live_grants, core.max_in_flight);
}
END_TEST

/* blkback maps every grant of a persistent connection writable, indirect pages included: a
 * read-only indirect grant would make each indirect request fail. */
START_TEST(persistent_indirect_pages_writable)
{
    struct blkfront_features f = plain;
    f.persistent = true;
    f.max_segments = 32;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
    for (uint32_t i = 0; i < core.max_in_flight; i++)
        ck_assert(!fb.grants[core.slots[i].indirect_ref].readonly);
}
END_TEST

/* A backend may echo the inner operation of an indirect request instead of INDIRECT. */
START_TEST(indirect_response_may_echo_inner_op)
{
    struct blkfront_features f = plain;
    f.max_segments = 16;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
    struct blk_segment segs[12];
    for (int i = 0; i < 12; i++)
        segs[i] = (struct blk_segment){ pages + i * 4096, 4096 };
    struct blk_request req = rw(BLK_OP_WRITE, 0, segs, 12, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &req), 0);
    blkfront_core_push(&core);
    struct blkif_request taken;
    ck_assert(fake_take(&fb, &taken));
    answer(taken.id, BLKIF_OP_WRITE, BLKIF_RSP_OKAY);
    ck_assert_int_eq(fb.statuses[0], 0);
    ck_assert(!blkfront_core_broken(&core, NULL));
}
END_TEST

/* blkif.h feature-persistent: pages are granted once and reused (LIFO), data copied through
 * them; a read reaches the caller only after the response. */
START_TEST(persistent_pool_reuses_grants)
{
    struct blkfront_features f = plain;
    f.persistent = true;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
    struct blk_segment segs[4];
    for (int i = 0; i < 4; i++) {
        segs[i] = (struct blk_segment){ pages + i * 4096 + 512, 1024 };
        memset(segs[i].addr, 0x30 + i, 1024);
    }
    struct blk_request w = rw(BLK_OP_WRITE, 10, segs, 4, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &w), 0);
    blkfront_core_push(&core);
    fake_serve(&fb);
    uint32_t first_ref = fb.last.seg[0].gref;
    ck_assert_uint_eq(fb.last.seg[0].first_sect, 0);   /* data sits at the pool page's start */
    blkfront_core_poll(&core);
    ck_assert_uint_eq(fb.disk[10 * 512], 0x30);
    ck_assert_uint_eq(fb.disk[16 * 512 + 1023], 0x33);
    ck_assert_uint_eq(core.stats.pool_pages, 4);
    uint64_t granted = fb.granted;

    memset(pages, 0, 4 * 4096);
    struct blk_request r = rw(BLK_OP_READ, 10, segs, 4, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &r), 0);
    blkfront_core_push(&core);
    fake_serve(&fb);
    ck_assert_uint_eq(fb.granted, granted);              /* no new grant */
    ck_assert_uint_eq(core.stats.pool_pages, 4);
    /* The page freed last is handed out first. */
    ck_assert_uint_ne(fb.last.seg[0].gref, first_ref);
    ck_assert_uint_eq(pages[512], 0);                    /* not copied before the response */
    blkfront_core_poll(&core);
    ck_assert_int_eq(fb.statuses[1], 0);
    ck_assert_uint_eq(pages[512], 0x30);
    ck_assert_uint_eq(pages[3 * 4096 + 512 + 1023], 0x33);
    ck_assert_uint_eq(fb.live_grants, 4);
}
END_TEST

/* A failed read through the pool never copies the backend's page into the caller's buffer. */
START_TEST(persistent_failed_read_leaves_buffer)
{
    struct blkfront_features f = plain;
    f.persistent = true;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
    struct blk_segment seg = { pages, 4096 };
    struct blk_request r = rw(BLK_OP_READ, 0, &seg, 1, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &r), 0);
    blkfront_core_push(&core);
    struct blkif_request taken;
    ck_assert(fake_take(&fb, &taken));
    memset(fake_page(&fb, taken.seg[0].gref), 0x77, 4096);
    answer(taken.id, BLKIF_OP_READ, BLKIF_RSP_ERROR);
    ck_assert_int_eq(fb.statuses[0], -EIO);
    ck_assert_uint_eq(pages[0], 0xee);
    ck_assert(!blkfront_core_broken(&core, NULL));      /* an I/O error is not a violation */
}
END_TEST

/* The pool never grows past what every slot can hold at once, and teardown gives every page
 * and grant back. */
START_TEST(persistent_pool_bounded_and_freed)
{
    struct blkfront_features f = plain;
    f.persistent = true;
    f.max_segments = 2;
    uint64_t before = pages_free();
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
    struct blk_segment segs[2] = { { pages, 4096 }, { pages + 4096, 4096 } };
    struct blk_request reqs[40];
    unsigned accepted = 0;
    for (int i = 0; i < 40; i++) {
        reqs[i] = rw(BLK_OP_WRITE, (uint64_t)i * 16, segs, 2, 512);
        if (blkfront_core_submit(&core, &reqs[i]) == 0)
            accepted++;
    }
    ck_assert_uint_eq(accepted, core.max_in_flight);    /* then -EBUSY: the ring is full */
    ck_assert_uint_eq(core.stats.pool_pages, 2 * core.max_in_flight);
    blkfront_core_push(&core);
    fake_serve(&fb);
    blkfront_core_poll(&core);
    ck_assert_uint_eq(fb.ncompleted, accepted);
    fake_stop(&fb, &core);
    ck_assert_uint_eq(fb.live_grants, 0);
    ck_assert_uint_eq(pages_free(), before);
    fb.sring = NULL;
}
END_TEST

START_TEST(ring_full_is_ebusy)
{
    struct blkfront_features f = plain;
    f.max_grants = 64 * 11;                             /* enough for every slot */
    ck_assert_int_eq(fake_start(&fb, &core, 1, &f), 0);
    ck_assert_uint_eq(core.nr_slots, 64);               /* two pages: 64 slots */
    struct blk_request reqs[65];
    for (int i = 0; i < 64; i++) {
        reqs[i] = (struct blk_request){ .op = BLK_OP_FLUSH };
        ck_assert_int_eq(blkfront_core_submit(&core, &reqs[i]), 0);
    }
    reqs[64] = (struct blk_request){ .op = BLK_OP_FLUSH };
    ck_assert_int_eq(blkfront_core_submit(&core, &reqs[64]), -EBUSY);
    blkfront_core_push(&core);
    ck_assert_uint_eq(fake_serve(&fb), 64);
    ck_assert_uint_eq(blkfront_core_poll(&core), 64);
    ck_assert_uint_eq(fb.flushes, 64);
    ck_assert_int_eq(blkfront_core_submit(&core, &reqs[64]), 0);
}
END_TEST

/* Flush is FLUSH_DISKCACHE when offered, else WRITE_BARRIER, else not supported. */
START_TEST(flush_operation_choice)
{
    struct blkfront_features f = plain;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
    struct blk_request fl = { .op = BLK_OP_FLUSH };
    ck_assert_int_eq(blkfront_core_submit(&core, &fl), 0);
    blkfront_core_push(&core);
    fake_serve(&fb);
    ck_assert_uint_eq(fb.last.operation, BLKIF_OP_FLUSH_DISKCACHE);
    ck_assert_uint_eq(fb.last.nr_segments, 0);
    blkfront_core_poll(&core);
    fake_stop(&fb, &core);

    f.flush_cache = false;
    f.barrier = true;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
    ck_assert_int_eq(blkfront_core_submit(&core, &fl), 0);
    blkfront_core_push(&core);
    fake_serve(&fb);
    ck_assert_uint_eq(fb.last.operation, BLKIF_OP_WRITE_BARRIER);
    blkfront_core_poll(&core);
    fake_stop(&fb, &core);

    f.barrier = false;
    f.discard = false;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
    ck_assert_int_eq(blkfront_core_submit(&core, &fl), -EOPNOTSUPP);
    struct blk_request d = { .op = BLK_OP_DISCARD, .sector = 0, .count = 1 };
    ck_assert_int_eq(blkfront_core_submit(&core, &d), -EOPNOTSUPP);
    ck_assert_uint_eq(core.in_flight, 0);
}
END_TEST

/* blkif.h: BLKIF_RSP_EOPNOTSUPP answers an operation the backend cannot do (flush, barrier). */
START_TEST(status_mapping)
{
    ck_assert_int_eq(fake_start(&fb, &core, 0, &plain), 0);
    struct blk_request fl = { .op = BLK_OP_FLUSH };
    struct blk_segment seg = { pages, 512 };
    struct blk_request r = rw(BLK_OP_READ, 0, &seg, 1, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &fl), 0);
    ck_assert_int_eq(blkfront_core_submit(&core, &r), 0);
    blkfront_core_push(&core);
    struct blkif_request a, b;
    ck_assert(fake_take(&fb, &a) && fake_take(&fb, &b));
    /* Answers may come in any order. */
    fake_respond(&fb, b.id, b.operation, BLKIF_RSP_EOPNOTSUPP);
    fake_respond(&fb, a.id, a.operation, BLKIF_RSP_EOPNOTSUPP);
    blkfront_core_poll(&core);
    ck_assert_ptr_eq(fb.completed[0], &r);
    ck_assert_int_eq(fb.statuses[0], -EIO);
    ck_assert_ptr_eq(fb.completed[1], &fl);
    ck_assert_int_eq(fb.statuses[1], -EOPNOTSUPP);
    ck_assert_uint_eq(core.stats.errors, 2);
    ck_assert(!blkfront_core_broken(&core, NULL));
}
END_TEST

/* Two reads in flight (the backend took both) and the ids they went out with. */
static struct blk_request two_reqs[2];
static struct blk_segment two_segs[2];
static uint64_t ids[2];

static void two_in_flight(void)
{
    ck_assert_int_eq(fake_start(&fb, &core, 0, &plain), 0);
    for (int i = 0; i < 2; i++) {
        two_segs[i] = (struct blk_segment){ pages + i * 4096, 4096 };
        two_reqs[i] = rw(BLK_OP_READ, (uint64_t)i * 8, &two_segs[i], 1, 512);
        ck_assert_int_eq(blkfront_core_submit(&core, &two_reqs[i]), 0);
    }
    blkfront_core_push(&core);
    struct blkif_request t;
    for (int i = 0; i < 2; i++) {
        ck_assert(fake_take(&fb, &t));
        ids[i] = t.id;
    }
}

/* After a violation: both requests failed with EIO exactly once, grants are back, later
 * submissions fail, nothing more is read from the ring. */
static void assert_broken_cleanly(const char *reason_part)
{
    const char *why;
    ck_assert(blkfront_core_broken(&core, &why));
    ck_assert_msg(strstr(why, reason_part), "reason \"%s\" lacks \"%s\"", why, reason_part);
    ck_assert_uint_eq(fb.ncompleted, 2);
    ck_assert_ptr_ne(fb.completed[0], fb.completed[1]);
    ck_assert_uint_eq(core.in_flight, 0);
    ck_assert_uint_eq(fb.live_grants, 0);
    struct blk_segment seg = { pages, 512 };
    struct blk_request again = rw(BLK_OP_READ, 0, &seg, 1, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &again), -EIO);
    fake_respond(&fb, 0, BLKIF_OP_READ, 0);
    ck_assert_uint_eq(blkfront_core_poll(&core), 0);
    ck_assert_uint_eq(fb.ncompleted, 2);
}

START_TEST(bad_id_breaks)
{
    two_in_flight();
    answer(core.nr_slots, BLKIF_OP_READ, 0);
    ck_assert_int_eq(fb.statuses[0], -EIO);
    ck_assert_int_eq(fb.statuses[1], -EIO);
    assert_broken_cleanly("id out of range");
}
END_TEST

START_TEST(huge_id_breaks)
{
    two_in_flight();
    answer(ids[0] | (1ull << 32), BLKIF_OP_READ, 0);   /* truncation must not alias */
    assert_broken_cleanly("id out of range");
}
END_TEST

START_TEST(duplicate_response_breaks)
{
    two_in_flight();
    fake_respond(&fb, ids[0], BLKIF_OP_READ, 0);
    answer(ids[0], BLKIF_OP_READ, 0);
    ck_assert_int_eq(fb.statuses[0], 0);                 /* the first answer was good */
    ck_assert_int_eq(fb.statuses[1], -EIO);
    assert_broken_cleanly("no request in flight");
}
END_TEST

START_TEST(wrong_operation_breaks)
{
    two_in_flight();
    answer(ids[1], BLKIF_OP_WRITE, 0);
    assert_broken_cleanly("operation");
}
END_TEST

START_TEST(unknown_status_breaks)
{
    two_in_flight();
    answer(ids[1], BLKIF_OP_READ, 7);
    assert_broken_cleanly("unknown status");
}
END_TEST

/* ring.h: the backend may only answer requests we produced; a producer index past them is a
 * lie that would make us read stale slots. */
START_TEST(producer_past_requests_breaks)
{
    two_in_flight();
    ((struct blkif_sring *)fb.sring)->rsp_prod = 3;
    blkfront_core_poll(&core);
    assert_broken_cleanly("past the requests");
}
END_TEST

/* A backend that answers but keeps the page mapped could change the data afterwards: the
 * request fails, the page goes to the quarantine (never reused or freed while mapped), the
 * device disconnects naming the rule. */
START_TEST(kept_grant_breaks_and_quarantines)
{
    ck_assert_int_eq(fake_start(&fb, &core, 0, &plain), 0);
    struct blk_segment seg = { pages, 4096 };
    struct blk_request r = rw(BLK_OP_READ, 0, &seg, 1, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &r), 0);
    blkfront_core_push(&core);
    struct blkif_request t;
    ck_assert(fake_take(&fb, &t));
    fb.grants[t.seg[0].gref].busy = true;
    answer(t.id, BLKIF_OP_READ, 0);
    ck_assert_int_eq(fb.statuses[0], -EIO);
    ck_assert(blkfront_core_broken(&core, NULL));
    ck_assert_uint_eq(core.stats.grants_quarantined, 1);
    ck_assert_uint_eq(core.stats.breaks.kept_grant, 1);
    ck_assert(fb.grants[t.seg[0].gref].live);
    ck_assert(fb.grants[t.seg[0].gref].quarantined);
}
END_TEST

/* A grant failure part-way through a request gives back what it took. */
START_TEST(grant_failure_unwinds)
{
    ck_assert_int_eq(fake_start(&fb, &core, 0, &plain), 0);
    struct blk_segment segs[3] = { { pages, 4096 }, { pages + 4096, 4096 }, { pages + 8192, 4096 } };
    struct blk_request r = rw(BLK_OP_WRITE, 0, segs, 3, 512);
    /* Fill the table so that only two grants are left. */
    for (uint32_t ref = FAKE_FIRST_REF; ref < FAKE_GRANTS - 2; ref++)
        fb.grants[ref].live = true;
    ck_assert_int_eq(blkfront_core_submit(&core, &r), -ENOSPC);
    for (uint32_t ref = FAKE_FIRST_REF; ref < FAKE_GRANTS - 2; ref++)
        fb.grants[ref].live = false;
    ck_assert_uint_eq(fb.live_grants, 0);
    ck_assert_uint_eq(core.in_flight, 0);
    ck_assert_int_eq(blkfront_core_submit(&core, &r), 0);
    ck_assert_uint_eq(fb.ncompleted, 0);
}
END_TEST

/* The seam's segment rules are checked again before anything is granted. */
START_TEST(malformed_requests_refused)
{
    ck_assert_int_eq(fake_start(&fb, &core, 0, &plain), 0);
    struct blk_segment cross = { pages + 3584, 1024 };   /* crosses a page boundary */
    struct blk_request r = rw(BLK_OP_READ, 0, &cross, 1, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &r), -EINVAL);
    struct blk_segment odd = { pages, 700 };
    r = (struct blk_request){ .op = BLK_OP_READ, .count = 1, .nr_segments = 1, .segments = &odd };
    ck_assert_int_eq(blkfront_core_submit(&core, &r), -EINVAL);
    struct blk_segment segs[12];
    for (int i = 0; i < 12; i++)
        segs[i] = (struct blk_segment){ pages + i * 4096, 512 };
    r = rw(BLK_OP_READ, 0, segs, 12, 512);               /* 12 > max_segments 11 */
    ck_assert_int_eq(blkfront_core_submit(&core, &r), -EINVAL);
    struct blk_segment one = { pages, 512 };
    r = rw(BLK_OP_READ, 0, &one, 1, 512);
    r.count = 2;                                         /* segments cover one sector */
    ck_assert_int_eq(blkfront_core_submit(&core, &r), -EINVAL);
    ck_assert_uint_eq(fb.live_grants, 0);
    ck_assert_uint_eq(core.in_flight, 0);
}
END_TEST

START_TEST(disconnect_fails_in_flight)
{
    two_in_flight();
    blkfront_core_disconnect(&core, "backend closed");
    assert_broken_cleanly("backend closed");
}
END_TEST

START_TEST(teardown_completes_and_frees)
{
    struct blkfront_features f = plain;
    f.persistent = true;
    f.max_segments = 32;
    uint64_t before = pages_free();
    ck_assert_int_eq(fake_start(&fb, &core, 2, &f), 0);
    struct blk_segment segs[32];
    for (int i = 0; i < 32; i++)
        segs[i] = (struct blk_segment){ pages + i * 4096, 4096 };
    struct blk_request r = rw(BLK_OP_READ, 0, segs, 32, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &r), 0);
    blkfront_core_push(&core);
    fake_stop(&fb, &core);
    ck_assert_uint_eq(fb.ncompleted, 1);
    ck_assert_int_eq(fb.statuses[0], -EIO);
    ck_assert_uint_eq(fb.live_grants, 0);
    ck_assert_uint_eq(pages_free(), before);
    fb.sring = NULL;
}
END_TEST

START_TEST(init_refuses_bad_features)
{
    fake_boot();
    struct blkfront_features f = plain;
    f.sector_size = 768;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), -EINVAL);
    f = plain;
    f.max_segments = BLKFRONT_MAX_INDIRECT_SEGMENTS + 1;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), -EINVAL);
    ck_assert_int_eq(fake_start(&fb, &core, BLKFRONT_MAX_RING_ORDER + 1, &plain), -EINVAL);
    /* Indirect pages that cannot be granted: nothing stays behind. */
    f = plain;
    f.max_segments = 64;
    free(fb.sring);
    uint64_t before = pages_free();
    memset(&fb, 0, sizeof(fb));
    fb.refuse_grants = true;
    fb.sring = aligned_alloc(4096, 4096);
    struct blkfront_grant_ops gops = { .grant = fake_grant, .end = fake_end,
                                       .end_free = fake_end_free, .ctx = &fb };
    ck_assert_int_eq(blkfront_core_init(&core, fb.sring, 0, &f, 0, &gops, fake_complete, &fb),
                     -ENOSPC);
    ck_assert_uint_eq(pages_free(), before);
}
END_TEST

static Suite *blkfront_suite(void)
{
    Suite *s = suite_create("blkfront");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, direct_read_fields_and_data);
    tcase_add_test(tc, direct_write_grants_read_only);
    tcase_add_test(tc, large_sectors_convert_to_512);
    tcase_add_test(tc, indirect_request_layout);
    tcase_add_test(tc, indirect_response_may_echo_inner_op);
    tcase_add_test(tc, persistent_indirect_pages_writable);
    tcase_add_test(tc, persistent_pool_reuses_grants);
    tcase_add_test(tc, persistent_failed_read_leaves_buffer);
    tcase_add_test(tc, persistent_pool_bounded_and_freed);
    tcase_add_test(tc, ring_full_is_ebusy);
    tcase_add_test(tc, flush_operation_choice);
    tcase_add_test(tc, status_mapping);
    tcase_add_test(tc, bad_id_breaks);
    tcase_add_test(tc, huge_id_breaks);
    tcase_add_test(tc, duplicate_response_breaks);
    tcase_add_test(tc, wrong_operation_breaks);
    tcase_add_test(tc, unknown_status_breaks);
    tcase_add_test(tc, producer_past_requests_breaks);
    tcase_add_test(tc, kept_grant_breaks_and_quarantines);
    tcase_add_test(tc, grant_failure_unwinds);
    tcase_add_test(tc, malformed_requests_refused);
    tcase_add_test(tc, disconnect_fails_in_flight);
    tcase_add_test(tc, teardown_completes_and_frees);
    tcase_add_test(tc, init_refuses_bad_features);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(blkfront_suite)
