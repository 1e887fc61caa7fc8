/*
 * Unit tests for net/pbuf: pool bounds and accounting, headroom, push/pull/trim, chaining,
 * copy in/out across segments, linearize (in place and via a fresh head), clone, zero-copy
 * references and the sharing rules.
 */
#include "test/unit/net_core_fixture.h"
#include "lib/errno.h"
#include "xenolith/test_main.h"

static struct pbuf_pool *pool;

static void setup(void)
{
    core_boot();
    pool = pbuf_pool_create("t", 16);
    ck_assert_ptr_nonnull(pool);
}

static void teardown(void)
{
    ck_assert_uint_eq(pool_in_use(pool), 0);   /* every test gives back what it took */
    pbuf_pool_destroy(pool);
}

static void fill_pattern(struct pbuf *p)
{
    for (uint32_t i = 0; i < p->tot_len; i++) {
        uint8_t b = (uint8_t)(i * 7 + 3);
        ck_assert_int_eq(pbuf_copy_in(p, i, &b, 1), 0);
    }
}

static void expect_pattern(const struct pbuf *p, uint32_t from)
{
    for (uint32_t i = 0; i < p->tot_len; i++) {
        uint8_t b;
        ck_assert_int_eq(pbuf_copy_out(p, i, &b, 1), 0);
        ck_assert_uint_eq(b, (uint8_t)((i + from) * 7 + 3));
    }
}

START_TEST(alloc_small_has_headroom)
{
    struct pbuf *p = pbuf_alloc(pool, 100);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(p->len, 100);
    ck_assert_uint_eq(p->tot_len, 100);
    ck_assert_uint_eq(pbuf_headroom(p), PBUF_HEADROOM);
    ck_assert_uint_eq(pbuf_segments(p), 1);
    ck_assert_uint_eq(p->refcnt, 1);
    pbuf_free(p);
}
END_TEST

START_TEST(alloc_large_chains)
{
    struct pbuf *p = pbuf_alloc(pool, 5000);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq(p->tot_len, 5000);
    ck_assert_uint_eq(p->len, PBUF_STORAGE_CAPACITY - PBUF_HEADROOM);
    ck_assert_uint_eq(pbuf_segments(p), 3);
    uint32_t sum = 0;
    for (struct pbuf *s = p; s; s = s->next) {
        ck_assert_uint_eq(s->tot_len, 5000 - sum);
        sum += s->len;
    }
    ck_assert_uint_eq(sum, 5000);
    fill_pattern(p);
    expect_pattern(p, 0);
    pbuf_free(p);
}
END_TEST

START_TEST(pool_bound_counts_failures)
{
    struct pbuf *held[16];
    for (int i = 0; i < 16; i++)
        ck_assert_ptr_nonnull(held[i] = pbuf_alloc(pool, 10));
    ck_assert_ptr_null(pbuf_alloc(pool, 10));
    struct pbuf_pool_stats st;
    pbuf_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.alloc_failures, 1);
    ck_assert_uint_eq(st.storage_in_use, 16);
    ck_assert_uint_eq(st.storage_high_water, 16);
    /* A chain that would need more blocks than are left fails whole, leaking nothing. */
    pbuf_free(held[0]);
    pbuf_free(held[1]);
    ck_assert_ptr_null(pbuf_alloc(pool, 3 * PBUF_STORAGE_CAPACITY));
    pbuf_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.storage_in_use, 14);
    ck_assert_uint_eq(st.alloc_failures, 2);
    for (int i = 2; i < 16; i++)
        pbuf_free(held[i]);
}
END_TEST

/* Blocks back on the pool's free list are reported to the heap as cached (mm/mm.h), so memory
 * in live use (bytes_in_use - cached_bytes) returns to what it was once every packet is back;
 * destroying the pool gives the cache back. */
