/*
 * net/tcp_cc: congestion control and loss recovery of one connection.
 *
 * Two layers:
 *  - The driver (tcp_cc.c), shared by every algorithm: the initial and loss windows (RFC 5681
 *    3.1), duplicate-ACK counting (RFC 5681 2), fast retransmit and fast recovery with NewReno's
 *    recover point and partial ACKs (RFC 5681 3.2, RFC 6582 3.2), SACK-based recovery through the
 *    scoreboard when SACK was negotiated (RFC 6675 5, 5.1), limited transmit (RFC 3042), the
 *    retransmission-timeout loss phase, and the restart after idle (RFC 5681 4.1). It also
 *    decides what to transmit next (retransmission or new data) so the core never duplicates
 *    these rules.
 *  - An algorithm (struct tcp_cc_ops): how cwnd grows per ACK and how far it falls on loss.
 *    "newreno" (tcp_newreno.c: RFC 5681 slow start and congestion avoidance) and "cubic"
 *    (tcp_cubic.c: RFC 9438), the default. Selectable per connection, switchable at any time.
 * All windows are in bytes; times are monotonic nanoseconds passed in by the caller.
 * Tests: test/unit/test_tcp_cc.c, test_tcp_newreno.c, test_tcp_cubic.c.
 *
 * How the core drives this module (SND.NXT below means the highest sequence sent plus one:
 * the core never pulls SND.NXT back on a timeout; retransmissions are chosen here):
 *  1. TCB creation: tcp_cc_init(cc, name or NULL, iss, smss, now). If SACK is negotiated, also
 *     tcp_scoreboard_init(sb, iss, smss) and tcp_cc_use_sack(cc, sb) (sb lives in the TCB).
 *  2. Handshake done: tcp_cc_handshake_done(cc, smss, syn_retransmitted, now) (sets the initial
 *     window, or one segment when a SYN was lost: RFC 5681 3.1).
 *  3. Every acceptable ACK in a synchronized state (after the RFC 5961 checks and after
 *     tcp_rtt_on_ack), before SND.UNA moves: ev = tcp_cc_on_ack(cc, &ack). `dup` is
 *     tcp_cc_is_duplicate_ack(...) for this segment; the SACK blocks it carried are passed as
 *     parsed. ev reports TCP_CC_EV_* for the counters. Then run the output loop (5).
 *  4. The retransmission timer expired: tcp_rtt_on_timeout, then tcp_cc_on_rto(cc, snd_una,
 *     snd_nxt, now), then the output loop (5) sends the retransmission of SND.UNA.
 *  5. Output loop, whenever something may be sent (after 3, 4, a write, a window update):
 *       while (tcp_cc_next_tx(cc, &ctx, &tx)) {
 *           send tx.len bytes from tx.seq (fewer is fine: Nagle, a FIN, the end of data; the FIN
 *           counts as one byte of sequence space); stop if nothing was sent;
 *           tcp_cc_on_tx(cc, &tx, sent_len, now);
 *       }
 *     tx.retransmission says whether it is a retransmission (for tcp_rtt_on_send, counters).
 *     next_tx returns false when the window is full, nothing is outstanding to repair and no new
 *     data may go (including a closed peer window: the persist timer is the core's).
 *  6. Anything else that consumes sequence space the core sends on its own (a zero-window probe,
 *     a FIN when no data is queued): tcp_cc_on_send_new(cc, seq_end, now).
 *  7. Path MTU change: tcp_cc_set_mss (and tcp_scoreboard_set_mss).
 *  8. Info: tcp_cc_cwnd, tcp_cc_ssthresh, tcp_cc_name, cc->counters.
 */
#ifndef XENOLITH_NET_TCP_CC_H
#define XENOLITH_NET_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>
#include "net/tcp/tcp_rack.h"
#include "net/tcp/tcp_sack.h"
#include "net/wire/features.h"

#define TCP_CC_NAME_MAX 16u
/* NewReno in an image without CUBIC (net/wire/features.h). */
#define TCP_CC_DEFAULT (net_feature(NET_FEATURE_CUBIC) ? "cubic" : "newreno")
/* RFC 5681 3.2: the third duplicate ACK starts fast retransmit. */
#define TCP_CC_DUPTHRESH 3u
/* RFC 5681 3.1: ssthresh starts "arbitrarily high". */
#define TCP_CC_SSTHRESH_INFINITE UINT32_MAX

struct tcp_cc;

