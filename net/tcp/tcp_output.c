/*
 * net/tcp/tcp_output: building and sending segments. Data segments are cut from the send buffer at
 * most one effective MSS long (RFC 9293 3.7.1, RFC 6691: the peer's MSS clamped to the path MTU,
 * minus the options every segment carries), within min(peer window, cwnd), with Nagle's algorithm
 * (RFC 896, RFC 9293 3.7.4) unless TCP_SOCKOPT_NODELAY and sender-side silly window avoidance
 * (RFC 9293 3.8.6.2.1). Every segment carries an ACK (once synchronized), timestamps when
 * negotiated (RFC 7323 3.2) and SACK blocks when out-of-order data is held (RFC 2018 4). The
 * checksum is left to the device when it offers NETDEV_CAP_TX_CSUM. IP's DF bit is set when the
 * image has path MTU discovery (RFC 1191), which lowers the MSS when a router says a segment was
 * too big; an image without it leaves DF clear so a narrower path fragments instead of dropping.
 *
 * A payload is copied once, from the send buffer into the frame; the header is written into the
 * headroom in front of it. On a device with NETDEV_CAP_TSO (and TX_CSUM), consecutive full-MSS
 * pieces of new data that congestion control, the peer's window and Nagle let go in one
 * tcp_output pass leave as one TSO frame of up to 64 KiB with gso_size = MSS; retransmissions
 * always go by single segments, and the per-segment bookkeeping (RTT, RACK, SACK scoreboard) is
 * done per MSS piece as if each had been sent on its own.
 */
#include "net/tcp/tcp_internal.h"

#include "lib/byteorder.h"
#include "lib/checksum.h"
#include "lib/errno.h"
#include "lib/minmax.h"
#include "lib/string.h"
#include "mm/pbuf.h"
#include "net/link/ethernet.h"
#include "net/wire/features.h"
#include "platform/netdev.h"

/* The window we advertise, after receiver silly window avoidance (RFC 9293 3.8.6.2.2): the right
 * edge moves forward only by at least min(buffer / 2, MSS), and never moves back. */
uint32_t tcp_rcv_window(struct tcp_conn *c)
{
    size_t cap = c->rcvbuf.chunks ? c->rcvbuf.capacity : 0;
    size_t free_bytes = cap > c->rcv_ready ? cap - c->rcv_ready : 0;
    if (c->rd_shut && !c->user_owned)
        free_bytes = cap;
    uint32_t max_window = tcp_ws_in_use(c) ? TCP_MAX_WINDOW : 0xffff;
    if (free_bytes > max_window)
        free_bytes = max_window;
    uint32_t offered = tcp_window_left(c->rcv_adv, c->rcv_nxt);
    uint32_t step = min((uint32_t)(cap / 2), (uint32_t)(c->adv_mss ? c->adv_mss : TCP_DEFAULT_MSS));
    if (free_bytes >= (size_t)offered + step || free_bytes == cap)
        return (uint32_t)max((size_t)offered, free_bytes);
    return offered;
}

static uint16_t window_field(struct tcp_conn *c, bool syn)
{
    uint32_t wnd = tcp_rcv_window(c);
    uint16_t field;
    if (syn) {
        /* RFC 7323 2.2: the window in a SYN is never scaled. */
        field = wnd > 0xffff ? 0xffff : (uint16_t)wnd;
        wnd = field;
    } else {
        field = tcp_window_field(wnd, c->rcv_wscale);
        /* tcp_window_field rounds up; never offer beyond the buffer. */
        if (((uint32_t)field << c->rcv_wscale) > wnd && field > 0 &&
            ((uint32_t)field << c->rcv_wscale) > c->rcvbuf.capacity - c->rcv_ready)
            field--;
        wnd = (uint32_t)field << c->rcv_wscale;
    }
    uint32_t edge = c->rcv_nxt + wnd;
    if (seq_gt(edge, c->rcv_adv) || c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED)
        c->rcv_adv = edge;
    c->stats.rcv_wnd = wnd;
    return field;
}

