/*
 * Unit tests for TCP connections end to end on the in-memory pair (net/tcp/tcp.h): the three-way
 * handshake, data both ways, FIN, RST, retransmission, TIME_WAIT. Each test names the RFC rule it
 * checks.
 */
#include "test/unit/tcp_fixture.h"
#include "xenolith/test_main.h"

#define PORT 5001

static uint8_t server_buf[2 * 1024 * 1024];
static uint8_t client_buf[2 * 1024 * 1024];

static bool both_done(struct tf_server *s, struct tf_client *c)
{
    return s->done && c->done;
}

static void run_pair(struct tf_server *s, struct tf_client *c, uint64_t limit)
{
    uint64_t end = sim_now() + limit;
    while (!both_done(s, c) && sim_now() < end)
        run_for(10 * MS);
}

static void start_echo(struct tf_server *s, struct tf_client *c, size_t len)
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
    fiber_detach(fiber_spawn("server", tf_server_fiber, s, 0));
    fiber_detach(fiber_spawn("client", tf_client_fiber, c, 0));
}

/* RFC 9293 3.5 (three-way handshake), 3.6 (FIN both ways), 3.10.7: data both ways arrives intact
 * and in order, reads end with 0 at the peer's FIN. */
START_TEST(echo_transfer)
{
    struct tf_server s;
    struct tf_client c;
    start_echo(&s, &c, 300 * 1000);
    run_pair(&s, &c, 120 * SEC);
    ck_assert(s.done && c.done);
    ck_assert_int_eq(c.connect_rc, 0);
    ck_assert_int_eq(s.accept_rc, 0);
    ck_assert_int_eq(c.write_rc, 300 * 1000);
    ck_assert_uint_eq(s.got, 300 * 1000);
    ck_assert_uint_eq(c.back_got, 300 * 1000);
    ck_assert(tf_pattern_ok(server_buf, s.got));
    ck_assert(tf_pattern_ok(client_buf, c.back_got));
    ck_assert_int_eq(c.read_rc, 0);
    ck_assert_int_eq(s.read_rc, 0);
    tcp_listener_close(s.l);
    /* RFC 9293 3.6.1: the side that closed first (the client) waits in TIME_WAIT for 2*MSL. */
    struct tcp_census census;
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.time_wait, 1);
    run_for(61 * SEC);
    tcp_get_census(sa, &census);
    ck_assert_uint_eq(census.connections, 0);
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.connections, 0);
    ck_assert_uint_eq(census.buffered_bytes, 0);
}
END_TEST

struct connect_result {
    int rc;
    bool done;
};

static int connect_fiber(void *arg)
{
    struct connect_result *r = arg;
    struct tcp_conn *c = NULL;
    r->rc = tcp_connect(sa, B_IP, 6000, sim_now() + 30 * SEC, &c);
    if (!r->rc)
        tcp_close(c);
    r->done = true;
    return 0;
}

/* RFC 9293 3.10.7.1: a SYN to a port nobody listens on is answered with RST, which ends the open
 * (3.10.7.3: a RST with an acceptable ACK in SYN-SENT: "connection refused"). */
START_TEST(connect_refused)
{
    struct connect_result r = { 0 };
    fiber_detach(fiber_spawn("conn", connect_fiber, &r, 0));
    run_for(SEC);
    ck_assert(r.done);
    ck_assert_int_eq(r.rc, -ECONNREFUSED);
    ck_assert_uint_ge(sb->tcp.stats.rx_no_connection, 1);
    ck_assert_uint_ge(sb->tcp.stats.tx_rst, 1);
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
    Suite *s = suite_create("tcp_conn");
    TCase *tc = tcase_create("conn");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, echo_transfer);
    tcase_add_test(tc, connect_refused);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
