/*
 * net/tcp/tcp_api: the fiber API of net/tcp/tcp.h for connections: connect, read, write, shutdown,
 * close, abort, options and information. Blocking calls wait on the connection's wait queues and
 * hold the TCB (c->waiters) while they sleep, so it is never freed under them. Listen and accept
 * are in tcp_listen.c.
 */
#include "net/tcp/tcp_internal.h"

#include "lib/errno.h"
#include "lib/minmax.h"
#include "lib/string.h"
#include "platform/platform.h"

static bool deadline_passed(uint64_t deadline_ns)
{
    return deadline_ns != DEADLINE_NONE && platform_monotonic_ns() >= deadline_ns;
}

/* Sleeps on wq; returns -ETIMEDOUT when the deadline passed without a wake-up. */
static int wait_on(struct tcp_conn *c, struct waitq *wq, uint64_t deadline_ns)
{
    c->waiters++;
    int rc = waitq_wait(wq, deadline_ns);
    c->waiters--;
    return rc;
}

/* What port_taken needs: not a whole TCB (2 KiB cleared on the stack for every connect). */
struct port_probe {
    struct tcp_stack *ts;
    struct tcp_endpoints ep;
    uint32_t hash;                       /* of the last 4-tuple probed: the one picked */
    uint64_t wire_hash;                  /* its ISN's half of the same computation */
};

static bool port_taken(void *arg, uint16_t port)
{
    struct port_probe *probe = arg;
    struct tcp_endpoints ep = probe->ep;
    ep.local_port = port;
    /* RFC 9293 3.4.1: a 4-tuple in TIME_WAIT is not reused by a fresh active open either. */
    return tcp_listener_lookup(probe->ts, port) || tcp_endpoints_taken(probe->ts, &ep, &probe->hash,
                                                                            &probe->wire_hash);
}

int tcp_layer_connect(struct tcp_layer *tcp, uint16_t local_port, uint32_t dst, uint16_t port,
                      const struct tcp_buffer_sizes *sizes, uint64_t deadline_ns,
                      struct tcp_conn **out)
{
    *out = NULL;
    struct tcp_stack *ts = tcp_stack_of(tcp);
    if (!ts)
        return -ENETDOWN;
    if (dst == 0 || port == 0 || ipv4_is_broadcast(tcp->ip, dst) || !tcp_buffer_sizes_valid(sizes))
        return -EINVAL;
    uint32_t src = ipv4_addr(tcp->ip), next_hop;
    if (!src || ipv4_route(tcp->ip, dst, &next_hop))
        return -ENETUNREACH;
    struct tcp_endpoints ep = { .local_ip = src, .remote_ip = dst, .local_port = local_port,
                                .remote_port = port };
    uint32_t hash;
    uint64_t wire_hash;
    if (local_port == 0) {
        struct port_probe probe = { .ts = ts, .ep = ep };
        int picked = tcp_ports_pick(&ts->ports, src, dst, port, port_taken, &probe);
        if (picked < 0)
            return picked;
        ep.local_port = (uint16_t)picked;
        hash = probe.hash;
        wire_hash = probe.wire_hash;
    } else if (tcp_endpoints_taken(ts, &ep, &hash, &wire_hash)) {
        return -EADDRINUSE;
    }
    struct tcp_conn *c = tcp_conn_create(ts, &ep, sizes, &wire_hash);
    if (!c)
        return -ENOMEM;
    c->user_owned = true;
    c->adv_mss = tcp_mss_for_mtu(tcp->ip->netif.mtu);
    tcp_set_state(c, TCPS_SYN_SENT);
    tcp_conn_hash_as(c, hash);
    tcp_send_syn(c);
    *out = c;                            /* while it blocks: tcp_reset may cut the open short */
    while (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED) {
        if (deadline_passed(deadline_ns) ||
            wait_on(c, &c->openers, deadline_ns) == -ETIMEDOUT) {
            if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED) {
                c->user_owned = false;
                if (c->state == TCPS_SYN_RECEIVED)
                    tcp_send_rst_conn(c);
                /* an ICMP unreachable seen during the open says more than "timed out" */
                int err = c->error ? c->error : -ETIMEDOUT;
                tcp_conn_terminate(c, err);
                *out = NULL;
                return err;
            }
        }
    }
    if (c->state == TCPS_CLOSED) {
        int err = c->error ? c->error : -ECONNREFUSED;
        c->user_owned = false;
        tcp_conn_maybe_free(c);
        *out = NULL;
        return err;
    }
    return 0;
}

