/*
 * lib/checksum: the Internet checksum (see lib/checksum.h). The sum runs over 64-bit words in
 * the CPU's own byte order with end-around carry: RFC 1071 section 2 shows the ones' complement
 * sum is independent of byte order and word size, so only the folded 16-bit result needs
 * swapping into the big-endian field value at the end.
 */
#include "lib/byteorder.h"
#include "lib/checksum.h"

static inline uint64_t add_carry(uint64_t a, uint64_t b)
{
    a += b;
    return a + (a < b);
}

static inline uint16_t fold64(uint64_t s)
{
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffffffu) + (s >> 32);
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    return (uint16_t)s;
}

/* Ones' complement sum of buf[len] paired from its first byte, in CPU byte order. */
static uint64_t sum_words(const unsigned char *p, size_t len)
{
    uint64_t s0 = 0, s1 = 0;
    /* Two accumulators let the carries of independent adds overlap. */
    for (; len >= 32; len -= 32, p += 32) {
        s0 = add_carry(s0, load_u64(p));
        s1 = add_carry(s1, load_u64(p + 8));
        s0 = add_carry(s0, load_u64(p + 16));
        s1 = add_carry(s1, load_u64(p + 24));
    }
    for (; len >= 8; len -= 8, p += 8)
        s0 = add_carry(s0, load_u64(p));
    /* The tail of under 8 bytes in at most three loads. Where a 16-bit word lands in the 64-bit
     * sum does not matter (2^16 = 1 modulo 2^16 - 1, so fold64 brings every 16-bit lane to the
     * same place), only that each byte keeps its half of its 16-bit word: the pieces start at
     * even offsets, and a last odd byte is paired with zero as if the buffer were padded. */
    uint64_t tail = 0;                        /* at most 2^32 + 2^17: no carry out */
    if (len & 4) {
        tail = load_u32(p);
        p += 4;
    }
    if (len & 2) {
        tail += load_u16(p);
        p += 2;
    }
    if (len & 1) {
        union { unsigned char bytes[2]; uint16_t word; } last = { .bytes = { p[0], 0 } };
        tail += last.word;
    }
    return add_carry(add_carry(s0, s1), tail);
}

void csum_add(struct csum *c, const void *buf, size_t len)
{
    uint64_t part = sum_words(buf, len);
    /* A piece starting at an odd offset pairs its bytes the other way round (RFC 1071 2(B)).
     * Swapping the bytes of every 16-bit word multiplies the sum by 256 modulo 2^16 - 1, and so
     * does swapping the bytes of the whole unfolded 64-bit sum: no fold is needed here. */
    if (c->odd)
        part = __builtin_bswap64(part);
    c->sum = add_carry(c->sum, part);
    c->odd ^= len & 1;
}

uint16_t csum_sum16(const struct csum *c)
{
    return be16_to_cpu(fold64(c->sum));
}

uint16_t csum_finish(const struct csum *c)
{
    return (uint16_t)~csum_sum16(c);
}

uint16_t inet_checksum(const void *buf, size_t len)
{
    return (uint16_t)~be16_to_cpu(fold64(sum_words(buf, len)));
}

uint16_t csum_update16(uint16_t check, uint16_t old_field, uint16_t new_field)
{
    /* HC' = ~(~HC + ~m + m'), all in ones' complement arithmetic. */
    uint32_t s = (uint16_t)~check;
    s += (uint16_t)~old_field;
    s += new_field;
    s = (s & 0xffffu) + (s >> 16);
    s = (s & 0xffffu) + (s >> 16);
    return (uint16_t)~s;
}

uint16_t csum_update32(uint16_t check, uint32_t old_field, uint32_t new_field)
{
    check = csum_update16(check, (uint16_t)(old_field >> 16), (uint16_t)(new_field >> 16));
    return csum_update16(check, (uint16_t)old_field, (uint16_t)new_field);
}