static void fill_options(struct tcp_conn *c, bool syn, struct tcp_options *o)
{
    memset(o, 0, sizeof(*o));
    const struct tcp_config *cfg = &c->ts->cfg;
    bool synack = c->state == TCPS_SYN_RECEIVED;
    if (syn) {
        o->present |= TCP_OPTF_MSS;
        o->mss = c->adv_mss;
        if (synack ? tcp_ws_in_use(c) : net_feature(NET_FEATURE_WSCALE) && cfg->window_scaling) {
            o->present |= TCP_OPTF_WSCALE;
            o->wscale = c->rcv_wscale;
        }
        if (synack ? tcp_sack_in_use(c) : net_feature(NET_FEATURE_SACK) && cfg->sack)
            o->present |= TCP_OPTF_SACK_PERMITTED;
        if (synack ? tcp_ts_in_use(c) : net_feature(NET_FEATURE_TIMESTAMPS) && cfg->timestamps) {
            o->present |= TCP_OPTF_TIMESTAMPS;
            o->ts_val = tcp_tsval(c);
            o->ts_ecr = synack ? c->ts_recent : 0;
        }
        return;
    }
    if (tcp_ts_in_use(c)) {
        o->present |= TCP_OPTF_TIMESTAMPS;
        o->ts_val = tcp_tsval(c);
        o->ts_ecr = c->ts_recent;
    }
    if (tcp_sack_in_use(c) && net_feature_and(NET_FEATURE_OOO, c->ooo.count != 0)) {
        o->sack_count = (uint8_t)tcp_sack_rx_blocks(&c->sack_rx, o->sack,
                                                    tcp_sack_blocks_room(tcp_ts_in_use(c)));
        if (o->sack_count)
            o->present |= TCP_OPTF_SACK;
    }
}

/* Copies data_len bytes of the send buffer from data_off straight into p's segments from `at` on:
 * the one copy a transmitted byte costs. */
static void fill_payload(const struct tcp_buf *sndbuf, uint32_t data_off, struct pbuf *p,
                         uint32_t at, uint32_t data_len)
{
    for (struct pbuf *seg = p; seg && data_len; seg = seg->next) {
        if (at >= seg->len) {
            at -= seg->len;
            continue;
        }
        uint32_t n = min(seg->len - at, data_len);
        tcp_buf_read(sndbuf, data_off, seg->data + at, n);
        data_off += n;
        data_len -= n;
        at = 0;
    }
}

/* tcp_send_raw with gso_size: 0 for one segment, else the payload of each segment the device cuts
 * this TSO frame into (NETDEV_CAP_TSO; the frame then carries segs of them). */
