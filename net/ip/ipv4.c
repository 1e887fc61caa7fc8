/*
 * net/ipv4: input validation and dispatch, reassembly glue, routing and output (see ipv4.h).
 * Path MTU state lives in ipv4_pmtu.c.
 */
#include "net/ip/ipv4.h"

#include "lib/errno.h"
#include "lib/log.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "net/ip/icmp.h"
#include "net/ip/ip_frag.h"
#include "net/stack.h"
#include "net/udp/udp.h"
#include "platform/platform.h"

#define ALL_HOSTS_GROUP IP4_ADDR(224, 0, 0, 1)

static void reass_timer_fired(struct timer *t, void *arg);
static void reass_expired(void *ctx, const struct ip_reass_key *key, const uint8_t *quote,
                          size_t quote_len);

static void ipv4_input_adapter(struct netstack *s, struct pbuf *p)
{
    ipv4_input(s, p);
}

void ipv4_init(struct netstack *s)
{
    struct ipv4_state *ip = &s->ipv4;
    if (ip->initialized)
        return;
    memset(ip, 0, sizeof(*ip));
    ip_reass_init(&ip->reass, NULL);
    ip_reass_set_expired_handler(&ip->reass, reass_expired, s);
    timer_init(&ip->reass_timer, reass_timer_fired, s);
    ip->id_key = random_u64();
    random_bytes(ip->id_counters, sizeof(ip->id_counters));
    ip->initialized = true;
    icmp_init(s);
    udp_init(s);
    netstack_register_ethertype(s, ETHERTYPE_IPV4, ipv4_input_adapter);
}

void ipv4_shutdown(struct netstack *s)
{
    struct ipv4_state *ip = &s->ipv4;
    if (!ip->initialized)
        return;
    udp_shutdown(s);
    timer_cancel(&ip->reass_timer);
    ip_reass_destroy(&ip->reass);
    ip->initialized = false;
}

int ipv4_register_protocol(struct netstack *s, uint8_t protocol, ipv4_input_fn input,
                           ipv4_error_fn error)
{
    struct ipv4_state *ip = &s->ipv4;
    for (unsigned i = 0; i < ip->protocol_count; i++)
        if (ip->protocols[i].protocol == protocol)
            return -EEXIST;
    if (ip->protocol_count >= IPV4_MAX_PROTOCOLS)
        return -ENOSPC;
    ip->protocols[ip->protocol_count++] = (struct ipv4_protocol){ protocol, input, error };
    return 0;
}

static const struct ipv4_protocol *find_protocol(const struct netstack *s, uint8_t protocol)
{
    for (unsigned i = 0; i < s->ipv4.protocol_count; i++)
        if (s->ipv4.protocols[i].protocol == protocol)
            return &s->ipv4.protocols[i];
    return NULL;
}

bool ipv4_is_broadcast(const struct netstack *s, uint32_t addr)
{
    if (addr == IP4_BROADCAST)
        return true;
    return s->netif.configured && s->netif.subnet_broadcast != 0 && addr == s->netif.subnet_broadcast;
}

/* RFC 1122 3.2.1.3: a source that cannot be one host (0.0.0.0/8, broadcast, multicast, class E,
 * loopback from the wire), or our own address or subnet broadcast coming back at us. */
static bool martian_source(const struct netstack *s, uint32_t src)
{
    if (ipv4_addr_is_zeronet(src) || src == IP4_BROADCAST || ipv4_addr_is_multicast(src) ||
        ipv4_addr_is_reserved(src) || ipv4_addr_is_loopback(src))
        return true;
    return s->netif.configured && (src == s->netif.ipv4.addr || ipv4_is_broadcast(s, src));
}

