/*
 * Unit tests for net/ipv4_header and net/ipv4: header validation (RFC 791 3.1, RFC 1122 3.2.1.x),
 * options, the receive filter (martian sources, broadcasts, link broadcast), TTL on input, routing
 * and the header of what we send. A stack on a capture device: frames are injected as from the
 * wire, and what the stack transmits is inspected byte by byte.
 */
#include "test/unit/net_ip_fixture.h"
#include "lib/errno.h"
#include "lib/panic.h"
#include "xenolith/test_main.h"
#include <stdlib.h>

static struct pbuf_pool *rxpool;
static struct capture_dev cap;
static struct netstack *s;
static struct udp_socket *sock;

static void setup(void)
{
    s = net_ip_stack_up(&cap, &rxpool);
    cap.count = 0;
    ck_assert_int_eq(udp_bind(s, 7, &sock), 0);
}

static void teardown(void)
{
    udp_close(sock);
    net_ip_stack_down(s, rxpool);
}

/* Injects a UDP datagram to port 7 with the given IP fields. */
static void inject_udp(const uint8_t *eth_dst, uint32_t src, uint32_t dst, const char *text)
{
    uint8_t seg[256], f[2048];
    size_t n = build_udp(seg, src, dst, 5000, 7, text, strlen(text));
    size_t len = build_ipv4_frame(f, eth_dst, src, dst, IPV4_PROTO_UDP, 1, 0, seg, n);
    inject(&cap.dev, rxpool, f, len);
    settle();
}

static int recv_now(char *buf, size_t len)
{
    uint32_t src;
    uint16_t port;
    int n = udp_recvfrom(sock, buf, len, &src, &port, 0);
    return n;
}

/* ---- header codec ---- */

static size_t valid_header(uint8_t *h, size_t payload)
{
    return fixture_ipv4_header(h, PEER_IP, OUR_IP, IPV4_PROTO_UDP, 7, 0, payload);
}

/* RFC 791 3.1 / RFC 1122 3.2.1.1-3.2.1.2: version 4, IHL >= 5, total length within what arrived,
 * a correct header checksum; each failure has its own reason. */
START_TEST(header_validation)
{
    uint8_t h[64] = { 0 };
    struct ipv4_header out;
    valid_header(h, 20);
    ck_assert_int_eq(ipv4_header_parse(h, 40, true, &out), IPV4_HEADER_OK);
    ck_assert_uint_eq(out.header_len, 20);
    ck_assert_uint_eq(out.total_len, 40);
    ck_assert_uint_eq(out.src, PEER_IP);
    ck_assert_uint_eq(out.dst, OUR_IP);
    ck_assert_int_eq(ipv4_header_parse(h, 19, true, &out), IPV4_HEADER_TRUNCATED);
    ck_assert_int_eq(ipv4_header_parse(h, 39, true, &out), IPV4_HEADER_BAD_LENGTH);

    valid_header(h, 20);
    h[0] = 0x65;
    ck_assert_int_eq(ipv4_header_parse(h, 40, false, &out), IPV4_HEADER_BAD_VERSION);
    h[0] = 0x44;
    ck_assert_int_eq(ipv4_header_parse(h, 40, false, &out), IPV4_HEADER_BAD_IHL);
    h[0] = 0x4f;     /* a 60-byte header in a datagram whose total length says 40 */
    ck_assert_int_eq(ipv4_header_parse(h, 64, false, &out), IPV4_HEADER_BAD_LENGTH);
    ck_assert_int_eq(ipv4_header_parse(h, 30, false, &out), IPV4_HEADER_TRUNCATED);

    valid_header(h, 0);
    store_be16(h + 2, 19);   /* total length below the header */
    ck_assert_int_eq(ipv4_header_parse(h, 40, false, &out), IPV4_HEADER_BAD_LENGTH);

    valid_header(h, 20);
    h[8] ^= 1;               /* TTL changed, checksum not */
    ck_assert_int_eq(ipv4_header_parse(h, 40, true, &out), IPV4_HEADER_BAD_CHECKSUM);
    ck_assert_int_eq(ipv4_header_parse(h, 40, false, &out), IPV4_HEADER_OK);
}
END_TEST

