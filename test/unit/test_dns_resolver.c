/*
 * Unit tests for the stub resolver (dns/dns_resolver.c, dns_exchange.c, dns_answer.c, dns_cache.c)
 * against a fake recursive server on the simulated clock (test/unit/dns_fixture.h): retries with
 * back-off, RFC 5452 matching of answers, TCP after truncation (RFC 7766), caching with TTLs and
 * negative caching (RFC 2308), CNAME chains and their bound, and the errors.
 */
#include <check.h>
#include <stdio.h>

#include "test/unit/dns_fixture.h"
#include "xenolith/app.h"
#include "xenolith/test_main.h"

static struct dns_resolver *r;

/* The resolver asks kernel/start.c's lifecycle whether a shutdown was requested, and that file
 * also starts the application: this program has none to start. */
int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void setup(void)
{
    fx_setup();
    r = dns_resolver_create(a);
    ck_assert_ptr_nonnull(r);
}

static void teardown(void)
{
    dns_resolver_destroy(r);
}

static uint64_t in(uint64_t ns)
{
    return sim_now() + ns;
}

START_TEST(resolves_from_the_stacks_server)
{
    /* The server comes from the stack's configuration (DHCP option 6 or dns=): the query has RD
     * (RFC 1035 4.1.1: a stub asks for recursion) and an EDNS(0) OPT record (RFC 6891 6.1.1). */
    uint32_t list[4];
    ck_assert_uint_eq(dns_resolver_servers(r, list, 4), 1);
    ck_assert_uint_eq(list[0], B_IP);
    struct fx_lookup *l = fx_resolve(r, "www.test", DNS_TYPE_A, in(10 * SEC), 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert_uint_eq(l->res.count, 1);
    ck_assert_mem_eq(l->res.rr[0].rd.a, ((uint8_t[]){10, 0, 0, 1}), 4);
    ck_assert(!l->res.from_cache);
    ck_assert_uint_eq(server.udp_queries, 1);
    ck_assert(server.saw_rd[0]);
    ck_assert(server.saw_opt[0]);
    ck_assert_uint_eq(dns_resolver_stats(r)->queries, 1);
    ck_assert_uint_eq(dns_resolver_stats(r)->retries, 0);
}
END_TEST

START_TEST(loss_is_retried_with_backoff)
{
    /* RFC 1536 1 / RFC 1035 4.2.1: a lost query is sent again, the wait doubling: attempts at
     * 0 s, 1 s (after a 1 s wait) and 3 s (after 2 s); the third is answered. */
    server.drop_first = 2;
    uint64_t start = sim_now();
    struct fx_lookup *l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 20 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert_uint_eq(server.udp_queries, 3);
    ck_assert_uint_ge(l->done_at - start, 3 * SEC);
    ck_assert_uint_lt(l->done_at - start, 3 * SEC + 100 * MS);
    ck_assert_uint_eq(dns_resolver_stats(r)->retries, 2);
    ck_assert_uint_eq(dns_resolver_stats(r)->timeouts, 2);
}
END_TEST

START_TEST(every_attempt_has_a_fresh_port_and_id)
{
    /* RFC 5452 9.2: the source port and the ID are random, and a new query (a retry too) does not
     * reuse them. */
    server.drop_first = 2;
    struct fx_lookup *l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 20 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert_uint_eq(server.udp_queries, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_uint_ge(server.ports[i], UDP_EPHEMERAL_FIRST);
        for (int j = 0; j < i; j++) {
            ck_assert_uint_ne(server.ports[i], server.ports[j]);
            ck_assert_uint_ne(server.ids[i], server.ids[j]);
        }
    }
}
END_TEST

START_TEST(retries_go_round_the_servers)
{
    /* Attempts go to the next server when one does not answer: a dead first server costs one
     * wait of 1 s, then the second answers. */
    fx_set_client_dns((uint32_t[]){DEAD_IP, B_IP}, 2);
    uint64_t start = sim_now();
    struct fx_lookup *l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 20 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert_uint_ge(l->done_at - start, 1 * SEC);
    ck_assert_uint_lt(l->done_at - start, 1 * SEC + 100 * MS);
    ck_assert_uint_eq(server.udp_queries, 1);
    ck_assert_uint_eq(dns_resolver_stats(r)->retries, 1);
}
END_TEST

START_TEST(spoofed_answers_are_ignored)
{
    /* RFC 5452 9.1: an answer is accepted only with the query's ID, the same question, from the
     * server's address and port 53. Before the real answer the server sends four that fail one
     * check each (all with address 6.6.6.6); none is taken, each is counted. */
    server.spoof_first = true;
    struct fx_lookup *l = fx_resolve(r, "www.test", DNS_TYPE_A, in(10 * SEC), 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert_mem_eq(l->res.rr[0].rd.a, ((uint8_t[]){10, 0, 0, 1}), 4);
    ck_assert_uint_eq(dns_resolver_stats(r)->spoofed, 4);
    ck_assert_uint_eq(dns_resolver_stats(r)->retries, 0);
    ck_assert_uint_eq(server.udp_queries, 1);
}
END_TEST

START_TEST(only_spoofed_answers_time_out)
{
    /* Spoofed datagrams do not end the wait early nor count as an answer: with the server silent
     * apart from forgeries, the caller's deadline ends it (-ETIMEDOUT at exactly the deadline). */
    server.drop_all = 1;
    server.spoof_first = true;
    uint64_t start = sim_now();
    struct fx_lookup *l = fx_resolve(r, "www.test", DNS_TYPE_A, in(2500 * MS), 10 * SEC);
    ck_assert_int_eq(l->rc, -ETIMEDOUT);
    ck_assert_uint_eq(l->done_at - start, 2500 * MS);
    ck_assert_uint_eq(dns_resolver_stats(r)->answers, 0);
    ck_assert_uint_eq(dns_resolver_stats(r)->spoofed, 4 * server.udp_queries);
}
END_TEST

START_TEST(attempts_end_with_timeout)
{
    /* Without a deadline the rounds bound the wait: 1 + 2 + 4 s for one server. */
    server.drop_all = 1;
    uint64_t start = sim_now();
    struct fx_lookup *l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 30 * SEC);
    ck_assert_int_eq(l->rc, -ETIMEDOUT);
    ck_assert_uint_eq(server.udp_queries, DNS_RESOLVER_ROUNDS);
    ck_assert_uint_ge(l->done_at - start, 7 * SEC);
    ck_assert_uint_lt(l->done_at - start, 7 * SEC + 100 * MS);
}
END_TEST

START_TEST(truncated_answer_goes_to_tcp)
{
    /* RFC 7766 5 (and RFC 2181 9): TC set, the question is asked again over TCP, framed by its
     * 2-byte length (RFC 1035 4.2.2); the full answer's 30 records are counted, 8 kept. */
    server.truncate_udp = true;
    struct fx_lookup *l = fx_resolve(r, "big.test", DNS_TYPE_A, in(20 * SEC), 20 * SEC);
    ck_assert_int_eq(l->rc, 30);
    ck_assert_uint_eq(l->res.count, 30);
    ck_assert_mem_eq(l->res.rr[7].rd.a, ((uint8_t[]){10, 2, 0, 7}), 4);
    ck_assert_uint_eq(server.udp_queries, 1);
    ck_assert_uint_eq(server.tcp_queries, 1);
    ck_assert_uint_eq(dns_resolver_stats(r)->tcp_fallbacks, 1);
    /* without truncation the same question stays on UDP */
    dns_resolver_flush(r);
    server.truncate_udp = false;
    l = fx_resolve(r, "big.test", DNS_TYPE_A, in(20 * SEC), 20 * SEC);
    ck_assert_int_eq(l->rc, 30);
    ck_assert_uint_eq(server.tcp_queries, 1);
}
END_TEST

START_TEST(cache_honours_ttl)
{
    /* RFC 1035 3.2.1 / RFC 2181 5.2: an answer may be used for its TTL and not after; the TTLs
     * of a cached answer count down. */
    server.ttl = 60;
    struct fx_lookup *l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert_uint_eq(l->res.ttl, 60);
    run_for(30 * SEC);
    l = fx_resolve(r, "WWW.Test.", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC); /* case ignored */
    ck_assert_int_eq(l->rc, 1);
    ck_assert(l->res.from_cache);
    ck_assert_uint_eq(l->res.rr[0].ttl, 30);
    ck_assert_uint_eq(server.udp_queries, 1);
    ck_assert_uint_eq(dns_resolver_stats(r)->cache_hits, 1);
    run_for(31 * SEC);
    l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert(!l->res.from_cache);
    ck_assert_uint_eq(server.udp_queries, 2);
    /* a TTL of 0 is not cached (RFC 1035 3.2.1: use for this transaction only) */
    dns_resolver_flush(r);
    server.ttl = 0x80000000u; /* RFC 2181 8: read as 0 */
    l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
    l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert(!l->res.from_cache);
    ck_assert_uint_eq(server.udp_queries, 4);
}
END_TEST

START_TEST(negative_answers_are_cached)
{
    /* RFC 2308 5: NXDOMAIN and NODATA are cached for min(SOA TTL, SOA MINIMUM) = 30 s here */
    struct fx_lookup *l = fx_resolve(r, "missing.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -DNS_ENXDOMAIN);
    l = fx_resolve(r, "nodata.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -ENODATA);
    ck_assert_uint_eq(server.udp_queries, 2);
    run_for(29 * SEC);
    l = fx_resolve(r, "missing.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -DNS_ENXDOMAIN);
    l = fx_resolve(r, "nodata.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -ENODATA);
    ck_assert_uint_eq(server.udp_queries, 2);
    ck_assert_uint_eq(dns_resolver_stats(r)->cache_negative_hits, 2);
    run_for(2 * SEC);
    l = fx_resolve(r, "missing.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -DNS_ENXDOMAIN);
    ck_assert_uint_eq(server.udp_queries, 3);
    ck_assert_uint_eq(dns_resolver_stats(r)->nxdomain, 3);
}
END_TEST

START_TEST(negative_answer_without_soa_not_cached)
{
    /* RFC 2308 5: "Negative responses without SOA records SHOULD NOT be cached" */
    server.negative_without_soa = true;
    struct fx_lookup *l = fx_resolve(r, "missing.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -DNS_ENXDOMAIN);
    l = fx_resolve(r, "missing.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -DNS_ENXDOMAIN);
    ck_assert_uint_eq(server.udp_queries, 2);
}
END_TEST

START_TEST(cname_in_the_answer_is_followed)
{
    /* RFC 1034 3.6.2 / 5.3.3: the records of the CNAME's target answer the question */
    struct fx_lookup *l = fx_resolve(r, "alias.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert_uint_eq(l->res.cnames, 1);
    struct dns_name www = fx_name("www.test");
    ck_assert(dns_name_equal(&l->res.name, &www));
    ck_assert_uint_eq(server.udp_queries, 1);
    /* asking for the CNAME itself gives the CNAME */
    l = fx_resolve(r, "alias.test", DNS_TYPE_CNAME, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert(dns_name_equal(&l->res.rr[0].rd.target, &www));
}
END_TEST

START_TEST(cname_chain_across_queries)
{
    /* A chain the server leaves unfinished is followed by new queries: chain0 -> ... -> chain5 */
    struct fx_lookup *l = fx_resolve(r, "chain0.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert_uint_eq(l->res.cnames, 5);
    ck_assert_mem_eq(l->res.rr[0].rd.a, ((uint8_t[]){10, 0, 0, 5}), 4);
    ck_assert_uint_eq(server.udp_queries, 6);
    /* and each link is cached: again, no query */
    l = fx_resolve(r, "chain0.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert(l->res.from_cache);
    ck_assert_uint_eq(server.udp_queries, 6);
}
END_TEST

START_TEST(cname_chain_is_bounded)
{
    /* A chain longer than DNS_CNAME_MAX (a loop looks the same) ends with DNS_ECNAMELOOP after
     * DNS_CNAME_MAX + 1 queries, not an endless walk (RFC 1034 5.3.3 bounds the work of a query). */
    char name[32];
    snprintf(name, sizeof(name), "chain%d.test", 5 - (int)DNS_CNAME_MAX - 1);
    /* chain-4 .. chain5: DNS_CNAME_MAX + 1 links; names with a '-' parse as negative by atoi */
    struct fx_lookup *l = fx_resolve(r, name, DNS_TYPE_A, DEADLINE_NONE, 30 * SEC);
    ck_assert_int_eq(l->rc, -DNS_ECNAMELOOP);
    ck_assert_uint_eq(server.udp_queries, DNS_CNAME_MAX + 1);
    ck_assert_uint_eq(dns_resolver_stats(r)->cname_too_long, 1);
    /* exactly DNS_CNAME_MAX links are fine */
    dns_resolver_flush(r);
    snprintf(name, sizeof(name), "chain%d.test", 5 - (int)DNS_CNAME_MAX);
    l = fx_resolve(r, name, DNS_TYPE_A, DEADLINE_NONE, 30 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert_uint_eq(l->res.cnames, DNS_CNAME_MAX);
}
END_TEST

START_TEST(servfail_moves_to_the_next_server)
{
    /* RFC 1035 4.1.1 RCODE 2: the server could not answer; another server may. With only one
     * it is not asked again: DNS_ESERVFAIL at once. */
    server.rcode = DNS_RCODE_SERVFAIL;
    struct fx_lookup *l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -DNS_ESERVFAIL);
    ck_assert_uint_eq(server.udp_queries, 1);
    server.rcode = DNS_RCODE_REFUSED;
    l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -DNS_EREFUSED);
    ck_assert_str_eq(dns_strerror(l->rc), "REFUSED by every server");
    /* a failing server then a good one: the dead one is set aside, not retried */
    server.rcode = 0;
    dns_resolver_set_servers(r, (uint32_t[]){DEAD_IP, B_IP}, 2);
    l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
}
END_TEST

START_TEST(formerr_to_edns_retries_without)
{
    /* RFC 6891 7: a server answering FORMERR to an OPT record is asked again without one */
    server.formerr_on_edns = true;
    struct fx_lookup *l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert_uint_eq(server.udp_queries, 2);
    ck_assert(server.saw_opt[0]);
    ck_assert(!server.saw_opt[1]);
    ck_assert_uint_eq(dns_resolver_stats(r)->edns_fallbacks, 1);
}
END_TEST

START_TEST(errors_without_servers_or_with_bad_input)
{
    fx_set_client_dns(NULL, 0);
    struct fx_lookup *l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -DNS_ENOSERVERS);
    /* the resolver's own list stands in for the stack's */
    ck_assert_int_eq(dns_resolver_set_servers(r, (uint32_t[]){B_IP}, 1), 0);
    l = fx_resolve(r, "www.test", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, 1);
    ck_assert_int_eq(dns_resolver_set_servers(r, (uint32_t[]){0}, 1), -EINVAL);
    ck_assert_int_eq(dns_resolver_set_servers(r, (uint32_t[]){1, 2, 3, 4}, 4), -EINVAL);
    l = fx_resolve(r, "a..b", DNS_TYPE_A, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -EINVAL);
    l = fx_resolve(r, "www.test", DNS_TYPE_ANY, DEADLINE_NONE, 10 * SEC);
    ck_assert_int_eq(l->rc, -EINVAL);
    ck_assert_str_eq(dns_strerror(-DNS_ENXDOMAIN), "NXDOMAIN: the name does not exist");
    ck_assert_str_eq(dns_strerror(-ETIMEDOUT), "timed out");
}
END_TEST

/* A resolution waiting for a silent server (UDP, or TCP after TC), a shutdown requested 1.55 s
 * in: it ends with -ESHUTDOWN at the same simulated instant (its shutdown request hook closes the
 * socket or resets the connection it waits on; no slices of waiting), rather than after its 7 s
 * of attempts (xenolith/app.h: after a request the application has 5 s to return). */
static void shutdown_ends_the_wait(const char *name)
{
    static struct fx_lookup l;
    struct fiber *f = fx_start(&l, r, name, DNS_TYPE_A, DEADLINE_NONE);
    run_for(1550 * MS);
    ck_assert_msg(!l.done, "done early: %d", l.rc);
    uint64_t asked = sim_now();
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    fx_finish(&l, f, 10 * SEC);
    ck_assert_int_eq(l.rc, -ESHUTDOWN);
    ck_assert_uint_eq(l.done_at, asked);
    ck_assert_str_eq(dns_strerror(l.rc), "the machine is stopping");
    /* and a resolution asked afterwards sends nothing */
    unsigned udp = server.udp_queries, tcp = server.tcp_queries;
    struct fx_lookup *again = fx_resolve(r, name, DNS_TYPE_A, DEADLINE_NONE, 1 * SEC);
    ck_assert_int_eq(again->rc, -ESHUTDOWN);
    ck_assert_uint_eq(server.udp_queries, udp);
    ck_assert_uint_eq(server.tcp_queries, tcp);
}

START_TEST(shutdown_ends_a_udp_wait)
{
    server.drop_all = 1;
    shutdown_ends_the_wait("www.test");
    ck_assert_uint_eq(server.udp_queries, 2); /* at 0 s and 1 s */
}
END_TEST

START_TEST(shutdown_ends_a_tcp_wait)
{
    server.truncate_udp = true;
    server.tcp_silent = true;
    shutdown_ends_the_wait("big.test");
    ck_assert_uint_eq(server.tcp_queries, 1);
}
END_TEST

/* The server's truncated answer arrives, then the cable is pulled: the TCP open's SYNs go
 * unanswered, and a shutdown requested 1.55 s in ends it at the same simulated instant (the hook
 * resets the connection tcp_connect holds out) rather than at DNS_RESOLVER_TCP_TIMEOUT_NS
 * (RFC 7766 5: the fallback after TC). */
START_TEST(shutdown_ends_a_tcp_open)
{
    server.truncate_udp = true;
    server.unplug_after_udp = true;
    static struct fx_lookup l;
    struct fiber *f = fx_start(&l, r, "big.test", DNS_TYPE_A, DEADLINE_NONE);
    run_for(1550 * MS);
    ck_assert_msg(!l.done, "done early: %d", l.rc);
    ck_assert_uint_eq(dns_resolver_stats(r)->tcp_fallbacks, 1);
    ck_assert_uint_eq(server.tcp_queries, 0);    /* still opening */
    struct tcp_census census;
    tcp_get_census(a, &census);
    uint64_t asked = sim_now();
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    fx_finish(&l, f, 10 * SEC);
    ck_assert_int_eq(l.rc, -ESHUTDOWN);
    ck_assert_uint_eq(l.done_at, asked);
    ck_assert_uint_eq(server.tcp_queries, 0);
    /* the connection being opened is gone from the stack */
    struct tcp_census after;
    tcp_get_census(a, &after);
    ck_assert_uint_eq(after.connections, census.connections - 1);
}
END_TEST

static Suite *dns_resolver_suite(void)
{
    Suite *s = suite_create("dns_resolver");
    TCase *tc = tcase_create("resolver");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, resolves_from_the_stacks_server);
    tcase_add_test(tc, loss_is_retried_with_backoff);
    tcase_add_test(tc, every_attempt_has_a_fresh_port_and_id);
    tcase_add_test(tc, retries_go_round_the_servers);
    tcase_add_test(tc, spoofed_answers_are_ignored);
    tcase_add_test(tc, only_spoofed_answers_time_out);
    tcase_add_test(tc, attempts_end_with_timeout);
    tcase_add_test(tc, truncated_answer_goes_to_tcp);
    tcase_add_test(tc, cache_honours_ttl);
    tcase_add_test(tc, negative_answers_are_cached);
    tcase_add_test(tc, negative_answer_without_soa_not_cached);
    tcase_add_test(tc, cname_in_the_answer_is_followed);
    tcase_add_test(tc, cname_chain_across_queries);
    tcase_add_test(tc, cname_chain_is_bounded);
    tcase_add_test(tc, servfail_moves_to_the_next_server);
    tcase_add_test(tc, formerr_to_edns_retries_without);
    tcase_add_test(tc, errors_without_servers_or_with_bad_input);
    tcase_add_test(tc, shutdown_ends_a_udp_wait);
    tcase_add_test(tc, shutdown_ends_a_tcp_wait);
    tcase_add_test(tc, shutdown_ends_a_tcp_open);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dns_resolver_suite)
