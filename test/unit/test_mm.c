/*
 * Unit tests for mm/page: the buddy page allocator. Regions are carved from an arena aligned
 * to the largest block, so the expected free-block layout of every scenario is exact.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/mm.h"
#include "mm/page_internal.h"
#include "test/unit/expect_crash.h"
#include "test/unit/sim/sim.h"
#include "xenolith/test_main.h"

#define MAX_BLOCK ((uintptr_t)PAGE_SIZE << PAGE_ORDER_MAX)
#define ARENA_BYTES (8 * MAX_BLOCK)

static uintptr_t arena;

static void setup(void)
{
    sim_reset(0);
    if (!arena) {
        void *p = mmap(NULL, ARENA_BYTES + MAX_BLOCK, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ck_assert_ptr_ne(p, MAP_FAILED);
        arena = ((uintptr_t)p + MAX_BLOCK - 1) & ~(MAX_BLOCK - 1);
    }
}

/* Region length that leaves exactly `managed` pages once the descriptor table is carved. */
static size_t length_for_managed(size_t managed)
{
    for (size_t n = managed + 1;; n++) {
        size_t desc_pages = (n * sizeof(struct page_desc) + PAGE_SIZE - 1) / PAGE_SIZE;
        if (n - desc_pages == managed)
            return n * PAGE_SIZE;
    }
}

/* One region of `managed` pages starting `first_page` pages into the arena. */
static void init_one_region(size_t first_page, size_t managed)
{
    struct mem_region r = { arena + first_page * PAGE_SIZE, length_for_managed(managed) };
    page_allocator_init(&r, 1);
}

static struct page_stats stats_now(void)
{
    struct page_stats s;
    page_get_stats(&s);
    return s;
}

static void expect_free_blocks(const uint64_t want[PAGE_ORDER_MAX + 1])
{
    struct page_stats s = stats_now();
    uint64_t pages = 0;
    for (unsigned o = 0; o <= PAGE_ORDER_MAX; o++) {
        ck_assert_msg(s.free_blocks[o] == want[o], "order %u: %llu free blocks, want %llu", o,
                      (unsigned long long)s.free_blocks[o], (unsigned long long)want[o]);
        pages += want[o] << o;
    }
    ck_assert_uint_eq(s.pages_free, pages);
}

static void expect_aligned_inside(void *block, unsigned order, uintptr_t lo, uintptr_t hi)
{
    uintptr_t a = (uintptr_t)block;
    uintptr_t size = (uintptr_t)PAGE_SIZE << order;
    ck_assert_msg((a & (size - 1)) == 0, "%p not aligned to order %u", block, order);
    ck_assert_msg(a >= lo && a + size <= hi, "%p order %u outside the region", block, order);
}

START_TEST(order_for_bytes)
{
    ck_assert_uint_eq(page_order_for(0), 0);
    ck_assert_uint_eq(page_order_for(1), 0);
    ck_assert_uint_eq(page_order_for(PAGE_SIZE), 0);
    ck_assert_uint_eq(page_order_for(PAGE_SIZE + 1), 1);
    ck_assert_uint_eq(page_order_for(3 * PAGE_SIZE), 2);
    ck_assert_uint_eq(page_order_for(MAX_BLOCK), PAGE_ORDER_MAX);
    ck_assert_uint_eq(page_order_for(MAX_BLOCK + 1), PAGE_ORDER_MAX + 1);
}
END_TEST

/* An aligned region of exactly one largest block is one free block of the largest order. */
START_TEST(aligned_region_is_one_block)
{
    init_one_region(0, 1u << PAGE_ORDER_MAX);
    struct page_stats s = stats_now();
    ck_assert_uint_eq(s.pages_total, 1u << PAGE_ORDER_MAX);
    ck_assert_uint_eq(s.alloc_failures, 0);
    uint64_t want[PAGE_ORDER_MAX + 1] = { 0 };
    want[PAGE_ORDER_MAX] = 1;
    expect_free_blocks(want);
}
END_TEST

/* Allocating one page splits the largest block into one free block of every smaller order;
 * freeing it merges everything back. */
