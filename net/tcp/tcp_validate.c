/*
 * net/tcp_validate: segment acceptability, RST/SYN/ACK checks, PAWS, SACK block sanity and the
 * challenge ACK limiter (rules and their RFC sections in tcp_validate.h).
 */
#include "net/tcp/tcp_validate.h"

#include "lib/random.h"
#include "net/wire/tcp_seq.h"

bool tcp_seq_acceptable(uint32_t seg_seq, uint32_t seg_len, uint32_t rcv_nxt, uint32_t rcv_wnd)
{
    /* A segment without data may also sit exactly at the right edge: a peer that filled the
     * window while a hole holds RCV.NXT back sends its ACKs with SEG.SEQ = SND.NXT = RCV.NXT +
     * RCV.WND. Refusing them throws their acknowledgment and SACK information away (RFC 9293
     * 3.10.7.4 asks for that allowance for ACKs at a zero window; Linux makes it for any window),
     * and a sender that loses its cumulative ACKs that way can only wait for its RTO. */
    if (seg_len == 0)
        return seg_seq == rcv_nxt + rcv_wnd || seq_in_window(seg_seq, rcv_nxt, rcv_wnd);
    if (rcv_wnd == 0)
        return false;
    return seq_in_window(seg_seq, rcv_nxt, rcv_wnd) ||
           seq_in_window(seg_seq + seg_len - 1, rcv_nxt, rcv_wnd);
}

struct tcp_trim tcp_seq_trim(uint32_t seg_seq, uint32_t seg_len, uint32_t rcv_nxt, uint32_t rcv_wnd)
{
    struct tcp_trim t = { 0, 0 };
    if (seq_lt(seg_seq, rcv_nxt)) {
        uint32_t old = rcv_nxt - seg_seq;
        t.front = old < seg_len ? old : seg_len;
    }
    uint32_t right = rcv_nxt + rcv_wnd, seg_end = seg_seq + seg_len;
    if (seq_gt(seg_end, right)) {
        uint32_t beyond = seg_end - right;
        uint32_t left = seg_len - t.front;
        t.back = beyond < left ? beyond : left;
    }
    return t;
}

bool tcp_paws_reject(uint32_t seg_tsval, uint32_t ts_recent, uint64_t ts_recent_age_ns, bool rst)
{
    /* RFC 7323 5.3 R1 leaves RSTs to the sequence checks: a RST with an old timestamp may still be
     * the peer's honest answer after it rebooted and lost its clock. */
    if (rst || ts_recent_age_ns > TCP_PAWS_IDLE_NS)
        return false;
    return seq_lt(seg_tsval, ts_recent);
}

bool tcp_ts_recent_update(uint32_t seg_seq, uint32_t seg_tsval, uint32_t last_ack_sent,
                          uint32_t ts_recent)
{
    return seq_ge(seg_tsval, ts_recent) && seq_le(seg_seq, last_ack_sent);
}

enum tcp_rst_verdict tcp_rst_check(uint32_t seg_seq, uint32_t rcv_nxt, uint32_t rcv_wnd)
{
    if (seg_seq == rcv_nxt)
        return TCP_RST_ACCEPT;
    if (seq_in_window(seg_seq, rcv_nxt, rcv_wnd))
        return TCP_RST_CHALLENGE_ACK;
    return TCP_RST_IGNORE;
}

bool tcp_syn_sent_ack_acceptable(uint32_t seg_ack, uint32_t iss, uint32_t snd_nxt)
{
    return seq_gt(seg_ack, iss) && seq_le(seg_ack, snd_nxt);
}

bool tcp_syn_received_ack_acceptable(uint32_t seg_ack, uint32_t snd_una, uint32_t snd_nxt)
{
    return seq_gt(seg_ack, snd_una) && seq_le(seg_ack, snd_nxt);
}

bool tcp_time_wait_reuse_ok(const struct tcp_time_wait_info *tw, uint32_t seg_seq, bool seg_has_ts,
                            uint32_t seg_tsval)
{
    if (tw->has_timestamps && seg_has_ts)
        return seq_gt(seg_tsval, tw->ts_recent);
    return seq_gt(seg_seq, tw->rcv_nxt);
}

enum tcp_ack_verdict tcp_ack_check(uint32_t seg_ack, uint32_t snd_una, uint32_t snd_nxt,
                                   uint32_t max_snd_wnd)
{
    if (seq_gt(seg_ack, snd_nxt))
        return TCP_ACK_TOO_NEW;
    if (seq_gt(seg_ack, snd_una))
        return TCP_ACK_NEW;
    if (seg_ack == snd_una)
        return TCP_ACK_DUPLICATE;
    if (snd_una - seg_ack <= max_snd_wnd)
        return TCP_ACK_OLD;
    return TCP_ACK_TOO_OLD;
}

unsigned tcp_sack_blocks_sanitize(struct tcp_sack_block *blocks, unsigned count, uint32_t snd_una,
                                  uint32_t snd_nxt)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < count; i++) {
        struct tcp_sack_block b = blocks[i];
        if (!seq_lt(b.start, b.end) || !seq_gt(b.end, snd_una) || seq_gt(b.end, snd_nxt))
            continue;
        /* A start below SND.UNA with an end above it: the end check bounds the distance, so the
         * block is a real range straddling the cumulative ACK, cut to the unacknowledged part. */
        if (seq_lt(b.start, snd_una))
            b.start = snd_una;
        blocks[kept++] = b;
    }
    return kept;
}

void tcp_challenge_limiter_init(struct tcp_challenge_limiter *l, uint32_t limit_per_second)
{
    l->limit = limit_per_second;
    l->budget = 0;
    l->period_start_ns = 0;
    l->started = false;
}

bool tcp_challenge_ack_allow(struct tcp_challenge_limiter *l, uint64_t now_ns)
{
    if (l->limit == 0)
        return true;
    if (!l->started || now_ns - l->period_start_ns >= TCP_CHALLENGE_ACK_PERIOD_NS) {
        l->started = true;
        l->period_start_ns = now_ns;
        l->budget = l->limit / 2 + random_below(l->limit);
        if (l->budget == 0)
            l->budget = 1; /* a limit of 1 may draw 0; keep at least one reply per period */
    }
    if (l->budget == 0)
        return false;
    l->budget--;
    return true;
}

bool tcp_invalid_ack_allow(uint64_t *next_ns, uint64_t interval_ns, uint64_t now_ns)
{
    if (interval_ns == 0)
        return true;
    if (*next_ns && now_ns < *next_ns)
        return false;
    *next_ns = now_ns + interval_ns;
    return true;
}
