/*
 * Unit tests for net/tcp_opts: header parsing bounds (RFC 9293 3.1), each option's parsing and
 * validation (RFC 9293 3.2, RFC 7323 2 and 3, RFC 2018 2 and 3), the built layouts and their room
 * accounting, and MSS arithmetic (RFC 9293 3.7.1, RFC 6691).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/byteorder.h"
#include "net/wire/tcp_opts.h"
#include "xenolith/test_main.h"

/* A 20-byte header plus the given options, padded to 4 bytes with EOL. Returns its length. */
static size_t make_segment(uint8_t *seg, uint8_t flags, const uint8_t *opts, size_t opts_len)
{
    size_t padded = (opts_len + 3) & ~(size_t)3;
    memset(seg, 0, 20 + padded);
    store_be16(seg, 40000);
    store_be16(seg + 2, 80);
    store_be32(seg + 4, 0x11223344);
    store_be32(seg + 8, 0x55667788);
    seg[12] = (uint8_t)(((20 + padded) / 4) << 4);
    seg[13] = flags;
    store_be16(seg + 14, 0x1234);
    store_be16(seg + 16, 0xbeef);
    store_be16(seg + 18, 7);
    if (opts_len)
        memcpy(seg + 20, opts, opts_len);
    return 20 + padded;
}

static enum tcp_parse_result parse(const uint8_t *seg, size_t len, struct tcp_header *h,
                                   struct tcp_options *o)
{
    return tcp_parse_header(seg, len, len, h, o);
}

START_TEST(header_fields)
{
    uint8_t seg[60];
    size_t len = make_segment(seg, TCP_FLAG_ACK | TCP_FLAG_PSH, NULL, 0);
    struct tcp_header h;
    struct tcp_options o;
    ck_assert_int_eq(parse(seg, len, &h, &o), TCP_PARSE_OK);
    ck_assert_uint_eq(h.src_port, 40000);
    ck_assert_uint_eq(h.dst_port, 80);
    ck_assert_uint_eq(h.seq, 0x11223344u);
    ck_assert_uint_eq(h.ack, 0x55667788u);
    ck_assert_uint_eq(h.header_len, 20);
    ck_assert_uint_eq(h.flags, TCP_FLAG_ACK | TCP_FLAG_PSH);
    ck_assert_uint_eq(h.window, 0x1234);
    ck_assert_uint_eq(h.checksum, 0xbeef);
    ck_assert_uint_eq(h.urgent, 7);
    ck_assert_uint_eq(o.present, 0);
}
END_TEST

/* RFC 9293 3.1: the header is at least 20 bytes; the data offset counts 32-bit words, at least 5,
 * and cannot point past the segment. */
START_TEST(header_bounds)
{
    uint8_t seg[80];
    struct tcp_header h;
    size_t len = make_segment(seg, TCP_FLAG_ACK, NULL, 0);
    ck_assert_int_eq(parse(seg, 19, &h, NULL), TCP_PARSE_TRUNCATED);
    ck_assert_int_eq(parse(seg, 0, &h, NULL), TCP_PARSE_TRUNCATED);
    for (uint8_t off = 0; off < 5; off++) {
        seg[12] = (uint8_t)(off << 4);
        ck_assert_int_eq(parse(seg, len, &h, NULL), TCP_PARSE_BAD_OFFSET);
    }
    seg[12] = 6 << 4; /* 24 bytes claimed, 20 present */
    ck_assert_int_eq(parse(seg, len, &h, NULL), TCP_PARSE_BAD_OFFSET);
    /* Offset 15 (60 bytes) in a 60-byte segment is fine; the buffer may be longer than seg_len. */
    memset(seg + 20, TCP_OPT_NOP, 40);
    seg[12] = 15 << 4;
    ck_assert_int_eq(tcp_parse_header(seg, 80, 60, &h, NULL), TCP_PARSE_OK);
    ck_assert_uint_eq(h.header_len, 60);
    ck_assert_int_eq(tcp_parse_header(seg, 80, 59, &h, NULL), TCP_PARSE_BAD_OFFSET);
    /* The low reserved bits of byte 12 do not change the offset. */
    seg[12] = (5 << 4) | 0x0f;
    ck_assert_int_eq(parse(seg, 60, &h, NULL), TCP_PARSE_OK);
    ck_assert_uint_eq(h.header_len, 20);
}
END_TEST

/* RFC 9293 3.2 and 3.7.1: MSS on a SYN. RFC 7323 2.2: window scale on a SYN. RFC 2018 2:
 * SACK-permitted on a SYN. RFC 7323 3.2: timestamps. */
