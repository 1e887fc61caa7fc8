/*
 * Unit tests for mm/heap: size classes, large allocations, krealloc/kcalloc semantics, exact
 * statistics, poisoning of freed memory (our own check and ASan's), a new slab carved by a bump
 * index (objects never handed out are neither written nor checked; freed ones are), guarded
 * allocations, and the panics for invalid frees. Runs on the simulated platform's 32 MiB of RAM.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sanitizer/asan_interface.h>

#include "mm/mm.h"
#include "test/unit/expect_crash.h"
#include "test/unit/sim/sim.h"
#include "xenolith/test_main.h"

static struct page_stats initial_pages;

static void setup(void)
{
    sim_reset(0);
    const struct mem_region *regions;
    size_t n = platform_memory(&regions);
    page_allocator_init(regions, n);
    page_get_stats(&initial_pages);
}

static struct heap_stats heap_now(void)
{
    struct heap_stats s;
    heap_get_stats(&s);
    return s;
}

static struct page_stats pages_now(void)
{
    struct page_stats s;
    page_get_stats(&s);
    return s;
}

/* Everything freed: no object counted, and every page back in the initial blocks. */
static void expect_heap_empty(void)
{
    struct heap_stats h = heap_now();
    for (unsigned c = 0; c < HEAP_CLASSES; c++)
        ck_assert_msg(h.class_in_use[c] == 0, "class %u: %llu in use", c,
                      (unsigned long long)h.class_in_use[c]);
    ck_assert_uint_eq(h.bytes_in_use, 0);
    ck_assert_uint_eq(h.large_in_use, 0);
    struct page_stats p = pages_now();
    ck_assert_uint_eq(p.pages_free, initial_pages.pages_total);
    ck_assert_mem_eq(p.free_blocks, initial_pages.free_blocks, sizeof(p.free_blocks));
}

static unsigned class_of(size_t size)
{
    unsigned c = 0;
    while ((16u << c) < size)
        c++;
    return c;
}

START_TEST(class_sizes_reported)
{
    struct heap_stats h = heap_now();
    for (unsigned c = 0; c < HEAP_CLASSES; c++)
        ck_assert_uint_eq(h.class_size[c], 16u << c);
}
END_TEST

/* Each class, at its exact size and one byte over the previous class: the right class is
 * charged, the requested bytes are counted, the object is 16-byte aligned and fully usable. */
START_TEST(every_class)
{
    for (unsigned c = 0; c < HEAP_CLASSES; c++) {
        size_t sizes[2] = { 16u << c, c ? (8u << c) + 1 : 1 };
        for (int k = 0; k < 2; k++) {
            size_t size = sizes[k];
            uint8_t *p = kmalloc(size);
            ck_assert_ptr_nonnull(p);
            ck_assert_uint_eq((uintptr_t)p % 16, 0);
            memset(p, 0xa5, size);
            struct heap_stats h = heap_now();
            ck_assert_uint_eq(class_of(size), c);
            ck_assert_uint_eq(h.class_in_use[c], 1);
            ck_assert_uint_eq(h.bytes_in_use, size);
            ck_assert_uint_eq(h.large_in_use, 0);
            ck_assert_uint_eq(pages_now().pages_free, initial_pages.pages_free - 1);
            kfree(p);
            expect_heap_empty();
        }
    }
}
END_TEST

START_TEST(zero_size_is_unique_object)
{
    void *a = kmalloc(0), *b = kmalloc(0);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_ne(a, b);
    ck_assert_uint_eq(heap_now().class_in_use[0], 2);
    ck_assert_uint_eq(heap_now().bytes_in_use, 0);
    kfree(a);
    kfree(b);
    kfree(NULL);
    expect_heap_empty();
}
END_TEST

/* Thousands of objects of one class span many slab pages; none overlaps another. */
START_TEST(many_objects_do_not_overlap)
{
    enum { N = 3000 };
    static uint8_t *objs[N];
    for (int i = 0; i < N; i++) {
        objs[i] = kmalloc(48);
        ck_assert_ptr_nonnull(objs[i]);
        memset(objs[i], i & 0xff, 48);
    }
    ck_assert_uint_eq(heap_now().class_in_use[class_of(48)], N);
    ck_assert_uint_eq(heap_now().bytes_in_use, 48u * N);
    ck_assert_uint_ge(initial_pages.pages_free - pages_now().pages_free, N * 64 / PAGE_SIZE);
    for (int i = 0; i < N; i++)
        for (int b = 0; b < 48; b++)
            ck_assert_uint_eq(objs[i][b], i & 0xff);
    for (int i = 0; i < N; i += 2)
        kfree(objs[i]);
    for (int i = 1; i < N; i += 2)
        kfree(objs[i]);
    expect_heap_empty();
}
END_TEST

