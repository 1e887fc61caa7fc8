/*
 * net/tcp/tcp: the TCP layer of one stack: set-up on the IPv4 layer (protocol 6 registered with an
 * input and an ICMP error handler) and teardown, configuration, the TCB table (hashed by 4-tuple
 * under a secret key), TCB life cycle, segment arrival up to demultiplexing (checksum, header and
 * option parsing, address checks; then a TCB, a TIME_WAIT record or a listener), ICMP errors (the
 * RFC 5927 checks, and the path MTU lowered only for a quote that matches data in flight) and
 * statistics.
 */
#include "net/tcp/tcp_internal.h"

#include "lib/errno.h"
#include "lib/log.h"
#include "lib/minmax.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "net/ip/icmp.h"
#include "mm/pbuf.h"
#include "net/wire/features.h"
#include "mm/spare.h"
#include "platform/platform.h"

static const char *const state_names[] = {
    [TCPS_CLOSED] = "CLOSED",           [TCPS_LISTEN] = "LISTEN",
    [TCPS_SYN_SENT] = "SYN_SENT",       [TCPS_SYN_RECEIVED] = "SYN_RECEIVED",
    [TCPS_ESTABLISHED] = "ESTABLISHED", [TCPS_FIN_WAIT_1] = "FIN_WAIT_1",
    [TCPS_FIN_WAIT_2] = "FIN_WAIT_2",   [TCPS_CLOSE_WAIT] = "CLOSE_WAIT",
    [TCPS_CLOSING] = "CLOSING",         [TCPS_LAST_ACK] = "LAST_ACK",
    [TCPS_TIME_WAIT] = "TIME_WAIT",
};

const char *tcp_state_name(enum tcp_conn_state state)
{
    if ((unsigned)state < sizeof(state_names) / sizeof(state_names[0]))
        return state_names[state];
    return "?";
}

struct tcp_stack *tcp_stack_of(struct tcp_layer *tcp)
{
    return tcp ? tcp->impl : NULL;
}

/* ---- configuration ---- */

static void config_defaults(struct tcp_config *c)
{
    memset(c, 0, sizeof(*c));
    c->msl_ns = 30 * TCP_NS_PER_SEC;
    c->rto_min_ns = TCP_RTO_MIN_NS;
    c->rto_max_ns = TCP_RTO_MAX_NS;
    c->rto_initial_ns = TCP_RTO_INITIAL_NS;
    c->delack_ns = 40 * TCP_NS_PER_MS;
    c->syn_timeout_ns = 75 * TCP_NS_PER_SEC;
    c->max_retransmits = 15;
    c->syn_retransmits = 6;
    c->sndbuf_default = 256 * 1024;
    c->rcvbuf_default = 256 * 1024;
    c->total_buffer_limit = 16u * 1024 * 1024;
    c->max_connections = 4096;
    c->max_time_wait = TCP_DEFAULT_MAX_TIME_WAIT;
    c->orphan_retries = 8;
    c->invalid_ack_interval_ns = 500 * TCP_NS_PER_MS;
    c->max_half_open = 256;
    c->syncookies = net_feature(NET_FEATURE_SYNCOOKIES);
    c->timestamps = net_feature(NET_FEATURE_TIMESTAMPS);
    c->window_scaling = net_feature(NET_FEATURE_WSCALE);
    c->sack = net_feature(NET_FEATURE_SACK);
    const char *cc = TCP_CC_DEFAULT;
    memcpy(c->congestion_control, cc, strlen(cc) + 1);
}

void tcp_layer_get_config(struct tcp_layer *tcp, struct tcp_config *out)
{
    struct tcp_stack *ts = tcp_stack_of(tcp);
    if (ts)
        *out = ts->cfg;
    else
        config_defaults(out);
}

static int refuse(const char *why)
{
    log_warn("tcp", "refused configuration: %s", why);
    return -EINVAL;
}

