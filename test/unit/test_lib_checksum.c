/*
 * Unit tests for lib/checksum: RFC 1071's worked example, a bytewise reference on random data
 * at every alignment and many odd lengths and split points, and RFC 1624's incremental update.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/byteorder.h"
#include "lib/checksum.h"
#include "xenolith/test_main.h"

/* The definition, one big-endian 16-bit word at a time (RFC 1071 section 1). */
static uint16_t reference_sum(const uint8_t *p, size_t len)
{
    uint32_t s = 0;
    for (size_t i = 0; i < len; i += 2) {
        uint16_t w = (uint16_t)(p[i] << 8);
        if (i + 1 < len)
            w |= p[i + 1];
        s += w;
        s = (s & 0xffff) + (s >> 16);
    }
    return (uint16_t)s;
}

static uint16_t reference_checksum(const uint8_t *p, size_t len)
{
    return (uint16_t)(0xffffu ^ reference_sum(p, len));
}

static uint32_t rng_state = 12345;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (checksum 220d). */
START_TEST(rfc1071_example)
{
    const uint8_t data[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    struct csum c;
    csum_init(&c);
    csum_add(&c, data, sizeof(data));
    ck_assert_uint_eq(csum_sum16(&c), 0xddf2);
    ck_assert_uint_eq(csum_finish(&c), 0x220d);
    ck_assert_uint_eq(inet_checksum(data, sizeof(data)), 0x220d);
    /* The same data in two pieces split at an odd point. */
    csum_init(&c);
    csum_add(&c, data, 3);
    csum_add(&c, data + 3, 5);
    ck_assert_uint_eq(csum_sum16(&c), 0xddf2);
}
END_TEST

/* A known IPv4 header (checksum b1e6 in the field) verifies to 0. */
START_TEST(ipv4_header_verifies_to_zero)
{
    uint8_t hdr[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                        0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };
    ck_assert_uint_eq(inet_checksum(hdr, sizeof(hdr)), 0);
    store_be16(hdr + 10, 0);
    ck_assert_uint_eq(inet_checksum(hdr, sizeof(hdr)), 0xb861);
}
END_TEST

START_TEST(random_data_every_alignment_and_length)
{
    static uint8_t buf[2100];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)rng();
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len <= 2048; len += (len < 80 ? 1 : 37)) {
            uint16_t want = reference_checksum(buf + off, len);
            ck_assert_msg(inet_checksum(buf + off, len) == want, "off=%zu len=%zu", off, len);
        }
    }
}
END_TEST

/* All-ones data makes every word 0xffff: the carries must wrap around, many times over. */
START_TEST(carry_heavy_data)
{
    static uint8_t buf[65536];
    memset(buf, 0xff, sizeof(buf));
    for (size_t len = 0; len <= sizeof(buf); len = len * 2 + 1) {
        ck_assert_uint_eq(inet_checksum(buf, len), reference_checksum(buf, len));
    }
    ck_assert_uint_eq(inet_checksum(buf, sizeof(buf)), reference_checksum(buf, sizeof(buf)));
}
END_TEST

/* The last 1-7 bytes are summed apart from the 8-byte words (4, 2 and 1 bytes at a time): every
 * tail length after every word count, at every alignment, with bytes near 0xff so that the tail's
 * own sum and its addition to the words' sum both carry. */
START_TEST(every_tail_length_with_carries)
{
    static uint8_t buf[128 + 8];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(0xf0 | (rng() & 0x0f));
    for (size_t off = 0; off < 8; off++)
        for (size_t len = 0; len <= 128; len++)
            ck_assert_uint_eq(inet_checksum(buf + off, len), reference_checksum(buf + off, len));
}
END_TEST

