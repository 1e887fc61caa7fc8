/*
 * Unit tests for net/tcp_sack: the receiver's choice and order of SACK blocks (RFC 2018 4) and
 * the sender's RFC 6675 scoreboard (Update, the DupAck definition, IsLost, SetPipe, NextSeg rules
 * 1-4, discarding after a timeout), with its bound and sequence wrap.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net/tcp/tcp_sack.h"
#include "net/wire/tcp_seq.h"
#include "xenolith/test_main.h"

/* ---- Receiver side ---- */

static struct tcp_sack_rx rx;

static void expect_blocks(unsigned room, unsigned n, const uint32_t *edges)
{
    struct tcp_sack_block out[TCP_SACK_MAX_BLOCKS];
    unsigned got = tcp_sack_rx_blocks(&rx, out, room);
    ck_assert_uint_eq(got, n);
    for (unsigned i = 0; i < n; i++) {
        ck_assert_msg(out[i].start == edges[2 * i] && out[i].end == edges[2 * i + 1],
                      "block %u is [%u,%u), wanted [%u,%u)", i, out[i].start, out[i].end,
                      edges[2 * i], edges[2 * i + 1]);
    }
}

/* RFC 2018 4: the first block holds the segment that triggered the ACK; the others follow, most
 * recently reported first. */
START_TEST(rx_most_recent_first)
{
    tcp_sack_rx_init(&rx);
    tcp_sack_rx_on_ooo(&rx, 2000, 3000);
    tcp_sack_rx_on_ooo(&rx, 6000, 7000);
    tcp_sack_rx_on_ooo(&rx, 4000, 5000);
    expect_blocks(4, 3, (uint32_t[]){4000, 5000, 6000, 7000, 2000, 3000});
    /* Another segment landing in an already reported range brings that range to the front. */
    tcp_sack_rx_on_ooo(&rx, 2000, 3000);
    expect_blocks(4, 3, (uint32_t[]){2000, 3000, 4000, 5000, 6000, 7000});
}
END_TEST

/* RFC 2018 4: a block reports a contiguous range the receiver holds; ranges that merged are
 * reported as one, and a stale subset never reappears. */
START_TEST(rx_merged_ranges)
{
    tcp_sack_rx_init(&rx);
    tcp_sack_rx_on_ooo(&rx, 2000, 3000);
    tcp_sack_rx_on_ooo(&rx, 4000, 5000);
    tcp_sack_rx_on_ooo(&rx, 6000, 7000);
    tcp_sack_rx_on_ooo(&rx, 2000, 5000);    /* [3000,4000) arrived and joined two ranges */
    expect_blocks(4, 2, (uint32_t[]){2000, 5000, 6000, 7000});
    tcp_sack_rx_on_ooo(&rx, 2000, 5000);
    expect_blocks(4, 2, (uint32_t[]){2000, 5000, 6000, 7000});
    tcp_sack_rx_on_ooo(&rx, 100, 100);      /* empty: ignored */
    expect_blocks(4, 2, (uint32_t[]){2000, 5000, 6000, 7000});
}
END_TEST

/* RFC 2018 3: at most 4 blocks (3 next to timestamps); the oldest are the ones left out. */
START_TEST(rx_room_limits)
{
    tcp_sack_rx_init(&rx);
    for (uint32_t i = 0; i < 5; i++)
        tcp_sack_rx_on_ooo(&rx, 1000 * (2 * i + 2), 1000 * (2 * i + 3));
    expect_blocks(4, 4, (uint32_t[]){10000, 11000, 8000, 9000, 6000, 7000, 4000, 5000});
    expect_blocks(3, 3, (uint32_t[]){10000, 11000, 8000, 9000, 6000, 7000});
    expect_blocks(0, 0, NULL);
}
END_TEST

/* RFC 2018 4: blocks only ever describe data above RCV.NXT (the cumulative ACK covers the rest). */
START_TEST(rx_rcv_nxt_advances)
{
    tcp_sack_rx_init(&rx);
    tcp_sack_rx_on_ooo(&rx, 2000, 3000);
    tcp_sack_rx_on_ooo(&rx, 4000, 5000);
    tcp_sack_rx_on_rcv_nxt(&rx, 3000);
    expect_blocks(4, 1, (uint32_t[]){4000, 5000});
    tcp_sack_rx_on_rcv_nxt(&rx, 4500);      /* cut a block (the queue trims the same way) */
    expect_blocks(4, 1, (uint32_t[]){4500, 5000});
    tcp_sack_rx_on_rcv_nxt(&rx, 5000);
    expect_blocks(4, 0, NULL);
}
END_TEST

