/*
 * test/unit/tcp_forge.h: hand-made segments addressed to one connection as if its peer had sent
 * them, built from the TCB (net/tcp/tcp_internal.h), for rules that need an unusual or hostile peer.
 */
#ifndef XENOLITH_TEST_UNIT_TCP_FORGE_H
#define XENOLITH_TEST_UNIT_TCP_FORGE_H

#include "net/tcp/tcp_internal.h"
#include "test/unit/tcp_fixture.h"

#define FORGE_NO_TS 0x7fffffff       /* ts_delta: leave the timestamps option out */

/* A segment to c from its peer. ts_delta: TSval = TS.Recent + ts_delta (when c uses timestamps),
 * or FORGE_NO_TS. window: the raw field. */
/* The stack whose TCP layer holds c. */
static inline struct netstack *forge_stack_of(const struct tcp_conn *c)
{
    return container_of(c->ts->layer, struct netstack, tcp);
}

static inline void forge_to(const struct tcp_conn *c, uint32_t seq, uint32_t ack, uint8_t flags,
                            uint16_t window, int32_t ts_delta, const void *data, size_t len)
{
    struct tcp_options o = { 0 };
    if (c->ts_ok && ts_delta != FORGE_NO_TS) {
        o.present = TCP_OPTF_TIMESTAMPS;
        o.ts_val = c->ts_recent + (uint32_t)ts_delta;
        o.ts_ecr = tcp_tsval(c);
    }
    tf_inject(forge_stack_of(c), c->ep.remote_ip, c->ep.local_ip, c->ep.remote_port,
              c->ep.local_port, seq, ack, flags, window, &o, data, len);
}

/* Data (or a flag) at RCV.NXT + off, acknowledging everything c sent, timestamps current. */
static inline void forge_data(const struct tcp_conn *c, uint32_t off, uint8_t flags,
                              const void *data, size_t len)
{
    forge_to(c, c->rcv_nxt + off, c->snd_nxt, (uint8_t)(flags | TCP_FLAG_ACK), 65535, 0, data,
             len);
}

/* Segments the tap recorded that match: tx (sent by A) or not, with these flags all set. */
static inline unsigned tap_count(bool tx, uint8_t flags, bool with_data)
{
    unsigned n = 0;
    for (unsigned i = 0; i < tf_tap.count; i++) {
        const struct tf_seg *s = &tf_tap.seg[i];
        if (s->tx == tx && (s->h.flags & flags) == flags && (!with_data || s->len))
            n++;
    }
    return n;
}

/* The first recorded segment with these flags exactly among SYN/ACK/RST/FIN, or NULL. */
static inline const struct tf_seg *tap_find(bool tx, uint8_t flags)
{
    const uint8_t mask = TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST | TCP_FLAG_FIN;
    for (unsigned i = 0; i < tf_tap.count; i++)
        if (tf_tap.seg[i].tx == tx && (tf_tap.seg[i].h.flags & mask) == flags)
            return &tf_tap.seg[i];
    return NULL;
}

static inline enum tf_verdict tf_drop_tx(const struct tf_seg *s, void *ctx)
{
    (void)ctx;
    return s->tx ? TF_DROP : TF_PASS;
}

/* Drops A's 40th data segment, once (ctx: an unsigned counting A's data segments, from 0). */
static inline enum tf_verdict tf_drop_40th_data_segment(const struct tf_seg *s, void *ctx)
{
    unsigned *seen = ctx;
    if (s->tx && s->len && ++*seen == 40)
        return TF_DROP;
    return TF_PASS;
}

/* Moves len pattern bytes from `from` to `to` (both established) from the test's own context:
 * writes without blocking, reads what arrives, checks every byte. Returns the bytes read. */
static inline size_t pump(struct tcp_conn *from, struct tcp_conn *to, size_t len, uint64_t limit)
{
    static uint8_t wbuf[4096], rbuf[4096];
    size_t written = 0, got = 0;
    uint64_t end = sim_now() + limit;
    while (got < len && sim_now() < end) {
        if (written < len) {
            size_t n = len - written < sizeof(wbuf) ? len - written : sizeof(wbuf);
            fill_pattern(wbuf, n, written);
            long w = tcp_write(from, wbuf, n, 0);
            if (w > 0)
                written += (size_t)w;
        }
        long r = tcp_read(to, rbuf, sizeof(rbuf), 0);
        if (r > 0) {
            for (long i = 0; i < r; i++)
                ck_assert_uint_eq(rbuf[i], pattern_byte(got + (size_t)i));
            got += (size_t)r;
            continue;
        }
        run_for(MS);
    }
    return got;
}

/* Moves 1 MiB from p's client to its server with A's 40th data segment dropped: every byte must
 * arrive, in order, within 60 s (the loss-repair tests of each feature set). */
static inline void tf_bulk_with_one_loss(struct tf_conns *p)
{
    unsigned seen = 0;
    tf_tap_set_filter(tf_drop_40th_data_segment, &seen);
    ck_assert_uint_eq(pump(p->client, p->server, 1024 * 1024, 60 * SEC), 1024 * 1024);
    ck_assert_uint_ge(seen, 40);
}

/* No segment B sent (as the tap saw) carried SACK blocks. */
static inline void tf_assert_no_sack_from_b(void)
{
    for (unsigned i = 0; i < tf_tap.count; i++)
        if (!tf_tap.seg[i].tx)
            ck_assert(!(tf_tap.seg[i].opts.present & TCP_OPTF_SACK));
}

/* Runs the loop until cond holds or limit passes. */
#define RUN_UNTIL(cond, limit)                                                                  \
    do {                                                                                         \
        uint64_t run_until_end_ = sim_now() + (limit);                                           \
        while (!(cond) && sim_now() < run_until_end_)                                            \
            run_for(MS);                                                                         \
    } while (0)

#endif