START_TEST(split_and_merge_back)
{
    init_one_region(0, 1u << PAGE_ORDER_MAX);
    void *p = page_alloc(0);
    ck_assert_ptr_nonnull(p);
    expect_aligned_inside(p, 0, arena, arena + MAX_BLOCK);
    uint64_t split[PAGE_ORDER_MAX + 1];
    for (unsigned o = 0; o < PAGE_ORDER_MAX; o++)
        split[o] = 1;
    split[PAGE_ORDER_MAX] = 0;
    expect_free_blocks(split);
    page_free(p, 0);
    uint64_t whole[PAGE_ORDER_MAX + 1] = { 0 };
    whole[PAGE_ORDER_MAX] = 1;
    expect_free_blocks(whole);
}
END_TEST

/* One block of every order at once: each aligned to its size, counters exact after each step,
 * and the initial layout back after freeing in a scrambled order. */
START_TEST(every_order_then_back_to_initial)
{
    init_one_region(0, 4u << PAGE_ORDER_MAX);
    struct page_stats initial = stats_now();
    void *blocks[PAGE_ORDER_MAX + 1];
    uint64_t expect_free = initial.pages_free;
    for (unsigned o = 0; o <= PAGE_ORDER_MAX; o++) {
        blocks[o] = page_alloc(o);
        ck_assert_ptr_nonnull(blocks[o]);
        expect_aligned_inside(blocks[o], o, arena, arena + 4 * MAX_BLOCK);
        memset(blocks[o], (int)o, (size_t)PAGE_SIZE << o); /* the memory is really usable */
        expect_free -= 1u << o;
        ck_assert_uint_eq(stats_now().pages_free, expect_free);
    }
    for (unsigned o = 0; o <= PAGE_ORDER_MAX; o++) {
        const uint8_t *b = blocks[o];
        ck_assert_uint_eq(b[0], o);
        ck_assert_uint_eq(b[((size_t)PAGE_SIZE << o) - 1], o);
    }
    static const unsigned free_order[] = { 5, 0, 10, 3, 7, 1, 9, 2, 8, 4, 6 };
    for (size_t i = 0; i < sizeof(free_order) / sizeof(free_order[0]); i++) {
        unsigned o = free_order[i];
        page_free(blocks[o], o);
        expect_free += 1u << o;
        ck_assert_uint_eq(stats_now().pages_free, expect_free);
    }
    struct page_stats after = stats_now();
    ck_assert_mem_eq(after.free_blocks, initial.free_blocks, sizeof(initial.free_blocks));
    ck_assert_uint_eq(after.pages_free, initial.pages_total);
}
END_TEST

/* Every page allocated singly, every other one freed (no buddy is free: no merge), then the
 * rest: one largest block again. */
START_TEST(fragmentation_then_coalescing)
{
    const size_t n = 1u << PAGE_ORDER_MAX;
    init_one_region(0, n);
    static void *pages[1u << PAGE_ORDER_MAX];
    for (size_t i = 0; i < n; i++) {
        pages[i] = page_alloc(0);
        ck_assert_ptr_nonnull(pages[i]);
    }
    ck_assert_uint_eq(stats_now().pages_free, 0);
    ck_assert_ptr_null(page_alloc(0));
    ck_assert_uint_eq(stats_now().alloc_failures, 1);
    /* Pages at even page numbers are the lower buddies of their pairs. */
    uintptr_t lowest = arena;
    for (size_t i = 0; i < n; i++)
        if ((((uintptr_t)pages[i] - lowest) / PAGE_SIZE) % 2 == 0)
            page_free(pages[i], 0);
    uint64_t half[PAGE_ORDER_MAX + 1] = { 0 };
    half[0] = n / 2;
    expect_free_blocks(half);
    /* Fragmented: half the memory is free, yet no two pages in a row. */
    ck_assert_ptr_null(page_alloc(1));
    ck_assert_uint_eq(stats_now().alloc_failures, 2);
    for (size_t i = 0; i < n; i++)
        if ((((uintptr_t)pages[i] - lowest) / PAGE_SIZE) % 2 == 1)
            page_free(pages[i], 0);
    uint64_t whole[PAGE_ORDER_MAX + 1] = { 0 };
    whole[PAGE_ORDER_MAX] = 1;
    expect_free_blocks(whole);
}
END_TEST

