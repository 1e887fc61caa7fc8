/*
 * net/dhcp_client: the DHCP client state machine (see dhcp_client.h for the interface).
 * Section numbers below are RFC 2131's unless said otherwise.
 */
#include "net/dhcp/dhcp_client.h"
#include "lib/counters.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/printf.h"
#include "lib/string.h"

#define SEC DHCP_NS_PER_SEC
/* A lease shorter than this is refused: it would have the client renewing continuously. */
#define DHCP_MIN_LEASE_S 10

static const uint8_t param_request_list[] = {
    DHCP_OPT_SUBNET_MASK, DHCP_OPT_ROUTER, DHCP_OPT_DNS, DHCP_OPT_MTU,
    DHCP_OPT_LEASE_TIME, DHCP_OPT_RENEWAL_T1, DHCP_OPT_REBINDING_T2,
};

const char *dhcp_state_name(enum dhcp_state state)
{
    switch (state) {
    case DHCP_STOPPED: return "STOPPED";
    case DHCP_INIT: return "INIT";
    case DHCP_SELECTING: return "SELECTING";
    case DHCP_REQUESTING: return "REQUESTING";
    case DHCP_PROBING: return "PROBING";
    case DHCP_BOUND: return "BOUND";
    case DHCP_RENEWING: return "RENEWING";
    case DHCP_REBINDING: return "REBINDING";
    }
    return "?";
}

/* ---- Small helpers ---- */

static uint32_t random_below(struct dhcp_client *c, uint32_t bound)
{
    /* Rejection sampling: no modulo bias. */
    uint32_t limit = UINT32_MAX - UINT32_MAX % bound;
    uint32_t r;
    do {
        r = c->ops->random(c->ctx);
    } while (r >= limit);
    return r % bound;
}

/* Uniform in [-1 s, +1 s] with millisecond steps (section 4.1). */
static int64_t jitter_ns(struct dhcp_client *c)
{
    return ((int64_t)random_below(c, 2001) - 1000) * 1000000;
}

static void set_deadline(struct dhcp_client *c, uint64_t deadline_ns)
{
    c->deadline_ns = deadline_ns;
    c->ops->set_timer(c->ctx, deadline_ns);
}

static void set_state(struct dhcp_client *c, enum dhcp_state state)
{
    if (c->state != state)
        log_debug("dhcp", "%s -> %s", dhcp_state_name(c->state), dhcp_state_name(state));
    c->state = state;
}

int dhcp_mask_to_prefix(const uint8_t mask[4])
{
    uint32_t m = ((uint32_t)mask[0] << 24) | ((uint32_t)mask[1] << 16) |
                 ((uint32_t)mask[2] << 8) | mask[3];
    uint32_t inverted = ~m;
    /* Contiguous: the host part is 2^k - 1. */
    if ((inverted & (inverted + 1)) != 0)
        return -1;
    return m == 0 ? 0 : 32 - __builtin_ctz(m);
}

uint8_t dhcp_classful_prefix(const uint8_t address[4])
{
    if (address[0] < 128)
        return 8;
    if (address[0] < 192)
        return 16;
    return 24;
}