START_TEST(large_allocations)
{
    uint8_t *p = kmalloc(PAGE_SIZE + 1);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % PAGE_SIZE, 0);
    struct heap_stats h = heap_now();
    ck_assert_uint_eq(h.large_in_use, 1);
    ck_assert_uint_eq(h.bytes_in_use, PAGE_SIZE + 1);
    ck_assert_uint_eq(pages_now().pages_free, initial_pages.pages_free - 2);
    memset(p, 1, PAGE_SIZE + 1);
    size_t biggest = (size_t)PAGE_SIZE << PAGE_ORDER_MAX;
    uint8_t *q = kmalloc(biggest);
    ck_assert_ptr_nonnull(q);
    memset(q, 2, biggest);
    ck_assert_ptr_null(kmalloc(biggest + 1));
    h = heap_now();
    ck_assert_uint_eq(h.alloc_failures, 1);
    ck_assert_uint_eq(h.large_in_use, 2);
    ck_assert_uint_eq(h.bytes_in_use, PAGE_SIZE + 1 + biggest);
    kfree(q);
    kfree(p);
    expect_heap_empty();
}
END_TEST

START_TEST(exhaustion_counts_failure)
{
    size_t biggest = (size_t)PAGE_SIZE << PAGE_ORDER_MAX;
    static void *blocks[64];
    int n = 0;
    while ((blocks[n] = kmalloc(biggest)) != NULL)
        n++;
    ck_assert_int_gt(n, 0);
    ck_assert_uint_eq(heap_now().alloc_failures, 1);
    /* Small objects still come from what is left, until that is gone too. */
    int small = 0;
    static void *objs[200000];
    while ((objs[small] = kmalloc(4096)) != NULL)
        small++;
    ck_assert_uint_eq(heap_now().alloc_failures, 2);
    ck_assert_uint_eq(pages_now().pages_free, 0);
    for (int i = 0; i < small; i++)
        kfree(objs[i]);
    for (int i = 0; i < n; i++)
        kfree(blocks[i]);
    expect_heap_empty();
}
END_TEST

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 7);
}

static void expect_filled(const uint8_t *p, size_t n, uint8_t seed)
{
    size_t i = 0;
    while (i < n && p[i] == (uint8_t)(seed + i * 7))
        i++;
    ck_assert_msg(i == n, "byte %zu of %zu changed", i, n);
}

START_TEST(realloc_semantics)
{
    /* NULL behaves as kmalloc. */
    uint8_t *p = krealloc(NULL, 20);
    ck_assert_ptr_nonnull(p);
    fill(p, 20, 1);
    /* Growing within the class stays in place and counts the new size. */
    ck_assert_ptr_eq(krealloc(p, 32), p);
    ck_assert_uint_eq(heap_now().bytes_in_use, 32);
    expect_filled(p, 20, 1);
    /* Growing past the class moves, keeping the content. */
    fill(p, 32, 2);
    uint8_t *q = krealloc(p, 1000);
    ck_assert_ptr_ne(q, p);
    expect_filled(q, 32, 2);
    ck_assert_uint_eq(heap_now().class_in_use[class_of(32)], 0);
    ck_assert_uint_eq(heap_now().class_in_use[class_of(1000)], 1);
    ck_assert_uint_eq(heap_now().bytes_in_use, 1000);
    /* Into a large allocation and back down to a small class: the prefix survives. */
    fill(q, 1000, 3);
    uint8_t *big = krealloc(q, 3 * PAGE_SIZE);
    expect_filled(big, 1000, 3);
    ck_assert_uint_eq(heap_now().large_in_use, 1);
    fill(big, 3 * PAGE_SIZE, 4);
    ck_assert_ptr_eq(krealloc(big, 4 * PAGE_SIZE), big); /* same order-2 block */
    expect_filled(big, 3 * PAGE_SIZE, 4);
    uint8_t *small = krealloc(big, 100);
    expect_filled(small, 100, 4);
    ck_assert_uint_eq(heap_now().large_in_use, 0);
    ck_assert_uint_eq(heap_now().bytes_in_use, 100);
    /* A failed krealloc leaves the object as it was. */
    ck_assert_ptr_null(krealloc(small, ((size_t)PAGE_SIZE << PAGE_ORDER_MAX) + 1));
    ck_assert_uint_eq(heap_now().alloc_failures, 1);
    expect_filled(small, 100, 4);
    ck_assert_uint_eq(heap_now().bytes_in_use, 100);
    /* Size 0 frees. */
    ck_assert_ptr_null(krealloc(small, 0));
    expect_heap_empty();
}
END_TEST

