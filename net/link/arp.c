/*
 * net/arp: the ARP cache and resolver (RFC 826, RFC 1122 2.3.2), address probing, announcement
 * and conflict defence (RFC 5227). One sched/ timer, re-armed to the earliest pending deadline,
 * drives request retries, entry expiry, probes and announcements; the cache is a small fixed table
 * scanned linearly (ARP_CACHE_SIZE entries), which is cheaper than any index at this size.
 */
#include "net/link/arp.h"
#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/pbuf.h"
#include "net/stack.h"
#include "platform/platform.h"

#define NS_PER_S 1000000000ull
#define ARP_HTYPE_ETHERNET 1

/* Field offsets in the 28-byte Ethernet/IPv4 ARP packet (RFC 826 "Packet format"). */
enum {
    ARP_OFF_HTYPE = 0, ARP_OFF_PTYPE = 2, ARP_OFF_HLEN = 4, ARP_OFF_PLEN = 5, ARP_OFF_OP = 6,
    ARP_OFF_SHA = 8, ARP_OFF_SPA = 14, ARP_OFF_THA = 18, ARP_OFF_TPA = 24,
};

static const uint8_t zero_mac[ETH_ADDR_LEN];

void arp_default_tunables(struct arp_tunables *t)
{
    t->entry_ttl_ns = 60 * NS_PER_S;
    t->refresh_window_ns = 5 * NS_PER_S;
    t->request_interval_ns = 1 * NS_PER_S;
    t->request_tries = 3;
    t->failed_hold_ns = 3 * NS_PER_S;
    t->probe_wait_ns = 1 * NS_PER_S;
    t->probe_num = 3;
    t->probe_min_ns = 1 * NS_PER_S;
    t->probe_max_ns = 2 * NS_PER_S;
    t->announce_wait_ns = 2 * NS_PER_S;
    t->announce_num = 2;
    t->announce_interval_ns = 2 * NS_PER_S;
    t->defend_interval_ns = 10 * NS_PER_S;
}

static uint64_t now(void)
{
    return platform_monotonic_ns();
}

/* A uniformly random duration in [lo, hi]. */
static uint64_t random_between(uint64_t lo, uint64_t hi)
{
    if (hi <= lo)
        return lo;
    uint64_t span = hi - lo;
    /* Millisecond granularity keeps the bound within random_below's 32 bits for any sane span. */
    uint64_t ms = span / 1000000u;
    if (ms == 0)
        return lo;
    if (ms > UINT32_MAX - 1)
        ms = UINT32_MAX - 1;
    return lo + (uint64_t)random_below((uint32_t)ms + 1) * 1000000u;
}

static bool ipv4_is_multicast(uint32_t ip)
{
    uint8_t first = ((const uint8_t *)&ip)[0];
    return first >= 224 && first <= 239;
}

/* Could `ip` be a host's own address (what a sender may legitimately claim)? */
static bool plausible_sender(const struct netstack *s, uint32_t ip)
{
    uint8_t first = ((const uint8_t *)&ip)[0];
    if (ip == IP4_BROADCAST || first >= 224 || first == 127 || first == 0)
        return false;
    return !(s->netif.configured && s->netif.subnet_broadcast && ip == s->netif.subnet_broadcast);
}

/* ---- sending ---- */

static int send_arp(struct netstack *s, uint16_t op, const uint8_t eth_dst[ETH_ADDR_LEN],
                    const uint8_t tha[ETH_ADDR_LEN], uint32_t spa, uint32_t tpa)
{
    struct pbuf *p = pbuf_alloc(s->pool, ARP_PACKET_LEN);
    if (!p) {
        s->arp_stats.tx_errors++;
        return -ENOBUFS;
    }
    uint8_t *a = p->data;
    store_be16(a + ARP_OFF_HTYPE, ARP_HTYPE_ETHERNET);
    store_be16(a + ARP_OFF_PTYPE, ETHERTYPE_IPV4);
    a[ARP_OFF_HLEN] = ETH_ADDR_LEN;
    a[ARP_OFF_PLEN] = 4;
    store_be16(a + ARP_OFF_OP, op);
    memcpy(a + ARP_OFF_SHA, s->netif.mac, ETH_ADDR_LEN);
    memcpy(a + ARP_OFF_SPA, &spa, 4);
    memcpy(a + ARP_OFF_THA, tha, ETH_ADDR_LEN);
    memcpy(a + ARP_OFF_TPA, &tpa, 4);
    int err = eth_output(s, p, eth_dst, ETHERTYPE_ARP);
    if (err)
        s->arp_stats.tx_errors++;
    return err;
}

