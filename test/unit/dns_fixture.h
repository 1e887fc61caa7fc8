/*
 * test/unit/dns_fixture.h: the stub resolver's test bed (header-only): two stacks back to back on
 * the simulated clock, the client at A (its DNS server B, as DHCP or dns= would set it) and a fake
 * recursive server at B answering from a small table over UDP and TCP port 53, with knobs for
 * loss, spoofing, truncation, rcodes and EDNS. Resolutions run in fibers as applications do.
 */
#ifndef XENOLITH_TEST_UNIT_DNS_FIXTURE_H
#define XENOLITH_TEST_UNIT_DNS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "dns/dns_resolver.h"
#include "lib/errno.h"
#include "net/dev/pair.h"
#include "net/udp/udp.h"
#include "test/unit/net_ip_fixture.h"
#include "xenolith/tcp.h"
#include "xenolith/udp.h"

#define A_IP IP4_ADDR(10, 1, 0, 1)
#define B_IP IP4_ADDR(10, 1, 0, 2)
#define FORGED_IP IP4_ADDR(10, 1, 0, 66)
#define DEAD_IP IP4_ADDR(10, 1, 0, 99)

/* What the fake server does. */
struct fake_server {
    unsigned drop_first;        /* UDP queries dropped before answering */
    unsigned drop_all;          /* drop every UDP query */
    bool spoof_first;           /* before each answer: wrong ID, wrong question, wrong port, wrong address */
    bool truncate_udp;          /* UDP answers carry TC and no records */
    bool tcp_silent;            /* TCP queries are read and never answered (for 30 s) */
    bool unplug_after_udp;      /* the cable is pulled once a UDP answer is sent (it arrives):
                                   a TCP open that follows hears nothing */
    uint8_t rcode;              /* forced rcode (0: by the table) */
    bool formerr_on_edns;       /* FORMERR to queries with an OPT record */
    bool negative_without_soa;  /* NXDOMAIN/NODATA without the SOA */
    uint32_t ttl;               /* of the table's records (default 60) */
    /* what it saw */
    unsigned udp_queries, tcp_queries;
    uint16_t ports[32], ids[32];
    bool saw_opt[32], saw_rd[32];
    struct dns_name asked[32];
};

static struct pbuf_pool *pool_a, *pool_b;
static struct netdev_pair *pair;
static struct netstack *a, *b;
static struct fake_server server;
static struct udp_socket *server_udp;
static struct tcp_listener *server_tcp;

static struct dns_name fx_name(const char *text)
{
    struct dns_name n;
    ck_assert_int_eq(dns_name_from_text(&n, text, strlen(text)), 0);
    return n;
}

static struct dns_rr fx_rr(const struct dns_name *owner, uint16_t type, uint32_t ttl)
{
    struct dns_rr rr;
    memset(&rr, 0, sizeof(rr));
    rr.name = *owner;
    rr.type = type;
    rr.rclass = DNS_CLASS_IN;
    rr.ttl = ttl;
    return rr;
}

/* The SOA of the fake zone "test": TTL 300, MINIMUM 30 (RFC 2308 5: the lesser, 30 s, applies). */
static struct dns_rr fx_soa(void)
{
    struct dns_name zone = fx_name("test");
    struct dns_rr soa = fx_rr(&zone, DNS_TYPE_SOA, 300);
    soa.rd.soa.mname = fx_name("ns.test");
    soa.rd.soa.rname = fx_name("hostmaster.test");
    soa.rd.soa.serial = 1;
    soa.rd.soa.minimum = 30;
    return soa;
}

/*
 * The table: www.test A 10.0.0.1; alias.test CNAME www.test (both in the answer); chainN.test
 * CNAME chainN+1.test alone (followed by new queries), chain5.test A 10.0.0.5; big.test 30 A
 * records; nodata.test exists without A; every other name NXDOMAIN. Returns the answer length.
 */
