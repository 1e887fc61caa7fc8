/*
 * Unit tests for net/dhcp_client: the DHCP client state machine, driven through its ops on a
 * simulated clock with a scripted server. Each rule cites its RFC 2131 section.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net/dhcp/dhcp_client.h"
#include "net/wire/dhcp_msg.h"
#include "xenolith/test_main.h"

#define S DHCP_NS_PER_SEC
#define START_NS (1000 * S)
#define MAX_SENT 128

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t server_a[4] = { 10, 77, 0, 1 };
static const uint8_t server_b[4] = { 10, 77, 0, 2 };
static const uint8_t offered[4] = { 10, 77, 0, 50 };

struct sent {
    struct dhcp_message m;
    struct dhcp_dest dest;
    size_t len;
    uint64_t at;
};

static struct fake {
    struct dhcp_client c;
    uint64_t now;
    uint64_t timer;
    struct sent sent[MAX_SENT];
    unsigned nsent;
    unsigned probes;
    uint8_t probe_addr[4];
    unsigned applies, drops;
    struct dhcp_lease applied;
    bool have_applied;
    uint32_t jitter_value;     /* random() % 2001: 1000 = no jitter */
    uint32_t counter;
} f;

static void fake_send(void *ctx, const uint8_t *msg, size_t len, const struct dhcp_dest *dest)
{
    ck_assert_uint_lt(f.nsent, MAX_SENT);
    struct sent *s = &f.sent[f.nsent++];
    ck_assert_int_eq(dhcp_msg_parse(msg, len, &s->m), DHCP_PARSE_OK);
    s->dest = *dest;
    s->len = len;
    s->at = f.now;
}

static void fake_set_timer(void *ctx, uint64_t deadline_ns)
{
    f.timer = deadline_ns;
}

static void fake_probe(void *ctx, const uint8_t address[4])
{
    f.probes++;
    memcpy(f.probe_addr, address, 4);
}

static void fake_apply(void *ctx, const struct dhcp_lease *lease)
{
    if (lease) {
        f.applies++;
        f.applied = *lease;
        f.have_applied = true;
    } else {
        f.drops++;
        f.have_applied = false;
    }
}

/* Successive values differ (fresh xids) but all give the same jitter. */
static uint32_t fake_random(void *ctx)
{
    return f.jitter_value + 2001u * ++f.counter;
}

static const struct dhcp_client_ops ops = {
    .send = fake_send, .set_timer = fake_set_timer, .probe = fake_probe,
    .apply = fake_apply, .random = fake_random,
};

static void setup(void)
{
    memset(&f, 0, sizeof(f));
    f.now = START_NS;
    f.timer = UINT64_MAX;
    f.jitter_value = 1000;
    struct dhcp_client_config cfg = { .start_delay_max_ns = 0, .max_msg_size = 1472 };
    memcpy(cfg.mac, our_mac, 6);
    dhcp_client_init(&f.c, &cfg, &ops, NULL);
}

static struct sent *last_sent(void)
{
    ck_assert_uint_gt(f.nsent, 0);
    return &f.sent[f.nsent - 1];
}

/* Moves the clock to t, firing the timer whenever it comes due on the way. */
static void run_until(uint64_t t)
{
    while (f.timer <= t) {
        f.now = f.timer;
        dhcp_client_timeout(&f.c, f.now);
    }
    f.now = t;
}

/* A server reply for the client's current exchange. */
static struct dhcp_message reply(uint8_t type, const uint8_t server[4])
{
    struct dhcp_message m;
    memset(&m, 0, sizeof(m));
    m.op = DHCP_OP_BOOTREPLY;
    m.htype = DHCP_HTYPE_ETHERNET;
    m.hlen = 6;
    m.xid = f.c.xid;
    memcpy(m.chaddr, our_mac, 6);
    m.type = type;
    m.has = DHCP_HAS(DHCP_HAS_MSG_TYPE) | DHCP_HAS(DHCP_HAS_SERVER_ID);
    memcpy(m.server_id, server, 4);
    if (type != DHCPNAK) {
        memcpy(m.yiaddr, offered, 4);
        m.has |= DHCP_HAS(DHCP_HAS_LEASE_TIME) | DHCP_HAS(DHCP_HAS_SUBNET_MASK) |
                 DHCP_HAS(DHCP_HAS_ROUTER) | DHCP_HAS(DHCP_HAS_DNS);
        m.lease_time = 1000;
        memcpy(m.subnet_mask, (uint8_t[]){ 255, 255, 255, 0 }, 4);
        m.router_count = 1;
        memcpy(m.routers[0], server_a, 4);
        m.dns_count = 1;
        memcpy(m.dns[0], server_b, 4);
    }
    return m;
}

