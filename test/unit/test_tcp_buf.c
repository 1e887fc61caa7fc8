/*
 * Unit tests for net/tcp_buf: the chunked ring buffers (memory follows the bytes held, the budget
 * bounds all buffers together) and the out-of-order range set, across the 2^32 sequence wrap
 * (RFC 9293 3.4: sequence space is modular).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "net/tcp/tcp_buf.h"
#include "test/unit/net_core_fixture.h"
#include "xenolith/test_main.h"

START_TEST(buf_wraps_and_frees_chunks)
{
    core_boot();
    struct tcp_buf_budget budget = { .limit = 1 << 20 };
    struct tcp_buf b;
    ck_assert_int_eq(tcp_buf_init(&b, 3 * TCP_BUF_CHUNK, &budget), 0);
    ck_assert_uint_eq(budget.used, 0);                 /* nothing held: nothing allocated */
    static uint8_t in[3 * TCP_BUF_CHUNK], out[3 * TCP_BUF_CHUNK];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)(i * 7);
    for (int round = 0; round < 10; round++) {
        ck_assert_int_eq(tcp_buf_write(&b, 0, in, sizeof(in)), 0);
        ck_assert_int_eq(tcp_buf_write(&b, 1, in, sizeof(in)), -ENOSPC);
        tcp_buf_read(&b, 0, out, sizeof(out));
        ck_assert_mem_eq(in, out, sizeof(in));
        tcp_buf_consume(&b, 1000 + (size_t)round);      /* odd amounts move the ring's head */
        tcp_buf_consume(&b, sizeof(in) - 1000 - (size_t)round);
        ck_assert_uint_le(budget.used, TCP_BUF_CHUNK);  /* at most the chunk holding the head */
    }
    tcp_buf_destroy(&b);
    ck_assert_uint_eq(budget.used, 0);
}
END_TEST

/* Small messages written and consumed in turn (a request-response exchange) keep reusing the one
 * chunk: once everything is consumed the next message starts at that chunk's start, never
 * straddling into a second. Bytes still held (out of order, beyond a gap) keep their place. */
START_TEST(emptied_buffer_reuses_its_chunk)
{
    core_boot();
    struct tcp_buf_budget budget = { .limit = 1 << 20 };
    struct tcp_buf b;
    ck_assert_int_eq(tcp_buf_init(&b, 4 * TCP_BUF_CHUNK, &budget), 0);
    uint8_t msg[1159], out[1159];
    for (int round = 0; round < 20; round++) {
        memset(msg, 'a' + round, sizeof(msg));
        ck_assert_int_eq(tcp_buf_write(&b, 0, msg, sizeof(msg)), 0);
        ck_assert_uint_eq(b.allocated, TCP_BUF_CHUNK);
        tcp_buf_read(&b, 0, out, sizeof(out));
        ck_assert_mem_eq(msg, out, sizeof(out));
        tcp_buf_consume(&b, sizeof(msg));
    }
    /* A gap: 100 bytes at 0, 100 more at 5000. Consuming the first leaves the second in place. */
    memset(msg, 'x', 100);
    ck_assert_int_eq(tcp_buf_write(&b, 0, msg, 100), 0);
    memset(msg, 'y', 100);
    ck_assert_int_eq(tcp_buf_write(&b, 5000, msg, 100), 0);
    tcp_buf_consume(&b, 100);
    tcp_buf_read(&b, 4900, out, 100);
    ck_assert_mem_eq(msg, out, 100);
    tcp_buf_destroy(&b);
    ck_assert_uint_eq(budget.used, 0);
}
END_TEST

START_TEST(budget_refuses_whole_write)
{
    core_boot();
    struct tcp_buf_budget budget = { .limit = 2 * TCP_BUF_CHUNK };
    struct tcp_buf a, b;
    ck_assert_int_eq(tcp_buf_init(&a, 4 * TCP_BUF_CHUNK, &budget), 0);
    ck_assert_int_eq(tcp_buf_init(&b, 4 * TCP_BUF_CHUNK, &budget), 0);
    static uint8_t data[2 * TCP_BUF_CHUNK];
    ck_assert_int_eq(tcp_buf_write(&a, 0, data, sizeof(data)), 0);
    ck_assert_int_eq(tcp_buf_write(&b, 0, data, 1), -ENOBUFS);
    ck_assert_uint_eq(b.allocated, 0);
    tcp_buf_consume(&a, sizeof(data));
    ck_assert_int_eq(tcp_buf_write(&b, 0, data, 1), 0);
    tcp_buf_destroy(&a);
    tcp_buf_destroy(&b);
    ck_assert_uint_eq(budget.used, 0);
}
END_TEST

/* Out-of-order ranges merge, advance RCV.NXT through filled holes, and work across the wrap. */
START_TEST(ranges_merge_and_advance_across_wrap)
{
    struct tcp_ranges set = { 0 };
    uint32_t base = 0xfffff000u;                        /* RCV.NXT just below the wrap */
    ck_assert(tcp_ranges_add(&set, base, base + 0x2000, base + 0x3000));   /* crosses 0 */
    ck_assert(tcp_ranges_add(&set, base, base + 0x1000, base + 0x1800));
    ck_assert_uint_eq(set.count, 2);
    ck_assert(tcp_ranges_add(&set, base, base + 0x1800, base + 0x2000));   /* joins both */
    ck_assert_uint_eq(set.count, 1);
    ck_assert_uint_eq(tcp_ranges_bytes(&set), 0x2000);
    struct tcp_range recent[4];
    ck_assert_uint_eq(tcp_ranges_recent(&set, recent, 4), 1);
    ck_assert_uint_eq(recent[0].start, base + 0x1000);
    /* The hole [base, base + 0x1000) is filled: RCV.NXT jumps to the range's end. */
    ck_assert_uint_eq(tcp_ranges_advance(&set, base, base + 0x1000), base + 0x3000);
    ck_assert_uint_eq(set.count, 0);
}
END_TEST

/* The set is bounded (RFC 9293 3.10.7.4 lets a receiver drop out-of-order data it cannot hold). */
START_TEST(ranges_bounded)
{
    struct tcp_ranges set = { 0 };
    for (uint32_t i = 0; i < TCP_RANGES_MAX; i++)
        ck_assert(tcp_ranges_add(&set, 0, 100 * i + 10, 100 * i + 20));
    ck_assert(!tcp_ranges_add(&set, 0, 5000, 5010));
    ck_assert(tcp_ranges_add(&set, 0, 15, 30));       /* touching an existing range still works */
    ck_assert_uint_eq(set.count, TCP_RANGES_MAX);
    ck_assert_uint_eq(tcp_ranges_cut(&set, 0, 1515), 5);        /* half of [1510, 1520) */
    ck_assert_uint_eq(tcp_ranges_cut(&set, 0, 1405), 5 + 10);   /* [1410, 1420) and [1510, 1515) */
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_buf");
    TCase *tc = tcase_create("buf");
    tcase_add_test(tc, buf_wraps_and_frees_chunks);
    tcase_add_test(tc, emptied_buffer_reuses_its_chunk);
    tcase_add_test(tc, budget_refuses_whole_write);
    tcase_add_test(tc, ranges_merge_and_advance_across_wrap);
    tcase_add_test(tc, ranges_bounded);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