static size_t header_with_options(uint8_t *h, const uint8_t *opts, size_t opts_len)
{
    struct ipv4_header hd = {
        .total_len = (uint16_t)(20 + ((opts_len + 3) & ~3u) + 8), .ttl = 64,
        .protocol = IPV4_PROTO_UDP, .src = PEER_IP, .dst = OUR_IP,
        .options = opts, .options_len = (uint8_t)opts_len,
    };
    return ipv4_header_build(h, &hd);
}

/* RFC 791 3.1: the header checksum is the 16-bit ones' complement of the ones' complement sum of
 * the header's 16-bit words. ipv4_header_checksum sums 32-bit words: against the definition, one
 * big-endian word at a time, for every header length at every alignment, bytes near 0xff so the
 * sum carries, and a header with its checksum stored verifies to 0. */
START_TEST(header_checksum_matches_definition)
{
    uint8_t buf[IPV4_HEADER_MAX + 4];
    uint32_t seed = 7;
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof(buf); i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (uint8_t)((round & 1 ? 0xf0 : 0) | (seed >> 16));
        }
        for (size_t off = 0; off < 4; off++) {
            for (size_t len = IPV4_HEADER_MIN; len <= IPV4_HEADER_MAX; len += 4) {
                uint8_t *h = buf + off;
                uint32_t sum = 0;
                for (size_t i = 0; i < len; i += 2)
                    sum += (uint32_t)(h[i] << 8 | h[i + 1]);
                while (sum >> 16)
                    sum = (sum & 0xffff) + (sum >> 16);
                ck_assert_uint_eq(ipv4_header_checksum(h, len), (uint16_t)~sum);
                uint8_t saved[2] = { h[10], h[11] };
                h[10] = h[11] = 0;
                uint16_t field = ipv4_header_checksum(h, len);
                h[10] = (uint8_t)(field >> 8);
                h[11] = (uint8_t)field;
                ck_assert_uint_eq(ipv4_header_checksum(h, len), 0);
                h[10] = saved[0];
                h[11] = saved[1];
            }
        }
    }
}
END_TEST

/* ipv4_csum_add_pbuf (the transport checksums, RFC 9293 3.1 / RFC 768) over any range of a
 * packet: in its first segment (added at once) or across a chain, the same as the bytes summed
 * flat, and a range past the end refused. */
START_TEST(pbuf_checksum_any_range)
{
    enum { LEN = PBUF_STORAGE_CAPACITY + 700 };
    static uint8_t flat[LEN];
    for (size_t i = 0; i < LEN; i++)
        flat[i] = (uint8_t)(i * 131 + 7);
    struct pbuf *p = pbuf_alloc(rxpool, LEN);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(p->next);                 /* a chain: the slow path is covered too */
    ck_assert_int_eq(pbuf_copy_in(p, 0, flat, LEN), 0);
    const size_t offsets[] = { 0, 1, 20, 33, p->len - 9, p->len - 1, p->len, p->len + 3 };
    const size_t lens[] = { 0, 1, 8, 21, 40, 600, 1500, LEN };
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        for (size_t j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
            size_t off = offsets[i], len = lens[j];
            struct csum c;
            csum_init(&c);
            if (off + len > LEN) {
                ck_assert_int_eq(ipv4_csum_add_pbuf(&c, p, off, len), -EINVAL);
                continue;
            }
            ck_assert_int_eq(ipv4_csum_add_pbuf(&c, p, off, len), 0);
            ck_assert_uint_eq(csum_finish(&c), inet_checksum(flat + off, len));
        }
    }
    pbuf_free(p);
}
END_TEST

/* RFC 9293 3.1 / RFC 768: the pseudo-header (source, destination, zero, protocol, length) added
 * as words sums like its 12 bytes laid out in order, whatever the carries. */
