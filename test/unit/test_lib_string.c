/*
 * Unit tests for lib/kstring: bounded copies that always terminate and report truncation,
 * constant-time comparison, explicit erasure, binary-safe search.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/string.h"
#include "xenolith/test_main.h"

START_TEST(strlcpy_terminates_and_reports)
{
    char buf[8];
    memset(buf, 'Z', sizeof(buf));
    ck_assert_uint_eq(kstrlcpy(buf, "abc", sizeof(buf)), 3);
    ck_assert_str_eq(buf, "abc");
    ck_assert_uint_eq(kstrlcpy(buf, "abcdefghij", sizeof(buf)), 10); /* >= size: truncated */
    ck_assert_str_eq(buf, "abcdefg");
    ck_assert_uint_eq(kstrlcpy(buf, "abcdefg", sizeof(buf)), 7);    /* exactly fits */
    ck_assert_str_eq(buf, "abcdefg");
    memset(buf, 'Z', sizeof(buf));
    ck_assert_uint_eq(kstrlcpy(buf, "abc", 0), 3);
    ck_assert_int_eq(buf[0], 'Z'); /* size 0 writes nothing */
    ck_assert_uint_eq(kstrlcpy(buf, "abc", 1), 3);
    ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(strlcat_appends_bounded)
{
    char buf[8] = "ab";
    ck_assert_uint_eq(kstrlcat(buf, "cd", sizeof(buf)), 4);
    ck_assert_str_eq(buf, "abcd");
    ck_assert_uint_eq(kstrlcat(buf, "efghij", sizeof(buf)), 10);
    ck_assert_str_eq(buf, "abcdefg");
    /* A destination not terminated within size: nothing is written. */
    char full[4] = { 'w', 'x', 'y', 'z' };
    ck_assert_uint_eq(kstrlcat(full, "abc", sizeof(full)), 7);
    ck_assert(memcmp(full, "wxyz", 4) == 0);
}
END_TEST

START_TEST(consttime_equality)
{
    ck_assert(kmem_equal_consttime("secret", "secret", 6));
    ck_assert(!kmem_equal_consttime("secret", "secreT", 6));
    ck_assert(!kmem_equal_consttime("Secret", "secret", 6));
    ck_assert(kmem_equal_consttime("a", "b", 0));
}
END_TEST

START_TEST(explicit_zero)
{
    unsigned char key[32];
    memset(key, 0xab, sizeof(key));
    kmem_zero_explicit(key, sizeof(key));
    for (size_t i = 0; i < sizeof(key); i++)
        ck_assert_int_eq(key[i], 0);
}
END_TEST

START_TEST(memmem_binary_safe)
{
    const char hay[] = "GET /\0x HTTP/1.1\r\n\r\nbody";
    size_t len = sizeof(hay) - 1;
    ck_assert_ptr_eq(kmemmem(hay, len, "\r\n\r\n", 4), hay + 16);
    ck_assert_ptr_eq(kmemmem(hay, len, "\0x", 2), hay + 5);
    ck_assert_ptr_eq(kmemmem(hay, len, "body", 4), hay + len - 4);
    ck_assert_ptr_null(kmemmem(hay, len, "bodyy", 5));
    ck_assert_ptr_null(kmemmem(hay, 3, "GET ", 4));
    ck_assert_ptr_eq(kmemmem(hay, len, "", 0), hay);
    const char *s = "aaab";
    ck_assert_ptr_eq(kmemmem(s, 4, "aab", 3), s + 1);
}
END_TEST

static Suite *string_suite(void)
{
    Suite *s = suite_create("lib_string");
    TCase *tc = tcase_create("kstring");
    tcase_add_test(tc, strlcpy_terminates_and_reports);
    tcase_add_test(tc, strlcat_appends_bounded);
    tcase_add_test(tc, consttime_equality);
    tcase_add_test(tc, explicit_zero);
    tcase_add_test(tc, memmem_binary_safe);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(string_suite)