/* Sequence numbers wrap (RFC 9293 3.4): blocks straddling 2^32 are handled like any other. */
START_TEST(rx_wrap)
{
    tcp_sack_rx_init(&rx);
    tcp_sack_rx_on_ooo(&rx, 0xfffffc00u, 0x200);
    tcp_sack_rx_on_ooo(&rx, 0x400, 0x600);
    tcp_sack_rx_on_ooo(&rx, 0xfffff800u, 0x400);   /* joins both */
    expect_blocks(4, 1, (uint32_t[]){0xfffff800u, 0x400});
    tcp_sack_rx_on_ooo(&rx, 0xfffff800u, 0x600);
    tcp_sack_rx_on_rcv_nxt(&rx, 0x100);
    expect_blocks(4, 1, (uint32_t[]){0x100, 0x600});
}
END_TEST

/* ---- Sender side ---- */

#define ISS 1000u
#define SMSS 100u
static struct tcp_scoreboard sb;

/* Sequence numbers are written relative to ISS in the tests. */
static struct tcp_sack_update sack(uint32_t ack, uint32_t high_data, unsigned n, const uint32_t *edges)
{
    struct tcp_sack_block blocks[8];
    for (unsigned i = 0; i < n; i++)
        blocks[i] = (struct tcp_sack_block){ISS + edges[2 * i],
                                            ISS + edges[2 * i + 1]};
    struct tcp_sack_update u;
    tcp_scoreboard_update(&sb, ISS + ack, ISS + high_data, blocks, n, &u);
    return u;
}

static void board(uint32_t iss)
{
    tcp_scoreboard_init(&sb, iss, SMSS);
}

/* RFC 6675 4 Update() and the 2 DupAck definition: an ACK is a duplicate when it SACKs octets
 * that were neither acknowledged nor SACKed before; repeating known blocks is not. */
START_TEST(sb_update_and_dupack)
{
    board(ISS);
    struct tcp_sack_update u = sack(0, 1000, 1, (uint32_t[]){100, 200});
    ck_assert(u.dup_ack);
    ck_assert_uint_eq(u.newly_sacked, 100);
    u = sack(0, 1000, 1, (uint32_t[]){100, 200});
    ck_assert(!u.dup_ack);
    u = sack(0, 1000, 2, (uint32_t[]){100, 300, 500, 600});
    ck_assert(u.dup_ack);
    ck_assert_uint_eq(u.newly_sacked, 200);
    ck_assert_uint_eq(tcp_scoreboard_sacked_bytes(&sb), 300);
    ck_assert(tcp_scoreboard_is_sacked(&sb, ISS + 150));
    ck_assert(!tcp_scoreboard_is_sacked(&sb, ISS + 300));
    ck_assert_uint_eq(tcp_scoreboard_highest_sacked(&sb), ISS + 600);
    /* The cumulative ACK discards what it covers and cuts a range it splits. */
    u = sack(250, 1000, 0, NULL);
    ck_assert_uint_eq(u.newly_acked, 250);
    ck_assert(!u.dup_ack);
    ck_assert_uint_eq(tcp_scoreboard_sacked_bytes(&sb), 150);
    ck_assert_uint_eq(sb.count, 2);
}
END_TEST

/* RFC 6675 4 Update(): blocks that cannot be true (beyond what was sent, inverted, empty) and
 * blocks at or below the cumulative ACK (D-SACK, RFC 2883) change nothing and are counted. */
START_TEST(sb_rejects_bad_blocks)
{
    board(ISS);
    sack(200, 1000, 0, NULL);
    struct tcp_sack_update u = sack(200, 1000, 4, (uint32_t[]){500, 1100, 700, 600, 800, 800, 0, 200});
    ck_assert_uint_eq(u.newly_sacked, 0);
    ck_assert(!u.dup_ack);
    ck_assert_uint_eq(sb.blocks_ignored, 4);
    ck_assert_uint_eq(sb.count, 0);
    /* A block straddling the cumulative ACK counts only its part above it. */
    u = sack(200, 1000, 1, (uint32_t[]){100, 300});
    ck_assert_uint_eq(u.newly_sacked, 100);
}
END_TEST

