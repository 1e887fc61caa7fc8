/*
 * Unit tests for TCP segmentation offload (net/tcp/tcp_output.c): on a device with NETDEV_CAP_TSO
 * (the in-memory pair, which hands a TSO frame to the other stack whole, as a large receive),
 * new data leaves as frames of several MSS with gso_size = MSS, each frame bounded by the
 * congestion window, the peer's window and 64 KiB; retransmissions go by single segments; and a
 * device without the capability never sees a frame longer than one MSS.
 */
#include "test/unit/tcp_forge.h"
#include "net/tcp/tcp_cc.h"
#include "net/wire/tcp_seq.h"
#include "xenolith/test_main.h"

#define PORT 5200
/* The payload limit of a TSO frame: its Ethernet frame fits netfront's 16-bit request size with
 * the largest IPv4 and TCP headers (tcp_output.c). */
#define TSO_MAX_PAYLOAD (0xffffu - 14u - 20u - 60u)

static void tso_setup(void)
{
    tcp_fixture_up(NULL, MS, NETDEV_CAP_TX_CSUM | NETDEV_CAP_TSO);
}

static void plain_setup(void)
{
    tcp_fixture_up(NULL, MS, NETDEV_CAP_TX_CSUM);
}

/* tf_open with B's receive buffer chosen before the SYN. */
static void open_sized(struct tf_conns *p, size_t rcvbuf)
{
    memset(p, 0, sizeof(*p));
    p->port = PORT;
    ck_assert_int_eq(tcp_listen(sb, PORT, 8, &p->l), 0);
    struct tcp_buffer_sizes sizes = { .rcvbuf = rcvbuf };
    ck_assert_int_eq(tcp_listener_set_buffers(p->l, &sizes), 0);
    fiber_detach(fiber_spawn("accept", tf_conns_accept, p, 0));
    fiber_detach(fiber_spawn("connect", tf_conns_connect, p, 0));
    RUN_UNTIL(p->cdone && p->adone, 2 * SEC);
    ck_assert(p->cdone && p->adone);
    ck_assert_int_eq(p->crc, 0);
    ck_assert_int_eq(p->arc, 0);
}

/* Sends len pattern bytes from A to B in large writes and checks every byte B reads. */
static void bulk(struct tf_conns *p, size_t len)
{
    static uint8_t wbuf[256 * 1024], rbuf[64 * 1024], want[64 * 1024];
    size_t written = 0, got = 0;
    uint64_t end = sim_now() + 60 * SEC;
    while (got < len && sim_now() < end) {
        if (written < len) {
            size_t n = len - written < sizeof(wbuf) ? len - written : sizeof(wbuf);
            fill_pattern(wbuf, n, written);
            long w = tcp_write(p->client, wbuf, n, 0);
            if (w > 0)
                written += (size_t)w;
        }
        long r = tcp_read(p->server, rbuf, sizeof(rbuf), 0);
        if (r > 0) {
            fill_pattern(want, (size_t)r, got);
            ck_assert_msg(memcmp(rbuf, want, (size_t)r) == 0, "bytes %zu.. differ", got);
            got += (size_t)r;
            continue;
        }
        run_for(MS);
    }
    ck_assert_uint_eq(got, len);
}

/* Walks the tap's record in order: every data frame A sent must lie within the window B had
 * offered in the ACKs A had received before it (RFC 9293 3.8.6: the sender never sends beyond
 * SND.UNA + SND.WND). Returns the largest frame's payload. */
static uint32_t check_frames_in_window(uint8_t peer_wscale, uint32_t mss)
{
    uint32_t right_edge = 0, largest = 0;
    bool have_edge = false;
    for (unsigned i = 0; i < tf_tap.count; i++) {
        const struct tf_seg *s = &tf_tap.seg[i];
        if (!s->tx) {
            if (s->h.flags & TCP_FLAG_ACK) {
                uint32_t wnd = (uint32_t)s->h.window << ((s->h.flags & TCP_FLAG_SYN) ? 0 : peer_wscale);
                uint32_t edge = s->h.ack + wnd;
                if (!have_edge || seq_gt(edge, right_edge))
                    right_edge = edge;
                have_edge = true;
            }
            continue;
        }
        if (s->len == 0)
            continue;
        ck_assert(have_edge);
        ck_assert_msg(seq_le(s->h.seq + s->len, right_edge), "frame %u ends %u past the window %u",
                      i, s->h.seq + s->len, right_edge);
        ck_assert_uint_le(s->len, TSO_MAX_PAYLOAD);
        if (s->len > mss)
            ck_assert_uint_eq(s->gso_size, mss);   /* the device cuts it into MSS segments */
        else
            ck_assert_uint_eq(s->gso_size, 0);
        if (s->len > largest)
            largest = s->len;
    }
    return largest;
}