START_TEST(syn_options)
{
    const uint8_t opts[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
    uint8_t seg[60];
    size_t len = make_segment(seg, TCP_FLAG_SYN, opts, sizeof(opts));
    struct tcp_header h;
    struct tcp_options o;
    ck_assert_int_eq(parse(seg, len, &h, &o), TCP_PARSE_OK);
    ck_assert_uint_eq(o.present, TCP_OPTF_MSS | TCP_OPTF_SACK_PERMITTED | TCP_OPTF_TIMESTAMPS |
                                     TCP_OPTF_WSCALE);
    ck_assert_uint_eq(o.mss, 1460);
    ck_assert_uint_eq(o.wscale, 7);
    ck_assert_uint_eq(o.ts_val, 1);
    ck_assert_uint_eq(o.ts_ecr, 0);
}
END_TEST

/* RFC 7323 2.2: a window scale option outside a SYN is ignored; RFC 9293 3.7.1: MSS only in a SYN;
 * RFC 2018 2: SACK-permitted only in a SYN. */
START_TEST(syn_only_options_ignored_elsewhere)
{
    const uint8_t opts[] = { 2, 4, 0x01, 0x00, 1, 3, 3, 7, 1, 1, 4, 2 };
    struct tcp_options o;
    ck_assert_int_eq(tcp_parse_options(opts, sizeof(opts), false, &o), TCP_PARSE_OK);
    ck_assert_uint_eq(o.present, 0);
    ck_assert_int_eq(tcp_parse_options(opts, sizeof(opts), true, &o), TCP_PARSE_OK);
    ck_assert_uint_eq(o.present, TCP_OPTF_MSS | TCP_OPTF_WSCALE | TCP_OPTF_SACK_PERMITTED);
    ck_assert_uint_eq(o.mss, 256);
}
END_TEST

/* RFC 7323 2.3: a shift above 14 is logged and used as 14. */
START_TEST(wscale_clamped)
{
    const uint8_t opts[] = { 3, 3, 15, 1, 3, 3, 255, 1 };
    struct tcp_options o;
    ck_assert_int_eq(tcp_parse_options(opts, 4, true, &o), TCP_PARSE_OK);
    ck_assert_uint_eq(o.wscale, 14);
    ck_assert_int_eq(tcp_parse_options(opts + 4, 4, true, &o), TCP_PARSE_OK);
    ck_assert_uint_eq(o.wscale, 14);
}
END_TEST

/* RFC 2018 3: SACK carries 1 to 4 blocks of two 32-bit edges. */
START_TEST(sack_blocks)
{
    uint8_t opts[40] = { 1, 1, 5, 2 + 4 * 8 };
    for (unsigned i = 0; i < 8; i++)
        store_be32(opts + 4 + 4 * i, 1000 + 100 * i);
    struct tcp_options o;
    ck_assert_int_eq(tcp_parse_options(opts, 36, false, &o), TCP_PARSE_OK);
    ck_assert_uint_eq(o.present, TCP_OPTF_SACK);
    ck_assert_uint_eq(o.sack_count, 4);
    for (unsigned b = 0; b < 4; b++) {
        ck_assert_uint_eq(o.sack[b].start, 1000 + 200 * b);
        ck_assert_uint_eq(o.sack[b].end, 1100 + 200 * b);
    }
    /* One block. */
    opts[3] = 10;
    ck_assert_int_eq(tcp_parse_options(opts, 12, false, &o), TCP_PARSE_OK);
    ck_assert_uint_eq(o.sack_count, 1);
}
END_TEST

/* RFC 2018 3: a SACK length that is not 2 + 8n for n in 1..4 is malformed. */
START_TEST(sack_bad_lengths)
{
    uint8_t opts[40];
    memset(opts, 0, sizeof(opts));
    opts[0] = 5;
    const unsigned bad[] = { 2, 3, 9, 11, 17, 33, 40 };
    struct tcp_options o;
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        opts[1] = (uint8_t)bad[i];
        ck_assert_msg(tcp_parse_options(opts, 40, false, &o) == TCP_PARSE_BAD_OPTION, "len %u", bad[i]);
    }
}
END_TEST

/* RFC 9293 3.1 (MUST-7): an illegal option length must be handled without crashing: the option
 * list is refused. Covers length 0 and 1, an option overrunning the header, a kind byte with no
 * room for its length, and known options with the wrong length. */
