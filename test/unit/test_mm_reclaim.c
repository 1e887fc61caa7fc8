/*
 * Unit tests for mm/reclaim, the memory-pressure hooks (xenolith/mem.h): with every page taken,
 * an allocation calls the registered hooks before it fails and succeeds with what they freed; a
 * heap object a hook frees is reused even when no page came free; an allocation with nothing to
 * reclaim still fails cleanly (NULL, counted); a hook's own allocation gets no reclaim (no
 * recursion); a hook that claims memory it did not free cannot keep an allocation looping; the
 * table is bounded. Runs on the simulated platform's RAM.
 */
#include <check.h>
#include <stdlib.h>

#include "lib/errno.h"
#include "mm/mm.h"
#include "mm/reclaim.h"
#include "test/unit/sim/sim.h"
#include "xenolith/test_main.h"

static void setup(void)
{
    sim_reset(0);
    const struct mem_region *regions;
    size_t n = platform_memory(&regions);
    page_allocator_init(regions, n);
}

/* Every page of the allocator, taken largest blocks first (none is ever given back: each test
 * runs in its own process). */
static void take_all_pages(void)
{
    for (int order = PAGE_ORDER_MAX; order >= 0; order--)
        while (page_alloc((unsigned)order))
            ;
    struct page_stats s;
    page_get_stats(&s);
    ck_assert_uint_eq(s.pages_free, 0);
}

static uint64_t page_failures(void)
{
    struct page_stats s;
    page_get_stats(&s);
    return s.alloc_failures;
}

static uint64_t heap_failures(void)
{
    struct heap_stats s;
    heap_get_stats(&s);
    return s.alloc_failures;
}

/* A cache of single pages it gives back one a call. */
struct page_cache {
    void *pages[8];
    unsigned held;
    unsigned calls;
    size_t last_asked;
    unsigned depth, max_depth;
    bool allocate_inside;                /* the hook tries an allocation of its own first */
    void *inner;                         /* what that allocation gave */
};

static size_t give_page(void *arg, size_t bytes)
{
    struct page_cache *pc = arg;
    pc->calls++;
    pc->last_asked = bytes;
    if (++pc->depth > pc->max_depth)
        pc->max_depth = pc->depth;
    if (pc->allocate_inside)
        pc->inner = kmalloc(100);
    size_t freed = 0;
    if (pc->held > 0) {
        page_free(pc->pages[--pc->held], 0);
        freed = PAGE_SIZE;
    }
    pc->depth--;
    return freed;
}

static void fill(struct page_cache *pc, unsigned pages)
{
    for (; pc->held < pages; pc->held++)
        ck_assert_ptr_nonnull(pc->pages[pc->held] = page_alloc(0));
}

START_TEST(allocation_succeeds_after_reclaim)
{
    static struct page_cache pc;
    fill(&pc, 3);
    take_all_pages();
    uint64_t failures = page_failures();
    ck_assert_int_eq(mem_reclaim_register(give_page, &pc), 0);
    /* A small object needs a fresh slab page: the hook is asked for one page and gives it. */
    void *obj = kmalloc(100);
    ck_assert_ptr_nonnull(obj);
    ck_assert_uint_eq(pc.calls, 1);
    ck_assert_uint_eq(pc.last_asked, PAGE_SIZE);
    ck_assert_uint_eq(pc.held, 2);
    void *page = page_alloc(0);
    ck_assert_ptr_nonnull(page);
    ck_assert_uint_eq(pc.calls, 2);
    ck_assert_uint_eq(pc.held, 1);
    ck_assert_uint_eq(page_failures(), failures);   /* reclaimed, not failed */
    mem_reclaim_unregister(give_page, &pc);
}
END_TEST

START_TEST(fails_cleanly_when_nothing_to_reclaim)
{
    static struct page_cache pc;         /* holds nothing */
    take_all_pages();
    ck_assert_int_eq(mem_reclaim_register(give_page, &pc), 0);
    uint64_t pf = page_failures(), hf = heap_failures();
    ck_assert_ptr_null(kmalloc(100));
    ck_assert_uint_eq(pc.calls, 1);
    ck_assert_ptr_null(kmalloc(3 * PAGE_SIZE));
    ck_assert_uint_eq(pc.last_asked, 4 * PAGE_SIZE);  /* the order-2 block the request needs */
    ck_assert_uint_eq(pc.calls, 2);
    ck_assert_uint_eq(page_failures(), pf + 2);
    ck_assert_uint_eq(heap_failures(), hf + 2);
    mem_reclaim_unregister(give_page, &pc);
    ck_assert_ptr_null(page_alloc(0));
    ck_assert_uint_eq(pc.calls, 2);      /* unregistered: no longer asked */
}
END_TEST

