/*
 * Unit tests for lib/sort: ksort against the host qsort on random, sorted, reversed and
 * constant inputs of many sizes and element widths; kbsearch finds every element and no other.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sort.h"
#include "xenolith/test_main.h"

static int compare_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

struct wide {
    unsigned key;
    char pad[13]; /* an odd element size */
};

static int compare_wide(const void *a, const void *b)
{
    const struct wide *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

static uint32_t rng_state = 99;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

START_TEST(ints_match_qsort)
{
    static int got[2000], want[2000];
    for (size_t n = 0; n <= 2000; n = n < 40 ? n + 1 : n * 2) {
        for (int shape = 0; shape < 5; shape++) {
            for (size_t i = 0; i < n; i++) {
                switch (shape) {
                case 0: got[i] = (int)rng(); break;
                case 1: got[i] = (int)i; break;
                case 2: got[i] = (int)(n - i); break;
                case 3: got[i] = 7; break;
                default: got[i] = (int)(rng() % 5) - 2; break; /* many duplicates, negatives */
                }
            }
            memcpy(want, got, n * sizeof(int));
            ksort(got, n, sizeof(int), compare_int);
            qsort(want, n, sizeof(int), compare_int);
            ck_assert_msg(memcmp(got, want, n * sizeof(int)) == 0, "n=%zu shape=%d", n, shape);
        }
    }
}
END_TEST

START_TEST(odd_sized_elements)
{
    static struct wide items[300];
    for (size_t i = 0; i < 300; i++) {
        items[i].key = rng() % 1000;
        memset(items[i].pad, (int)(items[i].key & 0x7f), sizeof(items[i].pad));
    }
    ksort(items, 300, sizeof(items[0]), compare_wide);
    for (size_t i = 0; i < 300; i++) {
        if (i)
            ck_assert_uint_le(items[i - 1].key, items[i].key);
        /* Elements move whole. */
        ck_assert_int_eq(items[i].pad[12], (char)(items[i].key & 0x7f));
    }
}
END_TEST

START_TEST(bsearch_finds_exactly_the_members)
{
    int sorted[100];
    for (int i = 0; i < 100; i++)
        sorted[i] = i * 3;
    for (int key = -3; key < 305; key++) {
        int *hit = kbsearch(&key, sorted, 100, sizeof(int), compare_int);
        if (key >= 0 && key % 3 == 0 && key < 300) {
            ck_assert_ptr_nonnull(hit);
            ck_assert_int_eq(*hit, key);
        } else {
            ck_assert_ptr_null(hit);
        }
    }
    int key = 5;
    ck_assert_ptr_null(kbsearch(&key, sorted, 0, sizeof(int), compare_int));
}
END_TEST

static Suite *sort_suite(void)
{
    Suite *s = suite_create("lib_sort");
    TCase *tc = tcase_create("sort");
    tcase_add_test(tc, ints_match_qsort);
    tcase_add_test(tc, odd_sized_elements);
    tcase_add_test(tc, bsearch_finds_exactly_the_members);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(sort_suite)