/* RFC 6675 4 IsLost(): DupThresh (3) discontiguous SACKed ranges above, or more than
 * (DupThresh - 1) * SMSS SACKed bytes above. */
START_TEST(sb_is_lost)
{
    board(ISS);
    sack(0, 1000, 2, (uint32_t[]){100, 200, 300, 400});
    ck_assert(!tcp_scoreboard_is_lost(&sb, ISS));        /* two ranges, 200 bytes: not yet */
    sack(0, 1000, 1, (uint32_t[]){500, 600});
    ck_assert(tcp_scoreboard_is_lost(&sb, ISS));         /* three ranges */
    ck_assert(tcp_scoreboard_is_lost(&sb, ISS + 99));
    ck_assert(!tcp_scoreboard_is_lost(&sb, ISS + 200));  /* two ranges above */
    ck_assert(!tcp_scoreboard_is_lost(&sb, ISS + 150));  /* SACKed octets are not lost */

    board(ISS);
    sack(0, 1000, 1, (uint32_t[]){100, 300});
    ck_assert(!tcp_scoreboard_is_lost(&sb, ISS));        /* exactly 2 * SMSS: not more */
    sack(0, 1000, 1, (uint32_t[]){300, 301});
    ck_assert(tcp_scoreboard_is_lost(&sb, ISS));         /* one contiguous range, 201 bytes */
}
END_TEST

/* RFC 6675 4 SetPipe(): un-SACKed octets count once unless IsLost, and once more when at or
 * below HighRxt (a retransmission presumed in flight). */
START_TEST(sb_pipe)
{
    board(ISS);
    sack(0, 1000, 3, (uint32_t[]){100, 200, 300, 400, 500, 600});
    /* Lost: [0,100). In flight: [200,300) [400,500) [600,1000) = 600. */
    ck_assert_uint_eq(tcp_scoreboard_pipe(&sb), 600);
    tcp_scoreboard_start_recovery(&sb);
    struct tcp_next_seg seg;
    ck_assert(tcp_scoreboard_next_seg(&sb, 0, ISS + 1000, &seg));
    tcp_scoreboard_on_sent(&sb, &seg, ISS + 1000);
    ck_assert_uint_eq(tcp_scoreboard_pipe(&sb), 700);   /* the retransmission is in flight */
    /* Without any SACK everything outstanding is in the pipe. */
    board(ISS);
    sack(0, 1000, 0, NULL);
    ck_assert_uint_eq(tcp_scoreboard_pipe(&sb), 1000);
}
END_TEST

/* RFC 6675 4 NextSeg(): rule 1 (lost holes above HighRxt), rule 2 (new data), rule 3 (holes not
 * yet lost), rule 4 (one rescue retransmission of the highest un-SACKed data). */
START_TEST(sb_next_seg_rules)
{
    board(ISS);
    sack(0, 1000, 3, (uint32_t[]){100, 200, 300, 400, 500, 600});
    tcp_scoreboard_start_recovery(&sb);
    uint32_t rp = ISS + 1000;
    struct tcp_next_seg seg;

    ck_assert(tcp_scoreboard_next_seg(&sb, 500, rp, &seg));
    ck_assert_uint_eq(seg.rule, TCP_NEXT_SEG_LOST);
    ck_assert_uint_eq(seg.seq, ISS);
    ck_assert_uint_eq(seg.len, 100);                      /* stops at the SACKed range */
    tcp_scoreboard_on_sent(&sb, &seg, rp);
    ck_assert_uint_eq(sb.high_rxt, ISS + 100);

    ck_assert(tcp_scoreboard_next_seg(&sb, 500, rp, &seg));
    ck_assert_uint_eq(seg.rule, TCP_NEXT_SEG_NEW);        /* [200,300) is not lost yet */
    ck_assert_uint_eq(seg.seq, ISS + 1000);
    ck_assert_uint_eq(seg.len, SMSS);
    tcp_scoreboard_on_sent(&sb, &seg, rp);
    ck_assert_uint_eq(sb.high_data, ISS + 1100);

    ck_assert(tcp_scoreboard_next_seg(&sb, 0, rp, &seg));
    ck_assert_uint_eq(seg.rule, TCP_NEXT_SEG_HOLE);
    ck_assert_uint_eq(seg.seq, ISS + 200);
    ck_assert_uint_eq(seg.len, 100);
    tcp_scoreboard_on_sent(&sb, &seg, rp);
    ck_assert(tcp_scoreboard_next_seg(&sb, 0, rp, &seg));
    ck_assert_uint_eq(seg.rule, TCP_NEXT_SEG_HOLE);
    ck_assert_uint_eq(seg.seq, ISS + 400);
    tcp_scoreboard_on_sent(&sb, &seg, rp);

    /* Nothing left below the highest SACK: the rescue retransmission covers the highest
     * un-SACKed octet, once, and leaves HighRxt alone. */
    ck_assert(tcp_scoreboard_next_seg(&sb, 0, rp, &seg));
    ck_assert_uint_eq(seg.rule, TCP_NEXT_SEG_RESCUE);
    ck_assert_uint_eq(seg.seq + seg.len, ISS + 1100);
    ck_assert_uint_eq(seg.len, SMSS);
    uint32_t high_rxt = sb.high_rxt;
    tcp_scoreboard_on_sent(&sb, &seg, rp);
    ck_assert_uint_eq(sb.high_rxt, high_rxt);
    ck_assert(!tcp_scoreboard_next_seg(&sb, 0, rp, &seg));
    /* Rule 4 opens again only once HighACK passes RescueRxt (RecoveryPoint). */
    sack(1000, 1100, 0, NULL);
    ck_assert(tcp_scoreboard_next_seg(&sb, 0, rp, &seg));
    ck_assert_uint_eq(seg.rule, TCP_NEXT_SEG_RESCUE);
}
END_TEST