static void deliver(const struct dhcp_message *m)
{
    uint8_t buf[DHCP_MAX_LEN];
    int len = dhcp_msg_build(m, buf, sizeof(buf));
    ck_assert_int_gt(len, 0);
    dhcp_client_input(&f.c, buf, (size_t)len, f.now);
}

/* reply(type, server), delivered as it is. */
static void deliver_reply(uint8_t type, const uint8_t server[4])
{
    struct dhcp_message m = reply(type, server);
    deliver(&m);
}

/* start -> DISCOVER -> server_a's OFFER -> REQUEST, all at `now`: the client is REQUESTING. */
static void request_offer(void)
{
    dhcp_client_start(&f.c, f.now);
    deliver_reply(DHCPOFFER, server_a);
}

/* request_offer -> ACK -> probe (free) -> BOUND, all at `now`. */
static void acquire(void)
{
    request_offer();
    deliver_reply(DHCPACK, server_a);
    dhcp_client_probe_done(&f.c, offered, false, f.now);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_BOUND);
}

/* ---- Acquisition ---- */

START_TEST(discover_is_broadcast_with_our_identity)
{
    /* RFC 2131 4.4.1: DISCOVER broadcast with a random xid and chaddr; 4.1: the BROADCAST flag
     * for a client that cannot receive unicast yet; RFC 2132 9.14/9.8/9.10 options. */
    dhcp_client_start(&f.c, f.now);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_SELECTING);
    struct sent *s = last_sent();
    ck_assert(s->dest.broadcast);
    ck_assert_uint_eq(s->m.op, DHCP_OP_BOOTREQUEST);
    ck_assert_uint_eq(s->m.type, DHCPDISCOVER);
    ck_assert_uint_eq(s->m.xid, f.c.xid);
    ck_assert_uint_eq(s->m.flags, DHCP_FLAG_BROADCAST);
    ck_assert_mem_eq(s->m.chaddr, our_mac, 6);
    ck_assert_uint_eq(s->m.hlen, 6);
    ck_assert_uint_eq(s->m.client_id_len, 7);
    ck_assert_uint_eq(s->m.client_id[0], 1);
    ck_assert_mem_eq(s->m.client_id + 1, our_mac, 6);
    ck_assert(s->m.has & DHCP_HAS(DHCP_HAS_PARAM_REQUEST));
    ck_assert_ptr_nonnull(memchr(s->m.params, DHCP_OPT_SUBNET_MASK, s->m.param_count));
    ck_assert_ptr_nonnull(memchr(s->m.params, DHCP_OPT_ROUTER, s->m.param_count));
    ck_assert_ptr_nonnull(memchr(s->m.params, DHCP_OPT_DNS, s->m.param_count));
    ck_assert_uint_eq(s->m.max_msg_size, 1472);
    ck_assert(!(s->m.has & DHCP_HAS(DHCP_HAS_SERVER_ID)));
}
END_TEST

START_TEST(max_message_size_is_never_below_576)
{
    /* RFC 2132 9.10: option 57's minimum legal value is 576; a smaller configured size must not
     * produce a DISCOVER that servers (and our own parser) refuse. */
    struct dhcp_client_config cfg = { .max_msg_size = 300 };
    memcpy(cfg.mac, our_mac, 6);
    dhcp_client_init(&f.c, &cfg, &ops, NULL);
    dhcp_client_start(&f.c, f.now);
    ck_assert_uint_eq(last_sent()->m.max_msg_size, 576);
}
END_TEST

START_TEST(start_delay_desynchronizes_clients)
{
    /* RFC 2131 4.4.1: wait a random time before the first DISCOVER. */
    f.c.config.start_delay_max_ns = 5 * S;
    f.jitter_value = 3000 - 2001;        /* random() % 5001 == 3000 for the first draw */
    f.counter = 0;
    dhcp_client_start(&f.c, f.now);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_INIT);
    ck_assert_uint_eq(f.nsent, 0);
    ck_assert_uint_le(f.timer, START_NS + 5 * S);
    ck_assert_uint_gt(f.timer, START_NS);
    run_until(START_NS + 5 * S);
    ck_assert_uint_eq(f.nsent, 1);
    ck_assert_uint_eq(f.sent[0].m.type, DHCPDISCOVER);
}
END_TEST

