/*
 * net/tcp_rack: RACK time-based loss detection (RFC 8985 6) over a list of the outstanding
 * segments and when each was last sent. See net/tcp/tcp_rack.h for the call protocol.
 * An image without RACK (NET_FEATURE_RACK, net/wire/features.h) never gives a connection a RACK
 * (tcp_conn_established), and the kernel image links none of this (RACK_IN_IMAGE).
 */
#include "net/tcp/tcp_rack.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "net/wire/features.h"
#include "mm/spare.h"
#include "net/wire/tcp_seq.h"

/* RFC 8985 6.2 step 4: how many recoveries a grown reordering window lasts. */
#define RACK_REO_WND_PERSIST 16u
#define RACK_REO_WND_MULT_MAX 16u

/* Only a connection with a RACK reaches the entry points below, and it has one only in an image
 * with RACK (tcp_conn_established). Testing the feature here again lets the kernel image's
 * link-time optimization drop their bodies; elsewhere the test would only cost time. */
#ifdef XENOLITH_KERNEL
#define RACK_IN_IMAGE() net_feature(NET_FEATURE_RACK)
#else
#define RACK_IN_IMAGE() true
#endif

void tcp_rack_init(struct tcp_rack *r)
{
    tcp_rack_destroy(r);
    memset(r, 0, sizeof(*r));
    r->reo_wnd_mult = 1;
}

void tcp_rack_on_recovery(struct tcp_rack *r)
{
    if (!RACK_IN_IMAGE())
        return;
    if (r->reo_wnd_persist && --r->reo_wnd_persist == 0)
        r->reo_wnd_mult = 1;
}

/* A retransmission proved unnecessary: the network reorders (or delays) more than reo_wnd
 * allowed. RFC 8985 6.2 step 4 grows the window on D-SACK; the early delivery of a resent
 * segment's original is the same evidence without needing the peer's D-SACK. */
static void spurious_repair(struct tcp_rack *r, uint64_t now_ns)
{
    r->spurious++;
    r->reordering_seen = true;
    if (r->reo_wnd_grown_ns && now_ns - r->reo_wnd_grown_ns < r->rtt_ns)
        return;
    r->reo_wnd_grown_ns = now_ns;
    if (r->reo_wnd_mult < RACK_REO_WND_MULT_MAX)
        r->reo_wnd_mult++;
    r->reo_wnd_persist = RACK_REO_WND_PERSIST;
}

/* Record tables of the first size freed by one connection are kept for the next, up to a few:
 * every connection makes one with its SYN, and the heap's poisoning on free and check on
 * allocation cost more than the few records a short connection uses. */
#define SPARE_TABLE_BYTES (TCP_RACK_INITIAL_SEGS * sizeof(struct tcp_rack_seg))
#define RACK_SPARE_TABLES 4u
static struct spare_list spare_tables;

void tcp_rack_cache_drain(void)
{
    spare_drain(&spare_tables);
}

void tcp_rack_destroy(struct tcp_rack *r)
{
    if (r->cap == TCP_RACK_INITIAL_SEGS)
        spare_put(&spare_tables, r->segs, SPARE_TABLE_BYTES, RACK_SPARE_TABLES);
    else
        kfree(r->segs);
    r->segs = NULL;
    r->count = r->cap = 0;
}

static bool grow(struct tcp_rack *r)
{
    if (r->count < r->cap)
        return true;
    if (r->cap >= TCP_RACK_MAX_SEGS)
        return false;
    unsigned cap = r->cap ? r->cap * 2 : TCP_RACK_INITIAL_SEGS;
    struct tcp_rack_seg *segs;
    segs = r->cap ? NULL : spare_get(&spare_tables, SPARE_TABLE_BYTES);
    if (!segs)
        segs = krealloc(r->segs, cap * sizeof(*segs));
    if (!segs)
        return false;
    r->segs = segs;
    r->cap = cap;
    return true;
}

static void set_lost(struct tcp_rack *r, struct tcp_rack_seg *s, bool lost)
{
    if (lost == !!(s->flags & TCP_RACK_LOST))
        return;
    if (lost) {
        s->flags |= TCP_RACK_LOST;
        r->lost_bytes += s->end - s->start;
    } else {
        s->flags &= (uint8_t)~TCP_RACK_LOST;
        r->lost_bytes -= s->end - s->start;
    }
}

