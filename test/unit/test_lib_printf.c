/*
 * Unit tests for lib/printf: the standard conversions against the host's vsnprintf as the
 * oracle (every valid flag combination with several widths, precisions and values), the
 * C rules for truncation and return values, and the network extensions %pI4 and %pM.
 */
#include <check.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/printf.h"
#include "test/unit/sim/sim.h"
#include "xenolith/test_main.h"

static int compared;

/* ksnprintf without the format attribute: for the deliberately odd formats gcc would refuse. */
static int unchecked_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void check_against_host(const char *fmt, ...)
{
    char got[600], want[600];
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    memset(got, 'Z', sizeof(got));
    int n_got = kvsnprintf(got, sizeof(got), fmt, ap);
    int n_want = vsnprintf(want, sizeof(want), fmt, ap2);
    va_end(ap2);
    va_end(ap);
    ck_assert_msg(n_got == n_want && strcmp(got, want) == 0,
                  "format \"%s\": got \"%s\" (%d), host \"%s\" (%d)", fmt, got, n_got, want, n_want);
    compared++;
}

static const char *const widths[] = { "", "1", "5", "12", "25" };
static const char *const precisions[] = { "", ".", ".0", ".1", ".3", ".10" };

/* Builds "%<flags><width><precision><length><conv>" for every subset of `flags`. */
static void for_each_spec(const char *flags, const char *length, char conv,
                          void (*run)(const char *fmt, void *arg), void *arg)
{
    size_t nflags = strlen(flags);
    for (unsigned mask = 0; mask < (1u << nflags); mask++) {
        for (size_t w = 0; w < sizeof(widths) / sizeof(widths[0]); w++) {
            for (size_t p = 0; p < sizeof(precisions) / sizeof(precisions[0]); p++) {
                char fmt[40];
                size_t n = 0;
                fmt[n++] = '[';
                fmt[n++] = '%';
                for (size_t f = 0; f < nflags; f++)
                    if (mask & (1u << f))
                        fmt[n++] = flags[f];
                n += (size_t)sprintf(fmt + n, "%s%s%s%c]", widths[w], precisions[p], length, conv);
                run(fmt, arg);
            }
        }
    }
}

static const int int_values[] = { 0, 1, -1, 7, 42, -42, 255, 4096, 123456789, INT_MAX, INT_MIN };

static void run_int(const char *fmt, void *arg)
{
    for (size_t i = 0; i < sizeof(int_values) / sizeof(int_values[0]); i++)
        check_against_host(fmt, int_values[i]);
}

START_TEST(signed_int_all_flags)
{
    for_each_spec("-+ 0", "", 'd', run_int, NULL);
    for_each_spec("-+ 0", "", 'i', run_int, NULL);
}
END_TEST

START_TEST(unsigned_int_all_flags)
{
    for_each_spec("-0", "", 'u', run_int, NULL);
    for_each_spec("-0#", "", 'x', run_int, NULL);
    for_each_spec("-0#", "", 'X', run_int, NULL);
    for_each_spec("-0#", "", 'o', run_int, NULL);
}
END_TEST

static const long long ll_values[] = { 0, 1, -1, 1000000000000ll, -9876543210ll, LLONG_MAX, LLONG_MIN };

static void run_ll(const char *fmt, void *arg)
{
    for (size_t i = 0; i < sizeof(ll_values) / sizeof(ll_values[0]); i++)
        check_against_host(fmt, ll_values[i]);
}

START_TEST(long_long_all_flags)
{
    for_each_spec("-+ 0", "ll", 'd', run_ll, NULL);
    for_each_spec("-0#", "ll", 'x', run_ll, NULL);
    for_each_spec("-0#", "ll", 'o', run_ll, NULL);
    for_each_spec("-0", "ll", 'u', run_ll, NULL);
}
END_TEST

START_TEST(length_modifiers)
{
    check_against_host("%hhd %hhu %hhx", 300, 300, -1);
    check_against_host("%hhd %hhd", 127, 128);
    check_against_host("%hd %hu %hx", 70000, 70000, -1);
    check_against_host("%ld %lu %lx", LONG_MIN, ULONG_MAX, 0xdeadbeefl);
    check_against_host("%lld %llu %llx %llX", LLONG_MIN, ULLONG_MAX, 0x123456789abcdefull,
                       0xfedcba987654321ull);
    check_against_host("%zu %zx %zd", (size_t)SIZE_MAX, (size_t)4096, (ssize_t)-5);
    check_against_host("%td %tu", (ptrdiff_t)-77, (ptrdiff_t)77);
    check_against_host("%jd %ju", (intmax_t)INTMAX_MIN, (uintmax_t)UINTMAX_MAX);
}
END_TEST

static const char *const str_values[] = { "", "a", "hello", "a longer string of text" };

