/*
 * Unit tests for dns/dns_name: names in text and wire form (RFC 1035 2.3.4 limits, 5.1 escapes),
 * comparison without regard to case (RFC 4343) and zone membership.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_wire.h"
#include "lib/errno.h"
#include "xenolith/test_main.h"

static struct dns_name name_of(const char *text)
{
    struct dns_name n;
    ck_assert_int_eq(dns_name_from_text(&n, text, strlen(text)), 0);
    return n;
}

START_TEST(text_to_wire_and_back)
{
    struct dns_name n = name_of("www.Example.com");
    ck_assert_int_eq(n.len, 17);
    ck_assert_mem_eq(n.wire, "\3www\7Example\3com\0", 17);
    struct dns_name dotted = name_of("www.Example.com.");
    ck_assert(dns_name_equal(&n, &dotted));
    char text[DNS_TEXT_MAX];
    ck_assert_int_eq(dns_name_to_text(&n, text, sizeof(text)), 15);
    ck_assert_str_eq(text, "www.Example.com");
    ck_assert_int_eq(dns_name_labels(&n), 3);
    struct dns_name root = name_of(".");
    ck_assert_int_eq(root.len, 1);
    ck_assert_int_eq(dns_name_labels(&root), 0);
    ck_assert_int_eq(dns_name_to_text(&root, text, sizeof(text)), 1);
    ck_assert_str_eq(text, ".");
    /* a buffer too small is refused, not overrun */
    ck_assert_int_eq(dns_name_to_text(&n, text, 15), -ENOSPC);
}
END_TEST

START_TEST(escapes_round_trip)
{
    /* RFC 1035 5.1: "\X" is the character X, "\DDD" the byte of that decimal value */
    struct dns_name n = name_of("a\\.b\\092\\000.c");
    ck_assert_int_eq(n.len, 1 + 5 + 2 + 1);
    ck_assert_mem_eq(n.wire, "\5a.b\\\0\1c\0", 9);
    char text[DNS_TEXT_MAX];
    ck_assert_int_gt(dns_name_to_text(&n, text, sizeof(text)), 0);
    ck_assert_str_eq(text, "a\\.b\\\\\\000.c");
    struct dns_name back = name_of(text);
    ck_assert(dns_name_equal(&n, &back));
    struct dns_name bad;
    ck_assert_int_eq(dns_name_from_text(&bad, "a\\25", 4), -EINVAL);
    ck_assert_int_eq(dns_name_from_text(&bad, "a\\256", 5), -EINVAL);
    ck_assert_int_eq(dns_name_from_text(&bad, "a\\", 2), -EINVAL);
}
END_TEST

START_TEST(one_character_unescaped)
{
    /* RFC 1035 5.1: "\X" is X, "\DDD" the byte of that decimal value, others themselves */
    uint8_t b;
    ck_assert_int_eq(dns_text_unescape("a", 1, &b), 1);
    ck_assert_uint_eq(b, 'a');
    ck_assert_int_eq(dns_text_unescape("\\\"x", 3, &b), 2);
    ck_assert_uint_eq(b, '"');
    ck_assert_int_eq(dns_text_unescape("\\059x", 5, &b), 4);
    ck_assert_uint_eq(b, ';');
    ck_assert_int_eq(dns_text_unescape("\\255", 4, &b), 4);
    ck_assert_uint_eq(b, 255);
    ck_assert_int_eq(dns_text_unescape("\\256", 4, &b), -EINVAL);
    ck_assert_int_eq(dns_text_unescape("\\05", 3, &b), -EINVAL);
    ck_assert_int_eq(dns_text_unescape("\\0a5", 4, &b), -EINVAL);
    ck_assert_int_eq(dns_text_unescape("\\", 1, &b), -EINVAL);
}
END_TEST

START_TEST(label_limit_63)
{
    /* RFC 1035 2.3.4: labels are 63 octets or less */
    char text[80];
    memset(text, 'a', 63);
    strcpy(text + 63, ".com");
    struct dns_name n;
    ck_assert_int_eq(dns_name_from_text(&n, text, strlen(text)), 0);
    memset(text, 'a', 64);
    strcpy(text + 64, ".com");
    ck_assert_int_eq(dns_name_from_text(&n, text, strlen(text)), -EINVAL);
}
END_TEST

START_TEST(name_limit_255)
{
    /* RFC 1035 2.3.4: names are 255 octets or less, length bytes and the root counted.
     * Four labels of 62 ("62 chars" + dot) then one byte: 4*63 + 2 + 1 = 255. */
    char text[300];
    size_t len = 0;
    for (int i = 0; i < 4; i++) {
        memset(text + len, 'x', 62);
        len += 62;
        text[len++] = '.';
    }
    text[len++] = 'y';
    struct dns_name n;
    ck_assert_int_eq(dns_name_from_text(&n, text, len), 0);
    ck_assert_int_eq(n.len, 255);
    text[len++] = 'z'; /* 256 */
    ck_assert_int_eq(dns_name_from_text(&n, text, len), -EINVAL);
}
END_TEST

START_TEST(empty_labels_refused)
{
    struct dns_name n;
    ck_assert_int_eq(dns_name_from_text(&n, "", 0), -EINVAL);
    ck_assert_int_eq(dns_name_from_text(&n, "a..b", 4), -EINVAL);
    ck_assert_int_eq(dns_name_from_text(&n, ".a", 2), -EINVAL);
    ck_assert_int_eq(dns_name_from_text(&n, "..", 2), -EINVAL);
}
END_TEST

START_TEST(comparison_ignores_ascii_case)
{
    /* RFC 4343 3: ASCII letters compare without regard to case; other bytes exactly */
    struct dns_name a = name_of("WWW.example.COM"), b = name_of("www.EXAMPLE.com");
    ck_assert(dns_name_equal(&a, &b));
    struct dns_name c = name_of("www.example.co");
    ck_assert(!dns_name_equal(&a, &c));
    /* bytes outside A-Z/a-z are not folded: '[' (0x5b) is not '{' (0x7b) */
    struct dns_name d = name_of("a["), e = name_of("a{");
    ck_assert(!dns_name_equal(&d, &e));
}
END_TEST

START_TEST(zone_membership)
{
    struct dns_name zone = name_of("Example.com");
    struct dns_name in = name_of("a.b.EXAMPLE.com"), apex = name_of("example.COM");
    struct dns_name out = name_of("badexample.com"), other = name_of("example.org");
    struct dns_name root = name_of(".");
    ck_assert(dns_name_is_under(&in, &zone));
    ck_assert(dns_name_is_under(&apex, &zone));
    /* a suffix must end on a label boundary: badexample.com is not under example.com */
    ck_assert(!dns_name_is_under(&out, &zone));
    ck_assert(!dns_name_is_under(&other, &zone));
    ck_assert(!dns_name_is_under(&zone, &in));
    ck_assert(dns_name_is_under(&in, &root));
}
END_TEST

static Suite *dns_name_suite(void)
{
    Suite *s = suite_create("dns_name");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, text_to_wire_and_back);
    tcase_add_test(tc, escapes_round_trip);
    tcase_add_test(tc, one_character_unescaped);
    tcase_add_test(tc, label_limit_63);
    tcase_add_test(tc, name_limit_255);
    tcase_add_test(tc, empty_labels_refused);
    tcase_add_test(tc, comparison_ignores_ascii_case);
    tcase_add_test(tc, zone_membership);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dns_name_suite)
