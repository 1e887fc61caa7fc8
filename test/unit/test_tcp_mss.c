/*
 * Unit tests for segment sizes and the path: the send MSS clamped to the path MTU with SACK blocks
 * giving way so no segment exceeds it (RFC 9293 3.7.1, RFC 6691), path MTU discovery from ICMP
 * fragmentation-needed with immediate resending (RFC 1191, RFC 9293 3.7.3), ICMP errors believed
 * only when they quote a sequence number in flight (RFC 5927 4.1), an ICMP unreachable ending an
 * open (RFC 1122 4.2.3.9), and checksum offload (segments leave with PBUF_F_CSUM_PARTIAL when the
 * device has NETDEV_CAP_TX_CSUM, and arrive with correct checksums).
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5105

static uint8_t server_buf[512 * 1024];
static uint8_t client_buf[512 * 1024];

static void echo(struct tf_server *s, struct tf_client *c, size_t len)
{
    memset(s, 0, sizeof(*s));
    memset(c, 0, sizeof(*c));
    s->port = PORT;
    s->echo = true;
    s->buf = server_buf;
    s->cap = sizeof(server_buf);
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &s->l), 0);
    c->dst = B_IP;
    c->port = PORT;
    c->len = len;
    c->back = client_buf;
    c->back_cap = sizeof(client_buf);
    c->keep_open = true;
    fiber_detach(fiber_spawn("server", tf_server_fiber, s, 0));
    fiber_detach(fiber_spawn("client", tf_client_fiber, c, 0));
    RUN_UNTIL(s->done && c->done, 120 * SEC);
    ck_assert(s->done && c->done);
    ck_assert_uint_eq(s->got, len);
    ck_assert_uint_eq(c->back_got, len);
    ck_assert(tf_pattern_ok(server_buf, len));
    ck_assert(tf_pattern_ok(client_buf, len));
}

/* Drops one in ten data segments B sends to A, so A holds out-of-order data and reports SACK
 * blocks while it sends full-sized segments of its own. */
static enum tf_verdict drop_some_rx_data(const struct tf_seg *s, void *ctx)
{
    unsigned *n = ctx;
    if (!s->tx && s->len && (*n)++ % 10 == 3)
        return TF_DROP;
    return TF_PASS;
}

/* RFC 9293 3.7.1, RFC 6691: with a 1000-byte path MTU towards B, A's MSS is 1000 - 40 - 12
 * (timestamps) and no segment A sends, SACK blocks included, is larger than the path allows. */
START_TEST(mss_clamped_to_path_mtu_with_sack)
{
    ck_assert(ipv4_pmtu_update(&sa->ipv4, B_IP, 1000));
    unsigned n = 0;
    tf_tap_set_filter(drop_some_rx_data, &n);
    struct tf_server s;
    struct tf_client c;
    echo(&s, &c, 300 * 1000);
    struct tcp_conn_info ci;
    tcp_get_info(c.conn, &ci);
    ck_assert_uint_eq(ci.snd_mss, 1000 - 40 - 12);
    unsigned sack_segments = 0, full = 0;
    for (unsigned i = 0; i < tf_tap.count; i++) {
        const struct tf_seg *g = &tf_tap.seg[i];
        if (!g->tx)
            continue;
        ck_assert_uint_le(g->ip_len, 1000);
        if (g->opts.present & TCP_OPTF_SACK)
            sack_segments++;
        if (g->len == ci.snd_mss)
            full++;
    }
    ck_assert_uint_gt(sack_segments, 0);
    ck_assert_uint_gt(full, 100);
    ck_assert_uint_eq(sa->tcp.stats.tx_errors, 0);      /* IP never refused one as too big */
    tf_tap_set_filter(NULL, NULL);
    tcp_close(c.conn);
    tcp_listener_close(s.l);
}
END_TEST

/* A router with a 1000-byte MTU: it drops A's bigger segments (DF is set) and says so. */
struct router {
    uint32_t dropped_seq;
    unsigned dropped;
};

