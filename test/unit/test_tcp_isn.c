/*
 * Unit tests for net/tcp_isn: RFC 6528 3 initial sequence numbers (ISN = M + F(4-tuple, secret),
 * M a 4-microsecond clock: RFC 9293 3.4.1) and RFC 7323 7.1 per-connection timestamp offsets.
 */
#include <check.h>
#include <stdlib.h>

#include "net/tcp/tcp_isn.h"
#include "net/wire/tcp_seq.h"
#include "xenolith/test_main.h"

static void fixed_secret(struct tcp_isn_secret *secret, uint8_t seed)
{
    uint8_t bytes[16];
    for (int i = 0; i < 16; i++)
        bytes[i] = (uint8_t)(seed + i);
    siphash_key_from_bytes(&secret->key, bytes);
}

static const struct tcp_endpoints base_ep = {
    .local_ip = 0x0200000au, .remote_ip = 0x0100000au, /* 10.0.0.2, 10.0.0.1 on the wire */
    .local_port = 80, .remote_port = 50123,
};

/* RFC 6528 3 / RFC 9293 3.4.1: for one 4-tuple the ISN grows by one every 4 microseconds, and the
 * 32-bit clock wraps (about every 4.55 hours) without disturbing F. */
START_TEST(isn_follows_the_4us_clock)
{
    struct tcp_isn_secret secret;
    fixed_secret(&secret, 1);
    uint32_t f = tcp_isn(&secret, &base_ep, 0);
    ck_assert_uint_eq(tcp_isn(&secret, &base_ep, 3999), f);
    ck_assert_uint_eq(tcp_isn(&secret, &base_ep, 4000), f + 1);
    ck_assert_uint_eq(tcp_isn(&secret, &base_ep, 4000ull * 1000000), f + 1000000);
    uint64_t wrap = 4000ull << 32;
    ck_assert_uint_eq(tcp_isn(&secret, &base_ep, wrap + 8000), f + 2);
    /* Later ISNs for the same 4-tuple are ahead in sequence space (what RFC 6191's reuse of a
     * TIME-WAIT 4-tuple relies on) over any span below half the circle. */
    for (uint64_t t = 0; t < 4ull * 3600 * 1000000000ull; t += 7ull * 60 * 1000000000ull)
        ck_assert(seq_gt(tcp_isn(&secret, &base_ep, t + 1000000), tcp_isn(&secret, &base_ep, t)));
}
END_TEST

/* RFC 6528 3: F depends on every element of the 4-tuple and on the secret. */
START_TEST(isn_depends_on_tuple_and_secret)
{
    struct tcp_isn_secret secret, other;
    fixed_secret(&secret, 1);
    fixed_secret(&other, 2);
    uint64_t now = 123456789;
    uint32_t isn = tcp_isn(&secret, &base_ep, now);
    struct tcp_endpoints ep = base_ep;
    ep.local_ip ^= 1u << 24;
    ck_assert_uint_ne(tcp_isn(&secret, &ep, now), isn);
    ep = base_ep;
    ep.remote_ip ^= 1u << 24;
    ck_assert_uint_ne(tcp_isn(&secret, &ep, now), isn);
    ep = base_ep;
    ep.local_port++;
    ck_assert_uint_ne(tcp_isn(&secret, &ep, now), isn);
    ep = base_ep;
    ep.remote_port++;
    ck_assert_uint_ne(tcp_isn(&secret, &ep, now), isn);
    /* Swapping the two ends is another connection. */
    ep = (struct tcp_endpoints){ base_ep.remote_ip, base_ep.local_ip, base_ep.remote_port, base_ep.local_port };
    ck_assert_uint_ne(tcp_isn(&secret, &ep, now), isn);
    ck_assert_uint_ne(tcp_isn(&other, &base_ep, now), isn);
}
END_TEST

/* RFC 6528 1: consecutive connections from one client (ports counting up) must not reveal a
 * pattern: the differences between their ISNs at the same instant are spread over the circle. */
START_TEST(isn_not_sequential_across_ports)
{
    struct tcp_isn_secret secret;
    fixed_secret(&secret, 3);
    struct tcp_endpoints ep = base_ep;
    unsigned small_steps = 0, high_bit = 0;
    uint32_t prev = tcp_isn(&secret, &ep, 0);
    for (unsigned i = 1; i <= 1000; i++) {
        ep.remote_port = (uint16_t)(50000 + i);
        uint32_t isn = tcp_isn(&secret, &ep, 0);
        if (isn - prev < 0x10000u)
            small_steps++;
        high_bit += isn >> 31;
        prev = isn;
    }
    ck_assert_uint_le(small_steps, 2);
    ck_assert(high_bit > 400 && high_bit < 600);
}
END_TEST

