/*
 * Unit tests of response-rate limiting (rrl.h) on the simulated clock: the allowance per second
 * and key, the drops and the TC=1 slips beyond it, the refill, and what makes two responses the
 * same key (the client's /24, the answer's kind, type and name).
 *
 * Run with:  make APP=dns app-unit   (also part of make test-unit)
 */
#include <check.h>
#include <stdlib.h>

#include "rrl.h"
#include "lib/string.h"
#include "xenolith/testing.h"
#include "xenolith/time.h"
#include "xenolith/test_main.h"

static struct rrl rrl;

static uint32_t addr(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    uint8_t bytes[4] = { a, b, c, d };
    uint32_t v;
    memcpy(&v, bytes, 4);                /* network order */
    return v;
}

static struct answer_meta answer(enum answer_kind kind, const char *name, uint16_t qtype)
{
    struct answer_meta m = { .kind = kind, .qtype = qtype };
    ck_assert_int_eq(dns_name_from_text(&m.rrl_name, name, strlen(name)), 0);
    return m;
}

/* Sends n identical responses at `now`; counts the verdicts. */
static void burst(uint32_t client, const struct answer_meta *m, unsigned n, uint64_t now,
                  unsigned *sent, unsigned *dropped, unsigned *slipped)
{
    *sent = *dropped = *slipped = 0;
    for (unsigned i = 0; i < n; i++) {
        switch (rrl_check(&rrl, client, m, now)) {
        case RRL_SEND: (*sent)++; break;
        case RRL_DROP: (*dropped)++; break;
        case RRL_SLIP: (*slipped)++; break;
        }
    }
}

START_TEST(a_burst_beyond_the_rate_is_dropped_with_slips)
{
    sim_start_kernel(0);
    rrl_init(&rrl, 10, 2);
    struct answer_meta m = answer(ANSWER_DATA, "www.example.com", 1);
    unsigned sent, dropped, slipped;
    burst(addr(198, 51, 100, 7), &m, 30, sim_now(), &sent, &dropped, &slipped);
    /* 10 per second go out; of the 20 beyond, every 2nd slips (TC=1), the others are dropped. */
    ck_assert_uint_eq(sent, 10);
    ck_assert_uint_eq(slipped, 10);
    ck_assert_uint_eq(dropped, 10);
    ck_assert_uint_eq(rrl.stats.limited, 20);
    ck_assert_uint_eq(rrl.stats.slipped, 10);
    ck_assert_uint_eq(rrl.stats.dropped, 10);
}
END_TEST

START_TEST(the_allowance_refills_with_time)
{
    sim_start_kernel(0);
    rrl_init(&rrl, 10, 0);
    struct answer_meta m = answer(ANSWER_DATA, "www.example.com", 1);
    unsigned sent, dropped, slipped;
    uint64_t t = sim_now();
    burst(addr(198, 51, 100, 7), &m, 20, t, &sent, &dropped, &slipped);
    ck_assert_uint_eq(sent, 10);
    ck_assert_uint_eq(slipped, 0);       /* slip 0: never */
    /* Half a second later, half the allowance is back; after a long pause, one second's worth
     * and no more. */
    burst(addr(198, 51, 100, 7), &m, 20, t + NS_PER_S / 2, &sent, &dropped, &slipped);
    ck_assert_uint_eq(sent, 5);
    burst(addr(198, 51, 100, 7), &m, 20, t + 60 * NS_PER_S, &sent, &dropped, &slipped);
    ck_assert_uint_eq(sent, 10);
    /* A steady 10 per second is never limited. */
    uint64_t base = t + 120 * NS_PER_S;
    for (unsigned i = 0; i < 100; i++)
        ck_assert_int_eq(rrl_check(&rrl, addr(198, 51, 100, 7), &m, base + i * (NS_PER_S / 10)),
                         RRL_SEND);
}
END_TEST