START_TEST(free_list_is_reported_as_cached)
{
    struct heap_stats before, held, back, gone;
    heap_get_stats(&before);
    struct pbuf *p = pbuf_alloc(pool, 3000);
    ck_assert_ptr_nonnull(p);
    heap_get_stats(&held);
    ck_assert_uint_eq(held.cached_bytes, before.cached_bytes);
    pbuf_free(p);
    heap_get_stats(&back);
    ck_assert_uint_gt(back.cached_bytes, before.cached_bytes);
    ck_assert_uint_eq(back.bytes_in_use - back.cached_bytes,
                      before.bytes_in_use - before.cached_bytes);
    ck_assert_uint_eq(back.cached_objects - before.cached_objects, 4);  /* 2 blocks, 2 segments */
    pbuf_pool_destroy(pool);
    pool = pbuf_pool_create("t", 16);
    heap_get_stats(&gone);
    ck_assert_uint_eq(gone.cached_bytes, before.cached_bytes);
    ck_assert_uint_eq(gone.cached_objects, before.cached_objects);
}
END_TEST

START_TEST(push_and_pull)
{
    struct pbuf *p = pbuf_alloc(pool, 20);
    uint8_t *old = p->data;
    uint8_t *h = pbuf_push(p, 14);
    ck_assert_ptr_eq(h, old - 14);
    ck_assert_uint_eq(p->len, 34);
    ck_assert_uint_eq(p->tot_len, 34);
    ck_assert_ptr_null(pbuf_push(p, PBUF_HEADROOM));   /* only 178 bytes left in front */
    ck_assert_ptr_eq(pbuf_pull(p, 14), old);
    ck_assert_uint_eq(p->tot_len, 20);
    ck_assert_ptr_null(pbuf_pull(p, 21));
    ck_assert_uint_eq(p->len, 20);
    pbuf_free(p);
}
END_TEST

START_TEST(shared_chain_is_read_only)
{
    struct pbuf *p = pbuf_alloc(pool, 64);
    pbuf_ref(p);
    ck_assert_ptr_null(pbuf_push(p, 4));
    ck_assert_ptr_null(pbuf_pull(p, 4));
    ck_assert_int_eq(pbuf_trim(p, 10), -EBUSY);
    ck_assert_uint_eq(pbuf_headroom(p), 0);
    pbuf_free(p);
    ck_assert_uint_eq(p->refcnt, 1);           /* still alive for the second holder */
    ck_assert_ptr_nonnull(pbuf_push(p, 4));
    pbuf_free(p);
}
END_TEST

START_TEST(copy_range_checked)
{
    struct pbuf *p = pbuf_alloc(pool, 3000);
    uint8_t buf[8] = { 0 };
    ck_assert_int_eq(pbuf_copy_out(p, 2996, buf, 4), 0);
    ck_assert_int_eq(pbuf_copy_out(p, 2997, buf, 4), -EINVAL);
    ck_assert_int_eq(pbuf_copy_out(p, SIZE_MAX - 1, buf, 4), -EINVAL);   /* no overflow wrap */
    ck_assert_int_eq(pbuf_copy_in(p, 3000, buf, 1), -EINVAL);
    ck_assert_int_eq(pbuf_copy_in(p, 3000, buf, 0), 0);
    pbuf_free(p);
}
END_TEST

START_TEST(trim_frees_tail_segments)
{
    struct pbuf *p = pbuf_alloc(pool, 5000);
    fill_pattern(p);
    ck_assert_int_eq(pbuf_trim(p, 100), 0);
    ck_assert_uint_eq(p->tot_len, 100);
    ck_assert_uint_eq(pbuf_segments(p), 1);
    struct pbuf_pool_stats st;
    pbuf_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.storage_in_use, 1);
    expect_pattern(p, 0);
    ck_assert_int_eq(pbuf_trim(p, 200), 0);      /* longer: nothing happens */
    ck_assert_uint_eq(p->tot_len, 100);
    pbuf_free(p);
}
END_TEST