START_TEST(pseudo_header_matches_bytes)
{
    const uint32_t addrs[] = { IP4_ADDR(10, 0, 0, 1), IP4_ADDR(255, 255, 255, 255),
                               IP4_ADDR(192, 168, 200, 7), IP4_ADDR(0, 0, 0, 0) };
    const uint16_t lens[] = { 0, 20, 1480, 0xffff };
    for (size_t a = 0; a < 4; a++) {
        for (size_t b = 0; b < 4; b++) {
            for (size_t l = 0; l < 4; l++) {
                uint8_t bytes[12];
                memcpy(bytes, &addrs[a], 4);
                memcpy(bytes + 4, &addrs[b], 4);
                bytes[8] = 0;
                bytes[9] = IPV4_PROTO_TCP;
                bytes[10] = (uint8_t)(lens[l] >> 8);
                bytes[11] = (uint8_t)lens[l];
                struct csum c;
                csum_init(&c);
                ipv4_csum_add_pseudo(&c, addrs[a], addrs[b], IPV4_PROTO_TCP, lens[l]);
                ck_assert_uint_eq(csum_finish(&c), inet_checksum(bytes, sizeof(bytes)));
            }
        }
    }
}
END_TEST

/* RFC 791 3.1 options / RFC 1122 3.2.1.8: options are walked with bounds checks: NOP and END are
 * single bytes, every other option's length must be >= 2 and fit in the header. */
START_TEST(options_bounds)
{
    uint8_t h[64] = { 0 };
    struct ipv4_header out;
    const uint8_t ok[] = { IPV4_OPT_NOP, 0x07, 7, 4, 0, 0, 0, 0 };     /* NOP, record route */
    size_t hl = header_with_options(h, ok, sizeof(ok));
    ck_assert_int_eq(ipv4_header_parse(h, hl + 8, true, &out), IPV4_HEADER_OK);
    ck_assert_uint_eq(out.options_len, 8);

    const uint8_t zero_len[] = { 0x44, 0, 0, 0 };          /* timestamp with length 0 */
    hl = header_with_options(h, zero_len, sizeof(zero_len));
    ck_assert_int_eq(ipv4_header_parse(h, hl + 8, true, &out), IPV4_HEADER_BAD_OPTIONS);

    const uint8_t past_end[] = { IPV4_OPT_NOP, 0x44, 12, 5 };  /* claims 12 bytes in 3 */
    hl = header_with_options(h, past_end, sizeof(past_end));
    ck_assert_int_eq(ipv4_header_parse(h, hl + 8, true, &out), IPV4_HEADER_BAD_OPTIONS);

    const uint8_t no_length[] = { IPV4_OPT_NOP, IPV4_OPT_NOP, IPV4_OPT_NOP, 0x44 };
    hl = header_with_options(h, no_length, sizeof(no_length));
    ck_assert_int_eq(ipv4_header_parse(h, hl + 8, true, &out), IPV4_HEADER_BAD_OPTIONS);

    /* Bytes after END are padding and not parsed. */
    const uint8_t end_then_junk[] = { IPV4_OPT_END, 0x44, 99, 1 };
    hl = header_with_options(h, end_then_junk, sizeof(end_then_junk));
    ck_assert_int_eq(ipv4_header_parse(h, hl + 8, true, &out), IPV4_HEADER_OK);
}
END_TEST

/* RFC 1122 3.2.1.8 (c): a host may refuse to act on source routes; we refuse the datagrams
 * (answering would let the sender steer our replies). */
START_TEST(source_route_refused)
{
    uint8_t h[64] = { 0 };
    struct ipv4_header out;
    const uint8_t lsrr[] = { IPV4_OPT_LSRR, 7, 4, 10, 0, 0, 9, IPV4_OPT_END };
    size_t hl = header_with_options(h, lsrr, sizeof(lsrr));
    ck_assert_int_eq(ipv4_header_parse(h, hl + 8, true, &out), IPV4_HEADER_SOURCE_ROUTE);
    const uint8_t ssrr[] = { IPV4_OPT_SSRR, 7, 4, 10, 0, 0, 9, IPV4_OPT_END };
    hl = header_with_options(h, ssrr, sizeof(ssrr));
    ck_assert_int_eq(ipv4_header_parse(h, hl + 8, true, &out), IPV4_HEADER_SOURCE_ROUTE);
}
END_TEST

/* RFC 791 3.1 (option "copied" flag) / 3.2 fragmentation: later fragments carry only the options
 * with the copied bit, padded to a multiple of 4 with END. */
