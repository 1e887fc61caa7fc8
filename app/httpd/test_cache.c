/*
 * Unit tests of the file cache (cache.h): the content copied out is the file's, byte for byte,
 * across chunk boundaries; the least recently used file goes first; the bound holds after every
 * insertion; files over the size bound, a failed or short read, and a file already being read
 * are not cached; a pinned file is never evicted; the memory held is what the heap reports as
 * cached; under memory pressure unpinned files are given back, least recently used first.
 *
 * Run with:  make APP=httpd app-unit   (also part of make test-unit)
 */
#include <check.h>
#include <stdlib.h>

#include "cache.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "xenolith/mem.h"
#include "xenolith/testing.h"
#include "xenolith/test_main.h"

/* A fake disk: file bytes are a pattern of the key and offset; a read at or past fail_at fails
 * with fail_rc (0: the file ends early). */
struct fake_file {
    uint8_t id;
    uint64_t size;
    uint64_t fail_at;
    int fail_rc;
    unsigned reads;
    struct file_cache *fc;               /* set: each read also asks the cache for this file */
    int nested_rc;
};

static uint8_t byte_at(uint8_t id, uint64_t offset)
{
    return (uint8_t)(id * 31 + offset * 7 + (offset >> 9));
}

static int64_t fake_read(void *arg, uint64_t offset, void *buf, size_t len, uint64_t deadline)
{
    struct fake_file *f = arg;
    (void)deadline;
    f->reads++;
    if (f->fc) {
        struct cached_file *other = NULL;
        f->nested_rc = file_cache_get(f->fc, f, f->size, fake_read, f, 0, &other);
        ck_assert_ptr_null(other);
    }
    if (offset >= f->fail_at)
        return f->fail_rc;
    if (len > 5000)
        len = 5000;                      /* short reads, as the tar reader may give */
    if (offset + len > f->size)
        len = (size_t)(f->size - offset);
    for (size_t i = 0; i < len; i++)
        ((uint8_t *)buf)[i] = byte_at(f->id, offset + i);
    return (int64_t)len;
}

static struct fake_file file(uint8_t id, uint64_t size)
{
    return (struct fake_file){ .id = id, .size = size, .fail_at = UINT64_MAX };
}

static struct file_cache fc;

static void setup(void)
{
    sim_start_kernel(0);
}

static int get(struct fake_file *f, struct cached_file **out)
{
    *out = NULL;
    return file_cache_get(&fc, f, f->size, fake_read, f, 0, out);
}

/* Gets the file and lets it go again, as one response does. */
static int get_put(struct fake_file *f)
{
    struct cached_file *cf;
    int rc = get(f, &cf);
    if (rc == 1)
        file_cache_put(cf);
    return rc;
}

static bool cached(struct fake_file *f)
{
    unsigned reads = f->reads;
    uint64_t misses = fc.stats.misses;
    ck_assert_int_eq(get_put(f), 1);
    bool hit = fc.stats.misses == misses;
    ck_assert(!hit || f->reads == reads);
    return hit;
}

START_TEST(content_identical)
{
    file_cache_init(&fc, 1 << 20, 1 << 20);
    struct fake_file a = file(3, 3 * FILE_CACHE_CHUNK + 1234);
    struct cached_file *cf;
    ck_assert_int_eq(get(&a, &cf), 1);
    ck_assert_uint_eq(fc.stats.misses, 1);
    static uint8_t buf[4 * FILE_CACHE_CHUNK], expect[4 * FILE_CACHE_CHUNK];
    /* Whole, and pieces that start and end inside chunks and across their boundaries. */
    const uint64_t offsets[] = { 0, 1, FILE_CACHE_CHUNK - 3, FILE_CACHE_CHUNK, 2 * FILE_CACHE_CHUNK + 77,
                                 a.size - 5 };
    for (size_t k = 0; k < sizeof(offsets) / sizeof(offsets[0]); k++) {
        uint64_t off = offsets[k];
        size_t want = sizeof(buf);
        size_t n = cached_file_copy(cf, off, buf, want);
        ck_assert_uint_eq(n, a.size - off);
        for (size_t i = 0; i < n; i++)
            expect[i] = byte_at(a.id, off + i);
        ck_assert(memcmp(buf, expect, n) == 0);
        n = cached_file_copy(cf, off, buf, 10);
        ck_assert_uint_eq(n, a.size - off < 10 ? a.size - off : 10);
    }
    ck_assert_uint_eq(cached_file_copy(cf, a.size, buf, 10), 0);
    file_cache_put(cf);
    unsigned reads = a.reads;
    ck_assert(cached(&a));
    ck_assert_uint_eq(a.reads, reads);
    ck_assert_uint_eq(fc.stats.hits, 1);
    file_cache_clear(&fc);
}
END_TEST

