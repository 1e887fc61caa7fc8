/*
 * bench/ops/ops_lwip.c: the per-operation harness of bench/ops/ops_xenolith.c, done by lwIP
 * 2.1.3 (Debian's liblwip, raw API). One lwIP instance holds two Ethernet netifs, A 10.1.0.1 and
 * B 10.1.0.2, wired back to back by the same kind of copying in-memory wire; every pcb is bound
 * to its side's netif (tcp_bind_netif / udp_bind_netif; accepted pcbs inherit the listener's), so
 * each side's traffic leaves through its own netif and crosses the wire. No tcpip thread: the
 * harness calls the raw API and netif->input itself, as a NO_SYS system does, and no timer runs
 * inside a measurement (both stacks acknowledge every second full segment without one).
 *
 * Same operations, same counts, same metering (bench/ops/meter.h): "whole" operations count
 * everything but the wire's copy; tcp_send counts side A's calls and input, tcp_recv_ack side
 * B's input (with the application's copy in its receive callback).
 */
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "netif/ethernet.h"

#include "bench/ops/meter.h"

/* ---- the wire ---- */

#define WIRE_QUEUE 1024
struct wire_side {
    struct netif netif;
    struct pbuf *queue[WIRE_QUEUE];      /* frames waiting for delivery to this side */
    unsigned head, count;
    int metered;
};
static struct wire_side wire[2];

static err_t wire_linkoutput(struct netif *netif, struct pbuf *p)
{
    struct wire_side *to = &wire[netif == &wire[0].netif ? 1 : 0];
    meter_pause();
    struct pbuf *q = pbuf_alloc(PBUF_RAW, p->tot_len, PBUF_RAM);
    BENCH_CHECK(q && pbuf_copy(q, p) == ERR_OK && to->count < WIRE_QUEUE);
    to->queue[(to->head + to->count) % WIRE_QUEUE] = q;
    to->count++;
    meter_resume();
    return ERR_OK;
}

/* Delivers every frame in flight, in order, until both directions are empty. */
static void settle(void)
{
    for (;;) {
        int moved = 0;
        for (int i = 0; i < 2; i++) {
            struct wire_side *w = &wire[i];
            while (w->count) {
                struct pbuf *p = w->queue[w->head];
                w->head = (w->head + 1) % WIRE_QUEUE;
                w->count--;
                if (w->metered)
                    meter_on();
                w->netif.input(p, &w->netif);
                if (w->metered)
                    meter_off();
                moved = 1;
            }
        }
        if (!moved)
            return;
    }
}

static err_t wire_netif_init(struct netif *netif)
{
    int side = netif == &wire[1].netif;
    static const u8_t mac[2][6] = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } };
    netif->name[0] = 'w';
    netif->name[1] = (char)('0' + side);
    netif->mtu = 1500;
    netif->hwaddr_len = 6;
    memcpy(netif->hwaddr, mac[side], 6);
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->output = etharp_output;
    netif->linkoutput = wire_linkoutput;
    return ERR_OK;
}

static ip_addr_t ip_a, ip_b;

static void netifs_up(void)
{
    ip4_addr_t addr, mask, gw;
    IP4_ADDR(&mask, 255, 255, 255, 0);
    IP4_ADDR(&gw, 0, 0, 0, 0);
    for (int i = 0; i < 2; i++) {
        IP4_ADDR(&addr, 10, 1, 0, (u8_t)(i + 1));
        BENCH_CHECK(netif_add(&wire[i].netif, &addr, &mask, &gw, NULL, wire_netif_init,
                              ethernet_input));
        netif_set_up(&wire[i].netif);
        netif_set_link_up(&wire[i].netif);
    }
    IP_ADDR4(&ip_a, 10, 1, 0, 1);
    IP_ADDR4(&ip_b, 10, 1, 0, 2);
}

/* ---- UDP ---- */

static struct udp_pcb *ua, *ub_echo, *ub_discard;
static unsigned udp_replies, udp_discarded;

static void echo_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                      u16_t port)
{
    u8_t buf[OPS_UDP_BYTES];
    u16_t n = pbuf_copy_partial(p, buf, sizeof(buf), 0);
    pbuf_free(p);
    struct pbuf *r = pbuf_alloc(PBUF_TRANSPORT, n, PBUF_RAM);
    if (!r)
        return;
    pbuf_take(r, buf, n);
    udp_sendto(pcb, r, addr, port);
    pbuf_free(r);
}

static void count_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                       u16_t port)
{
    (*(unsigned *)arg)++;
    pbuf_free(p);
}