static void count_header_error(struct ipv4_stats *st, enum ipv4_header_error e)
{
    switch (e) {
    case IPV4_HEADER_OK: break;
    case IPV4_HEADER_TRUNCATED: st->rx_truncated++; break;
    case IPV4_HEADER_BAD_VERSION: st->rx_bad_version++; break;
    case IPV4_HEADER_BAD_IHL: st->rx_bad_header_length++; break;
    case IPV4_HEADER_BAD_LENGTH: st->rx_bad_length++; break;
    case IPV4_HEADER_BAD_CHECKSUM: st->rx_bad_checksum++; break;
    case IPV4_HEADER_BAD_OPTIONS: st->rx_bad_options++; break;
    case IPV4_HEADER_SOURCE_ROUTE: st->rx_source_routed++; break;
    }
}

/* Linearizes and parses the header at p's data. */
static enum ipv4_header_error parse_pbuf_header(struct pbuf *p, struct ipv4_header *h)
{
    if (p->tot_len < IPV4_HEADER_MIN)
        return IPV4_HEADER_TRUNCATED;
    const uint8_t *raw = pbuf_linearize(p, IPV4_HEADER_MIN);
    if (!raw)
        return IPV4_HEADER_TRUNCATED;
    size_t header_len = (size_t)(raw[0] & 0x0f) * 4;
    if (header_len > IPV4_HEADER_MIN) {
        raw = pbuf_linearize(p, header_len < p->tot_len ? header_len : p->tot_len);
        if (!raw)
            return IPV4_HEADER_TRUNCATED;
    }
    return ipv4_header_parse(raw, p->tot_len, true, h);
}

static void reass_timer_fired(struct timer *t, void *arg)
{
    struct netstack *s = arg;
    ip_reass_expire(&s->ipv4.reass, platform_monotonic_ns());
    uint64_t next = ip_reass_next_deadline(&s->ipv4.reass);
    if (next != UINT64_MAX)
        timer_arm(t, next);
}

static void rearm_reass_timer(struct netstack *s)
{
    uint64_t next = ip_reass_next_deadline(&s->ipv4.reass);
    if (next == UINT64_MAX)
        timer_cancel(&s->ipv4.reass_timer);
    else if (!timer_armed(&s->ipv4.reass_timer) || s->ipv4.reass_timer.deadline_ns != next)
        timer_arm(&s->ipv4.reass_timer, next);
}

/* RFC 1122 3.3.2: Time Exceeded code 1 when a datagram whose first fragment arrived times out. */
static void reass_expired(void *ctx, const struct ip_reass_key *key, const uint8_t *quote,
                          size_t quote_len)
{
    struct netstack *s = ctx;
    icmp_send_error_quote(s, quote, quote_len, NULL, ICMP_TIME_EXCEEDED,
                          ICMP_TIME_EXCEEDED_REASSEMBLY, 0);
}

/* Hands the fragment p to reassembly. Returns the whole datagram in a new pbuf when this fragment
 * completed it (p is consumed either way), else NULL. */
static struct pbuf *reassemble(struct netstack *s, struct pbuf *p, const struct ipv4_header *h)
{
    struct ipv4_stats *st = &s->ipv4_stats;
    st->rx_fragments++;
    struct ip_reass_key key;
    store_u32(key.src, h->src);
    store_u32(key.dst, h->dst);
    key.id = h->id;
    key.protocol = h->protocol;

    size_t payload_len = h->total_len - h->header_len;
    uint8_t *copy = NULL;
    const uint8_t *payload;
    if (p->len >= h->total_len) {
        payload = p->data + h->header_len;
    } else {
        copy = kmalloc(payload_len ? payload_len : 1);
        if (!copy) {
            st->rx_no_buffers++;
            pbuf_free(p);
            return NULL;
        }
        pbuf_copy_out(p, h->header_len, copy, payload_len);
        payload = copy;
    }
    struct ip_reass_fragment frag = {
        .header = p->data,
        .header_len = h->header_len,
        .payload = payload,
        .payload_len = payload_len,
        .offset = ipv4_frag_offset_bytes(h),
        .more_fragments = ipv4_more_fragments(h),
    };
    struct ip_reass_datagram whole = {0}; /* filled only on IP_REASS_COMPLETE */
    enum ip_reass_result r = ip_reass_add(&s->ipv4.reass, &key, &frag, platform_monotonic_ns(), &whole);
    kfree(copy);
    pbuf_free(p);
    rearm_reass_timer(s);
    if (r == IP_REASS_DROPPED)
        st->rx_reassembly_drops++;
    if (r != IP_REASS_COMPLETE)
        return NULL;

