/*
 * net/link/arp: the ARP cache and resolver (RFC 826, RFC 1122 2.3.2), address probing, announcement
 * and conflict defence (RFC 5227). One sched/ timer, re-armed to the earliest pending deadline,
 * drives request retries, entry expiry, probes and announcements; the cache is a small fixed table
 * scanned linearly (up to cache_used: entries are taken lowest first), which is cheaper than any
 * index at this size.
 */
#include "net/link/arp.h"
#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/pbuf.h"
#include "net/wire/ipv4_header.h"
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
static bool plausible_sender(const struct arp_layer *arp, uint32_t ip)
{
    uint8_t first = ((const uint8_t *)&ip)[0];
    if (ip == IP4_BROADCAST || first >= 224 || first == 127 || first == 0)
        return false;
    return !(arp->subnet_broadcast && ip == arp->subnet_broadcast);
}

/* ---- sending ---- */

static int send_arp(struct arp_layer *arp, uint16_t op, const uint8_t eth_dst[ETH_ADDR_LEN],
                    const uint8_t tha[ETH_ADDR_LEN], uint32_t spa, uint32_t tpa)
{
    struct pbuf *p = pbuf_alloc(arp->eth->pool, ARP_PACKET_LEN);
    if (!p) {
        arp->stats.tx_errors++;
        return -ENOBUFS;
    }
    uint8_t *a = p->data;
    store_be16(a + ARP_OFF_HTYPE, ARP_HTYPE_ETHERNET);
    store_be16(a + ARP_OFF_PTYPE, ETHERTYPE_IPV4);
    a[ARP_OFF_HLEN] = ETH_ADDR_LEN;
    a[ARP_OFF_PLEN] = 4;
    store_be16(a + ARP_OFF_OP, op);
    memcpy(a + ARP_OFF_SHA, arp->eth->mac, ETH_ADDR_LEN);
    memcpy(a + ARP_OFF_SPA, &spa, 4);
    memcpy(a + ARP_OFF_THA, tha, ETH_ADDR_LEN);
    memcpy(a + ARP_OFF_TPA, &tpa, 4);
    int err = eth_output(arp->eth, p, eth_dst, ETHERTYPE_ARP);
    if (err)
        arp->stats.tx_errors++;
    return err;
}

static void send_request(struct arp_layer *arp, uint32_t target, const uint8_t *unicast_mac)
{
    if (send_arp(arp, ARP_OP_REQUEST, unicast_mac ? unicast_mac : eth_broadcast_addr, zero_mac,
                 arp->addr, target) == 0)
        arp->stats.tx_requests++;
}

/* RFC 5227 2.3: an announcement is a request with our address as both sender and target. */
static void send_announcement(struct arp_layer *arp)
{
    uint32_t me = arp->addr;
    if (me && send_arp(arp, ARP_OP_REQUEST, eth_broadcast_addr, zero_mac, me, me) == 0)
        arp->stats.tx_announcements++;
}

/* ---- the cache ---- */

static struct arp_entry *find_entry(struct arp_layer *arp, uint32_t ip)
{
    for (unsigned i = 0; i < arp->cache_used; i++) {
        struct arp_entry *e = &arp->cache[i];
        if (e->state != ARP_FREE && e->ip == ip)
            return e;
    }
    return NULL;
}

static void drop_pending(struct arp_layer *arp, struct arp_entry *e)
{
    for (struct pbuf *p = e->pending_head; p; p = p->qnext)
        arp->stats.queue_drops++;
    arp->pending_total -= e->pending_count;
    pbuf_free_queue(e->pending_head);
    e->pending_head = e->pending_tail = NULL;
    e->pending_count = 0;
}

static void release_entry(struct arp_layer *arp, struct arp_entry *e)
{
    drop_pending(arp, e);
    memset(e, 0, sizeof(*e));
    e->state = ARP_FREE;
}

/* A free slot, evicting when the table is full: the least recently used resolved or failed entry
 * first, an unresolved one (and its queue) only if nothing else is left. */