long tcp_read(struct tcp_conn *c, void *buf, size_t len, uint64_t deadline_ns)
{
    if (c->rd_shut)
        return -EBADF;
    for (;;) {
        if (c->rcv_ready) {
            if (len == 0)
                return 0;
            return (long)tcp_take_data(c, buf, len);
        }
        if (c->fin_received)
            return 0;
        if (c->state == TCPS_CLOSED)
            return c->error ? c->error : 0;
        if (!c->ts)
            return -ENETDOWN;
        if (c->state == TCPS_SYN_SENT)
            return -ENOTCONN;
        /* The caller's deadline is -EAGAIN (as POSIX's SO_RCVTIMEO): -ETIMEDOUT is kept for a
         * connection that died of retransmission timeouts, returned from c->error above. */
        if (deadline_passed(deadline_ns) || wait_on(c, &c->readers, deadline_ns) == -ETIMEDOUT) {
            if (!c->rcv_ready && !c->fin_received && c->state != TCPS_CLOSED)
                return -EAGAIN;
        }
        if (c->rd_shut)
            return -EBADF;
    }
}

static long write_result(size_t total, int err)
{
    return total ? (long)total : err;
}

long tcp_write(struct tcp_conn *c, const void *buf, size_t len, uint64_t deadline_ns)
{
    const uint8_t *from = buf;
    size_t total = 0;
    if (c->wr_shut || c->fin_queued)
        return -EPIPE;
    while (total < len) {
        if (c->state == TCPS_CLOSED || !c->ts)
            return write_result(total, c->error ? c->error : -EPIPE);
        if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED)
            return write_result(total, -ENOTCONN);
        if (c->state != TCPS_ESTABLISHED && c->state != TCPS_CLOSE_WAIT)
            return write_result(total, -EPIPE);
        if (tcp_sndbuf_attach(c))
            return write_result(total, -ENOMEM);
        size_t room = c->sndbuf_size - c->snd_queued;
        size_t n = min(room, len - total);
        /* Under the stack-wide budget take what fits now rather than nothing (partial write). */
        size_t fits = min(n, tcp_buf_writable(&c->sndbuf, c->snd_queued));
        if (fits && tcp_buf_write(&c->sndbuf, c->snd_queued, from + total, fits) == 0) {
            c->snd_queued += fits;
            total += fits;
            tcp_output(c);
            continue;
        }
        if (n)
            c->ts->layer->stats.buffer_limit++;
        if (deadline_passed(deadline_ns) || wait_on(c, &c->writers, deadline_ns) == -ETIMEDOUT)
            return write_result(total, -EAGAIN);    /* the deadline; see tcp_read */
        if (c->wr_shut)
            return write_result(total, -EPIPE);
    }
    return (long)total;
}

size_t tcp_readable(const struct tcp_conn *c)
{
    return c->rcv_ready;
}

size_t tcp_writable(const struct tcp_conn *c)
{
    if (c->state != TCPS_ESTABLISHED && c->state != TCPS_CLOSE_WAIT)
        return 0;
    return c->sndbuf_size - c->snd_queued;
}

static void queue_fin(struct tcp_conn *c)
{
    if (c->fin_queued)
        return;
    c->fin_queued = true;
    c->wr_shut = true;
    if (c->state == TCPS_ESTABLISHED)
        tcp_set_state(c, TCPS_FIN_WAIT_1);
    else if (c->state == TCPS_CLOSE_WAIT)
        tcp_set_state(c, TCPS_LAST_ACK);
    waitq_wake_all(&c->writers);
    tcp_output(c);
}

int tcp_shutdown(struct tcp_conn *c, enum tcp_shutdown_how how)
{
    if (how < TCP_SHUT_RD || how > TCP_SHUT_RDWR)
        return -EINVAL;
    if (c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED)
        return -ENOTCONN;
    if (how & TCP_SHUT_RD) {
        c->rd_shut = true;
        if (c->rcv_ready && c->rcvbuf.chunks) {
            tcp_buf_consume(&c->rcvbuf, c->rcv_ready);
            c->rcv_ready = 0;
        }
        waitq_wake_all(&c->readers);
    }
    if ((how & TCP_SHUT_WR) && c->ts && c->state != TCPS_CLOSED)
        queue_fin(c);
    return 0;
}

