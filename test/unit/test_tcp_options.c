/*
 * Unit tests for TCP option negotiation and per-connection options on the pair: RFC 7323 window
 * scaling and timestamps (offered, echoed, used only when both sides sent them), SYN cookies that
 * offer only what they can remember, buffer sizes, the congestion control chosen per connection,
 * and the no-delay flag. The tap on A's side shows the options on the wire.
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5101
#define ALL_SYN_OPTS (TCP_OPTF_MSS | TCP_OPTF_WSCALE | TCP_OPTF_SACK_PERMITTED | TCP_OPTF_TIMESTAMPS)

/* RFC 7323 2.2/2.3 (window scale in SYN and SYN-ACK, SYN windows never scaled), 3.2 (TSecr of the
 * SYN-ACK echoes the SYN's TSval; every later segment carries timestamps), RFC 2018 2 (SACK
 * permitted): with both sides willing, all are negotiated and windows beyond 64 KiB are used. */
START_TEST(wscale_ts_sack_negotiated)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    const struct tf_seg *syn = tap_find(true, TCP_FLAG_SYN);
    const struct tf_seg *synack = tap_find(false, TCP_FLAG_SYN | TCP_FLAG_ACK);
    ck_assert_ptr_nonnull(syn);
    ck_assert_ptr_nonnull(synack);
    ck_assert_uint_eq(syn->opts.present & ALL_SYN_OPTS, ALL_SYN_OPTS);
    ck_assert_uint_eq(synack->opts.present & ALL_SYN_OPTS, ALL_SYN_OPTS);
    ck_assert_uint_eq(synack->opts.ts_ecr, syn->opts.ts_val);
    ck_assert_uint_eq(syn->h.window, 65535);          /* 256 KiB buffer, unscaled in the SYN */
    ck_assert_uint_eq(synack->h.window, 65535);
    uint8_t shift = tcp_wscale_for_buffer(256 * 1024);
    ck_assert_uint_gt(shift, 0);
    struct tcp_conn_info ci;
    tcp_get_info(p.client, &ci);
    ck_assert(ci.timestamps && ci.sack);
    ck_assert_uint_eq(ci.snd_wscale, synack->opts.wscale);
    ck_assert_uint_eq(ci.rcv_wscale, syn->opts.wscale);
    ck_assert_uint_eq(ci.rcv_wscale, shift);
    tf_tap_clear();
    ck_assert_uint_eq(pump(p.client, p.server, 200 * 1000, 10 * SEC), 200 * 1000);
    tcp_get_info(p.client, &ci);
    ck_assert_uint_gt(ci.snd_wnd, 65535);             /* the scaled window is in use */
    ck_assert_uint_gt(tf_tap.count, 10);
    for (unsigned i = 0; i < tf_tap.count; i++)
        ck_assert(tf_tap.seg[i].opts.present & TCP_OPTF_TIMESTAMPS);
    tf_close_all(&p);
}
END_TEST

/* RFC 7323 1.3/2.2: an option is used only if both SYNs carried it. B offers neither window
 * scaling nor timestamps: A sends none on later segments and takes B's window unscaled. */
START_TEST(options_off_on_one_side)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    cfg.timestamps = false;
    cfg.window_scaling = false;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), 0);
    struct tf_conns p;
    tf_open(&p, PORT);
    const struct tf_seg *synack = tap_find(false, TCP_FLAG_SYN | TCP_FLAG_ACK);
    ck_assert_ptr_nonnull(synack);
    ck_assert_uint_eq(synack->opts.present & (TCP_OPTF_WSCALE | TCP_OPTF_TIMESTAMPS), 0);
    struct tcp_conn_info ci;
    tcp_get_info(p.client, &ci);
    ck_assert(!ci.timestamps);
    ck_assert_uint_eq(ci.snd_wscale, 0);
    ck_assert_uint_eq(ci.rcv_wscale, 0);
    ck_assert_uint_eq(ci.snd_mss, 1460);              /* no timestamp room taken */
    tf_tap_clear();
    ck_assert_uint_eq(pump(p.client, p.server, 100 * 1000, 10 * SEC), 100 * 1000);
    tcp_get_info(p.client, &ci);
    ck_assert_uint_le(ci.snd_wnd, 65535);
    for (unsigned i = 0; i < tf_tap.count; i++)
        ck_assert_uint_eq(tf_tap.seg[i].opts.present & (TCP_OPTF_TIMESTAMPS | TCP_OPTF_WSCALE), 0);
    tf_close_all(&p);
}
END_TEST

