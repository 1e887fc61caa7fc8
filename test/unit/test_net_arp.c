/*
 * Unit tests for net/arp on the simulated clock: RFC 826 reception and replies, the RFC 1122
 * 2.3.2.1 cache (timeout, refresh, one request per second, size bound) and 2.3.2.2 queueing,
 * RFC 5227 probing, announcement and conflict defence, and two stacks resolving each other over
 * the in-memory pair.
 */
#include "test/unit/net_core_fixture.h"
#include "lib/errno.h"
#include "net/dev/pair.h"
#include "xenolith/test_main.h"

static struct pbuf_pool *rxpool;
static struct capture_dev cap;
static struct netstack *s;

#define ME IP4_ADDR(10, 0, 0, 2)
#define PEER IP4_ADDR(10, 0, 0, 1)
#define PEER2 IP4_ADDR(10, 0, 0, 3)

static void setup(void)
{
    core_boot();
    rxpool = pbuf_pool_create("rx", 256);
    capture_init(&cap, 0, rxpool);
    s = netstack_create(&cap.dev);
    ck_assert_ptr_nonnull(s);
}

static void setup_configured(void)
{
    setup();
    set_addr(s, ME, 24, PEER);
    cap.count = 0;    /* forget the announcement */
    s->arp.announce_left = 0;
    memset(&s->arp.stats, 0, sizeof(s->arp.stats));
}

static void teardown(void)
{
    netstack_destroy(s);
    ck_assert_uint_eq(pool_in_use(rxpool), 0);
    pbuf_pool_destroy(rxpool);
}

static void rx_arp(const uint8_t *eth_dst, const uint8_t *sha, uint16_t op, uint32_t spa,
                   const uint8_t *tha, uint32_t tpa)
{
    uint8_t f[60];
    inject(&cap.dev, rxpool, f, build_arp(f, eth_dst, sha, op, spa, tha, tpa));
}

static struct pbuf *datagram(uint8_t tag)
{
    struct pbuf *p = pbuf_alloc(s->pool, 40);
    memset(p->data, tag, 40);
    return p;
}

static struct arp_view arp_at(unsigned i)
{
    struct arp_view v;
    ck_assert_msg(parse_arp(&cap, i, &v), "frame %u is not ARP", i);
    return v;
}

/* RFC 826 "Packet Reception": a request for our address is answered to the requester with our
 * hardware address, and the requester is added to the table (target is us, merge_flag false). */
START_TEST(request_for_us_is_answered_and_learnt)
{
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, PEER, ZERO_MAC, ME);
    ck_assert_uint_eq(cap.count, 1);
    struct arp_view v = arp_at(0);
    ck_assert_uint_eq(v.op, ARP_OP_REPLY);
    ck_assert_mem_eq(v.eth_dst, PEER_MAC, 6);
    ck_assert_mem_eq(v.sha, cap.dev.mac, 6);
    ck_assert_uint_eq(v.spa, ME);
    ck_assert_mem_eq(v.tha, PEER_MAC, 6);
    ck_assert_uint_eq(v.tpa, PEER);
    uint8_t mac[6];
    ck_assert(arp_lookup(&s->arp, PEER, mac));
    ck_assert_mem_eq(mac, PEER_MAC, 6);
    ck_assert_uint_eq(s->arp.stats.tx_replies, 1);
}
END_TEST

/* RFC 826: a packet not addressed to us only updates an entry we already have (merge); it does
 * not create one, and is not answered. */
START_TEST(request_for_other_only_merges)
{
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, PEER, ZERO_MAC, PEER2);
    uint8_t mac[6];
    ck_assert(!arp_lookup(&s->arp, PEER, mac));
    ck_assert_uint_eq(cap.count, 0);
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, PEER, ZERO_MAC, ME);   /* now we know PEER */
    rx_arp(BCAST, PEER2_MAC, ARP_OP_REQUEST, PEER, ZERO_MAC, PEER2); /* PEER moved to a new MAC */
    ck_assert(arp_lookup(&s->arp, PEER, mac));
    ck_assert_mem_eq(mac, PEER2_MAC, 6);
    ck_assert_uint_eq(s->arp.stats.cache_mac_changes, 1);
}
END_TEST

