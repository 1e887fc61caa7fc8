/*
 * Unit tests of the appliance's transports (server.c) on two stacks wired back to back over the
 * in-memory pair on the simulated clock (test/unit/tcp_fixture.h): the server on B (10.1.0.2),
 * clients on A. DNS over UDP; over TCP with the 2-byte length (RFC 1035 4.2.2), pipelined queries
 * answered in order and the idle timeout (RFC 7766 6.2.1, 6.2.3); rate limiting applied to UDP
 * only, with slips.
 *
 * Run with:  make APP=dns app-unit   (also part of make test-unit)
 */
#include <check.h>

#include "dnsd.h"
#include "test/unit/tcp_fixture.h"
#include "xenolith/tcp.h"
#include "xenolith/udp.h"
#include "xenolith/test_main.h"

static const char zone_text[] = "$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n NS ns1\nns1 A 192.0.2.53\n"
                                "www A 192.0.2.80\n";

static struct zone_set zones;
static struct dnsd_config cfg;
static struct dnsd_server srv;

static void start(uint32_t rrl_rate)
{
    tcp_fixture_setup();
    struct dns_name origin;
    char err[ZONE_ERROR_MAX];
    struct zone *z;
    ck_assert_int_eq(dns_name_from_text(&origin, "example.com", 11), 0);
    ck_assert_int_eq(zone_parse("t.zone", zone_text, sizeof(zone_text) - 1, &origin, &z, err,
                                sizeof(err)), 0);
    zones = (struct zone_set){ 0 };
    ck_assert_int_eq(zone_set_add(&zones, z), 0);
    cfg = (struct dnsd_config){ .port = 53, .udp_max = 1232, .rrl_rate = rrl_rate, .rrl_slip = 2,
                                .max_conns = 4, .tcp_idle_s = 10 };
    ck_assert_int_eq(dnsd_server_start(&srv, sb, &cfg, &zones), 0);
}

static void stop_server(void *arg)
{
    (void)arg;
    dnsd_server_stop(&srv, SEC);         /* joins fibers: it runs in one */
}

static void stop(void)
{
    tf_run_in_fiber(stop_server, NULL, 5 * SEC);
    zone_set_free(&zones);
    tcp_fixture_down();
}

static size_t query(uint8_t *buf, uint16_t id, const char *name)
{
    struct dns_writer w;
    dns_writer_init(&w, buf, 512);
    struct dns_header h = { .id = id, .qdcount = 1 };
    struct dns_question q = { .type = DNS_TYPE_A, .qclass = DNS_CLASS_IN };
    ck_assert_int_eq(dns_name_from_text(&q.name, name, strlen(name)), 0);
    ck_assert_int_eq(dns_write_header(&w, &h), 0);
    ck_assert_int_eq(dns_write_question(&w, &q), 0);
    return dns_writer_len(&w);
}

/* ---- UDP ---- */

struct udp_run {
    unsigned sent, answers, slips;
};

static int udp_client(void *arg)
{
    struct udp_run *run = arg;
    struct udp_socket *s;
    ck_assert_int_eq(udp_bind(sa, 0, &s), 0);
    uint8_t q[512], r[1232];
    size_t len = query(q, 7, "www.example.com");
    for (unsigned i = 0; i < run->sent; i++)
        ck_assert_int_eq(udp_sendto(s, B_IP, 53, q, len), (int)len);
    for (;;) {
        int n = udp_recvfrom(s, r, sizeof(r), NULL, NULL, platform_monotonic_ns() + SEC);
        if (n < 0)
            break;
        struct dns_header h;
        struct dns_reader rd;
        ck_assert_int_eq(dns_reader_init(&rd, r, (size_t)n, &h), 0);
        ck_assert_uint_eq(h.id, 7);
        if (h.flags & DNS_FLAG_TC)
            run->slips++;
        else if (h.ancount == 1)
            run->answers++;
    }
    udp_close(s);
    return 0;
}

START_TEST(udp_queries_are_answered)
{
    start(0);
    struct udp_run run = { .sent = 3 };
    fiber_detach(fiber_spawn("client", udp_client, &run, 64 * 1024));
    run_for(5 * SEC);
    ck_assert_uint_eq(run.answers, 3);
    ck_assert_uint_eq(srv.stats.udp_queries, 3);
    ck_assert_uint_eq(srv.stats.noerror, 3);
    stop();
}
END_TEST

