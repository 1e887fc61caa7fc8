/*
 * net/ip/ipv4: the protocol table and ICMP error hooks, input validation and dispatch, reassembly
 * glue, routing and output (see ipv4.h). Path MTU state lives in ipv4_pmtu.c, the interface's
 * configuration in ipv4_config.c.
 */
#include "net/ip/ipv4.h"

#include "lib/errno.h"
#include "lib/log.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "net/ip/icmp.h"   /* error type and code numbers only */
#include "net/ip/ip_frag.h"
#include "net/link/arp.h"
#include "net/link/ethernet.h"
#include "net/wire/features.h"
#include "mm/pbuf.h"
#include "platform/platform.h"

#define ALL_HOSTS_GROUP IP4_ADDR(224, 0, 0, 1)

static void reass_timer_fired(struct timer *t, void *arg);
static void reass_expired(void *ctx, const struct ip_reass_key *key, const uint8_t *quote,
                          size_t quote_len);

static void ipv4_frame(void *ctx, struct pbuf *p)
{
    ipv4_input(ctx, p);
}

int ipv4_init(struct ipv4_layer *ip, struct arp_layer *arp)
{
    memset(ip, 0, sizeof(*ip));
    ip->arp = arp;
    ip->eth = arp->eth;
    ip->netif.mtu = ip->eth->dev->mtu;
    ip_reass_init(&ip->reass, NULL);
    if (net_feature(NET_FEATURE_REASSEMBLY))
        ip_reass_set_expired_handler(&ip->reass, reass_expired, ip);
    timer_init(&ip->reass_timer, reass_timer_fired, ip);
    ip->id_key = random_u64();
    random_bytes(ip->id_counters, sizeof(ip->id_counters));
    ip->initialized = true;
    return eth_register(ip->eth, ETHERTYPE_IPV4, ipv4_frame, ip);
}

void ipv4_fini(struct ipv4_layer *ip)
{
    if (!ip->initialized)
        return;
    timer_cancel(&ip->reass_timer);
    if (net_feature(NET_FEATURE_REASSEMBLY))     /* else nothing was ever held */
        ip_reass_destroy(&ip->reass);
    ip->initialized = false;
}

int ipv4_register_protocol(struct ipv4_layer *ip, uint8_t protocol, ipv4_input_fn input,
                           ipv4_error_fn error, void *ctx)
{
    for (unsigned i = 0; i < ip->protocol_count; i++)
        if (ip->protocols[i].protocol == protocol)
            return -EEXIST;
    if (ip->protocol_count >= IPV4_MAX_PROTOCOLS)
        return -ENOSPC;
    ip->protocols[ip->protocol_count++] = (struct ipv4_protocol){ protocol, input, error, ctx };
    return 0;
}

/* The newest registration first: the stack registers ICMP, then UDP, then TCP, so the bulk of
 * the traffic (TCP, then UDP) is found at the first or second comparison. */
static const struct ipv4_protocol *find_protocol(const struct ipv4_layer *ip, uint8_t protocol)
{
    for (unsigned i = ip->protocol_count; i-- > 0;)
        if (ip->protocols[i].protocol == protocol)
            return &ip->protocols[i];
    return NULL;
}

void ipv4_deliver_error(struct ipv4_layer *ip, const struct ipv4_icmp_error *err)
{
    const struct ipv4_protocol *proto = find_protocol(ip, err->quoted.protocol);
    if (proto && proto->error)
        proto->error(proto->ctx, err);
}

void ipv4_set_error_sender(struct ipv4_layer *ip, ipv4_error_sender_fn fn, void *ctx)
{
    ip->send_error = fn;
    ip->send_error_ctx = ctx;
}

static int send_error_quote(struct ipv4_layer *ip, const uint8_t *quote, size_t quote_len,
                            const struct ipv4_rx_info *rx, uint8_t type, uint8_t code,
                            uint32_t info)
{
    if (!ip->send_error)
        return -ENOSYS;
    return ip->send_error(ip->send_error_ctx, quote, quote_len, rx, type, code, info);
}