static void run_str(const char *fmt, void *arg)
{
    for (size_t i = 0; i < sizeof(str_values) / sizeof(str_values[0]); i++)
        check_against_host(fmt, str_values[i]);
}

static void run_char(const char *fmt, void *arg)
{
    check_against_host(fmt, 'x');
    check_against_host(fmt, '%');
}

START_TEST(strings_and_chars)
{
    for_each_spec("-", "", 's', run_str, NULL);
    check_against_host("%-5c|%5c|%c", 'a', 'b', 'c');
    check_against_host("%c%c%c", 'x', 'y', 'z');
    check_against_host("100%% sure, %5s%%", "very");
    (void)run_char;
}
END_TEST

START_TEST(star_width_and_precision)
{
    check_against_host("[%*d] [%-*d] [%*d]", 6, 42, 6, 42, -6, 42);
    check_against_host("[%.*d] [%.*d] [%.*s]", 5, 42, -1, 42, 3, "abcdef");
    check_against_host("[%*.*x] [%0*d]", 10, 4, 0xab, 8, -3);
    check_against_host("[%.*s]", -2, "negative precision is ignored");
}
END_TEST

START_TEST(pointer_like_host)
{
    int x;
    check_against_host("%p", (void *)&x);
    check_against_host("%p", (void *)0x1);
    check_against_host("[%20p] [%-20p]", (void *)&x, (void *)&x);
    check_against_host("%p", (void *)NULL);
    check_against_host("[%10p]", (void *)NULL);
}
END_TEST

/* The edge cases the C standard (and the brief) single out. */
START_TEST(edge_cases)
{
    char buf[32];
    ck_assert_int_eq(ksnprintf(NULL, 0, "%d apples", 12345), 12);
    memset(buf, 'Z', sizeof(buf));
    ck_assert_int_eq(ksnprintf(buf, 0, "abc"), 3);
    ck_assert_int_eq(buf[0], 'Z'); /* size 0: nothing written, not even the terminator */
    ck_assert_int_eq(ksnprintf(buf, 1, "abc"), 3);
    ck_assert_str_eq(buf, "");
    memset(buf, 'Z', sizeof(buf));
    ck_assert_int_eq(ksnprintf(buf, 5, "%s-%d", "abcdef", 99), 9);
    ck_assert_str_eq(buf, "abcd");
    ck_assert_int_eq(buf[5], 'Z'); /* nothing past the given size */
    ck_assert_int_eq(unchecked_snprintf(buf, sizeof(buf), "%s", (char *)NULL), 6);
    ck_assert_str_eq(buf, "(null)");
    ck_assert_int_eq(unchecked_snprintf(buf, sizeof(buf), "[%8s]", (char *)NULL), 10);
    ck_assert_str_eq(buf, "[  (null)]");
    ksnprintf(buf, sizeof(buf), "%d", INT_MIN);
    ck_assert_str_eq(buf, "-2147483648");
    ksnprintf(buf, sizeof(buf), "%lld", LLONG_MIN);
    ck_assert_str_eq(buf, "-9223372036854775808");
    ksnprintf(buf, sizeof(buf), "%#x|%#o|%#X", 0, 0, 0);
    ck_assert_str_eq(buf, "0|0|0");
    ksnprintf(buf, sizeof(buf), "%.0d|%.0x|%#.0o", 0, 0, 0);
    ck_assert_str_eq(buf, "||0");
    check_against_host("%#x|%#o|%.0d|%#.0x|%#.0o|%+.0d|% .0d", 0, 0, 0, 0, 0, 0, 0);
    /* Truncation matches the host byte for byte, at every size. */
    for (size_t size = 0; size <= 20; size++) {
        char got[24], want[24];
        memset(got, 'Z', sizeof(got));
        memset(want, 'Z', sizeof(want));
        int a = ksnprintf(got, size, "%05d|%s|%x", -42, "text", 0xbeef);
        int b = snprintf(want, size, "%05d|%s|%x", -42, "text", 0xbeef);
        ck_assert_int_eq(a, b);
        ck_assert(memcmp(got, want, sizeof(got)) == 0);
    }
}
END_TEST

/* A string with a precision need not be terminated: no byte past the precision is read. */
START_TEST(precision_bounds_the_read)
{
    char unterminated[4] = { 'a', 'b', 'c', 'd' };
    char buf[16];
    ck_assert_int_eq(ksnprintf(buf, sizeof(buf), "%.4s", unterminated), 4);
    ck_assert_str_eq(buf, "abcd");
    ck_assert_int_eq(ksnprintf(buf, sizeof(buf), "%.2s", unterminated), 2);
    ck_assert_str_eq(buf, "ab");
}
END_TEST

