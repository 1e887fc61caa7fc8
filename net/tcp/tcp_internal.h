/*
 * net/tcp/tcp_internal: the transmission control block and what the TCP files share.
 *
 *   tcp.c         stack state, configuration, TCB life cycle, demultiplexing, ICMP errors, stats
 *   tcp_input.c   segment arrival in RFC 9293 3.10.7 order for synchronized and opening states
 *   tcp_listen.c  listeners: SYN handling, half-open bound, SYN cookies, accept backlog
 *   tcp_output.c  segment construction: data (Nagle, window, MSS), ACKs, SYN, FIN, RST
 *   tcp_pmtu.c    the send MSS against the path MTU: lowered by ICMP, raised when it expires
 *   tcp_timer.c   retransmission, persist, delayed ACK, keepalive, orphan bounds
 *   tcp_timewait.c TIME_WAIT as compact records in their own bounded table (not TCBs)
 *   tcp_api.c     the fiber API of net/tcp/tcp.h
 *
 * Pure pieces come from their own modules: sequence arithmetic (tcp_seq.h), header and option
 * codec (tcp_opts.h), ISNs and timestamp offsets (tcp_isn.h), SYN cookies (tcp_syncookie.h),
 * acceptability and RFC 5961 checks (tcp_validate.h), ephemeral ports (tcp_ports.h), RTT/RTO
 * (tcp_rtt.h), SACK (tcp_sack.h) and congestion control (tcp_cc.h).
 *
 * Buffers: the send buffer holds the bytes from snd_buf_seq (= SND.UNA once the SYN is acknowledged)
 * on, sent or not; the receive buffer holds unread in-order bytes followed by the rest of the
 * window, where out-of-order data is written in place and tracked by `ooo` (tcp_buf.h).
 */
#ifndef XENOLITH_NET_TCP_INTERNAL_H
#define XENOLITH_NET_TCP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/list.h"
#include "net/ip/ipv4.h"
#include "net/tcp/tcp.h"
#include "net/tcp/tcp_buf.h"
#include "net/tcp/tcp_cc.h"
#include "net/tcp/tcp_isn.h"
#include "net/wire/features.h"
#include "net/wire/tcp_opts.h"
#include "net/tcp/tcp_ports.h"
#include "net/tcp/tcp_rtt.h"
#include "net/tcp/tcp_sack.h"
#include "net/wire/tcp_seq.h"
#include "net/tcp/tcp_syncookie.h"
#include "net/tcp/tcp_validate.h"
#include "sched/sched.h"

#define TCP_HASH_BUCKETS 256u
/* TIME_WAIT records outnumber TCBs on a server that closes first: a wider table keeps chains short. */
#define TCP_TW_HASH_BUCKETS 2048u
/* The default bound on TIME_WAIT records (cfg.max_time_wait): ~100 bytes each. */
#define TCP_DEFAULT_MAX_TIME_WAIT 8192u
#define TCP_MAX_BACKLOG 1024u
#define TCP_DEFAULT_KEEPIDLE_NS (7200ull * 1000000000ull)
#define TCP_DEFAULT_KEEPINTVL_NS (75ull * 1000000000ull)
#define TCP_DEFAULT_KEEPCNT 9u
/* RFC 9293 3.8.6.1: probe a zero window at the RTO, backing off to at most this. */
#define TCP_PERSIST_MAX_NS (60ull * 1000000000ull)
/* A FIN_WAIT_2 connection whose handle was closed waits this long for the peer's FIN (the peer
 * could otherwise pin a TCB forever by never closing). */
#define TCP_FIN_WAIT_2_TIMEOUT_NS (60ull * 1000000000ull)
#define TCP_NS_PER_SEC 1000000000ull
#define TCP_NS_PER_MS 1000000ull
/* RFC 8985 7.2: PTO = 2 * SRTT, plus the worst-case delayed ACK (WCDelAckT, 200 ms) when one
 * segment is outstanding; at least 10 ms so sub-millisecond RTTs do not turn every pause of the
 * peer's ACK clock into a probe. */
#define TCP_TLP_WCDELACK_NS (200ull * TCP_NS_PER_MS)
#define TCP_TLP_MIN_NS (10ull * TCP_NS_PER_MS)

/* A TIME_WAIT connection, kept as a compact record once its TCB is gone (tcp_timewait.c): what is
 * needed to re-ACK a retransmitted FIN, judge a new SYN (RFC 6191) and apply PAWS, nothing more.
 * About 100 bytes against a TCB's several KiB and buffers. */
