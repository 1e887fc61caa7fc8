/*
 * net/tcp_sack: SACK blocks to report as a receiver (RFC 2018 4) and the sender's scoreboard
 * (RFC 6675 4: Update, IsLost, SetPipe, NextSeg). See net/tcp/tcp_sack.h for the call protocol.
 *
 * The scoreboard keeps SACKed bytes as sorted disjoint ranges above HighACK rather than one entry
 * per segment: IsLost is monotonic (if an octet is lost, every un-SACKed octet below it is too),
 * so SetPipe reduces to two range sums around the "lost below" boundary.
 */
#include "net/tcp/tcp_sack.h"

#include <stddef.h>
#include "lib/string.h"
#include "net/wire/tcp_seq.h"

/* ---- Receiver side ---- */

void tcp_sack_rx_init(struct tcp_sack_rx *rx)
{
    tcp_sack_rx_clear(rx);
}

void tcp_sack_rx_clear(struct tcp_sack_rx *rx)
{
    memset(rx, 0, sizeof(*rx));
}

static void rx_remove(struct tcp_sack_rx *rx, unsigned i)
{
    memmove(&rx->recent[i], &rx->recent[i + 1], (rx->count - i - 1) * sizeof(rx->recent[0]));
    rx->count--;
}

void tcp_sack_rx_on_ooo(struct tcp_sack_rx *rx, uint32_t start, uint32_t end)
{
    if (!seq_lt(start, end))
        return;
    /* Blocks touching the new range merged with it in the queue: only the merged one is true. */
    for (unsigned i = 0; i < rx->count;) {
        if (seq_le(rx->recent[i].start, end) && seq_le(start, rx->recent[i].end))
            rx_remove(rx, i);
        else
            i++;
    }
    /* RFC 2018 4: the block holding the newest segment goes first, the others keep their
     * most-recent-first order; the oldest falls off when all slots are used. */
    unsigned keep = rx->count < TCP_SACK_MAX_BLOCKS ? rx->count : TCP_SACK_MAX_BLOCKS - 1;
    memmove(&rx->recent[1], &rx->recent[0], keep * sizeof(rx->recent[0]));
    rx->recent[0] = (struct tcp_sack_block){start, end};
    rx->count = keep + 1;
}

void tcp_sack_rx_on_rcv_nxt(struct tcp_sack_rx *rx, uint32_t rcv_nxt)
{
    for (unsigned i = 0; i < rx->count;) {
        struct tcp_sack_block *b = &rx->recent[i];
        if (seq_le(b->end, rcv_nxt)) {
            rx_remove(rx, i);
            continue;
        }
        if (seq_lt(b->start, rcv_nxt))
            b->start = rcv_nxt;
        i++;
    }
}

unsigned tcp_sack_rx_blocks(const struct tcp_sack_rx *rx, struct tcp_sack_block *out, unsigned room)
{
    unsigned n = rx->count < room ? rx->count : room;
    memcpy(out, rx->recent, n * sizeof(*out));
    return n;
}

/* ---- Sender side ---- */

/* Every field but the range table: only ranges[0, count) are ever read, and clearing the whole
 * table (512 bytes) was a sizeable part of a short connection's set-up. */
void tcp_scoreboard_init(struct tcp_scoreboard *sb, uint32_t iss, uint32_t smss)
{
    _Static_assert(offsetof(struct tcp_scoreboard, ranges) == 0, "the range table comes first");
    memset(&sb->count, 0, sizeof(*sb) - offsetof(struct tcp_scoreboard, count));
    sb->high_ack = sb->high_data = sb->high_rxt = iss;
    sb->smss = smss ? smss : 1;
    sb->dup_thresh = TCP_SACK_DUPTHRESH;
}

void tcp_scoreboard_set_mss(struct tcp_scoreboard *sb, uint32_t smss)
{
    if (smss)
        sb->smss = smss;
}

static void sb_remove(struct tcp_scoreboard *sb, unsigned i, unsigned n)
{
    memmove(&sb->ranges[i], &sb->ranges[i + n], (sb->count - i - n) * sizeof(sb->ranges[0]));
    sb->count -= n;
}

