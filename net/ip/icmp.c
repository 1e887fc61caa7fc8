/*
 * net/ip/icmp: echo, error reception (handed through IPv4 to the transport, which alone may lower
 * the path MTU) and rate-limited error generation for one stack (rules in icmp.h).
 */
#include "net/ip/icmp.h"

#include "lib/byteorder.h"
#include "lib/checksum.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "net/ip/ipv4.h"
#include "mm/pbuf.h"
#include "net/link/ethernet.h"
#include "net/wire/features.h"
#include "platform/platform.h"

/* The most of the offending datagram an error quotes: 576 - IP header - ICMP header. */
#define ICMP_QUOTE_MAX (ICMP_ERROR_MAX_LEN - IPV4_HEADER_MIN - ICMP_HEADER_LEN)

static void icmp_datagram(void *ctx, struct pbuf *p, const struct ipv4_rx_info *rx)
{
    icmp_input(ctx, p, rx);
}

static int icmp_error_sender(void *ctx, const uint8_t *quote, size_t quote_len,
                             const struct ipv4_rx_info *rx, uint8_t type, uint8_t code,
                             uint32_t info)
{
    return icmp_send_error_quote(ctx, quote, quote_len, rx, type, code, info);
}

int icmp_init(struct icmp_layer *icmp, struct ipv4_layer *ip)
{
    memset(icmp, 0, sizeof(*icmp));
    icmp->ip = ip;
    icmp_ratelimit_init(&icmp->error_limit, ICMP_RATELIMIT_DEFAULT_RATE,
                        ICMP_RATELIMIT_DEFAULT_BURST, platform_monotonic_ns());
    /* Without the feature (net/wire/features.h) IPv4 has no error sender: it sends none. */
    if (net_feature(NET_FEATURE_ICMP_ERRORS))
        ipv4_set_error_sender(ip, icmp_error_sender, icmp);
    return ipv4_register_protocol(ip, IPV4_PROTO_ICMP, icmp_datagram, NULL, icmp);
}

void icmp_set_error_rate(struct icmp_layer *icmp, uint32_t rate_per_sec, uint32_t burst)
{
    icmp_ratelimit_init(&icmp->error_limit, rate_per_sec, burst, platform_monotonic_ns());
}

/* RFC 792 / RFC 1122 3.2.2: the types that are errors (never answered with an error). Unknown
 * types count as errors too: answering what we do not understand is how storms start. */
static bool type_is_error(uint8_t type)
{
    switch (type) {
    case ICMP_ECHO_REPLY:
    case ICMP_ECHO_REQUEST:
    case ICMP_TIMESTAMP_REQUEST:
    case ICMP_TIMESTAMP_REPLY:
    case 15: case 16:       /* information request/reply */
    case 17: case 18:       /* address mask request/reply */
        return false;
    default:
        return true;
    }
}

static void finish_checksum(struct pbuf *p)
{
    struct csum c;
    csum_init(&c);
    store_be16(p->data + 2, 0);
    ipv4_csum_add_pbuf(&c, p, 0, p->tot_len);
    store_be16(p->data + 2, csum_finish(&c));
}

/* RFC 1122 3.2.2.6: the reply carries the request's identifier, sequence number and data. */
static void answer_echo(struct icmp_layer *icmp, struct pbuf *request,
                        const struct ipv4_rx_info *rx)
{
    struct icmp_stats *st = &icmp->stats;
    if (rx->to_broadcast || rx->to_multicast || rx->link_broadcast) {
        st->rx_echo_broadcast_ignored++;
        return;
    }
    struct pbuf *reply = pbuf_clone(request, icmp->ip->eth->pool);
    if (!reply || !pbuf_linearize(reply, ICMP_HEADER_LEN)) {
        st->tx_errors++;
        pbuf_free(reply);
        return;
    }
    reply->flags = 0;
    reply->data[0] = ICMP_ECHO_REPLY;
    reply->data[1] = 0;
    finish_checksum(reply);
    struct ipv4_tx tx = { .src = rx->dst, .dst = rx->src, .protocol = IPV4_PROTO_ICMP };
    if (ipv4_output(icmp->ip, reply, &tx) == 0)
        st->tx_echo_replies++;
    else
        st->tx_errors++;
}

/* RFC 1191 5: a router that predates RFC 1191 reports 0; guess the next plateau below the
 * length of the datagram it refused. */
