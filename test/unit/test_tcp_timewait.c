/*
 * Unit tests for TIME_WAIT as compact records (net/tcp/tcp_timewait.c): records kept apart from
 * max_connections in a table bounded by max_time_wait whose oldest entry is reused when full
 * (RFC 9293 3.6.1's TIME-WAIT with Linux's tcp_max_tw_buckets bound), a server that closes first
 * sustaining 20000 connections with bounded memory, records on the heap with a few kept for
 * reuse at expiry, a retransmitted FIN re-ACKed from the record
 * (RFC 9293 3.10.7.4), and a valid SYN-cookie ACK refused with a RST when every TCB slot is taken
 * (RFC 4987 3.6: the peer believes the connection open).
 */
#include "mm/mm.h"
#include "test/unit/tcp_forge.h"
#include "xenolith/test_main.h"

#define PORT 5120

struct opener {
    int rc;
    bool done;
    struct tcp_conn *c;
};

static int open_fiber(void *arg)
{
    struct opener *o = arg;
    o->rc = tcp_connect(sa, B_IP, PORT, sim_now() + 30 * SEC, &o->c);
    o->done = true;
    return 0;
}

/* One connection from A to B that B (the server) closes first: B ends in TIME_WAIT, A in CLOSED.
 * Returns B's 4-tuple. */
static struct tcp_endpoints server_closes_first(struct tcp_listener *l)
{
    struct opener o = { 0 };
    fiber_detach(fiber_spawn("open", open_fiber, &o, 0));
    RUN_UNTIL(o.done, 5 * SEC);
    ck_assert(o.done);
    ck_assert_int_eq(o.rc, 0);
    struct tcp_conn *srv = NULL;
    RUN_UNTIL(tcp_accept(l, &srv, 0) == 0, SEC);
    ck_assert_ptr_nonnull(srv);
    struct tcp_endpoints ep = srv->ep;
    ck_assert_int_eq(tcp_write(srv, "bye", 3, 0), 3);
    tcp_close(srv);                                  /* server first: FIN */
    uint8_t buf[8];
    long n = 0;
    for (int i = 0; i < 100 && n != 3; i++) {
        run_for(MS);
        n = tcp_read(o.c, buf, sizeof(buf), 0);
    }
    ck_assert_int_eq(n, 3);
    RUN_UNTIL(tcp_read(o.c, buf, sizeof(buf), 0) == 0, SEC);
    tcp_close(o.c);                                  /* client second: LAST_ACK */
    RUN_UNTIL(tcp_tw_lookup(sb->tcp.impl, &ep) != NULL, SEC);
    return ep;
}

static void set_limits(struct netstack *s, unsigned max_connections, unsigned max_time_wait)
{
    struct tcp_config cfg;
    tcp_get_config(s, &cfg);
    cfg.max_connections = max_connections;
    cfg.max_time_wait = max_time_wait;
    ck_assert_int_eq(tcp_set_config(s, &cfg), 0);
}

/* RFC 9293 3.6.1 with Linux's tcp_max_tw_buckets: TIME_WAIT does not hold a TCB slot, its table is
 * bounded, and a new TIME_WAIT in a full table takes the oldest record's place. (Before, each
 * TIME_WAIT was a whole TCB counted against max_connections: the third connection was refused.) */
START_TEST(full_table_reuses_the_oldest_record)
{
    set_limits(sb, 2, 4);
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    struct tcp_endpoints ep[6];
    for (int i = 0; i < 6; i++)
        ep[i] = server_closes_first(l);
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.time_wait, 4);
    ck_assert_uint_eq(census.connections, 0);
    ck_assert_uint_eq(sb->tcp.stats.conn_limit, 0);
    ck_assert_uint_eq(sb->tcp.stats.time_wait_entered, 6);
    ck_assert_uint_eq(sb->tcp.stats.time_wait_recycled, 2);
    ck_assert_ptr_null(tcp_tw_lookup(sb->tcp.impl, &ep[0]));     /* the two oldest went */
    ck_assert_ptr_null(tcp_tw_lookup(sb->tcp.impl, &ep[1]));
    for (int i = 2; i < 6; i++)
        ck_assert_ptr_nonnull(tcp_tw_lookup(sb->tcp.impl, &ep[i]));
    /* A smaller table takes effect at once, the oldest going first. */
    set_limits(sb, 2, 2);
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.time_wait, 2);
    ck_assert_ptr_null(tcp_tw_lookup(sb->tcp.impl, &ep[3]));
    ck_assert_ptr_nonnull(tcp_tw_lookup(sb->tcp.impl, &ep[4]));
    ck_assert_ptr_nonnull(tcp_tw_lookup(sb->tcp.impl, &ep[5]));
    /* 2*MSL later every record is gone. */
    run_for(61 * SEC);
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.time_wait, 0);
    tcp_listener_close(l);
}
END_TEST