struct tcp_tw {
    struct list_node hash_link;                  /* ts->tw_buckets[] */
    struct list_node age_link;                   /* ts->tw_age: oldest (first to expire) first */
    struct tcp_endpoints ep;
    uint64_t expires_ns;                         /* 2*MSL after the last FIN we acknowledged */
    uint64_t next_ack_ns;                        /* invalid-segment ACK rate limit */
    uint64_t ts_recent_time;
    uint32_t snd_nxt, rcv_nxt;                   /* our FIN's end, the peer's FIN's end */
    uint32_t ts_recent, ts_offset;
    uint32_t rcv_wnd;                            /* the window we last offered, bytes */
    uint8_t rcv_wscale;
    bool ts_ok;
};

struct tcp_listener;

/* A connection's timers by kind (tcp_timer.c), in the order they are handled when due together. */
enum tcp_timer_kind {
    TCP_TIMER_RTX,                               /* retransmission, SYN, tail loss probe, persist */
    TCP_TIMER_RACK,                              /* RFC 8985 6.2 reordering window */
    TCP_TIMER_DELACK,                            /* delayed ACK */
    TCP_TIMER_IDLE,                              /* keepalive, orphaned FIN_WAIT_2 */
    TCP_TIMER_KINDS
};

/* Test-only overrides (tcp_test_set_hooks): fixed initial sequence numbers and timestamp offsets
 * so unit tests can start connections near the 2^32 wrap (RFC 9293 3.4 arithmetic, RFC 7323 5.2
 * timestamp wrap). Production code never sets them. */
struct tcp_test_hooks {
    bool fixed_iss;
    uint32_t iss;                                /* ISS of every connection created from now on */
    bool fixed_ts_offset;
    uint32_t ts_offset;                          /* TSval = clock + ts_offset */
};

/* Per-stack TCP (struct tcp_layer.impl). */
struct tcp_stack {
    struct tcp_layer *layer;                     /* its IPv4 layer and counters */
    struct tcp_config cfg;
    const struct tcp_cc_ops *cc_ops;             /* cfg.congestion_control's, looked up once */
    struct list_node buckets[TCP_HASH_BUCKETS];  /* struct tcp_conn.hash_link by 4-tuple */
    struct list_node conns;                      /* every TCB, struct tcp_conn.link */
    struct tcp_conn *last_rx;                    /* the hashed TCB the last segment went to (a
                                                    stream's next segment skips the keyed hash) */
    struct list_node listeners;                  /* struct tcp_listener.link */
    unsigned conn_count, half_open, listener_count;  /* conn_count: TCBs, max_connections */
    struct list_node tw_buckets[TCP_TW_HASH_BUCKETS]; /* struct tcp_tw.hash_link by 4-tuple */
    struct list_node tw_age;                     /* struct tcp_tw.age_link, oldest first */
    unsigned tw_count;                           /* at most cfg.max_time_wait */
    struct timer tw_timer;                       /* at the oldest record's expiry */
    struct tcp_buf_budget budget;
    struct tcp_isn_secret isn_secret;
    struct tcp_syncookie_secret cookie_secret;
    struct tcp_ports ports;
    struct tcp_challenge_limiter challenge;
    struct tcp_test_hooks test;
};

struct tcp_listener {
    struct tcp_stack *ts;                        /* NULL once the stack shut down */
    struct list_node link;
    uint16_t port;
    unsigned backlog;
    struct list_node pending;                    /* SYN_RECEIVED children, tcp_conn.queue_link */
    struct list_node ready;                      /* established, waiting for accept */
    unsigned pending_count, ready_count;
    struct waitq acceptors;
    unsigned waiters;
    bool closed, released;
    size_t sndbuf, rcvbuf;                       /* for children; 0: the stack default */
};

struct tcp_conn {
    struct tcp_stack *ts;                        /* NULL once the stack shut down */
    struct list_node link;                       /* in ts->conns */
    struct list_node hash_link;                  /* in ts->buckets[] */
    uint32_t ep_hash;                            /* tcp_endpoints_hash(ep), set when hashed */
    struct list_node queue_link;                 /* in a listener's pending or ready list */
    struct tcp_listener *listener;               /* passive open not yet accepted */
    enum tcp_conn_state state;
    struct tcp_endpoints ep;
    int error;                                   /* why it ended (negative errno) */
    bool user_owned;                             /* a handle is out (not closed/aborted) */
    bool rd_shut, wr_shut;
    unsigned waiters;                            /* fibers inside API calls on it, and
                                                    tcp_conn_input while it runs: holds the TCB */
    struct waitq readers, writers, openers;