static uint8_t peer_wscale(void)
{
    const struct tf_seg *synack = tap_find(false, TCP_FLAG_SYN | TCP_FLAG_ACK);
    ck_assert_ptr_nonnull(synack);
    return synack->opts.wscale;
}

/* With a large window, a bulk transfer goes out in TSO frames: more than one segment per frame on
 * average, frames up to (and never beyond) 64 KiB, and B receives every byte in order. */
START_TEST(bulk_goes_in_tso_frames_up_to_64k)
{
    struct tf_conns p;
    open_sized(&p, 4u * 1024 * 1024);
    struct tcp_conn_info ci;
    tcp_get_info(p.client, &ci);
    uint32_t mss = p.client->mss;
    bulk(&p, 4u * 1024 * 1024);
    uint32_t largest = check_frames_in_window(peer_wscale(), mss);
    ck_assert_uint_gt(largest, TSO_MAX_PAYLOAD - mss);        /* some frames reach the bound */
    const struct netdev_stats *st = &netdev_pair_end(tf_pair, 0)->stats;
    ck_assert_uint_gt(st->tx_gso_frames, 0);
    ck_assert_uint_gt(st->tx_segments, 4 * st->tx_frames);    /* segments per frame well above 1 */
    /* B took them whole: large receives. */
    ck_assert_uint_gt(netdev_pair_end(tf_pair, 1)->stats.rx_gso_frames, 0);
    tf_close_all(&p);
}
END_TEST

/* RFC 5681 3.1: the first flight is the initial window, and one TSO frame carries no more. */
START_TEST(first_frame_is_bounded_by_the_initial_window)
{
    struct tf_conns p;
    open_sized(&p, 1024 * 1024);
    uint32_t mss = p.client->mss;
    static uint8_t data[200 * 1024];
    fill_pattern(data, sizeof(data), 0);
    ck_assert_int_eq(tcp_write(p.client, data, sizeof(data), 0), (long)sizeof(data));
    const struct tf_seg *first = NULL;
    for (unsigned i = 0; i < tf_tap.count && !first; i++)
        if (tf_tap.seg[i].tx && tf_tap.seg[i].len)
            first = &tf_tap.seg[i];
    ck_assert_ptr_nonnull(first);
    ck_assert_uint_eq(first->len, tcp_cc_initial_window(mss));
    ck_assert_uint_eq(first->gso_size, mss);
    unsigned frames = 0;
    for (unsigned i = 0; i < tf_tap.count; i++)
        frames += tf_tap.seg[i].tx && tf_tap.seg[i].len;
    ck_assert_uint_eq(frames, 1);                   /* the whole window, one frame */
    tf_close_all(&p);
}
END_TEST

/* RFC 9293 3.8.6: a 16 KiB receive buffer at B bounds every frame, TSO or not. */
START_TEST(frames_are_bounded_by_the_peer_window)
{
    struct tf_conns p;
    open_sized(&p, 16 * 1024);
    uint32_t mss = p.client->mss;
    bulk(&p, 512 * 1024);
    uint32_t largest = check_frames_in_window(peer_wscale(), mss);
    ck_assert_uint_le(largest, 16 * 1024);
    ck_assert_uint_gt(largest, mss);
    tf_close_all(&p);
}
END_TEST

/* Drops the first TSO frame of the transfer's steady state. */
static enum tf_verdict drop_one_tso_frame(const struct tf_seg *s, void *ctx)
{
    struct tf_seg *dropped = ctx;
    if (s->tx && s->gso_size && s->len >= 8u * s->gso_size && !dropped->len) {
        *dropped = *s;
        return TF_DROP;
    }
    return TF_PASS;
}