START_TEST(least_recently_used_evicted_first)
{
    struct fake_file a = file(1, 10000), b = file(2, 10000), c = file(3, 10000), d = file(4, 10000);
    /* Room for three of them with their bookkeeping, not four. */
    file_cache_init(&fc, 3 * 10000 + 3 * 200, 1 << 20);
    ck_assert_int_eq(get_put(&a), 1);
    ck_assert_int_eq(get_put(&b), 1);
    ck_assert_int_eq(get_put(&c), 1);
    ck_assert_uint_eq(fc.stats.files, 3);
    ck_assert(cached(&a));               /* a used again: b is now the least recent */
    ck_assert_int_eq(get_put(&d), 1);
    ck_assert_uint_eq(fc.stats.evictions, 1);
    ck_assert(cached(&a));
    ck_assert(cached(&c));
    ck_assert(cached(&d));
    ck_assert(!cached(&b));              /* read again: it was the one evicted */
    ck_assert_uint_eq(fc.stats.evictions, 2);
    ck_assert(!cached(&a));              /* a was the least recent when b came back */
    file_cache_clear(&fc);
}
END_TEST

START_TEST(bound_respected)
{
    const uint64_t bound = 100000;
    file_cache_init(&fc, bound, 50000);
    struct fake_file files[40];
    for (unsigned i = 0; i < 40; i++) {
        files[i] = file((uint8_t)i, 1000 + (i * 7919) % 45000);
        ck_assert_int_eq(get_put(&files[i]), 1);
        ck_assert_uint_le(fc.stats.bytes, bound);
    }
    ck_assert_uint_gt(fc.stats.evictions, 0);
    /* Over the file bound: read from the disk each time, never cached. */
    struct fake_file big = file(99, 50001);
    ck_assert_int_eq(get_put(&big), 0);
    ck_assert_int_eq(get_put(&big), 0);
    ck_assert_uint_eq(big.reads, 0);
    /* A cache of 0 bytes holds nothing. */
    file_cache_clear(&fc);
    file_cache_init(&fc, 0, 50000);
    ck_assert_int_eq(get_put(&files[0]), 0);
    ck_assert_uint_eq(fc.stats.files, 0);
}
END_TEST

START_TEST(read_error_not_cached)
{
    file_cache_init(&fc, 1 << 20, 1 << 20);
    struct heap_stats before, after;
    heap_get_stats(&before);
    struct fake_file a = file(5, 2 * FILE_CACHE_CHUNK + 10);
    a.fail_at = FILE_CACHE_CHUNK + 100;
    a.fail_rc = -EIO;
    struct cached_file *cf;
    ck_assert_int_eq(get(&a, &cf), -EIO);
    ck_assert_ptr_null(cf);
    /* The file ends before its size: not cached either. */
    a.fail_rc = 0;
    ck_assert_int_eq(get(&a, &cf), -EIO);
    ck_assert_uint_eq(fc.stats.files, 0);
    ck_assert_uint_eq(fc.stats.bytes, 0);
    heap_get_stats(&after);
    ck_assert_uint_eq(after.bytes_in_use, before.bytes_in_use);
    ck_assert_uint_eq(after.cached_bytes, before.cached_bytes);
    /* The disk recovers: the next request reads and keeps it. */
    a.fail_at = UINT64_MAX;
    ck_assert_int_eq(get_put(&a), 1);
    ck_assert(cached(&a));
    file_cache_clear(&fc);
}
END_TEST

START_TEST(pinned_never_evicted)
{
    struct fake_file a = file(1, 30000), b = file(2, 30000);
    file_cache_init(&fc, 40000, 1 << 20);
    struct cached_file *pa;
    ck_assert_int_eq(get(&a, &pa), 1);
    ck_assert_int_eq(get_put(&b), 0);    /* no room but a's, and a is being sent */
    ck_assert_uint_eq(fc.stats.evictions, 0);
    uint8_t byte;
    ck_assert_uint_eq(cached_file_copy(pa, 29999, &byte, 1), 1);
    ck_assert_uint_eq(byte, byte_at(a.id, 29999));
    file_cache_put(pa);
    ck_assert_int_eq(get_put(&b), 1);
    ck_assert_uint_eq(fc.stats.evictions, 1);
    file_cache_clear(&fc);
}
END_TEST

START_TEST(being_read_not_cached_twice)
{
    file_cache_init(&fc, 1 << 20, 1 << 20);
    struct fake_file a = file(7, 20000);
    a.fc = &fc;                          /* a second request for a while it is read */
    a.nested_rc = 99;
    ck_assert_int_eq(get_put(&a), 1);
    ck_assert_int_eq(a.nested_rc, 0);    /* streamed from the disk meanwhile */
    ck_assert_uint_eq(fc.stats.files, 1);
    file_cache_clear(&fc);
}
END_TEST

