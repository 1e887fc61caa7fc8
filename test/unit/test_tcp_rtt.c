/*
 * Unit tests for net/tcp_rtt: the RFC 6298 estimator (initial value, first and later samples,
 * bounds, clock granularity, backoff, Karn's rule, the 3 s rule after a lost SYN) and RTT samples
 * from timestamps (RFC 7323 4.2 and appendix G). Times are synthetic nanoseconds.
 */
#include <check.h>
#include <stdlib.h>

#include "net/tcp/tcp_rtt.h"
#include "xenolith/test_main.h"

#define MS 1000000ull
#define SEC (1000 * MS)

static struct tcp_rtt r;

static void fresh(void)
{
    tcp_rtt_init(&r, 0, 0, 0);
}

/* RFC 6298 2.1: before any measurement the RTO is 1 s. */
START_TEST(initial_rto_is_one_second)
{
    fresh();
    ck_assert_uint_eq(tcp_rtt_rto(&r), 1 * SEC);
    ck_assert_uint_eq(tcp_rtt_srtt(&r), 0);
    tcp_rtt_init(&r, 2 * SEC, 0, 0);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 2 * SEC);
}
END_TEST

/* RFC 6298 2.2: SRTT = R, RTTVAR = R/2, RTO = SRTT + max(G, K*RTTVAR). */
START_TEST(first_sample)
{
    fresh();
    tcp_rtt_sample(&r, 500 * MS);
    ck_assert_uint_eq(tcp_rtt_srtt(&r), 500 * MS);
    ck_assert_uint_eq(tcp_rtt_rttvar(&r), 250 * MS);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 1500 * MS);
}
END_TEST

/* RFC 6298 2.3: RTTVAR from the old SRTT first (beta 1/4), then SRTT (alpha 1/8). */
START_TEST(later_samples)
{
    fresh();
    tcp_rtt_sample(&r, 500 * MS);
    tcp_rtt_sample(&r, 900 * MS);
    /* RTTVAR = 3/4 * 250 + 1/4 * |500 - 900| = 287.5; SRTT = 7/8 * 500 + 1/8 * 900 = 550 */
    ck_assert_uint_eq(tcp_rtt_rttvar(&r), 287500 * 1000ull);
    ck_assert_uint_eq(tcp_rtt_srtt(&r), 550 * MS);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 1700 * MS);
    /* A faster sample lowers SRTT. */
    tcp_rtt_sample(&r, 150 * MS);
    ck_assert_uint_lt(tcp_rtt_srtt(&r), 550 * MS);
}
END_TEST

/* RFC 6298 2.4: an RTO below the minimum is rounded up: 200 ms by default (the RFC's 1 s
 * minimum may be lowered; net/tcp/tcp_rtt.h says why), configurable, e.g. to the RFC's 1 s. */
START_TEST(minimum_rto)
{
    fresh();
    tcp_rtt_sample(&r, 10 * MS);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 200 * MS);
    tcp_rtt_init(&r, 0, 1 * SEC, 0);
    tcp_rtt_sample(&r, 10 * MS);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 1 * SEC);
}
END_TEST

/* RFC 6298 2.5: a maximum of at least 60 s bounds the RTO. */
START_TEST(maximum_rto)
{
    fresh();
    tcp_rtt_sample(&r, 40 * SEC);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 60 * SEC);
}
END_TEST

/* RFC 6298 2.3: RTO = SRTT + max(G, 4 * RTTVAR): with a steady RTT RTTVAR shrinks toward 0 and
 * the clock granularity G (1 ms) keeps the RTO above SRTT. */
START_TEST(granularity_term)
{
    tcp_rtt_init(&r, 0, 1 * MS, 0);
    for (int i = 0; i < 200; i++)
        tcp_rtt_sample(&r, 100 * MS);
    ck_assert_uint_lt(4 * tcp_rtt_rttvar(&r), 1 * MS);
    ck_assert_uint_eq(tcp_rtt_rto(&r), tcp_rtt_srtt(&r) + 1 * MS);
}
END_TEST

/* RFC 6298 5.5: each expiry doubles the RTO, up to the maximum; a new sample (5.7 / Karn) ends
 * the backoff. */
