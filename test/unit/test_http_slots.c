/*
 * Unit tests for net/http_slots: the httpd's overload policy and the deadlines that bound slow
 * clients, on a simulated clock (times are plain numbers the test advances). What is checked:
 * a connection the server has finished with (CLOSING) does not count against the client limit;
 * at the limit the connection idle longest goes first, then the request head begun first
 * (nginx's reuse of idle keep-alive connections, then the slowloris heads), and a new client is
 * refused only when every slot does real work; the head timeout holds however slowly a head
 * trickles (slowloris); a slow body and a slow reader are cut when they fall behind the minimum
 * rate after the grace, and a client at the rate never is.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "http/http_slots.h"
#include "xenolith/test_main.h"

#define S(n) ((uint64_t)(n) * 1000000000ull)
#define MS(n) ((uint64_t)(n) * 1000000ull)

static const struct http_timeouts timeouts = {
    .idle_ns = S(15), .head_ns = S(10), .body_ns = S(10), .body_min_rate = 1024,
    .send_ns = S(30), .send_min_rate = 1024, .linger_ns = S(2),
};

/* A table of `limit` clients, every slot added at t = 0, 1, 2 ... s. */
static void fill(struct http_slots *t, struct http_slot *slots, unsigned n, unsigned limit)
{
    http_slots_init(t, limit, limit);
    for (unsigned i = 0; i < n; i++)
        http_slots_add(t, &slots[i], S(i));
}

START_TEST(room_below_the_limit)
{
    struct http_slots t;
    struct http_slot s[3], *victim;
    fill(&t, s, 2, 3);
    ck_assert_int_eq(http_slots_admit(&t, &victim), HTTP_ADMIT_ROOM);
    ck_assert_ptr_null(victim);
    http_slots_add(&t, &s[2], S(2));
    ck_assert_uint_eq(http_slots_clients(&t), 3);
    /* Full, but every client is waiting: the one waiting longest makes room. */
    ck_assert_int_eq(http_slots_admit(&t, &victim), HTTP_ADMIT_EVICT_WAITING);
    ck_assert_ptr_eq(victim, &s[0]);
}
END_TEST

START_TEST(closing_connections_do_not_count)
{
    /* The reported failure: answered connections draining (lingering close) held client slots,
     * so short connections filled the limit. CLOSING frees the client slot at once. */
    struct http_slots t;
    struct http_slot s[4], *victim;
    fill(&t, s, 3, 3);
    for (unsigned i = 0; i < 3; i++) {
        http_slots_enter(&t, &s[i], HTTP_PHASE_HEAD, S(10));
        http_slots_enter(&t, &s[i], HTTP_PHASE_RESPONSE, S(10));
    }
    ck_assert_int_eq(http_slots_admit(&t, &victim), HTTP_ADMIT_REFUSE);
    ck_assert_ptr_null(http_slots_enter(&t, &s[1], HTTP_PHASE_CLOSING, S(11)));
    ck_assert_uint_eq(http_slots_clients(&t), 2);
    ck_assert_int_eq(http_slots_admit(&t, &victim), HTTP_ADMIT_ROOM);
    http_slots_add(&t, &s[3], S(11));
    http_slots_enter(&t, &s[3], HTTP_PHASE_BODY, S(11));
    ck_assert_int_eq(http_slots_admit(&t, &victim), HTTP_ADMIT_REFUSE);
    /* Ending it leaves no trace; removing twice is harmless. */
    http_slots_remove(&t, &s[1]);
    http_slots_remove(&t, &s[1]);
    ck_assert_uint_eq(t.count[HTTP_PHASE_CLOSING], 0);
    ck_assert_uint_eq(http_slots_clients(&t), 3);
}
END_TEST

START_TEST(idle_keep_alive_goes_before_heads)
{
    /* Order: idle (WAITING) connections first, the one idle longest first, then heads. A
     * kept-alive connection that just answered becomes the newest idle one. */
    struct http_slots t;
    struct http_slot s[4], *victim;
    fill(&t, s, 4, 4);
    http_slots_enter(&t, &s[0], HTTP_PHASE_HEAD, S(5));        /* slowloris, began first */
    http_slots_enter(&t, &s[1], HTTP_PHASE_HEAD, S(6));
    http_slots_enter(&t, &s[2], HTTP_PHASE_HEAD, S(7));        /* a request, answered ... */
    http_slots_enter(&t, &s[2], HTTP_PHASE_RESPONSE, S(7));
    http_slots_enter(&t, &s[2], HTTP_PHASE_WAITING, S(8));     /* ... and kept alive */
    ck_assert(s[2].kept_alive);
    ck_assert(!s[3].kept_alive);
    /* s[3] (new, waiting since 3 s) has waited longer than s[2] (idle since 8 s). */
    ck_assert_int_eq(http_slots_admit(&t, &victim), HTTP_ADMIT_EVICT_WAITING);
    ck_assert_ptr_eq(victim, &s[3]);
    http_slots_evict(&t, victim);
    ck_assert_uint_eq(http_slots_clients(&t), 3);
    http_slots_add(&t, &s[3], S(9));
    ck_assert_int_eq(http_slots_admit(&t, &victim), HTTP_ADMIT_EVICT_WAITING);
    ck_assert_ptr_eq(victim, &s[2]);
    http_slots_evict(&t, victim);
    http_slots_enter(&t, &s[3], HTTP_PHASE_HEAD, S(9));
    http_slots_add(&t, &s[2], S(9));
    http_slots_enter(&t, &s[2], HTTP_PHASE_RESPONSE, S(9));
    /* No one waits now: the head that began first (s[0] at 5 s) goes. */
    ck_assert_int_eq(http_slots_admit(&t, &victim), HTTP_ADMIT_EVICT_HEAD);
    ck_assert_ptr_eq(victim, &s[0]);
}
END_TEST