/* RFC 4987 3.6 with RFC 7323 2.2: a SYN cookie can remember window scale and SACK-permitted only
 * in the TSval of its SYN-ACK; a peer without timestamps must be offered neither, or it would
 * scale windows (and send SACK blocks) that the cookie connection then misreads. Half-open queue
 * full (a SYN from an unreachable host holds it), A without timestamps: the SYN-ACK carries only
 * the MSS and the connection works with unscaled windows. */
START_TEST(cookie_without_timestamps_offers_no_wscale_or_sack)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    cfg.max_half_open = 1;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), 0);
    tcp_get_config(sa, &cfg);
    cfg.timestamps = false;
    ck_assert_int_eq(tcp_set_config(sa, &cfg), 0);
    struct tf_conns p;
    memset(&p, 0, sizeof(p));
    p.port = PORT;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &p.l), 0);
    struct tcp_options syn_opts = { .present = TCP_OPTF_MSS, .mss = 1460 };
    tf_inject(sb, IP4_ADDR(10, 1, 0, 9), B_IP, 40000, PORT, 1000, 0, TCP_FLAG_SYN, 65535,
              &syn_opts, NULL, 0);
    settle();
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.half_open, 1);
    fiber_detach(fiber_spawn("accept", tf_conns_accept, &p, 0));
    fiber_detach(fiber_spawn("connect", tf_conns_connect, &p, 0));
    RUN_UNTIL(p.cdone && p.adone, 2 * SEC);
    ck_assert_int_eq(p.crc, 0);
    ck_assert_int_eq(p.arc, 0);
    ck_assert_uint_eq(sb->tcp.stats.rx_syncookies_sent, 1);
    ck_assert_uint_eq(sb->tcp.stats.rx_syncookies_ok, 1);
    const struct tf_seg *syn = tap_find(true, TCP_FLAG_SYN);
    const struct tf_seg *synack = tap_find(false, TCP_FLAG_SYN | TCP_FLAG_ACK);
    ck_assert_ptr_nonnull(syn);
    ck_assert_ptr_nonnull(synack);
    ck_assert(syn->opts.present & TCP_OPTF_WSCALE);    /* A offered scaling and SACK ... */
    ck_assert(syn->opts.present & TCP_OPTF_SACK_PERMITTED);
    ck_assert_uint_eq(synack->opts.present, TCP_OPTF_MSS);   /* ... the cookie could not keep them */
    struct tcp_conn_info ci, si;
    tcp_get_info(p.client, &ci);
    tcp_get_info(p.server, &si);
    ck_assert_uint_eq(ci.snd_wscale, 0);
    ck_assert_uint_eq(ci.rcv_wscale, 0);
    ck_assert_uint_eq(si.snd_wscale, 0);
    ck_assert_uint_eq(si.rcv_wscale, 0);
    ck_assert(!ci.sack && !si.sack);
    ck_assert_uint_eq(pump(p.client, p.server, 150 * 1000, 20 * SEC), 150 * 1000);
    ck_assert_uint_eq(pump(p.server, p.client, 150 * 1000, 20 * SEC), 150 * 1000);
    tcp_get_info(p.client, &ci);
    ck_assert_uint_le(ci.snd_wnd, 65535);
    ck_assert_uint_eq(sb->tcp.stats.rx_window_trimmed, 0);   /* A never overran B's window */
    ck_assert_uint_eq(sa->tcp.stats.rx_window_trimmed, 0);
    tf_close_all(&p);
}
END_TEST

/* Buffer-size options: limits checked, the send buffer bounds what one write queues, and a bigger
 * receive buffer widens the advertised window (RFC 9293 3.8.6: the window is the free buffer). */
