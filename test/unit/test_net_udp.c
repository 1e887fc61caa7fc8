/*
 * Unit tests for net/udp (RFC 768, RFC 1122 4.1) and its sockets: two stacks wired back to back
 * over the in-memory pair on the simulated clock, plus a capture device for wire-level checks.
 * Fibers block in udp_recvfrom exactly as applications do.
 */
#include <stdlib.h>

#include "lib/errno.h"
#include "net/dev/pair.h"
#include "test/unit/net_ip_fixture.h"
#include "xenolith/test_main.h"

#define A_IP IP4_ADDR(10, 1, 0, 1)
#define B_IP IP4_ADDR(10, 1, 0, 2)

static struct pbuf_pool *pool_a, *pool_b;
static struct netdev_pair *pair;
static struct netstack *a, *b;
static uint8_t data[20000];

static void setup(void)
{
    net_ip_fixture_boot();
    pool_a = pbuf_pool_create("a.rx", 256);
    pool_b = pbuf_pool_create("b.rx", 256);
    pair = netdev_pair_create("p", 7, 1500, 0, pool_a, pool_b);
    ck_assert_ptr_nonnull(pair);
    a = netstack_create(netdev_pair_end(pair, 0));
    b = netstack_create(netdev_pair_end(pair, 1));
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    set_addr(a, A_IP, 24, 0);
    set_addr(b, B_IP, 24, 0);
    run_for(10 * SEC);       /* address announcements done */
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 31 + 7);
}

static void teardown(void)
{
    netstack_destroy(a);
    netstack_destroy(b);
    netdev_pair_destroy(pair);
    ck_assert_uint_eq(pool_in_use(pool_a), 0);
    ck_assert_uint_eq(pool_in_use(pool_b), 0);
    pbuf_pool_destroy(pool_a);
    pbuf_pool_destroy(pool_b);
}

/* Resolves B's MAC at A (one small datagram, answered by B's socket queue). ARP queues only a few
 * packets per unresolved neighbour (net/link/arp.h), fewer than a large datagram's fragments. */
static void resolve_b(struct udp_socket *sa, struct udp_socket *sb)
{
    char c;
    ck_assert_int_eq(udp_sendto(sa, B_IP, udp_local_port(sb), "r", 1), 1);
    run_for(SEC);
    ck_assert_int_eq(udp_recvfrom(sb, &c, 1, NULL, NULL, 0), 1);
}

/* A fiber that receives once into its own buffer. */
struct receiver {
    struct udp_socket *sock;
    uint64_t deadline;
    int result;
    uint32_t src;
    uint16_t port;
    uint64_t returned_at;
    uint8_t buf[20000];
    size_t len;
};

static int receive_fiber(void *arg)
{
    struct receiver *r = arg;
    r->result = udp_recvfrom(r->sock, r->buf, r->len ? r->len : sizeof(r->buf), &r->src, &r->port,
                             r->deadline);
    r->returned_at = sim_now();
    return 0;
}

static struct fiber *start_receiver(struct receiver *r)
{
    struct fiber *f = fiber_spawn("rx", receive_fiber, r, 0);
    ck_assert_ptr_nonnull(f);
    return f;
}

/* RFC 768: a datagram sent from one stack arrives at the bound port of the other with its data,
 * source address and source port; a fiber blocked in recvfrom wakes with it. */
START_TEST(send_and_receive)
{
    struct udp_socket *sa, *sb;
    ck_assert_int_eq(udp_bind(a, 0, &sa), 0);
    ck_assert_int_eq(udp_bind(b, 5555, &sb), 0);
    static struct receiver r;
    memset(&r, 0, sizeof(r));
    r.sock = sb;
    r.deadline = DEADLINE_NONE;
    struct fiber *f = start_receiver(&r);
    settle();
    ck_assert_int_eq(udp_sendto(sa, B_IP, 5555, "hello", 5), 5);
    run_for(SEC);
    ck_assert_int_eq(fiber_join(f), 0);
    ck_assert_int_eq(r.result, 5);
    ck_assert_mem_eq(r.buf, "hello", 5);
    ck_assert_uint_eq(r.src, A_IP);
    ck_assert_uint_eq(r.port, udp_local_port(sa));
    ck_assert_uint_eq(b->udp.stats.rx_datagrams, 1);
    ck_assert_uint_eq(b->udp.stats.rx_bad_checksum, 0);
    udp_close(sa);
    udp_close(sb);
}
END_TEST

