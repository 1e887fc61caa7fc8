/*
 * Unit tests for lib/chacha20 (RFC 8439 test vectors) and lib/random (the generator built on
 * it: seeding, batches, and random_below's freedom from modulo bias).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/chacha20.h"
#include "lib/random.h"
#include "xenolith/test_main.h"

static void sequential_key(uint8_t key[32])
{
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
}

/* RFC 8439 section 2.3.2: the block function with counter 1. */
START_TEST(rfc8439_block_function)
{
    uint8_t key[32];
    sequential_key(key);
    const uint8_t nonce[12] = { 0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0 };
    static const uint8_t expected[64] = {
        0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3, 0x20, 0x71, 0xc4,
        0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e,
        0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2,
        0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e,
    };
    uint8_t out[64];
    chacha20_block(key, 1, nonce, out);
    ck_assert(memcmp(out, expected, 64) == 0);
}
END_TEST

/* RFC 8439 section 2.4.2: encrypting the "sunscreen" text from counter 1, and back. */
START_TEST(rfc8439_encryption)
{
    uint8_t key[32];
    sequential_key(key);
    const uint8_t nonce[12] = { 0, 0, 0, 0, 0, 0, 0, 0x4a, 0, 0, 0, 0 };
    static const char plaintext[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
                                    "only one tip for the future, sunscreen would be it.";
    static const uint8_t expected[114] = {
        0x6e, 0x2e, 0x35, 0x9a, 0x25, 0x68, 0xf9, 0x80, 0x41, 0xba, 0x07, 0x28, 0xdd, 0x0d, 0x69, 0x81,
        0xe9, 0x7e, 0x7a, 0xec, 0x1d, 0x43, 0x60, 0xc2, 0x0a, 0x27, 0xaf, 0xcc, 0xfd, 0x9f, 0xae, 0x0b,
        0xf9, 0x1b, 0x65, 0xc5, 0x52, 0x47, 0x33, 0xab, 0x8f, 0x59, 0x3d, 0xab, 0xcd, 0x62, 0xb3, 0x57,
        0x16, 0x39, 0xd6, 0x24, 0xe6, 0x51, 0x52, 0xab, 0x8f, 0x53, 0x0c, 0x35, 0x9f, 0x08, 0x61, 0xd8,
        0x07, 0xca, 0x0d, 0xbf, 0x50, 0x0d, 0x6a, 0x61, 0x56, 0xa3, 0x8e, 0x08, 0x8a, 0x22, 0xb6, 0x5e,
        0x52, 0xbc, 0x51, 0x4d, 0x16, 0xcc, 0xf8, 0x06, 0x81, 0x8c, 0xe9, 0x1a, 0xb7, 0x79, 0x37, 0x36,
        0x5a, 0xf9, 0x0b, 0xbf, 0x74, 0xa3, 0x5b, 0xe6, 0xb4, 0x0b, 0x8e, 0xed, 0xf2, 0x78, 0x5e, 0x42,
        0x87, 0x4d,
    };
    ck_assert_uint_eq(strlen(plaintext), 114);
    uint8_t out[114];
    chacha20_xor(key, 1, nonce, plaintext, out, 114);
    ck_assert(memcmp(out, expected, 114) == 0);
    chacha20_xor(key, 1, nonce, out, out, 114); /* in place, and its own inverse */
    ck_assert(memcmp(out, plaintext, 114) == 0);
}
END_TEST

/* The first 8 bytes of output after random_seed(seed), computed in a fresh child process. */
static uint64_t first_output_after_seed(const char *seed)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        random_seed(seed, strlen(seed));
        uint64_t v = random_u64();
        _exit(write(fds[1], &v, sizeof(v)) == sizeof(v) ? 0 : 1);
    }
    uint64_t v = 0;
    ck_assert_int_eq(read(fds[0], &v, sizeof(v)), sizeof(v));
    int status;
    waitpid(pid, &status, 0);
    close(fds[0]);
    close(fds[1]);
    return v;
}

