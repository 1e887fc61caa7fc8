/*
 * app/dns/server: DNS over UDP and TCP on one port (53). One fiber answers UDP datagrams in
 * turn; UDP responses pass the rate limiter (rrl.h). TCP (RFC 1035 4.2.2, RFC 7766): each
 * connection has its own fiber; messages carry a 2-byte length; several queries may follow one
 * another (pipelined; answered in order, RFC 7766 6.2.1); a connection silent for tcp_idle_s is
 * closed (RFC 7766 6.2.3); at most max_conns at once, more are reset.
 */
#include <stddef.h>
#include "dnsd.h"
#include "lib/counters.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "xenolith/mem.h"
#include "xenolith/tcp.h"
#include "xenolith/time.h"
#include "xenolith/udp.h"

#define TAG "dns"
#define UDP_QUERY_MAX 4096               /* larger datagrams are not queries we answer */
#define TCP_QUERY_MAX 4096               /* a longer TCP message ends the connection */
#define WRITE_NS (10 * NS_PER_S)
#define UDP_RX_DATAGRAMS 512u
#define UDP_RX_BYTES (1024u * 1024)
#define CONN_STACK (32 * 1024)
#define UDP_STACK (32 * 1024)

struct dnsd_conn {
    struct list_node link;
    struct dnsd_server *srv;
    struct tcp_conn *tcp;
    size_t used;
    uint8_t in[2 + TCP_QUERY_MAX];
    uint8_t out[2 + ANSWER_TCP_MAX];
};

void dnsd_count(struct dnsd_stats *st, const struct answer_meta *meta)
{
    _Static_assert(offsetof(struct dnsd_stats, badvers) - offsetof(struct dnsd_stats, ignored) ==
                   ANSWER_BADVERS * sizeof(uint64_t), "one counter per answer kind, in order");
    /* a counter struct is an array of uint64_t (lib/counters.h) */
    ((uint64_t *)st)[offsetof(struct dnsd_stats, ignored) / sizeof(uint64_t) + meta->kind]++;
    if (meta->truncated)
        st->truncated++;
}

static int udp_fiber(void *arg)
{
    struct dnsd_server *srv = arg;
    static uint8_t query[UDP_QUERY_MAX], response[4096];
    for (;;) {
        uint32_t src;
        uint16_t port;
        int n = udp_recvfrom(srv->udp, query, sizeof(query), &src, &port, DEADLINE_NONE);
        if (n == -EBADF)
            return 0;                    /* closed: we are stopping */
        if (n < 0)
            continue;
        srv->stats.udp_queries++;
        struct answer_meta meta;
        size_t len = answer_query(srv->zones, query, (size_t)n, false, (uint16_t)srv->cfg->udp_max,
                                  response, sizeof(response), &meta);
        dnsd_count(&srv->stats, &meta);
        if (len == 0)
            continue;
        switch (rrl_check(&srv->rrl, src, &meta, platform_monotonic_ns())) {
        case RRL_SEND:
            break;
        case RRL_DROP:
            srv->stats.rrl_dropped++;
            continue;
        case RRL_SLIP:
            srv->stats.rrl_slipped++;
            len = answer_truncate(response, len, &meta);
            break;
        }
        if (udp_sendto(srv->udp, src, port, response, len) < 0)
            srv->stats.send_errors++;
    }
}

/* Answers every complete message in c->in. Returns 0, or why the connection must end. */
static long answer_messages(struct dnsd_conn *c)
{
    struct dnsd_server *srv = c->srv;
    while (c->used >= 2) {
        size_t len = (size_t)c->in[0] << 8 | c->in[1];
        if (len > TCP_QUERY_MAX || len < DNS_HEADER_LEN)
            return -EMSGSIZE;            /* not a query we answer: no framing to resync on */
        if (c->used < 2 + len)
            return 0;
        srv->stats.tcp_queries++;
        struct answer_meta meta;
        size_t n = answer_query(srv->zones, c->in + 2, len, true, (uint16_t)srv->cfg->udp_max, c->out + 2,
                                ANSWER_TCP_MAX, &meta);
        dnsd_count(&srv->stats, &meta);
        if (n > 0) {
            c->out[0] = (uint8_t)(n >> 8);
            c->out[1] = (uint8_t)n;
            long w = tcp_write(c->tcp, c->out, n + 2, platform_monotonic_ns() + WRITE_NS);
            if (w != (long)(n + 2))
                return w < 0 ? w : -EAGAIN;
        }
        memmove(c->in, c->in + 2 + len, c->used - 2 - len);
        c->used -= 2 + len;
    }
    return 0;
}