START_TEST(calloc_zeroes_and_checks_overflow)
{
    /* Leave garbage in a freed object of the class kcalloc will reuse. */
    uint8_t *junk = kmalloc(256);
    memset(junk, 0xff, 256);
    kfree(junk);
    uint32_t *z = kcalloc(64, sizeof(uint32_t));
    ck_assert_ptr_nonnull(z);
    for (int i = 0; i < 64; i++)
        ck_assert_uint_eq(z[i], 0);
    ck_assert_uint_eq(heap_now().bytes_in_use, 256);
    uint8_t *zl = kcalloc(3, PAGE_SIZE);
    for (size_t i = 0; i < 3 * PAGE_SIZE; i++)
        ck_assert_uint_eq(zl[i], 0);
    ck_assert_ptr_null(kcalloc(SIZE_MAX / 2, 3));
    ck_assert_ptr_null(kcalloc(3, SIZE_MAX / 2));
    ck_assert_uint_eq(heap_now().alloc_failures, 2);
    void *none = kcalloc(0, 8);
    ck_assert_ptr_nonnull(none);
    kfree(none);
    kfree(z);
    kfree(zl);
    expect_heap_empty();
}
END_TEST

/* Freed memory holds the poison pattern (read around ASan, which rightly forbids the read). */
START_TEST(freed_memory_is_poisoned)
{
    uint8_t *p = kmalloc(128);
    void *keep = kmalloc(128); /* the slab stays a slab */
    memset(p, 0, 128);
    kfree(p);
    ASAN_UNPOISON_MEMORY_REGION(p, 128);
    for (int i = 8; i < 128; i++) /* the first word links the free list */
        ck_assert_uint_eq(p[i], 0x6b);
    ASAN_POISON_MEMORY_REGION(p, 128);
    kfree(keep);
    expect_heap_empty();
}
END_TEST

/* ---- A new slab is carved by a bump index ---- */

/* Memory the heap keeps poisoned for ASan (objects never handed out, freed ones) is read and
 * written here on purpose, a byte at a time (no memset ASan would intercept). */
__attribute__((no_sanitize("address"))) static size_t first_byte_not(const uint8_t *p, size_t n,
                                                                      uint8_t value)
{
    size_t i = 0;
    while (i < n && ((const volatile uint8_t *)p)[i] == value)
        i++;
    return i;
}

__attribute__((no_sanitize("address"))) static void scribble(uint8_t *p, size_t n, uint8_t value)
{
    for (size_t i = 0; i < n; i++)
        ((volatile uint8_t *)p)[i] = value;
}

/* A new slab is not poisoned whole: its objects not yet handed out keep what the page held
 * (a class with its size table in the page, whose table may take up to 512 bytes at its end,
 * and a class with the sizes in the descriptor, whose whole page is objects). */
START_TEST(new_slab_leaves_unhanded_objects_unwritten)
{
    static const unsigned classes[][2] = { { 64, PAGE_SIZE - 512 }, { 1024, PAGE_SIZE } };
    for (unsigned i = 0; i < 2; i++) {
        unsigned csize = classes[i][0], objects_end = classes[i][1];
        uint8_t *page = page_alloc(0);
        ck_assert_ptr_nonnull(page);
        memset(page, 0x11, PAGE_SIZE);
        page_free(page, 0);
        uint8_t *p = kmalloc(csize);
        /* The page allocator gives the page just freed back first. */
        ck_assert_ptr_eq(p, page);
        size_t untouched = first_byte_not(page + csize, objects_end - csize, 0x11);
        ck_assert_msg(untouched == objects_end - csize, "class %u: byte %zu of the slab written",
                      csize, csize + untouched);
        kfree(p);
        expect_heap_empty();
    }
}
END_TEST