START_TEST(backoff_doubles_and_caps)
{
    fresh();
    tcp_rtt_sample(&r, 1 * SEC);          /* RTO 3 s */
    ck_assert_uint_eq(tcp_rtt_rto(&r), 3 * SEC);
    tcp_rtt_on_timeout(&r);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 6 * SEC);
    tcp_rtt_on_timeout(&r);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 12 * SEC);
    for (int i = 0; i < 40; i++)
        tcp_rtt_on_timeout(&r);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 60 * SEC);
    tcp_rtt_sample(&r, 1 * SEC);
    ck_assert_uint_eq(tcp_rtt_backoff(&r), 0);
    ck_assert_uint_lt(tcp_rtt_rto(&r), 6 * SEC);
}
END_TEST

/* RFC 6298 3 (Karn): a retransmitted segment gives no sample, and the backed-off RTO stays until
 * a segment sent once is acknowledged. */
START_TEST(karn_no_sample_from_retransmission)
{
    fresh();
    tcp_rtt_on_send(&r, 1000, false, 0);
    tcp_rtt_on_timeout(&r);
    tcp_rtt_on_send(&r, 1000, true, 1 * SEC);
    struct tcp_rtt_ack a = {.now_ns = 1100 * MS, .ack = 1000, .snd_una = 0};
    ck_assert_uint_eq(tcp_rtt_on_ack(&r, &a), 0);
    ck_assert_uint_eq(tcp_rtt_srtt(&r), 0);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 2 * SEC);
    /* The next segment, sent once, is timed and its ACK ends the backoff. */
    tcp_rtt_on_send(&r, 2000, false, 2 * SEC);
    a = (struct tcp_rtt_ack){.now_ns = 2 * SEC + 300 * MS, .ack = 2000, .snd_una = 1000};
    ck_assert_uint_eq(tcp_rtt_on_ack(&r, &a), 300 * MS);
    ck_assert_uint_eq(tcp_rtt_srtt(&r), 300 * MS);
    ck_assert_uint_eq(tcp_rtt_backoff(&r), 0);
}
END_TEST

/* RFC 6298 3: one segment timed at a time; its sample comes when the ACK covers all of it. */
START_TEST(one_timed_segment)
{
    fresh();
    tcp_rtt_on_send(&r, 1000, false, 0);
    tcp_rtt_on_send(&r, 2000, false, 50 * MS);   /* not timed: one is already */
    struct tcp_rtt_ack a = {.now_ns = 80 * MS, .ack = 500, .snd_una = 0};
    ck_assert_uint_eq(tcp_rtt_on_ack(&r, &a), 0);   /* covers only part of it */
    a = (struct tcp_rtt_ack){.now_ns = 100 * MS, .ack = 2000, .snd_una = 500};
    ck_assert_uint_eq(tcp_rtt_on_ack(&r, &a), 100 * MS);
    /* Sequence numbers wrap: a segment ending past 2^32 is timed the same way. */
    fresh();
    tcp_rtt_on_send(&r, 0x100, false, 0);
    a = (struct tcp_rtt_ack){.now_ns = 70 * MS, .ack = 0x100, .snd_una = 0xffffff00u};
    ck_assert_uint_eq(tcp_rtt_on_ack(&r, &a), 70 * MS);
}
END_TEST

/* RFC 7323 4.2: with timestamps the sample is TSval-now minus TSecr, taken only from an ACK that
 * advances SND.UNA; retransmissions are not ambiguous. */
START_TEST(timestamp_samples)
{
    fresh();
    struct tcp_rtt_ack a = {.now_ns = 0, .ack = 100, .snd_una = 100, .has_tsecr = true,
                            .tsecr = 5000, .ts_now = 5040, .flight_size = 1000, .smss = 1000};
    ck_assert_uint_eq(tcp_rtt_on_ack(&r, &a), 0);      /* no new data acknowledged */
    a.ack = 1100;
    ck_assert_uint_eq(tcp_rtt_on_ack(&r, &a), 40 * MS);
    ck_assert_uint_eq(tcp_rtt_srtt(&r), 40 * MS);
    /* After a timeout the echoed TSval still names the transmission: the sample counts. */
    tcp_rtt_on_timeout(&r);
    a = (struct tcp_rtt_ack){.ack = 2100, .snd_una = 1100, .has_tsecr = true, .tsecr = 0xfffffff0u,
                             .ts_now = 0x20, .flight_size = 1000, .smss = 1000};
    ck_assert_uint_eq(tcp_rtt_on_ack(&r, &a), 48 * MS);  /* across the 2^32 wrap */
    ck_assert_uint_eq(tcp_rtt_backoff(&r), 0);
}
END_TEST