static int send_frame(struct tcp_stack *ts, const struct tcp_endpoints *ep, uint32_t seq,
                      uint32_t ack, uint8_t flags, uint16_t window, const struct tcp_options *opts,
                      struct tcp_conn *c, uint32_t data_off, uint32_t data_len, uint16_t gso_size)
{
    struct tcp_layer *tcp = ts->layer;
    struct tcp_options none;
    if (!opts) {
        memset(&none, 0, sizeof(none));
        opts = &none;
    }
    struct tcp_header h = {
        .src_port = ep->local_port, .dst_port = ep->remote_port, .seq = seq, .ack = ack,
        .flags = flags, .window = window,
    };
    uint8_t hdr[TCP_HEADER_MAX];
    size_t hlen = tcp_build_header(hdr, &h, opts);
    /* The payload goes in once, the header into the headroom in front of it. */
    struct pbuf *p = pbuf_alloc(tcp->ip->eth->pool, data_len);
    if (!p) {
        tcp->stats.tx_no_buffers++;
        return -ENOBUFS;
    }
    if (data_len)
        fill_payload(&c->sndbuf, data_off, p, 0, data_len);
    uint8_t *th = pbuf_push(p, hlen);   /* a fresh packet has PBUF_HEADROOM for it */
    memcpy(th, hdr, hlen);
    uint32_t segs = 1;
    if (gso_size && data_len > gso_size) {
        p->gso_size = gso_size;
        segs = (data_len + gso_size - 1u) / gso_size;
        p->gso_segs = (uint16_t)segs;
    }
    struct csum sum;
    csum_init(&sum);
    uint16_t total = (uint16_t)(hlen + data_len);
    ipv4_csum_add_pseudo(&sum, ep->local_ip, ep->remote_ip, IPV4_PROTO_TCP, total);
    if ((tcp->ip->eth->dev->caps & NETDEV_CAP_TX_CSUM) &&
        (p->gso_size || IPV4_HEADER_MIN + total <= ipv4_path_mtu(tcp->ip, ep->remote_ip))) {
        /* The device completes it from the pseudo-header sum (platform/netdev.h); a TSO device
         * completes every segment's. */
        store_be16(th + 16, csum_sum16(&sum));
        p->flags |= PBUF_F_CSUM_PARTIAL;
        p->csum_start = IPV4_HEADER_MIN;
        p->csum_offset = 16;
    } else {
        ipv4_csum_add_pbuf(&sum, p, 0, total);
        store_be16(th + 16, csum_finish(&sum));
    }
    struct ipv4_tx tx = { .src = ep->local_ip, .dst = ep->remote_ip, .protocol = IPV4_PROTO_TCP,
                          .dont_fragment = net_feature(NET_FEATURE_PMTU) };
    int err = ipv4_output(tcp->ip, p, &tx);
    if (err == -EMSGSIZE) {
        tcp->stats.tx_errors++;
        if (c)
            tcp_pmtu_changed(c);
        return err;
    }
    if (err) {
        /* Refused below us (link down, no route, device queue full): treated like a loss on the
         * wire, so the retransmission timer runs and the retry limits or the user timeout decide
         * when to give up, instead of the data waiting with no timer at all. */
        tcp->stats.tx_errors++;
    } else {
        tcp->stats.tx_segments += segs;
        if (data_len)
            tcp->stats.tx_data_segments += segs;
        if (flags & TCP_FLAG_RST)
            tcp->stats.tx_rst++;
    }
    if (c) {
        c->stats.segs_out += segs;
        if (flags & TCP_FLAG_ACK) {
            c->last_ack_sent = ack;
            c->ack_pending = false;
            c->unacked_segs = 0;
            tcp_timer_clear(c, TCP_TIMER_DELACK);
        }
    }
    return 0;
}

int tcp_send_raw(struct tcp_stack *ts, const struct tcp_endpoints *ep, uint32_t seq, uint32_t ack,
                 uint8_t flags, uint16_t window, const struct tcp_options *opts,
                 struct tcp_conn *c, uint32_t data_off, uint32_t data_len)
{
    return send_frame(ts, ep, seq, ack, flags, window, opts, c, data_off, data_len, 0);
}

/* One segment of c: seq, flags, and data_len bytes from the send buffer at seq; or, with gso_size,
 * a TSO frame of data_len bytes the device cuts into segments of gso_size. */
static int send_segment(struct tcp_conn *c, uint32_t seq, uint8_t flags, uint32_t data_len,
                        uint16_t gso_size)
{
    bool syn = flags & TCP_FLAG_SYN;
    struct tcp_options o;
    fill_options(c, syn, &o);
    /* RFC 6691: options come out of the MSS. c->mss already leaves room for timestamps; SACK
     * blocks beyond that room are dropped (the oldest first) rather than exceed the path. Every
     * segment of a TSO frame carries the same options in front of gso_size bytes. */
    uint32_t limit = c->mss + (tcp_ts_in_use(c) ? 12u : 0u);
    uint32_t seg_len = gso_size && data_len > gso_size ? gso_size : data_len;
    while (!syn && o.sack_count && tcp_options_len(&o, false) + seg_len > limit)
        o.sack_count--;
    if (!o.sack_count)
        o.present &= (uint8_t)~TCP_OPTF_SACK;
    if (c->state != TCPS_SYN_SENT)
        flags |= TCP_FLAG_ACK;
    uint16_t wnd = window_field(c, syn);
    uint32_t off = seq - c->snd_buf_seq;
    return send_frame(c->ts, &c->ep, seq, (flags & TCP_FLAG_ACK) ? c->rcv_nxt : 0, flags, wnd,
                      &o, c, off, data_len, gso_size);
}

