/*
 * net/tcp_opts: the TCP header and option codec (RFC 9293 3.1, 3.2): parsing a received header
 * with its options, and building headers and options to send.
 *
 * Parsing refuses a header whose data offset is below 5 or runs past the segment, and an option
 * list that is malformed: an option other than EOL/NOP without room for its length byte, a length
 * below 2 or running past the header, or a known option with the wrong length (RFC 9293 3.1,
 * MUST-7: an illegal option length must not crash us; the segment is dropped and counted by the
 * caller under the returned reason). Unknown options are skipped by their length. MSS, window
 * scale and SACK-permitted are only meaningful on a SYN (RFC 9293 3.7.1, RFC 7323 2.2, RFC 2018
 * 2) and are ignored on other segments. A window scale above 14 is used as 14 (RFC 7323 2.3).
 * At most 4 SACK blocks fit in 40 bytes (RFC 2018 3). When an option appears twice the last one
 * counts.
 *
 * Building writes a fixed, 4-byte aligned layout: on a SYN or SYN-ACK
 *     MSS(4) [SACK-permitted(2) Timestamps(10) | NOP NOP Timestamps | NOP NOP SACK-permitted]
 *     [NOP Window-scale(3)]                                          (at most 20 bytes)
 * and on other segments
 *     [NOP NOP Timestamps(10)] [NOP NOP SACK(2 + 8n)]                (at most 40 bytes)
 * where n is as many of the given SACK blocks as fit: 3 with timestamps, 4 without (RFC 2018 3).
 *
 * Tests: test/unit/test_tcp_opts.c; fuzzing: test/fuzz/fuzz_tcp_opts.c.
 */
#ifndef XENOLITH_NET_TCP_OPTS_H
#define XENOLITH_NET_TCP_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_HEADER_MIN 20u
#define TCP_HEADER_MAX 60u
#define TCP_OPTIONS_MAX 40u

/* Header flag bits (RFC 9293 3.1; ECE and CWR from RFC 3168). */
#define TCP_FLAG_FIN 0x01u
#define TCP_FLAG_SYN 0x02u
#define TCP_FLAG_RST 0x04u
#define TCP_FLAG_PSH 0x08u
#define TCP_FLAG_ACK 0x10u
#define TCP_FLAG_URG 0x20u
#define TCP_FLAG_ECE 0x40u
#define TCP_FLAG_CWR 0x80u

/* Option kinds and their lengths. */
#define TCP_OPT_EOL 0u
#define TCP_OPT_NOP 1u
#define TCP_OPT_MSS 2u              /* RFC 9293 3.2 */
#define TCP_OPT_WSCALE 3u           /* RFC 7323 2 */
#define TCP_OPT_SACK_PERMITTED 4u   /* RFC 2018 2 */
#define TCP_OPT_SACK 5u             /* RFC 2018 3 */
#define TCP_OPT_TIMESTAMPS 8u       /* RFC 7323 3 */
#define TCP_OPTLEN_MSS 4u
#define TCP_OPTLEN_WSCALE 3u
#define TCP_OPTLEN_SACK_PERMITTED 2u
#define TCP_OPTLEN_TIMESTAMPS 10u
#define TCP_OPTLEN_SACK_BLOCK 8u

#define TCP_MAX_SACK_BLOCKS 4u
/* RFC 9293 3.7.1: the send MSS when the peer sent no MSS option (IPv4). */
#define TCP_DEFAULT_MSS 536u
/* A peer's MSS below this is raised to it: an MSS of a few bytes would make us send one segment
 * (and keep one retransmission record) per byte, a cheap way to exhaust memory and CPU. */
#define TCP_MIN_MSS 88u
/* IPv4 and TCP headers without options (RFC 9293 3.7.1: MSS = MTU - 40 on IPv4). */
#define TCP_IPV4_HEADERS 40u

/* Which options struct tcp_options holds. */
enum tcp_option_present {
    TCP_OPTF_MSS = 1u << 0,
    TCP_OPTF_WSCALE = 1u << 1,
    TCP_OPTF_SACK_PERMITTED = 1u << 2,
    TCP_OPTF_SACK = 1u << 3,
    TCP_OPTF_TIMESTAMPS = 1u << 4,
};