static void abort_conn(struct tcp_conn *c, bool count)
{
    bool synchronized = c->state != TCPS_CLOSED && c->state != TCPS_SYN_SENT &&
                        c->state != TCPS_TIME_WAIT;
    c->user_owned = false;
    if (c->state == TCPS_CLOSED) {
        tcp_conn_maybe_free(c);
        return;
    }
    if (synchronized)
        tcp_send_rst_conn(c);
    if (count && c->ts)
        c->ts->layer->stats.conn_aborted++;
    tcp_conn_terminate(c, -ECONNABORTED);
}

void tcp_abort(struct tcp_conn *c)
{
    if (c)
        abort_conn(c, true);
}

/* RFC 9293 3.10.5 ABORT (a RST when synchronized, everything queued discarded), without
 * releasing the handle: the owner's blocked calls wake with -ECONNABORTED and it closes later. */
void tcp_reset(struct tcp_conn *c)
{
    if (c->state == TCPS_CLOSED)
        return;
    bool synchronized = c->state != TCPS_SYN_SENT && c->state != TCPS_TIME_WAIT;
    if (synchronized)
        tcp_send_rst_conn(c);
    if (c->ts)
        c->ts->layer->stats.conn_aborted++;
    tcp_conn_terminate(c, -ECONNABORTED);
}

void tcp_close(struct tcp_conn *c)
{
    if (!c)
        return;
    if (c->state == TCPS_CLOSED || !c->ts) {
        c->user_owned = false;
        tcp_conn_maybe_free(c);
        return;
    }
    /* RFC 9293 3.10.4 / RFC 2525 2.17: unread data is lost: say so with a RST. */
    if (c->rcv_ready || c->state == TCPS_SYN_SENT || c->state == TCPS_SYN_RECEIVED) {
        abort_conn(c, c->rcv_ready != 0);
        return;
    }
    c->user_owned = false;
    c->rd_shut = true;
    queue_fin(c);
    waitq_wake_all(&c->readers);
    tcp_idle_rearm(c);                        /* an orphaned FIN_WAIT_2 is bounded */
}

int tcp_set_option(struct tcp_conn *c, enum tcp_sockopt opt, long value)
{
    switch (opt) {
    case TCP_SOCKOPT_NODELAY:
        c->nodelay = value != 0;
        c->stats.nodelay = c->nodelay;
        if (c->nodelay && c->ts)
            tcp_output(c);
        return 0;
    case TCP_SOCKOPT_KEEPALIVE:
        if (value && !net_feature(NET_FEATURE_KEEPALIVE))
            return -EOPNOTSUPP;              /* an image without keep-alives (features.h) */
        c->keepalive = value != 0;
        c->stats.keepalive = c->keepalive;
        c->keepalive_sent = 0;
        tcp_idle_rearm(c);
        return 0;
    case TCP_SOCKOPT_KEEPIDLE_MS:
    case TCP_SOCKOPT_KEEPINTVL_MS:
        if (value < 1000 || value > 7L * 24 * 3600 * 1000)
            return -EINVAL;
        if (opt == TCP_SOCKOPT_KEEPIDLE_MS)
            c->keepidle_ns = (uint64_t)value * TCP_NS_PER_MS;
        else
            c->keepintvl_ns = (uint64_t)value * TCP_NS_PER_MS;
        tcp_idle_rearm(c);
        return 0;
    case TCP_SOCKOPT_KEEPCNT:
        if (value < 1 || value > 127)
            return -EINVAL;
        c->keepcnt = (unsigned)value;
        return 0;
    case TCP_SOCKOPT_SNDBUF:
    case TCP_SOCKOPT_RCVBUF: {
        if (value < 4096 || value > (long)TCP_BUF_MAX_CAPACITY)
            return -EINVAL;
        if (c->state == TCPS_CLOSED || !c->ts)
            return -EINVAL;
        if (opt == TCP_SOCKOPT_SNDBUF) {
            if ((size_t)value < c->snd_queued)
                return -EINVAL;
            if (c->sndbuf.chunks) {
                int err = tcp_buf_resize(&c->sndbuf, (size_t)value, c->snd_queued);
                if (err)
                    return err;
            }
            c->sndbuf_size = c->sndbuf.chunks ? c->sndbuf.capacity
                                              : ALIGN_UP((size_t)value, (size_t)TCP_BUF_CHUNK);
            waitq_wake_all(&c->writers);
            return 0;
        }
        /* The receive buffer may only grow once data flows: shrinking would take back window
         * already offered (RFC 9293 3.8.6.2.2). The window scale was fixed with the SYN
         * (tcp_buffer_sizes): the window offered stays within 65535 << rcv_wscale. */
        if (c->state != TCPS_SYN_SENT && (size_t)value < c->rcvbuf.capacity)
            return -EINVAL;
        /* What must move: the unread bytes and, after them, the window up to the highest byte
         * held out of order (out-of-order offsets count from RCV.NXT, i.e. after rcv_ready). */
        size_t keep = c->rcv_ready +
                      (c->ooo.count ? tcp_ranges_highest(&c->ooo, c->rcv_nxt) - c->rcv_nxt : 0);
        int err = tcp_buf_resize(&c->rcvbuf, (size_t)value, keep);
        if (err)
            return err;
        c->rcvbuf_size = c->rcvbuf.capacity;
        return 0;
    }
    case TCP_SOCKOPT_USER_TIMEOUT_MS:
        if (value < 0)
            return -EINVAL;
        c->user_timeout_ns = (uint64_t)value * TCP_NS_PER_MS;
        return 0;
    }
    return -EINVAL;
}

