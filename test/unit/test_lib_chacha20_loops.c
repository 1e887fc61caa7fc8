/*
 * Unit test for the form of lib/chacha20's rounds that size-optimized builds (the -Oz kernel)
 * compile: loops over the columns instead of the written-out quarter-rounds the other unit
 * tests run. It must compute the same blocks.
 */
#include <check.h>
#include <string.h>

#include "xenolith/test_main.h"

/* This file's own copy of the cipher, with the loops, under its own names. */
#define CHACHA20_SIZE_FORM
#define chacha20_block loops_chacha20_block
#define chacha20_xor loops_chacha20_xor
#include "lib/chacha20.c"
#undef chacha20_block
#undef chacha20_xor

/* The loops and the written-out rounds (the library's chacha20_block, declared here under its
 * own name; test_lib_random.c checks it against RFC 8439 2.3.2's vector) agree on 64 blocks,
 * RFC 8439 2.3.2's own key and counter among them. */
void chacha20_block(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
                    const uint8_t nonce[CHACHA20_NONCE_SIZE], uint8_t out[CHACHA20_BLOCK_SIZE]);
START_TEST(loops_match_written_out_rounds)
{
    uint8_t key[32];
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    const uint8_t nonce[12] = { 0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0 };
    for (uint32_t counter = 0; counter < 64; counter++) {
        uint8_t a[64], b[64];
        loops_chacha20_block(key, counter, nonce, a);
        chacha20_block(key, counter, nonce, b);
        ck_assert(memcmp(a, b, 64) == 0);
    }
}
END_TEST

static Suite *lib_chacha20_loops_suite(void)
{
    Suite *s = suite_create("lib_chacha20_loops");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, loops_match_written_out_rounds);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(lib_chacha20_loops_suite)