/* One SACK block: the bytes from start up to (not including) end (RFC 2018 3). */
struct tcp_sack_block {
    uint32_t start;
    uint32_t end;
};

/* Options of one segment, host order. Fields are meaningful only when their bit is in present. */
struct tcp_options {
    uint8_t present;                 /* enum tcp_option_present bits */
    uint8_t wscale;                  /* already clamped to TCP_WSCALE_MAX */
    uint16_t mss;
    uint8_t sack_count;              /* 1..TCP_MAX_SACK_BLOCKS when TCP_OPTF_SACK */
    struct tcp_sack_block sack[TCP_MAX_SACK_BLOCKS];
    uint32_t ts_val;
    uint32_t ts_ecr;
};

/* The fixed header, host order. */
struct tcp_header {
    uint16_t src_port;
    uint16_t dst_port;
    uint32_t seq;
    uint32_t ack;
    uint8_t header_len;              /* data offset in bytes: 20..60, a multiple of 4 */
    uint8_t flags;                   /* TCP_FLAG_* */
    uint16_t window;                 /* the raw field, before scaling */
    uint16_t checksum;
    uint16_t urgent;
};

/* Why a header was refused; the caller counts each under its own name. */
enum tcp_parse_result {
    TCP_PARSE_OK = 0,
    TCP_PARSE_TRUNCATED,             /* fewer than 20 bytes */
    TCP_PARSE_BAD_OFFSET,            /* data offset below 5, or beyond the segment */
    TCP_PARSE_BAD_OPTION,            /* malformed option list */
};

/* Parses the header at buf. len is how many bytes of the segment buf holds: the whole segment,
 * or at least min(segment length, 60) bytes (pbuf_linearize) together with seg_len, the
 * segment's full length, for the data offset check. h and opts are filled on TCP_PARSE_OK (opts
 * may be NULL to skip the options). */
enum tcp_parse_result tcp_parse_header(const uint8_t *buf, size_t len, size_t seg_len,
                                       struct tcp_header *h, struct tcp_options *opts);

/* Parses an option list (the bytes between the fixed header and the data). syn: the segment has
 * SYN set, so MSS, window scale and SACK-permitted count. Returns TCP_PARSE_OK or
 * TCP_PARSE_BAD_OPTION; opts is cleared first either way. */
enum tcp_parse_result tcp_parse_options(const uint8_t *buf, size_t len, bool syn,
                                        struct tcp_options *opts);

/* A printable name for a parse result ("bad option"). */
const char *tcp_parse_result_name(enum tcp_parse_result r);

/* SACK blocks that fit beside the other options of a non-SYN segment: 3 with timestamps, else 4. */
unsigned tcp_sack_blocks_room(bool timestamps);

/* The length build_options would produce for opts (a multiple of 4, at most 40). */
size_t tcp_options_len(const struct tcp_options *opts, bool syn);

/* Writes opts in the layout above into out (room for TCP_OPTIONS_MAX bytes). Only the options
 * in opts->present that belong to the segment kind are written (MSS, window scale and
 * SACK-permitted on a SYN; SACK on other segments, as many blocks as fit). Returns the length. */
size_t tcp_build_options(uint8_t *out, const struct tcp_options *opts, bool syn);

/* Writes the fixed header and opts into out (room for TCP_HEADER_MAX bytes). h->header_len is
 * ignored (computed); h->checksum is written as given. syn is taken from h->flags. Returns the
 * header length written (20..60). */
size_t tcp_build_header(uint8_t *out, const struct tcp_header *h, const struct tcp_options *opts);

/* The MSS to announce for an interface or path MTU (RFC 9293 3.7.1: MTU - 40), at most 65495. */
uint16_t tcp_mss_for_mtu(uint32_t mtu);

/* The largest payload to put in a segment (RFC 9293 3.7.1 Eff.snd.MSS, RFC 6691): the peer's MSS
 * (TCP_DEFAULT_MSS when it sent none, i.e. peer_mss 0; raised to TCP_MIN_MSS) clamped to what the
 * path MTU allows, minus the options carried in every segment (timestamps: 12). */
uint32_t tcp_effective_send_mss(uint16_t peer_mss, uint32_t path_mtu, size_t options_len);

#endif