/* The load of issue 12 (`ab -n 20000` against a server that closes first): 20000 connections one
 * after another, with max_connections 64 and a TIME_WAIT table of 1024. Every one succeeds, the
 * records never exceed the table and the heap stays bounded. (Before, TIME_WAIT TCBs filled
 * max_connections after 64 connections and every later SYN was dropped.) */
START_TEST(server_closing_first_sustains_20000_connections)
{
    set_limits(sb, 64, 1024);
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 64, &l), 0);
    struct heap_stats h0, h;
    struct page_stats p0, p;
    heap_get_stats(&h0);
    page_get_stats(&p0);
    uint64_t t0 = sim_now(), peak = 0, pages_peak = 0;
    for (int i = 0; i < 20000; i++) {
        server_closes_first(l);
        if (i % 1000 == 999) {
            struct tcp_census census;
            tcp_get_census(sb, &census);
            ck_assert_uint_le(census.time_wait, 1024);
            ck_assert_uint_eq(census.connections, 0);
            heap_get_stats(&h);
            if (h.bytes_in_use > peak)
                peak = h.bytes_in_use;
            page_get_stats(&p);
            if (p0.pages_free - p.pages_free > pages_peak)
                pages_peak = p0.pages_free - p.pages_free;
        }
    }
    ck_assert_uint_eq(sb->tcp.stats.conn_limit, 0);
    ck_assert_uint_eq(sb->tcp.stats.time_wait_entered, 20000);
    ck_assert_uint_ge(sb->tcp.stats.time_wait_recycled, 20000 - 1024 - 1024);
    /* 1024 records of about 100 bytes plus the fixed tables: well under 1 MiB above the start,
     * on the heap and in pages. */
    ck_assert_uint_lt(peak - h0.bytes_in_use, 1024 * 1024);
    ck_assert_uint_lt(pages_peak * PAGE_SIZE, 1024 * 1024);
    ck_assert_uint_lt(sim_now() - t0, 10 * 60 * SEC);
    run_for(61 * SEC);
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.time_wait, 0);
    tcp_listener_close(l);
}
END_TEST

/* Memory in live use: heap bytes less what caches keep for reuse. */
static uint64_t live_bytes(const struct heap_stats *h)
{
    return h->bytes_in_use - h->cached_bytes;
}

/* Records come from the heap (its slabs carved as records are needed): records in TIME_WAIT are
 * live heap bytes. When they expire a few are kept for the next TIME_WAIT (four, reported to the
 * heap as cached) and the rest freed, so memory in live use returns to its idle value and the
 * records' slabs go back to the page allocator; the next TIME_WAIT takes a kept record. */
START_TEST(records_on_the_heap_a_few_kept_at_expiry)
{
    set_limits(sb, 8, 128);
    struct tcp_listener *l;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &l), 0);
    server_closes_first(l);                          /* every cache a connection uses exists */
    run_for(61 * SEC);                               /* and its record expired: one kept */
    struct page_stats p0, p2;
    struct heap_stats h0, h1, h2, h3;
    page_get_stats(&p0);
    heap_get_stats(&h0);
    enum { RECORDS = 100, KEPT = 4 };
    for (int i = 0; i < RECORDS; i++)
        server_closes_first(l);
    run_for(SEC);                                    /* the clients' TCBs are done with */
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.time_wait, RECORDS);
    heap_get_stats(&h1);
    ck_assert_uint_eq(live_bytes(&h1) - live_bytes(&h0), RECORDS * sizeof(struct tcp_tw));
    ck_assert_uint_eq(h0.cached_objects - h1.cached_objects, 1);   /* the kept one taken */
    run_for(61 * SEC);                               /* 2*MSL: every record expires */
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.time_wait, 0);
    heap_get_stats(&h2);
    page_get_stats(&p2);
    ck_assert_uint_eq(live_bytes(&h2), live_bytes(&h0));
    ck_assert_uint_eq(h2.cached_objects - h0.cached_objects, KEPT - 1);
    /* The slabs of the records freed went back; at most one holds kept records. */
    ck_assert_int_le((int64_t)p0.pages_free - (int64_t)p2.pages_free, 1);
    server_closes_first(l);
    run_for(SEC);
    heap_get_stats(&h3);
    ck_assert_uint_eq(h2.cached_objects - h3.cached_objects, 1);
    ck_assert_uint_eq(live_bytes(&h3) - live_bytes(&h2), sizeof(struct tcp_tw));
    tcp_listener_close(l);
}
END_TEST

/* RFC 9293 3.10.7.4 (TIME-WAIT): the peer's FIN again (our last ACK was lost) is acknowledged from
 * the record, <SEQ=SND.NXT><ACK=RCV.NXT>, and restarts the 2*MSL wait. */
