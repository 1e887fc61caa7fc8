/*
 * net/tcp/tcp_listen: passive opens. A listener answers SYNs (RFC 9293 3.10.7.2) with a SYN-ACK
 * from a child TCB in SYN_RECEIVED, bounded per stack (max_half_open); when that queue is full, SYN
 * cookies (tcp_syncookie.h) answer without keeping state, so a SYN flood cannot lock out real
 * clients. Children that complete the handshake wait for tcp_accept in a queue bounded by the
 * backlog; SYNs arriving while it is full are dropped (the client retries). Segments for a listener
 * that are not SYNs: a RST is ignored, an ACK either completes a cookie handshake or is answered
 * with a RST (RFC 9293 3.10.7.2). A valid cookie ACK that finds max_connections reached is refused
 * with a RST (counted), not dropped: the peer believes it is connected. Children get the listener's
 * buffer sizes (tcp_listener_set_buffers), and the window scale offered in the SYN-ACK, cookie or
 * not, follows that receive buffer.
 */
#include "net/tcp/tcp_internal.h"

#include "lib/errno.h"
#include "lib/minmax.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "net/wire/features.h"
#include "platform/platform.h"

static struct tcp_stats *lstats(struct tcp_listener *l)
{
    return &l->ts->layer->stats;
}

static struct tcp_endpoints seg_endpoints(const struct tcp_segment *seg)
{
    return (struct tcp_endpoints){ .local_ip = seg->dst, .remote_ip = seg->src,
                                   .local_port = seg->h.dst_port, .remote_port = seg->h.src_port };
}

/* The scale offered to the listener's clients: from the receive buffer its children get. */
static uint8_t our_wscale(const struct tcp_listener *l)
{
    return tcp_wscale_for_rcvbuf(l->ts, l->rcvbuf);
}

static const struct tcp_buffer_sizes *child_sizes(const struct tcp_listener *l,
                                                  struct tcp_buffer_sizes *out)
{
    *out = (struct tcp_buffer_sizes){ .sndbuf = l->sndbuf, .rcvbuf = l->rcvbuf };
    return out;
}

static uint16_t our_mss(const struct tcp_stack *ts)
{
    return tcp_mss_for_mtu(ts->layer->ip->netif.mtu);
}

/* A SYN-ACK carrying a cookie: no TCB is created. */
static void send_cookie(struct tcp_listener *l, const struct tcp_segment *seg)
{
    struct tcp_stack *ts = l->ts;
    struct tcp_endpoints ep = seg_endpoints(seg);
    const struct tcp_options *o = &seg->opts;
    struct tcp_syncookie_syn syn = {
        .peer_isn = seg->h.seq,
        .peer_mss = (o->present & TCP_OPTF_MSS) ? o->mss : 0,
        .sack_permitted = net_feature(NET_FEATURE_SACK) && ts->cfg.sack &&
                          (o->present & TCP_OPTF_SACK_PERMITTED),
        .has_wscale = net_feature(NET_FEATURE_WSCALE) && ts->cfg.window_scaling &&
                      (o->present & TCP_OPTF_WSCALE),
        .wscale = o->wscale,
        .has_timestamps = net_feature(NET_FEATURE_TIMESTAMPS) && ts->cfg.timestamps &&
                          (o->present & TCP_OPTF_TIMESTAMPS),
    };
    uint64_t now = tcp_now();
    uint32_t tsval = tcp_ts_clock(now) + tcp_ts_offset(&ts->isn_secret, &ep);
    struct tcp_syncookie_synack out;
    tcp_syncookie_make(&ts->cookie_secret, &ep, &syn, now, tsval, &out);
    struct tcp_options reply = { .present = TCP_OPTF_MSS, .mss = our_mss(ts) };
    /* Window scale and SACK-permitted only when the cookie can remember them (in TSval): an
     * offer the connection would not honour makes the peer scale its windows or send SACK
     * blocks we would then misread (RFC 7323 2.2: scaling applies only when both sides sent it). */
    if (out.send_wscale) {
        reply.present |= TCP_OPTF_WSCALE;
        reply.wscale = our_wscale(l);
    }
    if (out.send_sack_permitted)
        reply.present |= TCP_OPTF_SACK_PERMITTED;
    if (out.has_timestamps) {
        reply.present |= TCP_OPTF_TIMESTAMPS;
        reply.ts_val = out.tsval;
        reply.ts_ecr = o->ts_val;
    }
    uint32_t wnd = min(l->rcvbuf ? l->rcvbuf : ts->cfg.rcvbuf_default, (size_t)0xffff);
    lstats(l)->rx_syncookies_sent++;
    tcp_send_raw(ts, &ep, out.iss, seg->h.seq + 1, TCP_FLAG_SYN | TCP_FLAG_ACK, (uint16_t)wnd, &reply,
                 NULL, 0, 0);
}

