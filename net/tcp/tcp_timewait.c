/*
 * net/tcp/tcp_timewait: TIME_WAIT (RFC 9293 3.6.1) as compact records, apart from the TCBs.
 *
 * When a connection enters TIME_WAIT its TCB (buffers, timers, congestion state) is freed and a
 * record of about 100 bytes keeps what TIME_WAIT is for: re-ACKing a retransmitted FIN (and
 * restarting the 2*MSL wait), judging a new SYN for the 4-tuple (RFC 6191 with timestamps, else
 * RFC 9293 3.10.7.4's sequence rule), PAWS (RFC 7323 5) and RFC 1337's protection (a RST is
 * ignored, so it cannot cut TIME_WAIT short). Records do not count against max_connections; their
 * own table holds at most cfg.max_time_wait and, when full, the oldest record is reused for the
 * new one (Linux's tcp_max_tw_buckets), so a server that closes first is never refused for want
 * of TIME_WAIT room. Records expire in order of age: one stack timer runs at the oldest expiry.
 */
#include "net/tcp/tcp_internal.h"

#include "lib/errno.h"
#include "mm/mm.h"
#include "mm/spare.h"

static void tw_expired(struct timer *t, void *arg);

static struct tcp_stats *tw_stats(struct tcp_stack *ts)
{
    return &ts->layer->stats;
}

static struct list_node *tw_bucket(struct tcp_stack *ts, uint32_t hash)
{
    return &ts->tw_buckets[hash % TCP_TW_HASH_BUCKETS];
}

void tcp_tw_init(struct tcp_stack *ts)
{
    for (unsigned i = 0; i < TCP_TW_HASH_BUCKETS; i++)
        list_init(&ts->tw_buckets[i]);
    list_init(&ts->tw_age);
    ts->tw_count = 0;
    timer_init(&ts->tw_timer, tw_expired, ts);
}

static void tw_unlink(struct tcp_stack *ts, struct tcp_tw *tw)
{
    list_remove(&tw->hash_link);
    list_remove(&tw->age_link);
    ts->tw_count--;
}

/* Records come from the heap, whose new slabs are carved as records are needed (nothing written
 * to a record before it is first handed out), and a few freed ones are kept here for the next
 * TIME_WAIT: a server closing short connections frees one as another enters, and the heap's
 * poisoning on free and check on reuse cost more than the rest of a record's life. Shared by
 * every stack; what is kept is reported to the heap as cached (mm/spare.h) and returned to it by
 * tcp_tw_shutdown. */
#define TCP_TW_SPARE 4u
static struct spare_list spare_records;

static void tw_free(struct tcp_stack *ts, struct tcp_tw *tw)
{
    tw_unlink(ts, tw);
    spare_put(&spare_records, tw, sizeof(*tw), TCP_TW_SPARE);
}

static void tw_timer_rearm(struct tcp_stack *ts);

void tcp_tw_trim(struct tcp_stack *ts)
{
    while (ts->tw_count > ts->cfg.max_time_wait)
        tw_free(ts, list_entry(ts->tw_age.next, struct tcp_tw, age_link));
    tw_timer_rearm(ts);
}

void tcp_tw_shutdown(struct tcp_stack *ts)
{
    timer_cancel(&ts->tw_timer);
    list_for_each_safe(node, &ts->tw_age)
        tw_free(ts, list_entry(node, struct tcp_tw, age_link));
    spare_drain(&spare_records);
}

static void tw_timer_rearm(struct tcp_stack *ts)
{
    if (list_empty(&ts->tw_age)) {
        timer_cancel(&ts->tw_timer);
        return;
    }
    /* A record that became the youngest leaves the oldest, and so the timer, as they were. */
    struct tcp_tw *oldest = list_entry(ts->tw_age.next, struct tcp_tw, age_link);
    if (!timer_armed(&ts->tw_timer) || ts->tw_timer.deadline_ns != oldest->expires_ns)
        timer_arm(&ts->tw_timer, oldest->expires_ns);
}

static void tw_expired(struct timer *t, void *arg)
{
    (void)t;
    struct tcp_stack *ts = arg;
    uint64_t now = tcp_now();
    /* Every record waits the same 2*MSL, so the age list is in expiry order (a changed MSL only
     * delays the records behind a longer-lived one, never shortens a wait). */
    while (!list_empty(&ts->tw_age)) {
        struct tcp_tw *tw = list_entry(ts->tw_age.next, struct tcp_tw, age_link);
        if (tw->expires_ns > now)
            break;
        tw_free(ts, tw);
    }
    tw_timer_rearm(ts);
}