/* RFC 791 3.2 end to end: an 8000-byte datagram is fragmented by the sender and reassembled by the
 * receiver, byte for byte. */
START_TEST(large_datagram_fragments)
{
    struct udp_socket *sa, *sb;
    ck_assert_int_eq(udp_bind(a, 0, &sa), 0);
    ck_assert_int_eq(udp_bind(b, 7, &sb), 0);
    resolve_b(sa, sb);
    ck_assert_int_eq(udp_sendto(sa, B_IP, 7, data, 8000), 8000);
    run_for(SEC);
    static uint8_t buf[9000];
    ck_assert_int_eq(udp_recvfrom(sb, buf, sizeof(buf), NULL, NULL, 0), 8000);
    ck_assert_mem_eq(buf, data, 8000);
    ck_assert_uint_eq(a->ipv4.stats.tx_fragments, 6);
    ck_assert_uint_eq(b->ipv4.stats.rx_reassembled, 1);
    udp_close(sa);
    udp_close(sb);
}
END_TEST

/* recvfrom honours its deadline exactly on the simulated clock; a deadline already past returns at
 * once. */
START_TEST(receive_timeout)
{
    struct udp_socket *sb;
    ck_assert_int_eq(udp_bind(b, 7, &sb), 0);
    static struct receiver r;
    memset(&r, 0, sizeof(r));
    r.sock = sb;
    r.deadline = sim_now() + 3 * SEC;
    struct fiber *f = start_receiver(&r);
    run_for(5 * SEC);
    ck_assert_int_eq(fiber_join(f), 0);
    ck_assert_int_eq(r.result, -ETIMEDOUT);
    ck_assert_uint_eq(r.returned_at, r.deadline);
    char c;
    ck_assert_int_eq(udp_recvfrom(sb, &c, 1, NULL, NULL, 0), -ETIMEDOUT);
    udp_close(sb);
}
END_TEST

/* Closing a socket wakes the fiber blocked on it with -EBADF (and frees nothing under it). */
START_TEST(close_wakes_receiver)
{
    struct udp_socket *sb;
    ck_assert_int_eq(udp_bind(b, 7, &sb), 0);
    static struct receiver r;
    memset(&r, 0, sizeof(r));
    r.sock = sb;
    r.deadline = DEADLINE_NONE;
    struct fiber *f = start_receiver(&r);
    settle();
    udp_close(sb);
    run_for(MS);
    ck_assert_int_eq(fiber_join(f), 0);
    ck_assert_int_eq(r.result, -EBADF);
}
END_TEST

/* Bounded receive queue: datagrams past the bound are dropped and counted, never queued. */
START_TEST(receive_queue_bounded)
{
    struct udp_socket *sa, *sb;
    ck_assert_int_eq(udp_bind(a, 0, &sa), 0);
    ck_assert_int_eq(udp_bind(b, 7, &sb), 0);
    udp_set_rx_limits(sb, 8, 0);
    for (int i = 0; i < 12; i++) {
        ck_assert_int_eq(udp_sendto(sa, B_IP, 7, &i, sizeof(i)), sizeof(i));
        run_for(MS);
    }
    ck_assert_uint_eq(udp_pending(sb), 8);
    ck_assert_uint_eq(b->udp.stats.rx_queue_full, 4);
    /* Oldest first. */
    int v;
    ck_assert_int_eq(udp_recvfrom(sb, &v, sizeof(v), NULL, NULL, 0), sizeof(v));
    ck_assert_int_eq(v, 0);
    /* A byte bound too. */
    udp_set_rx_limits(sb, 100, 10 * sizeof(int));
    for (int i = 0; i < 5; i++) {
        udp_sendto(sa, B_IP, 7, &i, sizeof(i));
        run_for(MS);
    }
    ck_assert_uint_eq(udp_pending(sb), 10);
    udp_close(sa);
    udp_close(sb);
}
END_TEST

/* A buffer shorter than the datagram gets its first bytes; the rest is discarded and counted. */
START_TEST(short_buffer_truncates)
{
    struct udp_socket *sa, *sb;
    ck_assert_int_eq(udp_bind(a, 0, &sa), 0);
    ck_assert_int_eq(udp_bind(b, 7, &sb), 0);
    udp_sendto(sa, B_IP, 7, "0123456789", 10);
    run_for(MS);
    char buf[4];
    ck_assert_int_eq(udp_recvfrom(sb, buf, sizeof(buf), NULL, NULL, 0), 4);
    ck_assert_mem_eq(buf, "0123", 4);
    ck_assert_uint_eq(b->udp.stats.rx_user_truncated, 1);
    ck_assert_uint_eq(udp_pending(sb), 0);
    udp_close(sa);
    udp_close(sb);
}
END_TEST

