/*
 * Unit tests for net/tcp_ports: RFC 6056 3.3.3 (Algorithm 3, double-hash port selection) in a
 * configurable range (RFC 6056 3.2: 49152-65535 by default), skipping ports in use.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "net/tcp/tcp_ports.h"
#include "xenolith/test_main.h"

static const uint32_t local_ip = 0x0200000au, remote_ip = 0x0100000au;

static void fixed_ports(struct tcp_ports *p, uint8_t seed)
{
    uint8_t bytes[16];
    for (int i = 0; i < 16; i++)
        bytes[i] = (uint8_t)(seed * 17 + i);
    siphash_key_from_bytes(&p->key, bytes);
    memset(p->table, 0, sizeof(p->table));
    p->first = TCP_EPHEMERAL_FIRST;
    p->last = TCP_EPHEMERAL_LAST;
}

struct usage {
    uint32_t tries[65536];
    const uint8_t *busy;     /* 1 = in use; NULL: nothing is */
    bool all_busy;
};

static bool in_use(void *arg, uint16_t port)
{
    struct usage *u = arg;
    u->tries[port]++;
    return u->all_busy || (u->busy && u->busy[port]);
}

/* RFC 6056 3.2: ports come from the ephemeral range 49152-65535 unless configured otherwise. */
START_TEST(default_range)
{
    struct tcp_ports p;
    tcp_ports_init(&p);
    ck_assert_uint_eq(p.first, 49152);
    ck_assert_uint_eq(p.last, 65535);
    for (unsigned i = 0; i < 2000; i++) {
        int port = tcp_ports_pick(&p, local_ip, remote_ip, (uint16_t)(i % 7 + 80), NULL, NULL);
        ck_assert_int_ge(port, 49152);
        ck_assert_int_le(port, 65535);
    }
}
END_TEST

/* RFC 6056 3.3.3: towards one destination, successive connections take successive ports (the
 * table entry counts up), wrapping inside the range, so a 4-tuple is not reused soon (2.3). */
START_TEST(same_destination_sequential)
{
    struct tcp_ports p;
    fixed_ports(&p, 1);
    int prev = tcp_ports_pick(&p, local_ip, remote_ip, 80, NULL, NULL);
    for (unsigned i = 0; i < 20000; i++) {
        int port = tcp_ports_pick(&p, local_ip, remote_ip, 80, NULL, NULL);
        int want = prev == 65535 ? 49152 : prev + 1;
        ck_assert_int_eq(port, want);
        prev = port;
    }
}
END_TEST

/* RFC 6056 3.3.3: the offset comes from a keyed hash of the destination, so the ports used towards
 * one destination say nothing about another's, and another secret gives other ports. */
START_TEST(destinations_independent)
{
    struct tcp_ports p, q;
    fixed_ports(&p, 2);
    fixed_ports(&q, 3);
    unsigned adjacent = 0, same_as_other_secret = 0;
    int prev = tcp_ports_pick(&p, local_ip, remote_ip, 1000, NULL, NULL);
    for (uint16_t rport = 1001; rport < 1500; rport++) {
        int port = tcp_ports_pick(&p, local_ip, remote_ip, rport, NULL, NULL);
        int other = tcp_ports_pick(&q, local_ip, remote_ip, rport, NULL, NULL);
        adjacent += abs(port - prev) <= 2;
        same_as_other_secret += port == other;
        prev = port;
    }
    ck_assert_uint_le(adjacent, 5);
    ck_assert_uint_le(same_as_other_secret, 3);
    /* The remote address matters as well as the port. */
    fixed_ports(&p, 2);
    int a = tcp_ports_pick(&p, local_ip, remote_ip, 80, NULL, NULL);
    fixed_ports(&p, 2);
    int b = tcp_ports_pick(&p, local_ip, remote_ip ^ 0x01000000u, 80, NULL, NULL);
    fixed_ports(&p, 2);
    int c = tcp_ports_pick(&p, local_ip ^ 0x01000000u, remote_ip, 80, NULL, NULL);
    ck_assert(a != b && a != c);
}
END_TEST