/* RFC 1122 2.3.2.2: a datagram for an unresolved address waits while a request goes out, and
 * is sent once the reply arrives. */
START_TEST(output_queues_until_reply)
{
    ck_assert_int_eq(arp_output(&s->arp, datagram(0xa1), PEER), 0);
    ck_assert_uint_eq(cap.count, 1);
    struct arp_view v = arp_at(0);
    ck_assert_uint_eq(v.op, ARP_OP_REQUEST);
    ck_assert_mem_eq(v.eth_dst, BCAST, 6);
    ck_assert_uint_eq(v.tpa, PEER);
    ck_assert_uint_eq(v.spa, ME);
    ck_assert_uint_eq(s->arp.stats.queued, 1);
    rx_arp(cap.dev.mac, PEER_MAC, ARP_OP_REPLY, PEER, cap.dev.mac, ME);
    ck_assert_uint_eq(cap.count, 2);
    ck_assert_mem_eq(cap.frame[1], PEER_MAC, 6);
    ck_assert_uint_eq(load_be16(cap.frame[1] + 12), ETHERTYPE_IPV4);
    ck_assert_uint_eq(cap.frame[1][14], 0xa1);
    ck_assert_uint_eq(s->arp.pending_total, 0);
    /* Cached now: the next datagram goes straight out. */
    ck_assert_int_eq(arp_output(&s->arp, datagram(0xa2), PEER), 0);
    ck_assert_uint_eq(cap.count, 3);
    ck_assert_uint_eq(cap.frame[2][14], 0xa2);
}
END_TEST

/* RFC 1122 2.3.2.2: the queue per address is bounded and SHOULD keep the latest packet: the
 * oldest ones make room. */
START_TEST(pending_queue_keeps_latest)
{
    for (unsigned i = 0; i < ARP_PENDING_PER_ENTRY + 2; i++)
        ck_assert_int_eq(arp_output(&s->arp, datagram((uint8_t)(0x10 + i)), PEER), 0);
    ck_assert_uint_eq(s->arp.stats.queue_drops, 2);
    ck_assert_uint_eq(s->arp.pending_total, ARP_PENDING_PER_ENTRY);
    ck_assert_uint_eq(cap.count, 1);   /* one request only, not one per datagram */
    rx_arp(cap.dev.mac, PEER_MAC, ARP_OP_REPLY, PEER, cap.dev.mac, ME);
    ck_assert_uint_eq(cap.count, 1 + ARP_PENDING_PER_ENTRY);
    for (unsigned i = 0; i < ARP_PENDING_PER_ENTRY; i++)
        ck_assert_uint_eq(cap.frame[1 + i][14], 0x12 + i);
}
END_TEST

/* The total over all addresses is bounded too, so many unresolved destinations cannot hold an
 * unbounded amount of memory. */
START_TEST(pending_total_bound)
{
    unsigned addrs = ARP_PENDING_TOTAL / ARP_PENDING_PER_ENTRY + 2;
    for (unsigned a = 0; a < addrs; a++)
        for (unsigned i = 0; i < ARP_PENDING_PER_ENTRY; i++)
            arp_output(&s->arp, datagram(1), IP4_ADDR(10, 0, 0, 10 + a));
    ck_assert_uint_eq(s->arp.pending_total, ARP_PENDING_TOTAL);
    ck_assert_uint_eq(s->arp.stats.queued, ARP_PENDING_TOTAL);
    ck_assert_uint_eq(s->arp.stats.queue_drops, 2 * ARP_PENDING_PER_ENTRY);
}
END_TEST

/* RFC 1122 2.3.2.1: at most one request per second to an unresolved address (here 1 s, 2 s
 * apart: doubling), then give up: queued packets are dropped and new ones refused for a while. */