int tcp_layer_set_config(struct tcp_layer *tcp, const struct tcp_config *cfg)
{
    struct tcp_stack *ts = tcp_stack_of(tcp);
    if (!ts)
        return -ENETDOWN;
    if (cfg->msl_ns == 0 || cfg->msl_ns > 600 * TCP_NS_PER_SEC)
        return refuse("MSL outside (0, 600 s]");
    if (cfg->rto_min_ns < TCP_NS_PER_MS || cfg->rto_max_ns < cfg->rto_min_ns ||
        cfg->rto_initial_ns < cfg->rto_min_ns || cfg->rto_initial_ns > cfg->rto_max_ns)
        return refuse("RTO bounds inconsistent");
    if (cfg->delack_ns < 1 * TCP_NS_PER_MS || cfg->delack_ns > 500 * TCP_NS_PER_MS)
        return refuse("delayed ACK outside 1..500 ms (RFC 1122 4.2.3.2: at most 0.5 s)");
    if (cfg->max_retransmits == 0 || cfg->syn_retransmits == 0 || cfg->syn_timeout_ns == 0)
        return refuse("retransmission limits must be positive");
    if (cfg->sndbuf_default < 4096 || cfg->sndbuf_default > TCP_BUF_MAX_CAPACITY ||
        cfg->rcvbuf_default < 4096 || cfg->rcvbuf_default > TCP_BUF_MAX_CAPACITY)
        return refuse("buffer sizes outside 4 KiB..16 MiB");
    if (cfg->max_connections == 0 || cfg->max_half_open == 0 || cfg->total_buffer_limit == 0 ||
        cfg->max_time_wait == 0 || cfg->orphan_retries == 0)
        return refuse("limits must be positive");
    if (cfg->orphan_retries > 16)
        return refuse("orphan retries above 16 (the persist backoff counts to 16)");
    if (cfg->invalid_ack_interval_ns > 60 * TCP_NS_PER_SEC)
        return refuse("invalid-segment ACK interval above 60 s");
    const struct tcp_cc_ops *cc_ops = tcp_cc_find(cfg->congestion_control);
    if (!cc_ops)
        return refuse("unknown congestion control");
    if (cfg->syncookies && !net_feature(NET_FEATURE_SYNCOOKIES))
        return refuse("this image has no SYN cookies");
    if (cfg->sack && !net_feature(NET_FEATURE_SACK))
        return refuse("this image has no SACK");
    if (cfg->timestamps && !net_feature(NET_FEATURE_TIMESTAMPS))
        return refuse("this image has no TCP timestamps");
    if (cfg->window_scaling && !net_feature(NET_FEATURE_WSCALE))
        return refuse("this image has no window scaling");
    ts->cfg = *cfg;
    ts->cc_ops = cc_ops;
    ts->budget.limit = cfg->total_buffer_limit;
    tcp_tw_trim(ts);                             /* a smaller table takes effect at once */
    return 0;
}

/* ---- set-up and teardown ---- */

static void tcp_segment_arrived(void *ctx, struct pbuf *p, const struct ipv4_rx_info *rx)
{
    tcp_ipv4_input(ctx, p, rx);
}

static void tcp_icmp_error_arrived(void *ctx, const struct ipv4_icmp_error *err)
{
    tcp_ipv4_error(ctx, err);
}

/* TCBs freed are kept here for the next connection, up to a few: a TCB is about 2 KiB, and the
 * heap's poisoning on free and check on allocation of its whole size class (and, with few
 * connections, a fresh slab page each time) cost more than the rest of a short connection's set-up.
 * Shared by every stack (a TCB can outlive its stack); tcp_fini returns them to the heap. */
#define TCP_SPARE_CONNS 4u
static struct spare_list spare_conns;

static struct tcp_conn *conn_alloc(void)
{
    struct tcp_conn *c = spare_get(&spare_conns, sizeof(*c));
    if (!c)
        return kcalloc(1, sizeof(struct tcp_conn));
    memset(c, 0, TCP_CONN_CLEARED);
    return c;
}

static void conn_release(struct tcp_conn *c)
{
    spare_put(&spare_conns, c, sizeof(*c), TCP_SPARE_CONNS);
}

int tcp_init(struct tcp_layer *tcp, struct ipv4_layer *ip)
{
    memset(tcp, 0, sizeof(*tcp));
    tcp->ip = ip;
    struct tcp_stack *ts = kcalloc(1, sizeof(*ts));
    if (!ts) {
        log_error("tcp", "no memory for TCP state: the stack runs without TCP");
        return 0;
    }
    ts->layer = tcp;
    config_defaults(&ts->cfg);
    ts->cc_ops = tcp_cc_find(ts->cfg.congestion_control);
    for (unsigned i = 0; i < TCP_HASH_BUCKETS; i++)
        list_init(&ts->buckets[i]);
    list_init(&ts->conns);
    list_init(&ts->listeners);
    tcp_tw_init(ts);
    ts->budget.limit = ts->cfg.total_buffer_limit;
    tcp_isn_secret_init(&ts->isn_secret);
    tcp_syncookie_secret_init(&ts->cookie_secret);
    tcp_ports_init(&ts->ports);
    tcp_challenge_limiter_init(&ts->challenge, TCP_CHALLENGE_ACK_LIMIT);
    tcp->impl = ts;
    return ipv4_register_protocol(ip, IPV4_PROTO_TCP, tcp_segment_arrived, tcp_icmp_error_arrived,
                                  tcp);
}

