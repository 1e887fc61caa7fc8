/*
 * Unit tests: the blkfront core of an image that leaves blkfront_write out (APP_XEN_WITHOUT,
 * xen/optional.h). This program defines xen_optionals itself, as such an image does: only
 * reads reach the ring (BLKIF_OP_READ, xen/io/blkif.h); a write, a flush or a discard is
 * refused with -EROFS before a slot, a page or a grant is taken, even on a backend that offers
 * flush and discard.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "test/unit/blkfront_fixture.h"
#include "xen/optional.h"
#include "xenolith/test_main.h"

const uint32_t xen_optionals = XEN_OPTIONALS_ALL & ~(uint32_t)XEN_OPTIONAL_BLKFRONT_WRITE;

START_TEST(only_reads_reach_the_ring)
{
    ck_assert_int_eq(fake_start(&fb, &core, 0, &plain), 0);   /* offers flush and discard */
    uint64_t free_before = pages_free();
    struct blk_segment seg = { pages, 4096 };
    struct blk_request w = rw(BLK_OP_WRITE, 8, &seg, 1, 512);
    struct blk_request fl = { .op = BLK_OP_FLUSH };
    struct blk_request d = { .op = BLK_OP_DISCARD, .sector = 2, .count = 3 };
    ck_assert_int_eq(blkfront_core_submit(&core, &w), -EROFS);
    ck_assert_int_eq(blkfront_core_submit(&core, &fl), -EROFS);
    ck_assert_int_eq(blkfront_core_submit(&core, &d), -EROFS);
    ck_assert_uint_eq(fb.live_grants, 0);
    ck_assert_uint_eq(pages_free(), free_before);             /* no page taken either */
    blkfront_core_push(&core);
    struct blkif_request taken;
    ck_assert(!fake_take(&fb, &taken));                       /* nothing was queued */
    struct blk_request r = rw(BLK_OP_READ, 8, &seg, 1, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &r), 0);
    blkfront_core_push(&core);
    fake_serve(&fb);
    ck_assert_uint_eq(fb.last.operation, BLKIF_OP_READ);
    blkfront_core_poll(&core);
    ck_assert_uint_eq(fb.ncompleted, 1);
    ck_assert_int_eq(fb.statuses[0], 0);
    ck_assert_uint_eq(pages[0], 8);                           /* sector 8's fill byte */
    ck_assert(!blkfront_core_broken(&core, NULL));
}
END_TEST

static Suite *blkfront_readonly_suite(void)
{
    Suite *s = suite_create("blkfront_readonly");
    TCase *tc = tcase_create("readonly");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, only_reads_reach_the_ring);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(blkfront_readonly_suite)
