/*
 * Unit tests for xen/console_ring.h, the producer side of the Xen PV console "out" ring
 * (the ring layout and index rules of Xen's public io/console.h): free-running indices that
 * wrap at 2^32, masked slots, a full ring taking nothing, and corrupt indices refused.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "xen/console_ring.h"
#include "test/unit/xen_fixture.h"
#include "xenolith/test_main.h"

static struct xencons_interface ring;

static void reset_ring(XENCONS_RING_IDX start)
{
    memset(&ring, 0, sizeof(ring));
    ring.out_prod = ring.out_cons = start;
}

START_TEST(empty_ring_takes_bytes_and_publishes_the_index)
{
    reset_ring(0);
    ck_assert_int_eq(xencons_out_put(&ring, "hello\n", 6), 6);
    ck_assert_uint_eq(ring.out_prod, 6);
    ck_assert_uint_eq(ring.out_cons, 0);
    ck_assert(memcmp(ring.out, "hello\n", 6) == 0);
    ck_assert_int_eq(xencons_out_pending(&ring), 6);
}
END_TEST

START_TEST(full_ring_takes_only_what_fits_then_nothing)
{
    static char big[3000];
    memset(big, 'x', sizeof(big));
    reset_ring(0);
    ck_assert_int_eq(xencons_out_put(&ring, big, sizeof(big)), (long)sizeof(ring.out));
    ck_assert_uint_eq(ring.out_prod, sizeof(ring.out));
    ck_assert_int_eq(xencons_out_put(&ring, "y", 1), 0);
    ck_assert_uint_eq(ring.out_prod, sizeof(ring.out));
    /* The consumer frees 10 slots: exactly 10 more bytes go in, at the start of the ring. */
    ring.out_cons += 10;
    ck_assert_int_eq(xencons_out_put(&ring, "0123456789abc", 13), 10);
    ck_assert(memcmp(ring.out, "0123456789", 10) == 0);
    ck_assert(ring.out[10] == 'x');
}
END_TEST

START_TEST(indices_wrap_at_two_to_the_32)
{
    /* Four bytes before the counters wrap: the message straddles index 2^32, and its bytes
     * land in the slots the masked indices name. */
    XENCONS_RING_IDX start = 0xfffffffcu;
    reset_ring(start);
    ck_assert_int_eq(xencons_out_put(&ring, "abcdefgh", 8), 8);
    ck_assert_uint_eq(ring.out_prod, 4);
    ck_assert_int_eq(xencons_out_pending(&ring), 8);
    size_t first = MASK_XENCONS_IDX(start, ring.out);
    ck_assert_uint_eq(first, sizeof(ring.out) - 4);
    ck_assert(memcmp(ring.out + first, "abcd", 4) == 0);
    ck_assert(memcmp(ring.out, "efgh", 4) == 0);
}
END_TEST

START_TEST(corrupt_indices_are_refused_without_writing)
{
    /* A consumer index "ahead" of the producer means prod - cons exceeds the ring size. */
    reset_ring(100);
    ring.out_cons = 200;
    ck_assert_int_eq(xencons_out_pending(&ring), -1);
    ck_assert_int_eq(xencons_out_put(&ring, "zz", 2), -1);
    ck_assert_uint_eq(ring.out_prod, 100);
    for (size_t i = 0; i < sizeof(ring.out); i++)
        ck_assert(ring.out[i] == 0);
}
END_TEST

START_TEST(zero_length_write_changes_nothing)
{
    reset_ring(7);
    ck_assert_int_eq(xencons_out_put(&ring, "", 0), 0);
    ck_assert_uint_eq(ring.out_prod, 7);
    ck_assert_int_eq(xencons_out_pending(&ring), 0);
}
END_TEST

static Suite *console_ring_suite(void)
{
    Suite *s = suite_create("xen_console_ring");
    TCase *tc = tcase_create("out ring");
    tcase_add_test(tc, empty_ring_takes_bytes_and_publishes_the_index);
    tcase_add_test(tc, full_ring_takes_only_what_fits_then_nothing);
    tcase_add_test(tc, indices_wrap_at_two_to_the_32);
    tcase_add_test(tc, corrupt_indices_are_refused_without_writing);
    tcase_add_test(tc, zero_length_write_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(console_ring_suite)