void tcp_fini(struct tcp_layer *tcp)
{
    struct tcp_stack *ts = tcp_stack_of(tcp);
    if (!ts)
        return;
    list_for_each_safe(node, &ts->listeners) {
        struct tcp_listener *l = list_entry(node, struct tcp_listener, link);
        tcp_listener_shutdown(l);
    }
    tcp_tw_shutdown(ts);
    list_for_each_safe(node, &ts->conns) {
        struct tcp_conn *c = list_entry(node, struct tcp_conn, link);
        if (c->state != TCPS_CLOSED && c->state != TCPS_TIME_WAIT && c->state != TCPS_SYN_SENT)
            tcp_send_rst_conn(c);
        c->ts = NULL;                       /* detached: terminate frees what nobody holds */
        list_remove(&c->link);
        list_remove(&c->hash_link);
        c->listener = NULL;
        list_remove(&c->queue_link);
        tcp_conn_terminate(c, -ENETDOWN);
    }
    tcp->impl = NULL;
    kfree(ts);
    tcp_buf_cache_drain();
    tcp_rack_cache_drain();
    spare_drain(&spare_conns);
}

/* ---- the TCB table ---- */

uint32_t tcp_endpoints_hash(const struct tcp_stack *ts, const struct tcp_endpoints *ep)
{
    return tcp_endpoints_table_hash(&ts->isn_secret, ep);
}


bool tcp_same_endpoints(const struct tcp_endpoints *a, const struct tcp_endpoints *b)
{
    return a->local_ip == b->local_ip && a->remote_ip == b->remote_ip &&
           a->local_port == b->local_port && a->remote_port == b->remote_port;
}

struct tcp_conn *tcp_conn_lookup(struct tcp_stack *ts, const struct tcp_endpoints *ep)
{
    return tcp_conn_find(ts, ep, tcp_endpoints_hash(ts, ep));
}

/* Not inlined into its callers: one copy is what the image budget affords. */
__attribute__((noinline)) struct tcp_conn *tcp_conn_find(struct tcp_stack *ts,
                                                    const struct tcp_endpoints *ep, uint32_t hash)
{
    struct list_node *bucket = &ts->buckets[hash % TCP_HASH_BUCKETS];
    list_for_each(node, bucket) {
        struct tcp_conn *c = list_entry(node, struct tcp_conn, hash_link);
        if (tcp_same_endpoints(&c->ep, ep))
            return c;
    }
    return NULL;
}

void tcp_conn_hash_as(struct tcp_conn *c, uint32_t hash)
{
    c->ep_hash = hash;
    list_add_tail(&c->ts->buckets[hash % TCP_HASH_BUCKETS], &c->hash_link);
    c->ts->last_rx = c;                          /* the peer's next segment is most likely for it */
}

bool tcp_port_in_use(struct tcp_stack *ts, uint16_t port)
{
    if (tcp_listener_lookup(ts, port))
        return true;
    list_for_each(node, &ts->conns) {
        struct tcp_conn *c = list_entry(node, struct tcp_conn, link);
        if (c->ep.local_port == port)
            return true;
    }
    return false;
}

struct tcp_listener *tcp_listener_lookup(struct tcp_stack *ts, uint16_t port)
{
    list_for_each(node, &ts->listeners) {
        struct tcp_listener *l = list_entry(node, struct tcp_listener, link);
        if (l->port == port)
            return l;
    }
    return NULL;
}

struct tcp_conn *tcp_conn_create(struct tcp_stack *ts, const struct tcp_endpoints *ep,
                                 const struct tcp_buffer_sizes *sizes, const uint64_t *wire_hash)
{
    if (ts->conn_count >= ts->cfg.max_connections) {
        ts->layer->stats.conn_limit++;
        return NULL;
    }
    struct tcp_conn *c = conn_alloc();
    if (!c) {
        ts->layer->stats.rx_no_memory++;
        return NULL;
    }
    c->ts = ts;
    c->ep = *ep;
    c->state = TCPS_CLOSED;
    list_init(&c->hash_link);
    list_init(&c->queue_link);
    waitq_init(&c->readers);
    waitq_init(&c->writers);
    waitq_init(&c->openers);
    if (tcp_conn_setup(c, sizes, wire_hash)) {
        conn_release(c);
        ts->layer->stats.rx_no_memory++;
        return NULL;
    }
    list_add_tail(&ts->conns, &c->link);
    ts->conn_count++;
    return c;
}