START_TEST(copied_options_for_later_fragments)
{
    const uint8_t opts[] = { 0x07, 7, 4, 0, 0, 0, 0,     /* record route: not copied */
                             IPV4_OPT_NOP,
                             0x82, 4, 0xab, 0xcd,        /* security: copied */
                             0x44, 4, 5, 0 };            /* timestamp: not copied */
    uint8_t out[40];
    size_t n = ipv4_options_for_later_fragments(opts, sizeof(opts), out);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(out[0], 0x82);
    ck_assert_uint_eq(out[3], 0xcd);
    const uint8_t none[] = { 0x07, 3, 4, IPV4_OPT_END };
    ck_assert_uint_eq(ipv4_options_for_later_fragments(none, sizeof(none), out), 0);
    const uint8_t router_alert[] = { 0x94, 4, 0, 0 };    /* copied */
    n = ipv4_options_for_later_fragments(router_alert, 3, out);   /* truncated: stops safely */
    ck_assert_uint_eq(n, 0);
}
END_TEST

/* ---- receive path ---- */

/* RFC 1122 3.2.1.1-3.2.1.2: datagrams with a bad version or checksum are discarded silently. */
START_TEST(bad_headers_dropped_and_counted)
{
    uint8_t seg[64], f[128];
    size_t n = build_udp(seg, PEER_IP, OUR_IP, 5000, 7, "x", 1);
    size_t len = build_ipv4_frame(f, cap.dev.mac, PEER_IP, OUR_IP, IPV4_PROTO_UDP, 1, 0, seg, n);
    f[14 + 10] ^= 0xff;                          /* checksum */
    inject(&cap.dev, rxpool, f, len);
    f[14 + 10] ^= 0xff;
    f[14] = 0x65;                                /* version 6 */
    inject(&cap.dev, rxpool, f, len);
    f[14] = 0x45;
    store_be16(f + 14 + 2, 200);                 /* longer than the frame */
    inject(&cap.dev, rxpool, f, len);
    inject(&cap.dev, rxpool, f, 14 + 10);        /* 10 bytes of header */
    settle();
    ck_assert_uint_eq(s->ipv4.stats.rx_bad_checksum, 1);
    ck_assert_uint_eq(s->ipv4.stats.rx_bad_version, 1);
    ck_assert_uint_eq(s->ipv4.stats.rx_bad_length, 1);
    ck_assert_uint_eq(s->ipv4.stats.rx_truncated, 1);
    ck_assert_uint_eq(udp_pending(sock), 0);
    ck_assert_uint_eq(cap.count, 0);
}
END_TEST

/* RFC 1122 3.2.1.3: a source that is broadcast, multicast, 0.0.0.0/8, loopback, class E, our own
 * address or our subnet broadcast is not one host: discarded. */
START_TEST(martian_sources_dropped)
{
    const uint32_t martians[] = {
        IP4_BROADCAST, IP4_ADDR(224, 0, 0, 5), IP4_ADDR(0, 0, 0, 0), IP4_ADDR(0, 1, 2, 3),
        IP4_ADDR(127, 0, 0, 1), IP4_ADDR(240, 0, 0, 1), OUR_IP, SUBNET_BCAST,
    };
    for (unsigned i = 0; i < ARRAY_SIZE(martians); i++)
        inject_udp(cap.dev.mac, martians[i], OUR_IP, "m");
    ck_assert_uint_eq(s->ipv4.stats.rx_martian_source, ARRAY_SIZE(martians));
    ck_assert_uint_eq(udp_pending(sock), 0);
    inject_udp(cap.dev.mac, FAR_IP, OUR_IP, "ok");
    ck_assert_uint_eq(udp_pending(sock), 1);
}
END_TEST

/* RFC 1122 3.3.6: a datagram that came as a link-layer broadcast but names a unicast IP
 * destination is discarded. */
START_TEST(link_broadcast_with_unicast_ip_dropped)
{
    inject_udp(BCAST, PEER_IP, OUR_IP, "b");
    ck_assert_uint_eq(s->ipv4.stats.rx_link_broadcast_unicast, 1);
    ck_assert_uint_eq(udp_pending(sock), 0);
}
END_TEST

