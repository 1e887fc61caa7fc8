/*
 * lib/checksum: the Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 *
 * Values are host-order numbers of the big-endian 16-bit field: a result is stored with
 * store_be16(field, v) and a field is read with load_be16. Verifying a received header or
 * segment (checksum field included) gives 0 when it is intact.
 *
 * Data may come in any number of pieces of any length and alignment (scatter-gather buffers,
 * pseudo-header + header + payload): struct csum remembers whether the bytes so far were odd
 * in number, so the pairing of bytes into 16-bit words continues across pieces.
 */
#ifndef XENOLITH_LIB_CHECKSUM_H
#define XENOLITH_LIB_CHECKSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/byteorder.h"

struct csum {
    uint64_t sum;  /* ones' complement sum in CPU word order, not yet folded */
    bool odd;      /* an odd number of bytes has been added so far */
};

static inline void csum_init(struct csum *c)
{
    c->sum = 0;
    c->odd = false;
}

/* Adds the next len bytes of the checksummed data. */
void csum_add(struct csum *c, const void *buf, size_t len);
/* Adds one 16-bit word (host-order value of a big-endian field) or two: pseudo-header fields
 * such as the protocol and the length. They count as whole words wherever the byte stream
 * stands, so they may be added in any order relative to csum_add. */
/* Inline: a pseudo-header is four of them per segment, each an add with carry. */
static inline void csum_add_word(struct csum *c, uint64_t v)
{
    c->sum += v;
    c->sum += c->sum < v;                   /* end-around carry */
}

/* The field as it lies in memory, read in CPU order as csum_add reads data. A 16-bit word counts
 * the same in any 16-bit lane of the 64-bit sum (2^16 = 1 modulo 2^16 - 1), so a 32-bit field is
 * one add. */
static inline void csum_add_be16(struct csum *c, uint16_t v)
{
    csum_add_word(c, cpu_to_be16(v));
}

static inline void csum_add_be32(struct csum *c, uint32_t v)
{
    csum_add_word(c, cpu_to_be32(v));
}
/* The ones' complement sum folded to 16 bits, not complemented (for combining and offload). */
uint16_t csum_sum16(const struct csum *c);
/* The checksum field's value: the complement of the folded sum. */
uint16_t csum_finish(const struct csum *c);

/* One buffer, start to end. */
uint16_t inet_checksum(const void *buf, size_t len);

/* RFC 1624 eqn. 3: the new checksum after a 16-bit field changed from old_field to new_field,
 * without touching the rest of the data. The 32-bit form updates two adjacent words at once
 * (an IPv4 address). */
uint16_t csum_update16(uint16_t check, uint16_t old_field, uint16_t new_field);
uint16_t csum_update32(uint16_t check, uint32_t old_field, uint32_t new_field);

#endif