START_TEST(malformed_lists)
{
    struct tcp_options o;
    const uint8_t zero_len[] = { 30, 0, 1, 1 };
    const uint8_t one_len[] = { 30, 1, 1, 1 };
    const uint8_t overrun[] = { 1, 30, 6, 0 };
    const uint8_t no_len_byte[] = { 1, 1, 1, 2 };
    const uint8_t mss_len5[] = { 2, 5, 0, 0, 0, 1, 1, 1 };
    const uint8_t mss_len3[] = { 2, 3, 0, 1 };
    const uint8_t ws_len4[] = { 3, 4, 7, 0 };
    const uint8_t sackp_len3[] = { 4, 3, 0, 1 };
    const uint8_t ts_len8[] = { 8, 8, 0, 0, 0, 0, 0, 0 };
    ck_assert_int_eq(tcp_parse_options(zero_len, 4, false, &o), TCP_PARSE_BAD_OPTION);
    ck_assert_int_eq(tcp_parse_options(one_len, 4, false, &o), TCP_PARSE_BAD_OPTION);
    ck_assert_int_eq(tcp_parse_options(overrun, 4, false, &o), TCP_PARSE_BAD_OPTION);
    ck_assert_int_eq(tcp_parse_options(no_len_byte, 4, false, &o), TCP_PARSE_BAD_OPTION);
    ck_assert_int_eq(tcp_parse_options(mss_len5, 8, true, &o), TCP_PARSE_BAD_OPTION);
    ck_assert_int_eq(tcp_parse_options(mss_len3, 4, true, &o), TCP_PARSE_BAD_OPTION);
    ck_assert_int_eq(tcp_parse_options(ws_len4, 4, true, &o), TCP_PARSE_BAD_OPTION);
    ck_assert_int_eq(tcp_parse_options(sackp_len3, 4, true, &o), TCP_PARSE_BAD_OPTION);
    ck_assert_int_eq(tcp_parse_options(ts_len8, 8, false, &o), TCP_PARSE_BAD_OPTION);
    /* Through the header parser too. */
    uint8_t seg[60];
    size_t len = make_segment(seg, TCP_FLAG_SYN, zero_len, sizeof(zero_len));
    struct tcp_header h;
    ck_assert_int_eq(parse(seg, len, &h, &o), TCP_PARSE_BAD_OPTION);
    ck_assert_str_eq(tcp_parse_result_name(TCP_PARSE_BAD_OPTION), "bad option");
}
END_TEST

/* RFC 9293 3.2: unknown options are skipped by their length; EOL ends the list (what follows it
 * is padding, even if it looks malformed). */
START_TEST(unknown_skipped_and_eol)
{
    const uint8_t opts[] = { 254, 6, 0xf9, 0x89, 0, 0, 1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8, 0, 30 };
    struct tcp_options o;
    ck_assert_int_eq(tcp_parse_options(opts, sizeof(opts), false, &o), TCP_PARSE_OK);
    ck_assert_uint_eq(o.present, TCP_OPTF_TIMESTAMPS);
    ck_assert_uint_eq(o.ts_val, 9);
    ck_assert_uint_eq(o.ts_ecr, 8);
    const uint8_t eol_first[] = { 0, 2, 4, 0xff };
    ck_assert_int_eq(tcp_parse_options(eol_first, 4, true, &o), TCP_PARSE_OK);
    ck_assert_uint_eq(o.present, 0);
}
END_TEST

/* RFC 7323 3.2 and Appendix A: NOP, NOP, timestamps (read at once, the common layout) parses as
 * the same option in any other layout would, clears what an earlier parse left, and the same
 * 12 bytes with a wrong timestamps length or a byte changed are judged by the full walk. */
START_TEST(timestamps_layout_read_at_once)
{
    const uint8_t usual[12] = { 1, 1, 8, 10, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04 };
    const uint8_t other[12] = { 8, 10, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04, 1, 1 };
    struct tcp_options a, b;
    memset(&a, 0xa5, sizeof(a));             /* stale fields of an earlier segment */
    ck_assert_int_eq(tcp_parse_options(usual, sizeof(usual), false, &a), TCP_PARSE_OK);
    ck_assert_int_eq(tcp_parse_options(other, sizeof(other), false, &b), TCP_PARSE_OK);
    ck_assert_mem_eq(&a, &b, sizeof(a));
    ck_assert_uint_eq(a.present, TCP_OPTF_TIMESTAMPS);
    ck_assert_uint_eq(a.ts_val, 0xdeadbeef);
    ck_assert_uint_eq(a.ts_ecr, 0x01020304);
    ck_assert_uint_eq(a.sack_count, 0);
    /* On a SYN too (RFC 7323 3.2: TSopt may be sent in a SYN). */
    ck_assert_int_eq(tcp_parse_options(usual, sizeof(usual), true, &a), TCP_PARSE_OK);
    ck_assert_uint_eq(a.present, TCP_OPTF_TIMESTAMPS);
    uint8_t bad_len[12];
    memcpy(bad_len, usual, sizeof(bad_len));
    bad_len[3] = 9;
    ck_assert_int_eq(tcp_parse_options(bad_len, sizeof(bad_len), false, &a), TCP_PARSE_BAD_OPTION);
    uint8_t sack_ok[12];                     /* NOP, NOP, SACK-permitted, EOL: not timestamps */
    memcpy(sack_ok, usual, sizeof(sack_ok));
    sack_ok[2] = 4;
    sack_ok[3] = 2;
    memset(sack_ok + 4, TCP_OPT_EOL, 8);
    ck_assert_int_eq(tcp_parse_options(sack_ok, sizeof(sack_ok), true, &a), TCP_PARSE_OK);
    ck_assert_uint_eq(a.present, TCP_OPTF_SACK_PERMITTED);
}
END_TEST

