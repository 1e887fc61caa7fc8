/*
 * Unit tests: the blkfront core's rules against an untrusted backend (xen/blkfront_core.h),
 * with the fake backend of test/unit/blkfront_fake.h on the simulated clock: the
 * grant-lifetime rule (XSA-396: no page the backend still maps is handed back or reused, the
 * caller's buffers are never granted), no stale memory granted (XSA-403), request deadlines
 * and the per-device grant budget.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "test/unit/blkfront_fixture.h"
#include "xenolith/test_main.h"

/* ---- the grant-lifetime rule (xen/grants.h; XSA-396: a frontend must not reuse a page the
 * backend still maps) ---- */

/* A backend without feature-persistent maps an in-flight read page, writes into it and sends
 * a bad response. The request fails, but: the caller's buffer was never granted and is not
 * touched; the page the backend maps is not freed (it sits in the quarantine) until the
 * backend unmaps it. On the old code the caller's own page was granted and handed back with
 * -EIO while still mapped writable. */
START_TEST(mapped_read_page_never_handed_back)
{
    uint64_t before = pages_free();
    ck_assert_int_eq(fake_start(&fb, &core, 0, &plain), 0);
    struct blk_segment seg = { pages, 4096 };
    struct blk_request r = rw(BLK_OP_READ, 0, &seg, 1, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &r), 0);
    ck_assert(!fake_page_granted(&fb, pages));          /* the caller's page is never shared */
    blkfront_core_push(&core);
    struct blkif_request t;
    ck_assert(fake_take(&fb, &t));
    uint8_t *mapped = fake_page(&fb, t.seg[0].gref);
    ck_assert_ptr_nonnull(mapped);
    memset(mapped, 0x66, 4096);
    fb.grants[t.seg[0].gref].busy = true;
    fake_respond(&fb, 99, BLKIF_OP_READ, 0);            /* an id of no request */
    blkfront_core_poll(&core);
    ck_assert_uint_eq(fb.ncompleted, 1);
    ck_assert_int_eq(fb.statuses[0], -EIO);
    ck_assert_uint_eq(pages[0], 0xee);                  /* nothing copied from a mapped page */
    ck_assert(fb.grants[t.seg[0].gref].live && fb.grants[t.seg[0].gref].quarantined);
    ck_assert_uint_eq(core.stats.grants_quarantined, 1);
    ck_assert_uint_eq(core.stats.breaks.bad_response, 1);
    blkfront_core_teardown(&core);
    /* Everything came back except the page the backend maps... */
    ck_assert_uint_eq(pages_free(), before - 1);
    ck_assert_uint_eq(fb.live_grants, 1);
    /* ...which is freed once it unmapped and the quarantine retried. */
    fb.grants[t.seg[0].gref].busy = false;
    ck_assert_uint_eq(fake_retry_quarantine(&fb), 0);
    ck_assert_uint_eq(pages_free(), before);
    ck_assert_uint_eq(fb.live_grants, 0);
}
END_TEST

/* A failed notify while a write and a read are in flight (blkfront_core_disconnect): both
 * complete with -EIO at once (no waiting for the backend), the pages it maps go to the
 * quarantine, the caller's buffers are untouched, persistent pages likewise at teardown. */
START_TEST(disconnect_with_mapped_pages_quarantines)
{
    for (int persistent = 0; persistent < 2; persistent++) {
        struct blkfront_features f = plain;
        f.persistent = persistent;
        uint64_t before = pages_free();
        ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
        struct blk_segment segs[2] = { { pages, 4096 }, { pages + 4096, 4096 } };
        struct blk_request w = rw(BLK_OP_WRITE, 0, &segs[0], 1, 512);
        struct blk_request r = rw(BLK_OP_READ, 8, &segs[1], 1, 512);
        ck_assert_int_eq(blkfront_core_submit(&core, &w), 0);
        ck_assert_int_eq(blkfront_core_submit(&core, &r), 0);
        blkfront_core_push(&core);
        struct blkif_request tw, tr;
        ck_assert(fake_take(&fb, &tw) && fake_take(&fb, &tr));
        fb.grants[tw.seg[0].gref].busy = true;
        fb.grants[tr.seg[0].gref].busy = true;
        memset(fake_page(&fb, tr.seg[0].gref), 0x66, 4096);
        blkfront_core_disconnect(&core, "cannot notify the backend");
        ck_assert_uint_eq(fb.ncompleted, 2);
        ck_assert_int_eq(fb.statuses[0], -EIO);
        ck_assert_int_eq(fb.statuses[1], -EIO);
        ck_assert_uint_eq(pages[4096], 0xee);
        ck_assert_uint_eq(core.stats.breaks.disconnect, 1);
        blkfront_core_teardown(&core);
        ck_assert_uint_eq(fb.quarantined, 2);
        ck_assert_uint_eq(pages_free(), before - 2);
        fake_stop(&fb, &core);
        ck_assert_uint_eq(pages_free(), before);
        ck_assert_uint_eq(fb.live_grants, 0);
    }
}
END_TEST

