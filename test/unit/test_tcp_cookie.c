/*
 * Unit tests for net/tcp_syncookie: SYN cookies (RFC 4987 3.6) carry the MSS, a time counter and a
 * keyed hash in our ISN, and the peer's window scale and SACK-permitted in the low bits of our
 * TSval when it uses timestamps (RFC 7323 3); the final ACK (SEG.ACK - 1, SEG.SEQ - 1, TSecr) must
 * give them back intact, within TCP_SYNCOOKIE_MAX_AGE ticks.
 */
#include <check.h>
#include <stdlib.h>

#include "lib/errno.h"
#include "net/wire/tcp_opts.h"
#include "net/wire/tcp_seq.h"
#include "net/tcp/tcp_syncookie.h"
#include "xenolith/test_main.h"

static const struct tcp_endpoints ep = {
    .local_ip = 0x0200000au, .remote_ip = 0x0100000au, .local_port = 80, .remote_port = 43210,
};
/* Some ticks in, so that "older" and "newer" both exist. */
static const uint64_t t0 = 1000 * TCP_SYNCOOKIE_TICK_NS + 12345;

static void fixed_secret(struct tcp_syncookie_secret *secret, uint8_t seed)
{
    uint8_t bytes[16];
    for (int i = 0; i < 16; i++)
        bytes[i] = (uint8_t)(seed * 31 + i);
    siphash_key_from_bytes(&secret->key, bytes);
}

static int check_at(const struct tcp_syncookie_secret *secret, const struct tcp_endpoints *e,
                    const struct tcp_syncookie_syn *syn, const struct tcp_syncookie_synack *sa,
                    uint64_t now, struct tcp_syncookie_grant *g)
{
    return tcp_syncookie_check(secret, e, syn->peer_isn + 1, sa->iss + 1, sa->has_timestamps,
                               sa->tsval, now, g);
}

/* RFC 4987 3.6: the ACK completing the handshake recreates the connection from the cookie. */
START_TEST(roundtrip_without_timestamps)
{
    struct tcp_syncookie_secret secret;
    fixed_secret(&secret, 1);
    struct tcp_syncookie_syn syn = { .peer_isn = 0xfffffffeu, .peer_mss = 1460, .sack_permitted = true,
                                     .has_wscale = true, .wscale = 7 };
    struct tcp_syncookie_synack sa;
    tcp_syncookie_make(&secret, &ep, &syn, t0, 0, &sa);
    ck_assert_uint_eq(sa.mss, 1460);
    ck_assert(!sa.has_timestamps);
    /* RFC 7323 2.2 / RFC 2018 2: an option offered in the SYN-ACK is in use for the connection,
     * so what the cookie cannot remember must not be offered. */
    ck_assert(!sa.send_wscale && !sa.send_sack_permitted);
    struct tcp_syncookie_grant g;
    ck_assert_int_eq(check_at(&secret, &ep, &syn, &sa, t0, &g), 0);
    ck_assert_uint_eq(g.iss, sa.iss);
    ck_assert_uint_eq(g.irs, 0xfffffffeu);
    ck_assert_uint_eq(g.mss, 1460);
    /* Without timestamps there is nowhere to keep window scale and SACK: both are off. */
    ck_assert(!g.has_timestamps && !g.sack_permitted && !g.has_wscale);
}
END_TEST

/* The MSS granted is the largest table entry not above the peer's (RFC 9293 3.7.1: never send
 * more than the peer accepts); no MSS option means 536. */
START_TEST(mss_encoding)
{
    struct tcp_syncookie_secret secret;
    fixed_secret(&secret, 2);
    const uint16_t asked[] = { 0, 1, 87, 88, 300, 536, 1299, 1300, 1459, 1460, 9000 };
    const uint16_t granted[] = { 536, 88, 88, 88, 256, 536, 1200, 1300, 1440, 1460, 1460 };
    for (unsigned i = 0; i < sizeof(asked) / sizeof(asked[0]); i++) {
        struct tcp_syncookie_syn syn = { .peer_isn = 1000 + i, .peer_mss = asked[i] };
        struct tcp_syncookie_synack sa;
        tcp_syncookie_make(&secret, &ep, &syn, t0, 0, &sa);
        ck_assert_msg(sa.mss == granted[i], "asked %u got %u", asked[i], sa.mss);
        struct tcp_syncookie_grant g;
        ck_assert_int_eq(check_at(&secret, &ep, &syn, &sa, t0, &g), 0);
        ck_assert_uint_eq(g.mss, granted[i]);
    }
}
END_TEST