START_TEST(discover_retransmits_with_exponential_backoff)
{
    /* RFC 2131 4.1: 4 s, then doubling up to 64 s. */
    dhcp_client_start(&f.c, f.now);
    run_until(START_NS + 400 * S);
    const uint64_t expected[] = { 4, 8, 16, 32, 64, 64, 64 };
    for (unsigned i = 0; i < 7; i++)
        ck_assert_uint_eq(f.sent[i + 1].at - f.sent[i].at, expected[i] * S);
    for (unsigned i = 0; i < f.nsent; i++) {
        ck_assert_uint_eq(f.sent[i].m.xid, f.sent[0].m.xid);   /* same exchange, same xid */
        ck_assert_uint_eq(f.sent[i].m.type, DHCPDISCOVER);
    }
    /* 'secs' counts seconds since acquisition began (table 5). */
    ck_assert_uint_eq(f.sent[3].m.secs, 4 + 8 + 16);
    ck_assert_uint_eq(f.c.stats.retransmits, f.nsent - 1);
}
END_TEST

START_TEST(backoff_is_randomized_by_one_second)
{
    /* RFC 2131 4.1: each delay randomized by a uniform number in -1..+1 s. */
    f.jitter_value = 0;        /* -1000 ms */
    dhcp_client_start(&f.c, f.now);
    run_until(START_NS + 12 * S);
    ck_assert_uint_eq(f.sent[1].at - f.sent[0].at, 3 * S);
    ck_assert_uint_eq(f.sent[2].at - f.sent[1].at, 7 * S);
    setup();
    f.jitter_value = 2000;     /* +1000 ms */
    dhcp_client_start(&f.c, f.now);
    run_until(START_NS + 15 * S);
    ck_assert_uint_eq(f.sent[1].at - f.sent[0].at, 5 * S);
    ck_assert_uint_eq(f.sent[2].at - f.sent[1].at, 9 * S);
}
END_TEST

START_TEST(offer_is_requested_from_its_server)
{
    /* RFC 2131 3.1 step 3 and 4.3.2 (SELECTING): REQUEST broadcast, same xid as the offer,
     * 'requested IP address' and 'server identifier' filled in, ciaddr zero. */
    dhcp_client_start(&f.c, f.now);
    uint32_t xid = f.c.xid;
    deliver_reply(DHCPOFFER, server_a);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_REQUESTING);
    struct sent *s = last_sent();
    ck_assert_uint_eq(s->m.type, DHCPREQUEST);
    ck_assert(s->dest.broadcast);
    ck_assert_uint_eq(s->m.xid, xid);
    ck_assert(s->m.has & DHCP_HAS(DHCP_HAS_REQUESTED_IP));
    ck_assert(s->m.has & DHCP_HAS(DHCP_HAS_SERVER_ID));
    ck_assert_mem_eq(s->m.requested_ip, offered, 4);
    ck_assert_mem_eq(s->m.server_id, server_a, 4);
    ck_assert_mem_eq(s->m.ciaddr, (uint8_t[4]){ 0 }, 4);
    /* A second offer is not taken once one is being requested. */
    deliver_reply(DHCPOFFER, server_b);
    ck_assert_uint_eq(f.c.stats.rx_unexpected, 1);
    ck_assert_mem_eq(last_sent()->m.server_id, server_a, 4);
}
END_TEST

START_TEST(replies_for_other_transactions_are_ignored)
{
    /* RFC 2131 4.4.1: the client matches replies by xid and chaddr. */
    dhcp_client_start(&f.c, f.now);
    struct dhcp_message m = reply(DHCPOFFER, server_a);
    m.xid ^= 1;
    deliver(&m);
    m = reply(DHCPOFFER, server_a);
    m.chaddr[5] ^= 1;
    deliver(&m);
    m = reply(DHCPOFFER, server_a);
    m.op = DHCP_OP_BOOTREQUEST;
    deliver(&m);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_SELECTING);
    ck_assert_uint_eq(f.c.stats.rx_wrong_xid, 1);
    ck_assert_uint_eq(f.c.stats.rx_wrong_chaddr, 1);
    ck_assert_uint_eq(f.c.stats.rx_not_reply, 1);
    ck_assert_uint_eq(f.nsent, 1);
}
END_TEST

START_TEST(unusable_offers_are_ignored)
{
    /* RFC 2131 table 3: an OFFER carries yiaddr and the server identifier; yiaddr must be an
     * address a host can own. */
    dhcp_client_start(&f.c, f.now);
    struct dhcp_message m = reply(DHCPOFFER, server_a);
    m.has &= ~DHCP_HAS(DHCP_HAS_SERVER_ID);
    deliver(&m);
    m = reply(DHCPOFFER, server_a);
    memcpy(m.yiaddr, (uint8_t[]){ 224, 0, 0, 1 }, 4);
    deliver(&m);
    m = reply(DHCPOFFER, server_a);
    memcpy(m.yiaddr, (uint8_t[]){ 0, 0, 0, 0 }, 4);
    deliver(&m);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_SELECTING);
    ck_assert_uint_eq(f.c.stats.rx_bad_offer, 3);
}
END_TEST

