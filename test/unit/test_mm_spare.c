/*
 * Unit tests for mm/spare: a spare list hands back what it kept (last kept first), never keeps more
 * than its bound nor an object of another size, reports what it holds to the heap as cached, and
 * gives everything back to the heap when drained. Runs on the simulated platform's RAM.
 */
#include <check.h>
#include <stdlib.h>

#include "mm/mm.h"
#include "mm/spare.h"
#include "test/unit/sim/sim.h"
#include "xenolith/test_main.h"

static void setup(void)
{
    sim_reset(0);
    const struct mem_region *regions;
    size_t n = platform_memory(&regions);
    page_allocator_init(regions, n);
}

static struct heap_stats heap_now(void)
{
    struct heap_stats s;
    heap_get_stats(&s);
    return s;
}

START_TEST(keeps_up_to_its_bound_and_reports_cached)
{
    struct spare_list s = { 0 };
    struct heap_stats empty = heap_now();
    void *a = kmalloc(100), *b = kmalloc(100), *c = kmalloc(100);
    ck_assert(a && b && c);
    ck_assert_ptr_null(spare_get(&s, 100));               /* nothing kept yet */
    spare_put(&s, a, 100, 2);
    spare_put(&s, b, 100, 2);
    spare_put(&s, c, 100, 2);   /* over the bound: freed */
    ck_assert_uint_eq(s.count, 2);
    struct heap_stats held = heap_now();
    ck_assert_uint_eq(held.cached_bytes - empty.cached_bytes, 200);
    ck_assert_uint_eq(held.cached_objects - empty.cached_objects, 2);
    ck_assert_ptr_eq(spare_get(&s, 100), b);               /* last kept first */
    ck_assert_ptr_eq(spare_get(&s, 100), a);
    ck_assert_ptr_null(spare_get(&s, 100));
    ck_assert_uint_eq(heap_now().cached_bytes, empty.cached_bytes);
    kfree(a);
    kfree(b);
    ck_assert_uint_eq(heap_now().bytes_in_use, empty.bytes_in_use);
}
END_TEST

START_TEST(one_size_at_a_time)
{
    struct spare_list s = { 0 };
    struct heap_stats empty = heap_now();
    void *a = kmalloc(64), *b = kmalloc(128);
    spare_put(&s, a, 64, 4);
    spare_put(&s, b, 128, 4);   /* another size: freed */
    ck_assert_uint_eq(s.count, 1);
    ck_assert_ptr_null(spare_get(&s, 128));
    ck_assert_ptr_eq(spare_get(&s, 64), a);
    /* Empty again: the next object kept sets the size. */
    spare_put(&s, a, 32, 4);
    ck_assert_ptr_null(spare_get(&s, 64));
    ck_assert_ptr_eq(spare_get(&s, 32), a);
    spare_put(&s, NULL, 32, 4);   /* nothing to keep */
    ck_assert_uint_eq(s.count, 0);
    kfree(a);
    ck_assert_uint_eq(heap_now().bytes_in_use, empty.bytes_in_use);
}
END_TEST

START_TEST(drain_frees_everything)
{
    struct spare_list s = { 0 };
    struct heap_stats empty = heap_now();
    for (unsigned i = 0; i < SPARE_LIST_MAX + 2; i++)
        spare_put(&s, kmalloc(4096), 4096, SPARE_LIST_MAX + 4);
    ck_assert_uint_eq(s.count, SPARE_LIST_MAX);      /* a bound above the maximum: the maximum */
    spare_drain(&s);
    ck_assert_uint_eq(s.count, 0);
    struct heap_stats after = heap_now();
    ck_assert_uint_eq(after.bytes_in_use, empty.bytes_in_use);
    ck_assert_uint_eq(after.cached_bytes, empty.cached_bytes);
    ck_assert_uint_eq(after.cached_objects, empty.cached_objects);
}
END_TEST

static Suite *spare_suite(void)
{
    Suite *s = suite_create("mm_spare");
    TCase *tc = tcase_create("spare");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, keeps_up_to_its_bound_and_reports_cached);
    tcase_add_test(tc, one_size_at_a_time);
    tcase_add_test(tc, drain_frees_everything);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(spare_suite)