/* RFC 7323 3.2: the peer echoes our TSval in TSecr, so the options ride in its low bits. */
START_TEST(options_in_timestamps)
{
    struct tcp_syncookie_secret secret;
    fixed_secret(&secret, 3);
    for (unsigned ws = 0; ws <= 15; ws++) {
        for (unsigned sack = 0; sack < 2; sack++) {
            struct tcp_syncookie_syn syn = { .peer_isn = 77 * ws + sack, .peer_mss = 1400,
                                             .sack_permitted = sack, .has_wscale = ws < 15,
                                             .wscale = (uint8_t)ws, .has_timestamps = true };
            uint32_t tsval_now = 0x12345600u + ws * 3;
            struct tcp_syncookie_synack sa;
            tcp_syncookie_make(&secret, &ep, &syn, t0, tsval_now, &sa);
            ck_assert(sa.has_timestamps);
            ck_assert_uint_eq(sa.send_wscale, ws < 15);
            ck_assert_uint_eq(sa.send_sack_permitted, sack);
            /* Never ahead of the clock (RFC 7323 5: the peer's PAWS must accept what follows),
             * and not far behind. */
            ck_assert(seq_le(sa.tsval, tsval_now));
            ck_assert_uint_lt(tsval_now - sa.tsval, 1u << TCP_SYNCOOKIE_TS_BITS);
            struct tcp_syncookie_grant g;
            ck_assert_int_eq(check_at(&secret, &ep, &syn, &sa, t0, &g), 0);
            ck_assert(g.has_timestamps);
            ck_assert_uint_eq(g.sack_permitted, sack);
            ck_assert_uint_eq(g.has_wscale, ws < 15);
            if (ws < 15)
                ck_assert_uint_eq(g.wscale, ws);
        }
    }
}
END_TEST

/* A cookie lives TCP_SYNCOOKIE_MAX_AGE ticks, no longer; the 2-bit counter's wrap fails the hash. */
START_TEST(ageing)
{
    struct tcp_syncookie_secret secret;
    fixed_secret(&secret, 4);
    struct tcp_syncookie_syn syn = { .peer_isn = 5, .peer_mss = 1460 };
    struct tcp_syncookie_synack sa;
    tcp_syncookie_make(&secret, &ep, &syn, t0, 0, &sa);
    struct tcp_syncookie_grant g;
    for (unsigned age = 0; age <= TCP_SYNCOOKIE_MAX_AGE; age++)
        ck_assert_int_eq(check_at(&secret, &ep, &syn, &sa, t0 + age * TCP_SYNCOOKIE_TICK_NS, &g), 0);
    ck_assert_int_eq(check_at(&secret, &ep, &syn, &sa, t0 + 3 * TCP_SYNCOOKIE_TICK_NS, &g), -ETIMEDOUT);
    for (unsigned age = 4; age < 12; age++)
        ck_assert_int_ne(check_at(&secret, &ep, &syn, &sa, t0 + age * TCP_SYNCOOKIE_TICK_NS, &g), 0);
    /* From before it was made (the counter cannot go back): refused too. */
    ck_assert_int_ne(check_at(&secret, &ep, &syn, &sa, t0 - TCP_SYNCOOKIE_TICK_NS, &g), 0);
    /* At boot, a cookie claiming an older counter than exists is refused, not wrapped. */
    struct tcp_syncookie_synack early;
    tcp_syncookie_make(&secret, &ep, &syn, 3 * TCP_SYNCOOKIE_TICK_NS, 0, &early);
    ck_assert_int_eq(check_at(&secret, &ep, &syn, &early, 0, &g), -ETIMEDOUT);
}
END_TEST

/* Any change to what the cookie vouches for is caught: ISNs, ports, addresses, the counter and MSS
 * bits, the TSecr option bits, the presence of timestamps, the secret. */