static struct arp_entry *allocate_entry(struct arp_layer *arp, uint32_t ip)
{
    struct arp_entry *victim = NULL;
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
        struct arp_entry *e = &arp->cache[i];
        if (e->state == ARP_FREE) {
            victim = e;
            if (i >= arp->cache_used)   /* evictions happen in a full table: all below it */
                arp->cache_used = i + 1;
            break;
        }
        bool e_settled = e->state != ARP_INCOMPLETE;
        bool v_settled = victim && victim->state != ARP_INCOMPLETE;
        if (!victim || (e_settled && !v_settled) ||
            (e_settled == v_settled && e->last_used_ns < victim->last_used_ns))
            victim = e;
    }
    if (victim->state != ARP_FREE) {
        arp->stats.cache_evictions++;
        release_entry(arp, victim);
    }
    victim->ip = ip;
    victim->last_used_ns = now();
    return victim;
}

static void transmit_pending(struct arp_layer *arp, struct arp_entry *e)
{
    struct pbuf *p = e->pending_head;
    arp->pending_total -= e->pending_count;
    e->pending_head = e->pending_tail = NULL;
    e->pending_count = 0;
    while (p) {
        struct pbuf *next = p->qnext;
        p->qnext = NULL;
        eth_output(arp->eth, p, e->mac, ETHERTYPE_IPV4);
        p = next;
    }
}

/* Learns ip -> mac (RFC 826 merge or new entry) and releases packets that waited for it. */
/* Makes the timer fire no later than deadline. A timer left earlier than needed costs one table
 * scan when it fires (arp_timer acts only on what is due, then rearms from the whole table), where
 * rearming from the table on every packet would cost that scan each time. */
static void arm_by(struct arp_layer *arp, uint64_t deadline)
{
    if (!timer_armed(&arp->timer) || deadline < arp->timer.deadline_ns)
        timer_arm(&arp->timer, deadline);
}

static void learn(struct arp_layer *arp, struct arp_entry *e, const uint8_t mac[ETH_ADDR_LEN])
{
    if (e->state == ARP_VALID && memcmp(e->mac, mac, ETH_ADDR_LEN) != 0)
        arp->stats.cache_mac_changes++;
    bool was_waiting = e->state == ARP_INCOMPLETE;
    memcpy(e->mac, mac, ETH_ADDR_LEN);
    e->state = ARP_VALID;
    e->deadline_ns = now() + arp->tun.entry_ttl_ns;
    e->refreshing = false;
    e->tries = 0;
    arm_by(arp, e->deadline_ns);
    arp->stats.cache_updates++;
    if (was_waiting)
        transmit_pending(arp, e);
}

/* ---- the timer ---- */

static void rearm(struct arp_layer *arp)
{
    uint64_t next = DEADLINE_NONE;
    for (unsigned i = 0; i < arp->cache_used; i++)
        if (arp->cache[i].state != ARP_FREE && arp->cache[i].deadline_ns < next)
            next = arp->cache[i].deadline_ns;
    if (arp->probe_ip && arp->probe_deadline_ns < next)
        next = arp->probe_deadline_ns;
    if (arp->announce_left && arp->announce_deadline_ns < next)
        next = arp->announce_deadline_ns;
    if (next == DEADLINE_NONE)
        timer_cancel(&arp->timer);
    else
        timer_arm(&arp->timer, next);
}

static void expire_entry(struct arp_layer *arp, struct arp_entry *e, uint64_t t)
{
    const struct arp_tunables *tun = &arp->tun;
    switch (e->state) {
    case ARP_INCOMPLETE:
        if (e->tries < tun->request_tries) {
            /* RFC 1122 2.3.2.1: never more than one request per second per address; the
             * interval starts at 1 s and doubles. */
            send_request(arp, e->ip, NULL);
            e->tries++;
            e->retry_interval_ns *= 2;
            e->deadline_ns = t + e->retry_interval_ns;
        } else {
            log_debug("arp", "no answer from %pI4", &e->ip);
            arp->stats.resolve_failures++;
            drop_pending(arp, e);
            e->state = ARP_FAILED;
            e->deadline_ns = t + tun->failed_hold_ns;
        }
        break;
    case ARP_VALID:
        arp->stats.cache_expired++;
        release_entry(arp, e);
        break;
    case ARP_FAILED:
        release_entry(arp, e);
        break;
    case ARP_FREE:
        break;
    }
}

