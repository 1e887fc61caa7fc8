/*
 * End-to-end TCP scenarios on the in-memory pair with the fault injector (test/unit/tcp_fixture.h),
 * shaped like what appliances do rather than like one protocol rule: many connections at once
 * over a bad link, full-duplex bulk, a link outage in the middle of a transfer, a peer that
 * vanishes, connection churn through TIME_WAIT, a SYN flood during a transfer, and the ways a
 * blocked fiber is woken when its application or the stack stops. Every scenario ends with every
 * packet buffer back in its pool (tcp_fixture_down) and the byte streams compared exactly.
 */
#include "test/unit/tcp_fixture.h"
#include "net/wire/tcp_seq.h"
#include "xenolith/test_main.h"

#define PORT 7

static const struct faults_config bad_link = {
    .seed = 862, .directions = FAULTS_TX | FAULTS_RX,
    .drop_ppm = 20000, .duplicate_ppm = 20000, .reorder_ppm = 50000, .corrupt_ppm = 5000,
};

/* Runs the loop until *flag or the simulated deadline; true when the flag was reached. */
static bool run_until_flag(const bool *flag, uint64_t limit_ns)
{
    uint64_t end = sim_now() + limit_ns;
    while (!*flag && sim_now() < end)
        run_for(10 * MS);
    return *flag;
}

/* ---- an echo server accepting any number of connections, one fiber each ---- */

struct echo_server {
    struct tcp_listener *l;
    unsigned sessions, finished;
    uint64_t bytes;
    bool stopped;
};

struct echo_session {
    struct echo_server *srv;
    struct tcp_conn *c;
};

static int echo_session_fiber(void *arg)
{
    struct echo_session *es = arg;
    uint8_t buf[2048];
    long n;
    while ((n = tcp_read(es->c, buf, sizeof(buf), DEADLINE_NONE)) > 0) {
        es->srv->bytes += (uint64_t)n;
        if (tcp_write(es->c, buf, (size_t)n, DEADLINE_NONE) != n)
            break;
    }
    tcp_close(es->c);
    es->srv->finished++;
    free(es);
    return 0;
}

static int echo_acceptor_fiber(void *arg)
{
    struct echo_server *srv = arg;
    for (;;) {
        struct tcp_conn *c;
        if (tcp_accept(srv->l, &c, DEADLINE_NONE) != 0)
            break;
        struct echo_session *es = malloc(sizeof(*es));
        es->srv = srv;
        es->c = c;
        srv->sessions++;
        fiber_detach(fiber_spawn("session", echo_session_fiber, es, 16 * 1024));
    }
    srv->stopped = true;
    return 0;
}

static void echo_server_start(struct echo_server *srv, unsigned backlog)
{
    memset(srv, 0, sizeof(*srv));
    ck_assert_int_eq(tcp_listen(sb, PORT, backlog, &srv->l), 0);
    fiber_detach(fiber_spawn("acceptor", echo_acceptor_fiber, srv, 0));
}

/* A client that sends `len` bytes starting at pattern offset `seed`, half-closes and checks the
 * echo byte for byte. */
struct echo_client {
    size_t len, seed;
    int rc;                 /* connect result */
    size_t back;            /* bytes echoed back correctly before the first difference */
    bool mismatch, eof, done;
};

static int echo_client_fiber(void *arg)
{
    struct echo_client *ec = arg;
    struct tcp_conn *c;
    ec->rc = tcp_connect(sa, B_IP, PORT, sim_now() + 120 * SEC, &c);
    if (ec->rc)
        goto out;
    uint8_t buf[1024];
    size_t sent = 0;
    while (sent < ec->len) {
        size_t n = ec->len - sent < sizeof(buf) ? ec->len - sent : sizeof(buf);
        fill_pattern(buf, n, ec->seed + sent);
        if (tcp_write(c, buf, n, DEADLINE_NONE) != (long)n)
            break;
        sent += n;
    }
    tcp_shutdown(c, TCP_SHUT_WR);
    long n;
    while ((n = tcp_read(c, buf, sizeof(buf), DEADLINE_NONE)) > 0) {
        for (long i = 0; i < n; i++)
            if (buf[i] != pattern_byte(ec->seed + ec->back + (size_t)i))
                ec->mismatch = true;
        ec->back += (size_t)n;
    }
    ec->eof = n == 0;
    tcp_close(c);
out:
    ec->done = true;
    return 0;
}

