/*
 * net/ip/ipv4_pmtu: per-destination path MTU estimates (RFC 1191) for ipv4_output. A small bounded
 * table: an estimate only ever goes down in response to ICMP (RFC 1191 3: never raised by a
 * Datagram Too Big), and is forgotten after IPV4_PMTU_TIMEOUT_NS so a path that grew is found
 * again (RFC 1191 6.3). An image without path MTU discovery (NET_FEATURE_PMTU, an app.mk's
 * APP_NET_WITHOUT) keeps no estimates: every path MTU is the interface's, and a lower one
 * reported by ICMP is ignored and counted (pmtu_ignored).
 */
#include "net/ip/ipv4.h"

#include "net/wire/features.h"
#include "platform/platform.h"

static struct ipv4_pmtu_entry *lookup(struct ipv4_layer *ip, uint32_t dst, uint64_t now)
{
    for (unsigned i = 0; i < IPV4_PMTU_ENTRIES; i++) {
        struct ipv4_pmtu_entry *e = &ip->pmtu[i];
        if (e->dst == 0)
            continue;
        if (e->expires_ns <= now) {
            e->dst = 0;
            ip->pmtu_live--;
            ip->stats.pmtu_expired++;
            continue;
        }
        if (e->dst == dst)
            return e;
    }
    return NULL;
}

uint32_t ipv4_path_mtu(struct ipv4_layer *ip, uint32_t dst)
{
    uint32_t mtu = ip->netif.mtu;
    /* Every packet asks: no clock read or scan for an empty table (or an image without PMTUD). */
    if (!net_feature(NET_FEATURE_PMTU) || ip->pmtu_live == 0)
        return mtu;
    struct ipv4_pmtu_entry *e = lookup(ip, dst, platform_monotonic_ns());
    if (e && e->mtu < mtu)
        mtu = e->mtu;
    return mtu;
}

bool ipv4_pmtu_update(struct ipv4_layer *ip, uint32_t dst, uint32_t mtu)
{
    if (!net_feature(NET_FEATURE_PMTU)) {
        ip->stats.pmtu_ignored++;
        return false;
    }
    uint64_t now = platform_monotonic_ns();
    if (mtu < IPV4_MIN_MTU) {
        ip->stats.pmtu_ignored++;
        return false;
    }
    if (mtu < IPV4_PMTU_FLOOR)
        mtu = IPV4_PMTU_FLOOR;
    uint32_t current = ipv4_path_mtu(ip, dst);
    if (mtu >= current) {
        ip->stats.pmtu_ignored++;
        return false;
    }
    struct ipv4_pmtu_entry *e = lookup(ip, dst, now);
    if (!e) {
        /* A free slot, else the one closest to expiry. */
        e = &ip->pmtu[0];
        for (unsigned i = 0; i < IPV4_PMTU_ENTRIES; i++) {
            struct ipv4_pmtu_entry *c = &ip->pmtu[i];
            if (c->dst == 0) {
                e = c;
                break;
            }
            if (c->expires_ns < e->expires_ns)
                e = c;
        }
    }
    if (e->dst == 0)
        ip->pmtu_live++;
    e->dst = dst;
    e->mtu = mtu;
    e->expires_ns = now + IPV4_PMTU_TIMEOUT_NS;
    ip->stats.pmtu_updates++;
    return true;
}
