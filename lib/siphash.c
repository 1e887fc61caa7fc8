/*
 * lib/siphash: SipHash-2-4 (see lib/siphash.h): two compression rounds per 8-byte word, four
 * finalization rounds, the message read as little-endian words with its length in the top
 * byte of the last one.
 */
#include "lib/byteorder.h"
#include "lib/random.h"
#include "lib/siphash.h"

static inline uint64_t rotl64(uint64_t v, int n)
{
    return v << n | v >> (64 - n);
}

struct sip_state {
    uint64_t v0, v1, v2, v3;
};

static inline void sip_round(struct sip_state *s)
{
    s->v0 += s->v1;
    s->v1 = rotl64(s->v1, 13);
    s->v1 ^= s->v0;
    s->v0 = rotl64(s->v0, 32);
    s->v2 += s->v3;
    s->v3 = rotl64(s->v3, 16);
    s->v3 ^= s->v2;
    s->v0 += s->v3;
    s->v3 = rotl64(s->v3, 21);
    s->v3 ^= s->v0;
    s->v2 += s->v1;
    s->v1 = rotl64(s->v1, 17);
    s->v1 ^= s->v2;
    s->v2 = rotl64(s->v2, 32);
}

static inline void sip_absorb(struct sip_state *s, uint64_t m)
{
    s->v3 ^= m;
    sip_round(s);
    sip_round(s);
    s->v0 ^= m;
}

void siphash_key_from_bytes(struct siphash_key *key, const uint8_t bytes[16])
{
    key->k0 = load_le64(bytes);
    key->k1 = load_le64(bytes + 8);
}

void siphash_key_random(struct siphash_key *key)
{
    key->k0 = random_u64();
    key->k1 = random_u64();
}

static inline struct sip_state sip_start(const struct siphash_key *key)
{
    /* "somepseudorandomlygeneratedbytes" */
    return (struct sip_state){
        key->k0 ^ 0x736f6d6570736575ull,
        key->k1 ^ 0x646f72616e646f6dull,
        key->k0 ^ 0x6c7967656e657261ull,
        key->k1 ^ 0x7465646279746573ull,
    };
}

static inline uint64_t sip_finish(struct sip_state *s, uint64_t mark)
{
    s->v2 ^= mark;
    for (int i = 0; i < 4; i++)
        sip_round(s);
    return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* How much of which output sip_words computes. */
enum sip_output {
    SIP_64,                      /* SipHash-2-4 */
    SIP_128_FIRST,               /* the first half of SipHash-2-4-128 (same cost as SIP_64) */
    SIP_128,                     /* both halves: four more rounds */
};

/* The whole hash of `words` little-endian 8-byte words at p followed by the last word (the
 * message's tail and its length). The 128-bit output (the reference's outlen 16) differs only
 * by marks: 0xee into v1 at the start and into v2 before the first half's rounds, 0xdd into v1
 * before the second half's. One body for every entry point: not inlined into them. */
static __attribute__((noinline)) uint64_t sip_words(const struct siphash_key *key, const uint8_t *p,
                                                    size_t words, uint64_t last,
                                                    enum sip_output output, uint64_t *second)
{
    struct sip_state s = sip_start(key);
    if (output != SIP_64)
        s.v1 ^= 0xee;
    for (size_t i = 0; i < words; i++)
        sip_absorb(&s, load_le64(p + 8 * i));
    sip_absorb(&s, last);
    uint64_t first = sip_finish(&s, output == SIP_64 ? 0xff : 0xee);
    if (output == SIP_128) {
        s.v1 ^= 0xdd;
        *second = sip_finish(&s, 0);             /* the same four rounds, one body */
    }
    return first;
}

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t words = len / 8;
    uint64_t last = (uint64_t)(len & 0xff) << 56;
    for (size_t i = 0; i < len % 8; i++)
        last |= (uint64_t)p[8 * words + i] << (8 * i);
    return sip_words(key, p, words, last, SIP_64, NULL);
}

uint64_t siphash24_12(const struct siphash_key *key, uint64_t first, uint32_t rest)
{
    uint8_t head[8];
    store_le64(head, first);
    return sip_words(key, head, 1, (uint64_t)12 << 56 | rest, SIP_64, NULL);
}

uint64_t siphash24_128_12_first(const struct siphash_key *key, uint64_t first, uint32_t rest)
{
    uint8_t head[8];
    store_le64(head, first);
    return sip_words(key, head, 1, (uint64_t)12 << 56 | rest, SIP_128_FIRST, NULL);
}

void siphash24_128_12(const struct siphash_key *key, uint64_t first, uint32_t rest, uint64_t out[2])
{
    uint8_t head[8];
    store_le64(head, first);
    out[0] = sip_words(key, head, 1, (uint64_t)12 << 56 | rest, SIP_128, &out[1]);
}