/* RFC 9293 3.10 as a whole, many TCBs at once: 200 concurrent echo connections over a link that
 * loses, duplicates, reorders and corrupts frames; every stream comes back intact and, after
 * TIME_WAIT (2*MSL, RFC 9293 3.3.2), the stack holds no connection and no buffered byte. */
START_TEST(many_connections_on_a_bad_link)
{
    enum { N = 200, LEN = 3000 };
    tcp_fixture_up(&bad_link, 2 * MS, 0);
    struct echo_server srv;
    echo_server_start(&srv, 256);
    static struct echo_client cl[N];
    for (unsigned i = 0; i < N; i++) {
        cl[i] = (struct echo_client){ .len = LEN, .seed = i * 7919 };
        fiber_detach(fiber_spawn("client", echo_client_fiber, &cl[i], 16 * 1024));
    }
    uint64_t end = sim_now() + 300 * SEC;
    unsigned done = 0;
    while (sim_now() < end && done < N) {
        run_for(100 * MS);
        done = 0;
        for (unsigned i = 0; i < N; i++)
            done += cl[i].done;
    }
    ck_assert_uint_eq(done, N);
    for (unsigned i = 0; i < N; i++) {
        ck_assert_int_eq(cl[i].rc, 0);
        ck_assert(!cl[i].mismatch);
        ck_assert_uint_eq(cl[i].back, LEN);
        ck_assert(cl[i].eof);
    }
    ck_assert_uint_eq(srv.sessions, N);
    ck_assert_uint_eq(srv.bytes, (uint64_t)N * LEN);
    struct faults_stats fs;
    faults_get_stats(tf_faults, &fs);
    ck_assert_uint_gt(fs.dropped, 0);
    ck_assert_uint_gt(fs.corrupted, 0);
    tcp_listener_close(srv.l);
    run_for(121 * SEC);                        /* beyond 2*MSL (30 s MSL) and any FIN retries */
    struct tcp_census ca, cb;
    tcp_get_census(sa, &ca);
    tcp_get_census(sb, &cb);
    ck_assert_uint_eq(ca.connections, 0);
    ck_assert_uint_eq(cb.connections, 0);
    ck_assert_uint_eq(ca.buffered_bytes, 0);
    ck_assert_uint_eq(cb.buffered_bytes, 0);
    ck_assert(srv.stopped);
    tcp_fixture_down();
}
END_TEST

/* ---- full duplex ---- */

struct duplex_end {
    struct tcp_conn *c;
    size_t len, seed_out, seed_in;
    size_t got;
    bool mismatch, eof, wrote_all, done;
};

static int duplex_writer(void *arg)
{
    struct duplex_end *d = arg;
    uint8_t buf[1500];
    size_t sent = 0;
    while (sent < d->len) {
        size_t n = d->len - sent < sizeof(buf) ? d->len - sent : sizeof(buf);
        fill_pattern(buf, n, d->seed_out + sent);
        if (tcp_write(d->c, buf, n, DEADLINE_NONE) != (long)n)
            return 0;
        sent += n;
    }
    d->wrote_all = true;
    tcp_shutdown(d->c, TCP_SHUT_WR);
    return 0;
}