START_TEST(exhaustion_returns_null_and_counts)
{
    init_one_region(0, 1u << PAGE_ORDER_MAX);
    void *all = page_alloc(PAGE_ORDER_MAX);
    ck_assert_ptr_nonnull(all);
    ck_assert_ptr_null(page_alloc(0));
    ck_assert_ptr_null(page_alloc(PAGE_ORDER_MAX));
    ck_assert_ptr_null(page_alloc(PAGE_ORDER_MAX + 1));
    struct page_stats s = stats_now();
    ck_assert_uint_eq(s.alloc_failures, 3);
    ck_assert_uint_eq(s.pages_free, 0);
    page_free(all, PAGE_ORDER_MAX);
    ck_assert_ptr_nonnull(page_alloc(0));
    ck_assert_uint_eq(stats_now().alloc_failures, 3);
}
END_TEST

/* A region starting 3 pages into an aligned area and ending at page 32 is cut into the largest
 * self-aligned blocks: pages 3 (order 0), 4-7 (order 2), 8-15 (order 3), 16-31 (order 4).
 * Base and end off page boundaries are trimmed inwards. */
START_TEST(unaligned_region_trimmed_and_split)
{
    size_t length = length_for_managed(29);
    struct mem_region r = { arena + 3 * PAGE_SIZE - 100, length + 100 + 50 };
    page_allocator_init(&r, 1);
    ck_assert_uint_eq(stats_now().pages_total, 29);
    uint64_t want[PAGE_ORDER_MAX + 1] = { 0 };
    want[0] = want[2] = want[3] = want[4] = 1;
    expect_free_blocks(want);
    /* Exhaust page by page: every page inside the trimmed range, none twice. */
    bool seen[32] = { false };
    for (int i = 0; i < 29; i++) {
        uintptr_t p = (uintptr_t)page_alloc(0);
        ck_assert_uint_ne(p, 0);
        ck_assert_uint_ge(p, arena + 3 * PAGE_SIZE);
        ck_assert_uint_lt(p, arena + 32 * PAGE_SIZE);
        size_t idx = (p - arena) / PAGE_SIZE;
        ck_assert(!seen[idx]);
        seen[idx] = true;
    }
    ck_assert_ptr_null(page_alloc(0));
}
END_TEST

/* Buddies never merge across a region's edge: a block whose buddy lies outside stays put. */
START_TEST(no_merge_beyond_region)
{
    init_one_region(0, 3);   /* pages 0-1 (order 1) and 2 (order 0); page 3 is not managed */
    uint64_t want[PAGE_ORDER_MAX + 1] = { 1, 1 };
    expect_free_blocks(want);
    void *p = page_alloc(0);
    ck_assert_ptr_eq(p, (void *)(arena + 2 * PAGE_SIZE));
    page_free(p, 0);
    expect_free_blocks(want);
}
END_TEST

START_TEST(several_regions)
{
    struct mem_region r[3] = {
        { arena, length_for_managed(4) },
        { arena + MAX_BLOCK, 100 },               /* smaller than a page: ignored */
        { arena + 2 * MAX_BLOCK, length_for_managed(8) },
    };
    page_allocator_init(r, 3);
    struct page_stats s = stats_now();
    ck_assert_uint_eq(s.pages_total, 12);
    uint64_t want[PAGE_ORDER_MAX + 1] = { 0, 0, 1, 1 };
    expect_free_blocks(want);
    void *big = page_alloc(3);
    expect_aligned_inside(big, 3, arena + 2 * MAX_BLOCK, arena + 3 * MAX_BLOCK);
    void *small = page_alloc(2);
    expect_aligned_inside(small, 2, arena, arena + MAX_BLOCK);
    ck_assert_ptr_null(page_alloc(0));
    page_free(big, 3);
    page_free(small, 2);
    expect_free_blocks(want);
}
END_TEST

/* Runs of any length take exactly that many pages; the block's tail goes back at once. */
START_TEST(exact_runs)
{
    init_one_region(0, 2u << PAGE_ORDER_MAX);
    uint64_t total = stats_now().pages_total;
    void *a = page_alloc_run(18);
    void *b = page_alloc_run(1);
    void *c = page_alloc_run(1000);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(stats_now().pages_free, total - 18 - 1 - 1000);
    memset(a, 1, 18 * PAGE_SIZE);
    memset(c, 3, 1000 * PAGE_SIZE);
    page_free_run(c, 1000);
    page_free_run(a, 18);
    page_free_run(b, 1);
    uint64_t whole[PAGE_ORDER_MAX + 1] = { 0 };
    whole[PAGE_ORDER_MAX] = 2;
    expect_free_blocks(whole);
    ck_assert_ptr_null(page_alloc_run(0));
    ck_assert_ptr_null(page_alloc_run((1u << PAGE_ORDER_MAX) + 1));
    ck_assert_uint_eq(stats_now().alloc_failures, 2);
}
END_TEST

