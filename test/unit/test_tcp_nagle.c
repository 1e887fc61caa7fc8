/*
 * Unit tests for small-segment rules: Nagle's algorithm (RFC 9293 3.7.4, RFC 1122 4.2.3.4) and the
 * no-delay option, sender silly window avoidance (RFC 1122 4.2.3.4, RFC 9293 3.8.6.2.1) and
 * receiver silly window avoidance (RFC 1122 4.2.3.3, RFC 9293 3.8.6.2.2). The tap counts what A
 * puts on the wire.
 */
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5106

/* Data segments A sent since the tap was cleared; *last_len: the size of the latest. */
static unsigned data_sent(uint32_t *last_len)
{
    unsigned n = 0;
    for (unsigned i = 0; i < tf_tap.count; i++)
        if (tf_tap.seg[i].tx && tf_tap.seg[i].len) {
            n++;
            if (last_len)
                *last_len = tf_tap.seg[i].len;
        }
    return n;
}

/* RFC 9293 3.7.4 (Nagle): while a small segment is unacknowledged, further small writes are held
 * and coalesced; they leave together when the ACK comes (B delays it by 40 ms). */
START_TEST(nagle_coalesces_small_writes)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    tf_tap_clear();
    ck_assert_int_eq(tcp_write(p.client, "a", 1, 0), 1);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(tcp_write(p.client, "b", 1, 0), 1);
    run_for(20 * MS);
    uint32_t last = 0;
    ck_assert_uint_eq(data_sent(&last), 1);
    ck_assert_uint_eq(last, 1);
    run_for(40 * MS);                                 /* B's delayed ACK arrived at 40 ms */
    ck_assert_uint_eq(data_sent(&last), 2);
    ck_assert_uint_eq(last, 10);
    run_for(SEC);
    ck_assert_uint_eq(tcp_readable(p.server), 11);
    tf_close_all(&p);
}
END_TEST

/* The no-delay option (RFC 9293 3.7.4: "a TCP SHOULD implement" a way to disable Nagle): every
 * small write leaves at once. */
START_TEST(nodelay_sends_at_once)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    ck_assert_int_eq(tcp_set_option(p.client, TCP_SOCKOPT_NODELAY, 1), 0);
    tf_tap_clear();
    for (int i = 0; i < 11; i++)
        ck_assert_int_eq(tcp_write(p.client, "c", 1, 0), 1);
    settle();
    ck_assert_uint_eq(data_sent(NULL), 11);
    run_for(SEC);
    ck_assert_uint_eq(tcp_readable(p.server), 11);
    tf_close_all(&p);
}
END_TEST

/* Fills B's 8 KiB window (B does not read) so A has data waiting and nothing in flight. */
static void fill_window(struct tf_conns *p)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    cfg.rcvbuf_default = 8192;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), 0);
    tf_open(p, PORT);
    static uint8_t data[64 * 1024];
    fill_pattern(data, sizeof(data), 0);
    ck_assert_int_eq(tcp_write(p->client, data, sizeof(data), 0), (long)sizeof(data));
    run_for(100 * MS);
    /* 5 full segments fit; the last 952 bytes wait for the persist timer's override (RFC 9293
     * 3.8.6.2.1: sender SWS avoidance) at one RTO (200 ms). */
    ck_assert_uint_eq(tcp_readable(p->server), 5 * 1448);
    run_for(SEC);
    ck_assert_uint_eq(tcp_readable(p->server), 8192);
    ck_assert_uint_eq(p->client->snd_wnd, 0);
    ck_assert_uint_eq(p->client->snd_una, p->client->snd_nxt);
}

/* RFC 1122 4.2.3.4 / RFC 9293 3.8.6.2.1 (sender SWS avoidance): a window that opens by less than
 * an MSS and less than half the largest window seen does not draw a tiny segment at once; when it
 * opens further, only full-sized segments go. */
START_TEST(sender_sws_avoidance)
{
    struct tf_conns p;
    fill_window(&p);
    struct tcp_conn *c = p.client;
    tf_tap_clear();
    forge_to(c, c->rcv_nxt, c->snd_nxt, TCP_FLAG_ACK, (uint16_t)(100u >> c->snd_wscale), 1, NULL, 0);
    settle();
    ck_assert_uint_eq(c->snd_wnd, 100);
    ck_assert_uint_eq(data_sent(NULL), 0);
    forge_to(c, c->rcv_nxt, c->snd_nxt, TCP_FLAG_ACK, (uint16_t)(4096u >> c->snd_wscale), 1, NULL, 0);
    settle();
    /* Two full segments go at once; the 1200-byte tail is again too small to send. */
    ck_assert_uint_eq(data_sent(NULL), 2);
    ck_assert_uint_eq(c->snd_nxt - c->snd_una, 2 * c->mss);
    tf_close_all(&p);
}
END_TEST

/* RFC 1122 4.2.3.3 / RFC 9293 3.8.6.2.2 (receiver SWS avoidance): after the reader takes a few
 * bytes from a full buffer, B keeps advertising a zero window (even when probed) until the free
 * space reaches min(buffer / 2, MSS); then it announces it. */
START_TEST(receiver_sws_avoidance)
{
    struct tf_conns p;
    fill_window(&p);
    tf_tap_clear();
    static uint8_t got[8192];
    ck_assert_int_eq(tcp_read(p.server, got, 100, 0), 100);
    run_for(5 * SEC);                                 /* A's persist probes draw B's ACKs */
    unsigned from_b = 0;
    for (unsigned i = 0; i < tf_tap.count; i++)
        if (!tf_tap.seg[i].tx) {
            from_b++;
            ck_assert_uint_eq(tf_tap.seg[i].h.window, 0);
        }
    ck_assert_uint_gt(from_b, 0);
    ck_assert_uint_eq(tcp_readable(p.server), 8192 - 100);
    tf_tap_clear();
    ck_assert_int_eq(tcp_read(p.server, got + 100, 2000, 0), 2000);
    settle();
    const struct tf_seg *update = NULL;
    for (unsigned i = 0; i < tf_tap.count && !update; i++)
        if (!tf_tap.seg[i].tx)
            update = &tf_tap.seg[i];
    ck_assert_ptr_nonnull(update);
    ck_assert_uint_ge((uint32_t)update->h.window << p.client->snd_wscale, 2100);
    ck_assert(tf_pattern_ok(got, 2100));
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
    Suite *s = suite_create("tcp_nagle");
    TCase *tc = tcase_create("nagle");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, nagle_coalesces_small_writes);
    tcase_add_test(tc, nodelay_sends_at_once);
    tcase_add_test(tc, sender_sws_avoidance);
    tcase_add_test(tc, receiver_sws_avoidance);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
