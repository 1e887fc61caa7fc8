/*
 * lib/random: the kernel's CSPRNG, ChaCha20 keyed from platform entropy (fast key erasure:
 * each refill re-keys from its own output, so a later state leak does not reveal past output).
 * Used for ISNs' secrets, ephemeral ports, DHCP transaction ids, hash seeds.
 */
#ifndef XENOLITH_LIB_RANDOM_H
#define XENOLITH_LIB_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* Mixes seed material into the generator (any length). kernel_start seeds it at boot. */
void random_seed(const void *seed, size_t len);
void random_bytes(void *buf, size_t len);
uint32_t random_u32(void);
uint64_t random_u64(void);
/* Uniform in [0, bound) without modulo bias; bound > 0. */
uint32_t random_below(uint32_t bound);

#endif