/* An object handed out for the first time is not checked for poison (it never held any): what
 * its memory holds is handed out as it is, where a check would have panicked. */
START_TEST(first_hand_out_not_checked)
{
    uint8_t *a = kmalloc(128);
    scribble(a + 128, 128, 0x22);              /* the next object, never handed out */
    uint8_t *b = kmalloc(128);
    ck_assert_ptr_eq(b, a + 128);
    ck_assert_uint_eq(first_byte_not(b, 128, 0x22), 128);
    kfree(a);
    kfree(b);
    expect_heap_empty();
}
END_TEST

/* Freed objects are handed out again before the bump index goes on (last freed first), each
 * checked and handed out poisoned whole (the free-list link too); once they are used up the
 * bump index resumes where it stopped, handing out unchecked, unwritten objects. */
START_TEST(bump_and_free_list_interleaved)
{
    enum { C = 256 };
    uint8_t *a = kmalloc(C), *b = kmalloc(C), *c = kmalloc(C);
    ck_assert_ptr_eq(b, a + C);
    ck_assert_ptr_eq(c, b + C);
    fill(a, C, 1);
    fill(c, C, 3);
    kfree(b);
    ck_assert_ptr_eq(kmalloc(C), b);
    ck_assert_uint_eq(first_byte_not(b, C, 0x6b), C);
    scribble(c + C, C, 0x33);                  /* d, never handed out */
    uint8_t *d = kmalloc(C);
    ck_assert_ptr_eq(d, c + C);
    ck_assert_uint_eq(first_byte_not(d, C, 0x33), C);
    kfree(a);
    kfree(d);
    scribble(d + C, C, 0x44);                  /* e, never handed out */
    ck_assert_ptr_eq(kmalloc(C), d);
    ck_assert_ptr_eq(kmalloc(C), a);
    ck_assert_uint_eq(first_byte_not(a, C, 0x6b), C);
    uint8_t *e = kmalloc(C);
    ck_assert_ptr_eq(e, d + C);
    ck_assert_uint_eq(first_byte_not(e, C, 0x44), C);
    expect_filled(c, C, 3);
    ck_assert_uint_eq(heap_now().class_in_use[class_of(C)], 5);
    ck_assert_uint_eq(heap_now().bytes_in_use, 5 * C);
    for (uint8_t *p = a; p <= e; p += C)
        kfree(p);
    expect_heap_empty();
}
END_TEST

/* A slab that empties goes back to the page allocator (poison and links left in the page); the
 * next one of the class is carved afresh from its start, and a class whose slab fills up (its
 * chain ending with no object left to carve) starts another. */
START_TEST(emptied_slab_returned_and_carved_again)
{
    enum { C = 128, N = 40 };                  /* more than one slab of 128-byte objects */
    static uint8_t *objs[N];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < N; i++) {
            objs[i] = kmalloc(C);
            ck_assert_ptr_nonnull(objs[i]);
            if (i > 0 && ((uintptr_t)objs[i] & (PAGE_SIZE - 1)) != 0)
                ck_assert_ptr_eq(objs[i], objs[i - 1] + C);   /* bump order within a page */
            fill(objs[i], C, (uint8_t)(i + round));
        }
        ck_assert_uint_ge(initial_pages.pages_free - pages_now().pages_free, 2);
        for (int i = 0; i < N; i++)
            expect_filled(objs[i], C, (uint8_t)(i + round));
        for (int i = round % 2; i < N; i += 2)
            kfree(objs[i]);
        for (int i = 1 - round % 2; i < N; i += 2)
            kfree(objs[i]);
        expect_heap_empty();
    }
}
END_TEST

/* Randomized allocations, reallocations and frees against a shadow model: contents survive,
 * statistics match the model after every step, and everything is returned at the end. */