/* An echo of a TSval we have not sent yet (or older than the maximum RTO) is no sample. */
START_TEST(timestamp_bogus_echo)
{
    fresh();
    struct tcp_rtt_ack a = {.ack = 1100, .snd_una = 100, .has_tsecr = true, .tsecr = 6000,
                            .ts_now = 5000, .flight_size = 1000, .smss = 1000};
    ck_assert_uint_eq(tcp_rtt_on_ack(&r, &a), 0);
    a.tsecr = 1000;
    a.ts_now = 1000 + 61000;        /* 61 s old */
    ck_assert_uint_eq(tcp_rtt_on_ack(&r, &a), 0);
    ck_assert_uint_eq(tcp_rtt_srtt(&r), 0);
}
END_TEST

/* RFC 7323 appendix G: with many samples per window the gains are divided by
 * ExpectedSamples = ceil(FlightSize / (2 * SMSS)). */
START_TEST(timestamp_gain_per_window)
{
    struct tcp_rtt full, scaled;
    tcp_rtt_init(&full, 0, 0, 0);
    tcp_rtt_init(&scaled, 0, 0, 0);
    struct tcp_rtt_ack a = {.ack = 1100, .snd_una = 100, .has_tsecr = true, .tsecr = 1000,
                            .ts_now = 1100, .flight_size = 2000, .smss = 1000};
    tcp_rtt_on_ack(&full, &a);                 /* first samples: 100 ms each */
    tcp_rtt_on_ack(&scaled, &a);
    a.ts_now = 1900;                           /* 900 ms */
    a.flight_size = 2000;                      /* one expected sample: full gain */
    tcp_rtt_on_ack(&full, &a);
    a.flight_size = 20000;                     /* ten expected samples */
    tcp_rtt_on_ack(&scaled, &a);
    /* full gain: SRTT = 100 + 800/8 = 200; a tenth of it: 100 + 800/80 = 110 */
    ck_assert_uint_eq(tcp_rtt_srtt(&full), 200 * MS);
    ck_assert_uint_eq(tcp_rtt_srtt(&scaled), 110 * MS);
    /* RTTVAR: 50 -> 50 + (800 - 50)/4 = 237.5 full; 50 + 750/40 = 68.75 scaled */
    ck_assert_uint_eq(tcp_rtt_rttvar(&full), 237500 * 1000ull);
    ck_assert_uint_eq(tcp_rtt_rttvar(&scaled), 68750 * 1000ull);
}
END_TEST

/* RFC 6298 5.7: a lost SYN leaves the data RTO at 3 s (when no sample was taken). */
START_TEST(syn_loss_three_seconds)
{
    fresh();
    tcp_rtt_on_timeout(&r);                     /* the SYN timed out */
    tcp_rtt_handshake_done(&r, true);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 3 * SEC);
    fresh();
    tcp_rtt_handshake_done(&r, false);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 1 * SEC);
    fresh();
    tcp_rtt_sample(&r, 100 * MS);               /* a timestamp sample from the SYN-ACK */
    tcp_rtt_handshake_done(&r, true);
    ck_assert_uint_eq(tcp_rtt_rto(&r), 300 * MS);   /* SRTT + 4 * RTTVAR = 100 + 4 * 50 ms */
}
END_TEST

/* The TSval clock ticks once per millisecond (RFC 7323 5.4 allows 1 ms .. 1 s). */
START_TEST(timestamp_clock)
{
    ck_assert_uint_eq(tcp_rtt_ts_clock(0), 0);
    ck_assert_uint_eq(tcp_rtt_ts_clock(999999), 0);
    ck_assert_uint_eq(tcp_rtt_ts_clock(5 * SEC), 5000);
}
END_TEST

static Suite *tcp_rtt_suite(void)
{
    Suite *s = suite_create("tcp_rtt");
    TCase *tc = tcase_create("rfc6298");
    tcase_add_test(tc, initial_rto_is_one_second);
    tcase_add_test(tc, first_sample);
    tcase_add_test(tc, later_samples);
    tcase_add_test(tc, minimum_rto);
    tcase_add_test(tc, maximum_rto);
    tcase_add_test(tc, granularity_term);
    tcase_add_test(tc, backoff_doubles_and_caps);
    tcase_add_test(tc, karn_no_sample_from_retransmission);
    tcase_add_test(tc, one_timed_segment);
    tcase_add_test(tc, syn_loss_three_seconds);
    suite_add_tcase(s, tc);
    tc = tcase_create("rfc7323");
    tcase_add_test(tc, timestamp_samples);
    tcase_add_test(tc, timestamp_bogus_echo);
    tcase_add_test(tc, timestamp_gain_per_window);
    tcase_add_test(tc, timestamp_clock);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tcp_rtt_suite)