    st->rx_reassembled++;
    store_be16(whole.data + 10, ipv4_header_checksum(whole.data, whole.header_len));
    struct pbuf_pool *pool = s->netif.dev->pool ? s->netif.dev->pool : s->pool;
    struct pbuf *q = pbuf_from_bytes(pool, whole.data, whole.len);
    ip_reass_datagram_release(&whole);
    if (!q)
        st->rx_no_buffers++;
    return q;
}

void ipv4_input(struct netstack *s, struct pbuf *p)
{
    struct ipv4_stats *st = &s->ipv4_stats;
    struct netif *nif = &s->netif;
    st->rx_packets++;

    struct ipv4_header h;
    enum ipv4_header_error e = parse_pbuf_header(p, &h);
    if (e != IPV4_HEADER_OK) {
        count_header_error(st, e);
        pbuf_free(p);
        return;
    }
    pbuf_trim(p, h.total_len);          /* Ethernet padding */

    if (martian_source(s, h.src)) {
        st->rx_martian_source++;
        pbuf_free(p);
        return;
    }
    bool to_broadcast = ipv4_is_broadcast(s, h.dst);
    bool to_multicast = ipv4_addr_is_multicast(h.dst);
    bool link_broadcast = (p->flags & (PBUF_F_LINK_BCAST | PBUF_F_LINK_MCAST)) != 0;
    if (link_broadcast && !to_broadcast && !to_multicast) {
        st->rx_link_broadcast_unicast++;
        pbuf_free(p);
        return;
    }
    bool for_us = (nif->configured && h.dst == nif->ipv4.addr) || to_broadcast ||
                  h.dst == ALL_HOSTS_GROUP ||
                  (!nif->configured && h.protocol == IPV4_PROTO_UDP && !to_multicast &&
                   !ipv4_addr_is_zeronet(h.dst) && !ipv4_addr_is_loopback(h.dst) &&
                   !ipv4_addr_is_reserved(h.dst));
    if (!for_us) {
        st->rx_not_for_us++;
        pbuf_free(p);
        return;
    }

    bool reassembled = false;
    if (ipv4_is_fragment(&h)) {
        p = reassemble(s, p, &h);
        if (!p)
            return;
        reassembled = true;
        e = parse_pbuf_header(p, &h);
        if (e != IPV4_HEADER_OK) {
            /* Cannot happen for a datagram we rebuilt ourselves; counted, never trusted. */
            count_header_error(st, e);
            pbuf_free(p);
            return;
        }
    }

    struct ipv4_rx_info rx = {
        .src = h.src,
        .dst = h.dst,
        .header_len = h.header_len,
        .protocol = h.protocol,
        .ttl = h.ttl,
        .tos = h.tos,
        .to_broadcast = to_broadcast,
        .to_multicast = to_multicast,
        .link_broadcast = link_broadcast,
        .reassembled = reassembled,
    };
    const struct ipv4_protocol *proto = find_protocol(s, h.protocol);
    if (!proto) {
        /* RFC 1122 3.2.2.1: protocol unreachable (icmp_send_error applies the broadcast rules). */
        st->rx_unknown_protocol++;
        icmp_send_error(s, p, &rx, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_PROTOCOL, 0);
        pbuf_free(p);
        return;
    }
    pbuf_pull(p, h.header_len);
    st->rx_delivered++;
    proto->input(s, p, &rx);
}

