/*
 * Fuzz harness: TCP header and option parsing (net/tcp_opts), plus what is computed straight
 * from parsed options (SACK block sanitizing, net/tcp_validate). The input is one TCP segment.
 * Checks: no crash or sanitizer report; parsing a 60-byte linear prefix gives the same answer as
 * the whole segment (how the core calls it); an accepted header has a sane data offset; window
 * scale is clamped and SYN-only options appear only on a SYN; what we build from the parsed
 * options fits 40 bytes, is 4-aligned and parses back to the same values; sanitized SACK blocks lie
 * within [SND.UNA, SND.NXT].
 */
#include <stdlib.h>
#include <string.h>

#include "net/wire/tcp_opts.h"
#include "net/wire/tcp_seq.h"
#include "net/tcp/tcp_validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same_options(const struct tcp_options *a, const struct tcp_options *b, uint8_t mask)
{
    if ((a->present & mask) != (b->present & mask))
        abort();
    uint8_t p = a->present & mask;
    if ((p & TCP_OPTF_MSS) && a->mss != b->mss)
        abort();
    if ((p & TCP_OPTF_WSCALE) && a->wscale != b->wscale)
        abort();
    if ((p & TCP_OPTF_TIMESTAMPS) && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tcp_header h, h2;
    struct tcp_options o, o2;
    enum tcp_parse_result r = tcp_parse_header(data, size, size, &h, &o);
    size_t prefix = size < TCP_HEADER_MAX ? size : TCP_HEADER_MAX;
    if (tcp_parse_header(data, prefix, size, &h2, &o2) != r)
        abort();
    if (r != TCP_PARSE_OK)
        return 0;
    if (memcmp(&h, &h2, sizeof(h)) != 0 || memcmp(&o, &o2, sizeof(o)) != 0)
        abort();
    if (h.header_len < TCP_HEADER_MIN || h.header_len > TCP_HEADER_MAX || h.header_len % 4 ||
        h.header_len > size)
        abort();
    bool syn = h.flags & TCP_FLAG_SYN;
    if (o.wscale > TCP_WSCALE_MAX)
        abort();
    if (!syn && (o.present & (TCP_OPTF_MSS | TCP_OPTF_WSCALE | TCP_OPTF_SACK_PERMITTED)))
        abort();
    if ((o.present & TCP_OPTF_SACK) ? o.sack_count < 1 || o.sack_count > TCP_MAX_SACK_BLOCKS
                                    : o.sack_count != 0)
        abort();

    /* Rebuild the header with its options and parse it again. */
    uint8_t built[TCP_HEADER_MAX];
    size_t len = tcp_build_header(built, &h, &o);
    size_t opt_len = len - TCP_HEADER_MIN;
    if (len > TCP_HEADER_MAX || opt_len % 4 || opt_len != tcp_options_len(&o, syn))
        abort();
    struct tcp_header back;
    struct tcp_options back_opts;
    if (tcp_parse_header(built, len, len, &back, &back_opts) != TCP_PARSE_OK)
        abort();
    if (back.seq != h.seq || back.ack != h.ack || back.flags != h.flags || back.window != h.window ||
        back.src_port != h.src_port || back.dst_port != h.dst_port || back.header_len != len)
        abort();
    uint8_t written = syn ? TCP_OPTF_MSS | TCP_OPTF_WSCALE | TCP_OPTF_SACK_PERMITTED | TCP_OPTF_TIMESTAMPS
                          : TCP_OPTF_TIMESTAMPS | TCP_OPTF_SACK;
    check_same_options(&o, &back_opts, written);
    if (!syn && (o.present & TCP_OPTF_SACK)) {
        unsigned room = tcp_sack_blocks_room(o.present & TCP_OPTF_TIMESTAMPS);
        unsigned want = o.sack_count < room ? o.sack_count : room;
        if (back_opts.sack_count != want ||
            memcmp(back_opts.sack, o.sack, want * sizeof(o.sack[0])) != 0)
            abort();
    }

    /* SACK blocks against a send window taken from the header's own numbers. */
    if (o.present & TCP_OPTF_SACK) {
        uint32_t una = h.ack, nxt = h.ack + (uint32_t)h.window * 16;
        struct tcp_sack_block blocks[TCP_MAX_SACK_BLOCKS];
        memcpy(blocks, o.sack, sizeof(blocks));
        unsigned kept = tcp_sack_blocks_sanitize(blocks, o.sack_count, una, nxt);
        if (kept > o.sack_count)
            abort();
        for (unsigned i = 0; i < kept; i++)
            if (!seq_lt(blocks[i].start, blocks[i].end) || seq_lt(blocks[i].start, una) ||
                seq_gt(blocks[i].end, nxt))
                abort();
    }
    return 0;
}