/* Parse what we build: every combination of SYN options round-trips, layouts are 4-aligned. */
START_TEST(syn_layout_roundtrip)
{
    for (unsigned mask = 0; mask < 16; mask++) {
        struct tcp_options in = { 0 };
        if (mask & 1) {
            in.present |= TCP_OPTF_MSS;
            in.mss = 1460;
        }
        if (mask & 2) {
            in.present |= TCP_OPTF_WSCALE;
            in.wscale = 9;
        }
        if (mask & 4)
            in.present |= TCP_OPTF_SACK_PERMITTED;
        if (mask & 8) {
            in.present |= TCP_OPTF_TIMESTAMPS;
            in.ts_val = 0xdeadbeef;
            in.ts_ecr = 0x01020304;
        }
        uint8_t buf[TCP_OPTIONS_MAX];
        size_t len = tcp_build_options(buf, &in, true);
        ck_assert_uint_eq(len % 4, 0);
        ck_assert_uint_le(len, 20);
        ck_assert_uint_eq(len, tcp_options_len(&in, true));
        struct tcp_options out;
        ck_assert_int_eq(tcp_parse_options(buf, len, true, &out), TCP_PARSE_OK);
        ck_assert_uint_eq(out.present, in.present);
        if (mask & 1)
            ck_assert_uint_eq(out.mss, 1460);
        if (mask & 2)
            ck_assert_uint_eq(out.wscale, 9);
        if (mask & 8)
            ck_assert(out.ts_val == 0xdeadbeef && out.ts_ecr == 0x01020304);
    }
}
END_TEST

/* The documented SYN layout byte for byte: MSS, SACK-permitted + timestamps, NOP + window scale. */
START_TEST(syn_layout_bytes)
{
    struct tcp_options in = { .present = TCP_OPTF_MSS | TCP_OPTF_WSCALE | TCP_OPTF_SACK_PERMITTED |
                                         TCP_OPTF_TIMESTAMPS,
                              .mss = 1460, .wscale = 7, .ts_val = 1, .ts_ecr = 0 };
    const uint8_t want[] = { 2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };
    uint8_t buf[TCP_OPTIONS_MAX];
    ck_assert_uint_eq(tcp_build_options(buf, &in, true), sizeof(want));
    ck_assert_mem_eq(buf, want, sizeof(want));
}
END_TEST

/* RFC 2018 3: with timestamps (12 bytes) only 3 SACK blocks fit in 40 bytes, 4 without; the
 * builder sends as many of the given blocks as fit, first ones first (RFC 2018 4: the first block
 * reports the most recent segment). */
START_TEST(ack_layout_sack_room)
{
    ck_assert_uint_eq(tcp_sack_blocks_room(true), 3);
    ck_assert_uint_eq(tcp_sack_blocks_room(false), 4);
    struct tcp_options in = { .present = TCP_OPTF_SACK | TCP_OPTF_TIMESTAMPS, .sack_count = 4,
                              .ts_val = 5, .ts_ecr = 6 };
    for (unsigned b = 0; b < 4; b++)
        in.sack[b] = (struct tcp_sack_block){ 100 * b + 10, 100 * b + 50 };
    uint8_t buf[TCP_OPTIONS_MAX];
    size_t len = tcp_build_options(buf, &in, false);
    ck_assert_uint_eq(len, 12 + 4 + 3 * 8);
    struct tcp_options out;
    ck_assert_int_eq(tcp_parse_options(buf, len, false, &out), TCP_PARSE_OK);
    ck_assert_uint_eq(out.sack_count, 3);
    ck_assert_uint_eq(out.sack[0].start, 10);
    ck_assert_uint_eq(out.sack[2].end, 250);
    ck_assert(out.ts_val == 5 && out.ts_ecr == 6);
    in.present = TCP_OPTF_SACK;
    len = tcp_build_options(buf, &in, false);
    ck_assert_uint_eq(len, 4 + 4 * 8);
    ck_assert_int_eq(tcp_parse_options(buf, len, false, &out), TCP_PARSE_OK);
    ck_assert_uint_eq(out.sack_count, 4);
    /* SYN-only options are not written on other segments. */
    in.present = TCP_OPTF_MSS | TCP_OPTF_WSCALE | TCP_OPTF_SACK_PERMITTED;
    ck_assert_uint_eq(tcp_build_options(buf, &in, false), 0);
}
END_TEST

