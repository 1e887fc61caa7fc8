/*
 * Unit tests for net/tcp_seq: modular sequence comparisons (RFC 9293 3.4) across the 2^32 wrap,
 * ranges and windows, and window scaling arithmetic (RFC 7323 2).
 */
#include <check.h>
#include <stdlib.h>

#include "net/wire/tcp_seq.h"
#include "xenolith/test_main.h"

/* RFC 9293 3.4: comparisons are modulo 2^32; 0 follows 0xffffffff. */
START_TEST(comparisons_wrap)
{
    ck_assert(seq_lt(1, 2) && !seq_lt(2, 1) && !seq_lt(5, 5));
    ck_assert(seq_lt(0xfffffff0u, 0x10u));
    ck_assert(seq_gt(0x10u, 0xfffffff0u));
    ck_assert(seq_le(0xffffffffu, 0) && seq_le(7, 7) && !seq_le(0, 0xffffffffu));
    ck_assert(seq_ge(0, 0xffffffffu) && seq_ge(7, 7) && !seq_ge(0xffffffffu, 0));
    ck_assert_int_eq(seq_diff(0x5, 0xfffffffbu), 10);
    ck_assert_int_eq(seq_diff(0xfffffffbu, 0x5), -10);
    ck_assert_uint_eq(seq_max(0xfffffff0u, 0x10u), 0x10u);
    ck_assert_uint_eq(seq_min(0xfffffff0u, 0x10u), 0xfffffff0u);
}
END_TEST

/* Half the circle ahead is "greater", anything further is "behind". */
START_TEST(comparisons_half_circle)
{
    ck_assert(seq_lt(0, 0x7fffffffu));
    ck_assert(seq_gt(0, 0x80000001u));
    for (uint32_t base = 0; base < 0xf0000000u; base += 0x10000001u) {
        ck_assert(seq_lt(base, base + 1000));
        ck_assert(seq_gt(base, base - 1000));
    }
}
END_TEST

START_TEST(between_inclusive_and_wrapping)
{
    ck_assert(seq_between(5, 5, 10) && seq_between(10, 5, 10) && seq_between(7, 5, 10));
    ck_assert(!seq_between(4, 5, 10) && !seq_between(11, 5, 10));
    ck_assert(seq_between(0, 0xfffffff0u, 0x10u));
    ck_assert(seq_between(0xfffffff5u, 0xfffffff0u, 0x10u));
    ck_assert(!seq_between(0x11u, 0xfffffff0u, 0x10u));
    /* hi behind lo: an empty range. */
    ck_assert(!seq_between(7, 10, 5));
}
END_TEST

START_TEST(in_window)
{
    ck_assert(seq_in_window(100, 100, 1) && !seq_in_window(101, 100, 1));
    ck_assert(!seq_in_window(100, 100, 0));
    ck_assert(!seq_in_window(99, 100, 10) && seq_in_window(109, 100, 10) && !seq_in_window(110, 100, 10));
    ck_assert(seq_in_window(3, 0xfffffffeu, 10) && !seq_in_window(8, 0xfffffffeu, 10));
}
END_TEST

/* RFC 7323 2.2: the window field is shifted left by the scale; 2.3: shifts above 14 count as 14. */
START_TEST(window_scaling)
{
    ck_assert_uint_eq(tcp_window_unscale(0xffff, 0), 0xffffu);
    ck_assert_uint_eq(tcp_window_unscale(1000, 7), 128000u);
    ck_assert_uint_eq(tcp_window_unscale(0xffff, 14), TCP_MAX_WINDOW);
    ck_assert_uint_eq(tcp_window_unscale(0xffff, 15), TCP_MAX_WINDOW);
    ck_assert(TCP_MAX_WINDOW < 0x80000000u);
}
END_TEST

/* The field rounds up to a unit of 2^shift (never advertising less than the window, which would
 * pull the right edge back: RFC 9293 3.8.6.2.2) and saturates at 65535. */
START_TEST(window_field)
{
    ck_assert_uint_eq(tcp_window_field(65535, 0), 65535);
    ck_assert_uint_eq(tcp_window_field(65536, 0), 65535);
    ck_assert_uint_eq(tcp_window_field(1024, 10), 1);
    ck_assert_uint_eq(tcp_window_field(1025, 10), 2);
    ck_assert_uint_eq(tcp_window_field(0, 10), 0);
    ck_assert_uint_eq(tcp_window_field(0xffffffffu, 14), 65535);
    ck_assert_uint_eq(tcp_window_field(4u << 14, 20), 4);
    for (uint32_t w = 0; w < 300000; w += 997)
        ck_assert(tcp_window_unscale(tcp_window_field(w, 3), 3) >= w);
}
END_TEST

/* RFC 7323 2.2: the shift offered is the smallest that covers the receive buffer, at most 14. */
START_TEST(wscale_for_buffer)
{
    ck_assert_uint_eq(tcp_wscale_for_buffer(0), 0);
    ck_assert_uint_eq(tcp_wscale_for_buffer(65535), 0);
    ck_assert_uint_eq(tcp_wscale_for_buffer(65536), 1);
    ck_assert_uint_eq(tcp_wscale_for_buffer(4u << 20), 7);
    ck_assert_uint_eq(tcp_wscale_for_buffer(0xffffffffu), 14);
}
END_TEST

/* RFC 9293 3.8.6.2.1: what a (possibly shrunk) window leaves to send. */
START_TEST(window_left)
{
    ck_assert_uint_eq(tcp_window_left(1000, 400), 600);
    ck_assert_uint_eq(tcp_window_left(1000, 1000), 0);
    ck_assert_uint_eq(tcp_window_left(1000, 1200), 0);
    ck_assert_uint_eq(tcp_window_left(0x10, 0xfffffff0u), 0x20);
}
END_TEST

static Suite *tcp_seq_suite(void)
{
    Suite *s = suite_create("tcp_seq");
    TCase *tc = tcase_create("seq");
    tcase_add_test(tc, comparisons_wrap);
    tcase_add_test(tc, comparisons_half_circle);
    tcase_add_test(tc, between_inclusive_and_wrapping);
    tcase_add_test(tc, in_window);
    tcase_add_test(tc, window_scaling);
    tcase_add_test(tc, window_field);
    tcase_add_test(tc, wscale_for_buffer);
    tcase_add_test(tc, window_left);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tcp_seq_suite)
