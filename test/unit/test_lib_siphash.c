/*
 * Unit tests for lib/siphash: SipHash-2-4 against the 64 test vectors of the reference
 * implementation (key 00 01 .. 0f, message 00 01 .. len-1 for len 0..63; the paper's
 * Appendix A example is len 15), as 64-bit values of the little-endian output.
 */
#include <check.h>
#include <stdlib.h>

#include "lib/byteorder.h"
#include "lib/siphash.h"
#include "xenolith/test_main.h"

static const uint64_t reference_vectors[64] = {
    0x726fdb47dd0e0e31ull, 0x74f839c593dc67fdull, 0x0d6c8009d9a94f5aull,
    0x85676696d7fb7e2dull, 0xcf2794e0277187b7ull, 0x18765564cd99a68dull,
    0xcbc9466e58fee3ceull, 0xab0200f58b01d137ull, 0x93f5f5799a932462ull,
    0x9e0082df0ba9e4b0ull, 0x7a5dbbc594ddb9f3ull, 0xf4b32f46226bada7ull,
    0x751e8fbc860ee5fbull, 0x14ea5627c0843d90ull, 0xf723ca908e7af2eeull,
    0xa129ca6149be45e5ull, 0x3f2acc7f57c29bdbull, 0x699ae9f52cbe4794ull,
    0x4bc1b3f0968dd39cull, 0xbb6dc91da77961bdull, 0xbed65cf21aa2ee98ull,
    0xd0f2cbb02e3b67c7ull, 0x93536795e3a33e88ull, 0xa80c038ccd5ccec8ull,
    0xb8ad50c6f649af94ull, 0xbce192de8a85b8eaull, 0x17d835b85bbb15f3ull,
    0x2f2e6163076bcfadull, 0xde4daaaca71dc9a5ull, 0xa6a2506687956571ull,
    0xad87a3535c49ef28ull, 0x32d892fad841c342ull, 0x7127512f72f27cceull,
    0xa7f32346f95978e3ull, 0x12e0b01abb051238ull, 0x15e034d40fa197aeull,
    0x314dffbe0815a3b4ull, 0x027990f029623981ull, 0xcadcd4e59ef40c4dull,
    0x9abfd8766a33735cull, 0x0e3ea96b5304a7d0ull, 0xad0c42d6fc585992ull,
    0x187306c89bc215a9ull, 0xd4a60abcf3792b95ull, 0xf935451de4f21df2ull,
    0xa9538f0419755787ull, 0xdb9acddff56ca510ull, 0xd06c98cd5c0975ebull,
    0xe612a3cb9ecba951ull, 0xc766e62cfcadaf96ull, 0xee64435a9752fe72ull,
    0xa192d576b245165aull, 0x0a8787bf8ecb74b2ull, 0x81b3e73d20b49b6full,
    0x7fa8220ba3b2eceaull, 0x245731c13ca42499ull, 0xb78dbfaf3a8d83bdull,
    0xea1ad565322a1a0bull, 0x60e61c23a3795013ull, 0x6606d7e446282b93ull,
    0x6ca4ecb15c5f91e1ull, 0x9f626da15c9625f3ull, 0xe51b38608ef25f57ull,
    0x958a324ceb064572ull,
};

static void reference_key(struct siphash_key *key)
{
    uint8_t bytes[16];
    for (int i = 0; i < 16; i++)
        bytes[i] = (uint8_t)i;
    siphash_key_from_bytes(key, bytes);
}

START_TEST(reference_vectors_all_lengths)
{
    struct siphash_key key;
    reference_key(&key);
    ck_assert(key.k0 == 0x0706050403020100ull && key.k1 == 0x0f0e0d0c0b0a0908ull);
    uint8_t msg[64];
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    for (size_t len = 0; len < 64; len++)
        ck_assert_msg(siphash24(&key, msg, len) == reference_vectors[len], "len %zu: %016llx", len,
                      (unsigned long long)siphash24(&key, msg, len));
}
END_TEST

/* The paper's worked example (Appendix A): 15 bytes, result a129ca6149be45e5. */
START_TEST(paper_example)
{
    struct siphash_key key;
    reference_key(&key);
    const uint8_t msg[15] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 };
    ck_assert(siphash24(&key, msg, sizeof(msg)) == 0xa129ca6149be45e5ull);
}
END_TEST

/* Alignment of the input does not matter. */
START_TEST(unaligned_input)
{
    struct siphash_key key;
    reference_key(&key);
    uint8_t buf[80];
    for (size_t off = 0; off < 8; off++) {
        for (int i = 0; i < 64; i++)
            buf[off + (size_t)i] = (uint8_t)i;
        for (size_t len = 0; len < 64; len += 7)
            ck_assert(siphash24(&key, buf + off, len) == reference_vectors[len]);
    }
}
END_TEST

START_TEST(key_changes_everything)
{
    struct siphash_key a, b;
    reference_key(&a);
    b = a;
    b.k1 ^= 1;
    const char msg[] = "10.0.0.1:1234->10.0.0.2:80";
    ck_assert(siphash24(&a, msg, sizeof(msg)) != siphash24(&b, msg, sizeof(msg)));
    struct siphash_key r1, r2;
    siphash_key_random(&r1);
    siphash_key_random(&r2);
    ck_assert(r1.k0 != r2.k0 || r1.k1 != r2.k1);
}
END_TEST

/* The fixed-length form hashes the same 12 bytes as siphash24 (the reference vector of length 12),
 * and every byte of it counts. Its 128-bit output is the reference's vectors_sip128[12] (bytes
 * d6 26 b2 66 90 5e f3 58 | 82 63 4d f6 85 32 c1 25), the first half alone at the 64-bit cost. */
START_TEST(twelve_byte_form)
{
    struct siphash_key key;
    reference_key(&key);
    uint8_t msg[12];
    for (int i = 0; i < 12; i++)
        msg[i] = (uint8_t)i;
    uint64_t first = load_le64(msg);
    uint32_t rest = load_le32(msg + 8);
    ck_assert(siphash24_12(&key, first, rest) == reference_vectors[12]);
    ck_assert(siphash24_12(&key, first, rest) == siphash24(&key, msg, sizeof(msg)));
    ck_assert(siphash24_12(&key, first ^ 1, rest) != reference_vectors[12]);
    ck_assert(siphash24_12(&key, first, rest ^ 0x80000000u) != reference_vectors[12]);
    uint64_t out[2];
    siphash24_128_12(&key, first, rest, out);
    ck_assert(out[0] == 0x58f35e9066b226d6ull);
    ck_assert(out[1] == 0x25c13285f64d6382ull);
    ck_assert(siphash24_128_12_first(&key, first, rest) == out[0]);
}
END_TEST

static Suite *siphash_suite(void)
{
    Suite *s = suite_create("lib_siphash");
    TCase *tc = tcase_create("siphash");
    tcase_add_test(tc, reference_vectors_all_lengths);
    tcase_add_test(tc, paper_example);
    tcase_add_test(tc, unaligned_input);
    tcase_add_test(tc, key_changes_everything);
    tcase_add_test(tc, twelve_byte_form);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(siphash_suite)