/* The TAP keeps the unused tail of a receive chain for its next read. */
START_TEST(split_keeps_the_unused_tail)
{
    struct pbuf *p = pbuf_alloc_headroom(pool, 5000, 0);   /* 2016 + 2016 + 968 */
    ck_assert_uint_eq(pbuf_segments(p), 3);
    fill_pattern(p);
    struct pbuf *rest = pbuf_split(p, 100);
    ck_assert_ptr_nonnull(rest);
    ck_assert_uint_eq(p->tot_len, 100);
    ck_assert_uint_eq(pbuf_segments(p), 1);
    expect_pattern(p, 0);
    ck_assert_uint_eq(pbuf_segments(rest), 2);
    ck_assert_uint_eq(rest->tot_len, 2016 + 968);
    /* A cut in the last segment leaves no whole segment behind: nothing done. */
    ck_assert_ptr_null(pbuf_split(rest, 2500));
    ck_assert_uint_eq(rest->tot_len, 2016 + 968);
    ck_assert_ptr_null(pbuf_split(rest, 0));
    ck_assert_ptr_null(pbuf_split(rest, rest->tot_len));
    struct pbuf *last = pbuf_split(rest, 2016);      /* exactly at a segment's end */
    ck_assert_ptr_nonnull(last);
    ck_assert_uint_eq(rest->tot_len, 2016);
    ck_assert_uint_eq(last->tot_len, 968);
    pbuf_ref(p);                                      /* shared: refused */
    ck_assert_ptr_null(pbuf_split(p, 50));
    pbuf_free(p);
    pbuf_free(p);
    pbuf_free(rest);
    pbuf_free(last);
}
END_TEST

START_TEST(cat_keeps_lengths)
{
    struct pbuf *a = pbuf_alloc(pool, 10), *b = pbuf_alloc(pool, 2500);
    pbuf_cat(a, b);
    ck_assert_uint_eq(a->tot_len, 2510);
    ck_assert_uint_eq(pbuf_segments(a), 3);
    ck_assert_uint_eq(a->next->tot_len, 2500);
    pbuf_free(a);   /* frees b too: the chain held it */
}
END_TEST

START_TEST(linearize_in_place)
{
    struct pbuf *a = pbuf_alloc(pool, 10), *b = pbuf_alloc_headroom(pool, 30, 0);
    pbuf_cat(a, b);
    fill_pattern(a);
    uint8_t *d = pbuf_linearize(a, 25);
    ck_assert_ptr_eq(d, a->data);
    ck_assert_uint_eq(a->len, 25);
    ck_assert_uint_eq(a->tot_len, 40);
    ck_assert_uint_eq(a->next->len, 15);
    expect_pattern(a, 0);
    /* Taking everything frees the emptied segment. */
    ck_assert_ptr_nonnull(pbuf_linearize(a, 40));
    ck_assert_uint_eq(pbuf_segments(a), 1);
    expect_pattern(a, 0);
    ck_assert_ptr_null(pbuf_linearize(a, 41));
    pbuf_free(a);
}
END_TEST

START_TEST(linearize_shared_storage_uses_fresh_head)
{
    /* The head references another packet's storage: it must not write into it. */
    struct pbuf *orig = pbuf_alloc(pool, 3000);
    fill_pattern(orig);
    struct pbuf *view = pbuf_ref_range(orig, 1000, 1500);   /* spans two blocks */
    ck_assert_ptr_nonnull(view);
    ck_assert_uint_eq(pbuf_segments(view), 2);
    uint32_t first_len = view->len;
    ck_assert_uint_lt(first_len, 900);
    ck_assert_ptr_nonnull(pbuf_linearize(view, 900));
    ck_assert_uint_ge(view->len, 900);
    ck_assert_uint_eq(view->tot_len, 1500);
    expect_pattern(view, 1000);
    expect_pattern(orig, 0);      /* the original is untouched */
    pbuf_free(orig);
    expect_pattern(view, 1000);   /* and the view keeps the bytes alive on its own */
    pbuf_free(view);
}
END_TEST

START_TEST(linearize_limit)
{
    struct pbuf *p = pbuf_alloc(pool, 4000);
    ck_assert_ptr_null(pbuf_linearize(p, PBUF_LINEARIZE_MAX + 1 + PBUF_STORAGE_CAPACITY));
    pbuf_free(p);
}
END_TEST

START_TEST(clone_is_deep)
{
    struct pbuf *p = pbuf_alloc(pool, 3000);
    fill_pattern(p);
    p->flags = PBUF_F_CSUM_PARTIAL;
    p->csum_start = 20;
    p->csum_offset = 6;
    struct pbuf *c = pbuf_clone(p, NULL);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(c->flags, PBUF_F_CSUM_PARTIAL);
    ck_assert_uint_eq(c->csum_start, 20);
    ck_assert_uint_eq(c->csum_offset, 6);
    expect_pattern(c, 0);
    uint8_t x = 0xee;
    pbuf_copy_in(c, 5, &x, 1);
    expect_pattern(p, 0);
    pbuf_free(p);
    pbuf_free(c);
}
END_TEST