static struct udp_pcb *udp_open(int side, u16_t port, udp_recv_fn fn, void *arg)
{
    struct udp_pcb *pcb = udp_new();
    BENCH_CHECK(pcb && udp_bind(pcb, side ? &ip_b : &ip_a, port) == ERR_OK);
    udp_bind_netif(pcb, &wire[side].netif);
    udp_recv(pcb, fn, arg);
    return pcb;
}

/* The application's send: a datagram from its bytes, as udp_sendto does in ours. */
static void udp_send_bytes(struct udp_pcb *pcb, const ip_addr_t *dst, u16_t port, const void *buf,
                           u16_t len)
{
    struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, len, PBUF_RAM);
    BENCH_CHECK(p);
    pbuf_take(p, buf, len);
    udp_sendto(pcb, p, dst, port);
    pbuf_free(p);
}

static void op_udp_echo(void)
{
    static const u8_t payload[OPS_UDP_BYTES] = { 1, 2, 3 };
    udp_replies = 0;
    meter_op_begin();
    meter_on();
    for (unsigned i = 0; i < OPS_UDP; i++) {
        udp_send_bytes(ua, &ip_b, 7, payload, sizeof(payload));
        settle();
    }
    meter_off();
    meter_op_end("udp_echo", OPS_UDP);
    BENCH_CHECK(udp_replies == OPS_UDP);
}

static void op_oneway(const char *name, int flush)
{
    static const u8_t payload[OPS_UDP_BYTES] = { 4, 5, 6 };
    udp_discarded = 0;
    meter_op_begin();
    for (unsigned i = 0; i < OPS_ARP; i++) {
        if (flush) {
            etharp_cleanup_netif(&wire[0].netif);
            etharp_cleanup_netif(&wire[1].netif);
        }
        meter_on();
        udp_send_bytes(ua, &ip_b, 9, payload, sizeof(payload));
        settle();
        meter_off();
    }
    meter_op_end(name, OPS_ARP);
    BENCH_CHECK(udp_discarded == OPS_ARP);
}

/* ---- TCP ---- */

struct conn {                            /* one end's application state */
    struct tcp_pcb *pcb;
    int connected, closed, http_server;
    size_t got;                          /* bytes received */
    char in[4096];
    size_t have;
};
static struct conn server_side[OPS_CONNECTIONS + 8];
static unsigned server_count, server_closed;
static int server_http;
static struct conn client;

static err_t conn_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct conn *c = arg;
    if (!p) {                            /* FIN: close our side too */
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        tcp_close(pcb);
        c->closed = 1;
        if (c != &client)
            server_closed++;
        return ERR_OK;
    }
    static u8_t sink[65536];
    u16_t len = p->tot_len;
    if (c->http_server) {
        size_t room = sizeof(c->in) - 1 - c->have;
        u16_t n = pbuf_copy_partial(p, c->in + c->have, len < room ? len : (u16_t)room, 0);
        c->have += n;
        c->in[c->have] = 0;
        char *end;
        static char out[sizeof(ops_http_head) + OPS_HTTP_BODY];
        size_t head = strlen(ops_http_head);
        memcpy(out, ops_http_head, head);
        memset(out + head, 'x', OPS_HTTP_BODY);
        while ((end = strstr(c->in, "\r\n\r\n"))) {
            size_t used = (size_t)(end + 4 - c->in);
            BENCH_CHECK(tcp_write(pcb, out, (u16_t)(head + OPS_HTTP_BODY), TCP_WRITE_FLAG_COPY) ==
                        ERR_OK);
            tcp_output(pcb);
            memmove(c->in, c->in + used, c->have - used + 1);
            c->have -= used;
        }
    } else {
        pbuf_copy_partial(p, sink, len, 0);
    }
    c->got += len;
    tcp_recved(pcb, len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t server_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    BENCH_CHECK(err == ERR_OK && server_count < sizeof(server_side) / sizeof(server_side[0]));
    struct conn *c = &server_side[server_count++];
    memset(c, 0, sizeof(*c));
    c->pcb = pcb;
    c->http_server = server_http;
    tcp_arg(pcb, c);
    tcp_recv(pcb, conn_recv);
    return ERR_OK;
}

static struct tcp_pcb *server_listen(u16_t port)
{
    struct tcp_pcb *pcb = tcp_new();
    BENCH_CHECK(pcb && tcp_bind(pcb, &ip_b, port) == ERR_OK);
    tcp_bind_netif(pcb, &wire[1].netif);
    struct tcp_pcb *l = tcp_listen_with_backlog(pcb, 64);
    BENCH_CHECK(l);
    tcp_accept(l, server_accept);
    return l;
}

static err_t client_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    ((struct conn *)arg)->connected = 1;
    return ERR_OK;
}