START_TEST(seed_determines_the_stream)
{
    uint64_t a1 = first_output_after_seed("seed one");
    uint64_t a2 = first_output_after_seed("seed one");
    uint64_t b = first_output_after_seed("seed two");
    uint64_t c = first_output_after_seed("a seed that is much longer than thirty-two bytes, absorbed in pieces");
    uint64_t d = first_output_after_seed("a seed that is much longer than thirty-two bytes, absorbed in pieceS");
    ck_assert(a1 == a2);
    ck_assert(a1 != b);
    ck_assert(c != d); /* the last byte of a long seed still counts */
}
END_TEST

/* Reseeding mixes into the state rather than replacing it, and drops buffered output. */
START_TEST(reseed_changes_output)
{
    random_seed("x", 1);
    uint64_t first = random_u64();
    random_seed("x", 1);
    uint64_t second = random_u64();
    ck_assert(first != second);
}
END_TEST

/* Many outputs, across batch refills: no repeats, every bit position toggles about half the time. */
START_TEST(output_looks_random)
{
    enum { N = 4096 };
    static uint64_t seen[N];
    unsigned ones[64] = { 0 };
    for (int i = 0; i < N; i++) {
        seen[i] = random_u64();
        for (int b = 0; b < 64; b++)
            ones[b] += (seen[i] >> b) & 1;
        for (int j = 0; j < i; j += 97)
            ck_assert(seen[j] != seen[i]);
    }
    for (int b = 0; b < 64; b++)
        ck_assert_msg(ones[b] > N / 2 - 250 && ones[b] < N / 2 + 250, "bit %d set %u times", b, ones[b]);
}
END_TEST

START_TEST(random_bytes_any_length)
{
    uint8_t buf[3000];
    for (size_t len = 0; len < sizeof(buf); len = len * 3 + 1) {
        memset(buf, 0, sizeof(buf));
        random_bytes(buf, len);
        size_t nonzero = 0;
        for (size_t i = 0; i < len; i++)
            nonzero += buf[i] != 0;
        ck_assert_msg(len < 16 || nonzero > len * 9 / 10, "len %zu: %zu non-zero", len, nonzero);
        for (size_t i = len; i < sizeof(buf); i++)
            ck_assert_int_eq(buf[i], 0); /* nothing beyond len */
    }
}
END_TEST

START_TEST(below_stays_in_range)
{
    ck_assert_uint_eq(random_below(1), 0);
    ck_assert_uint_eq(random_below(0), 0);
    unsigned counts[6] = { 0 };
    for (int i = 0; i < 60000; i++) {
        uint32_t v = random_below(6);
        ck_assert_uint_lt(v, 6);
        counts[v]++;
    }
    for (int i = 0; i < 6; i++)
        ck_assert_msg(counts[i] > 9400 && counts[i] < 10600, "value %d drawn %u times", i, counts[i]);
    for (int i = 0; i < 1000; i++)
        ck_assert_uint_lt(random_below(0xffffffffu), 0xffffffffu);
}
END_TEST

/* With bound = 0xaaaaaaab (about two thirds of 2^32), "r % bound" maps two 32-bit values onto
 * each result below 2^32 - bound = 0x55555555 and one onto the rest, so two thirds of the
 * results would fall below 0x55555555, about half of the range. Without bias it is one half. */
START_TEST(below_has_no_modulo_bias)
{
    const uint32_t bound = 0xaaaaaaabu;
    unsigned low = 0;
    for (int i = 0; i < 20000; i++) {
        uint32_t v = random_below(bound);
        ck_assert_uint_lt(v, bound);
        low += v < 0x55555555u;
    }
    ck_assert_msg(low > 9300 && low < 10700, "%u of 20000 in the lower half (biased: ~13333)", low);
}
END_TEST

static Suite *random_suite(void)
{
    Suite *s = suite_create("lib_random");
    TCase *cc = tcase_create("chacha20");
    tcase_add_test(cc, rfc8439_block_function);
    tcase_add_test(cc, rfc8439_encryption);
    suite_add_tcase(s, cc);
    TCase *tc = tcase_create("random");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, seed_determines_the_stream);
    tcase_add_test(tc, reseed_changes_output);
    tcase_add_test(tc, output_looks_random);
    tcase_add_test(tc, random_bytes_any_length);
    tcase_add_test(tc, below_stays_in_range);
    tcase_add_test(tc, below_has_no_modulo_bias);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(random_suite)