static unsigned handled;
static char handled_text[16];
static void handler(struct udp_socket *sock, struct pbuf *p, const struct udp_datagram_info *info,
                    void *arg)
{
    handled++;
    size_t n = p->tot_len < sizeof(handled_text) ? p->tot_len : sizeof(handled_text) - 1;
    pbuf_copy_out(p, 0, handled_text, n);
    handled_text[n] = 0;
    ck_assert_uint_eq(info->dst_port, 68);
    pbuf_free(p);
}

/* Receive handlers get each datagram in loop context, including those already queued. */
START_TEST(receive_handler)
{
    struct udp_socket *sa, *sb;
    ck_assert_int_eq(udp_bind(a, 67, &sa), 0);
    ck_assert_int_eq(udp_bind(b, 68, &sb), 0);
    udp_sendto(sa, B_IP, 68, "queued", 6);
    run_for(MS);
    handled = 0;
    udp_set_receive_handler(sb, handler, NULL);
    ck_assert_uint_eq(handled, 1);
    ck_assert_str_eq(handled_text, "queued");
    udp_sendto(sa, B_IP, 68, "live", 4);
    run_for(MS);
    ck_assert_uint_eq(handled, 2);
    ck_assert_str_eq(handled_text, "live");
    char c;
    ck_assert_int_eq(udp_recvfrom(sb, &c, 1, NULL, NULL, 0), -EINVAL);
    udp_close(sa);
    udp_close(sb);
}
END_TEST

/* RFC 1122 4.1.3.1: a datagram to a port nobody listens on is answered with port unreachable. */
START_TEST(closed_port_unreachable)
{
    struct udp_socket *sa;
    ck_assert_int_eq(udp_bind(a, 0, &sa), 0);
    udp_sendto(sa, B_IP, 9999, "x", 1);
    run_for(MS);
    ck_assert_uint_eq(b->udp.stats.rx_no_port, 1);
    ck_assert_uint_eq(b->icmp.stats.tx_dest_unreachable, 1);
    ck_assert_uint_eq(a->icmp.stats.rx_dest_unreachable, 1);
    udp_close(sa);
}
END_TEST

/* Binding: a port in use is refused; port 0 picks an ephemeral port in 49152..65535, at random
 * (RFC 6056 3.3.1), never one in use. */
START_TEST(bind_rules)
{
    struct udp_socket *s1, *s2;
    ck_assert_int_eq(udp_bind(a, 53, &s1), 0);
    ck_assert_int_eq(udp_bind(a, 53, &s2), -EADDRINUSE);
    ck_assert_ptr_null(s2);
    udp_close(s1);
    ck_assert_int_eq(udp_bind(a, 53, &s1), 0);
    udp_close(s1);

    uint16_t ports[32];
    unsigned distinct_steps = 0;
    struct udp_socket *socks[32];
    for (int i = 0; i < 32; i++) {
        ck_assert_int_eq(udp_bind(a, 0, &socks[i]), 0);
        ports[i] = udp_local_port(socks[i]);
        ck_assert_uint_ge(ports[i], UDP_EPHEMERAL_FIRST);
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne(ports[i], ports[j]);
        if (i > 0 && ports[i] != (uint16_t)(ports[i - 1] + 1))
            distinct_steps++;
    }
    /* Sequential allocation would give 0 non-consecutive steps; random gives nearly all. */
    ck_assert_uint_gt(distinct_steps, 20);
    for (int i = 0; i < 32; i++)
        udp_close(socks[i]);
}
END_TEST