START_TEST(ref_range_shares_storage)
{
    struct pbuf *p = pbuf_alloc(pool, 100);
    fill_pattern(p);
    struct pbuf *r = pbuf_ref_range(p, 10, 50);
    ck_assert_ptr_eq(r->data, p->data + 10);
    ck_assert_uint_eq(r->tot_len, 50);
    uint8_t b = 1;
    /* Shared storage may not be written through either packet. */
    ck_assert_int_eq(pbuf_copy_in(p, 0, &b, 1), -EBUSY);
    ck_assert_int_eq(pbuf_copy_in(r, 0, &b, 1), -EBUSY);
    ck_assert_ptr_null(pbuf_push(p, 1));
    ck_assert_ptr_null(pbuf_ref_range(p, 90, 11));
    struct pbuf *empty = pbuf_ref_range(p, 100, 0);
    ck_assert_ptr_nonnull(empty);
    ck_assert_uint_eq(empty->tot_len, 0);
    pbuf_free(empty);
    pbuf_free(p);
    expect_pattern(r, 10);
    pbuf_free(r);
}
END_TEST

START_TEST(free_queue_frees_all)
{
    struct pbuf *a = pbuf_alloc(pool, 1), *b = pbuf_alloc(pool, 1), *c = pbuf_alloc(pool, 1);
    a->qnext = b;
    b->qnext = c;
    pbuf_free_queue(a);
    pbuf_free(NULL);
}
END_TEST

START_TEST(descriptors_are_bounded)
{
    /* 16 blocks allow 32 descriptors: references beyond that are refused and counted. */
    struct pbuf *p = pbuf_alloc(pool, 10);
    struct pbuf *refs[40];
    unsigned n = 0;
    while (n < 40 && (refs[n] = pbuf_ref_range(p, 0, 5)) != NULL)
        n++;
    ck_assert_uint_eq(n, 31);
    struct pbuf_pool_stats st;
    pbuf_pool_get_stats(pool, &st);
    ck_assert_uint_eq(st.alloc_failures, 1);
    for (unsigned i = 0; i < n; i++)
        pbuf_free(refs[i]);
    pbuf_free(p);
}
END_TEST

START_TEST(destroy_with_leak_reports)
{
    struct pbuf_pool *leaky = pbuf_pool_create("leaky", 4);
    struct pbuf *p = pbuf_alloc(leaky, 10);
    pbuf_pool_destroy(leaky);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "pool leaky destroyed with 1 blocks"));
    pbuf_free(p);   /* the pool was kept, so this is still safe */
    pbuf_pool_destroy(leaky);
}
END_TEST

static Suite *pbuf_suite(void)
{
    Suite *s = suite_create("net_pbuf");
    TCase *tc = tcase_create("pbuf");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, alloc_small_has_headroom);
    tcase_add_test(tc, alloc_large_chains);
    tcase_add_test(tc, pool_bound_counts_failures);
    tcase_add_test(tc, free_list_is_reported_as_cached);
    tcase_add_test(tc, push_and_pull);
    tcase_add_test(tc, shared_chain_is_read_only);
    tcase_add_test(tc, copy_range_checked);
    tcase_add_test(tc, trim_frees_tail_segments);
    tcase_add_test(tc, cat_keeps_lengths);
    tcase_add_test(tc, linearize_in_place);
    tcase_add_test(tc, linearize_shared_storage_uses_fresh_head);
    tcase_add_test(tc, linearize_limit);
    tcase_add_test(tc, clone_is_deep);
    tcase_add_test(tc, ref_range_shares_storage);
    tcase_add_test(tc, free_queue_frees_all);
    tcase_add_test(tc, split_keeps_the_unused_tail);
    tcase_add_test(tc, descriptors_are_bounded);
    tcase_add_test(tc, destroy_with_leak_reports);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(pbuf_suite)