START_TEST(buffer_size_options)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    long v;
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_SNDBUF, 100), -EINVAL);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_SNDBUF, 64L * 1024 * 1024), -EINVAL);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_SNDBUF, 8192), 0);
    ck_assert_int_eq(tcp_get_option(p.client, TCP_SOCKOPT_SNDBUF, &v), 0);
    ck_assert_int_eq(v, 8192);
    ck_assert_uint_eq(tcp_writable(p.client), 8192);
    static uint8_t data[64 * 1024];
    fill_pattern(data, sizeof(data), 0);
    ck_assert_int_eq(tcp_write(p.client, data, sizeof(data), 0), 8192);   /* partial: buffer full */
    run_for(SEC);
    ck_assert_uint_eq(tcp_readable(p.server), 8192);
    /* The receive buffer may grow on an open connection, not shrink (offered window stays). */
    ck_assert_int_eq(tcp_set_option(p.server, TCP_SOCKOPT_RCVBUF, 8192), -EINVAL);
    struct tcp_conn_info ci;
    tcp_get_info(p.client, &ci);
    uint32_t before = ci.snd_wnd;
    ck_assert_int_eq(tcp_set_option(p.server, TCP_SOCKOPT_RCVBUF, 1024 * 1024), 0);
    ck_assert_int_eq(tcp_get_option(p.server, TCP_SOCKOPT_RCVBUF, &v), 0);
    ck_assert_int_eq(v, 1024 * 1024);
    uint8_t rd[8192];
    ck_assert_int_eq(tcp_read(p.server, rd, sizeof(rd), 0), 8192);
    ck_assert(tf_pattern_ok(rd, sizeof(rd)));
    run_for(SEC);
    tcp_get_info(p.client, &ci);
    ck_assert_uint_gt(ci.snd_wnd, before);
    ck_assert_uint_gt(ci.snd_wnd, 256 * 1024);
    tf_close_all(&p);
}
END_TEST

/* Congestion control per connection: chosen by name at any time, unknown names refused, the
 * transfer carries on with the new algorithm; the other connection keeps the default. */
START_TEST(congestion_control_per_connection)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    struct tcp_conn_info ci;
    tcp_get_info(p.client, &ci);
    ck_assert_str_eq(ci.congestion_control, "cubic");
    ck_assert_uint_eq(pump(p.client, p.server, 50 * 1000, 10 * SEC), 50 * 1000);
    ck_assert_int_eq(tcp_set_congestion_control(p.client, "bogus"), -EINVAL);
    ck_assert_int_eq(tcp_set_congestion_control(p.client, "newreno"), 0);
    tcp_get_info(p.client, &ci);
    ck_assert_str_eq(ci.congestion_control, "newreno");
    ck_assert_uint_gt(ci.cwnd, 0);
    ck_assert_uint_eq(pump(p.client, p.server, 100 * 1000, 10 * SEC), 100 * 1000);
    struct tcp_conn_info si;
    tcp_get_info(p.server, &si);
    ck_assert_str_eq(si.congestion_control, "cubic");
    tf_close_all(&p);
}
END_TEST

/* The no-delay and keepalive flags read back as set; bad values are refused. */
START_TEST(flag_options_read_back)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    long v;
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_NODELAY, 1), 0);
    ck_assert_int_eq(tcp_get_option(p.client, TCP_SOCKOPT_NODELAY, &v), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_KEEPCNT, 0), -EINVAL);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_KEEPIDLE_MS, 10), -EINVAL);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_USER_TIMEOUT_MS, -1), -EINVAL);
    ck_assert_int_eq(tcp_set_option(p.client, (enum tcp_sockopt)99, 1), -EINVAL);
    struct tcp_conn_info ci;
    tcp_get_info(p.client, &ci);
    ck_assert(ci.nodelay);
    tf_close_all(&p);
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
    Suite *s = suite_create("tcp_options");
    TCase *tc = tcase_create("options");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, wscale_ts_sack_negotiated);
    tcase_add_test(tc, options_off_on_one_side);
    tcase_add_test(tc, cookie_without_timestamps_offers_no_wscale_or_sack);
    tcase_add_test(tc, buffer_size_options);
    tcase_add_test(tc, congestion_control_per_connection);
    tcase_add_test(tc, flag_options_read_back);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