START_TEST(refused_only_when_all_slots_work)
{
    struct http_slots t;
    struct http_slot s[3], *victim;
    fill(&t, s, 3, 3);
    http_slots_enter(&t, &s[0], HTTP_PHASE_BODY, S(3));
    http_slots_enter(&t, &s[1], HTTP_PHASE_RESPONSE, S(3));
    http_slots_enter(&t, &s[2], HTTP_PHASE_HEAD, S(3));
    ck_assert_int_eq(http_slots_admit(&t, &victim), HTTP_ADMIT_EVICT_HEAD);
    ck_assert_ptr_eq(victim, &s[2]);
    http_slots_enter(&t, &s[2], HTTP_PHASE_RESPONSE, S(4));
    ck_assert_int_eq(http_slots_admit(&t, &victim), HTTP_ADMIT_REFUSE);
    ck_assert_ptr_null(victim);
    /* Memory short with slots free: the same order names what to give up, or nothing. */
    ck_assert_int_eq(http_slots_reclaim(&t, &victim), HTTP_ADMIT_REFUSE);
    http_slots_enter(&t, &s[1], HTTP_PHASE_WAITING, S(5));
    ck_assert_int_eq(http_slots_reclaim(&t, &victim), HTTP_ADMIT_EVICT_WAITING);
    ck_assert_ptr_eq(victim, &s[1]);
}
END_TEST

START_TEST(evicted_connection_stays_out)
{
    struct http_slots t;
    struct http_slot s[2], *victim;
    fill(&t, s, 2, 2);
    http_slots_evict(&t, &s[0]);
    ck_assert_int_eq(s[0].phase, HTTP_PHASE_EVICTED);
    ck_assert_uint_eq(http_slots_clients(&t), 1);
    /* Its owner may still try to move it on before it sees why it was woken: no effect. */
    ck_assert_ptr_null(http_slots_enter(&t, &s[0], HTTP_PHASE_HEAD, S(3)));
    ck_assert_int_eq(s[0].phase, HTTP_PHASE_EVICTED);
    ck_assert_uint_eq(http_slots_clients(&t), 1);
    ck_assert_int_eq(http_slots_admit(&t, &victim), HTTP_ADMIT_ROOM);
    http_slots_remove(&t, &s[0]);
    ck_assert_uint_eq(t.count[HTTP_PHASE_EVICTED], 0);
    /* Deadline of an evicted one: now. */
    struct http_slot e = { .phase = HTTP_PHASE_EVICTED, .since_ns = S(7) };
    ck_assert_uint_eq(http_slot_deadline(&timeouts, &e, 0), S(7));
}
END_TEST

START_TEST(closing_is_bounded_oldest_cut_first)
{
    struct http_slots t;
    struct http_slot s[3];
    http_slots_init(&t, 10, 2);
    for (unsigned i = 0; i < 3; i++)
        http_slots_add(&t, &s[i], S(i));
    ck_assert_ptr_null(http_slots_enter(&t, &s[1], HTTP_PHASE_CLOSING, S(5)));
    ck_assert_ptr_null(http_slots_enter(&t, &s[0], HTTP_PHASE_CLOSING, S(6)));
    ck_assert_ptr_eq(http_slots_enter(&t, &s[2], HTTP_PHASE_CLOSING, S(7)), &s[1]);
    http_slots_evict(&t, &s[1]);
    ck_assert_uint_eq(t.count[HTTP_PHASE_CLOSING], 2);
    ck_assert_str_eq(http_phase_name(HTTP_PHASE_CLOSING), "closing");
}
END_TEST

/* ---- deadlines ---- */

START_TEST(waiting_new_and_kept_alive)
{
    struct http_slots t;
    struct http_slot s;
    http_slots_init(&t, 4, 4);
    http_slots_add(&t, &s, S(100));
    /* A new connection owes its first head within the head timeout from the accept. */
    ck_assert_uint_eq(http_slot_deadline(&timeouts, &s, 0), S(110));
    http_slots_enter(&t, &s, HTTP_PHASE_HEAD, S(101));
    http_slots_enter(&t, &s, HTTP_PHASE_RESPONSE, S(102));
    http_slots_enter(&t, &s, HTTP_PHASE_WAITING, S(103));
    /* Kept alive: the idle timeout from the end of the answer. */
    ck_assert_uint_eq(http_slot_deadline(&timeouts, &s, 0), S(118));
    http_slots_enter(&t, &s, HTTP_PHASE_CLOSING, S(120));
    ck_assert_uint_eq(http_slot_deadline(&timeouts, &s, 0), S(122));
}
END_TEST