void tcp_send_ack(struct tcp_conn *c)
{
    if (!c->ts || c->state == TCPS_CLOSED || c->state == TCPS_SYN_SENT)
        return;
    send_segment(c, c->snd_nxt, 0, 0, 0);
}

void tcp_send_syn(struct tcp_conn *c)
{
    bool retransmission = c->snd_nxt != c->iss;
    if (retransmission)
        c->syn_retransmitted = true;
    if (send_segment(c, c->iss, TCP_FLAG_SYN, 0, 0) == 0 && retransmission) {
        c->stats.retransmits++;
        c->ts->layer->stats.tx_retransmits++;
    }
    c->snd_nxt = c->iss + 1;
    tcp_rtt_on_send(&c->rtt, c->iss + 1, retransmission, tcp_now());
    if (!tcp_timer_pending(c, TCP_TIMER_RTX))
        tcp_rtx_arm(c);
}

void tcp_send_probe(struct tcp_conn *c)
{
    struct tcp_options o;
    fill_options(c, false, &o);
    tcp_send_raw(c->ts, &c->ep, c->snd_una - 1, c->rcv_nxt, TCP_FLAG_ACK, window_field(c, false),
                 &o, c, 0, 0);
}

void tcp_send_rst_conn(struct tcp_conn *c)
{
    if (!c->ts)
        return;
    /* RFC 9293 3.10.5 (abort): <SEQ=SND.NXT><CTL=RST>. */
    tcp_send_raw(c->ts, &c->ep, c->snd_nxt, 0, TCP_FLAG_RST, 0, NULL, NULL, 0, 0);
}