/* Cuts record i in two at seq (strictly inside it); false when no room (records unchanged). */
static bool split(struct tcp_rack *r, unsigned i, uint32_t seq)
{
    if (!grow(r))
        return false;
    memmove(&r->segs[i + 1], &r->segs[i], (r->count - i) * sizeof(r->segs[0]));
    r->count++;
    r->segs[i].end = seq;
    r->segs[i + 1].start = seq;
    return true;
}

/* The first record whose end lies above seq (records are ordered and disjoint). */
static unsigned first_ending_above(const struct tcp_rack *r, uint32_t seq)
{
    unsigned lo = 0, hi = r->count;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (seq_le(r->segs[mid].end, seq))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void tcp_rack_on_send(struct tcp_rack *r, uint32_t start, uint32_t end, bool retransmission,
                      uint64_t now_ns)
{
    if (!RACK_IN_IMAGE())
        return;
    if (!seq_lt(start, end))
        return;
    struct tcp_rack_seg *last = r->count ? &r->segs[r->count - 1] : NULL;
    if (!last || seq_ge(start, last->end)) {
        if (grow(r)) {
            r->segs[r->count++] = (struct tcp_rack_seg){start, end, now_ns, 0};
        } else if (last) {
            /* No room: the newest record grows; its data is judged by the newer time. */
            last->end = end;
            last->xmit_ns = now_ns;
        }
        return;
    }
    (void)retransmission;        /* anything overlapping records is a retransmission */
    for (unsigned i = first_ending_above(r, start); i < r->count && seq_lt(r->segs[i].start, end);
         i++) {
        struct tcp_rack_seg *s = &r->segs[i];
        if (seq_lt(s->start, start)) {
            if (!split(r, i, start))
                break;
            continue;            /* the upper half is examined next */
        }
        if (seq_gt(s->end, end) && !split(r, i, end)) {
            /* Cannot split: the whole record counts as resent (its tail is judged later). */
        }
        s = &r->segs[i];
        set_lost(r, s, false);
        s->flags |= TCP_RACK_RETRANS;
        s->flags &= (uint8_t)~TCP_RACK_SACKED;
        s->xmit_ns = now_ns;
    }
    if (seq_gt(end, r->segs[r->count - 1].end))
        tcp_rack_on_send(r, r->segs[r->count - 1].end, end, false, now_ns);
}

/* RFC 8985 6.2 steps 2-3 for one segment just delivered. */
static void delivered(struct tcp_rack *r, const struct tcp_rack_seg *s, uint64_t now_ns)
{
    uint64_t rtt = now_ns > s->xmit_ns ? now_ns - s->xmit_ns : 0;
    bool retrans = s->flags & TCP_RACK_RETRANS;
    /* Step 3: delivered below the highest delivered end without a retransmission: the
     * network reordered it. */
    if (r->have_delivered && seq_lt(s->end, r->fack) && !retrans) {
        r->reordering_seen = true;
        r->reorderings++;
    }
    if (!r->have_delivered || seq_gt(s->end, r->fack))
        r->fack = s->end;
    /* Step 2: a retransmitted segment delivered sooner than the minimum RTT was the original
     * arriving late: its time says nothing about what was sent after it. */
    if (retrans && (r->min_rtt_ns == 0 || rtt < r->min_rtt_ns)) {
        if (r->min_rtt_ns)
            spurious_repair(r, now_ns);
        return;
    }
    r->rtt_ns = rtt;
    if (!retrans && (r->min_rtt_ns == 0 || rtt < r->min_rtt_ns))
        r->min_rtt_ns = rtt ? rtt : 1;
    if (!r->have_delivered || s->xmit_ns > r->xmit_ns ||
        (s->xmit_ns == r->xmit_ns && seq_gt(s->end, r->end_seq))) {
        r->xmit_ns = s->xmit_ns;
        r->end_seq = s->end;
    }
    r->have_delivered = true;
}

void tcp_rack_on_ack(struct tcp_rack *r, uint32_t snd_una, const struct tcp_sack_block *blocks,
                     unsigned nblocks, const struct tcp_scoreboard *sb, uint64_t now_ns)
{
    if (!RACK_IN_IMAGE())
        return;
    /* Cumulatively acknowledged records: delivered unless SACKed before; then forgotten. */
    unsigned drop = 0;
    while (drop < r->count && seq_le(r->segs[drop].end, snd_una)) {
        struct tcp_rack_seg *s = &r->segs[drop];
        if (!(s->flags & TCP_RACK_SACKED))
            delivered(r, s, now_ns);
        set_lost(r, s, false);
        drop++;
    }
    if (drop) {
        memmove(r->segs, r->segs + drop, (r->count - drop) * sizeof(r->segs[0]));
        r->count -= drop;
    }
    if (r->count && seq_lt(r->segs[0].start, snd_una)) {
        struct tcp_rack_seg *s = &r->segs[0];
        bool lost = s->flags & TCP_RACK_LOST;
        set_lost(r, s, false);
        s->start = snd_una;
        set_lost(r, s, lost);
    }
    /* Records the blocks of this ACK cover entirely are delivered by SACK. */
    for (unsigned b = 0; b < nblocks && blocks; b++) {
        for (unsigned i = first_ending_above(r, blocks[b].start);
             i < r->count && seq_lt(r->segs[i].start, blocks[b].end); i++) {
            struct tcp_rack_seg *s = &r->segs[i];
            if ((s->flags & TCP_RACK_SACKED) || tcp_scoreboard_unsacked(sb, s->start, s->end))
                continue;
            delivered(r, s, now_ns);
            set_lost(r, s, false);
            s->flags |= TCP_RACK_SACKED;
        }
    }
}

uint64_t tcp_rack_reo_wnd(const struct tcp_rack *r, bool in_recovery, uint64_t srtt_ns,
                          unsigned sacked_segments)
{
    if (!RACK_IN_IMAGE())
        return 0;
    /* RFC 8985 6.2 step 4: without evidence of reordering, a loss is a loss once recovery is
     * under way or DupThresh segments were SACKed above it; otherwise a quarter of the
     * minimum RTT, never more than SRTT. */
    if (!r->reordering_seen && (in_recovery || sacked_segments >= TCP_SACK_DUPTHRESH))
        return 0;
    uint64_t wnd = r->reo_wnd_mult * r->min_rtt_ns / 4;
    if (srtt_ns && wnd > srtt_ns)
        wnd = srtt_ns;
    return wnd;
}

/* RFC 8985 6.2: was segment (t1, s1) sent after (t2, s2)? */
static bool sent_after(uint64_t t1, uint32_t s1, uint64_t t2, uint32_t s2)
{
    return t1 > t2 || (t1 == t2 && seq_gt(s1, s2));
}

uint64_t tcp_rack_detect(struct tcp_rack *r, uint64_t reo_wnd_ns, uint64_t now_ns,
                         unsigned *newly_lost)
{
    *newly_lost = 0;
    if (!RACK_IN_IMAGE() || !r->have_delivered)
        return 0;
    uint64_t timeout = 0;
    for (unsigned i = 0; i < r->count; i++) {
        struct tcp_rack_seg *s = &r->segs[i];
        if (s->flags & (TCP_RACK_SACKED | TCP_RACK_LOST))
            continue;
        if (!sent_after(r->xmit_ns, r->end_seq, s->xmit_ns, s->end))
            continue;
        uint64_t expires = s->xmit_ns + r->rtt_ns + reo_wnd_ns;
        if (expires <= now_ns) {
            set_lost(r, s, true);
            r->marked_lost++;
            if (s->flags & TCP_RACK_RETRANS)
                r->lost_retransmissions++;
            (*newly_lost)++;
        } else if (expires - now_ns > timeout) {
            timeout = expires - now_ns;
        }
    }
    return timeout;
}

bool tcp_rack_next_lost(const struct tcp_rack *r, uint32_t *seq, uint32_t *len)
{
    if (!RACK_IN_IMAGE()) {
        *seq = *len = 0;             /* gcc cannot tell the outputs are read only after true */
        return false;
    }
    if (!r->lost_bytes)
        return false;
    for (unsigned i = 0; i < r->count; i++) {
        if (r->segs[i].flags & TCP_RACK_LOST) {
            *seq = r->segs[i].start;
            *len = r->segs[i].end - r->segs[i].start;
            return true;
        }
    }
    return false;
}

uint32_t tcp_rack_lost_in_pipe(const struct tcp_rack *r, const struct tcp_scoreboard *sb)
{
    if (!RACK_IN_IMAGE())
        return 0;
    if (!r->lost_bytes)
        return 0;
    uint32_t bytes = 0;
    for (unsigned i = 0; i < r->count; i++)
        if (r->segs[i].flags & TCP_RACK_LOST)
            bytes += tcp_scoreboard_pipe_range(sb, r->segs[i].start, r->segs[i].end);
    return bytes;
}

void tcp_rack_on_rto(struct tcp_rack *r)
{
    if (!RACK_IN_IMAGE())
        return;
    for (unsigned i = 0; i < r->count; i++)
        r->segs[i].flags &= (uint8_t)~(TCP_RACK_LOST | TCP_RACK_SACKED);
    r->lost_bytes = 0;
}