/* RFC 1122 3.3.6 / 3.2.1.3: limited broadcast and our subnet's directed broadcast are ours;
 * other hosts' unicast addresses and other subnets' broadcasts are not. */
START_TEST(broadcasts_accepted_others_not)
{
    char buf[16];
    inject_udp(BCAST, PEER_IP, IP4_BROADCAST, "lim");
    inject_udp(BCAST, PEER_IP, SUBNET_BCAST, "dir");
    ck_assert_uint_eq(udp_pending(sock), 2);
    ck_assert_int_eq(recv_now(buf, sizeof(buf)), 3);
    ck_assert_mem_eq(buf, "lim", 3);
    ck_assert_int_eq(recv_now(buf, sizeof(buf)), 3);
    ck_assert_mem_eq(buf, "dir", 3);
    inject_udp(cap.dev.mac, PEER_IP, IP4_ADDR(10, 0, 0, 3), "other");
    inject_udp(BCAST, PEER_IP, IP4_ADDR(10, 0, 1, 255), "otherbc");
    ck_assert_uint_eq(udp_pending(sock), 0);
    ck_assert_uint_eq(s->ipv4.stats.rx_not_for_us, 1);
    ck_assert_uint_eq(s->ipv4.stats.rx_link_broadcast_unicast, 1);
}
END_TEST

/* RFC 1122 3.2.1.7: a host must not discard a datagram because its TTL is below 2. */
START_TEST(low_ttl_delivered)
{
    uint8_t seg[64], f[128];
    size_t n = build_udp(seg, PEER_IP, OUR_IP, 5000, 7, "t", 1);
    for (uint8_t ttl = 0; ttl <= 1; ttl++) {
        size_t len = build_ipv4_frame(f, cap.dev.mac, PEER_IP, OUR_IP, IPV4_PROTO_UDP, 1, 0, seg, n);
        f[14 + 8] = ttl;
        store_be16(f + 14 + 10, 0);
        store_be16(f + 14 + 10, inet_checksum(f + 14, 20));
        inject(&cap.dev, rxpool, f, len);
    }
    settle();
    ck_assert_uint_eq(udp_pending(sock), 2);
}
END_TEST

/* RFC 791 3.1 total length: bytes after it (Ethernet padding of a short datagram) are not part of
 * the datagram. */
START_TEST(link_padding_cut)
{
    char buf[64];
    inject_udp(cap.dev.mac, PEER_IP, OUR_IP, "ab");   /* 30-byte datagram in a 60-byte frame */
    ck_assert_int_eq(recv_now(buf, sizeof(buf)), 2);
    ck_assert_uint_eq(s->udp.stats.rx_bad_checksum, 0);
}
END_TEST

/* RFC 1122 3.2.2.1 / RFC 792: a datagram for a protocol we do not run is answered with
 * destination unreachable, code 2 (protocol), quoting its header and first 8 data bytes. */
START_TEST(unknown_protocol_unreachable)
{
    uint8_t data[16], f[128];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(0x30 + i);
    size_t len = build_ipv4_frame(f, cap.dev.mac, PEER_IP, OUR_IP, 99, 0x1234, 0, data, sizeof(data));
    inject(&cap.dev, rxpool, f, len);
    settle();
    ck_assert_uint_eq(s->ipv4.stats.rx_unknown_protocol, 1);
    struct ip_view v;
    ck_assert_int_ge(find_ip(&cap, 0, IPV4_PROTO_ICMP, &v), 0);
    ck_assert(v.checksum_ok);
    ck_assert_uint_eq(v.h.src, OUR_IP);
    ck_assert_uint_eq(v.h.dst, PEER_IP);
    ck_assert_uint_eq(v.payload[0], ICMP_DEST_UNREACHABLE);
    ck_assert_uint_eq(v.payload[1], ICMP_UNREACH_PROTOCOL);
    ck_assert_uint_eq(inet_checksum(v.payload, v.payload_len), 0);
    ck_assert_uint_eq(v.payload_len, 8 + 20 + sizeof(data));
    ck_assert_mem_eq(v.payload + 8, f + 14, 20 + sizeof(data));
}
END_TEST

