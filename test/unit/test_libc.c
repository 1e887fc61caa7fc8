/*
 * Unit tests for lib/libc (the kernel's string and ctype functions). The sources are compiled
 * here under other names (libc_memcpy, ...) so that neither the host C library nor gcc's
 * builtins stand in for them, and the host C library is the oracle. Exhaustive over lengths
 * 0..256 and every source/destination misalignment 0..7, with guard bytes around each buffer.
 * test_lib_libc_generic.c includes this file again with the portable (non-x86) code paths.
 */
#define memcpy libc_memcpy
#define memmove libc_memmove
#define memset libc_memset
#define memcmp libc_memcmp
#define memchr libc_memchr
#define strlen libc_strlen
#define strnlen libc_strnlen
#define strcmp libc_strcmp
#define strncmp libc_strncmp
#define strchr libc_strchr
#define strrchr libc_strrchr
#define strstr libc_strstr
#define isdigit libc_isdigit
#define isxdigit libc_isxdigit
#define isspace libc_isspace
#define isalpha libc_isalpha
#define isalnum libc_isalnum
#define isupper libc_isupper
#define islower libc_islower
#define isprint libc_isprint
#define ispunct libc_ispunct
#define iscntrl libc_iscntrl
#define tolower libc_tolower
#define toupper libc_toupper
#include "lib/libc/string.c"
#include "lib/libc/ctype.c"
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr
#undef strstr
#undef isdigit
#undef isxdigit
#undef isspace
#undef isalpha
#undef isalnum
#undef isupper
#undef islower
#undef isprint
#undef ispunct
#undef iscntrl
#undef tolower
#undef toupper

#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "xenolith/test_main.h"

#define MAXLEN 256
#define GUARD 16
#define BUFSZ (GUARD + 8 + MAXLEN + GUARD)

static void fill_pattern(unsigned char *buf, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 3));
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

START_TEST(memcpy_all_lengths_and_alignments)
{
    unsigned char src[BUFSZ], got[BUFSZ], want[BUFSZ];
    for (size_t sa = 0; sa < 8; sa++) {
        for (size_t da = 0; da < 8; da++) {
            for (size_t n = 0; n <= MAXLEN; n++) {
                fill_pattern(src, BUFSZ, (unsigned)n);
                memset(got, 0xAA, BUFSZ);
                memset(want, 0xAA, BUFSZ);
                void *r = libc_memcpy(got + GUARD + da, src + GUARD + sa, n);
                memcpy(want + GUARD + da, src + GUARD + sa, n);
                ck_assert_ptr_eq(r, got + GUARD + da);
                ck_assert_msg(memcmp(got, want, BUFSZ) == 0, "memcpy n=%zu sa=%zu da=%zu", n, sa, da);
            }
        }
    }
}
END_TEST

/* Every overlap: destination from 40 bytes below to 40 bytes above the source. */
START_TEST(memmove_overlapping_both_directions)
{
    unsigned char got[BUFSZ + 96], want[BUFSZ + 96];
    for (int shift = -40; shift <= 40; shift++) {
        for (size_t sa = 0; sa < 8; sa++) {
            for (size_t n = 0; n <= MAXLEN; n++) {
                fill_pattern(got, sizeof(got), (unsigned)n);
                memcpy(want, got, sizeof(want));
                unsigned char *s = got + 48 + sa, *d = s + shift;
                void *r = libc_memmove(d, s, n);
                memmove(want + 48 + sa + shift, want + 48 + sa, n);
                ck_assert_ptr_eq(r, d);
                ck_assert_msg(memcmp(got, want, sizeof(got)) == 0, "memmove n=%zu shift=%d sa=%zu",
                              n, shift, sa);
            }
        }
    }
}
END_TEST

START_TEST(memmove_disjoint)
{
    unsigned char src[BUFSZ], got[BUFSZ], want[BUFSZ];
    for (size_t n = 0; n <= MAXLEN; n++) {
        fill_pattern(src, BUFSZ, (unsigned)n + 3);
        memset(got, 0x55, BUFSZ);
        memset(want, 0x55, BUFSZ);
        libc_memmove(got + GUARD + 3, src + GUARD, n);
        memmove(want + GUARD + 3, src + GUARD, n);
        ck_assert_msg(memcmp(got, want, BUFSZ) == 0, "memmove disjoint n=%zu", n);
    }
}
END_TEST