/* RFC 6056 3.3.3 check_suitable_port: ports in use are skipped, the next one is taken. */
START_TEST(skips_ports_in_use)
{
    static struct usage u;
    static uint8_t busy[65536];
    memset(&u, 0, sizeof(u));
    memset(busy, 0, sizeof(busy));
    struct tcp_ports p;
    fixed_ports(&p, 4);
    int first = tcp_ports_pick(&p, local_ip, remote_ip, 443, NULL, NULL);
    fixed_ports(&p, 4);
    for (int i = 0; i < 5; i++)
        busy[first + i] = 1;
    u.busy = busy;
    int port = tcp_ports_pick(&p, local_ip, remote_ip, 443, in_use, &u);
    ck_assert_int_eq(port, first + 5);
    for (int i = 0; i <= 5; i++)
        ck_assert_uint_eq(u.tries[first + i], 1);
}
END_TEST

/* RFC 6056 3.3.3: the search tries each port of the range exactly once before failing, also when
 * the table counter wraps mid-walk and the range size does not divide 65536. */
START_TEST(exhaustion_tries_every_port_once)
{
    static struct usage u;
    memset(&u, 0, sizeof(u));
    u.all_busy = true;
    struct tcp_ports p;
    fixed_ports(&p, 5);
    for (unsigned i = 0; i < TCP_PORTS_TABLE_SIZE; i++)
        p.table[i] = 65530;
    ck_assert_int_eq(tcp_ports_set_range(&p, 1000, 1999), 0);
    ck_assert_int_eq(tcp_ports_pick(&p, local_ip, remote_ip, 80, in_use, &u), -EADDRNOTAVAIL);
    for (unsigned port = 0; port < 65536; port++)
        ck_assert_uint_eq(u.tries[port], port >= 1000 && port <= 1999 ? 1 : 0);
    /* The whole port space. */
    memset(&u, 0, sizeof(u));
    u.all_busy = true;
    ck_assert_int_eq(tcp_ports_set_range(&p, 1, 65535), 0);
    ck_assert_int_eq(tcp_ports_pick(&p, local_ip, remote_ip, 80, in_use, &u), -EADDRNOTAVAIL);
    for (unsigned port = 1; port < 65536; port++)
        ck_assert_uint_eq(u.tries[port], 1);
    ck_assert_uint_eq(u.tries[0], 0);
}
END_TEST

START_TEST(range_configuration)
{
    struct tcp_ports p;
    tcp_ports_init(&p);
    ck_assert_int_eq(tcp_ports_set_range(&p, 0, 100), -EINVAL);
    ck_assert_int_eq(tcp_ports_set_range(&p, 2000, 1999), -EINVAL);
    ck_assert_uint_eq(p.first, 49152);
    ck_assert_int_eq(tcp_ports_set_range(&p, 5000, 5000), 0);
    for (unsigned i = 0; i < 10; i++)
        ck_assert_int_eq(tcp_ports_pick(&p, local_ip, remote_ip, (uint16_t)(80 + i), NULL, NULL), 5000);
    ck_assert_int_eq(tcp_ports_set_range(&p, 32768, 32999), 0);
    for (unsigned i = 0; i < 1000; i++) {
        int port = tcp_ports_pick(&p, local_ip, remote_ip + i, 80, NULL, NULL);
        ck_assert(port >= 32768 && port <= 32999);
    }
}
END_TEST

static Suite *tcp_ports_suite(void)
{
    Suite *s = suite_create("tcp_ports");
    TCase *tc = tcase_create("ports");
    tcase_add_test(tc, default_range);
    tcase_add_test(tc, same_destination_sequential);
    tcase_add_test(tc, destinations_independent);
    tcase_add_test(tc, skips_ports_in_use);
    tcase_add_test(tc, exhaustion_tries_every_port_once);
    tcase_add_test(tc, range_configuration);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tcp_ports_suite)