static void finish_probe(struct arp_layer *arp, bool in_use)
{
    uint32_t ip = arp->probe_ip;
    arp_probe_cb cb = arp->probe_cb;
    void *arg = arp->probe_arg;
    arp->probe_ip = 0;
    arp->probe_cb = NULL;
    arp->probe_arg = NULL;
    if (in_use)
        log_warn("arp", "probe: %pI4 is in use by another host", &ip);
    if (cb)
        cb(arp, ip, in_use, arg);   /* may start another probe */
}

static void probe_step(struct arp_layer *arp, uint64_t t)
{
    if (arp->probes_sent >= arp->tun.probe_num) {
        finish_probe(arp, false);   /* ANNOUNCE_WAIT passed in silence: the address is free */
        return;
    }
    /* RFC 5227 2.1.1: sender hardware address ours, sender IP 0, target IP the candidate. */
    if (send_arp(arp, ARP_OP_REQUEST, eth_broadcast_addr, zero_mac, 0, arp->probe_ip) == 0)
        arp->stats.tx_probes++;
    arp->probes_sent++;
    if (arp->probes_sent < arp->tun.probe_num)
        arp->probe_deadline_ns = t + random_between(arp->tun.probe_min_ns, arp->tun.probe_max_ns);
    else
        arp->probe_deadline_ns = t + arp->tun.announce_wait_ns;
}

static void arp_timer(struct timer *timer, void *arg)
{
    struct arp_layer *arp = arg;
    uint64_t t = now();
    for (unsigned i = 0; i < arp->cache_used; i++) {
        struct arp_entry *e = &arp->cache[i];
        if (e->state != ARP_FREE && e->deadline_ns <= t)
            expire_entry(arp, e, t);
    }
    if (arp->announce_left && arp->announce_deadline_ns <= t) {
        send_announcement(arp);
        arp->announce_left--;
        arp->announce_deadline_ns = t + arp->tun.announce_interval_ns;
    }
    if (arp->probe_ip && arp->probe_deadline_ns <= t)
        probe_step(arp, t);
    rearm(arp);
}

/* ---- public ---- */

static void arp_frame(void *ctx, struct pbuf *p)
{
    arp_input(ctx, p);
}

static struct arp_layer *all_layers;

static void unlink_layer(struct arp_layer *arp)
{
    for (struct arp_layer **p = &all_layers; *p; p = &(*p)->next_layer)
        if (*p == arp) {
            *p = arp->next_layer;
            return;
        }
}

int arp_init(struct arp_layer *arp, struct eth_layer *eth)
{
    unlink_layer(arp);   /* a layer set up again without arp_fini is listed once */
    memset(arp, 0, sizeof(*arp));
    arp->eth = eth;
    arp_default_tunables(&arp->tun);
    timer_init(&arp->timer, arp_timer, arp);
    int rc = eth_register(eth, ETHERTYPE_ARP, arp_frame, arp);
    if (rc == 0) {
        arp->next_layer = all_layers;
        all_layers = arp;
    }
    return rc;
}

unsigned arp_announce_all(void)
{
    unsigned announced = 0;
    for (struct arp_layer *arp = all_layers; arp; arp = arp->next_layer) {
        if (!arp->addr || arp->tun.announce_num == 0)
            continue;
        arp_announce(arp);
        announced++;
    }
    return announced;
}

void arp_set_address(struct arp_layer *arp, uint32_t addr, uint32_t subnet_broadcast)
{
    arp->addr = addr;
    arp->subnet_broadcast = subnet_broadcast;
}