uint8_t tcp_wscale_for_rcvbuf(const struct tcp_stack *ts, size_t bytes)
{
    if (!bytes)
        bytes = ts->cfg.rcvbuf_default;
    return tcp_wscale_for_buffer((uint32_t)ALIGN_UP(bytes, (size_t)TCP_BUF_CHUNK));
}

int tcp_conn_setup(struct tcp_conn *c, const struct tcp_buffer_sizes *sizes, const uint64_t *wire_hash)
{
    const struct tcp_config *cfg = &c->ts->cfg;
    size_t sndbuf = sizes && sizes->sndbuf ? sizes->sndbuf : cfg->sndbuf_default;
    c->rcvbuf_size = sizes && sizes->rcvbuf ? sizes->rcvbuf : cfg->rcvbuf_default;
    /* The send buffer's slot table waits for the first write (tcp_sndbuf_attach): a connection
     * that never sends (or is refused, or is only opened and closed) never pays for it. */
    c->sndbuf_size = ALIGN_UP(sndbuf, (size_t)TCP_BUF_CHUNK);
    if (tcp_buf_init(&c->rcvbuf, c->rcvbuf_size, &c->ts->budget))
        return -ENOMEM;
    c->rcvbuf_size = c->rcvbuf.capacity;
    /* The scale we offer follows the receive buffer configured before the SYN (RFC 7323 2.3:
     * the smallest shift that lets the window cover the buffer); it is fixed from then on. */
    c->rcv_wscale = net_feature(NET_FEATURE_WSCALE) && cfg->window_scaling
                        ? tcp_wscale_for_rcvbuf(c->ts, c->rcvbuf.capacity) : 0;
    tcp_rtt_init(&c->rtt, cfg->rto_initial_ns, cfg->rto_min_ns, cfg->rto_max_ns);
    tcp_sack_rx_init(&c->sack_rx);
    c->ooo.count = 0;
    c->ooo.clock = 0;
    c->keepidle_ns = TCP_DEFAULT_KEEPIDLE_NS;
    c->keepintvl_ns = TCP_DEFAULT_KEEPINTVL_NS;
    c->keepcnt = TCP_DEFAULT_KEEPCNT;
    uint64_t h[2];
    if (!wire_hash) {
        tcp_endpoints_siphash(&c->ts->isn_secret, &c->ep, h);
        wire_hash = &h[1];
    }
    tcp_isn_from_hash(*wire_hash, tcp_now(), &c->iss, &c->ts_offset);
    if (c->ts->test.fixed_ts_offset)
        c->ts_offset = c->ts->test.ts_offset;
    if (c->ts->test.fixed_iss)
        c->iss = c->ts->test.iss;
    c->mss = TCP_DEFAULT_MSS;
    c->snd_una = c->snd_nxt = c->snd_buf_seq = c->iss;
    tcp_cc_init_ops(&c->cc, c->ts->cc_ops, c->iss, c->mss, tcp_now());
    tcp_timers_init(c);
    c->last_rx_ns = tcp_now();
    return 0;
}

int tcp_sndbuf_attach(struct tcp_conn *c)
{
    if (c->sndbuf.chunks)
        return 0;
    return tcp_buf_init(&c->sndbuf, c->sndbuf_size, &c->ts->budget);
}

void tcp_test_set_hooks(struct tcp_layer *tcp, const struct tcp_test_hooks *hooks)
{
    struct tcp_stack *ts = tcp_stack_of(tcp);
    if (ts)
        ts->test = *hooks;
}

bool tcp_conn_maybe_free(struct tcp_conn *c)
{
    if (c->state != TCPS_CLOSED || c->user_owned || c->waiters || list_node_linked(&c->queue_link))
        return false;
    tcp_timers_stop(c);
    tcp_buf_destroy(&c->rcvbuf);                 /* unread data kept after a graceful end */
    conn_release(c);
    return true;
}

