/*
 * net/tcp/tcp_pmtu: the send MSS against the path MTU (RFC 1191, RFC 9293 3.7.3). The MSS follows
 * the peer's MSS option, the options in use and ipv4_path_mtu. An ICMP "fragmentation needed" that
 * matched a segment in flight (tcp.c) lowers the estimate and the MSS at once and resends what no
 * longer fits; when the estimate expires (IPV4_PMTU_TIMEOUT_NS, RFC 1191 6.3) the next output
 * notices the larger path MTU and raises the MSS again, so one old report does not leave the
 * connection with small segments for ever. In an image without path MTU discovery
 * (NET_FEATURE_PMTU) the path MTU is always the interface's: the MSS stays the handshake's.
 */
#include "net/tcp/tcp_internal.h"
#include "net/wire/features.h"


void tcp_update_mss(struct tcp_conn *c)
{
    uint32_t mtu = ipv4_path_mtu(c->ts->layer->ip, c->ep.remote_ip);
    c->path_mtu = mtu;
    c->mss = tcp_effective_send_mss(c->peer_mss, mtu, tcp_ts_in_use(c) ? 12 : 0);
    c->stats.snd_mss = c->mss;
    tcp_cc_set_mss(&c->cc, c->mss);
    if (tcp_sack_in_use(c))
        tcp_scoreboard_set_mss(&c->sb, c->mss);
}

void tcp_pmtu_changed(struct tcp_conn *c)
{
    uint32_t old = c->mss;
    tcp_update_mss(c);
    if (c->mss < old) {
        /* RFC 1191 / RFC 9293 3.7.3: what was sent in larger segments is lost; resend from
         * SND.UNA in segments of the new size at once rather than waiting for the timer. */
        c->ts->layer->stats.rx_pmtu_updates++;
        if (c->snd_una != c->snd_nxt && c->state >= TCPS_ESTABLISHED) {
            tcp_cc_on_rto(&c->cc, c->snd_una, c->snd_nxt, tcp_now());
            tcp_output(c);
        }
    }
}

void tcp_pmtu_recheck(struct tcp_conn *c)
{
    /* Only a connection whose MSS a lowered estimate limited has anything to regain (never, in an
     * image without path MTU discovery: its estimates are the interface's MTU). */
    if (!net_feature(NET_FEATURE_PMTU) || !c->path_mtu ||
        c->path_mtu >= c->ts->layer->ip->netif.mtu)
        return;
    if (ipv4_path_mtu(c->ts->layer->ip, c->ep.remote_ip) <= c->path_mtu)
        return;
    uint32_t old = c->mss;
    tcp_update_mss(c);
    if (c->mss > old)
        c->ts->layer->stats.pmtu_mss_raised++;
}