    /* RFC 9293 3.3.1 send sequence variables */
    /* snd_nxt is the highest sequence sent + 1: it never moves back; tcp_cc picks what to resend */
    uint32_t iss, snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    uint32_t snd_buf_seq;                        /* sequence number of sndbuf offset 0 */
    size_t snd_queued;                           /* bytes held in sndbuf */
    bool fin_queued;                             /* FIN follows the queued data */
    bool fin_sent;
    /* receive sequence variables */
    uint32_t irs, rcv_nxt, rcv_adv;              /* rcv_adv: right edge last advertised */
    size_t rcv_ready;                            /* readable bytes at rcvbuf offset 0 */
    bool fin_received;
    bool fin_pending;                            /* a FIN arrived out of order, at fin_seq */
    uint32_t fin_seq;
    struct tcp_buf sndbuf, rcvbuf;               /* sndbuf: empty until the first write */
    size_t sndbuf_size, rcvbuf_size;             /* capacities, whole chunks */

    /* negotiated options */
    uint16_t peer_mss;                           /* 0: none sent */
    uint16_t adv_mss;                            /* what we announced */
    uint32_t mss;                                /* payload per segment we send */
    uint8_t snd_wscale, rcv_wscale;
    bool ws_ok, ts_ok, sack_ok;
    uint32_t ts_offset, ts_recent;
    uint64_t ts_recent_time;
    uint32_t last_ack_sent;

    /* RTT, RTO and congestion state (RFC 6298, RFC 5681) */
    struct tcp_rtt rtt;
    bool syn_retransmitted;
    struct tcp_sack_rx sack_rx;
    struct tcp_rack rack;                        /* RFC 8985 RACK, with SACK */
    /* RFC 8985 7: tail loss probe. TCP_TIMER_RTX is the probe timeout (PTO) while tlp_armed. */
    bool tlp_armed;
    bool tlp_outstanding;                        /* a probe was sent, TLP.end_seq not yet acked */
    bool tlp_retrans;                            /* ... and it was a retransmission */
    uint32_t tlp_end_seq, tlp_tsval;
    uint32_t tlp_recoveries;                     /* cc recoveries when the probe left */

    /* timers: one scheduler timer per connection, armed at or before the earliest deadline set
     * (tcp_timer.c); a deadline moved later or unset leaves it alone until it fires */
    struct timer timer;
    uint64_t due[TCP_TIMER_KINDS];               /* DEADLINE_NONE: not set */
    bool persist;                                /* TCP_TIMER_RTX is the persist timer */
    unsigned persist_backoff;
    uint64_t persist_start_ns;                   /* when the peer's window closed (user timeout) */
    unsigned probes_unanswered;                  /* window probes since the peer's last ACK */
    uint64_t next_oow_ack_ns;                    /* invalid-segment ACK rate limit (RFC 5961 10) */
    uint32_t path_mtu;                           /* the path MTU the MSS was computed from */
    unsigned retries;                            /* consecutive timeouts */
    uint64_t first_timeout_ns;                   /* when the current run of timeouts began */
    unsigned unacked_segs;                       /* full segments received since our last ACK */
    bool ack_pending;
    uint64_t last_rx_ns;                         /* keepalive idle measure */
    unsigned keepalive_sent;

    /* user options */
    bool nodelay, keepalive;
    uint64_t keepidle_ns, keepintvl_ns, user_timeout_ns;
    unsigned keepcnt;
    char cc_name[16];

    struct tcp_conn_info stats;                  /* counters part of tcp_get_info */

    /* Not cleared when a TCB is made (it is cleared up to TCP_CONN_CLEARED): together about half
     * of the TCB, each set up before its first use. */
    struct tcp_cc cc;                            /* tcp_cc_init (tcp_conn_setup) sets it all */
    struct tcp_ranges ooo;                       /* out-of-order data held: count and clock set
                                                    by tcp_conn_setup, ranges past count unused */
    struct tcp_scoreboard sb;                    /* used when SACK was negotiated: set up then
                                                    (tcp_scoreboard_init), unused before */
};
#define TCP_CONN_CLEARED offsetof(struct tcp_conn, cc)