static enum tf_verdict small_mtu_router(const struct tf_seg *s, void *ctx)
{
    struct router *r = ctx;
    if (s->tx && s->ip_len > 1000) {
        ck_assert(s->dont_fragment);
        if (r->dropped++ == 0)
            r->dropped_seq = s->h.seq;
        return TF_DROP;
    }
    return TF_PASS;
}

/* RFC 1191, RFC 9293 3.7.3: ICMP fragmentation-needed quoting a segment in flight lowers the MSS
 * and what was lost is resent at once in smaller segments, without waiting for the RTO. */
START_TEST(frag_needed_lowers_mss_and_resends)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    struct router r = { 0 };
    tf_tap_set_filter(small_mtu_router, &r);
    static uint8_t data[20000];
    fill_pattern(data, sizeof(data), 0);
    ck_assert_int_eq(tcp_write(p.client, data, sizeof(data), 0), (long)sizeof(data));
    run_for(2 * MS);
    ck_assert_uint_gt(r.dropped, 0);
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_FRAG_NEEDED, 1000, A_IP, B_IP,
                           p.client->ep.local_port, PORT, r.dropped_seq, 1500);
    run_for(50 * MS);
    ck_assert_uint_eq(sa->tcp.stats.rx_pmtu_updates, 1);
    struct tcp_conn_info ci;
    tcp_get_info(p.client, &ci);
    ck_assert_uint_eq(ci.snd_mss, 1000 - 40 - 12);
    ck_assert_uint_eq(tcp_readable(p.server), sizeof(data));
    ck_assert_uint_eq(ci.rto_timeouts, 0);
    static uint8_t got[20000];
    ck_assert_int_eq(tcp_read(p.server, got, sizeof(got), 0), (long)sizeof(got));
    ck_assert(tf_pattern_ok(got, sizeof(got)));
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}
END_TEST

/* RFC 5927 4.1: an ICMP error is believed only if it quotes a sequence number in SND.UNA ..
 * SND.NXT - 1 of an existing connection; anything else is counted and ignored. */
START_TEST(icmp_outside_flight_ignored)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    tf_tap_set_filter(tf_drop_tx, NULL);              /* keep a segment in flight */
    ck_assert_int_eq(tcp_write(p.client, "abc", 3, 0), 3);
    uint32_t una = p.client->snd_una, nxt = p.client->snd_nxt;
    ck_assert_uint_eq(nxt - una, 3);
    uint16_t lport = p.client->ep.local_port;
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_FRAG_NEEDED, 1200, A_IP, B_IP, lport, PORT,
                           nxt + 100000, 1500);
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_FRAG_NEEDED, 1200, A_IP, B_IP, lport, PORT, nxt,
                           1500);
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_FRAG_NEEDED, 1200, A_IP, B_IP, lport, PORT + 1,
                           una, 1500);
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_PORT, 0, A_IP, B_IP, lport, PORT, una - 1, 60);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_icmp_ignored, 4);
    ck_assert_uint_eq(sa->tcp.stats.rx_pmtu_updates, 0);
    ck_assert_uint_eq(p.client->mss, 1448);
    ck_assert_int_eq(p.client->state, TCPS_ESTABLISHED);
    /* The same error quoting SND.UNA is believed. */
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_FRAG_NEEDED, 1200, A_IP, B_IP, lport, PORT, una,
                           1500);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_pmtu_updates, 1);
    ck_assert_uint_eq(p.client->mss, 1200 - 40 - 12);
    tf_tap_set_filter(NULL, NULL);
    tf_close_all(&p);
}
END_TEST

struct opener {
    int rc;
    bool done;
    uint64_t at;
};

static int open_fiber(void *arg)
{
    struct opener *o = arg;
    struct tcp_conn *c = NULL;
    o->rc = tcp_connect(sa, B_IP, PORT, sim_now() + 5 * SEC, &c);
    o->at = sim_now();
    if (c)
        tcp_close(c);
    o->done = true;
    return 0;
}

/* RFC 1122 4.2.3.9: during the open, ICMP port (or protocol) unreachable ends the attempt at once
 * with "connection refused"; host unreachable is a soft error reported if the open then fails. */