/* An address a host may own: not 0/8, loopback, multicast, class E or broadcast. */
static bool usable_unicast(const uint8_t a[4])
{
    return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

static bool same_subnet(const uint8_t a[4], const uint8_t b[4], uint8_t prefix)
{
    uint32_t x = ((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) | ((uint32_t)a[2] << 8) | a[3];
    uint32_t y = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
    uint32_t mask = prefix == 0 ? 0 : ~0u << (32 - prefix);
    return (x & mask) == (y & mask);
}

static uint64_t lease_time_at(const struct dhcp_lease *l, uint32_t seconds)
{
    if (l->lease_s == DHCP_LEASE_INFINITE)
        return UINT64_MAX;
    return l->start_ns + (uint64_t)seconds * SEC;
}

/* ---- Sending ---- */

static void prepare(struct dhcp_client *c, uint8_t type, uint64_t now_ns, struct dhcp_message *m)
{
    memset(m, 0, sizeof(*m));
    m->op = DHCP_OP_BOOTREQUEST;
    m->htype = DHCP_HTYPE_ETHERNET;
    m->hlen = 6;
    m->xid = c->xid;
    memcpy(m->chaddr, c->config.mac, 6);
    m->type = type;
    m->has = DHCP_HAS(DHCP_HAS_MSG_TYPE) | DHCP_HAS(DHCP_HAS_CLIENT_ID);
    /* RFC 2132 9.14: type 1 (Ethernet) followed by the hardware address. */
    m->client_id[0] = DHCP_HTYPE_ETHERNET;
    memcpy(m->client_id + 1, c->config.mac, 6);
    m->client_id_len = 7;
    if (type == DHCPDISCOVER || type == DHCPREQUEST) {
        /* Table 5: seconds since the client began acquisition or renewal. */
        uint64_t secs = (now_ns - c->exchange_start_ns) / SEC;
        m->secs = secs > 0xffff ? 0xffff : (uint16_t)secs;
        m->has |= DHCP_HAS(DHCP_HAS_PARAM_REQUEST) | DHCP_HAS(DHCP_HAS_MAX_MSG_SIZE);
        memcpy(m->params, param_request_list, sizeof(param_request_list));
        m->param_count = sizeof(param_request_list);
        m->max_msg_size = c->config.max_msg_size;
    }
}

static void transmit(struct dhcp_client *c, const struct dhcp_message *m,
                     const struct dhcp_dest *dest)
{
    uint8_t buf[DHCP_MIN_SEND_LEN + 64];
    int len = dhcp_msg_build(m, buf, sizeof(buf));
    if (len < 0) {
        c->stats.tx_build_errors++;
        return;
    }
    switch (m->type) {
    case DHCPDISCOVER: c->stats.tx_discover++; break;
    case DHCPREQUEST: c->stats.tx_request++; break;
    case DHCPDECLINE: c->stats.tx_decline++; break;
    case DHCPRELEASE: c->stats.tx_release++; break;
    default: break;
    }
    c->ops->send(c->ctx, buf, (size_t)len, dest);
}

static const struct dhcp_dest broadcast_dest = { .broadcast = true };

/* Section 4.1: 4 s, 8 s, ... 64 s, each -1..+1 s. */
static uint64_t next_retransmission(struct dhcp_client *c, uint64_t now_ns)
{
    uint64_t base = c->retrans_delay_ns;
    c->retrans_delay_ns = base * 2 > DHCP_RETRANS_MAX_S * SEC ? DHCP_RETRANS_MAX_S * SEC : base * 2;
    return now_ns + (uint64_t)((int64_t)base + jitter_ns(c));
}

static void begin_exchange(struct dhcp_client *c, uint64_t now_ns)
{
    c->tries = 0;
    c->retrans_delay_ns = DHCP_RETRANS_FIRST_S * SEC;
    c->exchange_start_ns = now_ns;
}

static void send_discover(struct dhcp_client *c, uint64_t now_ns)
{
    struct dhcp_message m;
    prepare(c, DHCPDISCOVER, now_ns, &m);
    /* Section 4.1: a client that cannot receive unicast before it is configured sets
     * the BROADCAST bit. */
    m.flags = DHCP_FLAG_BROADCAST;
    if (c->tries++ > 0)
        c->stats.retransmits++;
    transmit(c, &m, &broadcast_dest);
    set_deadline(c, next_retransmission(c, now_ns));
}

static void start_discovery(struct dhcp_client *c, uint64_t now_ns)
{
    c->xid = c->ops->random(c->ctx);
    begin_exchange(c, now_ns);
    set_state(c, DHCP_SELECTING);
    send_discover(c, now_ns);
}

/* The REQUEST of the current state (section 4.3.2 and table 5 say what each carries). */
static void send_request(struct dhcp_client *c, uint64_t now_ns)
{
    struct dhcp_message m;
    prepare(c, DHCPREQUEST, now_ns, &m);
    if (c->tries++ == 0)
        c->request_first_ns = now_ns;
    else
        c->stats.retransmits++;

    if (c->state == DHCP_REQUESTING) {
        /* SELECTING-state REQUEST: ciaddr 0, 'requested IP' and 'server identifier' MUST. */
        m.flags = DHCP_FLAG_BROADCAST;
        m.has |= DHCP_HAS(DHCP_HAS_REQUESTED_IP) | DHCP_HAS(DHCP_HAS_SERVER_ID);
        memcpy(m.requested_ip, c->offer.address, 4);
        memcpy(m.server_id, c->offer.server_id, 4);
        transmit(c, &m, &broadcast_dest);
        set_deadline(c, next_retransmission(c, now_ns));
        return;
    }

    /* RENEWING / REBINDING: ciaddr MUST be filled in; the two options MUST NOT be. */
    memcpy(m.ciaddr, c->lease.address, 4);
    uint64_t limit, wait;
    if (c->state == DHCP_RENEWING) {
        struct dhcp_dest to_server = { .broadcast = false };
        memcpy(to_server.server, c->lease.server_id, 4);
        transmit(c, &m, &to_server);
        limit = lease_time_at(&c->lease, c->lease.t2_s);
    } else {
        transmit(c, &m, &broadcast_dest);
        limit = lease_time_at(&c->lease, c->lease.lease_s);
    }
    /* Section 4.4.5: half the remaining time, at least 60 s, but never past T2/expiry. */
    wait = limit > now_ns ? (limit - now_ns) / 2 : 0;
    if (wait < DHCP_RENEW_RETRANS_MIN_S * SEC)
        wait = DHCP_RENEW_RETRANS_MIN_S * SEC;
    set_deadline(c, now_ns + wait < limit ? now_ns + wait : limit);
}

static void send_decline(struct dhcp_client *c, uint64_t now_ns)
{
    struct dhcp_message m;
    prepare(c, DHCPDECLINE, now_ns, &m);
    m.has |= DHCP_HAS(DHCP_HAS_REQUESTED_IP) | DHCP_HAS(DHCP_HAS_SERVER_ID);
    memcpy(m.requested_ip, c->offer.address, 4);
    memcpy(m.server_id, c->offer.server_id, 4);
    transmit(c, &m, &broadcast_dest);
}

/* ---- State changes ---- */

/* INIT: wait `delay_ns`, then DISCOVER. */
static void enter_init(struct dhcp_client *c, uint64_t now_ns, uint64_t delay_ns)
{
    memset(&c->offer, 0, sizeof(c->offer));
    set_state(c, DHCP_INIT);
    if (delay_ns == 0)
        start_discovery(c, now_ns);
    else
        set_deadline(c, now_ns + delay_ns);
}

static void drop_lease(struct dhcp_client *c)
{
    if (c->have_lease) {
        c->have_lease = false;
        c->ops->apply(c->ctx, NULL);
    }
}

/* After a NAK: the first restart is immediate, a streak of NAKs backs off (section 4.1
 * schedule) so a misconfigured server cannot make the client loop at network speed. */
static void restart_after_nak(struct dhcp_client *c, uint64_t now_ns)
{
    c->stats.restarts++;
    uint64_t delay = 0;
    if (c->nak_streak > 1) {
        unsigned shift = c->nak_streak - 2 < 4 ? c->nak_streak - 2 : 4;
        delay = (uint64_t)((int64_t)((DHCP_RETRANS_FIRST_S * SEC) << shift) + jitter_ns(c));
    }
    enter_init(c, now_ns, delay);
}

static bool same_configuration(const struct dhcp_lease *a, const struct dhcp_lease *b)
{
    return memcmp(a->address, b->address, 4) == 0 && a->prefix_len == b->prefix_len &&
           a->has_router == b->has_router && memcmp(a->router, b->router, 4) == 0 &&
           a->dns_count == b->dns_count &&
           memcmp(a->dns, b->dns, sizeof(a->dns[0]) * a->dns_count) == 0 && a->mtu == b->mtu;
}

static void bind_lease(struct dhcp_client *c, const struct dhcp_lease *lease, uint64_t now_ns)
{
    bool changed = !c->have_lease || !same_configuration(&c->lease, lease);
    c->lease = *lease;
    c->have_lease = true;
    c->nak_streak = 0;
    set_state(c, DHCP_BOUND);
    if (changed) {
        c->stats.leases++;
        c->ops->apply(c->ctx, &c->lease);
    }
    set_deadline(c, lease_time_at(&c->lease, c->lease.t1_s));
}

static void expire_lease(struct dhcp_client *c, uint64_t now_ns)
{
    /* Section 4.4.5: at expiry the client stops using the address and starts over. */
    log_warn("dhcp", "lease of %pI4 expired", c->lease.address);
    c->stats.expiries++;
    drop_lease(c);
    enter_init(c, now_ns, 0);
}

static void enter_renewing(struct dhcp_client *c, enum dhcp_state state, uint64_t now_ns)
{
    if (state == DHCP_RENEWING || c->state == DHCP_BOUND) {
        /* A new renewal process: new xid, 'secs' counts from here. */
        c->xid = c->ops->random(c->ctx);
        begin_exchange(c, now_ns);
    } else {
        c->tries = 1;   /* REBINDING continues the process RENEWING began */
    }
    set_state(c, state);
    send_request(c, now_ns);
}

/* ---- Lifecycle ---- */

void dhcp_client_init(struct dhcp_client *c, const struct dhcp_client_config *config,
                      const struct dhcp_client_ops *ops, void *ctx)
{
    memset(c, 0, sizeof(*c));
    c->config = *config;
    /* RFC 2132 9.10: 576 is the smallest value the option may carry. */
    if (c->config.max_msg_size < DHCP_MIN_MAX_MSG_SIZE)
        c->config.max_msg_size = DHCP_MIN_MAX_MSG_SIZE;
    c->ops = ops;
    c->ctx = ctx;
    c->state = DHCP_STOPPED;
    c->deadline_ns = UINT64_MAX;
}

void dhcp_client_start(struct dhcp_client *c, uint64_t now_ns)
{
    c->nak_streak = 0;
    uint64_t delay = 0;
    if (c->config.start_delay_max_ns > 0) {
        uint64_t max_ms = c->config.start_delay_max_ns / 1000000;
        if (max_ms > UINT32_MAX - 1)
            max_ms = UINT32_MAX - 1;
        delay = (uint64_t)random_below(c, (uint32_t)max_ms + 1) * 1000000;
    }
    enter_init(c, now_ns, delay);
}

void dhcp_client_stop(struct dhcp_client *c, bool release, uint64_t now_ns)
{
    if (release && c->have_lease) {
        /* Section 4.4.6 and table 5: ciaddr set, 'server identifier' MUST, unicast. */
        struct dhcp_message m;
        c->xid = c->ops->random(c->ctx);
        prepare(c, DHCPRELEASE, now_ns, &m);
        memcpy(m.ciaddr, c->lease.address, 4);
        m.has |= DHCP_HAS(DHCP_HAS_SERVER_ID);
        memcpy(m.server_id, c->lease.server_id, 4);
        struct dhcp_dest to_server = { .broadcast = false };
        memcpy(to_server.server, c->lease.server_id, 4);
        transmit(c, &m, &to_server);
    }
    drop_lease(c);
    set_state(c, DHCP_STOPPED);
    set_deadline(c, UINT64_MAX);
}

void dhcp_client_timeout(struct dhcp_client *c, uint64_t now_ns)
{
    if (now_ns < c->deadline_ns)
        return;
    switch (c->state) {
    case DHCP_STOPPED:
        break;
    case DHCP_INIT:
        start_discovery(c, now_ns);
        break;
    case DHCP_SELECTING:
        send_discover(c, now_ns);
        break;
    case DHCP_REQUESTING:
        if (c->tries >= DHCP_REQUEST_MAX_TRIES) {
            /* Section 3.1 step 5: neither ACK nor NAK: back to INIT. */
            log_info("dhcp", "no answer to DHCPREQUEST for %pI4, restarting", c->offer.address);
            c->stats.restarts++;
            enter_init(c, now_ns, 0);
        } else {
            send_request(c, now_ns);
        }
        break;
    case DHCP_PROBING:
        /* The probe machinery never answered: no reply means nobody has the address. */
        dhcp_client_probe_done(c, c->offer.address, false, now_ns);
        break;
    case DHCP_BOUND:
    case DHCP_RENEWING:
    case DHCP_REBINDING:
        if (now_ns >= lease_time_at(&c->lease, c->lease.lease_s))
            expire_lease(c, now_ns);
        else if (now_ns >= lease_time_at(&c->lease, c->lease.t2_s) && c->state != DHCP_REBINDING)
            enter_renewing(c, DHCP_REBINDING, now_ns);
        else if (now_ns >= lease_time_at(&c->lease, c->lease.t2_s))
            send_request(c, now_ns);
        else if (c->state == DHCP_BOUND)
            enter_renewing(c, DHCP_RENEWING, now_ns);
        else
            send_request(c, now_ns);
        break;
    }
}

void dhcp_client_probe_done(struct dhcp_client *c, const uint8_t address[4], bool conflict,
                            uint64_t now_ns)
{
    if (c->state != DHCP_PROBING || memcmp(address, c->offer.address, 4) != 0)
        return;
    if (conflict) {
        /* Section 3.1 step 5 / 4.4.1: DHCPDECLINE, then wait at least 10 s before INIT. */
        log_warn("dhcp", "%pI4 is already in use: declining it", c->offer.address);
        c->stats.conflicts++;
        send_decline(c, now_ns);
        enter_init(c, now_ns, DHCP_DECLINE_PAUSE_S * SEC);
        return;
    }
    struct dhcp_lease lease = c->offer;
    bind_lease(c, &lease, now_ns);
}

/* ---- Receiving ---- */

/* The lease an ACK describes (section 4.4.5 defaults for T1/T2, RFC 2132 for the options).
 * False when the ACK is unusable. */
static bool lease_from_ack(struct dhcp_client *c, const struct dhcp_message *m,
                           uint64_t start_ns, struct dhcp_lease *l)
{
    memset(l, 0, sizeof(*l));
    if (!usable_unicast(m->yiaddr) || !(m->has & DHCP_HAS(DHCP_HAS_LEASE_TIME)))
        return false;   /* Table 3: the lease time MUST be in a DHCPACK to a DHCPREQUEST */
    if (m->lease_time < DHCP_MIN_LEASE_S)
        return false;
    memcpy(l->address, m->yiaddr, 4);
    l->start_ns = start_ns;

    if (m->has & DHCP_HAS(DHCP_HAS_SUBNET_MASK)) {
        int prefix = dhcp_mask_to_prefix(m->subnet_mask);
        if (prefix < 1)
            return false;
        l->prefix_len = (uint8_t)prefix;
    } else {
        l->prefix_len = dhcp_classful_prefix(m->yiaddr);
    }
    /* RFC 2132 3.5: routers in order of preference; use the first one on our subnet. */
    for (unsigned i = 0; i < m->router_count; i++) {
        if (usable_unicast(m->routers[i]) && memcmp(m->routers[i], l->address, 4) != 0 &&
            same_subnet(m->routers[i], l->address, l->prefix_len)) {
            l->has_router = true;
            memcpy(l->router, m->routers[i], 4);
            break;
        }
    }
    for (unsigned i = 0; i < m->dns_count; i++)
        if (usable_unicast(m->dns[i]))
            memcpy(l->dns[l->dns_count++], m->dns[i], 4);
    if (m->has & DHCP_HAS(DHCP_HAS_MTU))
        l->mtu = m->mtu;
    if (m->has & DHCP_HAS(DHCP_HAS_SERVER_ID))
        memcpy(l->server_id, m->server_id, 4);
    else
        memcpy(l->server_id, c->offer.server_id, 4);

    /* Section 4.4.5: T1 defaults to 0.5 and T2 to 0.875 of the lease; values that are not
     * ordered T1 <= T2 < lease are replaced by the defaults. */
    l->lease_s = m->lease_time;
    uint32_t lease = m->lease_time;
    if (lease == DHCP_LEASE_INFINITE) {
        l->t1_s = l->t2_s = DHCP_LEASE_INFINITE;
        return true;
    }
    uint32_t t2 = (uint32_t)((uint64_t)lease * 7 / 8);
    if ((m->has & DHCP_HAS(DHCP_HAS_T2)) && m->t2 < lease)
        t2 = m->t2;
    uint32_t t1 = lease / 2;
    if ((m->has & DHCP_HAS(DHCP_HAS_T1)) && m->t1 <= t2)
        t1 = m->t1;
    l->t1_s = t1 <= t2 ? t1 : t2;
    l->t2_s = t2;
    return true;
}

static void handle_offer(struct dhcp_client *c, const struct dhcp_message *m, uint64_t now_ns)
{
    if (c->state != DHCP_SELECTING) {
        c->stats.rx_unexpected++;
        return;
    }
    /* Table 3: an OFFER carries yiaddr and the server identifier. */
    if (!usable_unicast(m->yiaddr) || !(m->has & DHCP_HAS(DHCP_HAS_SERVER_ID)) ||
        !usable_unicast(m->server_id)) {
        c->stats.rx_bad_offer++;
        return;
    }
    c->stats.rx_offer++;
    memset(&c->offer, 0, sizeof(c->offer));
    memcpy(c->offer.address, m->yiaddr, 4);
    memcpy(c->offer.server_id, m->server_id, 4);
    log_info("dhcp", "offer of %pI4 from %pI4", m->yiaddr, m->server_id);
    /* Section 3.1 step 3: REQUEST the first acceptable offer, same xid, 'secs' counting on. */
    set_state(c, DHCP_REQUESTING);
    c->tries = 0;
    c->retrans_delay_ns = DHCP_RETRANS_FIRST_S * SEC;
    send_request(c, now_ns);
}

static void handle_ack(struct dhcp_client *c, const struct dhcp_message *m, uint64_t now_ns)
{
    struct dhcp_lease lease;
    switch (c->state) {
    case DHCP_REQUESTING:
        /* Only the selected server's ACK for the requested address (section 3.1 step 4/5). */
        if (!(m->has & DHCP_HAS(DHCP_HAS_SERVER_ID)) ||
            memcmp(m->server_id, c->offer.server_id, 4) != 0 ||
            memcmp(m->yiaddr, c->offer.address, 4) != 0 ||
            !lease_from_ack(c, m, c->request_first_ns, &lease)) {
            c->stats.rx_bad_ack++;
            return;
        }
        c->stats.rx_ack++;
        c->offer = lease;
        if (!c->ops->probe) {
            bind_lease(c, &lease, now_ns);
            return;
        }
        /* Section 2.2 / 4.4.1: check the address is not in use before using it. */
        set_state(c, DHCP_PROBING);
        set_deadline(c, now_ns + DHCP_PROBE_TIMEOUT_S * SEC);
        c->ops->probe(c->ctx, lease.address);
        return;
    case DHCP_RENEWING:
    case DHCP_REBINDING:
        /* The ACK extends the lease on ciaddr; an answer about another address is not ours. */
        if (memcmp(m->yiaddr, c->lease.address, 4) != 0 ||
            !lease_from_ack(c, m, c->request_first_ns, &lease)) {
            c->stats.rx_bad_ack++;
            return;
        }
        c->stats.rx_ack++;
        if (c->state == DHCP_RENEWING)
            c->stats.renewals++;
        else
            c->stats.rebinds++;
        log_info("dhcp", "lease of %pI4 extended by %pI4 for %u s", lease.address,
                 lease.server_id, (unsigned)lease.lease_s);
        bind_lease(c, &lease, now_ns);
        return;
    default:
        c->stats.rx_unexpected++;
        return;
    }
}

static void handle_nak(struct dhcp_client *c, const struct dhcp_message *m, uint64_t now_ns)
{
    const uint8_t *expected_server;
    switch (c->state) {
    case DHCP_REQUESTING: expected_server = c->offer.server_id; break;
    case DHCP_RENEWING: expected_server = c->lease.server_id; break;
    case DHCP_REBINDING: expected_server = NULL; break;   /* any server may answer */
    default:
        c->stats.rx_unexpected++;
        return;
    }
    /* A NAK names its server (table 3); one from a server we did not ask is ignored, so a
     * second server on the link cannot cancel another server's lease. */
    if (expected_server && (!(m->has & DHCP_HAS(DHCP_HAS_SERVER_ID)) ||
                            memcmp(m->server_id, expected_server, 4) != 0)) {
        c->stats.rx_unexpected++;
        return;
    }
    c->stats.rx_nak++;
    c->nak_streak++;
    log_warn("dhcp", "DHCPNAK in %s%s%s", dhcp_state_name(c->state),
             m->message_len ? ": " : "", m->message);
    /* Section 3.1 step 5 and 4.4.5: a NAK means the address must not be used: restart. */
    drop_lease(c);
    restart_after_nak(c, now_ns);
}

void dhcp_client_input(struct dhcp_client *c, const uint8_t *buf, size_t len, uint64_t now_ns)
{
    c->stats.rx_total++;
    if (c->state == DHCP_STOPPED) {
        c->stats.rx_unexpected++;
        return;
    }
    struct dhcp_message m;
    enum dhcp_parse_error err = dhcp_msg_parse(buf, len, &m);
    if (err != DHCP_PARSE_OK) {
        c->stats.rx_malformed++;
        log_debug("dhcp", "dropped a malformed message: %s", dhcp_parse_error_name(err));
        return;
    }
    if (m.op != DHCP_OP_BOOTREPLY || !(m.has & DHCP_HAS(DHCP_HAS_MSG_TYPE))) {
        c->stats.rx_not_reply++;
        return;
    }
    /* Section 4.4.1: replies must match our xid and hardware address. */
    if (m.xid != c->xid) {
        c->stats.rx_wrong_xid++;
        return;
    }
    if (m.htype != DHCP_HTYPE_ETHERNET || m.hlen != 6 || memcmp(m.chaddr, c->config.mac, 6) != 0) {
        c->stats.rx_wrong_chaddr++;
        return;
    }
    switch (m.type) {
    case DHCPOFFER: handle_offer(c, &m, now_ns); break;
    case DHCPACK: handle_ack(c, &m, now_ns); break;
    case DHCPNAK: handle_nak(c, &m, now_ns); break;
    default: c->stats.rx_unexpected++; break;
    }
}

int dhcp_client_format_stats(const struct dhcp_client *c, char *buf, size_t size)
{
    /* A loop over the names: a ksnprintf call per counter would cost code for each; the names
     * are packed ("a\0b\0"), where a pointer per name costs 8 bytes more each. */
    static const char names[] = DHCP_STATS(COUNTERS_PACKED_NAME);
    struct one_per_name { DHCP_STATS(COUNTERS_ONE_BYTE) };
    _Static_assert(COUNTERS_COUNT(c->stats) == sizeof(struct one_per_name),
                   "dhcp_client_stats and DHCP_STATS disagree");
    const uint64_t *values = (const uint64_t *)&c->stats;
    const char *name = names;
    size_t used = 0;
    int total = 0;
    for (size_t i = 0; i < COUNTERS_COUNT(c->stats); i++, name += strlen(name) + 1) {
        total += ksnprintf(buf + used, size > used ? size - used : 0, "dhcp.%s %llu\n", name,
                           (unsigned long long)values[i]);
        used = (size_t)total < size ? (size_t)total : size;
    }
    return total;
}
