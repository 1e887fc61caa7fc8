/*
 * test/unit/tcp_cc_harness: a sender without a network for the congestion-control tests. It keeps
 * SND.UNA / SND.NXT, runs the output loop exactly as net/tcp/tcp_cc.h tells the core to, feeds
 * synthetic ACKs (with or without SACK blocks), and takes time from the simulated clock.
 */
#ifndef XENOLITH_TEST_UNIT_TCP_CC_HARNESS_H
#define XENOLITH_TEST_UNIT_TCP_CC_HARNESS_H

#include <check.h>
#include <string.h>

#include "net/tcp/tcp_cc.h"
#include "net/wire/tcp_seq.h"
#include "test/unit/sim/sim.h"

#define H_MS 1000000ull
#define H_SMSS 1000u
#define H_MAX_TX 256

struct harness {
    struct tcp_cc cc;
    struct tcp_scoreboard sb;
    uint32_t iss, una, nxt;
    uint32_t unsent;             /* bytes the application has queued beyond nxt */
    uint32_t rwnd;               /* the peer's window from una */
    uint64_t rto_ns;
    uint64_t srtt_ns;            /* reported with every ACK */
    unsigned ntx;                /* what the last output loop sent */
    struct tcp_cc_tx tx[H_MAX_TX];
};

static inline void h_init(struct harness *h, const char *alg, uint32_t iss, bool use_sack)
{
    memset(h, 0, sizeof(*h));
    h->iss = h->una = h->nxt = iss;
    h->unsent = 1u << 30;
    h->rwnd = 1u << 30;
    h->rto_ns = 1000 * H_MS;
    h->srtt_ns = 100 * H_MS;
    ck_assert_int_eq(tcp_cc_init(&h->cc, alg, iss, H_SMSS, sim_now()), 0);
    if (use_sack) {
        tcp_scoreboard_init(&h->sb, iss, H_SMSS);
        tcp_cc_use_sack(&h->cc, &h->sb);
    }
    tcp_cc_handshake_done(&h->cc, H_SMSS, false, sim_now());
}

/* The core's output loop; returns how many segments went out. */
static inline unsigned h_output(struct harness *h)
{
    h->ntx = 0;
    struct tcp_cc_tx tx;
    for (;;) {
        struct tcp_cc_tx_ctx ctx = {
            .now_ns = sim_now(), .snd_una = h->una, .snd_nxt = h->nxt, .unsent = h->unsent,
            .rwnd_room = tcp_window_left(h->una + h->rwnd, h->nxt), .rto_ns = h->rto_ns,
        };
        if (!tcp_cc_next_tx(&h->cc, &ctx, &tx))
            break;
        ck_assert_uint_gt(tx.len, 0);
        ck_assert_uint_le(tx.len, H_SMSS);
        ck_assert_uint_lt(h->ntx, H_MAX_TX);
        h->tx[h->ntx++] = tx;
        if (!tx.retransmission) {
            ck_assert_uint_eq(tx.seq, h->nxt);
            h->nxt += tx.len;
            h->unsent -= tx.len;
        }
        tcp_cc_on_tx(&h->cc, &tx, tx.len, sim_now());
    }
    return h->ntx;
}

/* An ACK for `ack` (absolute). dup is computed as the core would (window unchanged, no data). */
static inline unsigned h_ack_sack(struct harness *h, uint32_t ack, const struct tcp_sack_block *blocks,
                                  unsigned nblocks)
{
    struct tcp_cc_ack a = {
        .now_ns = sim_now(), .ack = ack, .snd_una = h->una, .snd_nxt = h->nxt,
        .dup = tcp_cc_is_duplicate_ack(ack, h->una, h->nxt, 0, false, h->rwnd, h->rwnd),
        .sack = blocks, .sack_count = nblocks, .srtt_ns = h->srtt_ns,
    };
    unsigned ev = tcp_cc_on_ack(&h->cc, &a);
    if (seq_gt(ack, h->una))
        h->una = ack;
    return ev;
}

static inline unsigned h_ack(struct harness *h, uint32_t ack)
{
    return h_ack_sack(h, ack, NULL, 0);
}

/* One round trip: send what the window allows, wait rtt, then every segment is acknowledged
 * by its own ACK. */
static inline void h_round_trip(struct harness *h, uint64_t rtt_ns)
{
    h_output(h);
    sim_advance_to(sim_now() + rtt_ns);
    uint32_t top = h->nxt;
    while (seq_lt(h->una, top)) {
        uint32_t step = top - h->una < H_SMSS ? top - h->una : H_SMSS;
        h_ack(h, h->una + step);
    }
}

static inline void h_rto(struct harness *h)
{
    tcp_cc_on_rto(&h->cc, h->una, h->nxt, sim_now());
}

#endif