START_TEST(malformed_messages_are_counted_and_dropped)
{
    dhcp_client_start(&f.c, f.now);
    uint8_t junk[300] = { 2, 1, 6 };
    dhcp_client_input(&f.c, junk, sizeof(junk), f.now);
    dhcp_client_input(&f.c, junk, 10, f.now);
    ck_assert_uint_eq(f.c.stats.rx_malformed, 2);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_SELECTING);
}
END_TEST

START_TEST(ack_is_probed_then_bound_with_its_options)
{
    /* RFC 2131 2.2 / 4.4.1: the client SHOULD check the address (ARP) before using it; then
     * the lease's options are applied (RFC 2132 3.3 mask, 3.5 router, 3.8 DNS, 5.1 MTU). */
    request_offer();
    struct dhcp_message m = reply(DHCPACK, server_a);
    m.has |= DHCP_HAS(DHCP_HAS_MTU);
    m.mtu = 1400;
    deliver(&m);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_PROBING);
    ck_assert_uint_eq(f.probes, 1);
    ck_assert_mem_eq(f.probe_addr, offered, 4);
    ck_assert_uint_eq(f.applies, 0);
    dhcp_client_probe_done(&f.c, offered, false, f.now);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_BOUND);
    ck_assert_uint_eq(f.applies, 1);
    ck_assert_mem_eq(f.applied.address, offered, 4);
    ck_assert_uint_eq(f.applied.prefix_len, 24);
    ck_assert(f.applied.has_router);
    ck_assert_mem_eq(f.applied.router, server_a, 4);
    ck_assert_uint_eq(f.applied.dns_count, 1);
    ck_assert_mem_eq(f.applied.dns[0], server_b, 4);
    ck_assert_uint_eq(f.applied.mtu, 1400);
    ck_assert_uint_eq(f.applied.lease_s, 1000);
    ck_assert_uint_eq(f.c.stats.leases, 1);
}
END_TEST

START_TEST(lease_starts_when_the_request_was_sent)
{
    /* RFC 2131 4.4.1: expiration = time the request was sent + lease; T1 = 0.5 and T2 = 0.875
     * of the lease by default (4.4.5). */
    request_offer();
    uint64_t request_at = f.now;
    f.now += 3 * S;             /* the ACK comes late, after one probe... */
    deliver_reply(DHCPACK, server_a);
    f.now += 2 * S;
    dhcp_client_probe_done(&f.c, offered, false, f.now);
    ck_assert_uint_eq(f.applied.start_ns, request_at);
    ck_assert_uint_eq(f.applied.t1_s, 500);
    ck_assert_uint_eq(f.applied.t2_s, 875);
    ck_assert_uint_eq(f.timer, request_at + 500 * S);
}
END_TEST

START_TEST(ack_from_another_server_or_address_is_ignored)
{
    /* RFC 2131 3.1 step 4-5: only the selected server's ACK for the requested address binds. */
    request_offer();
    deliver_reply(DHCPACK, server_b);
    struct dhcp_message m = reply(DHCPACK, server_a);
    m.yiaddr[3] = 99;
    deliver(&m);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_REQUESTING);
    ck_assert_uint_eq(f.c.stats.rx_bad_ack, 2);
}
END_TEST

START_TEST(ack_without_lease_time_is_ignored)
{
    /* RFC 2131 table 3: the lease time MUST be in a DHCPACK answering a DHCPREQUEST. */
    request_offer();
    struct dhcp_message m = reply(DHCPACK, server_a);
    m.has &= ~DHCP_HAS(DHCP_HAS_LEASE_TIME);
    deliver(&m);
    m = reply(DHCPACK, server_a);
    memcpy(m.subnet_mask, (uint8_t[]){ 255, 0, 255, 0 }, 4);   /* not contiguous */
    deliver(&m);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_REQUESTING);
    ck_assert_uint_eq(f.c.stats.rx_bad_ack, 2);
}
END_TEST