/* ---- tcp.c ---- */
struct tcp_stack *tcp_stack_of(struct tcp_layer *tcp);
struct tcp_conn *tcp_conn_lookup(struct tcp_stack *ts, const struct tcp_endpoints *ep);
/* The same with the 4-tuple's tcp_endpoints_hash already computed (one hash per segment). */
struct tcp_conn *tcp_conn_find(struct tcp_stack *ts, const struct tcp_endpoints *ep, uint32_t hash);
/* The keyed hash of a 4-tuple (not steerable by peers: tcp_endpoints_siphash's table half);
 * equality of 4-tuples. */
uint32_t tcp_endpoints_hash(const struct tcp_stack *ts, const struct tcp_endpoints *ep);
bool tcp_same_endpoints(const struct tcp_endpoints *a, const struct tcp_endpoints *b);
/* A new TCB in CLOSED (not hashed), or NULL (limit or memory; counted). sizes: the buffers (NULL
 * or 0: the stack defaults); the window scale offered in our SYN follows the receive buffer.
 * wire_hash: the 4-tuple's tcp_endpoints_siphash out[1] when the caller has it (NULL: computed
 * here), for the ISN and timestamp offset. */
struct tcp_conn *tcp_conn_create(struct tcp_stack *ts, const struct tcp_endpoints *ep,
                                 const struct tcp_buffer_sizes *sizes, const uint64_t *wire_hash);
/* The send buffer's slot table, made on the first write (0, or -ENOMEM). */
int tcp_sndbuf_attach(struct tcp_conn *c);
/* The window scale for a receive buffer of `bytes` (0: the stack default), for SYN and cookie. */
uint8_t tcp_wscale_for_rcvbuf(const struct tcp_stack *ts, size_t bytes);
/* Into the TCB table, with hash = tcp_endpoints_hash(c->ep), which the caller already has (a
 * passive open: the SYN's; an active open: its port probe's). */
void tcp_conn_hash_as(struct tcp_conn *c, uint32_t hash);
/* Inline: a connection's life is a few of them, each a store or two; the stack counts its
 * half-open connections (SYN_RECEIVED) as they come and go. */
static inline void tcp_set_state(struct tcp_conn *c, enum tcp_conn_state state)
{
    if (c->state == state)
        return;
    if (c->ts && (c->state == TCPS_SYN_RECEIVED || state == TCPS_SYN_RECEIVED))
        c->ts->half_open += state == TCPS_SYN_RECEIVED ? 1u : (unsigned)-1;
    c->state = state;
    c->stats.state = state;
}
/* The connection is over (error set by the caller): timers stopped, buffers freed, waiters woken,
 * and the TCB freed unless a handle or a waiter still holds it. */
void tcp_conn_terminate(struct tcp_conn *c, int error);
/* Frees the TCB if nothing holds it any more. Returns true if freed. */
bool tcp_conn_maybe_free(struct tcp_conn *c);
/* Initial per-connection values from the stack configuration (buffers, options, MSS, RTO). */
int tcp_conn_setup(struct tcp_conn *c, const struct tcp_buffer_sizes *sizes, const uint64_t *wire_hash);
/* The 4-tuple is taken by a TCB or a TIME_WAIT record. *hash: its tcp_endpoints_hash, for the
 * TCB that takes it (tcp_conn_hash_as); *wire_hash: the wire half of the same computation, for
 * its ISN (tcp_conn_create). */
bool tcp_endpoints_taken(struct tcp_stack *ts, const struct tcp_endpoints *ep, uint32_t *hash,
                         uint64_t *wire_hash);
bool tcp_port_in_use(struct tcp_stack *ts, uint16_t port);
struct tcp_listener *tcp_listener_lookup(struct tcp_stack *ts, uint16_t port);
/* The stack's clock (xenolith/time.h's monotonic clock); inline: TCP reads it a few times a
 * segment. */
static inline uint64_t tcp_now(void)
{
    return platform_monotonic_ns();
}
/* The current TSval for c. */
static inline uint32_t tcp_tsval(const struct tcp_conn *c)
{
    return tcp_ts_clock(tcp_now()) + c->ts_offset;
}
/* Installs test overrides for connections created from now on (unit tests only). */
void tcp_test_set_hooks(struct tcp_layer *tcp, const struct tcp_test_hooks *hooks);

