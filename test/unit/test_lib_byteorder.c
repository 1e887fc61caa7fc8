/*
 * Unit tests for lib/byteorder (wire-order loads and stores at any alignment) and lib/minmax.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/byteorder.h"
#include "lib/minmax.h"
#include "xenolith/test_main.h"

START_TEST(big_endian_loads_and_stores_any_alignment)
{
    uint8_t buf[24];
    for (size_t off = 0; off < 8; off++) {
        memset(buf, 0, sizeof(buf));
        store_be16(buf + off, 0x1234);
        ck_assert(buf[off] == 0x12 && buf[off + 1] == 0x34);
        ck_assert_uint_eq(load_be16(buf + off), 0x1234);
        store_be32(buf + off, 0x0a000002);
        ck_assert(buf[off] == 10 && buf[off + 1] == 0 && buf[off + 2] == 0 && buf[off + 3] == 2);
        ck_assert_uint_eq(load_be32(buf + off), 0x0a000002);
        store_be64(buf + off, 0x0102030405060708ull);
        for (int i = 0; i < 8; i++)
            ck_assert_uint_eq(buf[off + (size_t)i], (unsigned)i + 1);
        ck_assert(load_be64(buf + off) == 0x0102030405060708ull);
    }
}
END_TEST

START_TEST(little_endian_loads_and_stores)
{
    uint8_t buf[9] = { 0 };
    store_le16(buf + 1, 0x1234);
    ck_assert(buf[1] == 0x34 && buf[2] == 0x12);
    ck_assert_uint_eq(load_le16(buf + 1), 0x1234);
    store_le32(buf + 1, 0xa1b2c3d4);
    ck_assert(buf[1] == 0xd4 && buf[4] == 0xa1);
    ck_assert_uint_eq(load_le32(buf + 1), 0xa1b2c3d4);
    store_le64(buf + 1, 0x1122334455667788ull);
    ck_assert(buf[1] == 0x88 && buf[8] == 0x11);
    ck_assert(load_le64(buf + 1) == 0x1122334455667788ull);
}
END_TEST

START_TEST(conversions_round_trip)
{
    uint8_t wire[4] = { 0xc0, 0xa8, 0x00, 0x01 };
    uint32_t raw;
    memcpy(&raw, wire, 4);
    ck_assert_uint_eq(be32_to_cpu(raw), 0xc0a80001);
    ck_assert_uint_eq(cpu_to_be32(be32_to_cpu(raw)), raw);
    ck_assert_uint_eq(be16_to_cpu(cpu_to_be16(0xabcd)), 0xabcd);
    ck_assert(be64_to_cpu(cpu_to_be64(0x0123456789abcdefull)) == 0x0123456789abcdefull);
    ck_assert_uint_eq(bswap16(0x1234), 0x3412);
    ck_assert_uint_eq(bswap32(0x12345678), 0x78563412);
    ck_assert_uint_eq(le32_to_cpu(cpu_to_le32(77)), 77);
}
END_TEST

static int calls;
static int counted(int v)
{
    calls++;
    return v;
}

START_TEST(minmax_evaluates_once)
{
    calls = 0;
    ck_assert_int_eq(min(counted(3), counted(5)), 3);
    ck_assert_int_eq(max(counted(3), counted(5)), 5);
    ck_assert_int_eq(calls, 4);
    ck_assert_int_eq(clamp(10, 0, 5), 5);
    ck_assert_int_eq(clamp(-1, 0, 5), 0);
    ck_assert_int_eq(clamp(3, 0, 5), 3);
    ck_assert_uint_eq(ALIGN_UP(4097u, 4096u), 8192u);
    ck_assert_uint_eq(ALIGN_UP(4096u, 4096u), 4096u);
    ck_assert_uint_eq(ALIGN_DOWN(4097u, 4096u), 4096u);
    ck_assert(IS_ALIGNED(64u, 16u));
    ck_assert(!IS_ALIGNED(65u, 16u));
    ck_assert(IS_POWER_OF_2(1u) && IS_POWER_OF_2(4096u) && !IS_POWER_OF_2(0u) && !IS_POWER_OF_2(6u));
    ck_assert_uint_eq(DIV_ROUND_UP(10u, 4u), 3u);
    ck_assert_uint_eq(DIV_ROUND_UP(8u, 4u), 2u);
    /* 64-bit alignment keeps the high bits. */
    ck_assert(ALIGN_DOWN(0x123456789abcull, 4096) == 0x123456789000ull);
}
END_TEST

static Suite *byteorder_suite(void)
{
    Suite *s = suite_create("lib_byteorder");
    TCase *tc = tcase_create("byteorder");
    tcase_add_test(tc, big_endian_loads_and_stores_any_alignment);
    tcase_add_test(tc, little_endian_loads_and_stores);
    tcase_add_test(tc, conversions_round_trip);
    tcase_add_test(tc, minmax_evaluates_once);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(byteorder_suite)