/* A lost TSO frame is repaired by retransmissions of at most one MSS each (RFC 5681 3.2, RFC 6675:
 * loss recovery is per segment), and the stream arrives whole. */
START_TEST(lost_tso_frame_is_retransmitted_by_segments)
{
    struct tf_conns p;
    open_sized(&p, 1024 * 1024);
    uint32_t mss = p.client->mss;
    struct tf_seg dropped = { .len = 0 };
    tf_tap_set_filter(drop_one_tso_frame, &dropped);
    bulk(&p, 2u * 1024 * 1024);
    ck_assert_uint_gt(dropped.len, 0);
    uint32_t lo = dropped.h.seq, hi = dropped.h.seq + dropped.len;
    unsigned retransmissions = 0;
    bool past_drop = false;
    for (unsigned i = 0; i < tf_tap.count; i++) {
        const struct tf_seg *s = &tf_tap.seg[i];
        if (!s->tx || !s->len)
            continue;
        if (s->h.seq == lo && s->len == dropped.len && !past_drop) {
            past_drop = true;
            continue;
        }
        if (past_drop && seq_lt(s->h.seq, hi) && seq_gt(s->h.seq + s->len, lo)) {
            ck_assert_uint_le(s->len, mss);
            ck_assert_uint_eq(s->gso_size, 0);
            retransmissions++;
        }
    }
    ck_assert_uint_ge(retransmissions, (dropped.len + mss - 1) / mss);
    tf_close_all(&p);
}
END_TEST

/* Without NETDEV_CAP_TSO no frame carries more than one MSS (and none has a gso_size). */
START_TEST(no_tso_device_gets_single_segments)
{
    struct tf_conns p;
    open_sized(&p, 1024 * 1024);
    uint32_t mss = p.client->mss;
    bulk(&p, 1024 * 1024);
    ck_assert_uint_eq(check_frames_in_window(peer_wscale(), mss), mss);
    const struct netdev_stats *st = &netdev_pair_end(tf_pair, 0)->stats;
    ck_assert_uint_eq(st->tx_gso_frames, 0);
    ck_assert_uint_eq(st->tx_segments, st->tx_frames);
    tf_close_all(&p);
}
END_TEST

/* TSO frames over a link that drops, duplicates and reorders them (both ways): every byte arrives
 * in order, repaired by per-segment retransmissions (RFC 5681, RFC 6675, RFC 8985). */
START_TEST(tso_bulk_survives_a_lossy_link)
{
    static const struct faults_config lossy = {
        .seed = 1507, .directions = FAULTS_TX | FAULTS_RX,
        .drop_ppm = 20000, .duplicate_ppm = 10000, .reorder_ppm = 30000,
    };
    tcp_fixture_down();
    tcp_fixture_up(&lossy, MS, NETDEV_CAP_TX_CSUM | NETDEV_CAP_TSO);
    struct tf_conns p;
    open_sized(&p, 1024 * 1024);
    bulk(&p, 2u * 1024 * 1024);
    ck_assert_uint_gt(netdev_pair_end(tf_pair, 0)->stats.tx_gso_frames, 0);
    struct tcp_conn_info ci;
    tcp_get_info(p.client, &ci);
    ck_assert_uint_gt(ci.retransmits, 0);
    tf_close_all(&p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tcp_tso");
    TCase *tc = tcase_create("tso");
    tcase_add_checked_fixture(tc, tso_setup, tcp_fixture_down);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, bulk_goes_in_tso_frames_up_to_64k);
    tcase_add_test(tc, first_frame_is_bounded_by_the_initial_window);
    tcase_add_test(tc, frames_are_bounded_by_the_peer_window);
    tcase_add_test(tc, lost_tso_frame_is_retransmitted_by_segments);
    tcase_add_test(tc, tso_bulk_survives_a_lossy_link);
    suite_add_tcase(s, tc);
    TCase *plain = tcase_create("plain");
    tcase_add_checked_fixture(plain, plain_setup, tcp_fixture_down);
    tcase_set_timeout(plain, 60);
    tcase_add_test(plain, no_tso_device_gets_single_segments);
    suite_add_tcase(s, plain);
    return s;
}

TEST_MAIN(suite)