/* IP protocol 6 handlers (registered with the IPv4 layer by tcp_init). */
void tcp_ipv4_input(struct tcp_layer *tcp, struct pbuf *p, const struct ipv4_rx_info *rx);
void tcp_ipv4_error(struct tcp_layer *tcp, const struct ipv4_icmp_error *err);

/* ---- tcp_input.c ---- */
/* A segment for c (any state but LISTEN). p's data is the payload; h/opts parsed. Owns p. */
struct tcp_segment {
    struct tcp_header h;
    struct tcp_options opts;
    uint32_t len;                                /* payload bytes */
    uint32_t seg_len;                            /* len + SYN + FIN */
    uint32_t src, dst;
    uint32_t hash;                               /* tcp_endpoints_hash of its 4-tuple */
    bool has_wire_hash;                          /* a SYN's: wire_hash holds its wire half (set
                                                    for every segment not for the last TCB) */
    uint64_t wire_hash;                          /* tcp_endpoints_siphash out[1], for the ISN */
    struct pbuf *payload;
};
void tcp_conn_input(struct tcp_conn *c, struct tcp_segment *seg);
/* The ACK answering an out-of-window, PAWS-failed or otherwise invalid segment, rate-limited per
 * connection to one per invalid_ack_interval (RFC 5961 10; Linux tcp_invalid_ratelimit). A segment
 * carrying data is always answered: the sender's loss recovery needs the duplicate ACK, and data
 * cannot start an ACK loop. */
void tcp_send_invalid_ack(struct tcp_conn *c, const struct tcp_segment *seg);
/* Negotiated options from the peer's SYN (MSS, window scale, SACK-permitted, timestamps). */
void tcp_apply_syn_options(struct tcp_conn *c, const struct tcp_options *o);
/* The handshake completed: ESTABLISHED, congestion control and SACK start, openers wake. */
void tcp_conn_established(struct tcp_conn *c);
/* Takes up to len bytes of readable data. */
size_t tcp_take_data(struct tcp_conn *c, void *buf, size_t len);
/* The window we would advertise now (bytes). */
uint32_t tcp_rcv_window(struct tcp_conn *c);

/* ---- tcp_listen.c ---- */
void tcp_listen_input(struct tcp_listener *l, struct tcp_segment *seg);
/* A passive child reached ESTABLISHED: move it to the accept queue. */
void tcp_listener_child_established(struct tcp_conn *c);
/* A passive child died before accept. */
void tcp_listener_child_gone(struct tcp_conn *c);
void tcp_listener_shutdown(struct tcp_listener *l);
/* NULL or every size 0 or within 4 KiB .. 16 MiB. */
bool tcp_buffer_sizes_valid(const struct tcp_buffer_sizes *sizes);

/* ---- tcp_output.c ---- */
/* Sends what the windows, Nagle and the queue allow (and a pending ACK if nothing else). */
void tcp_output(struct tcp_conn *c);
/* An ACK now (also a challenge ACK, RFC 5961). */
void tcp_send_ack(struct tcp_conn *c);
void tcp_send_syn(struct tcp_conn *c);           /* SYN or SYN-ACK per state */
/* The path MTU towards the peer may have changed: recompute the MSS (RFC 1191, RFC 9293 3.7.3)
 * and resend what no longer fits. */
void tcp_pmtu_changed(struct tcp_conn *c);
/* The effective send MSS from the peer's MSS, the path MTU and the options in use. */
void tcp_update_mss(struct tcp_conn *c);
/* Before sending: an MSS lowered by a path MTU estimate that has since expired is raised again. */
void tcp_pmtu_recheck(struct tcp_conn *c);
/* A zero-length segment with SEQ = SND.UNA - 1, which the peer must answer with an ACK carrying
 * its window (zero-window probe, keepalive: RFC 9293 3.8.6.1, RFC 1122 4.2.3.6). */
void tcp_send_probe(struct tcp_conn *c);
/* RFC 8985 7.3: one new segment if the windows allow, else the last segment sent again.
 * Returns true when the probe was a retransmission. */