/* Forgets what the cumulative ACK now covers. */
static void sb_advance(struct tcp_scoreboard *sb, uint32_t ack)
{
    unsigned drop = 0;
    while (drop < sb->count && seq_le(sb->ranges[drop].end, ack))
        drop++;
    sb_remove(sb, 0, drop);
    if (sb->count && seq_lt(sb->ranges[0].start, ack))
        sb->ranges[0].start = ack;
    sb->high_ack = ack;
    if (seq_lt(sb->high_rxt, ack))
        sb->high_rxt = ack;
}

static uint32_t overlap(uint32_t a_start, uint32_t a_end, uint32_t b_start, uint32_t b_end)
{
    uint32_t lo = seq_max(a_start, b_start), hi = seq_min(a_end, b_end);
    return seq_lt(lo, hi) ? hi - lo : 0;
}

/* Records [start, end) as SACKed; returns the bytes that were not SACKed before. */
static uint32_t sb_insert(struct tcp_scoreboard *sb, uint32_t start, uint32_t end)
{
    uint32_t already = 0;
    unsigned first = sb->count, last = 0;
    bool touches = false;
    for (unsigned i = 0; i < sb->count; i++) {
        const struct tcp_sack_block *r = &sb->ranges[i];
        if (seq_le(r->start, end) && seq_le(start, r->end)) {
            already += overlap(start, end, r->start, r->end);
            if (!touches)
                first = i;
            last = i;
            touches = true;
        } else if (!touches && seq_lt(end, r->start) && first == sb->count) {
            first = i;   /* insertion point: the first range entirely above */
        }
    }
    if (touches) {
        sb->ranges[first].start = seq_min(start, sb->ranges[first].start);
        sb->ranges[first].end = seq_max(end, sb->ranges[last].end);
        sb_remove(sb, first + 1, last - first);
        return (end - start) - already;
    }
    if (sb->count == TCP_SCOREBOARD_MAX_RANGES) {
        /* Full: forget the range farthest from HighACK (the new one if it is that range). */
        sb->ranges_dropped++;
        if (first == sb->count)
            return 0;
        sb->count--;
    }
    memmove(&sb->ranges[first + 1], &sb->ranges[first], (sb->count - first) * sizeof(sb->ranges[0]));
    sb->ranges[first] = (struct tcp_sack_block){start, end};
    sb->count++;
    return end - start;
}

void tcp_scoreboard_update(struct tcp_scoreboard *sb, uint32_t ack, uint32_t high_data,
                           const struct tcp_sack_block *blocks, unsigned n,
                           struct tcp_sack_update *out)
{
    *out = (struct tcp_sack_update){0};
    if (seq_gt(high_data, sb->high_data))
        sb->high_data = high_data;
    if (seq_gt(ack, sb->high_ack) && seq_le(ack, sb->high_data)) {
        out->newly_acked = ack - sb->high_ack;
        sb_advance(sb, ack);
    }
    for (unsigned i = 0; i < n && blocks; i++) {
        uint32_t start = blocks[i].start, end = blocks[i].end;
        /* A block must name data we sent and that is not cumulatively acknowledged yet; one
         * below HighACK (a D-SACK, RFC 2883, or a stale block) carries nothing for recovery. */
        if (!seq_lt(start, end) || seq_gt(end, sb->high_data) || seq_le(end, sb->high_ack)) {
            sb->blocks_ignored++;
            continue;
        }
        if (seq_lt(start, sb->high_ack))
            start = sb->high_ack;
        out->newly_sacked += sb_insert(sb, start, end);
    }
    /* RFC 6675 2: a DupAck SACKs octets that were neither acknowledged nor SACKed before. */
    out->dup_ack = out->newly_sacked > 0;
}

bool tcp_scoreboard_is_sacked(const struct tcp_scoreboard *sb, uint32_t seq)
{
    for (unsigned i = 0; i < sb->count; i++)
        if (seq_in_window(seq, sb->ranges[i].start, sb->ranges[i].end - sb->ranges[i].start))
            return true;
    return false;
}