START_TEST(missing_mask_falls_back_to_the_class)
{
    /* RFC 2131 leaves option 1 to the server; without it the classful mask is the fallback.
     * RFC 2132 3.5: the first on-link router of the list is used; unusable DNS are skipped. */
    request_offer();
    struct dhcp_message m = reply(DHCPACK, server_a);
    m.has &= ~DHCP_HAS(DHCP_HAS_SUBNET_MASK);
    m.router_count = 2;
    memcpy(m.routers[0], (uint8_t[]){ 192, 168, 0, 1 }, 4);
    memcpy(m.routers[1], (uint8_t[]){ 10, 9, 9, 9 }, 4);
    m.dns_count = 2;
    memcpy(m.dns[0], (uint8_t[]){ 0, 0, 0, 0 }, 4);
    memcpy(m.dns[1], (uint8_t[]){ 10, 77, 0, 3 }, 4);
    deliver(&m);
    dhcp_client_probe_done(&f.c, offered, false, f.now);
    ck_assert_uint_eq(f.applied.prefix_len, 8);
    ck_assert(f.applied.has_router);
    ck_assert_mem_eq(f.applied.router, ((uint8_t[]){ 10, 9, 9, 9 }), 4);
    ck_assert_uint_eq(f.applied.dns_count, 1);
    ck_assert_uint_eq(f.applied.dns[0][3], 3);
}
END_TEST

START_TEST(conflict_declines_and_waits_ten_seconds)
{
    /* RFC 2131 3.1 step 5 / 4.4.1: address in use -> DHCPDECLINE (requested IP and server id,
     * broadcast), then at least 10 s before restarting. */
    request_offer();
    deliver_reply(DHCPACK, server_a);
    dhcp_client_probe_done(&f.c, offered, true, f.now);
    struct sent *s = last_sent();
    ck_assert_uint_eq(s->m.type, DHCPDECLINE);
    ck_assert(s->dest.broadcast);
    ck_assert_mem_eq(s->m.requested_ip, offered, 4);
    ck_assert_mem_eq(s->m.server_id, server_a, 4);
    ck_assert_mem_eq(s->m.ciaddr, (uint8_t[4]){ 0 }, 4);
    ck_assert_uint_eq(f.applies, 0);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_INIT);
    unsigned before = f.nsent;
    run_until(START_NS + 10 * S - 1);
    ck_assert_uint_eq(f.nsent, before);
    run_until(START_NS + 10 * S);
    ck_assert_uint_eq(last_sent()->m.type, DHCPDISCOVER);
    ck_assert_uint_eq(f.c.stats.conflicts, 1);
}
END_TEST

START_TEST(probe_results_for_other_addresses_are_ignored)
{
    request_offer();
    deliver_reply(DHCPACK, server_a);
    dhcp_client_probe_done(&f.c, server_b, true, f.now);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_PROBING);
    /* A probe that never reports is bounded: no answer means the address is free. */
    run_until(f.now + DHCP_PROBE_TIMEOUT_S * S);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_BOUND);
}
END_TEST

START_TEST(nak_restarts_and_repeated_naks_back_off)
{
    /* RFC 2131 3.1 step 5: a DHCPNAK sends the client back to INIT; the restart is immediate
     * the first time, a streak backs off with the 4.1 schedule. */
    dhcp_client_start(&f.c, f.now);
    uint32_t first_xid = f.c.xid;
    deliver_reply(DHCPOFFER, server_a);
    deliver_reply(DHCPNAK, server_a);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_SELECTING);
    ck_assert_uint_eq(last_sent()->m.type, DHCPDISCOVER);
    ck_assert_uint_ne(last_sent()->m.xid, first_xid);
    deliver_reply(DHCPOFFER, server_a);
    deliver_reply(DHCPNAK, server_a);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_INIT);
    ck_assert_uint_eq(f.timer, f.now + 4 * S);
    ck_assert_uint_eq(f.c.stats.rx_nak, 2);
}
END_TEST

START_TEST(nak_from_another_server_is_ignored)
{
    /* RFC 2131 3.1: the NAK comes from the server that was asked (option 54 names it). */
    request_offer();
    deliver_reply(DHCPNAK, server_b);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_REQUESTING);
}
END_TEST

START_TEST(unanswered_request_restarts_discovery)
{
    /* RFC 2131 3.1 step 5 / 4.1: REQUEST retransmitted with backoff; neither ACK nor NAK ->
     * back to INIT and DISCOVER again. */
    request_offer();
    run_until(f.now + 4 * S + 8 * S + 16 * S + 32 * S + 64 * S - 1);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_REQUESTING);
    ck_assert_uint_eq(f.c.stats.tx_request, DHCP_REQUEST_MAX_TRIES);
    run_until(f.now + 1);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_SELECTING);
    ck_assert_uint_eq(last_sent()->m.type, DHCPDISCOVER);
    ck_assert_uint_eq(f.c.stats.restarts, 1);
}
END_TEST

