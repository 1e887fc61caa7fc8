/*
 * net/tcp_sack: selective acknowledgment bookkeeping for one connection, both directions.
 *  - Receiver (struct tcp_sack_rx): which SACK blocks to put in an ACK, from the ranges the
 *    out-of-order queue holds, in the order RFC 2018 4 requires (the block holding the segment
 *    that triggered the ACK first, then the most recently reported other blocks).
 *  - Sender (struct tcp_scoreboard): the scoreboard of RFC 6675 (Update, IsLost with DupThresh,
 *    SetPipe, NextSeg rules 1-4, HighRxt, RescueRxt, discard after a timeout per RFC 6675 5.1).
 * Blocks are half-open sequence ranges [start, end). Tests: test/unit/test_tcp_sack.c.
 *
 * How the core drives the receiver side (only when SACK was negotiated):
 *  - A segment was queued out of order: tcp_sack_rx_on_ooo(rx, start, end) with the range of the
 *    out-of-order queue that now holds it (after merging with its neighbours).
 *  - RCV.NXT advanced (in-order data, possibly pulling ranges off the queue):
 *    tcp_sack_rx_on_rcv_nxt(rx, rcv_nxt).
 *  - The out-of-order queue dropped data (memory pressure): tcp_sack_rx_clear(rx), then
 *    tcp_sack_rx_on_ooo for the ranges still held, oldest first (reported blocks must be true).
 *  - Building an ACK: n = tcp_sack_rx_blocks(rx, blocks, room) where room is how many blocks the
 *    option space allows (3 with timestamps, 4 without: RFC 2018 3).
 *
 * How the core drives the sender side (struct tcp_cc in net/tcp/tcp_cc.h does it for the core when
 * tcp_cc_use_sack was called; the calls below are what it makes):
 *  - tcp_scoreboard_update on every ACK with the SACK blocks it carried (RFC 6675 4 Update).
 *  - tcp_scoreboard_next_seg / tcp_scoreboard_on_sent during recovery (RFC 6675 5 (C)).
 *  - tcp_scoreboard_on_rto when the retransmission timer expires (RFC 6675 5.1).
 */
#ifndef XENOLITH_NET_TCP_SACK_H
#define XENOLITH_NET_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>
#include "net/wire/tcp_opts.h"

/* RFC 2018 3: at most 4 blocks fit in the 40 bytes of option space. */
#define TCP_SACK_MAX_BLOCKS 4u
/* RFC 6675 2: DupThresh. */
#define TCP_SACK_DUPTHRESH 3u
/* Distinct SACKed ranges the scoreboard keeps. Forgetting a range is always safe (the data is
 * merely treated as not yet received and may be resent), so the bound costs only efficiency. */
#define TCP_SCOREBOARD_MAX_RANGES 64u

/* struct tcp_sack_block ([start, end)) is the option codec's (net/wire/tcp_opts.h). */

/* ---- Receiver side ---- */
struct tcp_sack_rx {
    struct tcp_sack_block recent[TCP_SACK_MAX_BLOCKS]; /* most recently reported first */
    unsigned count;
};

void tcp_sack_rx_init(struct tcp_sack_rx *rx);
void tcp_sack_rx_clear(struct tcp_sack_rx *rx);
/* The out-of-order range [start, end) now holds the segment just received. Ranges recorded
 * earlier that lie inside it (they merged into it) are forgotten. Empty ranges are ignored. */
void tcp_sack_rx_on_ooo(struct tcp_sack_rx *rx, uint32_t start, uint32_t end);
/* Forgets blocks at or below rcv_nxt (delivered in order now) and trims a block it cuts. */
void tcp_sack_rx_on_rcv_nxt(struct tcp_sack_rx *rx, uint32_t rcv_nxt);
/* Copies at most `room` blocks to out, first block first; returns how many. */
unsigned tcp_sack_rx_blocks(const struct tcp_sack_rx *rx, struct tcp_sack_block *out, unsigned room);

/* ---- Sender side: the RFC 6675 scoreboard ---- */
struct tcp_scoreboard {
    struct tcp_sack_block ranges[TCP_SCOREBOARD_MAX_RANGES]; /* SACKed, sorted, disjoint, > una */
    unsigned count;
    uint32_t high_ack;           /* HighACK: SND.UNA as last seen */
    uint32_t high_data;          /* HighData: one past the highest sequence sent */
    uint32_t high_rxt;           /* HighRxt: one past the highest retransmitted in this recovery */
    uint32_t rescue_rxt;         /* RescueRxt (RFC 6675 4, NextSeg rule 4) */
    bool rescue_valid;           /* RescueRxt is defined */
    uint32_t smss;
    uint32_t dup_thresh;         /* TCP_SACK_DUPTHRESH */
    uint64_t ranges_dropped;     /* ranges forgotten because the table was full */
    uint64_t blocks_ignored;     /* SACK blocks refused: empty, inverted, outside (una, high_data] */
};