static void send_request(struct netstack *s, uint32_t target, const uint8_t *unicast_mac)
{
    if (send_arp(s, ARP_OP_REQUEST, unicast_mac ? unicast_mac : eth_broadcast_addr, zero_mac,
                 netstack_ipv4_addr(s), target) == 0)
        s->arp_stats.tx_requests++;
}

/* RFC 5227 2.3: an announcement is a request with our address as both sender and target. */
static void send_announcement(struct netstack *s)
{
    uint32_t me = netstack_ipv4_addr(s);
    if (me && send_arp(s, ARP_OP_REQUEST, eth_broadcast_addr, zero_mac, me, me) == 0)
        s->arp_stats.tx_announcements++;
}

/* ---- the cache ---- */

static struct arp_entry *find_entry(struct netstack *s, uint32_t ip)
{
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &s->arp.cache[i];
        if (e->state != ARP_FREE && e->ip == ip)
            return e;
    }
    return NULL;
}

static void drop_pending(struct netstack *s, struct arp_entry *e)
{
    for (struct pbuf *p = e->pending_head; p; p = p->qnext)
        s->arp_stats.queue_drops++;
    s->arp.pending_total -= e->pending_count;
    pbuf_free_queue(e->pending_head);
    e->pending_head = e->pending_tail = NULL;
    e->pending_count = 0;
}

static void release_entry(struct netstack *s, struct arp_entry *e)
{
    drop_pending(s, e);
    memset(e, 0, sizeof(*e));
    e->state = ARP_FREE;
}

/* A free slot, evicting when the table is full: the least recently used resolved or failed entry
 * first, an unresolved one (and its queue) only if nothing else is left. */
static struct arp_entry *allocate_entry(struct netstack *s, uint32_t ip)
{
    struct arp_entry *victim = NULL;
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &s->arp.cache[i];
        if (e->state == ARP_FREE) {
            victim = e;
            break;
        }
        bool e_settled = e->state != ARP_INCOMPLETE;
        bool v_settled = victim && victim->state != ARP_INCOMPLETE;
        if (!victim || (e_settled && !v_settled) ||
            (e_settled == v_settled && e->last_used_ns < victim->last_used_ns))
            victim = e;
    }
    if (victim->state != ARP_FREE) {
        s->arp_stats.cache_evictions++;
        release_entry(s, victim);
    }
    victim->ip = ip;
    victim->last_used_ns = now();
    return victim;
}

static void transmit_pending(struct netstack *s, struct arp_entry *e)
{
    struct pbuf *p = e->pending_head;
    s->arp.pending_total -= e->pending_count;
    e->pending_head = e->pending_tail = NULL;
    e->pending_count = 0;
    while (p) {
        struct pbuf *next = p->qnext;
        p->qnext = NULL;
        eth_output(s, p, e->mac, ETHERTYPE_IPV4);
        p = next;
    }
}

/* Learns ip -> mac (RFC 826 merge or new entry) and releases packets that waited for it. */
static void learn(struct netstack *s, struct arp_entry *e, const uint8_t mac[ETH_ADDR_LEN])
{
    if (e->state == ARP_VALID && memcmp(e->mac, mac, ETH_ADDR_LEN) != 0)
        s->arp_stats.cache_mac_changes++;
    bool was_waiting = e->state == ARP_INCOMPLETE;
    memcpy(e->mac, mac, ETH_ADDR_LEN);
    e->state = ARP_VALID;
    e->deadline_ns = now() + s->arp.tun.entry_ttl_ns;
    e->refreshing = false;
    e->tries = 0;
    s->arp_stats.cache_updates++;
    if (was_waiting)
        transmit_pending(s, e);
}

/* ---- the timer ---- */

static void rearm(struct netstack *s)
{
    struct arp_state *a = &s->arp;
    uint64_t next = DEADLINE_NONE;
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
        if (a->cache[i].state != ARP_FREE && a->cache[i].deadline_ns < next)
            next = a->cache[i].deadline_ns;
    if (a->probe_ip && a->probe_deadline_ns < next)
        next = a->probe_deadline_ns;
    if (a->announce_left && a->announce_deadline_ns < next)
        next = a->announce_deadline_ns;
    if (next == DEADLINE_NONE)
        timer_cancel(&a->timer);
    else
        timer_arm(&a->timer, next);
}