START_TEST(header_build_roundtrip)
{
    struct tcp_header in = { .src_port = 7, .dst_port = 50000, .seq = 0xfffffff0u, .ack = 3,
                             .flags = TCP_FLAG_SYN | TCP_FLAG_ACK, .window = 65535, .checksum = 0x1111,
                             .urgent = 0, .header_len = 99 };
    struct tcp_options opts = { .present = TCP_OPTF_MSS | TCP_OPTF_WSCALE, .mss = 1460, .wscale = 14 };
    uint8_t buf[TCP_HEADER_MAX];
    size_t len = tcp_build_header(buf, &in, &opts);
    ck_assert_uint_eq(len, 28);
    struct tcp_header h;
    struct tcp_options o;
    ck_assert_int_eq(parse(buf, len, &h, &o), TCP_PARSE_OK);
    ck_assert_uint_eq(h.header_len, 28);
    ck_assert(h.src_port == 7 && h.dst_port == 50000 && h.seq == 0xfffffff0u && h.ack == 3);
    ck_assert(h.flags == (TCP_FLAG_SYN | TCP_FLAG_ACK) && h.window == 65535 && h.checksum == 0x1111);
    ck_assert(o.mss == 1460 && o.wscale == 14);
    ck_assert_uint_eq(tcp_build_header(buf, &in, NULL), 20);
}
END_TEST

/* RFC 9293 3.7.1: MSS = MTU - 40 on IPv4; RFC 6691: options come out of the MSS. */
START_TEST(mss_arithmetic)
{
    ck_assert_uint_eq(tcp_mss_for_mtu(1500), 1460);
    ck_assert_uint_eq(tcp_mss_for_mtu(576), 536);
    ck_assert_uint_eq(tcp_mss_for_mtu(40), 0);
    ck_assert_uint_eq(tcp_mss_for_mtu(70000), 65495);
    /* Peer's MSS, clamped to the path. */
    ck_assert_uint_eq(tcp_effective_send_mss(1460, 1500, 0), 1460);
    ck_assert_uint_eq(tcp_effective_send_mss(1460, 1500, 12), 1448);
    ck_assert_uint_eq(tcp_effective_send_mss(8960, 1400, 0), 1360);
    ck_assert_uint_eq(tcp_effective_send_mss(1000, 9000, 0), 1000);
    /* RFC 9293 3.7.1: no MSS option means 536. */
    ck_assert_uint_eq(tcp_effective_send_mss(0, 1500, 0), TCP_DEFAULT_MSS);
    /* A tiny MSS is raised to the floor. */
    ck_assert_uint_eq(tcp_effective_send_mss(1, 1500, 0), TCP_MIN_MSS);
    ck_assert_uint_eq(tcp_effective_send_mss(1460, 68, 0), TCP_MIN_MSS);
    ck_assert_uint_eq(tcp_effective_send_mss(1, 1500, 12), TCP_MIN_MSS - 12);
}
END_TEST

static Suite *tcp_opts_suite(void)
{
    Suite *s = suite_create("tcp_opts");
    TCase *tc = tcase_create("opts");
    tcase_add_test(tc, header_fields);
    tcase_add_test(tc, header_bounds);
    tcase_add_test(tc, syn_options);
    tcase_add_test(tc, syn_only_options_ignored_elsewhere);
    tcase_add_test(tc, wscale_clamped);
    tcase_add_test(tc, sack_blocks);
    tcase_add_test(tc, sack_bad_lengths);
    tcase_add_test(tc, malformed_lists);
    tcase_add_test(tc, unknown_skipped_and_eol);
    tcase_add_test(tc, timestamps_layout_read_at_once);
    tcase_add_test(tc, syn_layout_roundtrip);
    tcase_add_test(tc, syn_layout_bytes);
    tcase_add_test(tc, ack_layout_sack_room);
    tcase_add_test(tc, header_build_roundtrip);
    tcase_add_test(tc, mss_arithmetic);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tcp_opts_suite)
