/*
 * lib/random: the kernel CSPRNG (see lib/random.h), ChaCha20 with fast key erasure: each
 * refill produces a batch of keystream whose first 32 bytes immediately replace the key, and
 * every byte handed out is wiped from the buffer. Whoever reads the state later learns
 * nothing about output already given. Used before random_seed, it seeds itself from
 * platform_entropy, so early callers never get a fixed stream.
 */
#include <stdbool.h>
#include "lib/chacha20.h"
#include "lib/random.h"
#include "lib/string.h"
#include "platform/platform.h"

#define BATCH_BLOCKS 8
#define BATCH_BYTES (BATCH_BLOCKS * CHACHA20_BLOCK_SIZE)

static uint8_t key[CHACHA20_KEY_SIZE];
static uint8_t batch[BATCH_BYTES];
static size_t available; /* unserved bytes at the end of batch */
static bool seeded;

/* Keystream for output and keystream for mixing seeds come from different nonces. */
static const uint8_t output_nonce[CHACHA20_NONCE_SIZE] = { 0 };
static const uint8_t mixing_nonce[CHACHA20_NONCE_SIZE] = { 's', 'e', 'e', 'd', 0 };

static void refill(void)
{
    for (uint32_t i = 0; i < BATCH_BLOCKS; i++)
        chacha20_block(key, i, output_nonce, batch + i * CHACHA20_BLOCK_SIZE);
    memcpy(key, batch, sizeof(key));
    kmem_zero_explicit(batch, sizeof(key));
    available = BATCH_BYTES - sizeof(key);
}

void random_seed(const void *seed, size_t len)
{
    const uint8_t *s = seed;
    uint8_t block[CHACHA20_BLOCK_SIZE];
    /* Absorb 32 bytes at a time into the key, then pass it through the block function: the
     * new key depends on the old one and on every seed byte, and cannot be run backwards. */
    do {
        size_t n = len < sizeof(key) ? len : sizeof(key);
        for (size_t i = 0; i < n; i++)
            key[i] ^= s[i];
        chacha20_block(key, (uint32_t)n, mixing_nonce, block);
        memcpy(key, block, sizeof(key));
        s += n;
        len -= n;
    } while (len);
    kmem_zero_explicit(block, sizeof(block));
    /* Output buffered under the old key is dropped. */
    kmem_zero_explicit(batch, sizeof(batch));
    available = 0;
    seeded = true;
}

static void ensure_seeded(void)
{
    if (seeded)
        return;
    uint8_t seed[CHACHA20_KEY_SIZE];
    platform_entropy(seed, sizeof(seed));
    random_seed(seed, sizeof(seed));
    kmem_zero_explicit(seed, sizeof(seed));
}

void random_bytes(void *buf, size_t len)
{
    uint8_t *out = buf;
    ensure_seeded();
    while (len) {
        if (available == 0)
            refill();
        size_t n = len < available ? len : available;
        uint8_t *from = batch + BATCH_BYTES - available;
        memcpy(out, from, n);
        kmem_zero_explicit(from, n);
        available -= n;
        out += n;
        len -= n;
    }
}

uint32_t random_u32(void)
{
    uint32_t v;
    random_bytes(&v, sizeof(v));
    return v;
}

uint64_t random_u64(void)
{
    uint64_t v;
    random_bytes(&v, sizeof(v));
    return v;
}

uint32_t random_below(uint32_t bound)
{
    if (bound <= 1)
        return 0;
    /* Values below 2^32 mod bound would make the low results more likely: draw again.
     * At worst (bound just above 2^31) half the draws are rejected. */
    uint32_t threshold = (0u - bound) % bound;
    for (;;) {
        uint32_t r = random_u32();
        if (r >= threshold)
            return r % bound;
    }
}