START_TEST(random_secrets_differ)
{
    struct tcp_isn_secret a, b;
    tcp_isn_secret_init(&a);
    tcp_isn_secret_init(&b);
    ck_assert(a.key.k0 != b.key.k0 || a.key.k1 != b.key.k1);
}
END_TEST

/* RFC 7323 5.4: the timestamp clock ticks between 1 ms and 1 s; ours is 1 ms. */
START_TEST(ts_clock_milliseconds)
{
    ck_assert_uint_eq(tcp_ts_clock(0), 0);
    ck_assert_uint_eq(tcp_ts_clock(999999), 0);
    ck_assert_uint_eq(tcp_ts_clock(1000000), 1);
    ck_assert_uint_eq(tcp_ts_clock(5ull * 1000000000ull), 5 * TCP_TS_HZ);
}
END_TEST

/* RFC 7323 7.1: a per-connection random offset, fixed for the connection's life and independent
 * of the ISN (the other half of the keyed hash); set-up gets both from one hash, the same values. */
START_TEST(ts_offset_per_connection)
{
    struct tcp_isn_secret secret;
    fixed_secret(&secret, 4);
    uint32_t off = tcp_ts_offset(&secret, &base_ep);
    ck_assert_uint_eq(tcp_ts_offset(&secret, &base_ep), off);
    struct tcp_endpoints ep = base_ep;
    ep.remote_port++;
    ck_assert_uint_ne(tcp_ts_offset(&secret, &ep), off);
    ck_assert_uint_ne(off, tcp_isn(&secret, &base_ep, 0));
    uint32_t isn, both_off;
    tcp_isn_and_ts_offset(&secret, &base_ep, 123456789, &isn, &both_off);
    ck_assert_uint_eq(both_off, off);
    ck_assert_uint_eq(isn, tcp_isn(&secret, &base_ep, 123456789));
}
END_TEST

/* One SipHash-2-4-128 of the 4-tuple serves the TCB table and the wire: its first half is the
 * table's hash (tcp_endpoints_table_hash), its second half's low 32 bits F of the ISN (RFC 6528 3)
 * and high 32 bits the timestamp offset (RFC 7323 7.1). Nothing a peer sees (ISN, TSval) comes
 * from the half that places it in the table, so it cannot aim connections at one bucket. */
START_TEST(table_and_wire_halves_of_one_hash)
{
    struct tcp_isn_secret secret;
    fixed_secret(&secret, 3);
    uint64_t ref[2];
    siphash24_128_12(&secret.key, (uint64_t)base_ep.local_ip | (uint64_t)base_ep.remote_ip << 32,
                     (uint32_t)base_ep.local_port | (uint32_t)base_ep.remote_port << 16, ref);
    uint64_t h[2];
    tcp_endpoints_siphash(&secret, &base_ep, h);
    ck_assert(h[0] == ref[0] && h[1] == ref[1]);
    ck_assert_uint_eq(tcp_endpoints_table_hash(&secret, &base_ep), (uint32_t)ref[0]);
    uint32_t isn, off;
    tcp_isn_and_ts_offset(&secret, &base_ep, 0, &isn, &off);
    ck_assert_uint_eq(isn, (uint32_t)ref[1]);
    ck_assert_uint_eq(off, (uint32_t)(ref[1] >> 32));
    uint32_t isn2, off2;
    tcp_isn_from_hash(h[1], 4000, &isn2, &off2);
    ck_assert_uint_eq(isn2, isn + 1);
    ck_assert_uint_eq(off2, off);
    ck_assert_uint_ne(isn, (uint32_t)ref[0]);
    ck_assert_uint_ne(off, (uint32_t)ref[0]);
}
END_TEST

static Suite *tcp_isn_suite(void)
{
    Suite *s = suite_create("tcp_isn");
    TCase *tc = tcase_create("isn");
    tcase_add_test(tc, isn_follows_the_4us_clock);
    tcase_add_test(tc, isn_depends_on_tuple_and_secret);
    tcase_add_test(tc, isn_not_sequential_across_ports);
    tcase_add_test(tc, random_secrets_differ);
    tcase_add_test(tc, ts_clock_milliseconds);
    tcase_add_test(tc, ts_offset_per_connection);
    tcase_add_test(tc, table_and_wire_halves_of_one_hash);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tcp_isn_suite)