START_TEST(retries_back_off_then_fail)
{
    ck_assert_int_eq(arp_output(&s->arp, datagram(1), PEER), 0);
    run_until(T0 + 10 * SEC);
    ck_assert_uint_eq(cap.count, 3);
    ck_assert_uint_eq(cap.when[0], T0);
    ck_assert_uint_eq(cap.when[1], T0 + 1 * SEC);
    ck_assert_uint_eq(cap.when[2], T0 + 3 * SEC);
    ck_assert_uint_eq(s->arp.stats.resolve_failures, 1);
    ck_assert_uint_eq(s->arp.stats.queue_drops, 1);
}
END_TEST

START_TEST(failed_address_refused_for_a_while)
{
    arp_output(&s->arp, datagram(1), PEER);
    run_until(T0 + 7 * SEC);       /* third request at 3 s, failure at 7 s */
    ck_assert_uint_eq(s->arp.stats.resolve_failures, 1);
    ck_assert_int_eq(arp_output(&s->arp, datagram(2), PEER), -EHOSTUNREACH);
    ck_assert_uint_eq(s->arp.stats.unreachable_drops, 1);
    unsigned before = cap.count;
    run_until(T0 + 10 * SEC + 1);  /* failed_hold 3 s over */
    ck_assert_int_eq(arp_output(&s->arp, datagram(3), PEER), 0);
    ck_assert_uint_eq(cap.count, before + 1);   /* a fresh resolution */
}
END_TEST

/* RFC 1122 2.3.2.1: entries time out (60 s here). */
START_TEST(entries_expire)
{
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, PEER, ZERO_MAC, ME);
    uint8_t mac[6];
    run_until(T0 + 59 * SEC);
    ck_assert(arp_lookup(&s->arp, PEER, mac));
    run_until(T0 + 60 * SEC + 1);
    ck_assert(!arp_lookup(&s->arp, PEER, mac));
    ck_assert_uint_eq(s->arp.stats.cache_expired, 1);
}
END_TEST

/* RFC 1122 2.3.2.1 (unicast poll): an entry in use near its expiry is revalidated with a request
 * sent to the cached address, and a reply extends it. */
START_TEST(entry_in_use_is_refreshed_by_unicast)
{
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, PEER, ZERO_MAC, ME);
    cap.count = 0;
    run_until(T0 + 50 * SEC);
    arp_output(&s->arp, datagram(1), PEER);
    ck_assert_uint_eq(cap.count, 1);        /* not yet in the refresh window */
    run_until(T0 + 56 * SEC);
    arp_output(&s->arp, datagram(2), PEER);
    ck_assert_uint_eq(cap.count, 3);
    struct arp_view v = arp_at(1);
    ck_assert_uint_eq(v.op, ARP_OP_REQUEST);
    ck_assert_mem_eq(v.eth_dst, PEER_MAC, 6);
    arp_output(&s->arp, datagram(3), PEER);
    ck_assert_uint_eq(cap.count, 4);        /* only one refresh request outstanding */
    rx_arp(cap.dev.mac, PEER_MAC, ARP_OP_REPLY, PEER, cap.dev.mac, ME);
    run_until(T0 + 100 * SEC);
    uint8_t mac[6];
    ck_assert(arp_lookup(&s->arp, PEER, mac));
}
END_TEST

/* The table is bounded; the least recently used entry makes room. */
START_TEST(cache_is_bounded_lru)
{
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
        uint8_t mac[6] = { 0x02, 0, 0, 0, 1, (uint8_t)i };
        sim_advance_to(T0 + i * MS);
        rx_arp(BCAST, mac, ARP_OP_REQUEST, IP4_ADDR(10, 0, 1, i), ZERO_MAC, ME);
    }
    sim_advance_to(T0 + 100 * MS);
    arp_output(&s->arp, datagram(1), IP4_ADDR(10, 0, 1, 0));   /* entry 0 is now the most recent */
    uint8_t newmac[6] = { 0x02, 0, 0, 0, 2, 0 };
    rx_arp(BCAST, newmac, ARP_OP_REQUEST, IP4_ADDR(10, 0, 2, 0), ZERO_MAC, ME);
    ck_assert_uint_eq(s->arp.stats.cache_evictions, 1);
    uint8_t mac[6];
    ck_assert(arp_lookup(&s->arp, IP4_ADDR(10, 0, 1, 0), mac));
    ck_assert(!arp_lookup(&s->arp, IP4_ADDR(10, 0, 1, 1), mac));
    ck_assert(arp_lookup(&s->arp, IP4_ADDR(10, 0, 2, 0), mac));
}
END_TEST