START_TEST(icmp_unreachable_ends_connect)
{
    tf_tap_set_filter(tf_drop_tx, NULL);              /* the SYN never reaches B */
    struct opener o = { 0 };
    fiber_detach(fiber_spawn("open", open_fiber, &o, 0));
    run_for(MS);
    const struct tf_seg *syn = tap_find(true, TCP_FLAG_SYN);
    ck_assert_ptr_nonnull(syn);
    uint64_t t0 = sim_now();
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_PORT, 0, A_IP, B_IP, syn->h.src_port, PORT,
                           syn->h.seq, 60);
    RUN_UNTIL(o.done, SEC);
    ck_assert(o.done);
    ck_assert_int_eq(o.rc, -ECONNREFUSED);
    ck_assert_uint_lt(o.at - t0, 10 * MS);
    /* Host unreachable: the open goes on retrying and, at its deadline, says why it failed. */
    struct opener o2 = { 0 };
    tf_tap_clear();
    fiber_detach(fiber_spawn("open", open_fiber, &o2, 0));
    run_for(MS);
    syn = tap_find(true, TCP_FLAG_SYN);
    ck_assert_ptr_nonnull(syn);
    tf_inject_icmp_unreach(sa, B_IP, ICMP_UNREACH_HOST, 0, A_IP, B_IP, syn->h.src_port, PORT,
                           syn->h.seq, 60);
    run_for(SEC);
    ck_assert(!o2.done);
    RUN_UNTIL(o2.done, 10 * SEC);
    ck_assert_int_eq(o2.rc, -EHOSTUNREACH);
    tf_tap_set_filter(NULL, NULL);
    struct tcp_census census;
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.connections, 0);
}
END_TEST

/* platform/netdev.h NETDEV_CAP_TX_CSUM: segments leave with only the pseudo-header sum and
 * PBUF_F_CSUM_PARTIAL; the device (the pair) completes them and B finds every checksum good. */
START_TEST(checksum_offload)
{
    tcp_fixture_down();
    tcp_fixture_up(NULL, 0, NETDEV_CAP_TX_CSUM);
    struct tf_server s;
    struct tf_client c;
    echo(&s, &c, 200 * 1000);
    unsigned tx = 0, rx = 0;
    for (unsigned i = 0; i < tf_tap.count; i++) {
        const struct tf_seg *g = &tf_tap.seg[i];
        if (g->tx) {
            ck_assert(g->csum_partial);
            tx++;
        } else {
            ck_assert(g->csum_ok);                 /* completed by B's device */
            rx++;
        }
    }
    ck_assert_uint_gt(tx, 50);
    ck_assert_uint_gt(rx, 50);
    ck_assert_uint_eq(sa->tcp.stats.rx_bad_checksum + sb->tcp.stats.rx_bad_checksum, 0);
    tcp_close(c.conn);
    tcp_listener_close(s.l);
}
END_TEST

/* Without the capability every segment carries its full checksum. */
START_TEST(checksum_in_software)
{
    struct tf_server s;
    struct tf_client c;
    echo(&s, &c, 50 * 1000);
    ck_assert_uint_gt(tf_tap.count, 20);
    for (unsigned i = 0; i < tf_tap.count; i++) {
        ck_assert(!tf_tap.seg[i].csum_partial);
        ck_assert(tf_tap.seg[i].csum_ok);
    }
    tcp_close(c.conn);
    tcp_listener_close(s.l);
}
END_TEST

static void setup(void)
{
    tcp_fixture_setup();
}

static void teardown(void)
{
    tcp_fixture_down();
}

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_mss");
    TCase *tc = tcase_create("mss");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, mss_clamped_to_path_mtu_with_sack);
    tcase_add_test(tc, frag_needed_lowers_mss_and_resends);
    tcase_add_test(tc, icmp_outside_flight_ignored);
    tcase_add_test(tc, icmp_unreachable_ends_connect);
    tcase_add_test(tc, checksum_offload);
    tcase_add_test(tc, checksum_in_software);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