START_TEST(pieces_at_odd_split_points)
{
    static uint8_t buf[1600];
    for (int round = 0; round < 2000; round++) {
        size_t len = rng() % sizeof(buf);
        size_t off = rng() % 8;
        if (off + len > sizeof(buf))
            len = sizeof(buf) - off;
        for (size_t i = 0; i < len; i++)
            buf[off + i] = (uint8_t)rng();
        struct csum c;
        csum_init(&c);
        size_t pos = 0;
        while (pos < len) {
            size_t piece = 1 + rng() % (round % 3 == 0 ? 4 : 200); /* many 1..4 byte pieces too */
            if (piece > len - pos)
                piece = len - pos;
            csum_add(&c, buf + off + pos, piece);
            pos += piece;
        }
        ck_assert_msg(csum_finish(&c) == reference_checksum(buf + off, len), "round %d len %zu",
                      round, len);
    }
}
END_TEST

/* A pseudo-header given as words equals the same bytes given as data. */
START_TEST(words_match_bytes)
{
    uint8_t pseudo[12] = { 10, 0, 0, 1, 10, 0, 0, 2, 0, 6, 0x05, 0xdc };
    uint8_t payload[7] = { 1, 2, 3, 4, 5, 6, 7 };
    struct csum a, b;
    csum_init(&a);
    csum_add(&a, pseudo, sizeof(pseudo));
    csum_add(&a, payload, sizeof(payload));
    csum_init(&b);
    csum_add(&b, payload, 3);      /* leaves the byte stream at an odd position */
    csum_add_be32(&b, 0x0a000001);
    csum_add_be32(&b, 0x0a000002);
    csum_add_be16(&b, 6);
    csum_add_be16(&b, 0x05dc);
    csum_add(&b, payload + 3, 4);
    ck_assert_uint_eq(csum_finish(&a), csum_finish(&b));
}
END_TEST

/* RFC 1624 section 4: m 0x5555 -> 0x3285 with HC 0xdd2f gives 0x0000 (eqn. 2 would give the
 * wrong 0xffff), and the errata's 0x5555 -> 0x5556 with HC 0x0000 gives 0xfffe. */
START_TEST(rfc1624_examples)
{
    ck_assert_uint_eq(csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
    ck_assert_uint_eq(csum_update16(0x0000, 0x5555, 0x5556), 0xfffe);
}
END_TEST

/* Updating a field incrementally gives the same checksum as computing it from scratch. */
START_TEST(incremental_update_matches_recompute)
{
    uint8_t hdr[20];
    for (int round = 0; round < 5000; round++) {
        for (size_t i = 0; i < sizeof(hdr); i++)
            hdr[i] = (uint8_t)rng();
        store_be16(hdr + 10, 0);
        store_be16(hdr + 10, inet_checksum(hdr, sizeof(hdr)));
        uint16_t check = load_be16(hdr + 10);

        size_t at = 2 * (rng() % 5); /* a word before the checksum field */
        uint16_t old16 = load_be16(hdr + at), new16 = (uint16_t)rng();
        store_be16(hdr + at, new16);
        check = csum_update16(check, old16, new16);
        store_be16(hdr + 10, check);
        ck_assert_uint_eq(inet_checksum(hdr, sizeof(hdr)), 0);

        uint32_t old32 = load_be32(hdr + 12), new32 = rng();
        store_be32(hdr + 12, new32);
        check = csum_update32(check, old32, new32);
        store_be16(hdr + 10, check);
        ck_assert_uint_eq(inet_checksum(hdr, sizeof(hdr)), 0);
        store_be16(hdr + 10, 0);
        ck_assert_uint_eq(check, inet_checksum(hdr, sizeof(hdr)));
    }
}
END_TEST

static Suite *checksum_suite(void)
{
    Suite *s = suite_create("lib_checksum");
    TCase *tc = tcase_create("checksum");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, rfc1071_example);
    tcase_add_test(tc, ipv4_header_verifies_to_zero);
    tcase_add_test(tc, random_data_every_alignment_and_length);
    tcase_add_test(tc, carry_heavy_data);
    tcase_add_test(tc, every_tail_length_with_carries);
    tcase_add_test(tc, pieces_at_odd_split_points);
    tcase_add_test(tc, words_match_bytes);
    tcase_add_test(tc, rfc1624_examples);
    tcase_add_test(tc, incremental_update_matches_recompute);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(checksum_suite)