/* The ACK of a cookie handshake: rebuild the child and let it process the ACK. */
static void cookie_ack(struct tcp_listener *l, struct tcp_segment *seg)
{
    struct tcp_stack *ts = l->ts;
    struct tcp_endpoints ep = seg_endpoints(seg);
    struct tcp_syncookie_grant g;
    bool has_ts = seg->opts.present & TCP_OPTF_TIMESTAMPS;
    if (!net_feature(NET_FEATURE_SYNCOOKIES) || !ts->cfg.syncookies ||
        tcp_syncookie_check(&ts->cookie_secret, &ep, seg->h.seq, seg->h.ack, has_ts,
                            seg->opts.ts_ecr, tcp_now(), &g) != 0) {
        lstats(l)->rx_syncookies_bad++;
        tcp_send_rst_reply(ts, seg);
        return;
    }
    if (l->ready_count >= l->backlog) {
        lstats(l)->rx_listen_overflow++;
        return;
    }
    /* The peer believes the connection open (it may be sending a request now): silence would
     * leave it waiting for a retransmission timeout or worse, so say no with a RST. TIME_WAIT
     * records no longer hold TCB slots, so this means max_connections live connections. */
    if (ts->conn_count >= ts->cfg.max_connections) {
        lstats(l)->rx_syncookies_conn_limit++;
        tcp_send_rst_reply(ts, seg);
        return;
    }
    struct tcp_buffer_sizes sizes;
    struct tcp_conn *c = tcp_conn_create(ts, &ep, child_sizes(l, &sizes), NULL);
    if (!c) {
        tcp_send_rst_reply(ts, seg);             /* out of memory (counted): refuse, as above */
        return;
    }
    struct tcp_options o = { .present = TCP_OPTF_MSS, .mss = g.mss };
    if (g.has_wscale) {
        o.present |= TCP_OPTF_WSCALE;
        o.wscale = g.wscale;
    }
    if (g.sack_permitted)
        o.present |= TCP_OPTF_SACK_PERMITTED;
    if (g.has_timestamps && has_ts) {
        o.present |= TCP_OPTF_TIMESTAMPS;
        o.ts_val = seg->opts.ts_val;
    }
    c->iss = g.iss;
    c->snd_una = c->snd_buf_seq = g.iss;
    c->snd_nxt = g.iss + 1;
    c->irs = g.irs;
    c->rcv_nxt = g.irs + 1;
    tcp_cc_init_ops(&c->cc, ts->cc_ops, c->iss, c->mss, tcp_now());
    c->adv_mss = our_mss(ts);
    tcp_apply_syn_options(c, &o);
    if (tcp_ws_in_use(c))
        c->rcv_wscale = our_wscale(l);           /* what the cookie's SYN-ACK offered */
    c->rcv_adv = c->rcv_nxt + min((uint32_t)c->rcvbuf.capacity, 0xffffu);
    c->user_owned = true;                        /* for the acceptor */
    c->listener = l;
    list_add_tail(&l->pending, &c->queue_link);
    l->pending_count++;
    tcp_set_state(c, TCPS_SYN_RECEIVED);
    tcp_conn_hash_as(c, seg->hash);
    lstats(l)->rx_syncookies_ok++;
    tcp_conn_input(c, seg);
}

void tcp_listen_input(struct tcp_listener *l, struct tcp_segment *seg)
{
    struct tcp_stack *ts = l->ts;
    uint8_t f = seg->h.flags;
    if (f & TCP_FLAG_RST) {
        lstats(l)->rx_listen_bad++;              /* RFC 9293 3.10.7.2: ignored */
        return;
    }
    if (f & TCP_FLAG_ACK) {
        if (!(f & TCP_FLAG_SYN)) {
            cookie_ack(l, seg);
            return;
        }
        lstats(l)->rx_listen_bad++;              /* SYN-ACK to a listener: RST <SEQ=SEG.ACK> */
        tcp_send_rst_reply(ts, seg);
        return;
    }
    if (!(f & TCP_FLAG_SYN) || (f & TCP_FLAG_FIN)) {
        lstats(l)->rx_listen_bad++;
        return;
    }
    if (l->ready_count >= l->backlog) {
        lstats(l)->rx_listen_overflow++;
        return;
    }
    if (ts->half_open >= ts->cfg.max_half_open || l->pending_count >= l->backlog + ts->cfg.max_half_open) {
        if (net_feature(NET_FEATURE_SYNCOOKIES) && ts->cfg.syncookies) {
            send_cookie(l, seg);
        } else {
            lstats(l)->rx_half_open_full++;
        }
        return;
    }
    struct tcp_endpoints ep = seg_endpoints(seg);
    struct tcp_buffer_sizes sizes;
    struct tcp_conn *c = tcp_conn_create(ts, &ep, child_sizes(l, &sizes),
                                         seg->has_wire_hash ? &seg->wire_hash : NULL);
    if (!c)
        return;
    c->irs = seg->h.seq;
    c->rcv_nxt = seg->h.seq + 1;
    c->rcv_adv = c->rcv_nxt;
    c->adv_mss = our_mss(ts);
    tcp_apply_syn_options(c, &seg->opts);
    c->snd_wnd = seg->h.window;                  /* RFC 7323 2.2: never scaled in a SYN */
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = seg->h.seq;
    c->user_owned = true;                        /* for the acceptor */
    c->listener = l;
    list_add_tail(&l->pending, &c->queue_link);
    l->pending_count++;
    tcp_set_state(c, TCPS_SYN_RECEIVED);
    tcp_conn_hash_as(c, seg->hash);
    tcp_send_syn(c);
}

