/*
 * Unit test for the form of lib/chacha20's rounds that size-optimized builds (the -Oz kernel)
 * compile: loops over the columns instead of the written-out quarter-rounds the other unit
 * tests run. The same RFC 8439 vectors must come out of it.
 */
#include <check.h>
#include <string.h>

/* This file's own copy of the cipher, with the loops, under its own names. */
#define CHACHA20_SIZE_FORM
#define chacha20_block loops_chacha20_block
#define chacha20_xor loops_chacha20_xor
#include "lib/chacha20.c"
#undef chacha20_block
#undef chacha20_xor

/* RFC 8439 section 2.3.2: the block function with counter 1. */
START_TEST(rfc8439_block_function_loops)
{
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    const uint8_t nonce[12] = { 0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0 };
    static const uint8_t expected[64] = {
        0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4,
        0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e,
        0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2,
        0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e,
    };
    uint8_t out[64];
    loops_chacha20_block(key, 1, nonce, out);
    ck_assert(memcmp(out, expected, 64) == 0);
}
END_TEST

/* RFC 8439 section 2.4.2's key and nonce: the loops and the written-out rounds (the library's
 * chacha20_block, declared here under its own name) agree on many counters. */
void chacha20_block(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
                    const uint8_t nonce[CHACHA20_NONCE_SIZE], uint8_t out[CHACHA20_BLOCK_SIZE]);
START_TEST(loops_match_written_out_rounds)
{
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)(i * 7 + 3);
    const uint8_t nonce[12] = { 0, 0, 0, 0, 0, 0, 0, 0x4a, 0, 0, 0, 0 };
    for (uint32_t counter = 0; counter < 64; counter++) {
        uint8_t a[64], b[64];
        loops_chacha20_block(key, counter, nonce, a);
        chacha20_block(key, counter, nonce, b);
        ck_assert(memcmp(a, b, 64) == 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lib_chacha20_loops");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, rfc8439_block_function_loops);
    tcase_add_test(tc, loops_match_written_out_rounds);
    suite_add_tcase(s, tc);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? 1 : 0;
}