/* RFC 826: hardware type 1 (Ethernet), protocol 0x0800, lengths 6/4, opcode request or reply;
 * anything else is dropped and counted. */
START_TEST(malformed_packets_dropped)
{
    uint8_t f[60];
    size_t n = build_arp(f, BCAST, PEER_MAC, ARP_OP_REQUEST, PEER, ZERO_MAC, ME);
    uint8_t bad[60];
    memcpy(bad, f, n);
    bad[15] = 6;                               /* hardware type 6 */
    inject(&cap.dev, rxpool, bad, n);
    memcpy(bad, f, n);
    bad[17] = 0xdd;                            /* protocol 0x08dd */
    inject(&cap.dev, rxpool, bad, n);
    memcpy(bad, f, n);
    bad[18] = 8;                               /* hlen 8 */
    inject(&cap.dev, rxpool, bad, n);
    memcpy(bad, f, n);
    bad[19] = 16;                              /* plen 16 */
    inject(&cap.dev, rxpool, bad, n);
    memcpy(bad, f, n);
    bad[21] = 3;                               /* RARP request opcode */
    inject(&cap.dev, rxpool, bad, n);
    inject(&cap.dev, rxpool, f, 14 + 27);      /* truncated */
    ck_assert_uint_eq(s->arp.stats.rx_malformed, 6);
    ck_assert_uint_eq(cap.count, 0);
    uint8_t mac[6];
    ck_assert(!arp_lookup(&s->arp, PEER, mac));
}
END_TEST

START_TEST(implausible_senders_ignored)
{
    /* A multicast sender hardware address inside an ordinary unicast-sourced frame. */
    static const uint8_t mcast_mac[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
    uint8_t f[60];
    build_arp(f, BCAST, PEER_MAC, ARP_OP_REQUEST, PEER, ZERO_MAC, ME);
    memcpy(f + 22, mcast_mac, 6);
    inject(&cap.dev, rxpool, f, 60);
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, IP4_ADDR(10, 0, 0, 255), ZERO_MAC, ME);
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, IP4_ADDR(224, 0, 0, 1), ZERO_MAC, ME);
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, IP4_BROADCAST, ZERO_MAC, ME);
    ck_assert_uint_eq(s->arp.stats.rx_bad_sender, 4);
    ck_assert_uint_eq(cap.count, 0);
}
END_TEST

static unsigned conflicts_seen;
static void on_conflict(struct arp_layer *arp, uint32_t ip, const uint8_t mac[6], void *arg)
{
    conflicts_seen++;
    ck_assert_uint_eq(ip, ME);
    ck_assert_mem_eq(mac, PEER2_MAC, 6);
}

/* RFC 5227 2.4: a packet from another host with our address as sender is a conflict: logged,
 * counted, reported, and defended with one announcement per DEFEND_INTERVAL (10 s). The bogus
 * mapping is not learnt. */