/* An algorithm. The driver owns cwnd outside these hooks' documented effects. */
struct tcp_cc_ops {
    const char *name;
    /* (Re)starts the algorithm's own state; cwnd and ssthresh are left as they are. */
    void (*init)(struct tcp_cc *cc, uint64_t now_ns);
    /* `acked` new bytes were acknowledged outside recovery: grow cwnd (slow start below
     * ssthresh, congestion avoidance above). cc->srtt_ns holds the current SRTT. */
    void (*on_ack)(struct tcp_cc *cc, uint32_t acked, uint64_t now_ns);
    /* A congestion event detected by duplicate ACKs or SACK: set ssthresh from flight_size
     * (bytes outstanding) and cwnd, and remember what the algorithm needs. */
    void (*enter_recovery)(struct tcp_cc *cc, uint32_t flight_size, uint64_t now_ns);
    /* Recovery ended with a full ACK; cwnd has been set by the driver (RFC 6582 3.2 step 3). */
    void (*exit_recovery)(struct tcp_cc *cc, uint64_t now_ns);
    /* The retransmission timer expired: set ssthresh; the driver then sets cwnd to one SMSS. */
    void (*on_rto)(struct tcp_cc *cc, uint32_t flight_size, uint64_t now_ns);
    /* The connection was idle for idle_ns and cwnd was just cut back (RFC 5681 4.1). */
    void (*after_idle)(struct tcp_cc *cc, uint64_t idle_ns, uint64_t now_ns);
};

/* RFC 9438 state (tcp_cubic.c). Windows in bytes. */
struct tcp_cubic {
    uint64_t epoch_start_ns;     /* start of this congestion avoidance stage; 0: none yet */
    uint64_t k_ms;               /* K of RFC 9438 4.2, milliseconds */
    uint64_t w_est_q10;          /* W_est of 4.3, bytes << 10 */
    uint32_t w_max;              /* W_max of 4.2 (after fast convergence, 4.7) */
    uint32_t cwnd_epoch;         /* cwnd when the stage began */
    uint32_t cwnd_prior;         /* cwnd before the last reduction (4.3, 4.6) */
    uint32_t inc_q10;            /* fractional cwnd growth carried between ACKs, bytes << 10 */
    bool after_rto;              /* 4.8: the first stage after a timeout uses K = 0 */
    bool fast_convergence;       /* 4.7 (on by default) */
};

enum tcp_cc_phase {
    TCP_CC_OPEN = 0,             /* no loss being repaired */
    TCP_CC_RECOVERY,             /* fast recovery (RFC 6582) or SACK loss recovery (RFC 6675) */
    TCP_CC_LOSS,                 /* after a retransmission timeout, until `recover` is acked */
};

struct tcp_cc_counters {
    uint32_t fast_retransmits;   /* recovery episodes entered */
    uint32_t partial_acks;       /* RFC 6582 partial ACKs */
    uint32_t rto_events;
    uint32_t limited_transmits;  /* segments sent under RFC 3042 */
    uint32_t idle_restarts;      /* RFC 5681 4.1 */
    uint32_t retransmissions;    /* segments next_tx chose to resend */
    uint32_t rack_recoveries;    /* recoveries RACK's time-based detection started */
    uint32_t tlp_repairs;        /* tail loss probes that repaired a loss (RFC 8985 7.4) */
};

struct tcp_cc {
    const struct tcp_cc_ops *ops;
    uint32_t cwnd, ssthresh, smss;
    enum tcp_cc_phase phase;
    uint32_t recover;            /* RFC 6582 recover / RFC 6675 RecoveryPoint (exclusive) */
    uint32_t dupacks;
    uint32_t snd_una;            /* as of the last ACK */
    uint32_t high_data;          /* SND.NXT as of the last call */
    uint32_t rtx_next;           /* TCP_CC_LOSS: next sequence to resend */
    uint32_t loss_una;           /* SND.UNA at the last timeout (repeated timeouts) */
    bool retransmit_head;        /* resend the segment at SND.UNA before anything else */
    bool idle_restart_done;      /* RFC 5681 4.1 already applied to this idle period */
    bool sent_any;
    uint64_t last_send_ns;
    uint64_t srtt_ns;            /* from the last ACK, for algorithms that need the RTT */
    uint32_t ca_acked;           /* congestion avoidance byte counting (RFC 5681 3.1) */
    struct tcp_scoreboard *sb;   /* NULL: SACK not in use */
    struct tcp_rack *rack;       /* NULL: RACK not in use (it needs the scoreboard) */
    uint64_t rack_timeout_ns;    /* after the last ACK: arm the reordering timer this far out */
    struct tcp_cc_counters counters;
    union {
        struct tcp_cubic cubic;
    } alg;
};