/* Not inlined: a cold path with several callers. */
__attribute__((noinline)) void tcp_send_rst_reply(struct tcp_stack *ts, const struct tcp_segment *seg)
{
    struct tcp_endpoints ep = { .local_ip = seg->dst, .remote_ip = seg->src,
                                .local_port = seg->h.dst_port, .remote_port = seg->h.src_port };
    /* RFC 9293 3.10.7.1: if the segment had an ACK, <SEQ=SEG.ACK><CTL=RST>, otherwise
     * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
    if (seg->h.flags & TCP_FLAG_ACK)
        tcp_send_raw(ts, &ep, seg->h.ack, 0, TCP_FLAG_RST, 0, NULL, NULL, 0, 0);
    else
        tcp_send_raw(ts, &ep, 0, seg->h.seq + seg->seg_len, TCP_FLAG_RST | TCP_FLAG_ACK, 0, NULL,
                     NULL, 0, 0);
}

static bool can_send_data(const struct tcp_conn *c)
{
    switch (c->state) {
    case TCPS_ESTABLISHED:
    case TCPS_CLOSE_WAIT:
    case TCPS_FIN_WAIT_1:
    case TCPS_CLOSING:
    case TCPS_LAST_ACK:
        return true;
    default:
        return false;
    }
}

static uint32_t data_end(const struct tcp_conn *c)
{
    return c->snd_buf_seq + (uint32_t)c->snd_queued;
}

/* The most payload one TSO frame may carry: its Ethernet frame must fit the 16-bit length of a
 * netfront request (the strictest TSO device) with the largest IPv4 and TCP headers. */
#define TCP_TSO_MAX_PAYLOAD \
    (0xffffu - NETDEV_ETH_HEADER_LEN - IPV4_HEADER_MIN - TCP_HEADER_MAX)

/* New data gathered by tcp_output's loop into one TSO frame: [seq, seq + len). */
struct tcp_tso_run {
    uint32_t seq, len;
};

/* The most payload a TSO frame of segments of mss bytes may carry on a device with dev_caps (a
 * whole number of segments), 0 when the device cannot take TSO frames or the image has no TSO
 * (net/wire/features.h). The device needs the checksum offload too: it completes every
 * segment's checksum. */
static uint32_t tso_limit(uint32_t mss, uint32_t dev_caps)
{
    const uint32_t needed = NETDEV_CAP_TSO | NETDEV_CAP_TX_CSUM;
    if (!net_feature(NET_FEATURE_TSO) || (dev_caps & needed) != needed || mss == 0 || mss > 0xffffu)
        return 0;
    uint32_t most = TCP_TSO_MAX_PAYLOAD / mss * mss;
    return most > mss ? most : 0;
}

/* Sends the gathered run as one frame (a TSO frame when it holds more than one MSS). Its sequence
 * space was already accounted as sent, segment by segment: if the frame cannot go, that is a loss
 * on the wire and the timers repair it, as for a segment refused below IP. */
static int flush_run(struct tcp_conn *c, struct tcp_tso_run *run)
{
    if (run->len == 0)
        return 0;
    uint8_t flags = run->seq + run->len == data_end(c) ? TCP_FLAG_PSH : 0;
    int err = send_segment(c, run->seq, flags, run->len, (uint16_t)c->mss);
    run->len = 0;
    return err;
}

/* Whether a new-data piece [seq, seq+len) may join the run: contiguous with it, every piece before
 * it a full MSS (so the device's cuts fall where ours would) and the whole within the limit. */
static bool joins_run(const struct tcp_conn *c, const struct tcp_tso_run *run, uint32_t seq,
                      uint32_t len, uint32_t limit)
{
    return run->len && run->seq + run->len == seq && run->len % c->mss == 0 &&
           run->len + len <= limit;
}

/* Sends up to `room` sequence numbers from seq: data from the buffer, then the FIN if it is queued
 * and comes next. With a run (tcp_output on a TSO device), a piece of new data joins it instead,
 * to go out as one TSO frame when the run is flushed; the accounting below is still per piece
 * (per MSS), so RTT, RACK and the scoreboard see the segments the device will put on the wire.
 * Returns the sequence space sent (0 when nothing could go). */
static uint32_t transmit(struct tcp_conn *c, uint32_t seq, uint32_t room, struct tcp_tso_run *run)
{
    uint32_t end_of_data = data_end(c);
    uint32_t len = seq_lt(seq, end_of_data) ? min(end_of_data - seq, min(room, c->mss)) : 0;
    bool fin = c->fin_queued && seq + len == end_of_data && len < room;
    if (len == 0 && !fin)
        return 0;
    bool retransmission = seq_lt(seq, c->snd_nxt);
    uint32_t limit = run ? tso_limit(c->mss, c->ts->layer->ip->eth->dev->caps) : 0;
    bool gather = limit && len && !fin && !retransmission;
    if (run && run->len && !(gather && joins_run(c, run, seq, len, limit)) && flush_run(c, run))
        return 0;
    if (gather) {
        if (run->len == 0)
            run->seq = seq;
        run->len += len;
    } else {
        uint8_t flags = fin ? TCP_FLAG_FIN : 0;
        if (len && seq + len == end_of_data)
            flags |= TCP_FLAG_PSH;
        if (send_segment(c, seq, flags, len, 0))
            return 0;
    }
    uint32_t end = seq + len + (fin ? 1 : 0);
    if (retransmission) {
        c->stats.retransmits++;
        c->stats.bytes_retransmitted += len;
        c->ts->layer->stats.tx_retransmits++;
    } else {
        c->stats.bytes_sent += len;
    }
    if (fin)
        c->fin_sent = true;
    if (seq_gt(end, c->snd_nxt))
        c->snd_nxt = end;
    tcp_rtt_on_send(&c->rtt, end, retransmission, tcp_now());
    if (c->cc.rack)
        tcp_rack_on_send(&c->rack, seq, end, retransmission, tcp_now());
    if (!tcp_timer_pending(c, TCP_TIMER_RTX) || c->persist) {
        c->persist = false;
        tcp_rtx_arm(c);
    } else if (!retransmission) {
        tcp_tlp_rearm(c);        /* RFC 8985 7.2: the probe timeout restarts with new data */
    }
    return end - seq;
}

/* Sequence space queued beyond SND.NXT (a FIN not yet sent counts as one). */
static uint32_t unsent(const struct tcp_conn *c)
{
    uint32_t end_of_data = data_end(c);
    uint32_t n = seq_lt(c->snd_nxt, end_of_data) ? end_of_data - c->snd_nxt : 0;
    return n + (c->fin_queued && !c->fin_sent ? 1 : 0);
}

/* RFC 9293 3.7.4 Nagle and 3.8.6.2.1 sender SWS avoidance: may new data of len bytes (less than
 * an MSS) go now? */
static bool small_segment_ok(const struct tcp_conn *c, uint32_t len)
{
    uint32_t avail = unsent(c);
    bool idle = c->snd_nxt == c->snd_una;
    if (len >= avail && (c->nodelay || idle || c->fin_queued))
        return true;    /* all we have; after a shutdown nothing more will come to join it */
    if (c->max_snd_wnd && len >= c->max_snd_wnd / 2 && (c->nodelay || idle))
        return true;
    return false;
}

void tcp_force_send(struct tcp_conn *c, uint32_t len)
{
    if (!can_send_data(c) || unsent(c) == 0)
        return;
    uint32_t sent = transmit(c, c->snd_nxt, len, NULL);
    if (sent)
        tcp_cc_on_send_new(&c->cc, c->snd_nxt, tcp_now());
}

bool tcp_send_tail_probe(struct tcp_conn *c)
{
    uint32_t room = tcp_window_left(c->snd_una + c->snd_wnd, c->snd_nxt);
    uint32_t before = c->snd_nxt;
    if (unsent(c) && room) {
        uint32_t sent = transmit(c, c->snd_nxt, min(room, c->mss), NULL);
        if (sent) {
            tcp_cc_on_send_new(&c->cc, c->snd_nxt, tcp_now());
            return false;
        }
    }
    uint32_t flight = before - c->snd_una;
    uint32_t len = min(flight, c->mss);
    if (len)
        transmit(c, before - len, len, NULL);
    return true;
}

void tcp_output(struct tcp_conn *c)
{
    if (!c->ts)
        return;
    if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED)
        return;
    /* Nothing in flight and nothing queued: nothing to send, resend or probe (most ACKs of a
     * request-response exchange, and every segment of a handshake and close but the FINs). */
    if (c->snd_una == c->snd_nxt && unsent(c) == 0)
        return;
    tcp_pmtu_recheck(c);
    struct tcp_tso_run run = { 0, 0 };
    while (can_send_data(c)) {
        struct tcp_cc_tx_ctx ctx = {
            .now_ns = tcp_now(),
            .snd_una = c->snd_una,
            .snd_nxt = c->snd_nxt,
            .unsent = unsent(c),
            .rwnd_room = tcp_window_left(c->snd_una + c->snd_wnd, c->snd_nxt),
            .rto_ns = tcp_rtt_rto(&c->rtt),
        };
        struct tcp_cc_tx tx;
        if (!tcp_cc_next_tx(&c->cc, &ctx, &tx))
            break;
        if (!tx.retransmission && tx.len < c->mss && !small_segment_ok(c, tx.len))
            break;
        uint32_t n = transmit(c, tx.seq, tx.len, &run);
        if (n == 0)
            break;
        tcp_cc_on_tx(&c->cc, &tx, n, tcp_now());
    }
    flush_run(c, &run);
    /* RFC 9293 3.8.6.1: data waiting, no room in the peer's window and nothing in flight that
     * would bring a window update: probe it (persist timer). */
    if (can_send_data(c) && unsent(c) && c->snd_una == c->snd_nxt && !tcp_timer_pending(c, TCP_TIMER_RTX))
        tcp_persist_arm(c);
    /* A pending ACK rode on any segment sent above; otherwise the delayed-ACK timer sends it. */
}