void tcp_listener_child_established(struct tcp_conn *c)
{
    struct tcp_listener *l = c->listener;
    list_remove(&c->queue_link);
    l->pending_count--;
    list_add_tail(&l->ready, &c->queue_link);
    l->ready_count++;
    waitq_wake_one(&l->acceptors);
}

void tcp_listener_child_gone(struct tcp_conn *c)
{
    struct tcp_listener *l = c->listener;
    if (!l)
        return;
    if (list_node_linked(&c->queue_link)) {
        list_remove(&c->queue_link);
        list_init(&c->queue_link);
        if (c->state == TCPS_SYN_RECEIVED)
            l->pending_count--;
        else
            l->ready_count--;
    }
    c->listener = NULL;
    c->user_owned = false;                       /* nobody will accept it now */
}

static void abort_children(struct list_node *list)
{
    list_for_each_safe(node, list) {
        struct tcp_conn *c = list_entry(node, struct tcp_conn, queue_link);
        tcp_send_rst_conn(c);
        if (c->ts)
            c->ts->layer->stats.conn_aborted++;
        tcp_conn_terminate(c, -ECONNABORTED);
    }
}

void tcp_listener_shutdown(struct tcp_listener *l)
{
    if (l->closed)
        return;
    l->closed = true;
    abort_children(&l->pending);
    abort_children(&l->ready);
    list_remove(&l->link);
    l->ts->listener_count--;
    l->ts = NULL;
    waitq_wake_all(&l->acceptors);
}

/* ---- API ---- */

int tcp_layer_listen(struct tcp_layer *tcp, uint16_t port, unsigned backlog,
                     struct tcp_listener **out)
{
    *out = NULL;
    struct tcp_stack *ts = tcp_stack_of(tcp);
    if (!ts)
        return -ENETDOWN;
    if (port == 0 || backlog == 0)
        return -EINVAL;
    if (tcp_listener_lookup(ts, port))
        return -EADDRINUSE;
    struct tcp_listener *l = kcalloc(1, sizeof(*l));
    if (!l)
        return -ENOMEM;
    l->ts = ts;
    l->port = port;
    l->backlog = backlog > TCP_MAX_BACKLOG ? TCP_MAX_BACKLOG : backlog;
    list_init(&l->pending);
    list_init(&l->ready);
    waitq_init(&l->acceptors);
    list_add_tail(&ts->listeners, &l->link);
    ts->listener_count++;
    *out = l;
    return 0;
}

int tcp_accept(struct tcp_listener *l, struct tcp_conn **out, uint64_t deadline_ns)
{
    *out = NULL;
    while (!l->closed && l->ready_count == 0) {
        if (deadline_ns != DEADLINE_NONE && platform_monotonic_ns() >= deadline_ns)
            return -ETIMEDOUT;
        l->waiters++;
        int rc = waitq_wait(&l->acceptors, deadline_ns);
        l->waiters--;
        if (rc == -ETIMEDOUT && !l->closed && l->ready_count == 0)
            return -ETIMEDOUT;
    }
    if (l->closed) {
        if (l->released && l->waiters == 0)
            kfree(l);
        return -EBADF;
    }
    struct tcp_conn *c = list_entry(list_pop_head(&l->ready), struct tcp_conn, queue_link);
    list_init(&c->queue_link);
    l->ready_count--;
    c->listener = NULL;
    *out = c;
    return 0;
}

void tcp_listener_close(struct tcp_listener *l)
{
    if (!l)
        return;
    tcp_listener_shutdown(l);
    l->released = true;
    if (l->waiters == 0)
        kfree(l);
}

uint16_t tcp_listener_port(const struct tcp_listener *l)
{
    return l->port;
}

bool tcp_buffer_sizes_valid(const struct tcp_buffer_sizes *sizes)
{
    if (!sizes)
        return true;
    return (sizes->sndbuf == 0 || (sizes->sndbuf >= 4096 && sizes->sndbuf <= TCP_BUF_MAX_CAPACITY)) &&
           (sizes->rcvbuf == 0 || (sizes->rcvbuf >= 4096 && sizes->rcvbuf <= TCP_BUF_MAX_CAPACITY));
}

int tcp_listener_set_buffers(struct tcp_listener *l, const struct tcp_buffer_sizes *sizes)
{
    if (!sizes || !tcp_buffer_sizes_valid(sizes))
        return -EINVAL;
    l->sndbuf = sizes->sndbuf;
    l->rcvbuf = sizes->rcvbuf;
    return 0;
}