START_TEST(memset_all_lengths_and_alignments)
{
    unsigned char got[BUFSZ], want[BUFSZ];
    static const int values[] = { 0, 0x5A, 0xFF, -1, 0x1234 }; /* only the low byte counts */
    for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
        for (size_t da = 0; da < 8; da++) {
            for (size_t n = 0; n <= MAXLEN; n++) {
                fill_pattern(got, BUFSZ, (unsigned)n);
                memcpy(want, got, BUFSZ);
                void *r = libc_memset(got + GUARD + da, values[v], n);
                memset(want + GUARD + da, values[v], n);
                ck_assert_ptr_eq(r, got + GUARD + da);
                ck_assert_msg(memcmp(got, want, BUFSZ) == 0, "memset n=%zu da=%zu v=%d", n, da,
                              values[v]);
            }
        }
    }
}
END_TEST

/* The sign of memcmp must follow the first differing byte as unsigned char (0x80 > 0x7f). */
START_TEST(memcmp_sign_and_position)
{
    unsigned char a[BUFSZ], b[BUFSZ];
    for (size_t n = 0; n <= 100; n++) {
        for (size_t sa = 0; sa < 8; sa++) {
            fill_pattern(a, BUFSZ, 9);
            memcpy(b, a, BUFSZ);
            ck_assert_int_eq(libc_memcmp(a + sa, b + 1 + sa - 1, n), 0);
            for (size_t pos = 0; pos < n; pos++) {
                unsigned char save = b[sa + pos];
                b[sa + pos] = (unsigned char)(a[sa + pos] ^ 0x80);
                int got = libc_memcmp(a + sa, b + sa, n);
                int want = memcmp(a + sa, b + sa, n);
                ck_assert_msg(sign(got) == sign(want) && got != 0, "memcmp n=%zu pos=%zu", n, pos);
                /* A difference after n must not matter. */
                ck_assert_int_eq(libc_memcmp(a + sa, b + sa, pos), 0);
                b[sa + pos] = save;
            }
        }
    }
    ck_assert_int_gt(libc_memcmp("\x80", "\x7f", 1), 0);
    ck_assert_int_lt(libc_memcmp("abc\x01", "abc\xff", 4), 0);
}
END_TEST

START_TEST(memchr_finds_first_match_within_bounds)
{
    unsigned char buf[BUFSZ];
    for (size_t n = 0; n <= MAXLEN; n++) {
        for (size_t sa = 0; sa < 8; sa++) {
            memset(buf, 'x', BUFSZ);
            unsigned char *s = buf + GUARD + sa;
            ck_assert_ptr_null(libc_memchr(s, 'y', n));
            /* A match just past the end is not found. */
            s[n] = 'y';
            ck_assert_ptr_null(libc_memchr(s, 'y', n));
            for (size_t pos = 0; pos < n; pos += 1 + pos / 8) {
                s[pos] = 'y';
                ck_assert_ptr_eq(libc_memchr(s, 'y', n), memchr(s, 'y', n));
                ck_assert_ptr_eq(libc_memchr(s, 'y', n), s + pos);
                s[pos] = 'x';
            }
            /* c is converted to unsigned char, so 0x100 + 'x' finds 'x'. */
            if (n > 0)
                ck_assert_ptr_eq(libc_memchr(s, 0x100 + 'x', n), s);
        }
    }
    unsigned char high[] = { 1, 2, 0xff, 3 };
    ck_assert_ptr_eq(libc_memchr(high, -1, 4), high + 2);
    ck_assert_ptr_eq(libc_memchr(high, 0, 4), NULL);
}
END_TEST

static const char *const strings[] = {
    "", "a", "ab", "abc", "hello", "hello world", "hellO", "\x80high", "\x7flow", "abcdefghijklmnop",
    "GET / HTTP/1.1", "GET /index.html HTTP/1.0", "Host: example", "aaaaab", "aaab", "ab\xff",
};
#define NSTRINGS (sizeof(strings) / sizeof(strings[0]))

START_TEST(string_functions_match_host)
{
    for (size_t i = 0; i < NSTRINGS; i++) {
        const char *s = strings[i];
        ck_assert_uint_eq(libc_strlen(s), strlen(s));
        for (size_t m = 0; m < 20; m++)
            ck_assert_uint_eq(libc_strnlen(s, m), strnlen(s, m));
        for (int c = 0; c < 256; c++) {
            ck_assert_ptr_eq(libc_strchr(s, c), strchr(s, c));
            ck_assert_ptr_eq(libc_strrchr(s, c), strrchr(s, c));
        }
        for (size_t j = 0; j < NSTRINGS; j++) {
            const char *t = strings[j];
            ck_assert_int_eq(sign(libc_strcmp(s, t)), sign(strcmp(s, t)));
            for (size_t n = 0; n < 20; n++)
                ck_assert_int_eq(sign(libc_strncmp(s, t, n)), sign(strncmp(s, t, n)));
            ck_assert_ptr_eq(libc_strstr(s, t), strstr(s, t));
        }
    }
    ck_assert_ptr_eq(libc_strstr("aaaaab", "aab"), strstr("aaaaab", "aab"));
    ck_assert_ptr_null(libc_strstr("abc", "abcd"));
}
END_TEST