START_TEST(head_timeout_holds_against_a_trickle)
{
    /* Slowloris: one more field line every second never moves the head's deadline; the head
     * is cut head_ns after its first byte. */
    struct http_slots t;
    struct http_slot s;
    http_slots_init(&t, 4, 4);
    http_slots_add(&t, &s, 0);
    http_slots_enter(&t, &s, HTTP_PHASE_HEAD, MS(500));
    uint64_t now = MS(500);
    unsigned lines = 0;
    while (now < http_slot_deadline(&timeouts, &s, lines * 8ull)) {
        now += S(1);
        lines++;
    }
    ck_assert_uint_eq(http_slot_deadline(&timeouts, &s, 0), MS(10500));
    ck_assert_uint_eq(lines, 10);
}
END_TEST

/* Runs a client sending or taking `rate` bytes per second from phase start, checking once a
 * second; returns the seconds into the phase at the first check past the deadline (or limit
 * when it never passes). */
static unsigned cut_at(enum http_phase phase, uint32_t rate, unsigned limit)
{
    struct http_slots t;
    struct http_slot s;
    http_slots_init(&t, 4, 4);
    http_slots_add(&t, &s, 0);
    http_slots_enter(&t, &s, phase, S(1));
    uint64_t progress = 0;
    for (unsigned sec = 1; sec < limit; sec++) {
        if (S(sec) >= http_slot_deadline(&timeouts, &s, progress))
            return sec - 1;
        progress += rate;
    }
    return limit;
}

START_TEST(slow_read_is_cut_at_the_minimum_rate)
{
    /* slowhttptest -X reads a few bytes a second: cut once the grace is used up (30 s). */
    ck_assert_uint_eq(cut_at(HTTP_PHASE_RESPONSE, 0, 3600), 30);
    ck_assert_uint_eq(cut_at(HTTP_PHASE_RESPONSE, 5, 3600), 31);
    /* Half the minimum rate: the grace stretches to about twice as long, then the cut. */
    unsigned half = cut_at(HTTP_PHASE_RESPONSE, 512, 3600);
    ck_assert_uint_ge(half, 59);
    ck_assert_uint_le(half, 61);
    /* At the minimum rate or above: never. */
    ck_assert_uint_eq(cut_at(HTTP_PHASE_RESPONSE, 1024, 3600), 3600);
    ck_assert_uint_eq(cut_at(HTTP_PHASE_RESPONSE, 1 << 20, 3600), 3600);
}
END_TEST

START_TEST(slow_body_is_cut_at_the_minimum_rate)
{
    ck_assert_uint_eq(cut_at(HTTP_PHASE_BODY, 0, 3600), 10);
    ck_assert_uint_eq(cut_at(HTTP_PHASE_BODY, 100, 3600), 12);
    ck_assert_uint_eq(cut_at(HTTP_PHASE_BODY, 2048, 3600), 3600);
}
END_TEST

START_TEST(deadlines_saturate)
{
    struct http_slot s = { .phase = HTTP_PHASE_RESPONSE, .since_ns = UINT64_MAX - S(1) };
    ck_assert_uint_eq(http_slot_deadline(&timeouts, &s, 0), UINT64_MAX);
    s.since_ns = 0;
    ck_assert_uint_eq(http_slot_deadline(&timeouts, &s, UINT64_MAX), UINT64_MAX);
    struct http_timeouts zero_rate = timeouts;
    zero_rate.send_min_rate = 0;                 /* treated as 1 byte per second */
    ck_assert_uint_eq(http_slot_deadline(&zero_rate, &s, 3), S(33));
    /* Fractions of a second count. */
    ck_assert_uint_eq(http_slot_deadline(&timeouts, &s, 512), S(30) + MS(500));
}
END_TEST

static Suite *http_slots_suite(void)
{
    Suite *s = suite_create("http_slots");
    TCase *tc = tcase_create("overload");
    tcase_add_test(tc, room_below_the_limit);
    tcase_add_test(tc, closing_connections_do_not_count);
    tcase_add_test(tc, idle_keep_alive_goes_before_heads);
    tcase_add_test(tc, refused_only_when_all_slots_work);
    tcase_add_test(tc, evicted_connection_stays_out);
    tcase_add_test(tc, closing_is_bounded_oldest_cut_first);
    suite_add_tcase(s, tc);
    tc = tcase_create("deadlines");
    tcase_add_test(tc, waiting_new_and_kept_alive);
    tcase_add_test(tc, head_timeout_holds_against_a_trickle);
    tcase_add_test(tc, slow_read_is_cut_at_the_minimum_rate);
    tcase_add_test(tc, slow_body_is_cut_at_the_minimum_rate);
    tcase_add_test(tc, deadlines_saturate);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(http_slots_suite)