START_TEST(random_stress_against_shadow)
{
    enum { SLOTS = 500 };
    static uint8_t *obj[SLOTS];
    static size_t len[SLOTS];
    uint64_t in_class[HEAP_CLASSES] = { 0 }, large = 0, bytes = 0;
    srandom(11);
    for (int step = 0; step < 30000; step++) {
        int s = (int)(random() % SLOTS);
        int action = (int)(random() % 3);
        size_t size = 1 + (random() % 16 == 0 ? (size_t)(random() % 40000) : (size_t)(random() % 600));
        if (obj[s]) {
            expect_filled(obj[s], len[s], (uint8_t)s);
            if (len[s] > 4096)
                large--;
            else
                in_class[class_of(len[s])]--;
            bytes -= len[s];
        }
        if (obj[s] && action == 0) {
            kfree(obj[s]);
            obj[s] = NULL;
            continue;
        }
        uint8_t *p = obj[s] ? krealloc(obj[s], size) : kmalloc(size);
        ck_assert_ptr_nonnull(p);
        if (obj[s])
            expect_filled(p, len[s] < size ? len[s] : size, (uint8_t)s);
        fill(p, size, (uint8_t)s);
        obj[s] = p;
        len[s] = size;
        if (size > 4096)
            large++;
        else
            in_class[class_of(size)]++;
        bytes += size;
        struct heap_stats h = heap_now();
        ck_assert_mem_eq(h.class_in_use, in_class, sizeof(in_class));
        ck_assert_uint_eq(h.large_in_use, large);
        ck_assert_uint_eq(h.bytes_in_use, bytes);
    }
    for (int s = 0; s < SLOTS; s++)
        kfree(obj[s]);
    expect_heap_empty();
}
END_TEST

/* ---- Guarded allocations ---- */

static volatile uintptr_t fault_expected;
static void guard_fault(int sig, siginfo_t *info, void *ctx)
{
    _exit((uintptr_t)info->si_addr == fault_expected ? 77 : 78);
}

static void touch(void *arg)
{
    struct sigaction sa = { 0 };
    sa.sa_sigaction = guard_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    fault_expected = (uintptr_t)arg;
    /* Past ASan (which poisons guard pages too) to the page protection itself. */
    ASAN_UNPOISON_MEMORY_REGION(arg, 1);
    *(volatile uint8_t *)arg = 1;
}

START_TEST(guarded_allocation)
{
    uint8_t *p = kalloc_guarded(10000);
    ck_assert_ptr_nonnull(p);
    ck_assert_uint_eq((uintptr_t)p % PAGE_SIZE, 0);
    memset(p, 7, 3 * PAGE_SIZE); /* rounded up to whole pages */
    struct heap_stats h = heap_now();
    ck_assert_uint_eq(h.large_in_use, 1);
    ck_assert_uint_eq(h.bytes_in_use, 10000);
    /* 3 pages and 2 guards, nothing more. */
    ck_assert_uint_eq(pages_now().pages_free, initial_pages.pages_free - 5);
    struct crash_report r;
    run_expecting_crash(touch, p - 1, &r);
    ck_assert_msg(r.exit_status == 77, "below: status %d\n%s", r.exit_status, r.output);
    run_expecting_crash(touch, p + 3 * PAGE_SIZE, &r);
    ck_assert_msg(r.exit_status == 77, "above: status %d\n%s", r.exit_status, r.output);
    run_expecting_crash(touch, p + 3 * PAGE_SIZE - 1, &r);
    ck_assert_int_eq(r.exit_status, 0);
    kfree_guarded(p, 10000);
    expect_heap_empty();
    ck_assert_ptr_null(kalloc_guarded(0));
    ck_assert_uint_eq(heap_now().alloc_failures, 1);
}
END_TEST

/* ---- Invalid frees panic with the address; ASan catches what the heap cannot. ---- */

static void double_free_small(void *arg)
{
    setup();
    void *p = kmalloc(64);
    void *keep = kmalloc(64); /* keeps the slab alive, so the second free finds it */
    (void)keep;
    kfree(p);
    kfree(p);
}

static void double_free_large(void *arg)
{
    setup();
    void *p = kmalloc(20000);
    kfree(p);
    kfree(p);
}

static void free_inside_object(void *arg)
{
    setup();
    uint8_t *p = kmalloc(64);
    kfree(p + 16);
}

static void free_foreign(void *arg)
{
    setup();
    int local;
    kfree(&local);
}