static void expire_entry(struct netstack *s, struct arp_entry *e, uint64_t t)
{
    const struct arp_tunables *tun = &s->arp.tun;
    switch (e->state) {
    case ARP_INCOMPLETE:
        if (e->tries < tun->request_tries) {
            /* RFC 1122 2.3.2.1: never more than one request per second per address; the
             * interval starts at 1 s and doubles. */
            send_request(s, e->ip, NULL);
            e->tries++;
            e->retry_interval_ns *= 2;
            e->deadline_ns = t + e->retry_interval_ns;
        } else {
            log_debug("arp", "no answer from %pI4", &e->ip);
            s->arp_stats.resolve_failures++;
            drop_pending(s, e);
            e->state = ARP_FAILED;
            e->deadline_ns = t + tun->failed_hold_ns;
        }
        break;
    case ARP_VALID:
        s->arp_stats.cache_expired++;
        release_entry(s, e);
        break;
    case ARP_FAILED:
        release_entry(s, e);
        break;
    case ARP_FREE:
        break;
    }
}

static void finish_probe(struct netstack *s, bool in_use)
{
    struct arp_state *a = &s->arp;
    uint32_t ip = a->probe_ip;
    arp_probe_cb cb = a->probe_cb;
    void *arg = a->probe_arg;
    a->probe_ip = 0;
    a->probe_cb = NULL;
    a->probe_arg = NULL;
    if (in_use)
        log_warn("arp", "probe: %pI4 is in use by another host", &ip);
    if (cb)
        cb(s, ip, in_use, arg);   /* may start another probe */
}

static void probe_step(struct netstack *s, uint64_t t)
{
    struct arp_state *a = &s->arp;
    if (a->probes_sent >= a->tun.probe_num) {
        finish_probe(s, false);   /* ANNOUNCE_WAIT passed in silence: the address is free */
        return;
    }
    /* RFC 5227 2.1.1: sender hardware address ours, sender IP 0, target IP the candidate. */
    if (send_arp(s, ARP_OP_REQUEST, eth_broadcast_addr, zero_mac, 0, a->probe_ip) == 0)
        s->arp_stats.tx_probes++;
    a->probes_sent++;
    if (a->probes_sent < a->tun.probe_num)
        a->probe_deadline_ns = t + random_between(a->tun.probe_min_ns, a->tun.probe_max_ns);
    else
        a->probe_deadline_ns = t + a->tun.announce_wait_ns;
}

static void arp_timer(struct timer *timer, void *arg)
{
    struct netstack *s = arg;
    struct arp_state *a = &s->arp;
    uint64_t t = now();
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &a->cache[i];
        if (e->state != ARP_FREE && e->deadline_ns <= t)
            expire_entry(s, e, t);
    }
    if (a->announce_left && a->announce_deadline_ns <= t) {
        send_announcement(s);
        a->announce_left--;
        a->announce_deadline_ns = t + a->tun.announce_interval_ns;
    }
    if (a->probe_ip && a->probe_deadline_ns <= t)
        probe_step(s, t);
    rearm(s);
}

/* ---- public ---- */

void arp_init(struct netstack *s)
{
    memset(&s->arp, 0, sizeof(s->arp));
    arp_default_tunables(&s->arp.tun);
    timer_init(&s->arp.timer, arp_timer, s);
}

void arp_shutdown(struct netstack *s)
{
    timer_cancel(&s->arp.timer);
    s->arp.probe_ip = 0;
    s->arp.announce_left = 0;
    arp_flush(s);
}

void arp_flush(struct netstack *s)
{
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
        if (s->arp.cache[i].state != ARP_FREE)
            release_entry(s, &s->arp.cache[i]);
    rearm(s);
}

bool arp_lookup(struct netstack *s, uint32_t ip, uint8_t mac_out[ETH_ADDR_LEN])
{
    struct arp_entry *e = find_entry(s, ip);
    if (!e || e->state != ARP_VALID)
        return false;
    memcpy(mac_out, e->mac, ETH_ADDR_LEN);
    return true;
}