/* Random allocations and frees against a shadow map of which page belongs to which block:
 * no two live blocks overlap, pages_free matches, and everything merges back at the end. */
START_TEST(random_stress_against_shadow)
{
    const size_t n = 4u << PAGE_ORDER_MAX;
    init_one_region(0, n);
    struct page_stats initial = stats_now();
    static int16_t owner[4u << PAGE_ORDER_MAX];
    enum { SLOTS = 200 };
    void *live[SLOTS] = { 0 };
    unsigned order[SLOTS] = { 0 };
    memset(owner, -1, sizeof(owner));
    uint64_t used = 0;
    srandom(7);
    for (int step = 0; step < 20000; step++) {
        int slot = (int)(random() % SLOTS);
        if (live[slot]) {
            size_t first = ((uintptr_t)live[slot] - arena) / PAGE_SIZE;
            for (size_t i = 0; i < (1u << order[slot]); i++) {
                ck_assert_int_eq(owner[first + i], slot);
                owner[first + i] = -1;
            }
            page_free(live[slot], order[slot]);
            used -= 1u << order[slot];
            live[slot] = NULL;
        } else {
            /* Mostly small blocks, sometimes large ones, so exhaustion happens too. */
            unsigned o = (random() % 8 == 0) ? (unsigned)(random() % (PAGE_ORDER_MAX + 1))
                                              : (unsigned)(random() % 4);
            void *p = page_alloc(o);
            if (!p) {
                struct page_stats s = stats_now(); /* failing is right only if nothing fits */
                for (unsigned k = o; k <= PAGE_ORDER_MAX; k++)
                    ck_assert_uint_eq(s.free_blocks[k], 0);
                continue;
            }
            expect_aligned_inside(p, o, arena, arena + n * PAGE_SIZE);
            size_t first = ((uintptr_t)p - arena) / PAGE_SIZE;
            for (size_t i = 0; i < (1u << o); i++) {
                ck_assert_int_eq(owner[first + i], -1);
                owner[first + i] = (int16_t)slot;
            }
            live[slot] = p;
            order[slot] = o;
            used += 1u << o;
        }
        ck_assert_uint_eq(stats_now().pages_free, initial.pages_total - used);
    }
    for (int slot = 0; slot < SLOTS; slot++)
        if (live[slot])
            page_free(live[slot], order[slot]);
    struct page_stats after = stats_now();
    ck_assert_mem_eq(after.free_blocks, initial.free_blocks, sizeof(initial.free_blocks));
}
END_TEST

/* ---- Misuse is a kernel bug: it panics with a message naming the address and the problem. */

static void double_free(void *arg)
{
    init_one_region(0, 16);
    void *p = page_alloc(1);
    void *keep = page_alloc(1); /* the buddy stays allocated: p is still a free head */
    (void)keep;
    page_free(p, 1);
    page_free(p, 1);
}

static void double_free_after_merge(void *arg)
{
    init_one_region(0, 16);
    void *a = page_alloc(0);
    void *b = page_alloc(0);
    page_free(a, 0);
    page_free(b, 0); /* merged with a: whichever is upper is now inside a free block */
    page_free((uintptr_t)a > (uintptr_t)b ? a : b, 0);
}

static void wrong_order(void *arg)
{
    init_one_region(0, 16);
    void *p = page_alloc(2);
    page_free(p, 1);
}

static void never_allocated(void *arg)
{
    init_one_region(0, 16);
    void *p = page_alloc(2);
    page_free((uint8_t *)p + PAGE_SIZE, 0); /* a page inside the block */
}

static void foreign_pointer(void *arg)
{
    static uint8_t outside[2 * PAGE_SIZE];
    init_one_region(0, 16);
    page_free((void *)(((uintptr_t)outside + PAGE_SIZE - 1) & ~(uintptr_t)(PAGE_SIZE - 1)), 0);
}

static void misaligned_pointer(void *arg)
{
    init_one_region(0, 16);
    uint8_t *p = page_alloc(0);
    page_free(p + 16, 0);
}