/* ---- Renewal, rebinding, expiry ---- */

START_TEST(renewal_at_t1_is_unicast_to_the_server)
{
    /* RFC 2131 4.4.5 and 4.3.2 (RENEWING): at T1 unicast REQUEST, ciaddr = our address, no
     * 'requested IP' and no 'server identifier'; a new xid. The ACK extends the lease. */
    acquire();
    uint32_t old_xid = f.c.xid;
    unsigned before = f.nsent;
    run_until(START_NS + 500 * S);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_RENEWING);
    ck_assert_uint_eq(f.nsent, before + 1);
    struct sent *s = last_sent();
    ck_assert_uint_eq(s->m.type, DHCPREQUEST);
    ck_assert(!s->dest.broadcast);
    ck_assert_mem_eq(s->dest.server, server_a, 4);
    ck_assert_mem_eq(s->m.ciaddr, offered, 4);
    ck_assert(!(s->m.has & DHCP_HAS(DHCP_HAS_REQUESTED_IP)));
    ck_assert(!(s->m.has & DHCP_HAS(DHCP_HAS_SERVER_ID)));
    ck_assert_uint_eq(s->m.flags, 0);
    ck_assert_uint_ne(s->m.xid, old_xid);
    ck_assert_uint_eq(s->m.secs, 0);

    f.now += 1 * S;
    deliver_reply(DHCPACK, server_a);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_BOUND);
    ck_assert_uint_eq(f.c.stats.renewals, 1);
    ck_assert_uint_eq(f.applies, 1);          /* same configuration: not re-applied */
    ck_assert_uint_eq(f.timer, START_NS + 500 * S + 500 * S);
}
END_TEST

START_TEST(renewal_with_changed_options_is_applied)
{
    acquire();
    run_until(START_NS + 500 * S);
    struct dhcp_message m = reply(DHCPACK, server_a);
    m.dns_count = 2;
    memcpy(m.dns[1], (uint8_t[]){ 10, 77, 0, 4 }, 4);
    deliver(&m);
    ck_assert_uint_eq(f.applies, 2);
    ck_assert_uint_eq(f.applied.dns_count, 2);
}
END_TEST

START_TEST(renewing_retransmits_at_half_the_time_to_t2)
{
    /* RFC 2131 4.4.5: in RENEWING wait half the remaining time until T2, at least 60 s. */
    acquire();
    run_until(START_NS + 500 * S);
    /* T2 at 875 s: 375 s left -> next at +187.5 s. */
    ck_assert_uint_eq(f.timer, START_NS + 500 * S + 187 * S + S / 2);
    run_until(f.timer);
    ck_assert_uint_eq(f.c.stats.tx_request, 3);
    /* 187.5 s left -> +93.75 s; then 93.75 -> 60 s minimum (46.875 < 60). */
    uint64_t t = f.now;
    ck_assert_uint_eq(f.timer - t, 93 * S + 3 * S / 4);
    run_until(f.timer);
    ck_assert_uint_eq(f.timer - f.now, 60 * S);
    /* The retransmission never goes past T2. */
    run_until(f.timer);
    ck_assert_uint_eq(f.timer, START_NS + 875 * S);
}
END_TEST

START_TEST(rebinding_at_t2_broadcasts)
{
    /* RFC 2131 4.4.5: at T2 the REQUEST is broadcast (ciaddr set) and any server may ACK. */
    acquire();
    run_until(START_NS + 875 * S);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_REBINDING);
    struct sent *s = last_sent();
    ck_assert(s->dest.broadcast);
    ck_assert_mem_eq(s->m.ciaddr, offered, 4);
    ck_assert(!(s->m.has & DHCP_HAS(DHCP_HAS_SERVER_ID)));
    /* REBINDING retransmits at half the remaining lease (125 s left -> 62.5 s). */
    ck_assert_uint_eq(f.timer - f.now, 62 * S + S / 2);
    deliver_reply(DHCPACK, server_b);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_BOUND);
    ck_assert_uint_eq(f.c.stats.rebinds, 1);
    ck_assert_mem_eq(f.c.lease.server_id, server_b, 4);
}
END_TEST

START_TEST(expiry_drops_the_address_and_restarts)
{
    /* RFC 2131 4.4.5: at expiry the client stops using the address and returns to INIT. */
    acquire();
    run_until(START_NS + 1000 * S - 1);
    ck_assert_uint_eq(f.drops, 0);
    run_until(START_NS + 1000 * S);
    ck_assert_uint_eq(f.drops, 1);
    ck_assert(!f.have_applied);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_SELECTING);
    ck_assert_uint_eq(last_sent()->m.type, DHCPDISCOVER);
    ck_assert_uint_eq(f.c.stats.expiries, 1);
}
END_TEST