void arp_set_conflict_handler(struct netstack *s, arp_conflict_cb cb, void *arg)
{
    s->arp.conflict_cb = cb;
    s->arp.conflict_arg = arg;
}

void arp_announce(struct netstack *s)
{
    struct arp_state *a = &s->arp;
    if (!netstack_ipv4_addr(s) || a->tun.announce_num == 0)
        return;
    send_announcement(s);
    a->announce_left = a->tun.announce_num - 1;
    a->announce_deadline_ns = now() + a->tun.announce_interval_ns;
    rearm(s);
}

int arp_probe(struct netstack *s, uint32_t ip, arp_probe_cb cb, void *arg)
{
    struct arp_state *a = &s->arp;
    if (a->probe_ip)
        return -EBUSY;
    if (!plausible_sender(s, ip))
        return -EINVAL;
    a->probe_ip = ip;
    a->probe_cb = cb;
    a->probe_arg = arg;
    a->probes_sent = 0;
    /* RFC 5227 2.1.1: wait a random time in [0, PROBE_WAIT] so hosts powered on together spread out. */
    a->probe_deadline_ns = now() + random_between(0, a->tun.probe_wait_ns);
    rearm(s);
    return 0;
}

void arp_probe_cancel(struct netstack *s)
{
    s->arp.probe_ip = 0;
    s->arp.probe_cb = NULL;
    rearm(s);
}

static void enqueue(struct netstack *s, struct arp_entry *e, struct pbuf *p)
{
    struct arp_state *a = &s->arp;
    /* RFC 1122 2.3.2.2: keep at least the latest packet; when a bound is hit the oldest waiting
     * packet for this address makes room. */
    if ((e->pending_count >= ARP_PENDING_PER_ENTRY || a->pending_total >= ARP_PENDING_TOTAL) &&
        e->pending_head) {
        struct pbuf *old = e->pending_head;
        e->pending_head = old->qnext;
        if (!e->pending_head)
            e->pending_tail = NULL;
        old->qnext = NULL;
        pbuf_free(old);
        e->pending_count--;
        a->pending_total--;
        s->arp_stats.queue_drops++;
    }
    if (a->pending_total >= ARP_PENDING_TOTAL) {
        s->arp_stats.queue_drops++;   /* other addresses hold the whole budget */
        pbuf_free(p);
        return;
    }
    p->qnext = NULL;
    if (e->pending_tail)
        e->pending_tail->qnext = p;
    else
        e->pending_head = p;
    e->pending_tail = p;
    e->pending_count++;
    a->pending_total++;
    s->arp_stats.queued++;
}

int arp_output(struct netstack *s, struct pbuf *p, uint32_t next_hop)
{
    struct arp_state *a = &s->arp;
    if (next_hop == 0) {
        s->arp_stats.no_address_drops++;
        pbuf_free(p);
        return -EADDRNOTAVAIL;
    }
    if (next_hop == IP4_BROADCAST ||
        (s->netif.configured && s->netif.subnet_broadcast == next_hop))
        return eth_output(s, p, eth_broadcast_addr, ETHERTYPE_IPV4);
    if (ipv4_is_multicast(next_hop)) {
        uint8_t mac[ETH_ADDR_LEN];
        eth_ipv4_multicast_addr(next_hop, mac);
        return eth_output(s, p, mac, ETHERTYPE_IPV4);
    }
    uint64_t t = now();
    struct arp_entry *e = find_entry(s, next_hop);
    if (e && e->state == ARP_VALID) {
        e->last_used_ns = t;
        /* RFC 1122 2.3.2.1: revalidate an entry in use before it times out, by unicast, so a
         * busy flow does not stall on a broadcast round trip at expiry. */
        if (!e->refreshing && e->deadline_ns - t <= a->tun.refresh_window_ns) {
            e->refreshing = true;
            send_request(s, next_hop, e->mac);
        }
        return eth_output(s, p, e->mac, ETHERTYPE_IPV4);
    }
    if (e && e->state == ARP_FAILED) {
        s->arp_stats.unreachable_drops++;
        pbuf_free(p);
        return -EHOSTUNREACH;
    }
    if (!e) {
        e = allocate_entry(s, next_hop);
        e->state = ARP_INCOMPLETE;
        e->tries = 1;
        e->retry_interval_ns = a->tun.request_interval_ns;
        e->deadline_ns = t + e->retry_interval_ns;
        send_request(s, next_hop, NULL);
        rearm(s);
    }
    e->last_used_ns = t;
    enqueue(s, e, p);
    return 0;
}