START_TEST(conflict_detected_and_defended)
{
    conflicts_seen = 0;
    arp_set_conflict_handler(&s->arp, on_conflict, NULL);
    rx_arp(BCAST, PEER2_MAC, ARP_OP_REQUEST, ME, ZERO_MAC, PEER);
    ck_assert_uint_eq(s->arp.stats.rx_conflicts, 1);
    ck_assert_uint_eq(conflicts_seen, 1);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "address conflict"));
    ck_assert_uint_eq(cap.count, 1);
    struct arp_view v = arp_at(0);
    ck_assert_uint_eq(v.spa, ME);
    ck_assert_uint_eq(v.tpa, ME);
    ck_assert_mem_eq(v.eth_dst, BCAST, 6);
    run_until(T0 + 5 * SEC);
    rx_arp(BCAST, PEER2_MAC, ARP_OP_REPLY, ME, ZERO_MAC, PEER);
    ck_assert_uint_eq(s->arp.stats.rx_conflicts, 2);
    ck_assert_uint_eq(cap.count, 1);      /* within DEFEND_INTERVAL: no second defence */
    run_until(T0 + 11 * SEC);
    rx_arp(BCAST, PEER2_MAC, ARP_OP_REPLY, ME, ZERO_MAC, PEER);
    ck_assert_uint_eq(cap.count, 2);
    ck_assert_uint_eq(s->arp.stats.tx_announcements, 2);
    uint8_t mac[6];
    ck_assert(!arp_lookup(&s->arp, ME, mac));
}
END_TEST

/* The capture holds ANNOUNCE_NUM (2) broadcast requests with sender and target IP both ours,
 * ANNOUNCE_INTERVAL (2 s) apart (RFC 5227 2.3). */
static void assert_two_announcements(void)
{
    ck_assert_uint_eq(cap.count, 2);
    for (unsigned i = 0; i < 2; i++) {
        struct arp_view v = arp_at(i);
        ck_assert_uint_eq(v.op, ARP_OP_REQUEST);
        ck_assert_uint_eq(v.spa, ME);
        ck_assert_uint_eq(v.tpa, ME);
        ck_assert_mem_eq(v.tha, ZERO_MAC, 6);
        ck_assert_mem_eq(v.eth_dst, BCAST, 6);
    }
    ck_assert_uint_eq(cap.when[1] - cap.when[0], 2 * SEC);
}

/* RFC 5227 2.3: configuring an address announces it ANNOUNCE_NUM (2) times, ANNOUNCE_INTERVAL
 * (2 s) apart, with sender and target IP both ours. */
START_TEST(configuration_announces)
{
    set_addr(s, ME, 24, 0);
    run_until(T0 + 10 * SEC);
    assert_two_announcements();
    ck_assert_uint_eq(cap.when[0], T0);
    ck_assert_uint_eq(cap.when[1], T0 + 2 * SEC);
    /* Setting the same address again (a DHCP renewal) does not re-announce. */
    set_addr(s, ME, 24, 0);
    run_until(T0 + 20 * SEC);
    ck_assert_uint_eq(cap.count, 2);
}
END_TEST

/* A machine that moved to another port of the network (a Xen domain restored or migrated)
 * announces every configured address again, as RFC 5227 2.3 announces a new one (ANNOUNCE_NUM
 * gratuitous requests, ANNOUNCE_INTERVAL apart), so switches and neighbours learn where its MAC
 * is now; a stack without an address stays silent. */
START_TEST(a_moved_machine_announces_every_address)
{
    struct capture_dev cap2;
    capture_init(&cap2, 0, rxpool);
    struct netstack *unconfigured = netstack_create(&cap2.dev);
    ck_assert_ptr_nonnull(unconfigured);
    ck_assert_uint_eq(arp_announce_all(), 1);
    run_until(T0 + 10 * SEC);
    assert_two_announcements();
    ck_assert_uint_eq(cap2.count, 0);
    /* A stack that is gone is not announced (nor touched) again. */
    netstack_destroy(unconfigured);
    ck_assert_uint_eq(arp_announce_all(), 1);
}
END_TEST

static int probe_verdicts;
static bool probe_in_use;
static uint64_t probe_done_at;
static void on_probe(struct arp_layer *arp, uint32_t ip, bool in_use, void *arg)
{
    probe_verdicts++;
    probe_in_use = in_use;
    probe_done_at = sim_now();
    ck_assert_uint_eq(ip, PEER2);
}

/* RFC 5227 2.1.1: after a random 0..PROBE_WAIT delay, PROBE_NUM probes (sender IP 0, target
 * hardware address 0) PROBE_MIN..PROBE_MAX apart; ANNOUNCE_WAIT after the last one, silence
 * means the address is free. */