bool tcp_send_tail_probe(struct tcp_conn *c);
/* Sends up to len bytes of new data at SND.NXT even if Nagle would wait (persist, small window). */
void tcp_force_send(struct tcp_conn *c, uint32_t len);
/* A RST to the connection's peer (RFC 9293 3.10.5 abort, 3.10.7 errors). */
void tcp_send_rst_conn(struct tcp_conn *c);
/* A RST answering a segment that has no connection (RFC 9293 3.10.7.1). */
void tcp_send_rst_reply(struct tcp_stack *ts, const struct tcp_segment *seg);
/* A bare segment with chosen fields and options (used by cookies and keepalive probes). */
int tcp_send_raw(struct tcp_stack *ts, const struct tcp_endpoints *ep, uint32_t seq, uint32_t ack,
                 uint8_t flags, uint16_t window, const struct tcp_options *opts,
                 struct tcp_conn *c_or_null, uint32_t data_off, uint32_t data_len);

/* ---- tcp_timer.c ---- */
/* Whether the timer of that kind is set. */
/* SACK (RFC 2018) negotiated on c; never in an image without SACK (net/wire/features.h), which
 * link-time optimization then folds (net_feature_and). */
static inline __attribute__((always_inline)) bool tcp_sack_in_use(const struct tcp_conn *c)
{
    return net_feature_and(NET_FEATURE_SACK, c->sack_ok);
}
/* Timestamps (RFC 7323 3) and window scaling (RFC 7323 2) negotiated on c, the same way. */
static inline __attribute__((always_inline)) bool tcp_ts_in_use(const struct tcp_conn *c)
{
    return net_feature_and(NET_FEATURE_TIMESTAMPS, c->ts_ok);
}
static inline __attribute__((always_inline)) bool tcp_ws_in_use(const struct tcp_conn *c)
{
    return net_feature_and(NET_FEATURE_WSCALE, c->ws_ok);
}
static inline __attribute__((always_inline)) bool tcp_tw_ts_in_use(const struct tcp_tw *tw)
{
    return net_feature_and(NET_FEATURE_TIMESTAMPS, tw->ts_ok);
}

static inline bool tcp_timer_pending(const struct tcp_conn *c, enum tcp_timer_kind kind)
{
    return c->due[kind] != DEADLINE_NONE;
}
/* Sets the timer of that kind for deadline_ns (absolute, tcp_now's clock), or unsets it. */
void tcp_timer_set(struct tcp_conn *c, enum tcp_timer_kind kind, uint64_t deadline_ns);
static inline void tcp_timer_clear(struct tcp_conn *c, enum tcp_timer_kind kind)
{
    c->due[kind] = DEADLINE_NONE;
}
void tcp_timers_init(struct tcp_conn *c);
void tcp_timers_stop(struct tcp_conn *c);
void tcp_rtx_arm(struct tcp_conn *c);            /* (re)start at the current RTO, or the PTO */
void tcp_rack_timer_update(struct tcp_conn *c);  /* after an ACK: the reordering timer */
void tcp_tlp_rearm(struct tcp_conn *c);          /* new data sent: restart the PTO if due */
void tcp_rtx_stop(struct tcp_conn *c);
void tcp_persist_arm(struct tcp_conn *c);
void tcp_delack_schedule(struct tcp_conn *c);    /* a segment arrived: ACK now or later */
void tcp_idle_rearm(struct tcp_conn *c);         /* keepalive per options and state */
/* The application closed the connection and it is still sending its FIN (FIN_WAIT_1, CLOSING,
 * LAST_ACK): its retransmissions and window probes are bounded by cfg.orphan_retries. */
bool tcp_conn_orphaned(const struct tcp_conn *c);

/* ---- tcp_timewait.c ---- */
void tcp_tw_init(struct tcp_stack *ts);
void tcp_tw_shutdown(struct tcp_stack *ts);
/* Drops the oldest records until at most cfg.max_time_wait remain (after tcp_set_config). */
void tcp_tw_trim(struct tcp_stack *ts);
/* c entered TIME_WAIT: its state moves to a compact record (reusing the oldest record when the
 * table is full) and the TCB is terminated (a handle still held sees CLOSED, error 0). c may be
 * freed: the caller must not touch it afterwards unless it holds the TCB. */
void tcp_enter_time_wait(struct tcp_conn *c);
struct tcp_tw *tcp_tw_lookup(struct tcp_stack *ts, const struct tcp_endpoints *ep);
struct tcp_tw *tcp_tw_find(struct tcp_stack *ts, const struct tcp_endpoints *ep, uint32_t hash);
/* A segment for a TIME_WAIT 4-tuple (RFC 9293 3.10.7.4, RFC 1337, RFC 6191). Does not own p. */
void tcp_tw_input(struct tcp_stack *ts, struct tcp_tw *tw, struct tcp_segment *seg);

#endif