static void expect_panic(void (*fn)(void *), const char *message)
{
    struct crash_report r;
    run_expecting_crash(fn, NULL, &r);
    ck_assert_msg(r.exit_status == SIM_EXIT_CRASH, "exit status %d, output:\n%s", r.exit_status,
                  r.output);
    ck_assert_msg(strstr(r.output, message) != NULL, "no \"%s\" in:\n%s", message, r.output);
}

START_TEST(double_free_panics)
{
    expect_panic(double_free, "double free");
    expect_panic(double_free_after_merge, "not the start of an allocated block");
}
END_TEST

START_TEST(wrong_order_panics)
{
    expect_panic(wrong_order, "allocated with order 2");
}
END_TEST

START_TEST(never_allocated_panics)
{
    expect_panic(never_allocated, "not the start of an allocated block");
    expect_panic(foreign_pointer, "not memory of the page allocator");
    expect_panic(misaligned_pointer, "not page-aligned");
}
END_TEST

/* ---- lazy preparation: boot writes no descriptor, chunks are prepared on demand ---- */

#define GARBAGE 0xa5

/* The descriptor table of a region made by init_one_region(first_page, managed): it sits
 * right after the managed pages. */
static const uint8_t *descriptor_table(size_t first_page, size_t managed)
{
    return (const uint8_t *)(arena + (first_page + managed) * PAGE_SIZE);
}

static size_t garbage_bytes(const uint8_t *p, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += p[i] == GARBAGE;
    return n;
}

/* Memory the loader left dirty: the descriptors are never read before being written. */
static void dirty_arena(size_t pages)
{
    memset((void *)arena, GARBAGE, pages * PAGE_SIZE);
}

/* page_allocator_init writes no descriptor (the whole-memory pass boot no longer makes), yet
 * counts every block; the first allocation prepares the first chunk only. */
START_TEST(init_touches_no_descriptor)
{
    const size_t managed = 4u << PAGE_ORDER_MAX;
    const size_t table = managed * sizeof(struct page_desc);
    dirty_arena(length_for_managed(managed) / PAGE_SIZE);
    init_one_region(0, managed);
    ck_assert_uint_eq(garbage_bytes(descriptor_table(0, managed), table), table);
    uint64_t four[PAGE_ORDER_MAX + 1] = { 0 };
    four[PAGE_ORDER_MAX] = 4;
    expect_free_blocks(four);
    void *p = page_alloc(0);
    expect_aligned_inside(p, 0, arena, arena + MAX_BLOCK);
    const size_t chunk_table = ((size_t)1 << PAGE_ORDER_MAX) * sizeof(struct page_desc);
    ck_assert_uint_eq(garbage_bytes(descriptor_table(0, managed), table), table - chunk_table);
    page_free(p, 0);
    expect_free_blocks(four);
}
END_TEST

/* Allocation past the prepared chunks: every largest block of a dirty region, then every
 * page, comes out once, aligned and distinct; freeing all gives back the initial layout. */
START_TEST(allocation_beyond_prepared_chunks)
{
    const size_t managed = 3u << PAGE_ORDER_MAX;
    dirty_arena(length_for_managed(managed) / PAGE_SIZE);
    init_one_region(0, managed);
    struct page_stats initial = stats_now();
    void *big[3];
    for (int i = 0; i < 3; i++) {
        big[i] = page_alloc(PAGE_ORDER_MAX);
        ck_assert_ptr_nonnull(big[i]);
        expect_aligned_inside(big[i], PAGE_ORDER_MAX, arena, arena + 3 * MAX_BLOCK);
        for (int j = 0; j < i; j++)
            ck_assert_ptr_ne(big[i], big[j]);
    }
    ck_assert_ptr_null(page_alloc(0));
    for (int i = 0; i < 3; i++)
        page_free(big[i], PAGE_ORDER_MAX);
    ck_assert_mem_eq(stats_now().free_blocks, initial.free_blocks, sizeof(initial.free_blocks));
    static uint8_t seen[3u << PAGE_ORDER_MAX];
    memset(seen, 0, sizeof(seen));
    static void *pages[3u << PAGE_ORDER_MAX];
    for (size_t i = 0; i < managed; i++) {
        pages[i] = page_alloc(0);
        ck_assert_ptr_nonnull(pages[i]);
        size_t index = ((uintptr_t)pages[i] - arena) / PAGE_SIZE;
        ck_assert_uint_lt(index, managed);
        ck_assert_uint_eq(seen[index], 0);
        seen[index] = 1;
    }
    ck_assert_ptr_null(page_alloc(0));
    for (size_t i = managed; i-- > 0;)
        page_free(pages[i], 0);
    ck_assert_mem_eq(stats_now().free_blocks, initial.free_blocks, sizeof(initial.free_blocks));
    ck_assert_uint_eq(stats_now().pages_free, managed);
}
END_TEST

