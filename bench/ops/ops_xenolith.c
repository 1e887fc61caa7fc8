/*
 * bench/ops/ops_xenolith.c: per-operation cost of Xenolith's network stack, in instructions.
 * Two stacks (A 10.1.0.1, B 10.1.0.2) on the simulated platform (test/unit/sim), wired back to
 * back by a copying in-memory wire, run the operations bench/ops/meter.h lists; under callgrind
 * the meter collects only the stack's own work. bench/ops/ops_lwip.c does the same with lwIP.
 *
 * Two kinds of operation:
 *   whole  both stacks, the scheduler and the timers, everything but the wire's copy
 *          (udp_echo, arp, udp_oneway, tcp_connect_close, http_exchange);
 *   side   one stack only: frames delivered to it and the API calls it makes (tcp_send counts A
 *          writing full segments and taking their ACKs; tcp_recv_ack counts B taking them,
 *          acknowledging every second one as RFC 5681 4.2 asks, and the application reading).
 */
#include <string.h>

#include "bench/ops/meter.h"
#include "lib/errno.h"
#include "mm/mm.h"
#include "net/link/arp.h"
#include "mm/pbuf.h"
#include "net/stack.h"
#include "net/tcp/tcp.h"
#include "net/udp/udp.h"
#include "platform/netdev.h"
#include "sched/sched.h"
#include "test/unit/sim/sim.h"

#define A_IP IP4_ADDR(10, 1, 0, 1)
#define B_IP IP4_ADDR(10, 1, 0, 2)
#define NEVER UINT64_MAX

/* ---- the wire: a frame sent on one side is copied into the other side's pool and delivered
 * in order by the platform's event dispatch, as a NIC's frames are (an event source of the
 * simulated platform, test/unit/sim/sim.h): no timer of the scheduler's is armed for it, as the
 * lwIP harness's wire calls its input directly ---- */

#define WIRE_QUEUE 1024
struct wire_side {
    struct netdev dev;
    struct pbuf_pool *pool;
    struct pbuf *queue[WIRE_QUEUE];      /* frames waiting for delivery to this side */
    unsigned head, count;
    bool metered;                        /* side mode: this side's input is counted */
};
static struct wire_side wire[2];
static uint8_t wire_frame[2048];

static void wire_deliver(struct wire_side *w)
{
    while (w->count) {
        struct pbuf *p = w->queue[w->head];
        w->head = (w->head + 1) % WIRE_QUEUE;
        w->count--;
        if (w->metered)
            meter_on();
        netdev_receive(&w->dev, p);
        if (w->metered)
            meter_off();
    }
}

static int wire_transmit(struct netdev *dev, struct pbuf *p)
{
    struct wire_side *to = &wire[dev == &wire[0].dev ? 1 : 0];
    meter_pause();
    size_t n = p->tot_len;
    BENCH_CHECK(n <= sizeof(wire_frame) && pbuf_copy_out(p, 0, wire_frame, n) == 0);
    pbuf_free(p);
    struct pbuf *q = pbuf_from_bytes(to->pool, wire_frame, n);
    BENCH_CHECK(q && to->count < WIRE_QUEUE);
    to->queue[(to->head + to->count) % WIRE_QUEUE] = q;
    to->count++;
    meter_resume();
    return 0;
}

static const struct netdev_ops wire_ops = { .transmit = wire_transmit };

static bool wire_idle(void)
{
    return wire[0].count == 0 && wire[1].count == 0;
}

/* The wire's event source: both directions' frames, each side's in order. */
static bool wire_pending(void *arg)
{
    (void)arg;
    return !wire_idle();
}
static void wire_dispatch(void *arg)
{
    (void)arg;
    wire_deliver(&wire[0]);
    wire_deliver(&wire[1]);
}
static struct sim_event_source wire_events = { .pending = wire_pending, .dispatch = wire_dispatch };

/* Lets every frame in flight and every zero-delay consequence happen. */
static void settle(void)
{
    do
        fiber_sleep_ns(1);
    while (!wire_idle());
}

static struct netstack *sa, *sb;

static void stacks_up(void)
{
    static const uint8_t mac[2][6] = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } };
    for (int i = 0; i < 2; i++) {
        wire[i].pool = pbuf_pool_create(i ? "b.rx" : "a.rx", 2048);
        BENCH_CHECK(wire[i].pool);
        netdev_init(&wire[i].dev, &wire_ops, i ? "wire1" : "wire0", mac[i], 1500, 0,
                    wire[i].pool, &wire[i]);
    }
    sim_add_event_source(&wire_events);
    sa = netstack_create(&wire[0].dev);
    sb = netstack_create(&wire[1].dev);
    BENCH_CHECK(sa && sb);
    struct ipv4_config ca = { .addr = A_IP, .prefix_len = 24 };
    struct ipv4_config cb = { .addr = B_IP, .prefix_len = 24 };
    BENCH_CHECK(netstack_set_ipv4_config(sa, &ca) == 0);
    BENCH_CHECK(netstack_set_ipv4_config(sb, &cb) == 0);
}