void arp_fini(struct arp_layer *arp)
{
    unlink_layer(arp);
    timer_cancel(&arp->timer);
    arp->probe_ip = 0;
    arp->announce_left = 0;
    arp_flush(arp);
}

void arp_flush(struct arp_layer *arp)
{
    for (unsigned i = 0; i < arp->cache_used; i++)
        if (arp->cache[i].state != ARP_FREE)
            release_entry(arp, &arp->cache[i]);
    arp->cache_used = 0;
    rearm(arp);
}

bool arp_lookup(struct arp_layer *arp, uint32_t ip, uint8_t mac_out[ETH_ADDR_LEN])
{
    struct arp_entry *e = find_entry(arp, ip);
    if (!e || e->state != ARP_VALID)
        return false;
    memcpy(mac_out, e->mac, ETH_ADDR_LEN);
    return true;
}

void arp_set_conflict_handler(struct arp_layer *arp, arp_conflict_cb cb, void *arg)
{
    arp->conflict_cb = cb;
    arp->conflict_arg = arg;
}

void arp_announce(struct arp_layer *arp)
{
    if (!arp->addr || arp->tun.announce_num == 0)
        return;
    send_announcement(arp);
    arp->announce_left = arp->tun.announce_num - 1;
    arp->announce_deadline_ns = now() + arp->tun.announce_interval_ns;
    rearm(arp);
}

int arp_probe(struct arp_layer *arp, uint32_t ip, arp_probe_cb cb, void *arg)
{
    if (arp->probe_ip)
        return -EBUSY;
    if (!plausible_sender(arp, ip))
        return -EINVAL;
    arp->probe_ip = ip;
    arp->probe_cb = cb;
    arp->probe_arg = arg;
    arp->probes_sent = 0;
    /* RFC 5227 2.1.1: wait a random time in [0, PROBE_WAIT] so hosts powered on together spread out. */
    arp->probe_deadline_ns = now() + random_between(0, arp->tun.probe_wait_ns);
    rearm(arp);
    return 0;
}

void arp_probe_cancel(struct arp_layer *arp)
{
    arp->probe_ip = 0;
    arp->probe_cb = NULL;
    rearm(arp);
}