START_TEST(a_prefix_shares_one_account_and_others_are_apart)
{
    sim_start_kernel(0);
    rrl_init(&rrl, 5, 1);
    struct answer_meta m = answer(ANSWER_DATA, "www.example.com", 1);
    unsigned sent, dropped, slipped;
    uint64_t t = sim_now();
    /* Addresses in one /24 (a victim's network) share the allowance... */
    burst(addr(198, 51, 100, 1), &m, 3, t, &sent, &dropped, &slipped);
    burst(addr(198, 51, 100, 200), &m, 5, t, &sent, &dropped, &slipped);
    ck_assert_uint_eq(sent, 2);
    ck_assert_uint_eq(slipped, 3);       /* slip 1: every limited response slips */
    /* ...another /24 has its own. */
    burst(addr(198, 51, 101, 1), &m, 5, t, &sent, &dropped, &slipped);
    ck_assert_uint_eq(sent, 5);
    /* So do another name, another type, another kind of answer. */
    struct answer_meta other = answer(ANSWER_DATA, "web.example.com", 1);
    burst(addr(198, 51, 100, 1), &other, 5, t, &sent, &dropped, &slipped);
    ck_assert_uint_eq(sent, 5);
    other = answer(ANSWER_DATA, "www.example.com", 28);
    burst(addr(198, 51, 100, 1), &other, 5, t, &sent, &dropped, &slipped);
    ck_assert_uint_eq(sent, 5);
    other = answer(ANSWER_NODATA, "www.example.com", 1);
    burst(addr(198, 51, 100, 1), &other, 5, t, &sent, &dropped, &slipped);
    ck_assert_uint_eq(sent, 5);
    /* Names differ only in case: the same answer (RFC 4343). */
    other = answer(ANSWER_DATA, "WWW.example.com", 1);
    burst(addr(198, 51, 100, 1), &other, 1, t, &sent, &dropped, &slipped);
    ck_assert_uint_eq(sent, 0);
}
END_TEST

START_TEST(nxdomain_and_errors_share_an_account_per_prefix)
{
    sim_start_kernel(0);
    rrl_init(&rrl, 5, 0);
    uint64_t t = sim_now();
    /* answer.c keys NXDOMAIN by the zone, so random names do not each get an allowance. */
    unsigned sent = 0;
    for (unsigned i = 0; i < 20; i++) {
        struct answer_meta m = answer(ANSWER_NXDOMAIN, "example.com", (uint16_t)(1 + i));
        sent += rrl_check(&rrl, addr(203, 0, 113, 9), &m, t) == RRL_SEND;
    }
    ck_assert_uint_eq(sent, 5);
    /* REFUSED for any name: one account. */
    sent = 0;
    for (unsigned i = 0; i < 20; i++) {
        struct answer_meta m = answer(ANSWER_REFUSED, i % 2 ? "a.example.org" : "b.example.net", 1);
        sent += rrl_check(&rrl, addr(203, 0, 113, 9), &m, t) == RRL_SEND;
    }
    ck_assert_uint_eq(sent, 5);
}
END_TEST

START_TEST(rate_zero_limits_nothing)
{
    sim_start_kernel(0);
    rrl_init(&rrl, 0, 2);
    struct answer_meta m = answer(ANSWER_DATA, "www.example.com", 1);
    unsigned sent, dropped, slipped;
    burst(addr(198, 51, 100, 7), &m, 1000, sim_now(), &sent, &dropped, &slipped);
    ck_assert_uint_eq(sent, 1000);
    ck_assert_uint_eq(rrl.stats.responses, 0);
}
END_TEST

START_TEST(a_full_table_reuses_the_least_recent_entry)
{
    sim_start_kernel(0);
    rrl_init(&rrl, 1, 0);
    uint64_t t = sim_now();
    /* Far more keys than entries: the table never grows, entries are reused and counted. */
    for (unsigned i = 0; i < 4 * RRL_ENTRIES; i++) {
        struct answer_meta m = answer(ANSWER_DATA, "www.example.com", (uint16_t)i);
        ck_assert_int_eq(rrl_check(&rrl, addr(10, (uint8_t)(i >> 8), (uint8_t)i, 1), &m, t + i),
                         RRL_SEND);
    }
    ck_assert_uint_gt(rrl.stats.evictions, 0);
}
END_TEST

static Suite *rrl_suite(void)
{
    Suite *s = suite_create("dns_rrl");
    TCase *tc = tcase_create("rrl");
    tcase_add_test(tc, a_burst_beyond_the_rate_is_dropped_with_slips);
    tcase_add_test(tc, the_allowance_refills_with_time);
    tcase_add_test(tc, a_prefix_shares_one_account_and_others_are_apart);
    tcase_add_test(tc, nxdomain_and_errors_share_an_account_per_prefix);
    tcase_add_test(tc, rate_zero_limits_nothing);
    tcase_add_test(tc, a_full_table_reuses_the_least_recent_entry);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(rrl_suite)
