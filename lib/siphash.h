/*
 * lib/siphash: SipHash-2-4 (Aumasson and Bernstein), a keyed 64-bit hash: fast on short
 * inputs and unpredictable without the key. For hash tables fed by the network (no collision
 * flooding) and for secret-keyed values such as TCP initial sequence numbers (RFC 6528).
 */
#ifndef XENOLITH_LIB_SIPHASH_H
#define XENOLITH_LIB_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
    uint64_t k0, k1;
};

/* The key from 16 bytes, as the reference implementation reads them (little-endian halves). */
void siphash_key_from_bytes(struct siphash_key *key, const uint8_t bytes[16]);
/* A fresh random key (lib/random). */
void siphash_key_random(struct siphash_key *key);

uint64_t siphash24(const struct siphash_key *key, const void *data, size_t len);
/* The same for a 12-byte message given as its little-endian words: bytes 0-7 are `first`, bytes
 * 8-11 `rest` (siphash24 of those bytes). A connection's 4-tuple is one such message: no byte
 * buffer to build, no loop over the tail. */
uint64_t siphash24_12(const struct siphash_key *key, uint64_t first, uint32_t rest);
/* SipHash-2-4 with its 128-bit output (the reference's outlen 16) of the same 12-byte message:
 * out[0] is the output's first 8 bytes as a little-endian word, out[1] its last 8. The halves
 * are independent, so one may stay secret while the other is seen: one computation serves a
 * hash table (out[0]) and values sent on the wire (out[1]). siphash24_128_12_first gives out[0]
 * alone at the cost of siphash24_12; both halves cost four rounds more. */
void siphash24_128_12(const struct siphash_key *key, uint64_t first, uint32_t rest, uint64_t out[2]);
uint64_t siphash24_128_12_first(const struct siphash_key *key, uint64_t first, uint32_t rest);

#endif