int ipv4_send_error(struct ipv4_layer *ip, const struct pbuf *orig, const struct ipv4_rx_info *rx,
                    uint8_t type, uint8_t code, uint32_t info)
{
    if (!ip->send_error)
        return -ENOSYS;
    uint8_t quote[IPV4_ERROR_QUOTE_MAX];
    size_t n = orig->tot_len < sizeof(quote) ? orig->tot_len : sizeof(quote);
    if (pbuf_copy_out(orig, 0, quote, n) != 0)
        return -EINVAL;
    return send_error_quote(ip, quote, n, rx, type, code, info);
}

bool ipv4_is_broadcast(const struct ipv4_layer *ip, uint32_t addr)
{
    if (addr == IP4_BROADCAST)
        return true;
    return ip->netif.configured && ip->netif.subnet_broadcast != 0 && addr == ip->netif.subnet_broadcast;
}

/* RFC 1122 3.2.1.3: a source that cannot be one host (0.0.0.0/8, broadcast, multicast, class E,
 * loopback from the wire), or our own address or subnet broadcast coming back at us. */
static bool martian_source(const struct ipv4_layer *ip, uint32_t src)
{
    if (ipv4_addr_is_zeronet(src) || src == IP4_BROADCAST || ipv4_addr_is_multicast(src) ||
        ipv4_addr_is_reserved(src) || ipv4_addr_is_loopback(src))
        return true;
    return ip->netif.configured && (src == ip->netif.ipv4.addr || ipv4_is_broadcast(ip, src));
}