START_TEST(udp_responses_are_rate_limited_with_slips)
{
    start(5);
    /* 25 identical queries in one instant: 5 answered, of the 20 limited every 2nd slips. */
    struct udp_run run = { .sent = 25 };
    fiber_detach(fiber_spawn("client", udp_client, &run, 64 * 1024));
    run_for(5 * SEC);
    ck_assert_uint_eq(run.answers, 5);
    ck_assert_uint_eq(run.slips, 10);
    ck_assert_uint_eq(srv.stats.rrl_slipped, 10);
    ck_assert_uint_eq(srv.stats.rrl_dropped, 10);
    stop();
}
END_TEST

/* ---- TCP ---- */

struct tcp_run {
    bool pipelined;
    uint16_t ids[4];
    unsigned got;
    long end;                            /* what the last read returned */
    uint64_t idle_ns;                    /* from the last answer to the server's close */
};

static int tcp_client(void *arg)
{
    struct tcp_run *run = arg;
    struct tcp_conn *c;
    ck_assert_int_eq(tcp_connect(sa, B_IP, 53, platform_monotonic_ns() + 5 * SEC, &c), 0);
    /* Three queries in one write (RFC 7766 6.2.1.1: pipelining), each with its length. */
    uint8_t out[3 * 514];
    size_t n = 0;
    for (uint16_t id = 1; id <= 3; id++) {
        size_t len = query(out + n + 2, id, id == 2 ? "nothere.example.com" : "www.example.com");
        out[n] = 0;
        out[n + 1] = (uint8_t)len;
        n += 2 + len;
    }
    ck_assert_int_eq(tcp_write(c, out, n, platform_monotonic_ns() + 5 * SEC), (long)n);
    static uint8_t in[4096];
    size_t used = 0;
    uint64_t last = 0;
    for (;;) {
        long r = tcp_read(c, in + used, sizeof(in) - used, platform_monotonic_ns() + 60 * SEC);
        if (r <= 0) {
            run->end = r;
            run->idle_ns = platform_monotonic_ns() - last;
            break;
        }
        used += (size_t)r;
        while (used >= 2 && used >= 2u + (in[0] << 8 | in[1])) {
            size_t len = (size_t)(in[0] << 8 | in[1]);
            struct dns_header h;
            struct dns_reader rd;
            ck_assert_int_eq(dns_reader_init(&rd, in + 2, len, &h), 0);
            if (run->got < 4)
                run->ids[run->got] = h.id;
            run->got++;
            last = platform_monotonic_ns();
            memmove(in, in + 2 + len, used - 2 - len);
            used -= 2 + len;
        }
    }
    tcp_close(c);
    return 0;
}

START_TEST(tcp_pipelined_queries_are_answered_in_order_then_idle_closes)
{
    start(5);
    struct tcp_run run = { .pipelined = true };
    fiber_detach(fiber_spawn("client", tcp_client, &run, 64 * 1024));
    run_for(30 * SEC);
    /* RFC 1035 4.2.2 framing; RFC 7766 6.2.1: several queries on one connection, answered. */
    ck_assert_uint_eq(run.got, 3);
    ck_assert_uint_eq(run.ids[0], 1);
    ck_assert_uint_eq(run.ids[1], 2);
    ck_assert_uint_eq(run.ids[2], 3);
    ck_assert_uint_eq(srv.stats.tcp_queries, 3);
    ck_assert_uint_eq(srv.stats.nxdomain, 1);
    ck_assert_uint_eq(srv.stats.tcp_connections, 1);
    /* RFC 7766 6.2.3: the server closes a connection idle for tcp_idle_s (10 s, counted from
     * its last read; the client saw the last answer a delayed ACK later). */
    ck_assert_int_eq(run.end, 0);
    ck_assert_uint_ge(run.idle_ns, 9 * SEC + SEC / 2);
    ck_assert_uint_lt(run.idle_ns, 11 * SEC);
    /* TCP is never rate limited: nothing was counted. */
    ck_assert_uint_eq(srv.rrl.stats.responses, 0);
    stop();
}
END_TEST

static Suite *server_suite(void)
{
    Suite *s = suite_create("dns_server");
    TCase *tc = tcase_create("server");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, udp_queries_are_answered);
    tcase_add_test(tc, udp_responses_are_rate_limited_with_slips);
    tcase_add_test(tc, tcp_pipelined_queries_are_answered_in_order_then_idle_closes);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(server_suite)