/* ---- Output ---- */

int ipv4_route(const struct netstack *s, uint32_t dst, uint32_t *next_hop)
{
    const struct netif *nif = &s->netif;
    if (dst == IP4_BROADCAST || ipv4_addr_is_multicast(dst)) {
        *next_hop = dst;
        return 0;
    }
    if (!nif->configured || ipv4_addr_is_zeronet(dst) || ipv4_addr_is_loopback(dst) ||
        ipv4_addr_is_reserved(dst) || dst == nif->ipv4.addr)
        return -ENETUNREACH;
    if (netstack_ipv4_on_link(s, dst)) {
        *next_hop = dst;
        return 0;
    }
    if (nif->ipv4.gateway == 0)
        return -ENETUNREACH;
    *next_hop = nif->ipv4.gateway;
    return 0;
}

static uint16_t next_id(struct netstack *s, uint32_t dst, uint8_t protocol)
{
    uint64_t mix = ((uint64_t)dst << 8 | protocol) ^ s->ipv4.id_key;
    mix *= 0x9e3779b97f4a7c15ull;
    unsigned slot = (unsigned)(mix >> 58) % IPV4_ID_COUNTERS;
    return s->ipv4.id_counters[slot]++;
}

struct link_output {
    struct netstack *s;
    uint32_t next_hop;
};

static int emit_to_link(void *ctx, struct pbuf *frame)
{
    struct link_output *out = ctx;
    out->s->ipv4_stats.tx_fragments++;
    int err = arp_output(out->s, frame, out->next_hop);
    if (err)
        out->s->ipv4_stats.tx_errors++;
    return err;
}

/* The software form of NETDEV_CAP_TX_CSUM for a datagram (data at its IP header): csum_start
 * counts from the IP header here, the pseudo-header sum is already in the field. */
static int complete_partial_checksum(struct pbuf *p)
{
    size_t start = p->csum_start, field = start + p->csum_offset;
    if (start >= p->tot_len || field + 2 > p->tot_len)
        return -EINVAL;
    struct csum c;
    csum_init(&c);
    ipv4_csum_add_pbuf(&c, p, start, p->tot_len - start);
    uint16_t sum = csum_finish(&c);
    uint8_t out[2];
    store_be16(out, sum ? sum : 0xffff);
    int err = pbuf_copy_in(p, field, out, 2);
    if (err == 0)
        p->flags &= (uint16_t)~PBUF_F_CSUM_PARTIAL;
    return err;
}