/* Send-side checks: too large, port 0, address 0, no route. */
START_TEST(send_errors)
{
    struct udp_socket *sa;
    ck_assert_int_eq(udp_bind(a, 0, &sa), 0);
    ck_assert_int_eq(udp_sendto(sa, B_IP, 7, data, UDP_MAX_PAYLOAD + 1), -EMSGSIZE);
    ck_assert_int_eq(udp_sendto(sa, B_IP, 0, "x", 1), -EINVAL);
    ck_assert_int_eq(udp_sendto(sa, 0, 7, "x", 1), -EINVAL);
    ck_assert_int_eq(udp_sendto(sa, FAR_IP, 7, "x", 1), -ENETUNREACH);
    /* The largest datagram goes (45 fragments) and arrives whole. */
    struct udp_socket *sb;
    ck_assert_int_eq(udp_bind(b, 7, &sb), 0);
    udp_set_rx_limits(sb, 0, 128 * 1024);
    resolve_b(sa, sb);
    static uint8_t big[UDP_MAX_PAYLOAD];
    memset(big, 0x3c, sizeof(big));
    ck_assert_int_eq(udp_sendto(sa, B_IP, 7, big, UDP_MAX_PAYLOAD), (int)UDP_MAX_PAYLOAD);
    run_for(SEC);
    static uint8_t got[UDP_MAX_PAYLOAD];
    ck_assert_int_eq(udp_recvfrom(sb, got, sizeof(got), NULL, NULL, 0), (int)UDP_MAX_PAYLOAD);
    ck_assert_mem_eq(got, big, sizeof(big));
    udp_close(sa);
    udp_close(sb);
}
END_TEST

/* Shutting the stack down closes its sockets: waiters get -EBADF, sendto -EBADF, and the owner's
 * udp_close still frees. */
START_TEST(stack_shutdown_closes_sockets)
{
    struct udp_socket *sb;
    ck_assert_int_eq(udp_bind(b, 7, &sb), 0);
    static struct receiver r;
    memset(&r, 0, sizeof(r));
    r.sock = sb;
    r.deadline = DEADLINE_NONE;
    struct fiber *f = start_receiver(&r);
    settle();
    netstack_destroy(b);
    b = netstack_create(netdev_pair_end(pair, 1));
    run_for(MS);
    ck_assert_int_eq(fiber_join(f), 0);
    ck_assert_int_eq(r.result, -EBADF);
    ck_assert_int_eq(udp_sendto(sb, A_IP, 7, "x", 1), -EBADF);
    udp_close(sb);
}
END_TEST

/* ---- wire-level checks on a capture device ---- */

static struct pbuf_pool *cpool;
static struct capture_dev cap;
static struct netstack *c;

static void wire_setup(void)
{
    net_ip_fixture_boot();
    cpool = pbuf_pool_create("rx", 256);
    capture_init(&cap, 0, cpool);
    c = netstack_create(&cap.dev);
    set_addr(c, OUR_IP, 24, 0);
    settle();
    learn_neighbor(&cap, cpool, PEER_MAC, PEER_IP);
}

static void wire_teardown(void)
{
    netstack_destroy(c);
    ck_assert_uint_eq(pool_in_use(cpool), 0);
    pbuf_pool_destroy(cpool);
}

/* RFC 768: the checksum covers the pseudo-header, header and data; a computed zero is sent as
 * all ones. */
START_TEST(output_checksum_and_zero_rule)
{
    struct udp_socket *s;
    ck_assert_int_eq(udp_bind(c, 1000, &s), 0);
    uint8_t payload[6] = { 1, 2, 3, 4, 0, 0 };
    /* Choose the last word so that the checksum comes out as zero. */
    uint8_t seg[32];
    store_be16(seg, 1000);
    store_be16(seg + 2, 2000);
    store_be16(seg + 4, 8 + sizeof(payload));
    store_be16(seg + 6, 0);
    memcpy(seg + 8, payload, sizeof(payload));
    struct csum cs;
    csum_init(&cs);
    ipv4_csum_add_pseudo(&cs, OUR_IP, PEER_IP, IPV4_PROTO_UDP, 8 + sizeof(payload));
    csum_add(&cs, seg, 8 + sizeof(payload));
    uint16_t folded = csum_sum16(&cs);
    store_be16(payload + 4, (uint16_t)(0xffff - folded));
    ck_assert_int_eq(udp_sendto(s, PEER_IP, 2000, payload, sizeof(payload)), 6);
    ck_assert_int_eq(udp_sendto(s, PEER_IP, 2000, "abc", 3), 3);
    struct ip_view v;
    int i = find_ip(&cap, 0, IPV4_PROTO_UDP, &v);
    ck_assert_int_ge(i, 0);
    ck_assert_uint_eq(load_be16(v.payload + 6), 0xffff);
    i = find_ip(&cap, (unsigned)i + 1, IPV4_PROTO_UDP, &v);
    ck_assert_int_ge(i, 0);
    csum_init(&cs);
    ipv4_csum_add_pseudo(&cs, v.h.src, v.h.dst, IPV4_PROTO_UDP, (uint16_t)v.payload_len);
    csum_add(&cs, v.payload, v.payload_len);
    ck_assert_uint_eq(csum_finish(&cs), 0);
    ck_assert_uint_eq(load_be16(v.payload + 4), 11);
    udp_close(s);
}
END_TEST

