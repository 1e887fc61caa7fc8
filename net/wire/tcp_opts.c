/*
 * net/tcp_opts: parsing and building TCP headers and options (layout and rules in tcp_opts.h).
 */
#include "net/wire/tcp_opts.h"

#include "lib/byteorder.h"
#include "lib/string.h"
#include "net/wire/tcp_seq.h"

/* The length a known option must have; 0 for kinds whose length varies or is not ours to judge. */
static unsigned fixed_option_len(uint8_t kind)
{
    switch (kind) {
    case TCP_OPT_MSS:
        return TCP_OPTLEN_MSS;
    case TCP_OPT_WSCALE:
        return TCP_OPTLEN_WSCALE;
    case TCP_OPT_SACK_PERMITTED:
        return TCP_OPTLEN_SACK_PERMITTED;
    case TCP_OPT_TIMESTAMPS:
        return TCP_OPTLEN_TIMESTAMPS;
    default:
        return 0;
    }
}

static bool sack_len_valid(unsigned len)
{
    return len >= 2 + TCP_OPTLEN_SACK_BLOCK && (len - 2) % TCP_OPTLEN_SACK_BLOCK == 0 &&
           (len - 2) / TCP_OPTLEN_SACK_BLOCK <= TCP_MAX_SACK_BLOCKS;
}

enum tcp_parse_result tcp_parse_options(const uint8_t *buf, size_t len, bool syn,
                                        struct tcp_options *opts)
{
    memset(opts, 0, sizeof(*opts));
    /* RFC 7323 Appendix A's layout, which every segment after the handshake of a connection with
     * timestamps carries: NOP, NOP, timestamps. Read at once; the walk below gives the same. */
    if (len == 2 + TCP_OPTLEN_TIMESTAMPS &&
        load_be32(buf) == (TCP_OPT_NOP << 24 | TCP_OPT_NOP << 16 | TCP_OPT_TIMESTAMPS << 8 |
                           TCP_OPTLEN_TIMESTAMPS)) {
        opts->present = TCP_OPTF_TIMESTAMPS;
        opts->ts_val = load_be32(buf + 4);
        opts->ts_ecr = load_be32(buf + 8);
        return TCP_PARSE_OK;
    }
    size_t i = 0;
    while (i < len) {
        uint8_t kind = buf[i];
        if (kind == TCP_OPT_EOL)
            break;
        if (kind == TCP_OPT_NOP) {
            i++;
            continue;
        }
        if (len - i < 2)
            return TCP_PARSE_BAD_OPTION;
        unsigned olen = buf[i + 1];
        if (olen < 2 || olen > len - i)
            return TCP_PARSE_BAD_OPTION;
        unsigned want = fixed_option_len(kind);
        if (want && olen != want)
            return TCP_PARSE_BAD_OPTION;
        const uint8_t *v = buf + i + 2;
        switch (kind) {
        case TCP_OPT_MSS:
            if (syn) {
                opts->present |= TCP_OPTF_MSS;
                opts->mss = load_be16(v);
            }
            break;
        case TCP_OPT_WSCALE:
            if (syn) {
                opts->present |= TCP_OPTF_WSCALE;
                opts->wscale = v[0] > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : v[0];
            }
            break;
        case TCP_OPT_SACK_PERMITTED:
            if (syn)
                opts->present |= TCP_OPTF_SACK_PERMITTED;
            break;
        case TCP_OPT_SACK:
            if (!sack_len_valid(olen))
                return TCP_PARSE_BAD_OPTION;
            opts->present |= TCP_OPTF_SACK;
            opts->sack_count = (uint8_t)((olen - 2) / TCP_OPTLEN_SACK_BLOCK);
            for (unsigned b = 0; b < opts->sack_count; b++) {
                opts->sack[b].start = load_be32(v + b * TCP_OPTLEN_SACK_BLOCK);
                opts->sack[b].end = load_be32(v + b * TCP_OPTLEN_SACK_BLOCK + 4);
            }
            break;
        case TCP_OPT_TIMESTAMPS:
            opts->present |= TCP_OPTF_TIMESTAMPS;
            opts->ts_val = load_be32(v);
            opts->ts_ecr = load_be32(v + 4);
            break;
        default:
            break;
        }
        i += olen;
    }
    return TCP_PARSE_OK;
}

enum tcp_parse_result tcp_parse_header(const uint8_t *buf, size_t len, size_t seg_len,
                                       struct tcp_header *h, struct tcp_options *opts)
{
    if (len > seg_len)
        len = seg_len;
    if (len < TCP_HEADER_MIN)
        return TCP_PARSE_TRUNCATED;
    unsigned header_len = (unsigned)(buf[12] >> 4) * 4;
    if (header_len < TCP_HEADER_MIN || header_len > len)
        return TCP_PARSE_BAD_OFFSET;
    h->src_port = load_be16(buf);
    h->dst_port = load_be16(buf + 2);
    h->seq = load_be32(buf + 4);
    h->ack = load_be32(buf + 8);
    h->header_len = (uint8_t)header_len;
    h->flags = buf[13];
    h->window = load_be16(buf + 14);
    h->checksum = load_be16(buf + 16);
    h->urgent = load_be16(buf + 18);
    if (opts)
        return tcp_parse_options(buf + TCP_HEADER_MIN, header_len - TCP_HEADER_MIN,
                                 (h->flags & TCP_FLAG_SYN) != 0, opts);
    return TCP_PARSE_OK;
}

const char *tcp_parse_result_name(enum tcp_parse_result r)
{
    switch (r) {
    case TCP_PARSE_OK:
        return "ok";
    case TCP_PARSE_TRUNCATED:
        return "truncated header";
    case TCP_PARSE_BAD_OFFSET:
        return "bad data offset";
    case TCP_PARSE_BAD_OPTION:
        return "bad option";
    }
    return "unknown";
}