START_TEST(probe_free_address)
{
    probe_verdicts = 0;
    ck_assert_int_eq(arp_probe(&s->arp, PEER2, on_probe, NULL), 0);
    ck_assert_int_eq(arp_probe(&s->arp, PEER2, on_probe, NULL), -EBUSY);
    run_until(T0 + 20 * SEC);
    ck_assert_int_eq(probe_verdicts, 1);
    ck_assert(!probe_in_use);
    ck_assert_uint_eq(cap.count, 3);
    ck_assert_uint_le(cap.when[0] - T0, 1 * SEC);
    for (unsigned i = 0; i < 3; i++) {
        struct arp_view v = arp_at(i);
        ck_assert_uint_eq(v.op, ARP_OP_REQUEST);
        ck_assert_uint_eq(v.spa, 0);
        ck_assert_uint_eq(v.tpa, PEER2);
        ck_assert_mem_eq(v.tha, ZERO_MAC, 6);
        ck_assert_mem_eq(v.sha, cap.dev.mac, 6);
        if (i) {
            ck_assert_uint_ge(cap.when[i] - cap.when[i - 1], 1 * SEC);
            ck_assert_uint_le(cap.when[i] - cap.when[i - 1], 2 * SEC);
        }
    }
    ck_assert_uint_eq(probe_done_at, cap.when[2] + 2 * SEC);
    ck_assert_uint_eq(s->arp.stats.tx_probes, 3);
}
END_TEST

/* RFC 5227 2.1.1: any ARP packet with the candidate as sender IP means it is in use. */
START_TEST(probe_sees_owner)
{
    probe_verdicts = 0;
    arp_probe(&s->arp, PEER2, on_probe, NULL);
    run_until(T0 + 1500 * MS);
    rx_arp(cap.dev.mac, PEER2_MAC, ARP_OP_REPLY, PEER2, cap.dev.mac, 0);
    ck_assert_int_eq(probe_verdicts, 1);
    ck_assert(probe_in_use);
    ck_assert_uint_eq(probe_done_at, T0 + 1500 * MS);
    unsigned sent = cap.count;
    run_until(T0 + 20 * SEC);
    ck_assert_uint_eq(cap.count, sent);   /* no further probes after the verdict */
}
END_TEST

/* RFC 5227 2.1.1: a probe from another host for the same candidate is a conflict too. */
START_TEST(probe_sees_competing_prober)
{
    probe_verdicts = 0;
    arp_probe(&s->arp, PEER2, on_probe, NULL);
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, 0, ZERO_MAC, PEER2);
    ck_assert_int_eq(probe_verdicts, 1);
    ck_assert(probe_in_use);
}
END_TEST

/* RFC 5227 2.1.1: probes (sender IP 0) are never learnt from; a probe for our own address is
 * answered so the prober knows it is taken. */
START_TEST(probe_for_our_address_answered)
{
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, 0, ZERO_MAC, ME);
    ck_assert_uint_eq(s->arp.stats.rx_probes, 1);
    ck_assert_uint_eq(cap.count, 1);
    struct arp_view v = arp_at(0);
    ck_assert_uint_eq(v.op, ARP_OP_REPLY);
    ck_assert_uint_eq(v.spa, ME);
    ck_assert_mem_eq(v.eth_dst, PEER_MAC, 6);
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, 0, ZERO_MAC, PEER2);
    ck_assert_uint_eq(cap.count, 1);
    ck_assert_uint_eq(s->arp.cache[0].state, ARP_FREE);
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
        ck_assert_uint_eq(s->arp.cache[i].state, ARP_FREE);
}
END_TEST