START_TEST(strchr_finds_terminator)
{
    const char *s = "abc";
    ck_assert_ptr_eq(libc_strchr(s, '\0'), s + 3);
    ck_assert_ptr_eq(libc_strrchr(s, '\0'), s + 3);
    ck_assert_ptr_eq(libc_strrchr("abcabc", 'b'), strrchr("abcabc", 'b'));
}
END_TEST

START_TEST(ctype_matches_c_locale)
{
    for (int c = -1; c < 256; c++) {
        ck_assert_msg(!libc_isdigit(c) == !isdigit(c), "isdigit %d", c);
        ck_assert_msg(!libc_isxdigit(c) == !isxdigit(c), "isxdigit %d", c);
        ck_assert_msg(!libc_isspace(c) == !isspace(c), "isspace %d", c);
        ck_assert_msg(!libc_isalpha(c) == !isalpha(c), "isalpha %d", c);
        ck_assert_msg(!libc_isalnum(c) == !isalnum(c), "isalnum %d", c);
        ck_assert_msg(!libc_isupper(c) == !isupper(c), "isupper %d", c);
        ck_assert_msg(!libc_islower(c) == !islower(c), "islower %d", c);
        ck_assert_msg(!libc_isprint(c) == !isprint(c), "isprint %d", c);
        ck_assert_msg(!libc_ispunct(c) == !ispunct(c), "ispunct %d", c);
        ck_assert_msg(!libc_iscntrl(c) == !iscntrl(c), "iscntrl %d", c);
        ck_assert_int_eq(libc_tolower(c), tolower(c));
        ck_assert_int_eq(libc_toupper(c), toupper(c));
    }
}
END_TEST

/* Large copies exercise the long-copy path (rep movsb or the word loop) with odd tails. */
START_TEST(large_copies)
{
    size_t sizes[] = { 1000, 1499, 1500, 4096, 4097, 65535 };
    unsigned char *src = malloc(70000), *got = malloc(70000), *want = malloc(70000);
    ck_assert(src && got && want);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        fill_pattern(src, 70000, (unsigned)i);
        memset(got, 0, 70000);
        memset(want, 0, 70000);
        libc_memcpy(got + 3, src + 1, sizes[i]);
        memcpy(want + 3, src + 1, sizes[i]);
        ck_assert(memcmp(got, want, 70000) == 0);
        libc_memmove(got + 100, got + 3, sizes[i]);
        memmove(want + 100, want + 3, sizes[i]);
        ck_assert(memcmp(got, want, 70000) == 0);
        libc_memmove(got + 1, got + 100, sizes[i]);
        memmove(want + 1, want + 100, sizes[i]);
        ck_assert(memcmp(got, want, 70000) == 0);
        libc_memset(got + 5, 0xC3, sizes[i]);
        memset(want + 5, 0xC3, sizes[i]);
        ck_assert(memcmp(got, want, 70000) == 0);
        ck_assert_int_eq(libc_memcmp(got, want, 70000), 0);
    }
    free(src);
    free(got);
    free(want);
}
END_TEST

static Suite *libc_suite(void)
{
    Suite *s = suite_create("libc");
    TCase *tc = tcase_create("string");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, memcpy_all_lengths_and_alignments);
    tcase_add_test(tc, memmove_overlapping_both_directions);
    tcase_add_test(tc, memmove_disjoint);
    tcase_add_test(tc, memset_all_lengths_and_alignments);
    tcase_add_test(tc, memcmp_sign_and_position);
    tcase_add_test(tc, memchr_finds_first_match_within_bounds);
    tcase_add_test(tc, string_functions_match_host);
    tcase_add_test(tc, strchr_finds_terminator);
    tcase_add_test(tc, large_copies);
    suite_add_tcase(s, tc);
    TCase *ct = tcase_create("ctype");
    tcase_add_test(ct, ctype_matches_c_locale);
    suite_add_tcase(s, ct);
    return s;
}

TEST_MAIN(libc_suite)