/* ---- Algorithms ---- */
extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;
/* The algorithm called name ("newreno", "cubic" unless the image has no CUBIC), or NULL. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);

/* ---- Life cycle ---- */
/* name NULL picks TCP_CC_DEFAULT. -EINVAL for an unknown name (cc then uses the default). The
 * window starts at the RFC 5681 3.1 initial window for smss; recover = iss (RFC 6582 3.2). */
int tcp_cc_init(struct tcp_cc *cc, const char *name, uint32_t iss, uint32_t smss, uint64_t now_ns);
/* The same with the algorithm already looked up (tcp_cc_find once, not per connection). */
void tcp_cc_init_ops(struct tcp_cc *cc, const struct tcp_cc_ops *ops, uint32_t iss, uint32_t smss,
                     uint64_t now_ns);
/* Switches algorithm, keeping cwnd and ssthresh. -EINVAL for an unknown name (unchanged). */
int tcp_cc_set_algorithm(struct tcp_cc *cc, const char *name, uint64_t now_ns);
void tcp_cc_use_sack(struct tcp_cc *cc, struct tcp_scoreboard *sb);
/* RFC 8985 RACK on top of the scoreboard: segments it deems lost (lost retransmissions
 * included) are resent first in recovery and after a timeout, are not counted in pipe, and
 * start a recovery by themselves. The core records every transmission with tcp_rack_on_send. */
void tcp_cc_use_rack(struct tcp_cc *cc, struct tcp_rack *rack);
void tcp_cc_handshake_done(struct tcp_cc *cc, uint32_t smss, bool syn_retransmitted, uint64_t now_ns);
void tcp_cc_set_mss(struct tcp_cc *cc, uint32_t smss);

/* RFC 5681 3.1: IW = 2, 3 or 4 segments depending on SMSS. */
uint32_t tcp_cc_initial_window(uint32_t smss);

/* RFC 5681 2 "DUPLICATE ACKNOWLEDGMENT": all five conditions. */
bool tcp_cc_is_duplicate_ack(uint32_t seg_ack, uint32_t snd_una, uint32_t snd_nxt,
                             uint32_t seg_len, bool syn_or_fin, uint32_t seg_wnd, uint32_t snd_wnd);

/* RFC 3042 2: may one new segment of seg_len go now under limited transmit? One segment per
 * duplicate ACK: outstanding data stays within cwnd + dupacks * SMSS (at most cwnd + 2 * SMSS). */
bool tcp_cc_limited_transmit_ok(uint32_t dupacks, uint32_t flight_size, uint32_t cwnd,
                                uint32_t smss, uint32_t seg_len, uint32_t rwnd_room,
                                uint32_t unsent);

/* ---- Per ACK ---- */
struct tcp_cc_ack {
    uint64_t now_ns;
    uint32_t ack;                /* SEG.ACK, acceptable: SND.UNA <= ack <= SND.NXT */
    uint32_t snd_una;            /* before this ACK */
    uint32_t snd_nxt;            /* highest sequence sent + 1 */
    bool dup;                    /* tcp_cc_is_duplicate_ack (with SACK, RFC 6675 2 decides) */
    const struct tcp_sack_block *sack; /* blocks carried (SACK in use), may be NULL */
    unsigned sack_count;
    uint64_t srtt_ns;            /* tcp_rtt_srtt after this ACK's sample */
};
enum tcp_cc_event {
    TCP_CC_EV_ENTERED_RECOVERY = 1u << 0, /* fast retransmit: next_tx now resends SND.UNA */
    TCP_CC_EV_EXITED_RECOVERY  = 1u << 1,
    TCP_CC_EV_PARTIAL_ACK      = 1u << 2, /* RFC 6582: SND.UNA is resent next */
    TCP_CC_EV_LOSS_DONE        = 1u << 3, /* the timeout's loss phase is repaired */
    TCP_CC_EV_DUPACK           = 1u << 4, /* counted as a duplicate ACK */
};
/* Returns a mask of enum tcp_cc_event. */
unsigned tcp_cc_on_ack(struct tcp_cc *cc, const struct tcp_cc_ack *a);
/* Instead of tcp_cc_on_ack for an ACK that finds no data outstanding (nothing at all, or only
 * our FIN) while no loss is being repaired and no SACK blocks came: there is nothing for the
 * window, the scoreboard or RACK to learn (RFC 5681 3.1 grows cwnd for ACKs of new data; a FIN
 * is not data, and after it no data is ever sent). Only the sequence bookkeeping moves. */