void tcp_conn_terminate(struct tcp_conn *c, int error)
{
    if (!c->error)
        c->error = error;
    c->stats.error = c->error;
    tcp_timers_stop(c);
    if (c->listener)
        tcp_listener_child_gone(c);
    if (c->ts) {
        if (list_node_linked(&c->hash_link))
            list_remove(&c->hash_link);
        if (c->ts->last_rx == c)
            c->ts->last_rx = NULL;
        if (list_node_linked(&c->link)) {
            list_remove(&c->link);
            c->ts->conn_count--;
        }
    }
    tcp_set_state(c, TCPS_CLOSED);
    tcp_buf_destroy(&c->sndbuf);
    if (error == 0 && c->user_owned && c->rcv_ready && c->rcvbuf.chunks) {
        /* A graceful end (the peer's FIN was received; TIME_WAIT or LAST_ACK done): what arrived
         * before the FIN is still the application's to read. It leaves the stack's budget, which
         * may go away before the handle does, and is freed when the handle is. */
        tcp_buf_leave_budget(&c->rcvbuf);
    } else {
        tcp_buf_destroy(&c->rcvbuf);
        c->rcv_ready = 0;
    }
    c->cc.rack = NULL;
    tcp_rack_destroy(&c->rack);
    c->snd_queued = 0;
    c->ooo.count = 0;
    waitq_wake_all(&c->readers);
    waitq_wake_all(&c->writers);
    waitq_wake_all(&c->openers);
    tcp_conn_maybe_free(c);
}

/* ---- segment arrival ---- */

static bool checksum_ok(const struct pbuf *p, const struct ipv4_rx_info *rx)
{
    if (p->flags & PBUF_F_CSUM_VERIFIED)
        return true;
    struct csum c;
    csum_init(&c);
    ipv4_csum_add_pseudo(&c, rx->src, rx->dst, IPV4_PROTO_TCP, (uint16_t)p->tot_len);
    ipv4_csum_add_pbuf(&c, p, 0, p->tot_len);
    return csum_finish(&c) == 0;
}