/* Broadcast and multicast next hops need no resolution (RFC 1112 6.4 for the mapping). */
START_TEST(broadcast_and_multicast_next_hops)
{
    ck_assert_int_eq(arp_output(&s->arp, datagram(1), IP4_BROADCAST), 0);
    ck_assert_mem_eq(cap.frame[0], BCAST, 6);
    ck_assert_int_eq(arp_output(&s->arp, datagram(2), IP4_ADDR(10, 0, 0, 255)), 0);
    ck_assert_mem_eq(cap.frame[1], BCAST, 6);
    ck_assert_int_eq(arp_output(&s->arp, datagram(3), IP4_ADDR(224, 0, 0, 251)), 0);
    static const uint8_t mdns[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb };
    ck_assert_mem_eq(cap.frame[2], mdns, 6);
    ck_assert_int_eq(arp_output(&s->arp, datagram(4), 0), -EADDRNOTAVAIL);
    ck_assert_uint_eq(s->arp.stats.no_address_drops, 1);
    ck_assert_uint_eq(s->arp.stats.tx_requests, 0);
}
END_TEST

START_TEST(address_change_flushes)
{
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, PEER, ZERO_MAC, ME);
    arp_output(&s->arp, datagram(1), PEER2);
    set_addr(s, IP4_ADDR(10, 0, 0, 9), 24, 0);
    uint8_t mac[6];
    ck_assert(!arp_lookup(&s->arp, PEER, mac));
    ck_assert_uint_eq(s->arp.pending_total, 0);
    netstack_clear_ipv4_config(s);
    ck_assert_uint_eq(netstack_ipv4_addr(s), 0);
    /* Unconfigured: requests for our old address are not answered. */
    unsigned before = cap.count;
    rx_arp(BCAST, PEER_MAC, ARP_OP_REQUEST, PEER, ZERO_MAC, IP4_ADDR(10, 0, 0, 9));
    ck_assert_uint_eq(cap.count, before);
}
END_TEST

START_TEST(config_validation)
{
    struct ipv4_config c = { .addr = IP4_ADDR(10, 0, 0, 0), .prefix_len = 24 };
    ck_assert_int_eq(netstack_set_ipv4_config(s, &c), -EINVAL);     /* network address */
    c.addr = IP4_ADDR(10, 0, 0, 255);
    ck_assert_int_eq(netstack_set_ipv4_config(s, &c), -EINVAL);     /* subnet broadcast */
    c.addr = IP4_ADDR(224, 0, 0, 5);
    ck_assert_int_eq(netstack_set_ipv4_config(s, &c), -EINVAL);
    c.addr = ME;
    c.prefix_len = 33;
    ck_assert_int_eq(netstack_set_ipv4_config(s, &c), -EINVAL);
    c.prefix_len = 24;
    c.gateway = IP4_ADDR(10, 0, 1, 1);
    ck_assert_int_eq(netstack_set_ipv4_config(s, &c), -EINVAL);     /* gateway off-link */
    c.gateway = PEER;
    c.mtu = 67;
    ck_assert_int_eq(netstack_set_ipv4_config(s, &c), -EINVAL);
    c.mtu = 1400;
    ck_assert_int_eq(netstack_set_ipv4_config(s, &c), 0);
    ck_assert_uint_eq(s->ipv4.netif.mtu, 1400);
    ck_assert_uint_eq(s->ipv4.netif.netmask, IP4_ADDR(255, 255, 255, 0));
    ck_assert_uint_eq(s->ipv4.netif.subnet_broadcast, IP4_ADDR(10, 0, 0, 255));
    ck_assert(ipv4_on_link(&s->ipv4, PEER2));
    ck_assert(!ipv4_on_link(&s->ipv4, IP4_ADDR(10, 0, 1, 1)));
    c.addr = IP4_ADDR(10, 0, 0, 1);
    c.prefix_len = 32;
    c.gateway = 0;
    ck_assert_int_eq(netstack_set_ipv4_config(s, &c), 0);
    ck_assert_uint_eq(s->ipv4.netif.subnet_broadcast, 0);
}
END_TEST

static int observed;
static void observer_cb(struct ipv4_layer *ip, void *arg)
{
    observed++;
}

START_TEST(observers_told)
{
    struct ipv4_config_observer o = { .changed = observer_cb };
    observed = 0;
    ipv4_add_config_observer(&s->ipv4, &o);
    set_addr(s, ME, 24, 0);
    netstack_clear_ipv4_config(s);
    ck_assert_int_eq(observed, 2);
    ipv4_remove_config_observer(&s->ipv4, &o);
    set_addr(s, ME, 24, 0);
    ck_assert_int_eq(observed, 2);
}
END_TEST

