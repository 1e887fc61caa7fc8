/*
 * net/wire/ipv4_header: the IPv4 header on the wire (RFC 791 section 3.1), with no stack state:
 * parsing and validation, building, and the option handling fragmentation needs. ipv4.c, icmp.c and
 * the fuzzers use it; it depends only on lib/.
 *
 * Addresses are uint32_t holding the four wire bytes in network order (what load_u32 reads, and
 * what IP4_ADDR(a,b,c,d) writes): the convention of the whole stack (print with %pI4 and &addr).
 */
#ifndef XENOLITH_NET_IPV4_HEADER_H
#define XENOLITH_NET_IPV4_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/byteorder.h"

#define IPV4_HEADER_MIN 20u
#define IPV4_HEADER_MAX 60u
#define IPV4_MAX_DATAGRAM 65535u
/* RFC 791: every module must pass a 68-byte datagram unfragmented: the smallest MTU. */
#define IPV4_MIN_MTU 68u
#define IPV4_DEFAULT_TTL 64u

#define IPV4_PROTO_ICMP 1
#define IPV4_PROTO_TCP 6
#define IPV4_PROTO_UDP 17

/* The 16-bit flags + fragment offset field. */
#define IPV4_FLAG_RESERVED 0x8000u
#define IPV4_FLAG_DF 0x4000u
#define IPV4_FLAG_MF 0x2000u
#define IPV4_OFFSET_MASK 0x1fffu

/* Option types (RFC 791 3.1): bit 7 is "copied into every fragment". */
#define IPV4_OPT_END 0
#define IPV4_OPT_NOP 1
#define IPV4_OPT_COPIED 0x80u
#define IPV4_OPT_LSRR 0x83
#define IPV4_OPT_SSRR 0x89

#define IPV4_ADDR_BROADCAST 0xffffffffu

/* An IPv4 address from its four dotted parts, in network byte order. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define IP4_ADDR(a, b, c, d) \
    ((uint32_t)(a) | ((uint32_t)(b) << 8) | ((uint32_t)(c) << 16) | ((uint32_t)(d) << 24))
#else
#define IP4_ADDR(a, b, c, d) \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#endif
#define IP4_ANY 0u
#define IP4_BROADCAST 0xffffffffu

static inline bool ipv4_addr_is_multicast(uint32_t a)
{
    return (be32_to_cpu(a) >> 28) == 0xe;            /* 224.0.0.0/4 */
}
static inline bool ipv4_addr_is_loopback(uint32_t a)
{
    return (be32_to_cpu(a) >> 24) == 127;
}
/* The "this network" block 0.0.0.0/8: valid only as a source during configuration (0.0.0.0). */
static inline bool ipv4_addr_is_zeronet(uint32_t a)
{
    return (be32_to_cpu(a) >> 24) == 0;
}
/* Reserved for future use (240.0.0.0/4, without the limited broadcast). */
static inline bool ipv4_addr_is_reserved(uint32_t a)
{
    return (be32_to_cpu(a) >> 28) == 0xf && a != IPV4_ADDR_BROADCAST;
}
/* A parsed header. Option bytes point into the buffer that was parsed. */
struct ipv4_header {
    uint8_t header_len;          /* bytes, 20..60 */
    uint8_t tos;
    uint16_t total_len;
    uint16_t id;
    uint16_t frag_field;         /* flags and offset as on the wire */
    uint8_t ttl;
    uint8_t protocol;
    uint32_t src;
    uint32_t dst;
    const uint8_t *options;
    uint8_t options_len;
};

static inline uint32_t ipv4_frag_offset_bytes(const struct ipv4_header *h)
{
    return (uint32_t)(h->frag_field & IPV4_OFFSET_MASK) * 8;
}
static inline bool ipv4_more_fragments(const struct ipv4_header *h)
{
    return (h->frag_field & IPV4_FLAG_MF) != 0;
}
static inline bool ipv4_is_fragment(const struct ipv4_header *h)
{
    return (h->frag_field & (IPV4_FLAG_MF | IPV4_OFFSET_MASK)) != 0;
}

/* Why a header was refused; each has a counter in ipv4.h. */
enum ipv4_header_error {
    IPV4_HEADER_OK = 0,
    IPV4_HEADER_TRUNCATED,       /* fewer than 20 bytes, or fewer than IHL*4 */
    IPV4_HEADER_BAD_VERSION,     /* not 4 */
    IPV4_HEADER_BAD_IHL,         /* IHL < 5 */
    IPV4_HEADER_BAD_LENGTH,      /* total length < header length, or more than was received */
    IPV4_HEADER_BAD_CHECKSUM,
    IPV4_HEADER_BAD_OPTIONS,     /* an option runs past the header or has a length below 2 */
    IPV4_HEADER_SOURCE_ROUTE,    /* LSRR/SSRR: we are a host and do not honour source routes */
};
const char *ipv4_header_error_name(enum ipv4_header_error e);

/* Parses and validates the header at buf[0..len) (RFC 791 3.1, RFC 1122 3.2.1.1-3.2.1.8).
 * `len` is what the link delivered; bytes past total_len are link padding for the caller to
 * cut. verify_checksum false skips only the checksum (the fuzzers' corpus stays readable). */
enum ipv4_header_error ipv4_header_parse(const uint8_t *buf, size_t len, bool verify_checksum,
                                         struct ipv4_header *out);

/* Walks options[0..len) checking every option's bounds (END stops the walk; NOP is one byte;
 * every other option has a length byte >= 2 that must fit). */
enum ipv4_header_error ipv4_options_validate(const uint8_t *options, size_t len);

/* Writes into out the options of `options` that RFC 791 says are copied into every fragment
 * (type bit 7), padded with END to a multiple of 4. `options` must be valid. Returns the length
 * written (at most len rounded up to 4; out needs 40 bytes). */
size_t ipv4_options_for_later_fragments(const uint8_t *options, size_t len, uint8_t *out);

/* Writes the header h (header_len = 20 + options_len rounded to 4; options copied from
 * h->options) into out and computes its checksum. Returns the header length. */
size_t ipv4_header_build(uint8_t *out, const struct ipv4_header *h);

/* The Internet checksum of a header as stored (0 when the header is intact). */
uint16_t ipv4_header_checksum(const uint8_t *header, size_t header_len);

#endif