bool tcp_scoreboard_is_lost(const struct tcp_scoreboard *sb, uint32_t seq)
{
    if (tcp_scoreboard_is_sacked(sb, seq))
        return false;
    unsigned ranges_above = 0;
    uint64_t bytes_above = 0;
    for (unsigned i = 0; i < sb->count; i++) {
        if (seq_gt(sb->ranges[i].start, seq)) {
            ranges_above++;
            bytes_above += sb->ranges[i].end - sb->ranges[i].start;
        }
    }
    return ranges_above >= sb->dup_thresh ||
           bytes_above > (uint64_t)(sb->dup_thresh - 1) * sb->smss;
}

/* Every un-SACKed octet below the returned sequence number is lost; none at or above it is. */
static uint32_t lost_boundary(const struct tcp_scoreboard *sb)
{
    unsigned ranges_above = 0;
    uint64_t bytes_above = 0;
    for (unsigned i = sb->count; i-- > 0;) {
        ranges_above++;
        bytes_above += sb->ranges[i].end - sb->ranges[i].start;
        if (ranges_above >= sb->dup_thresh ||
            bytes_above > (uint64_t)(sb->dup_thresh - 1) * sb->smss)
            return sb->ranges[i].start;
    }
    return sb->high_ack;
}

uint32_t tcp_scoreboard_unsacked(const struct tcp_scoreboard *sb, uint32_t lo, uint32_t hi)
{
    if (!seq_lt(lo, hi))
        return 0;
    uint32_t bytes = hi - lo;
    for (unsigned i = 0; i < sb->count; i++)
        bytes -= overlap(lo, hi, sb->ranges[i].start, sb->ranges[i].end);
    return bytes;
}

uint32_t tcp_scoreboard_pipe(const struct tcp_scoreboard *sb)
{
    /* RFC 6675 4 SetPipe: (a) un-SACKed octets IsLost does not condemn, plus (b) un-SACKed
     * octets at or below HighRxt (retransmissions presumed in flight). */
    uint32_t lost_below = seq_max(lost_boundary(sb), sb->high_ack);
    uint32_t rxt_end = seq_min(seq_max(sb->high_rxt, sb->high_ack), sb->high_data);
    return tcp_scoreboard_unsacked(sb, lost_below, sb->high_data) +
           tcp_scoreboard_unsacked(sb, sb->high_ack, rxt_end);
}

uint32_t tcp_scoreboard_pipe_range(const struct tcp_scoreboard *sb, uint32_t lo, uint32_t hi)
{
    uint32_t lost_below = seq_max(lost_boundary(sb), sb->high_ack);
    uint32_t rxt_end = seq_min(seq_max(sb->high_rxt, sb->high_ack), sb->high_data);
    lo = seq_max(lo, sb->high_ack);
    hi = seq_min(hi, sb->high_data);
    if (!seq_lt(lo, hi))
        return 0;
    return tcp_scoreboard_unsacked(sb, seq_max(lo, lost_below), hi) +
           tcp_scoreboard_unsacked(sb, lo, seq_min(hi, rxt_end));
}

uint32_t tcp_scoreboard_sacked_bytes(const struct tcp_scoreboard *sb)
{
    uint32_t bytes = 0;
    for (unsigned i = 0; i < sb->count; i++)
        bytes += sb->ranges[i].end - sb->ranges[i].start;
    return bytes;
}

uint32_t tcp_scoreboard_highest_sacked(const struct tcp_scoreboard *sb)
{
    return sb->count ? sb->ranges[sb->count - 1].end : sb->high_ack;
}

uint32_t tcp_scoreboard_next_unsacked(const struct tcp_scoreboard *sb, uint32_t seq, uint32_t *hole_end)
{
    for (unsigned i = 0; i < sb->count; i++) {
        const struct tcp_sack_block *r = &sb->ranges[i];
        if (seq_le(r->end, seq))
            continue;
        if (seq_lt(seq, r->start)) {
            *hole_end = r->start;
            return seq;
        }
        seq = r->end;   /* inside this range: the hole starts after it */
    }
    *hole_end = sb->high_data;
    return seq;
}

static uint32_t seg_len(uint32_t seq, uint32_t limit, uint32_t smss)
{
    uint32_t room = limit - seq;
    return room < smss ? room : smss;
}