START_TEST(memory_reported_as_cached)
{
    file_cache_init(&fc, 1 << 20, 1 << 20);
    struct heap_stats before, mid, after;
    heap_get_stats(&before);
    struct fake_file a = file(1, 100), b = file(2, 3 * FILE_CACHE_CHUNK + 1);
    ck_assert_int_eq(get_put(&a), 1);
    ck_assert_int_eq(get_put(&b), 1);
    heap_get_stats(&mid);
    ck_assert_uint_eq(mid.cached_bytes - before.cached_bytes, fc.stats.bytes);
    ck_assert_uint_eq(mid.bytes_in_use - before.bytes_in_use, fc.stats.bytes);
    uint64_t objects_before = 0, objects_mid = 0;
    for (unsigned i = 0; i < HEAP_CLASSES; i++) {
        objects_before += before.class_in_use[i];
        objects_mid += mid.class_in_use[i];
    }
    /* Live objects (those not reported as cached) are what they were. */
    ck_assert_uint_eq(objects_mid - mid.cached_objects, objects_before - before.cached_objects);
    file_cache_clear(&fc);
    heap_get_stats(&after);
    ck_assert_uint_eq(after.cached_bytes, before.cached_bytes);
    ck_assert_uint_eq(after.cached_objects, before.cached_objects);
    ck_assert_uint_eq(after.bytes_in_use, before.bytes_in_use);
}
END_TEST

/* Every page the allocator has left, taken one at a time (and never given back: each test runs
 * in its own process). */
static void take_pages(void)
{
    while (page_alloc(0))
        ;
}

static void expect_content(struct cached_file *cf, const struct fake_file *f)
{
    static uint8_t buf[2 * FILE_CACHE_CHUNK];
    ck_assert_uint_eq(cached_file_copy(cf, 0, buf, sizeof(buf)), f->size);
    for (size_t i = 0; i < f->size; i++)
        ck_assert_uint_eq(buf[i], byte_at(f->id, i));
}

/* Memory pressure (xenolith/mem.h): with every page taken, an allocation anywhere has the cache
 * drop its least recently used file nobody is sending and then succeeds; a file pinned by a
 * response in flight, or being read into the cache, is never dropped; with only such files left
 * the allocation fails cleanly. */
START_TEST(memory_pressure_drops_unpinned_least_recent)
{
    file_cache_init(&fc, 1 << 20, 1 << 20);
    struct fake_file a = file(1, FILE_CACHE_CHUNK + 3000), b = file(2, FILE_CACHE_CHUNK + 3000),
                     d = file(4, FILE_CACHE_CHUNK + 100);
    struct cached_file *pa, *pb, *pd;
    ck_assert_int_eq(get(&a, &pa), 1);
    ck_assert_int_eq(get(&b, &pb), 1);
    take_pages();                   /* both pinned: nothing to reclaim, memory exhausted */
    ck_assert_uint_eq(fc.stats.reclaimed, 0);
    file_cache_put(pa);
    file_cache_put(pb);                  /* a is now the least recently used */
    /* The next page comes from a, dropped for it; b stays. */
    ck_assert_ptr_nonnull(page_alloc(0));
    ck_assert_uint_eq(fc.stats.reclaimed, 1);
    ck_assert_uint_eq(fc.stats.files, 1);
    ck_assert(cached(&b));
    /* b is being sent: taking the rest of memory never drops it, and then fails cleanly. */
    ck_assert_int_eq(get(&b, &pb), 1);
    take_pages();
    ck_assert_ptr_null(kmalloc(2 * PAGE_SIZE));
    ck_assert_uint_eq(fc.stats.files, 1);
    ck_assert_uint_eq(fc.stats.reclaimed, 1);
    expect_content(pb, &b);
    file_cache_put(pb);
    /* d's 16 KiB chunk finds no memory while d is being read in: b goes for it, d stays. */
    ck_assert_int_eq(get(&d, &pd), 1);
    ck_assert_uint_eq(fc.stats.reclaimed, 2);
    ck_assert_uint_eq(fc.stats.files, 1);
    expect_content(pd, &d);
    file_cache_put(pd);
    ck_assert(cached(&d));
    ck_assert_uint_eq(fc.stats.evictions, 2);
    file_cache_clear(&fc);
}
END_TEST

static Suite *cache_suite(void)
{
    Suite *s = suite_create("httpd_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, content_identical);
    tcase_add_test(tc, least_recently_used_evicted_first);
    tcase_add_test(tc, bound_respected);
    tcase_add_test(tc, read_error_not_cached);
    tcase_add_test(tc, pinned_never_evicted);
    tcase_add_test(tc, being_read_not_cached_twice);
    tcase_add_test(tc, memory_reported_as_cached);
    tcase_add_test(tc, memory_pressure_drops_unpinned_least_recent);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(cache_suite)