START_TEST(retransmitted_fin_reacked_from_the_record)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    ck_assert_int_eq(tcp_shutdown(p.client, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    ck_assert_int_eq(tcp_shutdown(p.server, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    struct tcp_conn *c = p.client;                   /* CLOSED handle, fields still readable */
    struct tcp_tw *tw = tcp_tw_lookup(sa->tcp.impl, &c->ep);
    ck_assert_ptr_nonnull(tw);
    run_for(50 * SEC);
    tf_tap_clear();
    forge_to(c, c->rcv_nxt - 1, c->snd_nxt, TCP_FLAG_FIN | TCP_FLAG_ACK, 65535, 1, NULL, 0);
    settle();
    ck_assert_uint_eq(sa->tcp.stats.rx_timewait_fin_acked, 1);
    const struct tf_seg *ack = tap_find(true, TCP_FLAG_ACK);
    ck_assert_ptr_nonnull(ack);
    ck_assert_uint_eq(ack->h.seq, c->snd_nxt);
    ck_assert_uint_eq(ack->h.ack, c->rcv_nxt);
    ck_assert(ack->opts.present & TCP_OPTF_TIMESTAMPS);
    /* 2*MSL from the retransmitted FIN, not from the first one. */
    run_for(50 * SEC);
    ck_assert_ptr_nonnull(tcp_tw_lookup(sa->tcp.impl, &c->ep));
    run_for(11 * SEC);
    ck_assert_ptr_null(tcp_tw_lookup(sa->tcp.impl, &c->ep));
    tcp_close(p.client);
    tcp_close(p.server);
    tcp_listener_close(p.l);
}
END_TEST

/* A new active open never takes a 4-tuple held in TIME_WAIT (RFC 9293 3.4.1). */
START_TEST(active_open_avoids_time_wait_tuple)
{
    struct tf_conns p;
    tf_open(&p, PORT);
    ck_assert_int_eq(tcp_shutdown(p.client, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    ck_assert_int_eq(tcp_shutdown(p.server, TCP_SHUT_WR), 0);
    run_for(100 * MS);
    uint16_t held = p.client->ep.local_port;
    ck_assert_ptr_nonnull(tcp_tw_lookup(sa->tcp.impl, &p.client->ep));
    struct tcp_conn *c = NULL;
    ck_assert_int_eq(tcp_connect_from(sa, held, B_IP, PORT, sim_now() + SEC, &c), -EADDRINUSE);
    tcp_close(p.client);
    tcp_close(p.server);
    tcp_listener_close(p.l);
}
END_TEST

/* SYN-ACKs to the spoofed source: A must not see them (its RST would end the half-open TCB). */
#define SPOOFED_PORT 41999
static enum tf_verdict hide_spoofed_synack(const struct tf_seg *s, void *ctx)
{
    (void)ctx;
    return !s->tx && s->h.dst_port == SPOOFED_PORT ? TF_DROP : TF_PASS;
}

/* RFC 4987 3.6 (cookies): the ACK completing a cookie handshake arrives when max_connections TCBs
 * are live. The client believes itself connected, so it is told with a RST (and the refusal
 * counted) instead of being left to time out. (Before, it was dropped silently.) */
START_TEST(cookie_ack_with_table_full_gets_rst)
{
    struct tcp_config cfg;
    tcp_get_config(sb, &cfg);
    cfg.max_connections = 2;
    cfg.max_half_open = 1;
    ck_assert_int_eq(tcp_set_config(sb, &cfg), 0);
    struct tf_conns p;
    tf_open(&p, PORT);                               /* TCB 1 */
    tf_tap_set_filter(hide_spoofed_synack, NULL);
    struct tcp_options o = { .present = TCP_OPTF_MSS, .mss = 1460 };
    tf_inject(sb, A_IP, B_IP, SPOOFED_PORT, PORT, 12345, 0, TCP_FLAG_SYN, 65535, &o, NULL, 0);
    settle();                                        /* TCB 2: half-open, queue full */
    struct tcp_census census;
    tcp_get_census(sb, &census);
    ck_assert_uint_eq(census.half_open, 1);
    struct opener op = { 0 };
    fiber_detach(fiber_spawn("open", open_fiber, &op, 0));
    RUN_UNTIL(op.done, SEC);
    ck_assert_int_eq(op.rc, 0);                      /* A took the cookie SYN-ACK */
    ck_assert_uint_eq(sb->tcp.stats.rx_syncookies_sent, 1);
    run_for(10 * MS);
    ck_assert_uint_eq(sb->tcp.stats.rx_syncookies_conn_limit, 1);
    ck_assert_int_eq(op.c->state, TCPS_CLOSED);
    ck_assert_int_eq(op.c->error, -ECONNRESET);
    tcp_close(op.c);
    tf_close_all(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_timewait");
    TCase *tc = tcase_create("timewait");
    tcase_add_checked_fixture(tc, tcp_fixture_setup, tcp_fixture_down);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, full_table_reuses_the_oldest_record);
    tcase_add_test(tc, server_closing_first_sustains_20000_connections);
    tcase_add_test(tc, records_on_the_heap_a_few_kept_at_expiry);
    tcase_add_test(tc, retransmitted_fin_reacked_from_the_record);
    tcase_add_test(tc, active_open_avoids_time_wait_tuple);
    tcase_add_test(tc, cookie_ack_with_table_full_gets_rst);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