bool tcp_scoreboard_next_seg(struct tcp_scoreboard *sb, uint32_t sendable_new,
                             uint32_t recovery_point, struct tcp_next_seg *out)
{
    uint32_t highest_sacked = tcp_scoreboard_highest_sacked(sb);
    uint32_t hole_end;
    uint32_t s2 = tcp_scoreboard_next_unsacked(sb, seq_max(sb->high_rxt, sb->high_ack), &hole_end);
    bool below_sack = seq_lt(s2, highest_sacked);

    /* Rule 1: the lowest un-SACKed octet above HighRxt, below the highest SACK, that IsLost.
     * IsLost is monotonic, so if the lowest candidate is not lost no higher one is. */
    if (below_sack && tcp_scoreboard_is_lost(sb, s2)) {
        *out = (struct tcp_next_seg){TCP_NEXT_SEG_LOST, s2, seg_len(s2, hole_end, sb->smss)};
        return true;
    }
    /* Rule 2: new data the window allows. */
    if (sendable_new) {
        uint32_t len = sendable_new < sb->smss ? sendable_new : sb->smss;
        *out = (struct tcp_next_seg){TCP_NEXT_SEG_NEW, sb->high_data, len};
        return true;
    }
    /* Rule 3: a hole below the highest SACK even though IsLost does not condemn it yet. */
    if (below_sack) {
        *out = (struct tcp_next_seg){TCP_NEXT_SEG_HOLE, s2, seg_len(s2, hole_end, sb->smss)};
        return true;
    }
    /* Rule 4: one rescue retransmission per recovery, of the highest un-SACKed data. */
    if (!sb->rescue_valid || seq_gt(sb->high_ack, sb->rescue_rxt)) {
        uint32_t top = sb->high_data;
        if (sb->count && sb->ranges[sb->count - 1].end == top)
            top = sb->ranges[sb->count - 1].start;
        if (seq_lt(sb->high_ack, top)) {
            uint32_t hole_start = sb->high_ack;
            for (unsigned i = 0; i < sb->count; i++)
                if (seq_le(sb->ranges[i].end, top))
                    hole_start = seq_max(hole_start, sb->ranges[i].end);
            uint32_t len = top - hole_start < sb->smss ? top - hole_start : sb->smss;
            *out = (struct tcp_next_seg){TCP_NEXT_SEG_RESCUE, top - len, len};
            return true;
        }
    }
    *out = (struct tcp_next_seg){TCP_NEXT_SEG_NONE, 0, 0};
    return false;
}

void tcp_scoreboard_on_sent(struct tcp_scoreboard *sb, const struct tcp_next_seg *seg,
                            uint32_t recovery_point)
{
    uint32_t end = seg->seq + seg->len;
    switch (seg->rule) {
    case TCP_NEXT_SEG_LOST:
    case TCP_NEXT_SEG_HOLE:
        /* RFC 6675 5 (C.2) */
        if (seq_gt(end, sb->high_rxt))
            sb->high_rxt = end;
        break;
    case TCP_NEXT_SEG_NEW:
        /* (C.3) */
        if (seq_gt(end, sb->high_data))
            sb->high_data = end;
        break;
    case TCP_NEXT_SEG_RESCUE:
        /* NextSeg rule 4: RescueRxt = RecoveryPoint (inclusive), HighRxt unchanged. */
        sb->rescue_rxt = recovery_point - 1;
        sb->rescue_valid = true;
        break;
    case TCP_NEXT_SEG_NONE:
        break;
    }
}

void tcp_scoreboard_on_send_new(struct tcp_scoreboard *sb, uint32_t end)
{
    if (seq_gt(end, sb->high_data))
        sb->high_data = end;
}

void tcp_scoreboard_start_recovery(struct tcp_scoreboard *sb)
{
    sb->high_rxt = sb->high_ack;
    sb->rescue_rxt = sb->high_ack;
    sb->rescue_valid = false;
}

void tcp_scoreboard_on_rto(struct tcp_scoreboard *sb)
{
    sb->count = 0;
    sb->high_rxt = sb->high_ack;
    sb->rescue_valid = false;
}