static void enqueue(struct arp_layer *arp, struct arp_entry *e, struct pbuf *p)
{
    /* RFC 1122 2.3.2.2: keep at least the latest packet; when a bound is hit the oldest waiting
     * packet for this address makes room. */
    if ((e->pending_count >= ARP_PENDING_PER_ENTRY || arp->pending_total >= ARP_PENDING_TOTAL) &&
        e->pending_head) {
        struct pbuf *old = e->pending_head;
        e->pending_head = old->qnext;
        if (!e->pending_head)
            e->pending_tail = NULL;
        old->qnext = NULL;
        pbuf_free(old);
        e->pending_count--;
        arp->pending_total--;
        arp->stats.queue_drops++;
    }
    if (arp->pending_total >= ARP_PENDING_TOTAL) {
        arp->stats.queue_drops++;   /* other addresses hold the whole budget */
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
    arp->pending_total++;
    arp->stats.queued++;
}

int arp_output(struct arp_layer *arp, struct pbuf *p, uint32_t next_hop)
{
    if (next_hop == 0) {
        arp->stats.no_address_drops++;
        pbuf_free(p);
        return -EADDRNOTAVAIL;
    }
    if (next_hop == IP4_BROADCAST ||
        (arp->subnet_broadcast && arp->subnet_broadcast == next_hop))
        return eth_output(arp->eth, p, eth_broadcast_addr, ETHERTYPE_IPV4);
    if (ipv4_is_multicast(next_hop)) {
        uint8_t mac[ETH_ADDR_LEN];
        eth_ipv4_multicast_addr(next_hop, mac);
        return eth_output(arp->eth, p, mac, ETHERTYPE_IPV4);
    }
    uint64_t t = now();
    struct arp_entry *e = find_entry(arp, next_hop);
    if (e && e->state == ARP_VALID) {
        e->last_used_ns = t;
        /* RFC 1122 2.3.2.1: revalidate an entry in use before it times out, by unicast, so a
         * busy flow does not stall on a broadcast round trip at expiry. */
        if (!e->refreshing && e->deadline_ns - t <= arp->tun.refresh_window_ns) {
            e->refreshing = true;
            send_request(arp, next_hop, e->mac);
        }
        return eth_output(arp->eth, p, e->mac, ETHERTYPE_IPV4);
    }
    if (e && e->state == ARP_FAILED) {
        arp->stats.unreachable_drops++;
        pbuf_free(p);
        return -EHOSTUNREACH;
    }
    if (!e) {
        e = allocate_entry(arp, next_hop);
        e->state = ARP_INCOMPLETE;
        e->tries = 1;
        e->retry_interval_ns = arp->tun.request_interval_ns;
        e->deadline_ns = t + e->retry_interval_ns;
        send_request(arp, next_hop, NULL);
        arm_by(arp, e->deadline_ns);
    }
    e->last_used_ns = t;
    enqueue(arp, e, p);
    return 0;
}

/* Another host claims our address (RFC 5227 2.4): log and count it, tell the owner of the
 * address, and defend once per DEFEND_INTERVAL with an announcement. */
static void conflict(struct arp_layer *arp, const uint8_t *sha)
{
    uint32_t me = arp->addr;
    arp->stats.rx_conflicts++;
    log_warn("arp", "address conflict: %pM claims our address %pI4", sha, &me);
    uint64_t t = now();
    if (arp->last_defend_ns == 0 || t - arp->last_defend_ns >= arp->tun.defend_interval_ns) {
        arp->last_defend_ns = t ? t : 1;
        send_announcement(arp);
    }
    if (arp->conflict_cb)
        arp->conflict_cb(arp, me, sha, arp->conflict_arg);
}

/* RFC 5227 2.1.1: while probing, any ARP packet whose sender IP is the candidate, or a probe
 * from another host for the same candidate, means the address cannot be used. */
static bool probe_conflict(struct arp_layer *arp, uint16_t op, uint32_t spa, uint32_t tpa)
{
    uint32_t cand = arp->probe_ip;
    return cand && (spa == cand || (op == ARP_OP_REQUEST && spa == 0 && tpa == cand));
}

void arp_input(struct arp_layer *arp, struct pbuf *p)
{
    struct arp_stats *st = &arp->stats;
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
        memcmp(sha, arp->eth->mac, ETH_ADDR_LEN) == 0 ||
        (spa != 0 && !plausible_sender(arp, spa))) {
        st->rx_bad_sender++;
        return;
    }
    if (op == ARP_OP_REQUEST)
        st->rx_requests++;
    else
        st->rx_replies++;
    if (probe_conflict(arp, op, spa, tpa))
        finish_probe(arp, true);

    uint32_t me = arp->addr;
    if (spa == 0) {
        /* A probe (RFC 5227 2.1.1). Never learnt from; if it asks for our address, the normal
         * reply tells the prober the address is taken. */
        st->rx_probes++;
        if (op == ARP_OP_REQUEST && me && tpa == me &&
            send_arp(arp, ARP_OP_REPLY, sha, sha, me, 0) == 0)
            st->tx_replies++;
        rearm(arp);
        return;
    }
    if (me && spa == me) {
        conflict(arp, sha);
        rearm(arp);
        return;
    }
    /* RFC 826 "Packet Reception": update the sender if we know it (merge), then add it if the
     * packet is for us, then answer a request. */
    bool for_us = me && tpa == me;
    struct arp_entry *e = find_entry(arp, spa);
    if (e)
        learn(arp, e, sha);
    else if (for_us)
        learn(arp, allocate_entry(arp, spa), sha);
    if (for_us && op == ARP_OP_REQUEST && send_arp(arp, ARP_OP_REPLY, sha, sha, me, spa) == 0)
        st->tx_replies++;
}