/* NextSeg never returns more than SMSS nor runs into SACKed data; rule 1 skips holes at or below
 * HighRxt (already retransmitted in this recovery). */
START_TEST(sb_next_seg_sizes)
{
    board(ISS);
    sack(0, 2000, 4, (uint32_t[]){50, 60, 300, 400, 500, 600, 700, 800});
    tcp_scoreboard_start_recovery(&sb);
    struct tcp_next_seg seg;
    ck_assert(tcp_scoreboard_next_seg(&sb, 0, ISS + 2000, &seg));
    ck_assert_uint_eq(seg.seq, ISS);
    ck_assert_uint_eq(seg.len, 50);
    tcp_scoreboard_on_sent(&sb, &seg, ISS + 2000);
    ck_assert(tcp_scoreboard_next_seg(&sb, 0, ISS + 2000, &seg));
    ck_assert_uint_eq(seg.rule, TCP_NEXT_SEG_LOST);
    ck_assert_uint_eq(seg.seq, ISS + 60);
    ck_assert_uint_eq(seg.len, SMSS);
    /* The core may send less than offered: HighRxt follows what was sent. */
    seg.len = 30;
    tcp_scoreboard_on_sent(&sb, &seg, ISS + 2000);
    ck_assert(tcp_scoreboard_next_seg(&sb, 0, ISS + 2000, &seg));
    ck_assert_uint_eq(seg.seq, ISS + 90);
}
END_TEST

/* RFC 6675 5.1 (and RFC 2018 8, reneging): a timeout discards the SACK information. */
START_TEST(sb_rto_discards)
{
    board(ISS);
    sack(0, 1000, 3, (uint32_t[]){100, 200, 300, 400, 500, 600});
    tcp_scoreboard_start_recovery(&sb);
    struct tcp_next_seg seg;
    tcp_scoreboard_next_seg(&sb, 0, ISS + 1000, &seg);
    tcp_scoreboard_on_sent(&sb, &seg, ISS + 1000);
    tcp_scoreboard_on_rto(&sb);
    ck_assert_uint_eq(sb.count, 0);
    ck_assert_uint_eq(sb.high_rxt, ISS);
    ck_assert(!tcp_scoreboard_is_lost(&sb, ISS));
    ck_assert_uint_eq(tcp_scoreboard_pipe(&sb), 1000);
    /* Later SACKs are recorded again. */
    struct tcp_sack_update u = sack(0, 1000, 1, (uint32_t[]){100, 200});
    ck_assert(u.dup_ack);
}
END_TEST

/* The table is bounded: beyond TCP_SCOREBOARD_MAX_RANGES the range farthest from HighACK is
 * forgotten (safe: that data is merely resent), and order is kept. */