START_TEST(nak_while_renewing_drops_the_address)
{
    /* RFC 2131 4.4.5 / 3.2: a DHCPNAK to a renewal means the address must not be used. A NAK
     * from a server other than the leasing one is ignored in RENEWING. */
    acquire();
    run_until(START_NS + 500 * S);
    deliver_reply(DHCPNAK, server_b);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_RENEWING);
    deliver_reply(DHCPNAK, server_a);
    ck_assert_uint_eq(f.drops, 1);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_SELECTING);
}
END_TEST

START_TEST(server_t1_t2_used_when_ordered)
{
    /* RFC 2132 9.11/9.12 give T1/T2; RFC 2131 4.4.5 requires T1 < T2 < lease, else defaults. */
    request_offer();
    struct dhcp_message m = reply(DHCPACK, server_a);
    m.has |= DHCP_HAS(DHCP_HAS_T1) | DHCP_HAS(DHCP_HAS_T2);
    m.t1 = 100;
    m.t2 = 200;
    deliver(&m);
    dhcp_client_probe_done(&f.c, offered, false, f.now);
    ck_assert_uint_eq(f.applied.t1_s, 100);
    ck_assert_uint_eq(f.applied.t2_s, 200);

    setup();
    request_offer();
    m = reply(DHCPACK, server_a);
    m.has |= DHCP_HAS(DHCP_HAS_T1) | DHCP_HAS(DHCP_HAS_T2);
    m.t1 = 900;       /* after T2 */
    m.t2 = 2000;      /* after the lease */
    deliver(&m);
    dhcp_client_probe_done(&f.c, offered, false, f.now);
    ck_assert_uint_eq(f.applied.t1_s, 500);
    ck_assert_uint_eq(f.applied.t2_s, 875);
}
END_TEST

START_TEST(infinite_lease_never_renews)
{
    /* RFC 2131 3.3: 0xffffffff is an infinite lease. */
    request_offer();
    struct dhcp_message m = reply(DHCPACK, server_a);
    m.lease_time = DHCP_LEASE_INFINITE;
    deliver(&m);
    dhcp_client_probe_done(&f.c, offered, false, f.now);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_BOUND);
    ck_assert_uint_eq(f.timer, UINT64_MAX);
}
END_TEST

START_TEST(short_leases_are_refused)
{
    /* A lease shorter than 10 s would renew continuously: treated as an unusable ACK. */
    request_offer();
    struct dhcp_message m = reply(DHCPACK, server_a);
    m.lease_time = 9;
    deliver(&m);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_REQUESTING);
    ck_assert_uint_eq(f.c.stats.rx_bad_ack, 1);
}
END_TEST

START_TEST(bound_client_ignores_stray_replies)
{
    acquire();
    deliver_reply(DHCPACK, server_a);
    deliver_reply(DHCPNAK, server_a);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_BOUND);
    ck_assert_uint_eq(f.c.stats.rx_unexpected, 2);
    ck_assert_uint_eq(f.drops, 0);
}
END_TEST

START_TEST(early_timeouts_are_ignored)
{
    acquire();
    unsigned before = f.nsent;
    dhcp_client_timeout(&f.c, f.now + 1);
    ck_assert_uint_eq(f.nsent, before);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_BOUND);
}
END_TEST

START_TEST(stop_releases_the_lease)
{
    /* RFC 2131 4.4.6 and table 5: DHCPRELEASE unicast to the server, ciaddr set, server id. */
    acquire();
    dhcp_client_stop(&f.c, true, f.now);
    struct sent *s = last_sent();
    ck_assert_uint_eq(s->m.type, DHCPRELEASE);
    ck_assert(!s->dest.broadcast);
    ck_assert_mem_eq(s->dest.server, server_a, 4);
    ck_assert_mem_eq(s->m.ciaddr, offered, 4);
    ck_assert_mem_eq(s->m.server_id, server_a, 4);
    ck_assert(!(s->m.has & DHCP_HAS(DHCP_HAS_REQUESTED_IP)));
    ck_assert_uint_eq(f.drops, 1);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_STOPPED);
    ck_assert_uint_eq(f.timer, UINT64_MAX);
    deliver_reply(DHCPACK, server_a);
    ck_assert_int_eq(dhcp_client_state(&f.c), DHCP_STOPPED);
}
END_TEST