START_TEST(tampering_refused)
{
    struct tcp_syncookie_secret secret, other;
    fixed_secret(&secret, 5);
    fixed_secret(&other, 6);
    struct tcp_syncookie_syn syn = { .peer_isn = 0x4000, .peer_mss = 1300, .sack_permitted = true,
                                     .has_wscale = true, .wscale = 2, .has_timestamps = true };
    struct tcp_syncookie_synack sa;
    tcp_syncookie_make(&secret, &ep, &syn, t0, 0x777777, &sa);
    struct tcp_syncookie_grant g;
    uint32_t seq = syn.peer_isn + 1, ack = sa.iss + 1;
    ck_assert_int_eq(tcp_syncookie_check(&secret, &ep, seq, ack, true, sa.tsval, t0, &g), 0);
    ck_assert_int_ne(tcp_syncookie_check(&secret, &ep, seq + 1, ack, true, sa.tsval, t0, &g), 0);
    for (unsigned bit = 0; bit < 32; bit++)
        ck_assert_msg(tcp_syncookie_check(&secret, &ep, seq, ack ^ (1u << bit), true, sa.tsval, t0, &g) != 0,
                      "ack bit %u", bit);
    for (unsigned bit = 0; bit < TCP_SYNCOOKIE_TS_BITS; bit++)
        ck_assert_int_ne(tcp_syncookie_check(&secret, &ep, seq, ack, true, sa.tsval ^ (1u << bit), t0, &g), 0);
    ck_assert_int_ne(tcp_syncookie_check(&secret, &ep, seq, ack, false, 0, t0, &g), 0);
    ck_assert_int_ne(tcp_syncookie_check(&other, &ep, seq, ack, true, sa.tsval, t0, &g), 0);
    struct tcp_endpoints e = ep;
    e.remote_port++;
    ck_assert_int_ne(tcp_syncookie_check(&secret, &e, seq, ack, true, sa.tsval, t0, &g), 0);
    e = ep;
    e.local_port++;
    ck_assert_int_ne(tcp_syncookie_check(&secret, &e, seq, ack, true, sa.tsval, t0, &g), 0);
    e = ep;
    e.remote_ip ^= 0x01000000u;
    ck_assert_int_ne(tcp_syncookie_check(&secret, &e, seq, ack, true, sa.tsval, t0, &g), 0);
    e = ep;
    e.local_ip ^= 0x01000000u;
    ck_assert_int_ne(tcp_syncookie_check(&secret, &e, seq, ack, true, sa.tsval, t0, &g), 0);
    /* The high TSval bits are the peer's echo of our clock, not vouched for: changing them is fine. */
    ck_assert_int_eq(tcp_syncookie_check(&secret, &ep, seq, ack, true, sa.tsval ^ 0x100000u, t0, &g), 0);
}
END_TEST

/* A SYN without timestamps cannot be completed by an ACK that claims them (and the other way). */
START_TEST(timestamp_presence_bound)
{
    struct tcp_syncookie_secret secret;
    fixed_secret(&secret, 7);
    struct tcp_syncookie_syn syn = { .peer_isn = 9, .peer_mss = 1460 };
    struct tcp_syncookie_synack sa;
    tcp_syncookie_make(&secret, &ep, &syn, t0, 0, &sa);
    struct tcp_syncookie_grant g;
    for (uint32_t ecr = 0; ecr < 32; ecr++)
        ck_assert_int_ne(tcp_syncookie_check(&secret, &ep, 10, sa.iss + 1, true, ecr, t0, &g), 0);
}
END_TEST

/* Blind guessing: 200000 random ACKs for one 4-tuple and peer ISN pass essentially never
 * (expected 200000 / 2^27 = 0.0015). */
START_TEST(blind_guesses_fail)
{
    struct tcp_syncookie_secret secret;
    fixed_secret(&secret, 8);
    struct tcp_syncookie_grant g;
    uint32_t x = 0x9e3779b9u;
    unsigned passed = 0;
    for (unsigned i = 0; i < 200000; i++) {
        x = x * 1664525u + 1013904223u;
        passed += tcp_syncookie_check(&secret, &ep, 1000, x, false, 0, t0, &g) == 0;
    }
    ck_assert_uint_eq(passed, 0);
}
END_TEST

START_TEST(random_secret)
{
    struct tcp_syncookie_secret a, b;
    tcp_syncookie_secret_init(&a);
    tcp_syncookie_secret_init(&b);
    ck_assert(a.key.k0 != b.key.k0 || a.key.k1 != b.key.k1);
}
END_TEST

static Suite *tcp_cookie_suite(void)
{
    Suite *s = suite_create("tcp_cookie");
    TCase *tc = tcase_create("cookie");
    tcase_add_test(tc, roundtrip_without_timestamps);
    tcase_add_test(tc, mss_encoding);
    tcase_add_test(tc, options_in_timestamps);
    tcase_add_test(tc, ageing);
    tcase_add_test(tc, tampering_refused);
    tcase_add_test(tc, timestamp_presence_bound);
    tcase_add_test(tc, blind_guesses_fail);
    tcase_add_test(tc, random_secret);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tcp_cookie_suite)
