/*
 * Unit tests of the appliance's connections (server.c, conn.c) on two stacks wired back to back
 * over the in-memory pair on the simulated clock (test/unit/tcp_fixture.h): the server on B
 * (10.1.0.2) with the built-in page, a client on A sending raw bytes. A request-line that is
 * already invalid is answered with 400 at once, before the head ends or its timeout (RFC 9112 3),
 * as a port scanner's probes in other protocols are (nmap -sV, the TLS handshake of its HTTP
 * scripts); a valid request-line arriving in pieces is not refused on the way.
 *
 * Run with:  make APP=httpd app-unit   (also part of make test-unit)
 */
#include <check.h>

#include "httpd.h"
#include "test/unit/tcp_fixture.h"
#include "xenolith/tcp.h"
#include "xenolith/test_main.h"

static struct site site;
static struct server srv;

static void start(void)
{
    tcp_fixture_setup();
    ck_assert_int_eq(site_open(&site, NULL, 0, 1 << 20, 1 << 16), 0);
    struct httpd_config cfg;
    httpd_default_config(&cfg);
    cfg.access_log = false;
    ck_assert_int_eq(server_start(&srv, sb, &site, &cfg), 0);
}

static void stop_server(void *arg)
{
    (void)arg;
    server_stop(&srv, SEC);              /* joins fibers: it runs in one */
}

static void stop(void)
{
    tf_run_in_fiber(stop_server, NULL, 5 * SEC);
    site_close(&site);
    tcp_fixture_down();
}

/* A client that sends `first`, then `second` one second later (if any), and reads what the
 * server answers until it closes: the answer's first line and when it came. */
struct raw_run {
    const char *first, *second;
    size_t first_len;
    char status_line[64];
    uint64_t answered_after;             /* from the first write to the answer's first bytes */
    bool done;
};

static int raw_client(void *arg)
{
    struct raw_run *run = arg;
    struct tcp_conn *c;
    ck_assert_int_eq(tcp_connect(sa, B_IP, 80, platform_monotonic_ns() + 5 * SEC, &c), 0);
    uint64_t sent_at = platform_monotonic_ns();
    ck_assert_int_eq(tcp_write(c, run->first, run->first_len, sent_at + 5 * SEC),
                     (long)run->first_len);
    if (run->second) {
        char peek[16];
        /* Nothing comes back meanwhile: the request-line so far may still be valid. */
        ck_assert_int_eq(tcp_read(c, peek, sizeof(peek), platform_monotonic_ns() + SEC), -EAGAIN);
        ck_assert_int_eq(tcp_write(c, run->second, strlen(run->second),
                                   platform_monotonic_ns() + 5 * SEC), (long)strlen(run->second));
    }
    static char in[4096];
    size_t used = 0;
    for (;;) {
        long r = tcp_read(c, in + used, sizeof(in) - 1 - used, platform_monotonic_ns() + 30 * SEC);
        if (r <= 0)
            break;
        if (used == 0)
            run->answered_after = platform_monotonic_ns() - sent_at;
        used += (size_t)r;
    }
    in[used] = '\0';
    char *eol = strstr(in, "\r\n");
    size_t n = eol ? (size_t)(eol - in) : used;
    if (n >= sizeof(run->status_line))
        n = sizeof(run->status_line) - 1;
    memcpy(run->status_line, in, n);
    run->status_line[n] = '\0';
    tcp_close(c);
    run->done = true;
    return 0;
}

static void exchange(struct raw_run *run)
{
    fiber_detach(fiber_spawn("client", raw_client, run, 64 * 1024));
    run_for(40 * SEC);
    ck_assert(run->done);
}

/* RFC 9112 3: "Recipients of an invalid request-line SHOULD respond with either a 400 (Bad
 * Request) error or a 301 (Moved Permanently) redirect": the server knows it from the first line
 * and answers at once rather than with 408 when the head timeout (10 s) ends a head that never
 * comes. */
START_TEST(invalid_request_line_is_answered_400_at_once)
{
    start();
    struct raw_run help = { .first = "HELP\r\n", .first_len = 6 };
    exchange(&help);
    ck_assert_str_eq(help.status_line, "HTTP/1.1 400 Bad Request");
    ck_assert_uint_lt(help.answered_after, SEC);
    /* A TLS ClientHello never ends a line: its first byte (22) is no token character. */
    static const char hello[] = "\x16\x03\x01\x00\x68\x01\x00\x00\x64\x03\x03";
    struct raw_run tls = { .first = hello, .first_len = sizeof(hello) - 1 };
    exchange(&tls);
    ck_assert_str_eq(tls.status_line, "HTTP/1.1 400 Bad Request");
    ck_assert_uint_lt(tls.answered_after, SEC);
    /* The version is judged with the line: 505 (RFC 9110 15.6.6), as for the whole head. */
    struct raw_run v2 = { .first = "GET / HTTP/2.0\r\n", .first_len = 16 };
    exchange(&v2);
    ck_assert_str_eq(v2.status_line, "HTTP/1.1 505 HTTP Version Not Supported");
    ck_assert_uint_lt(v2.answered_after, SEC);
    ck_assert_uint_eq(srv.stats.status[2], 2);          /* 4xx */
    ck_assert_uint_eq(srv.stats.status[3], 1);          /* 5xx */
    ck_assert_uint_eq(srv.stats.header_timeouts, 0);
    stop();
}
END_TEST

START_TEST(valid_request_line_in_pieces_is_served)
{
    start();
    struct raw_run run = { .first = "GET / HT", .first_len = 8,
                           .second = "TP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n" };
    exchange(&run);
    ck_assert_str_eq(run.status_line, "HTTP/1.1 200 OK");
    ck_assert_uint_eq(srv.stats.status[0], 1);
    stop();
}
END_TEST

static Suite *httpd_server_suite(void)
{
    Suite *s = suite_create("httpd_server");
    TCase *tc = tcase_create("server");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, invalid_request_line_is_answered_400_at_once);
    tcase_add_test(tc, valid_request_line_in_pieces_is_served);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(httpd_server_suite)