START_TEST(ipv4_and_mac)
{
    char buf[64];
    uint8_t ip[4] = { 10, 0, 0, 2 };
    uint8_t ip2[4] = { 255, 255, 255, 255 };
    uint8_t ip3[4] = { 0, 100, 9, 199 };
    uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0xab };
    ck_assert_int_eq(ksnprintf(buf, sizeof(buf), "%pI4", ip), 8);
    ck_assert_str_eq(buf, "10.0.0.2");
    ksnprintf(buf, sizeof(buf), "%pI4 %pI4", ip2, ip3);
    ck_assert_str_eq(buf, "255.255.255.255 0.100.9.199");
    ck_assert_int_eq(ksnprintf(buf, sizeof(buf), "%pM", mac), 17);
    ck_assert_str_eq(buf, "52:54:00:12:34:ab");
    ksnprintf(buf, sizeof(buf), "[%-12pI4] [%12pI4]", ip, ip);
    ck_assert_str_eq(buf, "[10.0.0.2    ] [    10.0.0.2]");
    ksnprintf(buf, sizeof(buf), "%pI4/%pM", (void *)NULL, (void *)NULL);
    ck_assert_str_eq(buf, "(null)/(null)");
    /* Text after the extension continues normally; "%pI" without 4 is a plain pointer. */
    ksnprintf(buf, sizeof(buf), "via %pI4:%d", ip, 80);
    ck_assert_str_eq(buf, "via 10.0.0.2:80");
    ksnprintf(buf, sizeof(buf), "%pIx", (void *)0x10);
    ck_assert_str_eq(buf, "0x10Ix");
}
END_TEST

START_TEST(unknown_conversion_is_shown)
{
    char buf[32];
    unchecked_snprintf(buf, sizeof(buf), "a%yb");
    ck_assert_str_eq(buf, "a%yb");
    unchecked_snprintf(buf, sizeof(buf), "end%");
    ck_assert_str_eq(buf, "end%");
}
END_TEST

static size_t sink_calls;
static char sink_text[256];
static size_t sink_len;

static void counting_sink(void *ctx, const char *chunk, size_t len)
{
    ck_assert_ptr_eq(ctx, &sink_calls);
    sink_calls++;
    memcpy(sink_text + sink_len, chunk, len);
    sink_len += len;
}

static int format_to_sink(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvformat(counting_sink, &sink_calls, fmt, ap);
    va_end(ap);
    return n;
}

START_TEST(kvformat_sink_gets_everything)
{
    int n = format_to_sink("x=%d y=%s %pI4", 5, "ok", (uint8_t[4]){ 1, 2, 3, 4 });
    ck_assert_int_eq(n, 16);
    ck_assert_uint_eq(sink_len, 16);
    ck_assert(memcmp(sink_text, "x=5 y=ok 1.2.3.4", 16) == 0);
    ck_assert_uint_gt(sink_calls, 1);
}
END_TEST

START_TEST(kprintf_goes_to_console)
{
    sim_reset(0);
    ck_assert_int_eq(kprintf("hello %s %d\n", "console", 7), 16);
    ck_assert_str_eq(sim_console_output(), "hello console 7\n");
    /* Longer than the staging buffer: still complete and in order. */
    sim_reset(0);
    char big[2000];
    for (size_t i = 0; i < sizeof(big) - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(kprintf("<%s>", big), 2001);
    const char *out = sim_console_output();
    ck_assert_uint_eq(strlen(out), 2001);
    ck_assert_int_eq(out[0], '<');
    ck_assert(memcmp(out + 1, big, 1999) == 0);
    ck_assert_int_eq(out[2000], '>');
}
END_TEST

START_TEST(oracle_coverage)
{
    /* Guards against the loops above silently comparing nothing. */
    compared = 0;
    for_each_spec("-+ 0", "", 'd', run_int, NULL);
    ck_assert_int_eq(compared, 16 * 5 * 6 * (int)(sizeof(int_values) / sizeof(int_values[0])));
}
END_TEST

static Suite *printf_suite(void)
{
    Suite *s = suite_create("lib_printf");
    TCase *tc = tcase_create("host_oracle");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, signed_int_all_flags);
    tcase_add_test(tc, unsigned_int_all_flags);
    tcase_add_test(tc, long_long_all_flags);
    tcase_add_test(tc, length_modifiers);
    tcase_add_test(tc, strings_and_chars);
    tcase_add_test(tc, star_width_and_precision);
    tcase_add_test(tc, pointer_like_host);
    tcase_add_test(tc, oracle_coverage);
    suite_add_tcase(s, tc);
    TCase *ec = tcase_create("edges");
    tcase_add_test(ec, edge_cases);
    tcase_add_test(ec, precision_bounds_the_read);
    tcase_add_test(ec, ipv4_and_mac);
    tcase_add_test(ec, unknown_conversion_is_shown);
    tcase_add_test(ec, kvformat_sink_gets_everything);
    tcase_add_test(ec, kprintf_goes_to_console);
    suite_add_tcase(s, ec);
    return s;
}

TEST_MAIN(printf_suite)