/* ---- UDP: echo on B's port 7, discard on B's port 9, replies counted on A ---- */

static struct udp_socket *ua, *ub_echo, *ub_discard;
static unsigned udp_replies, udp_discarded;

static void echo_handler(struct udp_socket *sock, struct pbuf *p,
                         const struct udp_datagram_info *info, void *arg)
{
    uint8_t buf[OPS_UDP_BYTES];
    size_t n = p->tot_len < sizeof(buf) ? p->tot_len : sizeof(buf);
    pbuf_copy_out(p, 0, buf, n);
    pbuf_free(p);
    udp_sendto(sock, info->src_addr, info->src_port, buf, n);
}

static void count_handler(struct udp_socket *sock, struct pbuf *p,
                          const struct udp_datagram_info *info, void *arg)
{
    (*(unsigned *)arg)++;
    pbuf_free(p);
}

static void udp_up(void)
{
    BENCH_CHECK(udp_bind(sa, 0, &ua) == 0);
    BENCH_CHECK(udp_bind(sb, 7, &ub_echo) == 0);
    BENCH_CHECK(udp_bind(sb, 9, &ub_discard) == 0);
    udp_set_receive_handler(ua, count_handler, &udp_replies);
    udp_set_receive_handler(ub_echo, echo_handler, NULL);
    udp_set_receive_handler(ub_discard, count_handler, &udp_discarded);
}

static void op_udp_echo(void)
{
    static const uint8_t payload[OPS_UDP_BYTES] = { 1, 2, 3 };
    udp_replies = 0;
    meter_op_begin();
    meter_on();
    for (unsigned i = 0; i < OPS_UDP; i++) {
        udp_sendto(ua, B_IP, 7, payload, sizeof(payload));
        settle();
    }
    meter_off();
    meter_op_end("udp_echo", OPS_UDP);
    BENCH_CHECK(udp_replies == OPS_UDP);
}

/* One datagram A -> B's discard port, with (arp) or without (udp_oneway) an ARP exchange first. */
static void op_oneway(const char *name, bool flush)
{
    static const uint8_t payload[OPS_UDP_BYTES] = { 4, 5, 6 };
    udp_discarded = 0;
    meter_op_begin();
    for (unsigned i = 0; i < OPS_ARP; i++) {
        if (flush) {
            arp_flush(&sa->arp);
            arp_flush(&sb->arp);
        }
        meter_on();
        udp_sendto(ua, B_IP, 9, payload, sizeof(payload));
        settle();
        meter_off();
    }
    meter_op_end(name, OPS_ARP);
    BENCH_CHECK(udp_discarded == OPS_ARP);
}

/* ---- TCP ---- */

struct server {
    struct tcp_listener *l;
    unsigned closed;                     /* connections served to their end */
    bool http;                           /* answer requests instead of waiting for EOF */
    struct tcp_conn *conn;               /* the http connection */
};

static int server_fiber(void *arg)
{
    struct server *s = arg;
    for (;;) {
        struct tcp_conn *c;
        if (tcp_accept(s->l, &c, NEVER) != 0)
            return 0;
        if (s->http) {
            s->conn = c;
            static char in[4096];
            static char out[sizeof(ops_http_head) + OPS_HTTP_BODY];
            size_t head = strlen(ops_http_head);
            memcpy(out, ops_http_head, head);
            memset(out + head, 'x', OPS_HTTP_BODY);
            size_t have = 0;
            for (;;) {
                long n = tcp_read(c, in + have, sizeof(in) - 1 - have, NEVER);
                if (n <= 0)
                    break;
                have += (size_t)n;
                in[have] = 0;
                char *end;
                while ((end = strstr(in, "\r\n\r\n"))) {
                    size_t used = (size_t)(end + 4 - in);
                    BENCH_CHECK(tcp_write(c, out, head + OPS_HTTP_BODY, NEVER) ==
                                (long)(head + OPS_HTTP_BODY));
                    memmove(in, in + used, have - used + 1);
                    have -= used;
                }
            }
            tcp_close(c);
            s->conn = NULL;
            continue;
        }
        char buf[64];
        while (tcp_read(c, buf, sizeof(buf), NEVER) > 0)
            ;
        tcp_close(c);
        s->closed++;
    }
}

static void op_connect_close(void)
{
    struct server s = { 0 };
    BENCH_CHECK(tcp_listen(sb, 80, 64, &s.l) == 0);
    fiber_detach(fiber_spawn("server", server_fiber, &s, 0));
    settle();
    /* One connection first, unmeasured, as every other operation warms up (both harnesses). */
    for (unsigned i = 0; i <= OPS_CONNECTIONS; i++) {
        if (i == 1)
            meter_op_begin(), meter_on();
        struct tcp_conn *c;
        BENCH_CHECK(tcp_connect(sa, B_IP, 80, NEVER, &c) == 0);
        tcp_close(c);
        while (s.closed <= i || !wire_idle())
            settle();
    }
    meter_off();
    meter_op_end("tcp_connect_close", OPS_CONNECTIONS);
    tcp_listener_close(s.l);
    settle();
}