void tcp_ipv4_input(struct tcp_layer *tcp, struct pbuf *p, const struct ipv4_rx_info *rx)
{
    struct tcp_stats *st = &tcp->stats;
    struct tcp_stack *ts = tcp_stack_of(tcp);
    st->rx_segments++;
    if (!ts)
        goto drop;
    if (rx->to_broadcast || rx->to_multicast || rx->link_broadcast) {
        /* RFC 1122 4.2.3.10: a SYN (or anything) to a broadcast or multicast address is
         * discarded; TCP is unicast only. */
        st->rx_bad_address++;
        goto drop;
    }
    if (p->tot_len < TCP_HEADER_MIN || p->tot_len > 0xffff) {
        st->rx_bad_header++;
        goto drop;
    }
    if (!checksum_ok(p, rx)) {
        st->rx_bad_checksum++;     /* RFC 9293 3.1: a bad checksum discards the segment */
        goto drop;
    }
    size_t head = p->tot_len < TCP_HEADER_MAX ? p->tot_len : TCP_HEADER_MAX;
    const uint8_t *hb = pbuf_linearize(p, head);
    struct tcp_segment seg;          /* every field is set below: no clearing */
    if (!hb || tcp_parse_header(hb, head, p->tot_len, &seg.h, &seg.opts) != TCP_PARSE_OK) {
        st->rx_bad_header++;
        goto drop;
    }
    /* Port 0 is reserved (RFC 9293 3.1, IANA): nothing can answer it. hping3's SYN floods meet
     * it once every 65536 segments, as their source port counts up and wraps. */
    if (seg.h.src_port == 0 || seg.h.dst_port == 0) {
        st->rx_bad_port++;
        goto drop;
    }
    pbuf_pull(p, seg.h.header_len);
    seg.len = p->tot_len;
    seg.seg_len = seg.len + !!(seg.h.flags & TCP_FLAG_SYN) + !!(seg.h.flags & TCP_FLAG_FIN);
    seg.src = rx->src;
    seg.dst = rx->dst;
    seg.payload = p;
    struct tcp_endpoints ep = { .local_ip = rx->dst, .remote_ip = rx->src,
                                .local_port = seg.h.dst_port, .remote_port = seg.h.src_port };
    /* One keyed hash per segment serves both tables and a passive open's new TCB; none when the
     * segment is for the same TCB as the one before. */
    struct tcp_conn *c = ts->last_rx;
    if (c && tcp_same_endpoints(&c->ep, &ep)) {
        seg.hash = c->ep_hash;                   /* has_wire_hash unset: only a TCB's segment */
    } else {
        seg.has_wire_hash = (seg.h.flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == TCP_FLAG_SYN;
        if (seg.has_wire_hash) {
            /* A SYN may open a connection: the same computation gives its ISN (four rounds more). */
            uint64_t h[2];
            tcp_endpoints_siphash(&ts->isn_secret, &ep, h);
            seg.hash = (uint32_t)h[0];
            seg.wire_hash = h[1];
        } else {
            seg.hash = tcp_endpoints_hash(ts, &ep);
        }
        c = ts->last_rx = tcp_conn_find(ts, &ep, seg.hash);
    }
    struct tcp_tw *tw;
    if (c) {
        tcp_conn_input(c, &seg);
    } else if ((tw = tcp_tw_find(ts, &ep, seg.hash)) != NULL) {
        tcp_tw_input(ts, tw, &seg);
    } else {
        struct tcp_listener *l = tcp_listener_lookup(ts, seg.h.dst_port);
        if (l && !l->closed) {
            tcp_listen_input(l, &seg);
        } else {
            /* RFC 9293 3.10.7.1: CLOSED. A RST is ignored; anything else gets a RST. */
            st->rx_no_connection++;
            if (!(seg.h.flags & TCP_FLAG_RST))
                tcp_send_rst_reply(ts, &seg);
        }
    }
drop:
    pbuf_free(p);
}

/* An ICMP error about a segment we sent (RFC 9293 3.9, RFC 1122 4.2.3.9, RFC 5927). */
void tcp_ipv4_error(struct tcp_layer *tcp, const struct ipv4_icmp_error *err)
{
    struct tcp_stack *ts = tcp_stack_of(tcp);
    if (!ts || err->quoted_payload_len < 8)
        return;
    tcp->stats.rx_icmp_errors++;
    struct tcp_endpoints ep = {
        .local_ip = err->quoted.src, .remote_ip = err->quoted.dst,
        .local_port = load_be16(err->quoted_payload),
        .remote_port = load_be16(err->quoted_payload + 2),
    };
    uint32_t seq = load_be32(err->quoted_payload + 4);
    struct tcp_conn *c = tcp_conn_lookup(ts, &ep);
    /* RFC 5927 4.1: only an error quoting a sequence number in flight can be ours. */
    if (!c || c->state == TCPS_TIME_WAIT || !seq_in_window(seq, c->snd_una, c->snd_nxt - c->snd_una)) {
        tcp->stats.rx_icmp_ignored++;
        return;
    }
    if (err->type == ICMP_DEST_UNREACHABLE && err->code == ICMP_UNREACH_FRAG_NEEDED) {
        /* RFC 1191 with RFC 5927 4.1: the path MTU is lowered only now that the quote matched a
         * segment in flight (net/ip/icmp.c leaves it to the transport), so a blind forger cannot
         * shrink the path to every destination. */
        ipv4_pmtu_update(tcp->ip, c->ep.remote_ip, err->info);
        tcp_pmtu_changed(c);
        return;
    }
    /* RFC 1122 4.2.3.9: soft errors (net/host/port unreachable...) do not abort an established
     * connection; during the open, an unreachable ends the attempt (as most stacks do). */
    if (c->state == TCPS_SYN_SENT && err->type == ICMP_DEST_UNREACHABLE &&
        (err->code == ICMP_UNREACH_PROTOCOL || err->code == ICMP_UNREACH_PORT))
        tcp_conn_terminate(c, -ECONNREFUSED);
    else if (c->state == TCPS_SYN_SENT && err->type == ICMP_DEST_UNREACHABLE)
        c->error = -EHOSTUNREACH;       /* reported if the open then times out */
}

/* ---- statistics ---- */

void tcp_layer_census(struct tcp_layer *tcp, struct tcp_census *out)
{
    memset(out, 0, sizeof(*out));
    struct tcp_stack *ts = tcp_stack_of(tcp);
    if (!ts)
        return;
    out->connections = ts->conn_count;
    out->half_open = ts->half_open;
    out->time_wait = ts->tw_count;
    out->listeners = ts->listener_count;
    out->buffered_bytes = ts->budget.used;
    out->rx_stored_by_reference = ts->budget.stored_by_reference;
    out->rx_stored_by_copy = ts->budget.stored_by_copy;
    out->rx_collapsed = ts->budget.collapsed;
}