/* Opens the client's connection from A (the handshake runs through settle). */
static void client_connect(u16_t port)
{
    memset(&client, 0, sizeof(client));
    client.pcb = tcp_new();
    BENCH_CHECK(client.pcb && tcp_bind(client.pcb, &ip_a, 0) == ERR_OK);
    tcp_bind_netif(client.pcb, &wire[0].netif);
    tcp_arg(client.pcb, &client);
    tcp_recv(client.pcb, conn_recv);
    BENCH_CHECK(tcp_connect(client.pcb, &ip_b, port, client_connected) == ERR_OK);
    settle();
    BENCH_CHECK(client.connected);
}

static void op_connect_close(void)
{
    struct tcp_pcb *l = server_listen(80);
    server_count = server_closed = 0;
    server_http = 0;
    /* One connection first, unmeasured, as every other operation warms up (both harnesses). */
    for (unsigned i = 0; i <= OPS_CONNECTIONS; i++) {
        if (i == 1)
            meter_op_begin(), meter_on();
        client_connect(80);
        tcp_arg(client.pcb, NULL);
        tcp_recv(client.pcb, NULL);
        BENCH_CHECK(tcp_close(client.pcb) == ERR_OK);
        settle();
        BENCH_CHECK(server_closed == i + 1);
    }
    meter_off();
    meter_op_end("tcp_connect_close", OPS_CONNECTIONS);
    tcp_close(l);
}

static void op_http(void)
{
    struct tcp_pcb *l = server_listen(8080);
    server_count = server_closed = 0;
    server_http = 1;
    client_connect(8080);
    size_t want = strlen(ops_http_head) + OPS_HTTP_BODY;
    for (unsigned round = 0; round < 2; round++) {
        if (round)
            meter_op_begin(), meter_on();
        for (unsigned i = 0; i < OPS_REQUESTS; i++) {
            size_t before = client.got;
            BENCH_CHECK(tcp_write(client.pcb, ops_http_request, (u16_t)strlen(ops_http_request),
                                  TCP_WRITE_FLAG_COPY) == ERR_OK);
            tcp_output(client.pcb);
            settle();
            BENCH_CHECK(client.got - before == want);
        }
        if (round)
            meter_off(), meter_op_end("http_exchange", OPS_REQUESTS);
    }
    tcp_arg(client.pcb, NULL);
    tcp_recv(client.pcb, NULL);
    tcp_close(client.pcb);
    settle();
    tcp_close(l);
}

static void op_bulk(const char *name, int side)
{
    struct tcp_pcb *l = server_listen((u16_t)(5001 + side));
    server_count = server_closed = 0;
    server_http = 0;
    client_connect((u16_t)(5001 + side));
    BENCH_CHECK(server_count == 1);
    struct conn *srv = &server_side[0];
    u16_t mss = client.pcb->mss;         /* 1460: lwIP sends no timestamp option */
    BENCH_CHECK(mss <= OPS_SEGMENT_BYTES);
    static u8_t data[2 * OPS_SEGMENT_BYTES];
    memset(data, 'd', sizeof(data));
    unsigned frames_before = 0;
    for (unsigned round = 0; round < 2; round++) {
        if (round) {
            meter_op_begin();
            wire[side].metered = 1;
        }
        for (unsigned i = 0; i < OPS_SEGMENTS / 2; i++) {
            if (round && side == 0)
                meter_on();
            BENCH_CHECK(tcp_write(client.pcb, data, (u16_t)(2 * mss), TCP_WRITE_FLAG_COPY) == ERR_OK);
            tcp_output(client.pcb);
            if (round && side == 0)
                meter_off();
            frames_before += wire[1].count;
            settle();
        }
        if (round) {
            wire[side].metered = 0;
            meter_op_end(name, OPS_SEGMENTS);
        }
    }
    BENCH_CHECK(srv->got == 2u * OPS_SEGMENTS * mss);
    BENCH_CHECK(frames_before == 2u * OPS_SEGMENTS);   /* two full segments per write, no more */
    printf("segment %s %u\n", name, mss);
    tcp_arg(client.pcb, NULL);
    tcp_recv(client.pcb, NULL);
    tcp_close(client.pcb);
    settle();
    tcp_close(l);
    settle();
}

int main(void)
{
    lwip_init();
    netifs_up();
    ua = udp_open(0, 0, count_recv, &udp_replies);
    ub_echo = udp_open(1, 7, echo_recv, NULL);
    ub_discard = udp_open(1, 9, count_recv, &udp_discarded);
    static const u8_t x[1] = { 0 };
    udp_send_bytes(ua, &ip_b, 7, x, 1);
    settle();
    udp_replies = 0;
    op_udp_echo();
    op_oneway("udp_oneway", 0);
    op_oneway("arp", 1);
    op_connect_close();
    op_http();
    op_bulk("tcp_send", 0);
    op_bulk("tcp_recv_ack", 1);
    return 0;
}
