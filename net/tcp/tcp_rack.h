/*
 * net/tcp_rack: time-based loss detection for one connection (RACK of RFC 8985 6). It keeps one
 * record per transmitted segment still outstanding (its sequence range, when it was last sent,
 * whether it was ever retransmitted, whether it is delivered by SACK, whether it is now deemed
 * lost) and, from the segments each ACK delivers, declares lost every segment sent earlier than a
 * delivered one once the reordering window has passed. Unlike duplicate-ACK counting this also
 * finds lost retransmissions, which is what keeps recovery off the retransmission timer on a
 * lossy link. Pure bookkeeping on times the caller passes in; the caller arms the reordering
 * timer (tcp_rack_detect's answer) and the tail loss probe (RFC 8985 7, in tcp_timer.c).
 * Tests: test/unit/test_tcp_rack.c.
 *
 * How tcp_cc drives it (when SACK is in use; tcp_cc_use_rack):
 *  - every transmission of sequence space: tcp_rack_on_send (new data appends, a retransmission
 *    refreshes the time of the records it covers and clears their lost mark);
 *  - every ACK, after the SACK scoreboard was updated: tcp_rack_on_ack with the cumulative ACK
 *    and the ACK's SACK blocks, then tcp_rack_detect;
 *  - during recovery: tcp_rack_next_lost names the lowest segment to resend;
 *  - on a retransmission timeout: tcp_rack_on_rto.
 */
#ifndef XENOLITH_NET_TCP_RACK_H
#define XENOLITH_NET_TCP_RACK_H

#include <stdbool.h>
#include <stdint.h>
#include "net/tcp/tcp_sack.h"

/* Records kept at most (one per outstanding segment); beyond it new data extends the last
 * record, which only delays loss detection for that data. */
#define TCP_RACK_MAX_SEGS 4096u
#define TCP_RACK_INITIAL_SEGS 4u       /* most connections send a few segments: grown by doubling */

enum {
    TCP_RACK_RETRANS = 1u << 0,  /* retransmitted at least once */
    TCP_RACK_SACKED = 1u << 1,   /* delivered (SACKed) */
    TCP_RACK_LOST = 1u << 2,     /* deemed lost and not resent since */
};

struct tcp_rack_seg {
    uint32_t start, end;
    uint64_t xmit_ns;            /* the latest transmission */
    uint8_t flags;
};

struct tcp_rack {
    struct tcp_rack_seg *segs;   /* ordered by sequence, disjoint */
    unsigned count, cap;
    /* RFC 8985 6.1: the most recently sent segment known delivered */
    uint64_t xmit_ns;
    uint32_t end_seq;
    bool have_delivered;
    uint64_t rtt_ns;             /* RACK.rtt: RTT of that segment */
    uint64_t min_rtt_ns;         /* 0: no sample yet */
    uint32_t fack;               /* highest end of a delivered segment (RACK.fack) */
    bool reordering_seen;        /* RACK.reord */
    unsigned reo_wnd_mult;       /* RACK.reo_wnd_mult (1 ..), grows with spurious repairs */
    unsigned reo_wnd_persist;    /* recoveries left before reo_wnd_mult returns to 1 */
    uint64_t reo_wnd_grown_ns;   /* when reo_wnd_mult last grew (once per round trip) */
    uint32_t lost_bytes;         /* bytes marked TCP_RACK_LOST */
    /* counters */
    uint32_t marked_lost;        /* segments declared lost */
    uint32_t lost_retransmissions; /* ... of which had been retransmitted already */
    uint32_t reorderings;        /* deliveries below RACK.fack of never-resent segments */
    uint32_t spurious;           /* retransmissions whose original was delivered instead */
};

void tcp_rack_init(struct tcp_rack *r);
void tcp_rack_destroy(struct tcp_rack *r);
/* Returns the record tables kept for reuse to the heap (at a stack's teardown). */
void tcp_rack_cache_drain(void);

/* [start, end) left at now_ns (end may include a FIN). */
void tcp_rack_on_send(struct tcp_rack *r, uint32_t start, uint32_t end, bool retransmission,
                      uint64_t now_ns);

/* An ACK arrived: snd_una is the cumulative ACK after it, blocks the SACK blocks it carried
 * (sanitized), sb the scoreboard already updated with them. Updates RACK.xmit_ts/end_seq/rtt
 * (RFC 8985 6.2 steps 1-3) and forgets what is cumulatively acknowledged. */
void tcp_rack_on_ack(struct tcp_rack *r, uint32_t snd_una, const struct tcp_sack_block *blocks,
                     unsigned nblocks, const struct tcp_scoreboard *sb, uint64_t now_ns);

/* A recovery episode began (RFC 8985 6.2 step 4: reo_wnd_mult decays after 16 of them). */
void tcp_rack_on_recovery(struct tcp_rack *r);

/* RFC 8985 6.2 step 4: the reordering window. */
uint64_t tcp_rack_reo_wnd(const struct tcp_rack *r, bool in_recovery, uint64_t srtt_ns,
                          unsigned sacked_segments);

/* RFC 8985 6.2 step 5: marks lost every undelivered segment sent before RACK.xmit_ts whose
 * time plus RACK.rtt plus reo_wnd has passed. Returns how long until the next segment would
 * expire (0: none waiting: no timer needed) and sets *newly_lost to the segments marked now. */
uint64_t tcp_rack_detect(struct tcp_rack *r, uint64_t reo_wnd_ns, uint64_t now_ns,
                         unsigned *newly_lost);

/* The lowest segment marked lost (to resend), false when none. */
bool tcp_rack_next_lost(const struct tcp_rack *r, uint32_t *seq, uint32_t *len);

/* Of the bytes SetPipe counts in [lo, hi), those RACK deems lost (not in flight). */
uint32_t tcp_rack_lost_in_pipe(const struct tcp_rack *r, const struct tcp_scoreboard *sb);

/* RFC 8985 6.3: after a timeout everything is resent from SND.UNA; SACK state is discarded
 * with the scoreboard's (RFC 6675 5.1), so delivered marks and lost marks go too. */
void tcp_rack_on_rto(struct tcp_rack *r);

#endif