/* A memory map with holes and regions off the largest-block grid: the edge chunks are partial,
 * a hole lies between the regions, and every page of each region is handed out exactly once
 * with none from the hole. */
START_TEST(holes_and_partial_chunks)
{
    dirty_arena(8u << PAGE_ORDER_MAX);
    struct mem_region r[2] = {
        /* starts 3 pages into a chunk, runs over the next chunk's start */
        { arena + 3 * PAGE_SIZE, length_for_managed((1u << PAGE_ORDER_MAX) + 200) },
        /* after a hole of several chunks */
        { arena + 5 * MAX_BLOCK + 7 * PAGE_SIZE, length_for_managed(500) },
    };
    page_allocator_init(r, 2);
    struct page_stats initial = stats_now();
    size_t total = (1u << PAGE_ORDER_MAX) + 200 + 500;
    ck_assert_uint_eq(initial.pages_total, total);
    static void *pages[(1u << PAGE_ORDER_MAX) + 700];
    for (size_t i = 0; i < total; i++) {
        pages[i] = page_alloc(0);
        ck_assert_ptr_nonnull(pages[i]);
        uintptr_t a = (uintptr_t)pages[i];
        bool in_first = a >= r[0].base && a < r[0].base + ((1u << PAGE_ORDER_MAX) + 200) * PAGE_SIZE;
        bool in_second = a >= r[1].base && a < r[1].base + 500 * PAGE_SIZE;
        ck_assert_msg(in_first || in_second, "page %p outside both regions", pages[i]);
        memset(pages[i], 0, PAGE_SIZE);
    }
    ck_assert_ptr_null(page_alloc(0));
    for (size_t i = 0; i < total; i += 2)
        page_free(pages[i], 0);
    for (size_t i = 1; i < total; i += 2)
        page_free(pages[i], 0);
    ck_assert_mem_eq(stats_now().free_blocks, initial.free_blocks, sizeof(initial.free_blocks));
}
END_TEST

static void free_in_unprepared_chunk(void *arg)
{
    (void)arg;
    dirty_arena(length_for_managed(2u << PAGE_ORDER_MAX) / PAGE_SIZE);
    init_one_region(0, 2u << PAGE_ORDER_MAX);
    page_free(page_alloc(0), 0);          /* the first chunk only is prepared */
    page_free((void *)(arena + MAX_BLOCK + 5 * PAGE_SIZE), 0);
}

/* A pointer into a chunk nothing was allocated from is still refused as never allocated
 * (the dirty descriptors under it are never taken for a block). */
START_TEST(free_in_unprepared_chunk_panics)
{
    expect_panic(free_in_unprepared_chunk, "not the start of an allocated block");
}
END_TEST

static Suite *mm_suite(void)
{
    Suite *s = suite_create("mm_page");
    TCase *tc = tcase_create("buddy");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, order_for_bytes);
    tcase_add_test(tc, aligned_region_is_one_block);
    tcase_add_test(tc, split_and_merge_back);
    tcase_add_test(tc, every_order_then_back_to_initial);
    tcase_add_test(tc, fragmentation_then_coalescing);
    tcase_add_test(tc, exhaustion_returns_null_and_counts);
    tcase_add_test(tc, unaligned_region_trimmed_and_split);
    tcase_add_test(tc, no_merge_beyond_region);
    tcase_add_test(tc, several_regions);
    tcase_add_test(tc, exact_runs);
    tcase_add_test(tc, random_stress_against_shadow);
    tcase_add_test(tc, double_free_panics);
    tcase_add_test(tc, wrong_order_panics);
    tcase_add_test(tc, never_allocated_panics);
    tcase_add_test(tc, init_touches_no_descriptor);
    tcase_add_test(tc, allocation_beyond_prepared_chunks);
    tcase_add_test(tc, holes_and_partial_chunks);
    tcase_add_test(tc, free_in_unprepared_chunk_panics);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(mm_suite)