static int duplex_reader(void *arg)
{
    struct duplex_end *d = arg;
    uint8_t buf[3000];
    long n;
    while ((n = tcp_read(d->c, buf, sizeof(buf), DEADLINE_NONE)) > 0) {
        for (long i = 0; i < n; i++)
            if (buf[i] != pattern_byte(d->seed_in + d->got + (size_t)i))
                d->mismatch = true;
        d->got += (size_t)n;
    }
    d->eof = n == 0;
    d->done = true;
    return 0;
}

/* Both ends send 768 KiB at the same time (a writer and a reader fiber each) over the bad link:
 * data and ACKs share segments both ways (RFC 9293 3.10.7.4 processing of a segment carrying
 * both), each end half-closes (RFC 9293 3.6) when done, both streams arrive intact. */
START_TEST(full_duplex_bulk_on_a_bad_link)
{
    enum { LEN = 768 * 1024 };
    tcp_fixture_up(&bad_link, 5 * MS, 0);
    struct tf_conns p;
    tf_open(&p, PORT);
    struct duplex_end a = { .c = p.client, .len = LEN, .seed_out = 1, .seed_in = 2 };
    struct duplex_end b = { .c = p.server, .len = LEN, .seed_out = 2, .seed_in = 1 };
    fiber_detach(fiber_spawn("a.w", duplex_writer, &a, 0));
    fiber_detach(fiber_spawn("a.r", duplex_reader, &a, 0));
    fiber_detach(fiber_spawn("b.w", duplex_writer, &b, 0));
    fiber_detach(fiber_spawn("b.r", duplex_reader, &b, 0));
    uint64_t end = sim_now() + 600 * SEC;
    while (!(a.done && b.done) && sim_now() < end)
        run_for(100 * MS);
    ck_assert(a.done && b.done);
    ck_assert(a.wrote_all && b.wrote_all);
    ck_assert_uint_eq(a.got, LEN);
    ck_assert_uint_eq(b.got, LEN);
    ck_assert(!a.mismatch && !b.mismatch);
    ck_assert(a.eof && b.eof);
    struct tcp_conn_info ia;
    tcp_get_info(p.client, &ia);
    ck_assert_uint_gt(ia.retransmits, 0);
    tcp_close(p.client);
    tcp_close(p.server);
    tcp_listener_close(p.l);
    run_for(121 * SEC);
    tcp_fixture_down();
}
END_TEST

/* ---- link outage and a vanished peer ---- */

/* RFC 6298 5.5-5.7: the cable is pulled for 20 s in the middle of a 768 KiB echo transfer; the
 * retransmission timer backs off (each gap at least double the one before, up to the cap),
 * nothing is lost, and the transfer completes once the cable is back. */
START_TEST(link_outage_mid_transfer)
{
    enum { LEN = 768 * 1024 };
    tcp_fixture_up(NULL, 5 * MS, 0);
    static uint8_t sbuf[LEN], cbuf[LEN];
    struct tf_server s = { .port = PORT, .echo = true, .buf = sbuf, .cap = sizeof(sbuf) };
    struct tf_client c = { .dst = B_IP, .port = PORT, .len = LEN, .back = cbuf,
                           .back_cap = sizeof(cbuf), .keep_open = true };
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &s.l), 0);
    fiber_detach(fiber_spawn("server", tf_server_fiber, &s, 0));
    fiber_detach(fiber_spawn("client", tf_client_fiber, &c, 0));
    run_for(60 * MS);
    ck_assert_uint_gt(s.got, 0);
    ck_assert(!c.done);                        /* still transferring */
    netdev_pair_set_link(tf_pair, false);
    tf_tap_clear();
    run_for(20 * SEC);
    /* A's retransmissions of its oldest unacknowledged segment during the outage (a tail loss
     * probe of the newest segment may come first: RFC 8985 7). */
    uint64_t times[32];
    unsigned n = 0;
    bool any = false;
    uint32_t first_seq = 0;                   /* the lowest sequence sent: SND.UNA */
    for (unsigned i = 0; i < tf_tap.count; i++) {
        const struct tf_seg *sg = &tf_tap.seg[i];
        if (sg->tx && sg->len && (!any || seq_lt(sg->h.seq, first_seq))) {
            first_seq = sg->h.seq;
            any = true;
        }
    }
    for (unsigned i = 0; i < tf_tap.count && n < 32; i++) {
        const struct tf_seg *sg = &tf_tap.seg[i];
        if (sg->tx && sg->len && sg->h.seq == first_seq)
            times[n++] = sg->at;
    }
    ck_assert_uint_ge(n, 3);
    for (unsigned i = 2; i < n; i++)
        ck_assert_uint_ge(times[i] - times[i - 1], 2 * (times[i - 1] - times[i - 2]) - MS);
    netdev_pair_set_link(tf_pair, true);
    uint64_t end = sim_now() + 300 * SEC;
    while (!(s.done && c.done) && sim_now() < end)
        run_for(100 * MS);
    ck_assert(s.done && c.done);
    ck_assert_uint_eq(c.back_got, LEN);
    ck_assert(tf_pattern_ok(cbuf, LEN));
    struct tcp_conn_info info;
    tcp_get_info(c.conn, &info);
    ck_assert_uint_ge(info.rto_timeouts, 3);
    tcp_close(c.conn);
    tcp_listener_close(s.l);
    run_for(121 * SEC);
    tcp_fixture_down();
}
END_TEST