void tcp_cc_on_ack_no_data(struct tcp_cc *cc, uint32_t ack, uint32_t snd_nxt, uint64_t srtt_ns);

/* The RACK reordering timer expired (RFC 8985 6.2 step 5 / 6.3): marks what is now lost and
 * starts a recovery if needed. Returns events; cc->rack_timeout_ns says when to look again. */
unsigned tcp_cc_rack_timeout(struct tcp_cc *cc, uint32_t snd_una, uint32_t snd_nxt, uint64_t now_ns);

/* A tail loss probe's retransmission repaired a loss (RFC 8985 7.4.2): the congestion response
 * of a fast recovery that is already over (ssthresh and cwnd reduced once). */
void tcp_cc_on_tlp_repair(struct tcp_cc *cc, uint32_t flight_size, uint64_t now_ns);

/* The retransmission timer expired (RFC 5681 3.1 eq. 4 and LW, RFC 6582 3.2 step 6,
 * RFC 6675 5.1). */
void tcp_cc_on_rto(struct tcp_cc *cc, uint32_t snd_una, uint32_t snd_nxt, uint64_t now_ns);

/* ---- Output ---- */
struct tcp_cc_tx_ctx {
    uint64_t now_ns;
    uint32_t snd_una;
    uint32_t snd_nxt;            /* highest sequence sent + 1 */
    uint32_t unsent;             /* sequence space queued beyond snd_nxt (a pending FIN is 1) */
    uint32_t rwnd_room;          /* SND.UNA + SND.WND - SND.NXT, 0 when at or past the edge */
    uint64_t rto_ns;             /* tcp_rtt_rto, for the idle test of RFC 5681 4.1 */
};
enum tcp_cc_tx_kind {
    TCP_CC_TX_HEAD = 1,          /* the segment at SND.UNA (fast retransmit, partial ACK, RTO) */
    TCP_CC_TX_NEW,               /* new data from SND.NXT */
    TCP_CC_TX_LIMITED,           /* new data under limited transmit (RFC 3042) */
    TCP_CC_TX_SACK,              /* chosen by RFC 6675 NextSeg (carries the rule) */
    TCP_CC_TX_LOSS,              /* go-back-N repair after a timeout */
    TCP_CC_TX_RACK,              /* a segment RACK deemed lost (RFC 8985 6.2) */
};
struct tcp_cc_tx {
    uint32_t seq;
    uint32_t len;                /* at most this much, at most SMSS */
    bool retransmission;         /* seq is below SND.NXT */
    enum tcp_cc_tx_kind kind;    /* pass back unchanged to tcp_cc_on_tx */
    struct tcp_next_seg next;    /* TCP_CC_TX_SACK: NextSeg's answer */
};
bool tcp_cc_next_tx(struct tcp_cc *cc, const struct tcp_cc_tx_ctx *ctx, struct tcp_cc_tx *out);
/* The core sent sent_len (1..tx->len) bytes of sequence space starting at tx->seq. */
void tcp_cc_on_tx(struct tcp_cc *cc, const struct tcp_cc_tx *tx, uint32_t sent_len, uint64_t now_ns);
/* New sequence space up to seq_end was sent without asking (probe, bare FIN). */
void tcp_cc_on_send_new(struct tcp_cc *cc, uint32_t seq_end, uint64_t now_ns);

/* ---- Accessors ---- */
static inline uint32_t tcp_cc_cwnd(const struct tcp_cc *cc) { return cc->cwnd; }
static inline uint32_t tcp_cc_ssthresh(const struct tcp_cc *cc) { return cc->ssthresh; }
static inline const char *tcp_cc_name(const struct tcp_cc *cc) { return cc->ops->name; }
static inline bool tcp_cc_in_recovery(const struct tcp_cc *cc) { return cc->phase != TCP_CC_OPEN; }

/* ---- For algorithms ---- */
/* RFC 5681 3.1 slow start with RFC 3465 byte counting: cwnd += min(acked, L), L = 2*SMSS (1*SMSS
 * after a timeout); returns the bytes not used because cwnd
 * reached ssthresh (they continue in congestion avoidance). */
uint32_t tcp_cc_slow_start(struct tcp_cc *cc, uint32_t acked);
/* RFC 5681 3.1 congestion avoidance by byte counting: one SMSS per cwnd of acked bytes. */
void tcp_cc_reno_avoidance(struct tcp_cc *cc, uint32_t acked);

#endif