static uint32_t plateau_below(uint32_t len)
{
    static const uint16_t plateaus[] = { 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68 };
    for (unsigned i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
        if (plateaus[i] < len)
            return plateaus[i];
    return IPV4_MIN_MTU;
}

static void handle_error(struct icmp_layer *icmp, struct pbuf *p, const struct ipv4_rx_info *rx,
                         uint8_t type, uint8_t code)
{
    struct icmp_stats *st = &icmp->stats;
    uint8_t quote[IPV4_HEADER_MAX + 8];
    size_t quote_len = p->tot_len - ICMP_HEADER_LEN;
    if (quote_len > sizeof(quote))
        quote_len = sizeof(quote);
    uint8_t icmp_header[ICMP_HEADER_LEN];
    pbuf_copy_out(p, 0, icmp_header, ICMP_HEADER_LEN);
    if (quote_len < IPV4_HEADER_MIN + 8) {
        st->rx_bad_quote++;
        return;
    }
    pbuf_copy_out(p, ICMP_HEADER_LEN, quote, quote_len);
    size_t header_len = (size_t)(quote[0] & 0x0f) * 4;
    struct ipv4_icmp_error err = {
        .type = type,
        .code = code,
        .reporter = rx->src,
    };
    /* The quote must be a plausible header of ours with 8 bytes after it; we never verify its
     * checksum or length (routers may have changed TTL or truncated it). */
    if ((quote[0] >> 4) != 4 || header_len < IPV4_HEADER_MIN || quote_len < header_len + 8) {
        st->rx_bad_quote++;
        return;
    }
    struct ipv4_header *q = &err.quoted;
    q->header_len = (uint8_t)header_len;
    q->tos = quote[1];
    q->total_len = load_be16(quote + 2);
    q->id = load_be16(quote + 4);
    q->frag_field = load_be16(quote + 6);
    q->ttl = quote[8];
    q->protocol = quote[9];
    q->src = load_u32(quote + 12);
    q->dst = load_u32(quote + 16);
    q->options = quote + IPV4_HEADER_MIN;
    q->options_len = (uint8_t)(header_len - IPV4_HEADER_MIN);
    if (!ipv4_addr(icmp->ip) || q->src != ipv4_addr(icmp->ip)) {
        st->rx_bad_quote++;
        return;
    }
    err.quoted_payload = quote + header_len;
    err.quoted_payload_len = quote_len - header_len;

    if (type == ICMP_DEST_UNREACHABLE && code == ICMP_UNREACH_FRAG_NEEDED) {
        st->rx_frag_needed++;
        uint32_t mtu = load_be16(icmp_header + 6);
        if (mtu == 0)
            mtu = plateau_below(q->total_len);
        err.info = mtu;
    }
    /* The transport judges the quote first: only one that matches a segment it has in flight
     * may lower the path MTU (it calls ipv4_pmtu_update itself; RFC 5927 4.1). A protocol
     * without an error handler (UDP, ICMP) cannot vouch for a quote, so its errors change
     * nothing. */
    ipv4_deliver_error(icmp->ip, &err);
}

void icmp_input(struct icmp_layer *icmp, struct pbuf *p, const struct ipv4_rx_info *rx)
{
    struct icmp_stats *st = &icmp->stats;
    st->rx_messages++;
    if (p->tot_len < ICMP_HEADER_LEN) {
        st->rx_too_short++;
        goto out;
    }
    struct csum c;
    csum_init(&c);
    ipv4_csum_add_pbuf(&c, p, 0, p->tot_len);
    if (csum_finish(&c) != 0) {
        st->rx_bad_checksum++;
        goto out;
    }
    uint8_t type_code[2];
    pbuf_copy_out(p, 0, type_code, 2);
    switch (type_code[0]) {
    case ICMP_ECHO_REQUEST:
        st->rx_echo_requests++;
        answer_echo(icmp, p, rx);
        break;
    case ICMP_ECHO_REPLY:
        st->rx_echo_replies++;
        break;
    case ICMP_DEST_UNREACHABLE:
        st->rx_dest_unreachable++;
        handle_error(icmp, p, rx, type_code[0], type_code[1]);
        break;
    case ICMP_TIME_EXCEEDED:
        st->rx_time_exceeded++;
        handle_error(icmp, p, rx, type_code[0], type_code[1]);
        break;
    case ICMP_PARAMETER_PROBLEM:
        st->rx_parameter_problem++;
        handle_error(icmp, p, rx, type_code[0], type_code[1]);
        break;
    case ICMP_SOURCE_QUENCH:
        /* RFC 6633 deprecates acting on it; transports may still want to know. */
        st->rx_source_quench++;
        handle_error(icmp, p, rx, type_code[0], type_code[1]);
        break;
    case ICMP_REDIRECT:
        st->rx_redirects_ignored++;
        break;
    default:
        st->rx_other++;
        break;
    }
out:
    pbuf_free(p);
}

int icmp_send_error_quote(struct icmp_layer *icmp, const uint8_t *quote, size_t quote_len,
                          const struct ipv4_rx_info *rx, uint8_t type, uint8_t code, uint32_t info)
{
    struct icmp_stats *st = &icmp->stats;
    /* The quote is a header we received and parsed; check the parts the rules read anyway. */
    if (quote_len < IPV4_HEADER_MIN || (quote[0] >> 4) != 4) {
        st->tx_errors++;
        return -EINVAL;
    }
    size_t header_len = (size_t)(quote[0] & 0x0f) * 4;
    uint16_t total_len = load_be16(quote + 2);
    if (header_len < IPV4_HEADER_MIN || header_len > quote_len) {
        st->tx_errors++;
        return -EINVAL;
    }
    uint32_t src = load_u32(quote + 12), dst = load_u32(quote + 16);
    uint16_t frag_field = load_be16(quote + 6);

    /* RFC 1122 3.2.2: no error about an ICMP error, about a datagram sent to a broadcast or
     * multicast address (IP or link), about a fragment other than the first, or to a source that
     * is not one host; and none while we have no address to send it from. */
    bool suppressed = !ipv4_addr(icmp->ip) || (frag_field & IPV4_OFFSET_MASK) != 0 ||
                      ipv4_is_broadcast(icmp->ip, dst) || ipv4_addr_is_multicast(dst) ||
                      (rx && (rx->to_broadcast || rx->to_multicast || rx->link_broadcast)) ||
                      ipv4_addr_is_zeronet(src) || src == IP4_BROADCAST ||
                      ipv4_addr_is_multicast(src) || ipv4_addr_is_loopback(src) ||
                      ipv4_addr_is_reserved(src) || ipv4_is_broadcast(icmp->ip, src);
    if (!suppressed && quote[9] == IPV4_PROTO_ICMP) {
        suppressed = quote_len <= header_len || type_is_error(quote[header_len]);
    }
    if (suppressed) {
        st->tx_suppressed++;
        return -EPERM;
    }
    if (!icmp_ratelimit_allow(&icmp->error_limit, platform_monotonic_ns())) {
        st->tx_rate_limited++;
        return -EAGAIN;
    }

    size_t n = quote_len;
    if (n > total_len && total_len >= header_len)
        n = total_len;
    if (n > ICMP_QUOTE_MAX)
        n = ICMP_QUOTE_MAX;
    struct pbuf *p = pbuf_alloc(icmp->ip->eth->pool, ICMP_HEADER_LEN + n);
    if (!p) {
        st->tx_errors++;
        return -ENOBUFS;
    }
    uint8_t header[ICMP_HEADER_LEN] = { type, code, 0, 0 };
    store_be32(header + 4, info);
    pbuf_copy_in(p, 0, header, ICMP_HEADER_LEN);
    pbuf_copy_in(p, ICMP_HEADER_LEN, quote, n);
    if (!pbuf_linearize(p, ICMP_HEADER_LEN)) {
        pbuf_free(p);
        st->tx_errors++;
        return -ENOBUFS;
    }
    finish_checksum(p);
    struct ipv4_tx tx = { .dst = src, .protocol = IPV4_PROTO_ICMP };
    int err = ipv4_output(icmp->ip, p, &tx);
    if (err) {
        st->tx_errors++;
        return err;
    }
    if (type == ICMP_DEST_UNREACHABLE)
        st->tx_dest_unreachable++;
    else if (type == ICMP_TIME_EXCEEDED)
        st->tx_time_exceeded++;
    return 0;
}

int icmp_send_error(struct icmp_layer *icmp, const struct pbuf *orig, const struct ipv4_rx_info *rx,
                    uint8_t type, uint8_t code, uint32_t info)
{
    uint8_t quote[ICMP_QUOTE_MAX];
    size_t n = orig->tot_len < sizeof(quote) ? orig->tot_len : sizeof(quote);
    if (pbuf_copy_out(orig, 0, quote, n) != 0) {
        icmp->stats.tx_errors++;
        return -EINVAL;
    }
    return icmp_send_error_quote(icmp, quote, n, rx, type, code, info);
}