/* ---- no stale memory is granted (XSA-403) ---- */

/* Leaves recognisable garbage in free pages, as a busy kernel would. */
static void dirty_free_pages(void)
{
    void *p[96];
    for (int i = 0; i < 96; i++) {
        p[i] = page_alloc(0);
        ck_assert_ptr_nonnull(p[i]);
        memset(p[i], 0xab, 4096);
    }
    for (int i = 95; i >= 0; i--)
        page_free(p[i], 0);
}

/* Every page blkfront grants is zero at the moment of the grant -- persistent pool pages,
 * per-request pages and indirect pages alike -- and a short write fills the rest of its page
 * with zeros, so the backend never sees old kernel memory. On the old code pool pages came
 * from page_alloc unzeroed and indirect pages were granted before being zeroed. */
START_TEST(granted_pages_hold_no_stale_memory)
{
    for (int persistent = 0; persistent < 2; persistent++) {
        struct blkfront_features f = plain;
        f.persistent = persistent;
        f.max_segments = 16;                             /* indirect pages too */
        dirty_free_pages();
        ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
        struct blk_segment segs[12];
        for (int i = 0; i < 12; i++)
            segs[i] = (struct blk_segment){ pages + i * 4096 + 1024, 512 };
        memset(pages, 0x42, 12 * 4096);
        struct blk_request w = rw(BLK_OP_WRITE, 0, segs, 12, 512);
        struct blk_request r = rw(BLK_OP_READ, 64, segs, 1, 512);
        ck_assert_int_eq(blkfront_core_submit(&core, &w), 0);
        ck_assert_int_eq(blkfront_core_submit(&core, &r), 0);
        blkfront_core_push(&core);
        for (uint32_t ref = FAKE_FIRST_REF; ref < FAKE_GRANTS; ref++)
            if (fb.grants[ref].live)
                ck_assert_msg(fb.grants[ref].zero_when_granted, "ref %u granted with old data",
                              ref);
        struct blkif_request t;
        ck_assert(fake_take(&fb, &t));
        ck_assert_uint_eq(t.operation, BLKIF_OP_INDIRECT);
        const struct blkif_request_indirect *ind = (const void *)&t;
        const struct blkif_request_segment *d = (const void *)fake_page(&fb, ind->indirect_grefs[0]);
        for (int i = 0; i < 12; i++) {
            const uint8_t *page = fake_page(&fb, d[i].gref);
            ck_assert_uint_eq(page[0], 0x42);
            ck_assert_uint_eq(page[511], 0x42);
            for (int k = 512; k < 4096; k++)
                ck_assert_msg(page[k] == 0, "write page %d byte %d is %#x", i, k, page[k]);
        }
        fake_stop(&fb, &core);
    }
}
END_TEST

/* ---- deadlines and the grant budget ---- */

/* A silent backend: the request fails with -ETIMEDOUT at its deadline on the simulated clock
 * (not before), the core breaks naming the rule, every other request fails, nothing is read
 * afterwards. The old core had no deadline at all: the request waited for ever. */