static int conn_fiber(void *arg)
{
    struct dnsd_conn *c = arg;
    struct dnsd_server *srv = c->srv;
    long rc;
    for (;;) {
        rc = tcp_read(c->tcp, c->in + c->used, sizeof(c->in) - c->used,
                      platform_monotonic_ns() + srv->cfg->tcp_idle_s * NS_PER_S);
        if (rc <= 0)
            break;
        c->used += (size_t)rc;
        if ((rc = answer_messages(c)) < 0)
            break;
    }
    if (rc == 0 || rc == -EBADF || rc == -EAGAIN)
        tcp_close(c->tcp);               /* the client ended, we are stopping, or it idled */
    else
        tcp_abort(c->tcp);
    list_remove(&c->link);
    kfree(c);
    if (--srv->nconns == 0)
        waitq_wake_all(&srv->idle);
    return 0;
}

static int acceptor_fiber(void *arg)
{
    struct dnsd_server *srv = arg;
    for (;;) {
        struct tcp_conn *tcp;
        int rc = tcp_accept(srv->listener, &tcp, DEADLINE_NONE);
        if (rc == -EBADF)
            return 0;
        if (rc < 0)
            continue;
        struct dnsd_conn *c = srv->nconns < srv->cfg->max_conns ? kmalloc(sizeof(*c)) : NULL;
        struct fiber *f = NULL;
        if (c) {
            c->srv = srv;
            c->tcp = tcp;
            c->used = 0;
            f = fiber_spawn("dns-tcp", conn_fiber, c, CONN_STACK);
        }
        if (!f) {
            srv->stats.tcp_refused++;
            kfree(c);
            tcp_abort(tcp);
            continue;
        }
        srv->stats.tcp_connections++;
        list_add_tail(&srv->conns, &c->link);
        srv->nconns++;
        fiber_detach(f);
    }
}

int dnsd_server_start(struct dnsd_server *srv, struct netstack *stack, const struct dnsd_config *cfg,
                      const struct zone_set *zones)
{
    srv->cfg = cfg;
    srv->zones = zones;
    list_init(&srv->conns);
    waitq_init(&srv->idle);
    srv->nconns = 0;
    memset(&srv->stats, 0, sizeof(srv->stats));
    rrl_init(&srv->rrl, cfg->rrl_rate, cfg->rrl_slip);
    int rc = udp_bind(stack, (uint16_t)cfg->port, &srv->udp);
    if (rc != 0) {
        log_error(TAG, "UDP port %u: %s", (unsigned)cfg->port, error_name(rc));
        return rc;
    }
    udp_set_rx_limits(srv->udp, UDP_RX_DATAGRAMS, UDP_RX_BYTES);
    rc = tcp_listen(stack, (uint16_t)cfg->port, 64, &srv->listener);
    if (rc != 0) {
        log_error(TAG, "TCP port %u: %s", (unsigned)cfg->port, error_name(rc));
        udp_close(srv->udp);
        return rc;
    }
    srv->udp_fiber = fiber_spawn("dns-udp", udp_fiber, srv, UDP_STACK);
    srv->acceptor = srv->udp_fiber ? fiber_spawn("dns-accept", acceptor_fiber, srv, 0) : NULL;
    if (!srv->acceptor) {
        log_error(TAG, "out of memory");
        tcp_listener_close(srv->listener);
        udp_close(srv->udp);
        if (srv->udp_fiber)
            fiber_join(srv->udp_fiber);
        return -ENOMEM;
    }
    return 0;
}

void dnsd_server_stop(struct dnsd_server *srv, uint64_t grace_ns)
{
    udp_close(srv->udp);
    fiber_join(srv->udp_fiber);
    tcp_listener_close(srv->listener);
    fiber_join(srv->acceptor);
    list_for_each(pos, &srv->conns)
        tcp_shutdown(list_entry(pos, struct dnsd_conn, link)->tcp, TCP_SHUT_RDWR);
    uint64_t deadline = platform_monotonic_ns() + grace_ns;
    while (srv->nconns > 0 && waitq_wait(&srv->idle, deadline) != -ETIMEDOUT)
        ;
    list_for_each(pos, &srv->conns)
        tcp_reset(list_entry(pos, struct dnsd_conn, link)->tcp);
    while (srv->nconns > 0)
        waitq_wait(&srv->idle, DEADLINE_NONE);
    COUNTERS_PRINT("dns", NULL, DNSD_COUNTERS, srv->stats);
    COUNTERS_PRINT("dns.rrl", NULL, RRL_COUNTERS, srv->rrl.stats);
}