/* While unconfigured, a unicast UDP datagram to any address is accepted (a DHCP server may
 * unicast its offer to the offered address, RFC 2131 4.1); other protocols are not. */
START_TEST(unconfigured_accepts_udp_unicast)
{
    netstack_clear_ipv4_config(s);
    inject_udp(cap.dev.mac, PEER_IP, IP4_ADDR(10, 0, 0, 77), "offer");
    ck_assert_uint_eq(udp_pending(sock), 1);
    uint8_t f[128], icmp[16];
    size_t n = build_icmp(icmp, ICMP_ECHO_REQUEST, 0, 0x00010001, "abcd", 4);
    size_t len = build_ipv4_frame(f, cap.dev.mac, PEER_IP, IP4_ADDR(10, 0, 0, 77), IPV4_PROTO_ICMP,
                                  2, 0, icmp, n);
    inject(&cap.dev, rxpool, f, len);
    settle();
    ck_assert_uint_eq(s->icmp.stats.rx_echo_requests, 0);
    ck_assert_uint_eq(s->ipv4.stats.rx_not_for_us, 1);
}
END_TEST

/* ---- output ---- */

/* RFC 791 3.1 / RFC 1122 3.2.1.7: what we send has version 4, IHL 5, a TTL of 64 (not 0), a valid
 * header checksum, our source address, and DF only when asked. */
START_TEST(output_header_fields)
{
    struct pbuf *p = pbuf_alloc(s->pool, 10);
    memset(p->data, 0x77, 10);
    struct ipv4_tx tx = { .dst = PEER_IP, .protocol = 99 };
    ck_assert_int_eq(ipv4_output(&s->ipv4, p, &tx), 0);
    p = pbuf_alloc(s->pool, 10);
    memset(p->data, 0x77, 10);
    tx.dont_fragment = true;
    ck_assert_int_eq(ipv4_output(&s->ipv4, p, &tx), 0);
    ck_assert_uint_eq(cap.count, 2);
    struct ip_view a, b;
    ck_assert(parse_ip(&cap, 0, &a));
    ck_assert(parse_ip(&cap, 1, &b));
    ck_assert_uint_eq(cap.frame[0][14], 0x45);
    ck_assert(a.checksum_ok && b.checksum_ok);
    ck_assert_uint_eq(a.h.ttl, 64);
    ck_assert_uint_eq(a.h.src, OUR_IP);
    ck_assert_uint_eq(a.h.dst, PEER_IP);
    ck_assert_uint_eq(a.h.total_len, 30);
    ck_assert_uint_eq(a.h.frag_field, 0);
    ck_assert_uint_eq(b.h.frag_field, IPV4_FLAG_DF);
    ck_assert_mem_eq(a.eth_dst, PEER_MAC, 6);
    /* RFC 6864 4.1: identifications of datagrams to one destination differ. */
    ck_assert_uint_ne(a.h.id, b.h.id);
}
END_TEST

/* RFC 1122 3.3.1.1: on-link destinations are sent to directly, others to the gateway; with no
 * gateway an off-link destination is unreachable. */
START_TEST(routing)
{
    uint32_t hop;
    ck_assert_int_eq(ipv4_route(&s->ipv4, PEER_IP, &hop), 0);
    ck_assert_uint_eq(hop, PEER_IP);
    ck_assert_int_eq(ipv4_route(&s->ipv4, FAR_IP, &hop), 0);
    ck_assert_uint_eq(hop, GATEWAY_IP);
    ck_assert_int_eq(ipv4_route(&s->ipv4, SUBNET_BCAST, &hop), 0);
    ck_assert_uint_eq(hop, SUBNET_BCAST);
    ck_assert_int_eq(ipv4_route(&s->ipv4, IP4_ADDR(127, 0, 0, 1), &hop), -ENETUNREACH);
    ck_assert_int_eq(ipv4_route(&s->ipv4, IP4_ADDR(0, 0, 0, 9), &hop), -ENETUNREACH);

    /* The datagram for FAR_IP goes out addressed to the gateway's MAC (an ARP request for it first). */
    learn_neighbor(&cap, rxpool, PEER2_MAC, GATEWAY_IP);
    struct pbuf *p = pbuf_alloc(s->pool, 8);
    memset(p->data, 0, 8);
    struct ipv4_tx tx = { .dst = FAR_IP, .protocol = 99 };
    ck_assert_int_eq(ipv4_output(&s->ipv4, p, &tx), 0);
    struct ip_view v;
    ck_assert_int_ge(find_ip(&cap, 0, 99, &v), 0);
    ck_assert_mem_eq(v.eth_dst, PEER2_MAC, 6);
    ck_assert_uint_eq(v.h.dst, FAR_IP);

    struct ipv4_config cfg = { .addr = OUR_IP, .prefix_len = 24 };
    ck_assert_int_eq(netstack_set_ipv4_config(s, &cfg), 0);
    ck_assert_int_eq(ipv4_route(&s->ipv4, FAR_IP, &hop), -ENETUNREACH);
    p = pbuf_alloc(s->pool, 8);
    ck_assert_int_eq(ipv4_output(&s->ipv4, p, &tx), -ENETUNREACH);
    ck_assert_uint_eq(s->ipv4.stats.tx_no_route, 1);
}
END_TEST