START_TEST(silent_backend_times_out)
{
    struct blkfront_features f = plain;
    f.timeout_ns = 5000000000ull;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), 0);
    uint64_t t0 = sim_now();
    struct blk_segment segs[2] = { { pages, 4096 }, { pages + 4096, 4096 } };
    struct blk_request a = rw(BLK_OP_READ, 0, &segs[0], 1, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &a), 0);
    sim_advance_to(t0 + 1000000000ull);
    struct blk_request b = rw(BLK_OP_READ, 8, &segs[1], 1, 512);
    ck_assert_int_eq(blkfront_core_submit(&core, &b), 0);
    blkfront_core_push(&core);
    ck_assert_uint_eq(blkfront_core_next_deadline(&core), t0 + f.timeout_ns);
    sim_advance_to(t0 + f.timeout_ns - 1);
    ck_assert_uint_eq(blkfront_core_expire(&core, sim_now()), 0);
    ck_assert_uint_eq(fb.ncompleted, 0);
    sim_advance_to(t0 + f.timeout_ns);
    ck_assert_uint_eq(blkfront_core_expire(&core, sim_now()), 1);
    ck_assert_uint_eq(fb.ncompleted, 2);
    ck_assert_ptr_eq(fb.completed[0], &a);
    ck_assert_int_eq(fb.statuses[0], -ETIMEDOUT);
    ck_assert_ptr_eq(fb.completed[1], &b);
    ck_assert_int_eq(fb.statuses[1], -EIO);
    const char *why;
    ck_assert(blkfront_core_broken(&core, &why));
    ck_assert_msg(strstr(why, "no response within 5000 ms"), "reason: %s", why);
    ck_assert_uint_eq(core.stats.breaks.timeout, 1);
    ck_assert_uint_eq(core.stats.timeouts, 1);
    ck_assert_uint_eq(blkfront_core_next_deadline(&core), UINT64_MAX);
    ck_assert_uint_eq(fb.live_grants, 0);
    fake_serve(&fb);                                     /* a late answer is not read */
    ck_assert_uint_eq(blkfront_core_poll(&core), 0);
    ck_assert_uint_eq(fb.ncompleted, 2);
}
END_TEST

/* One device's grants are capped: whatever the backend negotiated (a 4-page ring of 128 slots,
 * 256 indirect segments), the core never holds more than max_grants references, so another
 * device still finds free ones. The old core would grant 128 indirect pages and up to
 * 128 * 256 pool pages. */
START_TEST(grant_use_is_capped)
{
    struct blkfront_features f = plain;
    f.persistent = true;
    f.max_segments = 64;
    f.max_grants = 200;
    ck_assert_int_eq(fake_start(&fb, &core, 2, &f), 0);
    ck_assert_uint_eq(core.nr_slots, 128);
    ck_assert_uint_eq(core.max_in_flight, 3);            /* 3 * (64 + 1) <= 200 */
    struct blk_segment segs[64];
    for (int i = 0; i < 64; i++)
        segs[i] = (struct blk_segment){ pages + i * 4096, 4096 };
    struct blk_request reqs[5];
    unsigned accepted = 0;
    for (int i = 0; i < 5; i++) {
        reqs[i] = rw(BLK_OP_WRITE, (uint64_t)i * 512, segs, 64, 512);
        if (blkfront_core_submit(&core, &reqs[i]) == 0)
            accepted++;
    }
    ck_assert_uint_eq(accepted, 3);
    ck_assert_uint_le(fb.live_grants, 200);
    ck_assert_uint_le(core.stats.grants_peak, 200);
    blkfront_core_push(&core);
    fake_serve(&fb);
    blkfront_core_poll(&core);
    ck_assert_uint_eq(fb.ncompleted, 3);
    /* A budget that cannot hold one request is refused. */
    fake_stop(&fb, &core);
    f.max_grants = 64;
    ck_assert_int_eq(fake_start(&fb, &core, 0, &f), -EINVAL);
}
END_TEST

static Suite *blkfront_rules_suite(void)
{
    Suite *s = suite_create("blkfront_rules");
    TCase *tc = tcase_create("rules");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, mapped_read_page_never_handed_back);
    tcase_add_test(tc, disconnect_with_mapped_pages_quarantines);
    tcase_add_test(tc, granted_pages_hold_no_stale_memory);
    tcase_add_test(tc, silent_backend_times_out);
    tcase_add_test(tc, grant_use_is_capped);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(blkfront_rules_suite)