unsigned tcp_sack_blocks_room(bool timestamps)
{
    size_t room = TCP_OPTIONS_MAX - (timestamps ? 2 + TCP_OPTLEN_TIMESTAMPS : 0) - 4;
    unsigned blocks = (unsigned)(room / TCP_OPTLEN_SACK_BLOCK);
    return blocks > TCP_MAX_SACK_BLOCKS ? TCP_MAX_SACK_BLOCKS : blocks;
}

static unsigned sack_blocks_to_send(const struct tcp_options *opts)
{
    if (!(opts->present & TCP_OPTF_SACK))
        return 0;
    unsigned room = tcp_sack_blocks_room((opts->present & TCP_OPTF_TIMESTAMPS) != 0);
    return opts->sack_count < room ? opts->sack_count : room;
}

static uint8_t *put_timestamps(uint8_t *p, const struct tcp_options *opts)
{
    p[0] = TCP_OPT_TIMESTAMPS;
    p[1] = TCP_OPTLEN_TIMESTAMPS;
    store_be32(p + 2, opts->ts_val);
    store_be32(p + 6, opts->ts_ecr);
    return p + TCP_OPTLEN_TIMESTAMPS;
}

size_t tcp_build_options(uint8_t *out, const struct tcp_options *opts, bool syn)
{
    uint8_t *p = out;
    bool ts = opts->present & TCP_OPTF_TIMESTAMPS;
    if (syn) {
        bool sack_ok = opts->present & TCP_OPTF_SACK_PERMITTED;
        if (opts->present & TCP_OPTF_MSS) {
            p[0] = TCP_OPT_MSS;
            p[1] = TCP_OPTLEN_MSS;
            store_be16(p + 2, opts->mss);
            p += 4;
        }
        if (sack_ok && ts) {
            /* SACK-permitted fills the two bytes NOPs would otherwise take before timestamps. */
            p[0] = TCP_OPT_SACK_PERMITTED;
            p[1] = TCP_OPTLEN_SACK_PERMITTED;
            p = put_timestamps(p + 2, opts);
        } else if (ts) {
            p[0] = p[1] = TCP_OPT_NOP;
            p = put_timestamps(p + 2, opts);
        } else if (sack_ok) {
            p[0] = p[1] = TCP_OPT_NOP;
            p[2] = TCP_OPT_SACK_PERMITTED;
            p[3] = TCP_OPTLEN_SACK_PERMITTED;
            p += 4;
        }
        if (opts->present & TCP_OPTF_WSCALE) {
            p[0] = TCP_OPT_NOP;
            p[1] = TCP_OPT_WSCALE;
            p[2] = TCP_OPTLEN_WSCALE;
            p[3] = opts->wscale > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : opts->wscale;
            p += 4;
        }
        return (size_t)(p - out);
    }
    if (ts) {
        p[0] = p[1] = TCP_OPT_NOP;
        p = put_timestamps(p + 2, opts);
    }
    unsigned blocks = sack_blocks_to_send(opts);
    if (blocks) {
        p[0] = p[1] = TCP_OPT_NOP;
        p[2] = TCP_OPT_SACK;
        p[3] = (uint8_t)(2 + blocks * TCP_OPTLEN_SACK_BLOCK);
        p += 4;
        for (unsigned b = 0; b < blocks; b++) {
            store_be32(p, opts->sack[b].start);
            store_be32(p + 4, opts->sack[b].end);
            p += TCP_OPTLEN_SACK_BLOCK;
        }
    }
    return (size_t)(p - out);
}

size_t tcp_options_len(const struct tcp_options *opts, bool syn)
{
    uint8_t scratch[TCP_OPTIONS_MAX];
    return tcp_build_options(scratch, opts, syn);
}

size_t tcp_build_header(uint8_t *out, const struct tcp_header *h, const struct tcp_options *opts)
{
    size_t opt_len = opts ? tcp_build_options(out + TCP_HEADER_MIN, opts,
                                              (h->flags & TCP_FLAG_SYN) != 0)
                          : 0;
    size_t header_len = TCP_HEADER_MIN + opt_len;
    store_be16(out, h->src_port);
    store_be16(out + 2, h->dst_port);
    store_be32(out + 4, h->seq);
    store_be32(out + 8, h->ack);
    out[12] = (uint8_t)((header_len / 4) << 4);
    out[13] = h->flags;
    store_be16(out + 14, h->window);
    store_be16(out + 16, h->checksum);
    store_be16(out + 18, h->urgent);
    return header_len;
}

uint16_t tcp_mss_for_mtu(uint32_t mtu)
{
    if (mtu <= TCP_IPV4_HEADERS)
        return 0;
    uint32_t mss = mtu - TCP_IPV4_HEADERS;
    return mss > 65495u ? 65495u : (uint16_t)mss;
}

uint32_t tcp_effective_send_mss(uint16_t peer_mss, uint32_t path_mtu, size_t options_len)
{
    uint32_t send_mss = peer_mss ? peer_mss : TCP_DEFAULT_MSS;
    if (send_mss < TCP_MIN_MSS)
        send_mss = TCP_MIN_MSS;
    uint32_t path_mss = tcp_mss_for_mtu(path_mtu);
    if (path_mss < TCP_MIN_MSS)
        path_mss = TCP_MIN_MSS;
    uint32_t mss = send_mss < path_mss ? send_mss : path_mss;
    /* RFC 6691 2: the MSS counts no options, so every option byte comes out of the payload. */
    if (options_len > TCP_OPTIONS_MAX)
        options_len = TCP_OPTIONS_MAX;
    return mss - (uint32_t)options_len;
}