START_TEST(sb_bounded)
{
    board(ISS);
    uint32_t n = TCP_SCOREBOARD_MAX_RANGES + 6;
    for (uint32_t i = 0; i < n; i++)
        sack(0, 100000, 1, (uint32_t[]){200 * (i + 1), 200 * (i + 1) + 100});
    ck_assert_uint_eq(sb.count, TCP_SCOREBOARD_MAX_RANGES);
    ck_assert_uint_eq(sb.ranges_dropped, 6);
    /* A block below the others displaces the highest range. */
    sack(0, 100000, 1, (uint32_t[]){10, 20});
    ck_assert_uint_eq(sb.count, TCP_SCOREBOARD_MAX_RANGES);
    ck_assert_uint_eq(sb.ranges[0].start, ISS + 10);
    for (unsigned i = 1; i < sb.count; i++)
        ck_assert(seq_lt(sb.ranges[i - 1].end, sb.ranges[i].start));
    /* Merging still works when full. */
    sack(0, 100000, 1, (uint32_t[]){20, 300});
    ck_assert_uint_eq(sb.ranges[0].end, ISS + 300);
}
END_TEST

/* The scoreboard works across the 2^32 wrap. */
START_TEST(sb_wrap)
{
    tcp_scoreboard_init(&sb, 0xffffff00u, SMSS);
    struct tcp_sack_block b[3] = {{0xffffff80u, 0xffffffc0u}, {0x10, 0x20}, {0x40, 0x80}};
    struct tcp_sack_update u;
    tcp_scoreboard_update(&sb, 0xffffff00u, 0x200, b, 3, &u);
    ck_assert_uint_eq(u.newly_sacked, 0x40 + 0x10 + 0x40);
    ck_assert(tcp_scoreboard_is_lost(&sb, 0xffffff00u));
    ck_assert_uint_eq(tcp_scoreboard_highest_sacked(&sb), 0x80);
    tcp_scoreboard_update(&sb, 0x18, 0x200, NULL, 0, &u);
    ck_assert_uint_eq(u.newly_acked, 0x118);
    ck_assert_uint_eq(sb.count, 2);
    ck_assert_uint_eq(sb.ranges[0].start, 0x18);
}
END_TEST

/* RFC 6675 4: a scoreboard starts with nothing SACKed (HighACK = HighData = HighRxt = ISS), even
 * when its memory last held another connection's ranges and counters (init leaves the range
 * table's contents alone: only ranges[0, count) are read). */
START_TEST(sb_init_over_stale_memory)
{
    memset(&sb, 0xa5, sizeof(sb));
    board(ISS);
    ck_assert_uint_eq(sb.count, 0);
    ck_assert(!sb.rescue_valid);
    ck_assert_uint_eq(sb.ranges_dropped, 0);
    ck_assert_uint_eq(sb.blocks_ignored, 0);
    ck_assert_uint_eq(tcp_scoreboard_sacked_bytes(&sb), 0);
    ck_assert_uint_eq(tcp_scoreboard_highest_sacked(&sb), ISS);
    ck_assert(!tcp_scoreboard_is_sacked(&sb, ISS + 100));
    ck_assert(!tcp_scoreboard_is_lost(&sb, ISS));
    struct tcp_sack_update u = sack(0, 1000, 1, (uint32_t[]){100, 200});
    ck_assert(u.dup_ack);
    ck_assert_uint_eq(u.newly_sacked, 100);
    ck_assert_uint_eq(tcp_scoreboard_sacked_bytes(&sb), 100);
}
END_TEST

static Suite *tcp_sack_suite(void)
{
    Suite *s = suite_create("tcp_sack");
    TCase *tc = tcase_create("rfc2018_receiver");
    tcase_add_test(tc, rx_most_recent_first);
    tcase_add_test(tc, rx_merged_ranges);
    tcase_add_test(tc, rx_room_limits);
    tcase_add_test(tc, rx_rcv_nxt_advances);
    tcase_add_test(tc, rx_wrap);
    suite_add_tcase(s, tc);
    tc = tcase_create("rfc6675_scoreboard");
    tcase_add_test(tc, sb_init_over_stale_memory);
    tcase_add_test(tc, sb_update_and_dupack);
    tcase_add_test(tc, sb_rejects_bad_blocks);
    tcase_add_test(tc, sb_is_lost);
    tcase_add_test(tc, sb_pipe);
    tcase_add_test(tc, sb_next_seg_rules);
    tcase_add_test(tc, sb_next_seg_sizes);
    tcase_add_test(tc, sb_rto_discards);
    tcase_add_test(tc, sb_bounded);
    tcase_add_test(tc, sb_wrap);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tcp_sack_suite)