struct blocked_writer {
    struct tcp_conn *c;
    long rc;
    size_t written;
    bool done;
};

static int blocked_writer_fiber(void *arg)
{
    struct blocked_writer *w = arg;
    static uint8_t buf[64 * 1024];
    fill_pattern(buf, sizeof(buf), 0);
    for (;;) {
        long n = tcp_write(w->c, buf, sizeof(buf), DEADLINE_NONE);
        if (n < (long)sizeof(buf)) {
            w->rc = n;
            break;
        }
        w->written += (size_t)n;
    }
    w->done = true;
    return 0;
}

/* RFC 9293 3.8.3 / RFC 1122 4.2.3.5: the peer vanishes (link down for good) while A writes;
 * after the retransmissions are exhausted the connection is given up: the blocked writer
 * returns (an error, or the partial count) instead of waiting for ever, the info says
 * -ETIMEDOUT and the stack counts conn_timed_out. */
START_TEST(vanished_peer_times_out)
{
    tcp_fixture_up(NULL, 5 * MS, 0);
    struct tf_conns p;
    tf_open(&p, PORT);
    struct blocked_writer w = { .c = p.client };
    fiber_detach(fiber_spawn("writer", blocked_writer_fiber, &w, 0));
    run_for(200 * MS);
    netdev_pair_set_link(tf_pair, false);
    ck_assert(run_until_flag(&w.done, 3600 * SEC));
    ck_assert_int_le(w.rc, (long)(64 * 1024));
    struct tcp_conn_info info;
    tcp_get_info(p.client, &info);
    ck_assert_int_eq(info.error, -ETIMEDOUT);
    ck_assert_uint_ge(sa->tcp.stats.conn_timed_out, 1);
    tf_close_all(&p);
    run_for(121 * SEC);
    tcp_fixture_down();
}
END_TEST

/* ---- churn ---- */

/* 300 short connections one after another from A to the same server port: each gets its own
 * ephemeral port (RFC 6056, RFC 9293 3.4.1: a 4-tuple in TIME_WAIT is not reused by a fresh
 * active open), TIME_WAIT holds them for 2*MSL and then they are gone. */
