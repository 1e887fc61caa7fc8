/*
 * lib/chacha20: the ChaCha20 block function and stream cipher (see lib/chacha20.h).
 */
#include "lib/byteorder.h"
#include "lib/chacha20.h"
#include "lib/string.h"

static inline uint32_t rotl32(uint32_t v, int n)
{
    return v << n | v >> (32 - n);
}

#define QUARTER_ROUND(a, b, c, d) do { \
    a += b; d ^= a; d = rotl32(d, 16);  \
    c += d; b ^= c; b = rotl32(b, 12);  \
    a += b; d ^= a; d = rotl32(d, 8);   \
    c += d; b ^= c; b = rotl32(b, 7);   \
} while (0)

void chacha20_block(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
                    const uint8_t nonce[CHACHA20_NONCE_SIZE], uint8_t out[CHACHA20_BLOCK_SIZE])
{
    uint32_t in[16], x[16];
    /* "expand 32-byte k" */
    in[0] = 0x61707865;
    in[1] = 0x3320646e;
    in[2] = 0x79622d32;
    in[3] = 0x6b206574;
    for (int i = 0; i < 8; i++)
        in[4 + i] = load_le32(key + 4 * i);
    in[12] = counter;
    for (int i = 0; i < 3; i++)
        in[13 + i] = load_le32(nonce + 4 * i);

    for (int i = 0; i < 16; i++)
        x[i] = in[i];
    /* RFC 8439 2.3: ten double rounds of four column and four diagonal quarter-rounds. Built
     * for speed they are written out: with constant indices the state stays in registers (2.4x
     * fewer instructions a block than the loops). Built for size (the -Oz kernel, where a block
     * is computed once per 480 random bytes) they are loops over the columns, 330 bytes less;
     * the diagonal of column i starts at row 1 of column i+1, wrapping. CHACHA20_SIZE_FORM
     * asks for the loops in any build (test/unit/test_lib_chacha20_loops.c). */
    for (int round = 0; round < 10; round++) {
#if defined(__OPTIMIZE_SIZE__) || defined(CHACHA20_SIZE_FORM)
        for (unsigned i = 0; i < 4; i++)
            QUARTER_ROUND(x[i], x[4 + i], x[8 + i], x[12 + i]);
        for (unsigned i = 0; i < 4; i++)
            QUARTER_ROUND(x[i], x[4 + (i + 1) % 4], x[8 + (i + 2) % 4], x[12 + (i + 3) % 4]);
#else
        QUARTER_ROUND(x[0], x[4], x[8], x[12]); /* column rounds */
        QUARTER_ROUND(x[1], x[5], x[9], x[13]);
        QUARTER_ROUND(x[2], x[6], x[10], x[14]);
        QUARTER_ROUND(x[3], x[7], x[11], x[15]);
        QUARTER_ROUND(x[0], x[5], x[10], x[15]); /* diagonal rounds */
        QUARTER_ROUND(x[1], x[6], x[11], x[12]);
        QUARTER_ROUND(x[2], x[7], x[8], x[13]);
        QUARTER_ROUND(x[3], x[4], x[9], x[14]);
#endif
    }
    for (int i = 0; i < 16; i++)
        store_le32(out + 4 * i, x[i] + in[i]);
    kmem_zero_explicit(x, sizeof(x));
    kmem_zero_explicit(in, sizeof(in));
}

void chacha20_xor(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
                  const uint8_t nonce[CHACHA20_NONCE_SIZE], const void *in, void *out, size_t len)
{
    const uint8_t *src = in;
    uint8_t *dst = out;
    uint8_t block[CHACHA20_BLOCK_SIZE];
    while (len) {
        chacha20_block(key, counter++, nonce, block);
        size_t n = len < sizeof(block) ? len : sizeof(block);
        for (size_t i = 0; i < n; i++)
            dst[i] = src[i] ^ block[i];
        src += n;
        dst += n;
        len -= n;
    }
    kmem_zero_explicit(block, sizeof(block));
}