/* iss: the first sequence number (HighACK = HighData = HighRxt = iss). */
void tcp_scoreboard_init(struct tcp_scoreboard *sb, uint32_t iss, uint32_t smss);
void tcp_scoreboard_set_mss(struct tcp_scoreboard *sb, uint32_t smss);

struct tcp_sack_update {
    uint32_t newly_sacked;       /* bytes SACKed by this ACK that were not before */
    uint32_t newly_acked;        /* bytes the cumulative ACK advanced by */
    bool dup_ack;                /* RFC 6675 2 DupAck: SACKed previously un-SACKed data */
};
/* RFC 6675 4 Update(): the ACK acknowledged up to `ack` and carried `n` blocks; high_data is one
 * past the highest sequence sent so far. Blocks outside (ack, high_data] or inverted are ignored
 * and counted. Ranges at or below the new HighACK are discarded. */
void tcp_scoreboard_update(struct tcp_scoreboard *sb, uint32_t ack, uint32_t high_data,
                           const struct tcp_sack_block *blocks, unsigned n,
                           struct tcp_sack_update *out);

/* RFC 6675 4 IsLost(seq): DupThresh discontiguous SACKed ranges, or more than
 * (DupThresh - 1) * SMSS SACKed bytes, lie above seq. */
bool tcp_scoreboard_is_lost(const struct tcp_scoreboard *sb, uint32_t seq);
bool tcp_scoreboard_is_sacked(const struct tcp_scoreboard *sb, uint32_t seq);
/* RFC 6675 4 SetPipe(): the bytes the sender believes are in the network. */
uint32_t tcp_scoreboard_pipe(const struct tcp_scoreboard *sb);
/* What the octets of [lo, hi) contribute to SetPipe (0, 1 or 2 per un-SACKed octet). */
uint32_t tcp_scoreboard_pipe_range(const struct tcp_scoreboard *sb, uint32_t lo, uint32_t hi);
/* Bytes SACKed in total (above HighACK). */
uint32_t tcp_scoreboard_sacked_bytes(const struct tcp_scoreboard *sb);
/* The highest sequence any SACK block covered (exclusive end), or HighACK when none. */
uint32_t tcp_scoreboard_highest_sacked(const struct tcp_scoreboard *sb);
/* Un-SACKed bytes in [lo, hi). */
uint32_t tcp_scoreboard_unsacked(const struct tcp_scoreboard *sb, uint32_t lo, uint32_t hi);
/* The first un-SACKed sequence number at or above seq; *hole_end gets where that hole ends (the
 * next SACKed range, or HighData). */
uint32_t tcp_scoreboard_next_unsacked(const struct tcp_scoreboard *sb, uint32_t seq,
                                      uint32_t *hole_end);

enum tcp_next_seg_rule {
    TCP_NEXT_SEG_NONE = 0,
    TCP_NEXT_SEG_LOST = 1,       /* rule 1: retransmit a hole IsLost says is lost */
    TCP_NEXT_SEG_NEW = 2,        /* rule 2: send new data from HighData */
    TCP_NEXT_SEG_HOLE = 3,       /* rule 3: retransmit a hole below the highest SACK */
    TCP_NEXT_SEG_RESCUE = 4,     /* rule 4: the one rescue retransmission of this recovery */
};
struct tcp_next_seg {
    enum tcp_next_seg_rule rule;
    uint32_t seq;
    uint32_t len;                /* 1..SMSS; never runs into SACKed data */
};
/* RFC 6675 4 NextSeg(): `sendable_new` is how many bytes of new data the core could send from
 * HighData (queued and inside the peer's window). Returns false when nothing qualifies.
 * `recovery_point` is the RecoveryPoint of the current recovery (rule 4 needs it). */
bool tcp_scoreboard_next_seg(struct tcp_scoreboard *sb, uint32_t sendable_new,
                             uint32_t recovery_point, struct tcp_next_seg *out);
/* The core sent [seq, seq + len) as NextSeg chose (RFC 6675 5 (C.2), (C.3)): HighRxt moves for
 * rules 1 and 3, HighData for rule 2, RescueRxt for rule 4 (with recovery_point). */
void tcp_scoreboard_on_sent(struct tcp_scoreboard *sb, const struct tcp_next_seg *seg,
                            uint32_t recovery_point);
/* New data [seq, end) was sent outside recovery: HighData follows it. */
void tcp_scoreboard_on_send_new(struct tcp_scoreboard *sb, uint32_t end);
/* A recovery episode starts (RFC 6675 5 (4.3)): HighRxt and RescueRxt restart at HighACK. */
void tcp_scoreboard_start_recovery(struct tcp_scoreboard *sb);
/* RFC 6675 5.1: after a timeout the SACK information is discarded (the receiver may have reneged:
 * RFC 2018 8), HighRxt restarts at HighACK. */
void tcp_scoreboard_on_rto(struct tcp_scoreboard *sb);

#endif