static void inject_segment(const uint8_t *seg, size_t len)
{
    uint8_t f[256];
    size_t n = build_ipv4_frame(f, cap.dev.mac, PEER_IP, OUR_IP, IPV4_PROTO_UDP, 4, 0, seg, len);
    inject(&cap.dev, cpool, f, n);
    settle();
}

/* RFC 768: checksum 0 means none was computed (accepted on IPv4); RFC 1122 4.1.3.4: a wrong one
 * is discarded silently; a length field below 8 or beyond the IP payload is malformed; one shorter
 * than the IP payload is authoritative. */
START_TEST(input_validation)
{
    struct udp_socket *s;
    ck_assert_int_eq(udp_bind(c, 7, &s), 0);
    uint8_t seg[64];
    char buf[64];
    size_t n = build_udp(seg, PEER_IP, OUR_IP, 3000, 7, "check", 5);
    seg[8] ^= 1;
    inject_segment(seg, n);
    ck_assert_uint_eq(c->udp.stats.rx_bad_checksum, 1);
    ck_assert_uint_eq(udp_pending(s), 0);

    store_be16(seg + 6, 0);                  /* no checksum */
    inject_segment(seg, n);
    ck_assert_uint_eq(c->udp.stats.rx_no_checksum, 1);
    ck_assert_int_eq(udp_recvfrom(s, buf, sizeof(buf), NULL, NULL, 0), 5);

    n = build_udp(seg, PEER_IP, OUR_IP, 3000, 7, "check", 5);
    store_be16(seg + 4, 7);
    inject_segment(seg, n);
    ck_assert_uint_eq(c->udp.stats.rx_bad_length, 1);
    store_be16(seg + 4, 40);
    inject_segment(seg, n);
    ck_assert_uint_eq(c->udp.stats.rx_truncated, 1);
    inject_segment(seg, 6);
    ck_assert_uint_eq(c->udp.stats.rx_truncated, 2);

    /* UDP length 10 inside a 13-byte IP payload: the 3 extra bytes are not data. */
    n = build_udp(seg, PEER_IP, OUR_IP, 3000, 7, "hi", 2);
    memcpy(seg + n, "zzz", 3);
    inject_segment(seg, n + 3);
    ck_assert_int_eq(udp_recvfrom(s, buf, sizeof(buf), NULL, NULL, 0), 2);
    ck_assert_uint_eq(udp_pending(s), 0);
    udp_close(s);
}
END_TEST

/* RFC 1122 4.1.3.1 / 3.2.2: no port unreachable for a datagram sent to a broadcast address. */
START_TEST(no_unreachable_for_broadcast)
{
    uint8_t seg[64], f[128];
    size_t n = build_udp(seg, PEER_IP, IP4_BROADCAST, 3000, 4444, "b", 1);
    size_t len = build_ipv4_frame(f, BCAST, PEER_IP, IP4_BROADCAST, IPV4_PROTO_UDP, 4, 0, seg, n);
    inject(&cap.dev, cpool, f, len);
    settle();
    ck_assert_uint_eq(c->udp.stats.rx_no_port, 1);
    ck_assert_uint_eq(c->icmp.stats.tx_suppressed, 1);
    ck_assert_uint_eq(cap.count, 0);
}
END_TEST

/* DHCP before configuration: a broadcast from 0.0.0.0 (RFC 2131 4.1, RFC 1122 3.2.1.3 (a)). */
START_TEST(unconfigured_broadcast_send)
{
    netstack_clear_ipv4_config(c);
    settle();
    cap.count = 0;
    struct udp_socket *s;
    ck_assert_int_eq(udp_bind(c, 68, &s), 0);
    ck_assert_int_eq(udp_sendto(s, IP4_BROADCAST, 67, "discover", 8), 8);
    ck_assert_int_eq(udp_sendto(s, PEER_IP, 67, "request", 7), -ENETUNREACH);
    struct ip_view v;
    ck_assert_int_ge(find_ip(&cap, 0, IPV4_PROTO_UDP, &v), 0);
    ck_assert_uint_eq(v.h.src, 0);
    ck_assert_uint_eq(v.h.dst, IP4_BROADCAST);
    struct csum cs;
    csum_init(&cs);
    ipv4_csum_add_pseudo(&cs, 0, IP4_BROADCAST, IPV4_PROTO_UDP, (uint16_t)v.payload_len);
    csum_add(&cs, v.payload, v.payload_len);
    ck_assert_uint_eq(csum_finish(&cs), 0);
    udp_close(s);
}
END_TEST