int ipv4_output(struct netstack *s, struct pbuf *p, const struct ipv4_tx *tx)
{
    struct ipv4_stats *st = &s->ipv4_stats;
    uint32_t next_hop;
    int err;
    if (tx->dst == 0) {
        st->tx_no_route++;
        err = -EINVAL;
        goto drop;
    }
    err = ipv4_route(s, tx->dst, &next_hop);
    if (err) {
        st->tx_no_route++;
        goto drop;
    }
    size_t total = IPV4_HEADER_MIN + (size_t)p->tot_len;
    if (total > IPV4_MAX_DATAGRAM) {
        st->tx_too_big++;
        err = -EMSGSIZE;
        goto drop;
    }
    uint8_t *hdr = pbuf_push(p, IPV4_HEADER_MIN);
    if (!hdr) {
        struct pbuf *head = pbuf_alloc(s->pool, IPV4_HEADER_MIN);
        if (!head) {
            st->tx_no_buffers++;
            err = -ENOBUFS;
            goto drop;
        }
        /* Offload state belongs to the packet's head. */
        head->flags = p->flags;
        head->csum_start = p->csum_start;
        head->csum_offset = p->csum_offset;
        p->flags = 0;
        pbuf_cat(head, p);
        p = head;
        hdr = p->data;
    }
    struct ipv4_header h = {
        .tos = tx->tos,
        .total_len = (uint16_t)total,
        .id = next_id(s, tx->dst, tx->protocol),
        .frag_field = tx->dont_fragment ? IPV4_FLAG_DF : 0,
        .ttl = tx->ttl ? tx->ttl : IPV4_DEFAULT_TTL,
        .protocol = tx->protocol,
        .src = tx->src ? tx->src : netstack_ipv4_addr(s),
        .dst = tx->dst,
    };
    ipv4_header_build(hdr, &h);
    st->tx_packets++;

    uint32_t mtu = ipv4_path_mtu(s, tx->dst);
    if (total <= mtu) {
        err = arp_output(s, p, next_hop);
        if (err)
            st->tx_errors++;
        return err;
    }
    if (tx->dont_fragment) {
        st->tx_too_big++;
        err = -EMSGSIZE;
        goto drop;
    }
    /* A device cannot finish a checksum that spans fragments: finish it here, once. */
    if ((p->flags & PBUF_F_CSUM_PARTIAL) && complete_partial_checksum(p) != 0) {
        st->tx_errors++;
        err = -EINVAL;
        goto drop;
    }
    struct link_output out = { s, next_hop };
    err = ip_frag_output(p, mtu, s->pool, emit_to_link, &out);
    if (err == -EMSGSIZE)
        st->tx_too_big++;
    else if (err == -ENOBUFS)
        st->tx_no_buffers++;
    return err;

drop:
    pbuf_free(p);
    return err;
}

/* ---- Checksum helpers ---- */

int ipv4_csum_add_pbuf(struct csum *c, const struct pbuf *p, size_t offset, size_t len)
{
    if (offset > p->tot_len || len > p->tot_len - offset)
        return -EINVAL;
    for (const struct pbuf *seg = p; seg && len; seg = seg->next) {
        if (offset >= seg->len) {
            offset -= seg->len;
            continue;
        }
        size_t n = seg->len - offset;
        if (n > len)
            n = len;
        csum_add(c, seg->data + offset, n);
        len -= n;
        offset = 0;
    }
    return 0;
}

void ipv4_csum_add_pseudo(struct csum *c, uint32_t src, uint32_t dst, uint8_t protocol,
                          uint16_t length)
{
    csum_add_be32(c, be32_to_cpu(src));
    csum_add_be32(c, be32_to_cpu(dst));
    csum_add_be16(c, protocol);
    csum_add_be16(c, length);
}

/* ---- Stats ---- */

#define STAT_NAME(field) #field,

void ipv4_print_stats(const struct netstack *s)
{
    static const char *const ipv4_names[] = { IPV4_COUNTERS(STAT_NAME) };
    static const char *const reass_names[] = { IP_REASS_STATS(STAT_NAME) };
    static const char *const icmp_names[] = { ICMP_COUNTERS(STAT_NAME) };
    _Static_assert(sizeof(ipv4_names) / sizeof(ipv4_names[0]) * 8 == sizeof(struct ipv4_stats),
                   "ipv4 counters");
    _Static_assert(sizeof(reass_names) / sizeof(reass_names[0]) * 8 == sizeof(struct ip_reass_stats),
                   "reassembly counters");
    _Static_assert(sizeof(icmp_names) / sizeof(icmp_names[0]) * 8 == sizeof(struct icmp_stats),
                   "icmp counters");
    netstack_print_counters("ipv4", ipv4_names, (const uint64_t *)&s->ipv4_stats,
                            sizeof(ipv4_names) / sizeof(ipv4_names[0]));
    netstack_print_counters("reass", reass_names, (const uint64_t *)&s->ipv4.reass.stats,
                            sizeof(reass_names) / sizeof(reass_names[0]));
    netstack_print_counters("icmp", icmp_names, (const uint64_t *)&s->icmp_stats,
                            sizeof(icmp_names) / sizeof(icmp_names[0]));
    udp_print_stats(s);
}