/* (Re)starts the 2*MSL wait: the record becomes the youngest. */
static void tw_restart(struct tcp_stack *ts, struct tcp_tw *tw)
{
    tw->expires_ns = tcp_now() + 2 * ts->cfg.msl_ns;
    list_remove(&tw->age_link);
    list_add_tail(&ts->tw_age, &tw->age_link);
    tw_timer_rearm(ts);
}

struct tcp_tw *tcp_tw_lookup(struct tcp_stack *ts, const struct tcp_endpoints *ep)
{
    return tcp_tw_find(ts, ep, tcp_endpoints_hash(ts, ep));
}

/* Not inlined into its callers: one copy is what the image budget affords. */
__attribute__((noinline)) struct tcp_tw *tcp_tw_find(struct tcp_stack *ts,
                                                const struct tcp_endpoints *ep, uint32_t hash)
{
    struct list_node *bucket = tw_bucket(ts, hash);
    list_for_each(node, bucket) {
        struct tcp_tw *tw = list_entry(node, struct tcp_tw, hash_link);
        if (tcp_same_endpoints(&tw->ep, ep))
            return tw;
    }
    return NULL;
}

/* A record for a new TIME_WAIT: a fresh one while the table has room, else the oldest one. */
static struct tcp_tw *tw_take(struct tcp_stack *ts)
{
    if (ts->tw_count < ts->cfg.max_time_wait || list_empty(&ts->tw_age)) {
        /* Its contents, kept or fresh, are overwritten whole by tcp_enter_time_wait. */
        struct tcp_tw *tw = spare_get(&spare_records, sizeof(*tw));
        if (!tw)
            tw = kmalloc(sizeof(*tw));
        if (tw || list_empty(&ts->tw_age))
            return tw;
    }
    /* Linux's tcp_max_tw_buckets: the oldest TIME_WAIT is given up early. It has already waited
     * the longest, so the segments it guards against are the likeliest to be gone. */
    struct tcp_tw *oldest = list_entry(ts->tw_age.next, struct tcp_tw, age_link);
    tw_unlink(ts, oldest);
    tw_stats(ts)->time_wait_recycled++;
    return oldest;
}

void tcp_enter_time_wait(struct tcp_conn *c)
{
    struct tcp_stack *ts = c->ts;
    if (!ts) {
        tcp_conn_terminate(c, 0);
        return;
    }
    /* The TCB's hash serves the record's bucket (a TCB that was never hashed has none). */
    uint32_t hash = list_node_linked(&c->hash_link) ? c->ep_hash : tcp_endpoints_hash(ts, &c->ep);
    struct tcp_tw *tw = tcp_tw_find(ts, &c->ep, hash);   /* cannot exist with a TCB; be safe */
    if (tw)
        tw_unlink(ts, tw);
    else
        tw = tw_take(ts);
    if (!tw) {
        tw_stats(ts)->time_wait_no_memory++;
        tcp_conn_terminate(c, 0);
        return;
    }
    *tw = (struct tcp_tw){
        .ep = c->ep,
        .snd_nxt = c->snd_nxt,
        .rcv_nxt = c->rcv_nxt,
        .ts_ok = tcp_ts_in_use(c),
        .ts_recent = c->ts_recent,
        .ts_recent_time = c->ts_recent_time,
        .ts_offset = c->ts_offset,
        .rcv_wnd = tcp_window_left(c->rcv_adv, c->rcv_nxt),
        .rcv_wscale = c->rcv_wscale,
        .next_ack_ns = c->next_oow_ack_ns,
    };
    list_add_tail(tw_bucket(ts, hash), &tw->hash_link);
    list_init(&tw->age_link);
    ts->tw_count++;
    tw_stats(ts)->time_wait_entered++;
    tw_restart(ts, tw);
    tcp_conn_terminate(c, 0);
}

