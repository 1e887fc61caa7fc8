/*
 * lib/chacha20: the ChaCha20 stream cipher (RFC 8439 section 2.3/2.4): 256-bit key, 96-bit
 * nonce, 32-bit block counter. The generator in lib/random builds on it.
 */
#ifndef XENOLITH_LIB_CHACHA20_H
#define XENOLITH_LIB_CHACHA20_H

#include <stddef.h>
#include <stdint.h>

#define CHACHA20_KEY_SIZE 32
#define CHACHA20_NONCE_SIZE 12
#define CHACHA20_BLOCK_SIZE 64

/* One 64-byte keystream block (RFC 8439 2.3). */
void chacha20_block(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
                    const uint8_t nonce[CHACHA20_NONCE_SIZE], uint8_t out[CHACHA20_BLOCK_SIZE]);
/* Encrypts or decrypts len bytes (RFC 8439 2.4), blocks numbered from counter on; in and out
 * may be the same buffer. The counter must not wrap: len <= (2^32 - counter) * 64. */
void chacha20_xor(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
                  const uint8_t nonce[CHACHA20_NONCE_SIZE], const void *in, void *out, size_t len);

#endif