static size_t fx_answer(const uint8_t *query, size_t qlen, uint8_t *out, size_t cap, bool tcp)
{
    struct dns_reader rd;
    struct dns_header qh;
    struct dns_question q;
    if (dns_reader_init(&rd, query, qlen, &qh) < 0 || dns_read_question(&rd, &q) < 0)
        return 0;
    bool opt = qh.arcount > 0;
    unsigned n = tcp ? server.tcp_queries : server.udp_queries;
    if (!tcp && n < 32) {
        server.ids[n] = qh.id;
        server.saw_opt[n] = opt;
        server.saw_rd[n] = (qh.flags & DNS_FLAG_RD) != 0;
        server.asked[n] = q.name;
    }
    uint32_t ttl = server.ttl ? server.ttl : 60;
    struct dns_writer w;
    dns_writer_init(&w, out, cap);
    struct dns_header h = {.id = qh.id, .flags = DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA, .qdcount = 1};
    dns_write_header(&w, &h);
    dns_write_question(&w, &q);
    uint16_t an = 0, ns = 0;
    unsigned rcode = DNS_RCODE_NOERROR;
    char text[DNS_TEXT_MAX];
    dns_name_to_text(&q.name, text, sizeof(text));
    struct dns_rr rr;
    if (server.formerr_on_edns && opt) {
        rcode = DNS_RCODE_FORMERR;
    } else if (server.rcode) {
        rcode = server.rcode;
    } else if (!strcmp(text, "www.test") || !strcmp(text, "alias.test")) {
        struct dns_name www = fx_name("www.test");
        if (!strcmp(text, "alias.test")) {
            rr = fx_rr(&q.name, DNS_TYPE_CNAME, ttl);
            rr.rd.target = www;
            dns_write_rr(&w, &rr);
            an++;
        }
        if (q.type == DNS_TYPE_A) {
            rr = fx_rr(&www, DNS_TYPE_A, ttl);
            memcpy(rr.rd.a, (uint8_t[]){10, 0, 0, 1}, 4);
            dns_write_rr(&w, &rr);
            an++;
        }
    } else if (!strncmp(text, "chain", 5) && q.type == DNS_TYPE_A) {
        int i = atoi(text + 5);
        if (i == 5) {
            rr = fx_rr(&q.name, DNS_TYPE_A, ttl);
            memcpy(rr.rd.a, (uint8_t[]){10, 0, 0, 5}, 4);
        } else {
            rr = fx_rr(&q.name, DNS_TYPE_CNAME, ttl);
            char next[32];
            snprintf(next, sizeof(next), "chain%d.test", i + 1);
            rr.rd.target = fx_name(next);
        }
        dns_write_rr(&w, &rr);
        an++;
    } else if (!strcmp(text, "big.test") && q.type == DNS_TYPE_A) {
        if (!tcp && server.truncate_udp) {
            h.flags |= DNS_FLAG_TC;
        } else {
            for (int i = 0; i < 30; i++) {
                rr = fx_rr(&q.name, DNS_TYPE_A, ttl);
                memcpy(rr.rd.a, (uint8_t[]){10, 2, 0, (uint8_t)i}, 4);
                dns_write_rr(&w, &rr);
                an++;
            }
        }
    } else {
        if (strcmp(text, "nodata.test") && strcmp(text, "www.test"))
            rcode = DNS_RCODE_NXDOMAIN;
        if (!server.negative_without_soa) {
            rr = fx_soa();
            dns_write_rr(&w, &rr);
            ns++;
        }
    }
    h.flags = (uint16_t)(h.flags | rcode);
    dns_writer_set_flags(&w, h.flags);
    dns_writer_set_counts(&w, 1, an, ns, 0);
    return dns_writer_len(&w);
}

/* Sends a UDP datagram from B claiming to come from src:sport (the stack only sends its own). */
static void fx_forge_udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport, const uint8_t *data,
                         size_t len)
{
    struct pbuf *p = pbuf_alloc_headroom(b->pool, UDP_HEADER_LEN + len, 64);
    ck_assert_ptr_nonnull(p);
    uint8_t hdr[UDP_HEADER_LEN];
    store_u16(hdr, cpu_to_be16(sport));
    store_u16(hdr + 2, cpu_to_be16(dport));
    store_u16(hdr + 4, cpu_to_be16((uint16_t)(UDP_HEADER_LEN + len)));
    store_u16(hdr + 6, 0);
    ck_assert_int_eq(pbuf_copy_in(p, 0, hdr, sizeof(hdr)), 0);
    ck_assert_int_eq(pbuf_copy_in(p, UDP_HEADER_LEN, data, len), 0);
    uint16_t sum = udp_checksum(p, src, dst);
    store_be16(hdr + 6, sum == 0 ? 0xffff : sum);
    ck_assert_int_eq(pbuf_copy_in(p, 6, hdr + 6, 2), 0);
    struct ipv4_tx tx = {.src = src, .dst = dst, .protocol = 17};
    ck_assert_int_eq(ipv4_output(&b->ipv4, p, &tx), 0);
}

/* Four answers that must all be ignored, each with address 6.6.6.6 (so taking one shows). */
static void fx_spoof(const uint8_t *answer, size_t len, uint16_t port)
{
    static uint8_t bad[2048];
    size_t at_addr = len - 4; /* the last A record's address */
    memcpy(bad, answer, len);
    memcpy(bad + at_addr, (uint8_t[]){6, 6, 6, 6}, 4);
    struct udp_socket *other;
    ck_assert_int_eq(udp_bind(b, 5353, &other), 0);
    bad[0] ^= 0x55; /* wrong ID */
    ck_assert_int_gt(udp_sendto(server_udp, A_IP, port, bad, len), 0);
    bad[0] ^= 0x55;
    bad[13] ^= 0x01; /* wrong question: "www" becomes "vww" */
    ck_assert_int_gt(udp_sendto(server_udp, A_IP, port, bad, len), 0);
    bad[13] ^= 0x01;
    ck_assert_int_gt(udp_sendto(other, A_IP, port, bad, len), 0);       /* wrong source port */
    fx_forge_udp(FORGED_IP, 53, A_IP, port, bad, len);                 /* wrong source address */
    udp_close(other);
}