static void op_http(void)
{
    struct server s = { .http = true };
    BENCH_CHECK(tcp_listen(sb, 8080, 8, &s.l) == 0);
    fiber_detach(fiber_spawn("http", server_fiber, &s, 0));
    struct tcp_conn *c;
    BENCH_CHECK(tcp_connect(sa, B_IP, 8080, NEVER, &c) == 0);
    size_t want = strlen(ops_http_head) + OPS_HTTP_BODY;
    static char buf[8192];
    for (unsigned round = 0; round < 2; round++) {         /* a warm-up pass, then the measured */
        if (round)
            meter_op_begin(), meter_on();
        for (unsigned i = 0; i < OPS_REQUESTS; i++) {
            size_t len = strlen(ops_http_request);
            BENCH_CHECK(tcp_write(c, ops_http_request, len, NEVER) == (long)len);
            size_t got = 0;
            while (got < want) {
                long n = tcp_read(c, buf, sizeof(buf), NEVER);
                BENCH_CHECK(n > 0);
                got += (size_t)n;
            }
            BENCH_CHECK(got == want);
        }
        settle();
        if (round)
            meter_off(), meter_op_end("http_exchange", OPS_REQUESTS);
    }
    tcp_close(c);
    settle();
    tcp_listener_close(s.l);
    settle();
}

struct acceptor {
    struct tcp_listener *l;
    struct tcp_conn *c;
    bool done;
};
static int acceptor_fiber(void *arg)
{
    struct acceptor *a = arg;
    BENCH_CHECK(tcp_accept(a->l, &a->c, NEVER) == 0);
    a->done = true;
    return 0;
}

/* Bulk: A writes two full segments at a time, B reads them; side 0 meters A, side 1 meters B. */
static void op_bulk(const char *name, unsigned side)
{
    struct acceptor acc = { 0 };
    BENCH_CHECK(tcp_listen(sb, 5001, 8, &acc.l) == 0);
    fiber_detach(fiber_spawn("acceptor", acceptor_fiber, &acc, 0));
    struct tcp_conn *c;
    BENCH_CHECK(tcp_connect(sa, B_IP, 5001, NEVER, &c) == 0);
    while (!acc.done)
        settle();
    /* A full-sized segment carries snd_mss bytes: 1460 less the 12 bytes of the timestamp
     * option that our stack negotiates by default. */
    struct tcp_conn_info info;
    tcp_get_info(c, &info);
    BENCH_CHECK(info.snd_mss <= OPS_SEGMENT_BYTES);
    size_t chunk = 2 * (size_t)info.snd_mss;
    static uint8_t data[2 * OPS_SEGMENT_BYTES], sink[65536];
    memset(data, 'd', sizeof(data));
    tcp_get_info(c, &info);
    uint64_t segs_before = info.segs_out;
    size_t total = 0;
    for (unsigned round = 0; round < 2; round++) {         /* warm-up (slow start), measured */
        if (round) {
            meter_op_begin();
            wire[side].metered = true;
        }
        for (unsigned i = 0; i < OPS_SEGMENTS / 2; i++) {
            if (round && side == 0)
                meter_on();
            BENCH_CHECK(tcp_write(c, data, chunk, NEVER) == (long)chunk);
            if (round && side == 0)
                meter_off();
            settle();
            if (round && side == 1)
                meter_on();
            while (tcp_readable(acc.c)) {
                long n = tcp_read(acc.c, sink, sizeof(sink), NEVER);
                BENCH_CHECK(n > 0);
                total += (size_t)n;
            }
            if (round && side == 1)
                meter_off();
            settle();
        }
        if (round) {
            wire[side].metered = false;
            meter_op_end(name, OPS_SEGMENTS);
        }
    }
    BENCH_CHECK(total == 2 * (size_t)OPS_SEGMENTS * info.snd_mss);     /* both rounds */
    tcp_get_info(c, &info);
    BENCH_CHECK(info.segs_out - segs_before == 2 * OPS_SEGMENTS);     /* full-sized, no more */
    printf("segment %s %u\n", name, info.snd_mss);
    tcp_close(c);
    tcp_close(acc.c);
    settle();
    tcp_listener_close(acc.l);
    settle();
}

static bool bench_done;
static int bench_fiber(void *arg)
{
    stacks_up();
    udp_up();
    settle();
    /* Warm ARP both ways and every code path once before anything is measured. */
    static const uint8_t x[1] = { 0 };
    udp_sendto(ua, B_IP, 7, x, 1);
    settle();
    op_udp_echo();
    op_oneway("udp_oneway", false);
    op_oneway("arp", true);
    op_connect_close();
    op_http();
    op_bulk("tcp_send", 0);
    op_bulk("tcp_recv_ack", 1);
    bench_done = true;
    return 0;
}

static bool finished(void *arg)
{
    return bench_done;
}

int main(void)
{
    sim_reset(1000000000ull);
    const struct mem_region *regions;
    size_t n = platform_memory(&regions);
    page_allocator_init(regions, n);
    sched_init();
    fiber_detach(fiber_spawn("bench", bench_fiber, NULL, 0));
    sched_run(finished, NULL);
    return 0;
}