START_TEST(stats_print_every_counter)
{
    acquire();
    char out[4096];
    int n = dhcp_client_format_stats(&f.c, out, sizeof(out));
    ck_assert_int_gt(n, 0);
    ck_assert_int_lt(n, (int)sizeof(out));
    ck_assert_ptr_nonnull(strstr(out, "dhcp.leases 1\n"));
    ck_assert_ptr_nonnull(strstr(out, "dhcp.rx_offer 1\n"));
    ck_assert_ptr_nonnull(strstr(out, "dhcp.restarts 0\n"));
    char small[16];
    ck_assert_int_eq(dhcp_client_format_stats(&f.c, small, sizeof(small)), n);
    ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

START_TEST(mask_to_prefix_requires_contiguous_masks)
{
    /* RFC 950 section 2.1 (as RFC 1122 3.3.1.1-era practice): masks are contiguous ones. */
    ck_assert_int_eq(dhcp_mask_to_prefix((const uint8_t[]){ 255, 255, 255, 0 }), 24);
    ck_assert_int_eq(dhcp_mask_to_prefix((const uint8_t[]){ 255, 255, 255, 255 }), 32);
    ck_assert_int_eq(dhcp_mask_to_prefix((const uint8_t[]){ 0, 0, 0, 0 }), 0);
    ck_assert_int_eq(dhcp_mask_to_prefix((const uint8_t[]){ 255, 255, 254, 0 }), 23);
    ck_assert_int_eq(dhcp_mask_to_prefix((const uint8_t[]){ 255, 0, 255, 0 }), -1);
    ck_assert_int_eq(dhcp_mask_to_prefix((const uint8_t[]){ 0, 0, 0, 255 }), -1);
    ck_assert_uint_eq(dhcp_classful_prefix((const uint8_t[]){ 10, 1, 2, 3 }), 8);
    ck_assert_uint_eq(dhcp_classful_prefix((const uint8_t[]){ 172, 16, 0, 1 }), 16);
    ck_assert_uint_eq(dhcp_classful_prefix((const uint8_t[]){ 192, 168, 1, 1 }), 24);
}
END_TEST

static Suite *dhcp_client_suite(void)
{
    Suite *s = suite_create("net_dhcp_client");
    TCase *tc = tcase_create("acquire");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, discover_is_broadcast_with_our_identity);
    tcase_add_test(tc, max_message_size_is_never_below_576);
    tcase_add_test(tc, start_delay_desynchronizes_clients);
    tcase_add_test(tc, discover_retransmits_with_exponential_backoff);
    tcase_add_test(tc, backoff_is_randomized_by_one_second);
    tcase_add_test(tc, offer_is_requested_from_its_server);
    tcase_add_test(tc, replies_for_other_transactions_are_ignored);
    tcase_add_test(tc, unusable_offers_are_ignored);
    tcase_add_test(tc, malformed_messages_are_counted_and_dropped);
    tcase_add_test(tc, ack_is_probed_then_bound_with_its_options);
    tcase_add_test(tc, lease_starts_when_the_request_was_sent);
    tcase_add_test(tc, ack_from_another_server_or_address_is_ignored);
    tcase_add_test(tc, ack_without_lease_time_is_ignored);
    tcase_add_test(tc, missing_mask_falls_back_to_the_class);
    tcase_add_test(tc, conflict_declines_and_waits_ten_seconds);
    tcase_add_test(tc, probe_results_for_other_addresses_are_ignored);
    tcase_add_test(tc, nak_restarts_and_repeated_naks_back_off);
    tcase_add_test(tc, nak_from_another_server_is_ignored);
    tcase_add_test(tc, unanswered_request_restarts_discovery);
    suite_add_tcase(s, tc);

    tc = tcase_create("lease");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, renewal_at_t1_is_unicast_to_the_server);
    tcase_add_test(tc, renewal_with_changed_options_is_applied);
    tcase_add_test(tc, renewing_retransmits_at_half_the_time_to_t2);
    tcase_add_test(tc, rebinding_at_t2_broadcasts);
    tcase_add_test(tc, expiry_drops_the_address_and_restarts);
    tcase_add_test(tc, nak_while_renewing_drops_the_address);
    tcase_add_test(tc, server_t1_t2_used_when_ordered);
    tcase_add_test(tc, infinite_lease_never_renews);
    tcase_add_test(tc, short_leases_are_refused);
    tcase_add_test(tc, bound_client_ignores_stray_replies);
    tcase_add_test(tc, early_timeouts_are_ignored);
    tcase_add_test(tc, stop_releases_the_lease);
    tcase_add_test(tc, stats_print_every_counter);
    tcase_add_test(tc, mask_to_prefix_requires_contiguous_masks);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dhcp_client_suite)