int tcp_get_option(const struct tcp_conn *c, enum tcp_sockopt opt, long *value)
{
    switch (opt) {
    case TCP_SOCKOPT_NODELAY: *value = c->nodelay; return 0;
    case TCP_SOCKOPT_KEEPALIVE: *value = c->keepalive; return 0;
    case TCP_SOCKOPT_KEEPIDLE_MS: *value = (long)(c->keepidle_ns / TCP_NS_PER_MS); return 0;
    case TCP_SOCKOPT_KEEPINTVL_MS: *value = (long)(c->keepintvl_ns / TCP_NS_PER_MS); return 0;
    case TCP_SOCKOPT_KEEPCNT: *value = (long)c->keepcnt; return 0;
    case TCP_SOCKOPT_SNDBUF: *value = (long)c->sndbuf_size; return 0;
    case TCP_SOCKOPT_RCVBUF: *value = (long)c->rcvbuf_size; return 0;
    case TCP_SOCKOPT_USER_TIMEOUT_MS: *value = (long)(c->user_timeout_ns / TCP_NS_PER_MS); return 0;
    }
    return -EINVAL;
}

int tcp_set_congestion_control(struct tcp_conn *c, const char *name)
{
    return tcp_cc_set_algorithm(&c->cc, name, tcp_now());
}

void tcp_get_info(const struct tcp_conn *c, struct tcp_conn_info *out)
{
    *out = c->stats;
    out->state = c->state;
    out->local_addr = c->ep.local_ip;
    out->remote_addr = c->ep.remote_ip;
    out->local_port = c->ep.local_port;
    out->remote_port = c->ep.remote_port;
    out->snd_mss = c->mss;
    out->rcv_mss = c->adv_mss;
    out->nodelay = c->nodelay;
    out->keepalive = c->keepalive;
    const char *name = tcp_cc_name(&c->cc);
    size_t n = strlen(name);
    if (n >= sizeof(out->congestion_control))
        n = sizeof(out->congestion_control) - 1;
    memcpy(out->congestion_control, name, n);
    out->congestion_control[n] = 0;
    out->cwnd = tcp_cc_cwnd(&c->cc);
    out->ssthresh = tcp_cc_ssthresh(&c->cc);
    out->snd_wnd = c->snd_wnd;
    out->bytes_in_flight = c->snd_nxt - c->snd_una;
    out->srtt_us = tcp_rtt_srtt(&c->rtt) / 1000;
    out->rttvar_us = tcp_rtt_rttvar(&c->rtt) / 1000;
    out->rto_us = tcp_rtt_rto(&c->rtt) / 1000;
    out->send_queued = c->snd_queued;
    out->recv_queued = c->rcv_ready;
    out->ooo_queued = tcp_ranges_bytes(&c->ooo);
    out->error = c->error;
}