/* The counters of the header errors follow one another in the order of the errors. */
#define HEADER_ERROR_COUNTER(e, field)                                                         \
    _Static_assert(offsetof(struct ipv4_stats, field) ==                                       \
                       offsetof(struct ipv4_stats, rx_truncated) +                             \
                           ((e) - IPV4_HEADER_TRUNCATED) * sizeof(uint64_t), #field)
HEADER_ERROR_COUNTER(IPV4_HEADER_BAD_VERSION, rx_bad_version);
HEADER_ERROR_COUNTER(IPV4_HEADER_BAD_IHL, rx_bad_header_length);
HEADER_ERROR_COUNTER(IPV4_HEADER_BAD_LENGTH, rx_bad_length);
HEADER_ERROR_COUNTER(IPV4_HEADER_BAD_CHECKSUM, rx_bad_checksum);
HEADER_ERROR_COUNTER(IPV4_HEADER_BAD_OPTIONS, rx_bad_options);
HEADER_ERROR_COUNTER(IPV4_HEADER_SOURCE_ROUTE, rx_source_routed);

static void count_header_error(struct ipv4_stats *st, enum ipv4_header_error e)
{
    if (e != IPV4_HEADER_OK)         /* the struct is an array of counters (lib/counters.h) */
        ((uint64_t *)st)[offsetof(struct ipv4_stats, rx_truncated) / sizeof(uint64_t) +
                         (e - IPV4_HEADER_TRUNCATED)]++;
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
    struct ipv4_layer *ip = arg;
    if (!net_feature(NET_FEATURE_REASSEMBLY))    /* never armed: nothing is ever held */
        return;
    ip_reass_expire(&ip->reass, platform_monotonic_ns());
    uint64_t next = ip_reass_next_deadline(&ip->reass);
    if (next != UINT64_MAX)
        timer_arm(t, next);
}

static void rearm_reass_timer(struct ipv4_layer *ip)
{
    uint64_t next = ip_reass_next_deadline(&ip->reass);
    if (next == UINT64_MAX)
        timer_cancel(&ip->reass_timer);
    else if (!timer_armed(&ip->reass_timer) || ip->reass_timer.deadline_ns != next)
        timer_arm(&ip->reass_timer, next);
}

/* RFC 1122 3.3.2: Time Exceeded code 1 when a datagram whose first fragment arrived times out. */
static void reass_expired(void *ctx, const struct ip_reass_key *key, const uint8_t *quote,
                          size_t quote_len)
{
    send_error_quote(ctx, quote, quote_len, NULL, ICMP_TIME_EXCEEDED,
                     ICMP_TIME_EXCEEDED_REASSEMBLY, 0);
}

/* Hands the fragment p to reassembly. Returns the whole datagram in a new pbuf when this fragment
 * completed it (p is consumed either way), else NULL. An image without reassembly
 * (NET_FEATURE_REASSEMBLY) drops every fragment, counted in rx_reassembly_drops. */
static struct pbuf *reassemble(struct ipv4_layer *ip, struct pbuf *p, const struct ipv4_header *h)
{
    struct ipv4_stats *st = &ip->stats;
    st->rx_fragments++;
    if (!net_feature(NET_FEATURE_REASSEMBLY)) {
        st->rx_reassembly_drops++;
        pbuf_free(p);
        return NULL;
    }
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
    enum ip_reass_result r = ip_reass_add(&ip->reass, &key, &frag, platform_monotonic_ns(), &whole);
    kfree(copy);
    pbuf_free(p);
    rearm_reass_timer(ip);
    if (r == IP_REASS_DROPPED)
        st->rx_reassembly_drops++;
    if (r != IP_REASS_COMPLETE)
        return NULL;

    st->rx_reassembled++;
    store_be16(whole.data + 10, ipv4_header_checksum(whole.data, whole.header_len));
    struct pbuf_pool *pool = ip->eth->dev->pool ? ip->eth->dev->pool : ip->eth->pool;
    struct pbuf *q = pbuf_from_bytes(pool, whole.data, whole.len);
    ip_reass_datagram_release(&whole);
    if (!q)
        st->rx_no_buffers++;
    return q;
}

void ipv4_input(struct ipv4_layer *ip, struct pbuf *p)
{
    struct ipv4_stats *st = &ip->stats;
    struct netif *nif = &ip->netif;
    st->rx_packets++;

    struct ipv4_header h;
    enum ipv4_header_error e = parse_pbuf_header(p, &h);
    if (e != IPV4_HEADER_OK) {
        count_header_error(st, e);
        pbuf_free(p);
        return;
    }
    pbuf_trim(p, h.total_len);          /* Ethernet padding */

    if (martian_source(ip, h.src)) {
        st->rx_martian_source++;
        pbuf_free(p);
        return;
    }
    /* Our configured address is a unicast host address (ipv4_config.c refuses any other), so a
     * datagram to it is for us and neither broadcast nor multicast: the usual case, decided by
     * one comparison. */
    bool to_us = nif->configured && h.dst == nif->ipv4.addr;
    bool to_broadcast = false, to_multicast = false;
    if (!to_us) {
        to_broadcast = ipv4_is_broadcast(ip, h.dst);
        to_multicast = ipv4_addr_is_multicast(h.dst);
    }
    bool link_broadcast = (p->flags & (PBUF_F_LINK_BCAST | PBUF_F_LINK_MCAST)) != 0;
    if (link_broadcast && !to_broadcast && !to_multicast) {
        st->rx_link_broadcast_unicast++;
        pbuf_free(p);
        return;
    }
    bool for_us = to_us || to_broadcast || h.dst == ALL_HOSTS_GROUP ||
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
        p = reassemble(ip, p, &h);
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
    const struct ipv4_protocol *proto = find_protocol(ip, h.protocol);
    if (!proto) {
        /* RFC 1122 3.2.2.1: protocol unreachable (the ICMP sender applies the broadcast rules). */
        st->rx_unknown_protocol++;
        ipv4_send_error(ip, p, &rx, ICMP_DEST_UNREACHABLE, ICMP_UNREACH_PROTOCOL, 0);
        pbuf_free(p);
        return;
    }
    pbuf_pull(p, h.header_len);
    st->rx_delivered++;
    proto->input(proto->ctx, p, &rx);
}

/* ---- Output ---- */

int ipv4_route(const struct ipv4_layer *ip, uint32_t dst, uint32_t *next_hop)
{
    const struct netif *nif = &ip->netif;
    if (dst == IP4_BROADCAST || ipv4_addr_is_multicast(dst)) {
        *next_hop = dst;
        return 0;
    }
    if (!nif->configured || ipv4_addr_is_zeronet(dst) || ipv4_addr_is_loopback(dst) ||
        ipv4_addr_is_reserved(dst) || dst == nif->ipv4.addr)
        return -ENETUNREACH;
    if (ipv4_on_link(ip, dst)) {
        *next_hop = dst;
        return 0;
    }
    if (nif->ipv4.gateway == 0)
        return -ENETUNREACH;
    *next_hop = nif->ipv4.gateway;
    return 0;
}

static uint16_t next_id(struct ipv4_layer *ip, uint32_t dst, uint8_t protocol)
{
    uint64_t mix = ((uint64_t)dst << 8 | protocol) ^ ip->id_key;
    mix *= 0x9e3779b97f4a7c15ull;
    unsigned slot = (unsigned)(mix >> 58) % IPV4_ID_COUNTERS;
    return ip->id_counters[slot]++;
}

struct link_output {
    struct ipv4_layer *ip;
    uint32_t next_hop;
};

static int emit_to_link(void *ctx, struct pbuf *frame)
{
    struct link_output *out = ctx;
    out->ip->stats.tx_fragments++;
    int err = arp_output(out->ip->arp, frame, out->next_hop);
    if (err)
        out->ip->stats.tx_errors++;
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

int ipv4_output(struct ipv4_layer *ip, struct pbuf *p, const struct ipv4_tx *tx)
{
    struct ipv4_stats *st = &ip->stats;
    uint32_t next_hop;
    int err;
    if (tx->dst == 0) {
        st->tx_no_route++;
        err = -EINVAL;
        goto drop;
    }
    err = ipv4_route(ip, tx->dst, &next_hop);
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
        struct pbuf *head = pbuf_alloc(ip->eth->pool, IPV4_HEADER_MIN);
        if (!head) {
            st->tx_no_buffers++;
            err = -ENOBUFS;
            goto drop;
        }
        /* Offload state belongs to the packet's head. */
        head->flags = p->flags;
        head->csum_start = p->csum_start;
        head->csum_offset = p->csum_offset;
        head->gso_size = p->gso_size;
        head->gso_segs = p->gso_segs;
        p->flags = 0;
        p->gso_size = 0;
        pbuf_cat(head, p);
        p = head;
        hdr = p->data;
    }
    struct ipv4_header h = {
        .tos = tx->tos,
        .total_len = (uint16_t)total,
        .id = next_id(ip, tx->dst, tx->protocol),
        .frag_field = tx->dont_fragment ? IPV4_FLAG_DF : 0,
        .ttl = tx->ttl ? tx->ttl : IPV4_DEFAULT_TTL,
        .protocol = tx->protocol,
        .src = tx->src ? tx->src : ipv4_addr(ip),
        .dst = tx->dst,
    };
    ipv4_header_build(hdr, &h);
    st->tx_packets++;

    uint32_t mtu = ipv4_path_mtu(ip, tx->dst);
    /* A TSO frame is cut by the device into datagrams of gso_size payload, which the sender
     * sized for the path (tcp_output: gso_size is the MSS). */
    bool tso = p->gso_size && (ip->eth->dev->caps & NETDEV_CAP_TSO) && p->gso_size < mtu;
    if (total <= mtu || tso) {
        err = arp_output(ip->arp, p, next_hop);
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
    struct link_output out = { ip, next_hop };
    err = ip_frag_output(p, mtu, ip->eth->pool, emit_to_link, &out);
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
    if (offset <= p->len && len <= p->len - offset) {
        csum_add(c, p->data + offset, len);  /* in the first segment: the usual case */
        return 0;
    }
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
    /* The four fields as they lie in memory, summed in 64 bits (under 2^34: no carry out) and
     * added at once: where each 16-bit word lands does not matter (lib/checksum.h). */
    csum_add_word(c, (uint64_t)src + dst + cpu_to_be16(protocol) + cpu_to_be16(length));
}