START_TEST(hook_allocation_gets_no_reclaim)
{
    static struct page_cache pc = { .allocate_inside = true };
    fill(&pc, 1);
    take_all_pages();
    ck_assert_int_eq(mem_reclaim_register(give_page, &pc), 0);
    void *page = page_alloc(0);
    ck_assert_ptr_nonnull(page);
    ck_assert_ptr_null(pc.inner);        /* failed at once: memory was short */
    ck_assert_uint_eq(pc.calls, 1);      /* the hook did not run again inside itself */
    ck_assert_uint_eq(pc.max_depth, 1);
    mem_reclaim_unregister(give_page, &pc);
}
END_TEST

static unsigned lies;

static size_t claims_without_freeing(void *arg, size_t bytes)
{
    (void)arg;
    lies++;
    return bytes;
}

START_TEST(rounds_are_bounded)
{
    take_all_pages();
    ck_assert_int_eq(mem_reclaim_register(claims_without_freeing, NULL), 0);
    ck_assert_ptr_null(page_alloc(0));
    ck_assert_uint_eq(lies, MM_RECLAIM_ROUNDS);
    mem_reclaim_unregister(claims_without_freeing, NULL);
}
END_TEST

/* Frees one heap object whose slab keeps others in use: no page comes free, yet the object's
 * class has room again. */
static void *held_object;

static size_t give_object(void *arg, size_t bytes)
{
    (void)arg;
    (void)bytes;
    if (!held_object)
        return 0;
    kfree(held_object);
    held_object = NULL;
    return 2048;
}

START_TEST(freed_object_reused_without_a_page)
{
    void *pair[2] = { kmalloc(2048), kmalloc(2048) };   /* one slab page holds two */
    ck_assert_ptr_nonnull(pair[0]);
    ck_assert_ptr_nonnull(pair[1]);
    take_all_pages();
    while (kmalloc(2048))                /* every slab of the class full */
        ;
    held_object = pair[0];
    ck_assert_int_eq(mem_reclaim_register(give_object, NULL), 0);
    ck_assert_ptr_eq(kmalloc(2000), pair[0]);
    mem_reclaim_unregister(give_object, NULL);
}
END_TEST

static size_t first_hook(void *arg, size_t bytes)
{
    (void)bytes;
    ++*(unsigned *)arg;
    return 0;
}

START_TEST(table_bounded_and_in_order)
{
    static struct page_cache pc;
    static unsigned counts[MEM_RECLAIM_HOOKS];
    fill(&pc, 1);
    take_all_pages();
    ck_assert_int_eq(mem_reclaim_register(first_hook, &counts[0]), 0);
    ck_assert_int_eq(mem_reclaim_register(first_hook, &counts[0]), 0);   /* once only */
    ck_assert_int_eq(mem_reclaim_register(give_page, &pc), 0);
    for (unsigned i = 1; i + 1 < MEM_RECLAIM_HOOKS; i++)
        ck_assert_int_eq(mem_reclaim_register(first_hook, &counts[i]), 0);
    ck_assert_int_eq(mem_reclaim_register(first_hook, &counts[MEM_RECLAIM_HOOKS - 1]), -ENOSPC);
    /* Asked in registration order until one frees: the first (nothing), then the page cache. */
    ck_assert_ptr_nonnull(page_alloc(0));
    ck_assert_uint_eq(counts[0], 1);
    ck_assert_uint_eq(pc.calls, 1);
    ck_assert_uint_eq(counts[1], 0);
    /* Nothing left anywhere: every hook is asked once, then the allocation fails. */
    ck_assert_ptr_null(page_alloc(0));
    ck_assert_uint_eq(counts[0], 2);
    ck_assert_uint_eq(pc.calls, 2);
    for (unsigned i = 1; i + 1 < MEM_RECLAIM_HOOKS; i++)
        ck_assert_uint_eq(counts[i], 1);
    mem_reclaim_unregister(first_hook, &counts[0]);
    ck_assert_int_eq(mem_reclaim_register(first_hook, &counts[MEM_RECLAIM_HOOKS - 1]), 0);
}
END_TEST

static Suite *reclaim_suite(void)
{
    Suite *s = suite_create("mm_reclaim");
    TCase *tc = tcase_create("reclaim");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, allocation_succeeds_after_reclaim);
    tcase_add_test(tc, fails_cleanly_when_nothing_to_reclaim);
    tcase_add_test(tc, hook_allocation_gets_no_reclaim);
    tcase_add_test(tc, rounds_are_bounded);
    tcase_add_test(tc, freed_object_reused_without_a_page);
    tcase_add_test(tc, table_bounded_and_in_order);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(reclaim_suite)