bool tcp_endpoints_taken(struct tcp_stack *ts, const struct tcp_endpoints *ep, uint32_t *hash,
                         uint64_t *wire_hash)
{
    uint64_t h[2];
    tcp_endpoints_siphash(&ts->isn_secret, ep, h);
    *hash = (uint32_t)h[0];
    *wire_hash = h[1];
    return tcp_conn_find(ts, ep, *hash) || tcp_tw_find(ts, ep, *hash);
}

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> from the record (RFC 9293 3.10.7.4, TIME-WAIT). */
static void tw_send_ack(struct tcp_stack *ts, const struct tcp_tw *tw)
{
    struct tcp_options o = { 0 };
    if (tcp_tw_ts_in_use(tw)) {
        o.present = TCP_OPTF_TIMESTAMPS;
        o.ts_val = tcp_ts_clock(tcp_now()) + tw->ts_offset;
        o.ts_ecr = tw->ts_recent;
    }
    uint32_t field = tw->rcv_wnd >> tw->rcv_wscale;
    tcp_send_raw(ts, &tw->ep, tw->snd_nxt, tw->rcv_nxt, TCP_FLAG_ACK,
                 (uint16_t)(field > 0xffff ? 0xffff : field), &o, NULL, 0, 0);
}

/* An ACK answering an invalid segment, at most one per invalid_ack_interval (RFC 5961 10). */
static void tw_invalid_ack(struct tcp_stack *ts, struct tcp_tw *tw)
{
    if (!tcp_invalid_ack_allow(&tw->next_ack_ns, ts->cfg.invalid_ack_interval_ns, tcp_now())) {
        tw_stats(ts)->rx_invalid_ack_throttled++;
        return;
    }
    tw_send_ack(ts, tw);
}

/* RFC 6191 / RFC 9293 3.10.7.4: a SYN may open a new incarnation. True when it did. */
static bool tw_syn(struct tcp_stack *ts, struct tcp_tw *tw, struct tcp_segment *seg)
{
    struct tcp_time_wait_info info = { .rcv_nxt = tw->rcv_nxt, .has_timestamps = tcp_tw_ts_in_use(tw),
                                       .ts_recent = tw->ts_recent };
    bool seg_ts = seg->opts.present & TCP_OPTF_TIMESTAMPS;
    if (!tcp_time_wait_reuse_ok(&info, seg->h.seq, seg_ts, seg->opts.ts_val))
        return false;
    struct tcp_listener *l = tcp_listener_lookup(ts, tw->ep.local_port);
    if (!l || l->closed)
        return false;
    tw_stats(ts)->rx_timewait_reuse++;
    tw_free(ts, tw);
    tw_timer_rearm(ts);
    tcp_listen_input(l, seg);
    return true;
}

void tcp_tw_input(struct tcp_stack *ts, struct tcp_tw *tw, struct tcp_segment *seg)
{
    struct tcp_stats *st = tw_stats(ts);
    uint8_t f = seg->h.flags;
    /* RFC 1337 (TIME-WAIT assassination, fix TWA1): a RST would end TIME_WAIT early and let an old
     * duplicate reach a new incarnation; it is ignored. */
    if (f & TCP_FLAG_RST) {
        st->rx_timewait_rst_ignored++;
        return;
    }
    if ((f & TCP_FLAG_SYN) && !(f & TCP_FLAG_ACK)) {
        if (tw_syn(ts, tw, seg))
            return;
        /* RFC 5961 4.2: otherwise a SYN gets an ACK telling where we stand. */
        st->rx_syn_challenged++;
        tw_invalid_ack(ts, tw);
        return;
    }
    bool seg_ts = seg->opts.present & TCP_OPTF_TIMESTAMPS;
    if (tcp_tw_ts_in_use(tw) && seg_ts &&
        tcp_paws_reject(seg->opts.ts_val, tw->ts_recent, tcp_now() - tw->ts_recent_time, false)) {
        st->rx_paws_rejected++;                  /* RFC 7323 5.3 R1 */
        tw_invalid_ack(ts, tw);
        return;
    }
    if (!(f & TCP_FLAG_ACK)) {
        st->rx_no_ack_flag++;
        return;
    }
    /* RFC 9293 3.10.7.4 (TIME-WAIT): the peer's FIN again (our ACK was lost): acknowledge it and
     * restart the 2*MSL wait. */
    if ((f & TCP_FLAG_FIN) && seg->h.seq + seg->len + 1 == tw->rcv_nxt) {
        st->rx_timewait_fin_acked++;
        if (tcp_tw_ts_in_use(tw) && seg_ts) {
            tw->ts_recent = seg->opts.ts_val;
            tw->ts_recent_time = tcp_now();
        }
        tw_send_ack(ts, tw);
        tw_restart(ts, tw);
        return;
    }
    if (seg->seg_len) {
        /* Anything else occupying sequence space is old or misdirected: repeat our ACK. */
        st->rx_timewait_acked++;
        tw_invalid_ack(ts, tw);
        return;
    }
    st->rx_timewait_dropped++;                   /* a bare ACK: nothing to answer */
}
