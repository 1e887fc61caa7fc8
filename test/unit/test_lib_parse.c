/*
 * Unit tests for lib/parse: numbers (bases, overflow, end position) and IPv4/CIDR/MAC text.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "lib/parse.h"
#include "xenolith/test_main.h"

#define S(str) str, strlen(str)

START_TEST(u64_decimal_and_hex)
{
    uint64_t v = 7;
    ck_assert_int_eq(parse_u64(S("0"), 10, &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(parse_u64(S("18446744073709551615"), 10, &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert_int_eq(parse_u64(S("18446744073709551616"), 10, &v), -ERANGE);
    ck_assert_int_eq(parse_u64(S("99999999999999999999999"), 10, &v), -ERANGE);
    ck_assert_uint_eq(v, UINT64_MAX); /* untouched on error */
    ck_assert_int_eq(parse_u64(S("ffffffffffffffff"), 16, &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert_int_eq(parse_u64(S("10000000000000000"), 16, &v), -ERANGE);
    ck_assert_int_eq(parse_u64(S("DeadBeef"), 16, &v), 0);
    ck_assert_uint_eq(v, 0xdeadbeef);
    ck_assert_int_eq(parse_u64(S("0x1F"), 0, &v), 0);
    ck_assert_uint_eq(v, 0x1f);
    ck_assert_int_eq(parse_u64(S("0X1f"), 0, &v), 0);
    ck_assert_uint_eq(v, 0x1f);
    ck_assert_int_eq(parse_u64(S("017"), 0, &v), 0); /* base 0 has no octal: decimal */
    ck_assert_uint_eq(v, 17);
    ck_assert_int_eq(parse_u64(S("0x1f"), 16, &v), -EINVAL); /* explicit base: digits only */
}
END_TEST

START_TEST(u64_refuses_malformed)
{
    uint64_t v;
    static const char *const bad[] = { "", " 1", "1 ", "+1", "-1", "1a", "0x", "x1", "1.0", "١" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(parse_u64(S(bad[i]), 10, &v) == -EINVAL, "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(parse_u64(S("0x"), 0, &v), -EINVAL);
    ck_assert_int_eq(parse_u64(S("12"), 8, &v), -EINVAL); /* unsupported base */
    ck_assert_int_eq(parse_u64(S("g"), 16, &v), -EINVAL);
}
END_TEST

/* Length bounds the input: the text need not be terminated, and bytes past len are ignored. */
START_TEST(length_bounds_the_input)
{
    uint64_t v;
    ck_assert_int_eq(parse_u64("12345", 3, 10, &v), 0);
    ck_assert_uint_eq(v, 123);
    char raw[2] = { '4', '2' };
    ck_assert_int_eq(parse_u64(raw, 2, 10, &v), 0);
    ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(prefix_reports_the_end)
{
    uint64_t v;
    size_t used = 99;
    ck_assert_int_eq(parse_u64_prefix(S("1500 bytes"), 10, &v, &used), 0);
    ck_assert_uint_eq(v, 1500);
    ck_assert_uint_eq(used, 4);
    ck_assert_int_eq(parse_u64_prefix(S("0x1fZ"), 0, &v, &used), 0);
    ck_assert_uint_eq(v, 0x1f);
    ck_assert_uint_eq(used, 4);
    ck_assert_int_eq(parse_u64_prefix(S("abc"), 10, &v, &used), -EINVAL);
    ck_assert_int_eq(parse_u64_prefix(S("ffffffffffffffff1;"), 16, &v, &used), -ERANGE);
}
END_TEST

START_TEST(u32_and_i64_ranges)
{
    uint32_t u;
    int64_t i;
    ck_assert_int_eq(parse_u32(S("4294967295"), 10, &u), 0);
    ck_assert_uint_eq(u, UINT32_MAX);
    ck_assert_int_eq(parse_u32(S("4294967296"), 10, &u), -ERANGE);
    ck_assert_int_eq(parse_i64(S("-9223372036854775808"), &i), 0);
    ck_assert(i == INT64_MIN);
    ck_assert_int_eq(parse_i64(S("9223372036854775807"), &i), 0);
    ck_assert(i == INT64_MAX);
    ck_assert_int_eq(parse_i64(S("9223372036854775808"), &i), -ERANGE);
    ck_assert_int_eq(parse_i64(S("-9223372036854775809"), &i), -ERANGE);
    ck_assert_int_eq(parse_i64(S("-0"), &i), 0);
    ck_assert_int_eq(i, 0);
    ck_assert_int_eq(parse_i64(S("-"), &i), -EINVAL);
    ck_assert_int_eq(parse_i64(S("--1"), &i), -EINVAL);
    ck_assert_int_eq(parse_i64(S("+1"), &i), -EINVAL);
}
END_TEST

START_TEST(ipv4_accepts_dotted_quads)
{
    uint8_t a[4];
    ck_assert_int_eq(parse_ipv4(S("10.0.0.2"), a), 0);
    ck_assert(a[0] == 10 && a[1] == 0 && a[2] == 0 && a[3] == 2);
    ck_assert_int_eq(parse_ipv4(S("255.255.255.255"), a), 0);
    ck_assert(a[0] == 255 && a[3] == 255);
    ck_assert_int_eq(parse_ipv4(S("0.0.0.0"), a), 0);
    ck_assert(a[0] == 0 && a[3] == 0);
    ck_assert_int_eq(parse_ipv4(S("192.168.100.9"), a), 0);
    ck_assert(a[0] == 192 && a[1] == 168 && a[2] == 100 && a[3] == 9);
}
END_TEST

START_TEST(ipv4_refuses_everything_else)
{
    uint8_t a[4] = { 1, 2, 3, 4 };
    static const char *const bad[] = {
        "", "1", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "256.0.0.1", "1.2.3.256",
        "1.2.3.999", "1.2.3.1000", "010.0.0.1", "1.2.3.04", "00.1.2.3", "+1.2.3.4", " 1.2.3.4",
        "1.2.3.4 ", "1.2.3.4/24", "1.2.3.-4", "0x1.2.3.4", "1.2.3.4a", "a.b.c.d",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(parse_ipv4(S(bad[i]), a) < 0, "accepted \"%s\"", bad[i]);
    ck_assert(a[0] == 1 && a[1] == 2 && a[2] == 3 && a[3] == 4); /* untouched */
}
END_TEST

START_TEST(cidr)
{
    uint8_t a[4];
    uint8_t n = 99;
    ck_assert_int_eq(parse_ipv4_cidr(S("10.0.0.2/24"), a, &n), 0);
    ck_assert(a[0] == 10 && a[3] == 2);
    ck_assert_uint_eq(n, 24);
    ck_assert_int_eq(parse_ipv4_cidr(S("10.0.0.2/0"), a, &n), 0);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(parse_ipv4_cidr(S("10.0.0.2/32"), a, &n), 0);
    ck_assert_uint_eq(n, 32);
    static const char *const bad[] = { "10.0.0.2", "10.0.0.2/", "10.0.0.2/33", "10.0.0.2/024",
                                       "10.0.0.2/2x", "10.0.0.2/-1", "10.0.0/8", "/24",
                                       "10.0.0.2/24/1", "10.0.0.2/ 24", "10.0.0.2/100" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(parse_ipv4_cidr(S(bad[i]), a, &n) < 0, "accepted \"%s\"", bad[i]);
}
END_TEST

START_TEST(mac)
{
    uint8_t m[6];
    ck_assert_int_eq(parse_mac(S("52:54:00:12:34:aB"), m), 0);
    ck_assert(m[0] == 0x52 && m[1] == 0x54 && m[2] == 0 && m[3] == 0x12 && m[4] == 0x34 && m[5] == 0xab);
    ck_assert_int_eq(parse_mac(S("ff-ff-ff-ff-ff-ff"), m), 0);
    ck_assert(m[0] == 0xff && m[5] == 0xff);
    static const char *const bad[] = { "", "52:54:00:12:34", "52:54:00:12:34:56:78", "52:54-00:12:34:56",
                                       "5:54:00:12:34:567", "52:54:00:12:34:5g", "52.54.00.12.34.56",
                                       "525400123456", " 52:54:00:12:34:5" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(parse_mac(S(bad[i]), m) < 0, "accepted \"%s\"", bad[i]);
}
END_TEST

static Suite *parse_suite(void)
{
    Suite *s = suite_create("lib_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, u64_decimal_and_hex);
    tcase_add_test(tc, u64_refuses_malformed);
    tcase_add_test(tc, length_bounds_the_input);
    tcase_add_test(tc, prefix_reports_the_end);
    tcase_add_test(tc, u32_and_i64_ranges);
    tcase_add_test(tc, ipv4_accepts_dotted_quads);
    tcase_add_test(tc, ipv4_refuses_everything_else);
    tcase_add_test(tc, cidr);
    tcase_add_test(tc, mac);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(parse_suite)