static void free_raw_pages(void *arg)
{
    setup();
    kfree(page_alloc(0));
}

static void free_guarded_with_kfree(void *arg)
{
    setup();
    kfree(kalloc_guarded(100));
}

static void guarded_wrong_size(void *arg)
{
    setup();
    kfree_guarded(kalloc_guarded(PAGE_SIZE), 3 * PAGE_SIZE);
}

static void write_after_free_unseen_by_asan(void *arg)
{
    setup();
    uint8_t *p = kmalloc(64);
    void *keep = kmalloc(64); /* keeps the slab, so p is the next object handed out */
    (void)keep;
    kfree(p);
    ASAN_UNPOISON_MEMORY_REGION(p, 64); /* as a stray DMA or a kernel without ASan would */
    p[40] = 0;
    kmalloc(64);
}

/* A write after free at one byte of one class: arg points to {class bytes, byte offset}. */
static void write_after_free_at(void *arg)
{
    const unsigned *where = arg;
    setup();
    uint8_t *p = kmalloc(where[0]);
    void *keep = kmalloc(where[0]);
    (void)keep;
    kfree(p);
    ASAN_UNPOISON_MEMORY_REGION(p, where[0]);
    p[where[1]] = 0;
    kmalloc(where[0]);
}

/* A freed object's link to the next one to hand out overwritten. */
static void free_link_overwritten(void *arg)
{
    setup();
    uint8_t *p = kmalloc(64);
    void *keep = kmalloc(64);
    (void)keep;
    kfree(p);
    scribble(p, 8, 0x5a);
    kmalloc(64);
}

/* An object the bump index has not reached was never handed out: freeing it is refused. */
static void free_never_handed_out(void *arg)
{
    setup();
    uint8_t *p = kmalloc(64);
    kfree(p + 64);
}

static void read_never_handed_out(void *arg)
{
    setup();
    volatile uint8_t *p = kmalloc(64);
    (void)p[64];
}

static void use_after_free(void *arg)
{
    setup();
    volatile uint8_t *p = kmalloc(64);
    kfree((void *)p);
    p[40] = 0;
}

static void overflow_past_requested_size(void *arg)
{
    setup();
    volatile uint8_t *p = kmalloc(20);
    p[20] = 0; /* inside the 32-byte class, but past what was asked for */
}

static void expect_panic(void (*fn)(void *), const char *message)
{
    struct crash_report r;
    run_expecting_crash(fn, NULL, &r);
    ck_assert_msg(r.exit_status == SIM_EXIT_CRASH, "exit status %d, output:\n%s", r.exit_status,
                  r.output);
    ck_assert_msg(strstr(r.output, message) != NULL, "no \"%s\" in:\n%s", message, r.output);
}

START_TEST(invalid_frees_panic)
{
    expect_panic(double_free_small, "double free");
    expect_panic(double_free_large, "not a live heap object");
    expect_panic(free_inside_object, "not the start of a heap object");
    expect_panic(free_foreign, "not a heap pointer");
    expect_panic(free_raw_pages, "pages from page_alloc");
    expect_panic(free_guarded_with_kfree, "kfree_guarded");
    expect_panic(guarded_wrong_size, "not a live guarded allocation");
    expect_panic(write_after_free_unseen_by_asan, "written after free");
}
END_TEST

/* The check on allocation covers every byte after the free-list link, in every class: the
 * first word after the link, words at odd and even positions, and the last byte; in slabs the
 * bump index is still carving (16 .. 128: the freed object's link is the bump index) and in
 * slabs carved whole (2048: two a page, the link is NULL). */
START_TEST(write_after_free_seen_anywhere)
{
    static const unsigned cases[][2] = {
        {16, 8}, {16, 15}, {32, 16}, {128, 8}, {128, 71}, {128, 127}, {2048, 2040}, {2048, 2047},
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct crash_report r;
        run_expecting_crash(write_after_free_at, (void *)cases[i], &r);
        char expected[64];
        snprintf(expected, sizeof(expected), "written after free (byte %u)", cases[i][1]);
        ck_assert_msg(r.exit_status == SIM_EXIT_CRASH, "class %u byte %u: exit status %d",
                      cases[i][0], cases[i][1], r.exit_status);
        ck_assert_msg(strstr(r.output, expected) != NULL, "no \"%s\" in:\n%s", expected, r.output);
    }
}
END_TEST