static int fx_udp_server(void *arg)
{
    (void)arg;
    static uint8_t query[1500], answer[4096];
    for (;;) {
        uint32_t src;
        uint16_t port;
        int n = udp_recvfrom(server_udp, query, sizeof(query), &src, &port, DEADLINE_NONE);
        if (n < 0)
            return 0;
        unsigned i = server.udp_queries;
        size_t len = fx_answer(query, (size_t)n, answer, sizeof(answer), false);
        if (i < 32)
            server.ports[i] = port;
        server.udp_queries++;
        if (len == 0)
            continue;
        if (server.spoof_first)
            fx_spoof(answer, len, port);
        if (server.drop_all || i < server.drop_first)
            continue;
        ck_assert_int_gt(udp_sendto(server_udp, src, port, answer, len), 0);
        if (server.unplug_after_udp)
            netdev_pair_set_link(pair, false);
    }
}

static int fx_tcp_server(void *arg)
{
    (void)arg;
    static uint8_t query[1500], answer[4096];
    for (;;) {
        struct tcp_conn *c;
        if (tcp_accept(server_tcp, &c, DEADLINE_NONE) < 0)
            return 0;
        uint8_t len_be[2];
        if (tcp_read(c, len_be, 2, DEADLINE_NONE) == 2) {
            size_t qlen = (size_t)len_be[0] << 8 | len_be[1];
            long got = tcp_read(c, query, qlen, DEADLINE_NONE);
            size_t len = got == (long)qlen ? fx_answer(query, qlen, answer + 2, sizeof(answer) - 2, true) : 0;
            server.tcp_queries++;
            if (server.tcp_silent)
                fiber_sleep_ns(30 * SEC);
            else if (len) {
                store_u16(answer, cpu_to_be16((uint16_t)len));
                tcp_write(c, answer, len + 2, DEADLINE_NONE);
            }
        }
        tcp_close(c);
    }
}

static void fx_set_client_dns(const uint32_t *servers, unsigned n)
{
    struct ipv4_config cfg = {.addr = A_IP, .prefix_len = 24, .dns_count = n};
    for (unsigned i = 0; i < n; i++)
        cfg.dns[i] = servers[i];
    ck_assert_int_eq(netstack_set_ipv4_config(a, &cfg), 0);
}

static void fx_setup(void)
{
    net_ip_fixture_boot();
    memset(&server, 0, sizeof(server));
    pool_a = pbuf_pool_create("a.rx", 256);
    pool_b = pbuf_pool_create("b.rx", 256);
    pair = netdev_pair_create("p", 7, 1500, 0, pool_a, pool_b);
    ck_assert_ptr_nonnull(pair);
    a = netstack_create(netdev_pair_end(pair, 0));
    b = netstack_create(netdev_pair_end(pair, 1));
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    fx_set_client_dns((uint32_t[]){B_IP}, 1);
    set_addr(b, B_IP, 24, 0);
    ck_assert_int_eq(udp_bind(b, DNS_PORT, &server_udp), 0);
    ck_assert_int_eq(tcp_listen(b, DNS_PORT, 8, &server_tcp), 0);
    fiber_detach(fiber_spawn("dns-udp", fx_udp_server, NULL, 0));
    fiber_detach(fiber_spawn("dns-tcp", fx_tcp_server, NULL, 0));
    run_for(10 * SEC); /* address announcements done */
}

/* One resolution in a fiber. */
struct fx_lookup {
    struct dns_resolver *r;
    const char *name;
    uint16_t type;
    uint64_t deadline;
    int rc;
    uint64_t done_at;
    bool done;
    struct dns_result res;
};

static int fx_lookup_fiber(void *arg)
{
    struct fx_lookup *l = arg;
    l->rc = dns_resolve(l->r, l->name, l->type, l->deadline, &l->res);
    l->done_at = sim_now();
    l->done = true;
    return 0;
}

/* Starts a resolution in a fiber (into *l); fx_finish runs the clock until it is done. */
static struct fiber *fx_start(struct fx_lookup *l, struct dns_resolver *r, const char *name,
                              uint16_t type, uint64_t deadline)
{
    memset(l, 0, sizeof(*l));
    l->r = r;
    l->name = name;
    l->type = type;
    l->deadline = deadline;
    struct fiber *f = fiber_spawn("resolve", fx_lookup_fiber, l, 0);
    ck_assert_ptr_nonnull(f);
    return f;
}

/* Runs the clock in 10 ms steps until l is done (at most `budget`), and joins its fiber. */
static void fx_finish(struct fx_lookup *l, struct fiber *f, uint64_t budget)
{
    uint64_t end = sim_now() + budget;
    while (!l->done && sim_now() < end)
        run_for(10 * MS);
    ck_assert_msg(l->done, "dns_resolve(%s) did not return", l->name);
    ck_assert_int_eq(fiber_join(f), 0);
}

/* Resolves in a fiber, running the clock until it is done (at most `budget`). */
static struct fx_lookup *fx_resolve(struct dns_resolver *r, const char *name, uint16_t type,
                                    uint64_t deadline, uint64_t budget)
{
    static struct fx_lookup l;
    fx_finish(&l, fx_start(&l, r, name, type, deadline), budget);
    return &l;
}

#endif