/* Another host claims our address (RFC 5227 2.4): log and count it, tell the owner of the
 * address, and defend once per DEFEND_INTERVAL with an announcement. */
static void conflict(struct netstack *s, const uint8_t *sha)
{
    struct arp_state *a = &s->arp;
    uint32_t me = netstack_ipv4_addr(s);
    s->arp_stats.rx_conflicts++;
    log_warn("arp", "address conflict: %pM claims our address %pI4", sha, &me);
    uint64_t t = now();
    if (a->last_defend_ns == 0 || t - a->last_defend_ns >= a->tun.defend_interval_ns) {
        a->last_defend_ns = t ? t : 1;
        send_announcement(s);
    }
    if (a->conflict_cb)
        a->conflict_cb(s, me, sha, a->conflict_arg);
}

/* RFC 5227 2.1.1: while probing, any ARP packet whose sender IP is the candidate, or a probe
 * from another host for the same candidate, means the address cannot be used. */
static bool probe_conflict(struct netstack *s, uint16_t op, uint32_t spa, uint32_t tpa)
{
    uint32_t cand = s->arp.probe_ip;
    return cand && (spa == cand || (op == ARP_OP_REQUEST && spa == 0 && tpa == cand));
}

void arp_input(struct netstack *s, struct pbuf *p)
{
    struct arp_stats *st = &s->arp_stats;
    st->rx_packets++;
    const uint8_t *a = pbuf_linearize(p, ARP_PACKET_LEN);
    if (!a || load_be16(a + ARP_OFF_HTYPE) != ARP_HTYPE_ETHERNET ||
        load_be16(a + ARP_OFF_PTYPE) != ETHERTYPE_IPV4 || a[ARP_OFF_HLEN] != ETH_ADDR_LEN ||
        a[ARP_OFF_PLEN] != 4 ||
        (load_be16(a + ARP_OFF_OP) != ARP_OP_REQUEST && load_be16(a + ARP_OFF_OP) != ARP_OP_REPLY)) {
        st->rx_malformed++;
        pbuf_free(p);
        return;
    }
    uint16_t op = load_be16(a + ARP_OFF_OP);
    uint8_t sha[ETH_ADDR_LEN];
    uint32_t spa, tpa;
    memcpy(sha, a + ARP_OFF_SHA, ETH_ADDR_LEN);
    memcpy(&spa, a + ARP_OFF_SPA, 4);
    memcpy(&tpa, a + ARP_OFF_TPA, 4);
    pbuf_free(p);

    if (eth_addr_is_multicast(sha) || eth_addr_is_zero(sha) ||
        memcmp(sha, s->netif.mac, ETH_ADDR_LEN) == 0 || (spa != 0 && !plausible_sender(s, spa))) {
        st->rx_bad_sender++;
        return;
    }
    if (op == ARP_OP_REQUEST)
        st->rx_requests++;
    else
        st->rx_replies++;
    if (probe_conflict(s, op, spa, tpa))
        finish_probe(s, true);

    uint32_t me = netstack_ipv4_addr(s);
    if (spa == 0) {
        /* A probe (RFC 5227 2.1.1). Never learnt from; if it asks for our address, the normal
         * reply tells the prober the address is taken. */
        st->rx_probes++;
        if (op == ARP_OP_REQUEST && me && tpa == me &&
            send_arp(s, ARP_OP_REPLY, sha, sha, me, 0) == 0)
            st->tx_replies++;
        rearm(s);
        return;
    }
    if (me && spa == me) {
        conflict(s, sha);
        rearm(s);
        return;
    }
    /* RFC 826 "Packet Reception": update the sender if we know it (merge), then add it if the
     * packet is for us, then answer a request. */
    bool for_us = me && tpa == me;
    struct arp_entry *e = find_entry(s, spa);
    if (e)
        learn(s, e, sha);
    else if (for_us)
        learn(s, allocate_entry(s, spa), sha);
    if (for_us && op == ARP_OP_REQUEST && send_arp(s, ARP_OP_REPLY, sha, sha, me, spa) == 0)
        st->tx_replies++;
    rearm(s);
}