START_TEST(connection_churn_through_time_wait)
{
    enum { N = 300 };
    tcp_fixture_up(NULL, 1 * MS, 0);
    struct echo_server srv;
    echo_server_start(&srv, 16);
    static uint16_t ports[N];
    for (unsigned i = 0; i < N; i++) {
        struct echo_client ec = { .len = 100, .seed = i };
        fiber_detach(fiber_spawn("client", echo_client_fiber, &ec, 16 * 1024));
        ck_assert(run_until_flag(&ec.done, 10 * SEC));
        ck_assert_int_eq(ec.rc, 0);
        ck_assert_uint_eq(ec.back, 100);
        ck_assert(!ec.mismatch);
        /* The client's port: the last SYN A sent. */
        for (unsigned k = tf_tap.count; k-- > 0;)
            if (tf_tap.seg[k].tx && (tf_tap.seg[k].h.flags & TCP_FLAG_SYN)) {
                ports[i] = tf_tap.seg[k].h.src_port;
                break;
            }
        tf_tap_clear();
    }
    for (unsigned i = 0; i < N; i++)
        for (unsigned j = i + 1; j < N; j++)
            ck_assert_uint_ne(ports[i], ports[j]);
    struct tcp_census ca;
    tcp_get_census(sa, &ca);
    ck_assert_uint_gt(ca.time_wait, 0);        /* the active closer holds TIME_WAIT */
    run_for(61 * SEC);
    tcp_get_census(sa, &ca);
    ck_assert_uint_eq(ca.time_wait, 0);
    ck_assert_uint_eq(ca.connections, 0);
    tcp_listener_close(srv.l);
    run_for(SEC);
    tcp_fixture_down();
}
END_TEST

/* ---- SYN flood ---- */

/* A flood of 3000 SYNs from spoofed sources arrives at B's listener while an established
 * connection moves 512 KiB: the half-open queue stays within its bound, the overflow is answered
 * with SYN cookies, and the established transfer completes intact. */
START_TEST(syn_flood_during_transfer)
{
    enum { LEN = 512 * 1024 };
    tcp_fixture_up(NULL, 2 * MS, 0);
    static uint8_t sbuf[LEN], cbuf[LEN];
    struct tf_server s = { .port = PORT, .echo = true, .buf = sbuf, .cap = sizeof(sbuf) };
    struct tf_client c = { .dst = B_IP, .port = PORT, .len = LEN, .back = cbuf,
                           .back_cap = sizeof(cbuf), .keep_open = true };
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &s.l), 0);
    fiber_detach(fiber_spawn("server", tf_server_fiber, &s, 0));
    fiber_detach(fiber_spawn("client", tf_client_fiber, &c, 0));
    run_for(50 * MS);
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    unsigned max_half_open = 0;
    uint32_t rnd = 12345;
    for (unsigned i = 0; i < 3000; i++) {
        rnd = rnd * 1103515245u + 12345u;
        uint32_t src = IP4_ADDR(10, 1, 0, 0) | (uint32_t)(rnd & 0xff00) << 16;   /* spoofed */
        if (src == A_IP || src == B_IP)
            continue;
        tf_inject(sb, src, B_IP, (uint16_t)(1024 + (rnd >> 16) % 60000), PORT, rnd, 0,
                  TCP_FLAG_SYN, 65535, NULL, NULL, 0);
        if (i % 50 == 0) {
            run_for(MS);
            struct tcp_census cb;
            tcp_get_census(sb, &cb);
            if (cb.half_open > max_half_open)
                max_half_open = cb.half_open;
        }
    }
    uint64_t end = sim_now() + 300 * SEC;
    while (!(s.done && c.done) && sim_now() < end)
        run_for(100 * MS);
    ck_assert(s.done && c.done);
    ck_assert_uint_eq(c.back_got, LEN);
    ck_assert(tf_pattern_ok(cbuf, LEN));
    ck_assert_uint_le(max_half_open, cfg.max_half_open);
    ck_assert_uint_gt(sb->tcp.stats.rx_syncookies_sent + sb->tcp.stats.rx_half_open_full, 0);
    tcp_close(c.conn);
    tcp_listener_close(s.l);
    run_for(200 * SEC);
    tcp_fixture_down();
}
END_TEST

/* ---- waking blocked fibers when things stop ---- */

struct blocked_reader {
    struct tcp_conn *c;
    long rc;
    uint64_t returned_at;
    bool done;
};