/* Two stacks on the in-memory pair resolve each other end to end; the answering side learns the
 * asker from the request (RFC 826: target is us). */
START_TEST(two_stacks_resolve)
{
    struct pbuf_pool *pa = pbuf_pool_create("a", 64), *pb = pbuf_pool_create("b", 64);
    struct netdev_pair *pair = netdev_pair_create("p", 7, 1500, 0, pa, pb);
    struct netstack *a = netstack_create(netdev_pair_end(pair, 0));
    struct netstack *b = netstack_create(netdev_pair_end(pair, 1));
    set_addr(a, ME, 24, 0);
    set_addr(b, PEER, 24, 0);
    settle();
    struct pbuf *p = pbuf_alloc(a->pool, 40);
    memset(p->data, 0x77, 40);
    ck_assert_int_eq(arp_output(&a->arp, p, PEER), 0);
    settle();
    uint8_t mac[6];
    ck_assert(arp_lookup(&a->arp, PEER, mac));
    ck_assert_mem_eq(mac, netdev_pair_end(pair, 1)->mac, 6);
    ck_assert(arp_lookup(&b->arp, ME, mac));
    ck_assert_mem_eq(mac, netdev_pair_end(pair, 0)->mac, 6);
    /* The queued datagram reached b (no IPv4 handler there unless IPv4 attached: it is counted). */
    ck_assert_uint_ge(b->eth.stats.rx_unknown_ethertype + b->eth.stats.rx_frames, 3);
    ck_assert_uint_eq(a->arp.stats.tx_requests, 1);
    ck_assert_uint_eq(b->arp.stats.tx_replies, 1);
    run_until(sim_now() + 10 * SEC);
    netstack_destroy(a);
    netstack_destroy(b);
    netdev_pair_destroy(pair);
    ck_assert_uint_eq(pool_in_use(pa) + pool_in_use(pb), 0);
    pbuf_pool_destroy(pa);
    pbuf_pool_destroy(pb);
}
END_TEST

static Suite *arp_suite(void)
{
    Suite *su = suite_create("net_arp");
    TCase *tc = tcase_create("configured");
    tcase_add_checked_fixture(tc, setup_configured, teardown);
    tcase_add_test(tc, request_for_us_is_answered_and_learnt);
    tcase_add_test(tc, request_for_other_only_merges);
    tcase_add_test(tc, output_queues_until_reply);
    tcase_add_test(tc, pending_queue_keeps_latest);
    tcase_add_test(tc, pending_total_bound);
    tcase_add_test(tc, retries_back_off_then_fail);
    tcase_add_test(tc, failed_address_refused_for_a_while);
    tcase_add_test(tc, entries_expire);
    tcase_add_test(tc, entry_in_use_is_refreshed_by_unicast);
    tcase_add_test(tc, cache_is_bounded_lru);
    tcase_add_test(tc, malformed_packets_dropped);
    tcase_add_test(tc, implausible_senders_ignored);
    tcase_add_test(tc, conflict_detected_and_defended);
    tcase_add_test(tc, probe_free_address);
    tcase_add_test(tc, probe_sees_owner);
    tcase_add_test(tc, probe_sees_competing_prober);
    tcase_add_test(tc, probe_for_our_address_answered);
    tcase_add_test(tc, broadcast_and_multicast_next_hops);
    tcase_add_test(tc, address_change_flushes);
    tcase_add_test(tc, a_moved_machine_announces_every_address);
    suite_add_tcase(su, tc);
    TCase *tc2 = tcase_create("unconfigured");
    tcase_add_checked_fixture(tc2, setup, teardown);
    tcase_add_test(tc2, configuration_announces);
    tcase_add_test(tc2, config_validation);
    tcase_add_test(tc2, observers_told);
    tcase_add_test(tc2, two_stacks_resolve);
    suite_add_tcase(su, tc2);
    return su;
}

TEST_MAIN(arp_suite)