/* RFC 1122 3.2.1.3 (a): 0.0.0.0 is a valid source only while the host learns its address, and
 * then only limited broadcast can be reached (DHCP DISCOVER); unicast has no route. */
START_TEST(unconfigured_output)
{
    netstack_clear_ipv4_config(s);
    settle();
    cap.count = 0;
    struct pbuf *p = pbuf_alloc(s->pool, 8);
    memset(p->data, 0, 8);
    struct ipv4_tx tx = { .dst = IP4_BROADCAST, .protocol = IPV4_PROTO_UDP };
    ck_assert_int_eq(ipv4_output(&s->ipv4, p, &tx), 0);
    struct ip_view v;
    ck_assert_int_ge(find_ip(&cap, 0, IPV4_PROTO_UDP, &v), 0);
    ck_assert_uint_eq(v.h.src, 0);
    ck_assert_mem_eq(v.eth_dst, BCAST, 6);
    p = pbuf_alloc(s->pool, 8);
    tx.dst = PEER_IP;
    ck_assert_int_eq(ipv4_output(&s->ipv4, p, &tx), -ENETUNREACH);
}
END_TEST

/* Every IPv4 counter prints by name. */
START_TEST(stats_print_names)
{
    netstack_print_stats(s);
    const char *out = sim_console_output();
    ck_assert_ptr_nonnull(strstr(out, "ipv4.rx_martian_source 0"));
    ck_assert_ptr_nonnull(strstr(out, "reass.overlaps 0"));
    ck_assert_ptr_nonnull(strstr(out, "icmp.tx_rate_limited 0"));
    ck_assert_ptr_nonnull(strstr(out, "udp.rx_bad_checksum 0"));
}
END_TEST

static Suite *ipv4_suite(void)
{
    Suite *su = suite_create("net_ipv4");
    TCase *tc = tcase_create("ipv4");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, header_validation);
    tcase_add_test(tc, header_checksum_matches_definition);
    tcase_add_test(tc, pbuf_checksum_any_range);
    tcase_add_test(tc, pseudo_header_matches_bytes);
    tcase_add_test(tc, options_bounds);
    tcase_add_test(tc, source_route_refused);
    tcase_add_test(tc, copied_options_for_later_fragments);
    tcase_add_test(tc, bad_headers_dropped_and_counted);
    tcase_add_test(tc, martian_sources_dropped);
    tcase_add_test(tc, link_broadcast_with_unicast_ip_dropped);
    tcase_add_test(tc, broadcasts_accepted_others_not);
    tcase_add_test(tc, low_ttl_delivered);
    tcase_add_test(tc, link_padding_cut);
    tcase_add_test(tc, unknown_protocol_unreachable);
    tcase_add_test(tc, unconfigured_accepts_udp_unicast);
    tcase_add_test(tc, output_header_fields);
    tcase_add_test(tc, routing);
    tcase_add_test(tc, unconfigured_output);
    tcase_add_test(tc, stats_print_names);
    suite_add_tcase(su, tc);
    return su;
}

TEST_MAIN(ipv4_suite)