/* Checksum offload (platform/netdev.h NETDEV_CAP_TX_CSUM): a datagram that fits leaves with the
 * pseudo-header sum in the field for the device to finish, and finishing it gives the RFC 768
 * checksum; one that must be fragmented is finished in software first (a device cannot finish a
 * checksum spanning fragments). */
START_TEST(checksum_offload)
{
    netstack_destroy(c);
    capture_init(&cap, NETDEV_CAP_TX_CSUM, cpool);
    c = netstack_create(&cap.dev);
    set_addr(c, OUR_IP, 24, 0);
    settle();
    learn_neighbor(&cap, cpool, PEER_MAC, PEER_IP);
    struct udp_socket *s;
    ck_assert_int_eq(udp_bind(c, 1000, &s), 0);
    ck_assert_int_eq(udp_sendto(s, PEER_IP, 2000, "offloaded", 9), 9);
    struct ip_view v;
    ck_assert_int_ge(find_ip(&cap, 0, IPV4_PROTO_UDP, &v), 0);
    struct csum cs;
    csum_init(&cs);
    ipv4_csum_add_pseudo(&cs, OUR_IP, PEER_IP, IPV4_PROTO_UDP, 17);
    ck_assert_uint_eq(load_be16(v.payload + 6), csum_sum16(&cs));
    ck_assert_uint_ne(inet_checksum(v.payload, v.payload_len), 0);
    uint8_t seg[32];
    memcpy(seg, v.payload, v.payload_len);
    store_be16(seg + 6, inet_checksum(seg, v.payload_len));     /* what the device does */
    csum_init(&cs);
    ipv4_csum_add_pseudo(&cs, OUR_IP, PEER_IP, IPV4_PROTO_UDP, 17);
    csum_add(&cs, seg, 17);
    ck_assert_uint_eq(csum_finish(&cs), 0);

    cap.count = 0;
    static uint8_t big[3000];
    memset(big, 0x61, sizeof(big));
    ck_assert_int_eq(udp_sendto(s, PEER_IP, 2000, big, sizeof(big)), (int)sizeof(big));
    static uint8_t whole[3100];
    size_t got = 0;
    for (unsigned i = 0; i < cap.count; i++) {
        if (!parse_ip(&cap, i, &v))
            continue;
        memcpy(whole + ipv4_frag_offset_bytes(&v.h), v.payload, v.payload_len);
        got += v.payload_len;
    }
    ck_assert_uint_eq(got, 3008);
    csum_init(&cs);
    ipv4_csum_add_pseudo(&cs, OUR_IP, PEER_IP, IPV4_PROTO_UDP, 3008);
    csum_add(&cs, whole, 3008);
    ck_assert_uint_eq(csum_finish(&cs), 0);
    udp_close(s);
}
END_TEST

static Suite *udp_suite(void)
{
    Suite *su = suite_create("net_udp");
    TCase *tc = tcase_create("pair");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, send_and_receive);
    tcase_add_test(tc, large_datagram_fragments);
    tcase_add_test(tc, receive_timeout);
    tcase_add_test(tc, close_wakes_receiver);
    tcase_add_test(tc, receive_queue_bounded);
    tcase_add_test(tc, short_buffer_truncates);
    tcase_add_test(tc, receive_handler);
    tcase_add_test(tc, closed_port_unreachable);
    tcase_add_test(tc, bind_rules);
    tcase_add_test(tc, send_errors);
    tcase_add_test(tc, stack_shutdown_closes_sockets);
    suite_add_tcase(su, tc);
    TCase *wire = tcase_create("wire");
    tcase_add_checked_fixture(wire, wire_setup, wire_teardown);
    tcase_add_test(wire, output_checksum_and_zero_rule);
    tcase_add_test(wire, input_validation);
    tcase_add_test(wire, no_unreachable_for_broadcast);
    tcase_add_test(wire, unconfigured_broadcast_send);
    tcase_add_test(wire, checksum_offload);
    suite_add_tcase(su, wire);
    return su;
}

TEST_MAIN(udp_suite)
