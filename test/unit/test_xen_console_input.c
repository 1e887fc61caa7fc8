/*
 * Unit tests for the consumer side of the PV console's "in" ring in xen/console_ring.h (Xen
 * public io/console.h: in_cons/in_prod free-running 32-bit indices, masked slots): pending
 * bytes are taken in order across the 2^32 wrap, in_cons moves by what was taken, and
 * impossible indices are refused without consuming anything.
 */
#include <check.h>
#include <string.h>

#include "xen/console_ring.h"
#include "test/unit/xen_fixture.h"
#include "xenolith/test_main.h"

static struct xencons_interface ring;

START_TEST(takes_pending_bytes_in_order)
{
    memset(&ring, 0, sizeof(ring));
    memcpy(ring.in, "ping\n", 5);
    ring.in_prod = 5;
    ck_assert_int_eq(xencons_in_pending(&ring), 5);
    char buf[8];
    ck_assert_int_eq(xencons_in_get(&ring, buf, 3), 3);
    ck_assert(memcmp(buf, "pin", 3) == 0);
    ck_assert_uint_eq(ring.in_cons, 3);
    ck_assert_int_eq(xencons_in_get(&ring, buf, sizeof(buf)), 2);
    ck_assert(memcmp(buf, "g\n", 2) == 0);
    ck_assert_int_eq(xencons_in_get(&ring, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(wraps_at_two_to_the_32)
{
    memset(&ring, 0, sizeof(ring));
    ring.in_cons = 0xfffffffeu;
    ring.in[sizeof(ring.in) - 2] = 'a';
    ring.in[sizeof(ring.in) - 1] = 'b';
    ring.in[0] = 'c';
    ring.in_prod = 1;
    char buf[4];
    ck_assert_int_eq(xencons_in_get(&ring, buf, sizeof(buf)), 3);
    ck_assert(memcmp(buf, "abc", 3) == 0);
    ck_assert_uint_eq(ring.in_cons, 1);
}
END_TEST

START_TEST(corrupt_indices_consume_nothing)
{
    memset(&ring, 0, sizeof(ring));
    ring.in_cons = 10;
    ring.in_prod = 10 + (XENCONS_RING_IDX)sizeof(ring.in) + 1;
    char buf[4];
    ck_assert_int_eq(xencons_in_pending(&ring), 0);
    ck_assert_int_eq(xencons_in_get(&ring, buf, sizeof(buf)), -1);
    ck_assert_uint_eq(ring.in_cons, 10);
}
END_TEST

static Suite *xen_console_input_suite(void)
{
    Suite *s = suite_create("xen_console_input");
    TCase *tc = tcase_create("in ring");
    tcase_add_test(tc, takes_pending_bytes_in_order);
    tcase_add_test(tc, wraps_at_two_to_the_32);
    tcase_add_test(tc, corrupt_indices_consume_nothing);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(xen_console_input_suite)
