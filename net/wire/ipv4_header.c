/*
 * net/ipv4_header: parsing, validation and building of IPv4 headers (see ipv4_header.h).
 */
#include "net/wire/ipv4_header.h"

#include "lib/checksum.h"
#include "lib/string.h"

const char *ipv4_header_error_name(enum ipv4_header_error e)
{
    switch (e) {
    case IPV4_HEADER_OK: return "ok";
    case IPV4_HEADER_TRUNCATED: return "truncated";
    case IPV4_HEADER_BAD_VERSION: return "bad version";
    case IPV4_HEADER_BAD_IHL: return "bad header length";
    case IPV4_HEADER_BAD_LENGTH: return "bad total length";
    case IPV4_HEADER_BAD_CHECKSUM: return "bad checksum";
    case IPV4_HEADER_BAD_OPTIONS: return "bad options";
    case IPV4_HEADER_SOURCE_ROUTE: return "source route";
    }
    return "unknown";
}

uint16_t ipv4_header_checksum(const uint8_t *header, size_t header_len)
{
    /* Every datagram's header is summed twice (built, then verified): its length is a multiple
     * of 4 bytes (IHL), at most 60, so 32-bit words add up in 64 bits without a carry out. */
    if (header_len % 4 != 0 || header_len > IPV4_HEADER_MAX)
        return inet_checksum(header, header_len);
    uint64_t words = 0;
    for (size_t i = 0; i < header_len; i += 4)
        words += load_u32(header + i);
    struct csum c;
    csum_init(&c);
    csum_add_word(&c, words);
    return csum_finish(&c);
}

enum ipv4_header_error ipv4_options_validate(const uint8_t *options, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint8_t type = options[i];
        if (type == IPV4_OPT_END)
            break;
        if (type == IPV4_OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= len)
            return IPV4_HEADER_BAD_OPTIONS;
        uint8_t opt_len = options[i + 1];
        if (opt_len < 2 || opt_len > len - i)
            return IPV4_HEADER_BAD_OPTIONS;
        /* RFC 1122 3.2.1.8 lets a host decline to act as a source-route hop; as the final
         * destination we would have to reverse the route for replies, which would let any sender
         * steer our traffic. Refuse such datagrams outright. */
        if (type == IPV4_OPT_LSRR || type == IPV4_OPT_SSRR)
            return IPV4_HEADER_SOURCE_ROUTE;
        i += opt_len;
    }
    return IPV4_HEADER_OK;
}

enum ipv4_header_error ipv4_header_parse(const uint8_t *buf, size_t len, bool verify_checksum,
                                         struct ipv4_header *out)
{
    if (len < IPV4_HEADER_MIN)
        return IPV4_HEADER_TRUNCATED;
    if ((buf[0] >> 4) != 4)
        return IPV4_HEADER_BAD_VERSION;
    size_t header_len = (size_t)(buf[0] & 0x0f) * 4;
    if (header_len < IPV4_HEADER_MIN)
        return IPV4_HEADER_BAD_IHL;
    if (len < header_len)
        return IPV4_HEADER_TRUNCATED;
    uint16_t total_len = load_be16(buf + 2);
    /* RFC 1122 3.2.1.1 needs the version checked; the length fields must agree with what arrived
     * (a total length beyond the frame would make us read past it). */
    if (total_len < header_len || total_len > len)
        return IPV4_HEADER_BAD_LENGTH;
    if (verify_checksum && ipv4_header_checksum(buf, header_len) != 0)
        return IPV4_HEADER_BAD_CHECKSUM;
    enum ipv4_header_error e = ipv4_options_validate(buf + IPV4_HEADER_MIN, header_len - IPV4_HEADER_MIN);
    if (e != IPV4_HEADER_OK)
        return e;

    out->header_len = (uint8_t)header_len;
    out->tos = buf[1];
    out->total_len = total_len;
    out->id = load_be16(buf + 4);
    out->frag_field = load_be16(buf + 6);
    out->ttl = buf[8];
    out->protocol = buf[9];
    out->src = load_u32(buf + 12);
    out->dst = load_u32(buf + 16);
    out->options = buf + IPV4_HEADER_MIN;
    out->options_len = (uint8_t)(header_len - IPV4_HEADER_MIN);
    return IPV4_HEADER_OK;
}

size_t ipv4_options_for_later_fragments(const uint8_t *options, size_t len, uint8_t *out)
{
    size_t i = 0, n = 0;
    while (i < len && n < IPV4_HEADER_MAX - IPV4_HEADER_MIN) {
        uint8_t type = options[i];
        if (type == IPV4_OPT_END)
            break;
        if (type == IPV4_OPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= len)
            break;
        uint8_t opt_len = options[i + 1];
        if (opt_len < 2 || opt_len > len - i)
            break;
        if (type & IPV4_OPT_COPIED) {
            memcpy(out + n, options + i, opt_len);
            n += opt_len;
        }
        i += opt_len;
    }
    while (n & 3)
        out[n++] = IPV4_OPT_END;
    return n;
}

size_t ipv4_header_build(uint8_t *out, const struct ipv4_header *h)
{
    size_t options_len = h->options_len;
    size_t header_len = IPV4_HEADER_MIN + ((options_len + 3) & ~(size_t)3);
    out[0] = (uint8_t)(0x40 | (header_len / 4));
    out[1] = h->tos;
    store_be16(out + 2, h->total_len);
    store_be16(out + 4, h->id);
    store_be16(out + 6, h->frag_field);
    out[8] = h->ttl;
    out[9] = h->protocol;
    store_be16(out + 10, 0);
    store_u32(out + 12, h->src);
    store_u32(out + 16, h->dst);
    if (options_len)
        memcpy(out + IPV4_HEADER_MIN, h->options, options_len);
    for (size_t i = IPV4_HEADER_MIN + options_len; i < header_len; i++)
        out[i] = IPV4_OPT_END;
    store_be16(out + 10, ipv4_header_checksum(out, header_len));
    return header_len;
}