/* A freed object's link is checked when it is handed out again (the object after it may be the
 * bump index; write_after_free_seen_anywhere checks the rest of it); the objects the bump index
 * has not reached are free (a kfree of one is a double free) and, under ASan, unreadable. */
START_TEST(reused_objects_checked_around_the_bump)
{
    expect_panic(free_link_overwritten, "free list of slab");
    expect_panic(free_never_handed_out, "double free");
    struct crash_report r;
    run_expecting_crash(read_never_handed_out, NULL, &r);
    ck_assert_int_ne(r.exit_status, 0);
    ck_assert_msg(strstr(r.output, "AddressSanitizer") != NULL, "%s", r.output);
}
END_TEST

START_TEST(asan_sees_inside_the_heap)
{
    struct crash_report r;
    run_expecting_crash(use_after_free, NULL, &r);
    ck_assert_int_ne(r.exit_status, 0);
    ck_assert_msg(strstr(r.output, "AddressSanitizer") != NULL, "%s", r.output);
    run_expecting_crash(overflow_past_requested_size, NULL, &r);
    ck_assert_int_ne(r.exit_status, 0);
    ck_assert_msg(strstr(r.output, "AddressSanitizer") != NULL, "%s", r.output);
}
END_TEST

/* The heap over the lazily prepared page allocator: small objects of every class and large
 * ones spread over many 4 MiB chunks (far past the one the first allocation prepares) are
 * distinct and usable, kfree takes each back from its descriptor, and everything returns to the
 * initial free blocks. */
START_TEST(objects_across_prepared_chunks)
{
    enum { SMALL = 4000, LARGE = 24 };
    static void *small[SMALL];
    static void *large[LARGE];
    for (unsigned i = 0; i < SMALL; i++) {
        size_t size = 16u << (i % HEAP_CLASSES);
        small[i] = kmalloc(size);
        ck_assert_ptr_nonnull(small[i]);
        memset(small[i], (int)i, size);
    }
    for (unsigned i = 0; i < LARGE; i++) {
        large[i] = kmalloc(600 * 1024);   /* 24 x 600 KiB: several chunks of 4 MiB */
        ck_assert_ptr_nonnull(large[i]);
        memset(large[i], 0x5a, 600 * 1024);
    }
    for (unsigned i = 0; i < SMALL; i++)
        ck_assert_uint_eq(((const uint8_t *)small[i])[0], (uint8_t)i);
    for (unsigned i = LARGE; i-- > 0;)
        kfree(large[i]);
    for (unsigned i = 0; i < SMALL; i += 2)
        kfree(small[i]);
    for (unsigned i = 1; i < SMALL; i += 2)
        kfree(small[i]);
    expect_heap_empty();
}
END_TEST

static Suite *heap_suite(void)
{
    Suite *s = suite_create("mm_heap");
    TCase *tc = tcase_create("heap");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, class_sizes_reported);
    tcase_add_test(tc, every_class);
    tcase_add_test(tc, zero_size_is_unique_object);
    tcase_add_test(tc, many_objects_do_not_overlap);
    tcase_add_test(tc, large_allocations);
    tcase_add_test(tc, exhaustion_counts_failure);
    tcase_add_test(tc, realloc_semantics);
    tcase_add_test(tc, calloc_zeroes_and_checks_overflow);
    tcase_add_test(tc, freed_memory_is_poisoned);
    tcase_add_test(tc, new_slab_leaves_unhanded_objects_unwritten);
    tcase_add_test(tc, first_hand_out_not_checked);
    tcase_add_test(tc, bump_and_free_list_interleaved);
    tcase_add_test(tc, emptied_slab_returned_and_carved_again);
    tcase_add_test(tc, random_stress_against_shadow);
    tcase_add_test(tc, guarded_allocation);
    tcase_add_test(tc, invalid_frees_panic);
    tcase_add_test(tc, write_after_free_seen_anywhere);
    tcase_add_test(tc, reused_objects_checked_around_the_bump);
    tcase_add_test(tc, asan_sees_inside_the_heap);
    tcase_add_test(tc, objects_across_prepared_chunks);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(heap_suite)