static int blocked_reader_fiber(void *arg)
{
    struct blocked_reader *r = arg;
    uint8_t b[16];
    r->rc = tcp_read(r->c, b, sizeof(b), DEADLINE_NONE);
    r->returned_at = sim_now();
    r->done = true;
    return 0;
}

/* An application stopping its sessions (app/echo does) shuts a connection down from another
 * fiber: a reader blocked with no deadline returns at once with no data, and the peer sees the
 * FIN (RFC 9293 3.10.4: CLOSE/half-close sends FIN; its reader gets end of stream). */
START_TEST(shutdown_from_another_fiber_wakes_reader)
{
    tcp_fixture_up(NULL, 1 * MS, 0);
    struct tf_conns p;
    tf_open(&p, PORT);
    struct blocked_reader r = { .c = p.server };
    fiber_detach(fiber_spawn("reader", blocked_reader_fiber, &r, 0));
    run_for(100 * MS);
    ck_assert(!r.done);
    uint64_t t = sim_now();
    ck_assert_int_eq(tcp_shutdown(p.server, TCP_SHUT_RDWR), 0);
    ck_assert(run_until_flag(&r.done, SEC));
    ck_assert_int_le(r.rc, 0);
    ck_assert_uint_le(r.returned_at - t, 20 * MS);
    struct blocked_reader peer = { .c = p.client };
    fiber_detach(fiber_spawn("peer", blocked_reader_fiber, &peer, 0));
    ck_assert(run_until_flag(&peer.done, SEC));
    ck_assert_int_eq(peer.rc, 0);               /* end of stream */
    tcp_close(p.client);
    tcp_close(p.server);
    tcp_listener_close(p.l);
    run_for(121 * SEC);
    tcp_fixture_down();
}
END_TEST

/* tcp_stack_shutdown (what netstack_destroy does first, and app/echo after its grace period)
 * resets every connection and wakes every blocked fiber: a reader waiting for data that will
 * never come and a writer blocked on a full send buffer (B never reads) both return; the handles
 * stay valid until closed. */
START_TEST(stack_shutdown_wakes_every_waiter)
{
    tcp_fixture_up(NULL, 1 * MS, 0);
    struct tf_conns p;
    tf_open(&p, PORT);
    struct blocked_reader r = { .c = p.client };
    struct blocked_writer w = { .c = p.client };
    fiber_detach(fiber_spawn("reader", blocked_reader_fiber, &r, 0));
    fiber_detach(fiber_spawn("writer", blocked_writer_fiber, &w, 0));
    run_for(5 * SEC);
    ck_assert(!r.done);
    ck_assert(!w.done);
    ck_assert_uint_gt(w.written, 0);
    tcp_stack_shutdown(sa);
    ck_assert(run_until_flag(&r.done, SEC));
    ck_assert(run_until_flag(&w.done, SEC));
    ck_assert_int_eq(r.rc, -ENETDOWN);
    ck_assert_int_lt(w.rc, (long)(64 * 1024));
    tcp_close(p.client);
    tcp_close(p.server);
    tcp_listener_close(p.l);
    run_for(121 * SEC);
    tcp_fixture_down();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_e2e");
    TCase *t = tcase_create("e2e");
    tcase_set_timeout(t, 120);
    tcase_add_test(t, many_connections_on_a_bad_link);
    tcase_add_test(t, full_duplex_bulk_on_a_bad_link);
    tcase_add_test(t, link_outage_mid_transfer);
    tcase_add_test(t, vanished_peer_times_out);
    tcase_add_test(t, connection_churn_through_time_wait);
    tcase_add_test(t, syn_flood_during_transfer);
    tcase_add_test(t, shutdown_from_another_fiber_wakes_reader);
    tcase_add_test(t, stack_shutdown_wakes_every_waiter);
    suite_add_tcase(s, t);
    return s;
}

TEST_MAIN(suite)
