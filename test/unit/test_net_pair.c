/*
 * Unit tests for the in-memory pair (net/dev/pair), the pcap decorator (net/dev/pcap) and the
 * fault injector (net/dev/faults): deterministic delivery on the simulated clock, copies that do
 * not share the sender's buffers, bounds, the classic pcap format (and tshark reading it when
 * installed), and replayable fault patterns.
 */
#define _GNU_SOURCE
#include "test/unit/net_core_fixture.h"
#include "lib/checksum.h"
#include "lib/errno.h"
#include "net/dev/faults.h"
#include "net/dev/pair.h"
#include "net/dev/pcap.h"
#include "xenolith/test_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static struct pbuf_pool *pa, *pb, *txpool;
static struct netdev_pair *pair;
static struct netdev *end0, *end1;

/* What arrives at a device: payload tag (byte 14) and arrival time. */
#define RX_MAX 512
static unsigned rx_count;
static uint8_t rx_tag[RX_MAX];
static uint64_t rx_when[RX_MAX];
static uint8_t rx_frame[RX_MAX][64];
static uint32_t rx_len[RX_MAX];

static void record_rx(struct netdev *dev, struct pbuf *p, void *ctx)
{
    ck_assert_uint_lt(rx_count, RX_MAX);
    pbuf_copy_out(p, 14, &rx_tag[rx_count], 1);
    uint32_t n = p->tot_len < 64 ? p->tot_len : 64;
    pbuf_copy_out(p, 0, rx_frame[rx_count], n);
    rx_len[rx_count] = p->tot_len;
    rx_when[rx_count++] = sim_now();
    pbuf_free(p);
}

static void setup(void)
{
    core_boot();
    pa = pbuf_pool_create("a", 64);
    pb = pbuf_pool_create("b", 64);
    txpool = pbuf_pool_create("tx", 128);
    pair = netdev_pair_create("p", 1, 1500, NETDEV_CAP_TX_CSUM | NETDEV_CAP_TSO, pa, pb);
    end0 = netdev_pair_end(pair, 0);
    end1 = netdev_pair_end(pair, 1);
    netdev_set_rx_handler(end1, record_rx, NULL);
    rx_count = 0;
}

static void teardown(void)
{
    netdev_pair_destroy(pair);
    ck_assert_uint_eq(pool_in_use(pa) + pool_in_use(pb) + pool_in_use(txpool), 0);
    pbuf_pool_destroy(pa);
    pbuf_pool_destroy(pb);
    pbuf_pool_destroy(txpool);
}

static struct pbuf *frame(uint8_t tag)
{
    struct pbuf *p = pbuf_alloc(txpool, 60);
    memset(p->data, 0, 60);
    build_eth(p->data, end1->mac, end0->mac, 0x88b5);
    p->data[14] = tag;
    return p;
}

static int send_on(struct netdev *dev, uint8_t tag)
{
    return netdev_transmit(dev, frame(tag));
}

START_TEST(pair_delivers_in_order_next_turn)
{
    ck_assert_int_eq(send_on(end0, 1), 0);
    ck_assert_int_eq(send_on(end0, 2), 0);
    ck_assert_uint_eq(rx_count, 0);              /* never synchronously: no re-entrancy */
    ck_assert_uint_eq(netdev_pair_in_flight(pair), 2);
    settle();
    ck_assert_uint_eq(rx_count, 2);
    ck_assert_uint_eq(rx_tag[0], 1);
    ck_assert_uint_eq(rx_tag[1], 2);
    ck_assert_uint_eq(rx_when[0], T0);
    ck_assert_uint_eq(end1->stats.rx_frames, 2);
    ck_assert_uint_eq(end0->stats.tx_frames, 2);
    ck_assert(memcmp(end0->mac, end1->mac, 6) != 0);
    ck_assert_uint_eq(end0->caps, NETDEV_CAP_TX_CSUM | NETDEV_CAP_TSO);  /* TSO: large receive */
}
END_TEST

START_TEST(pair_latency)
{
    netdev_pair_set_latency(pair, 5 * MS);
    send_on(end0, 1);
    run_until(T0 + 5 * MS - 1);
    ck_assert_uint_eq(rx_count, 0);
    run_until(T0 + 5 * MS);
    ck_assert_uint_eq(rx_count, 1);
    ck_assert_uint_eq(rx_when[0], T0 + 5 * MS);
    /* Lowering the latency does not let a later frame overtake an earlier one. */
    send_on(end0, 2);
    netdev_pair_set_latency(pair, 0);
    send_on(end0, 3);
    run_until(T0 + 20 * MS);
    ck_assert_uint_eq(rx_tag[1], 2);
    ck_assert_uint_eq(rx_tag[2], 3);
    ck_assert_uint_eq(rx_when[2], T0 + 10 * MS);
}
END_TEST

START_TEST(pair_link_down_and_bound)
{
    netdev_pair_set_link(pair, false);
    ck_assert_int_eq(send_on(end0, 1), -ENETDOWN);
    ck_assert_uint_eq(end0->stats.tx_dropped, 1);
    netdev_pair_set_link(pair, true);
    /* The receiving pool (64 blocks) bounds first: overflow is counted as receive errors. */
    for (unsigned i = 0; i < 70; i++)
        send_on(end0, (uint8_t)i);
    ck_assert_uint_eq(end1->stats.rx_errors, 6);
    settle();
    ck_assert_uint_eq(rx_count, 64);
}
END_TEST

START_TEST(pair_queue_bound)
{
    struct pbuf_pool *big = pbuf_pool_create("big", 2 * NETDEV_PAIR_QUEUE);
    struct netdev_pair *p2 = netdev_pair_create("q", 2, 1500, 0, big, big);
    struct netdev *e0 = netdev_pair_end(p2, 0);
    for (unsigned i = 0; i < NETDEV_PAIR_QUEUE + 3; i++)
        netdev_transmit(e0, frame(1));
    ck_assert_uint_eq(e0->stats.tx_dropped, 3);
    ck_assert_uint_eq(netdev_pair_in_flight(p2), NETDEV_PAIR_QUEUE);
    netdev_pair_destroy(p2);     /* frees what is in flight */
    ck_assert_uint_eq(pool_in_use(big), 0);
    pbuf_pool_destroy(big);
}
END_TEST

START_TEST(pair_copies_frames)
{
    struct pbuf *p = frame(9);
    pbuf_ref(p);                                 /* the sender keeps a reference */
    netdev_transmit(end0, p);
    settle();
    ck_assert_uint_eq(rx_tag[0], 9);
    ck_assert_uint_eq(p->refcnt, 1);
    ck_assert_uint_eq(p->data[14], 9);
    pbuf_free(p);
}
END_TEST

START_TEST(pair_completes_partial_checksum)
{
    struct pbuf *p = frame(0);
    memset(p->data + 14, 0xab, 46);
    p->data[14 + 26] = 0;
    p->data[14 + 27] = 0;
    p->flags = PBUF_F_CSUM_PARTIAL;
    p->csum_start = 20;
    p->csum_offset = 6;
    netdev_transmit(end0, p);
    settle();
    /* The received region [34, 60) now sums to 0xffff: the checksum verifies. */
    ck_assert_uint_eq(inet_checksum(rx_frame[0] + 34, 26), 0);
}
END_TEST

/* ---- pcap ---- */

static int file_sink(void *ctx, const void *buf, size_t len)
{
    return fwrite(buf, 1, len, ctx) == len ? 0 : -EIO;
}

START_TEST(pcap_records_both_directions)
{
    char path[] = "/tmp/xenolith-pcap-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w+");
    struct netdev *cap0 = pcap_wrap(end0, file_sink, f, 0);
    ck_assert_ptr_nonnull(cap0);
    ck_assert_str_eq(cap0->name, end0->name);
    ck_assert_mem_eq(cap0->mac, end0->mac, 6);
    netdev_set_rx_handler(end1, NULL, NULL);
    struct netdev *rxpath = end1;
    netdev_transmit(cap0, frame(1));                  /* out through the decorator */
    netdev_transmit(rxpath, frame(2));                /* in from the far side (dropped there: no handler) */
    settle();
    struct pcap_stats st;
    pcap_get_stats(cap0, &st);
    ck_assert_uint_eq(st.frames_written, 2);
    fflush(f);

    uint8_t buf[24 + 2 * (16 + 60)];
    ck_assert_int_eq(pread(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    ck_assert_uint_eq(load_u32(buf), PCAP_MAGIC);
    ck_assert_uint_eq(load_u16(buf + 4), 2);
    ck_assert_uint_eq(load_u16(buf + 6), 4);
    ck_assert_uint_eq(load_u32(buf + 16), PCAP_DEFAULT_SNAPLEN);
    ck_assert_uint_eq(load_u32(buf + 20), PCAP_LINKTYPE_ETHERNET);
    const uint8_t *r = buf + 24;
    ck_assert_uint_eq(load_u32(r + 8), 60);
    ck_assert_uint_eq(load_u32(r + 12), 60);
    ck_assert_uint_eq(r[16 + 14], 1);
    /* The simulated wall clock starts at 2026-01-01T00:00:00Z. */
    ck_assert_uint_eq(load_u32(r), 1767225600u + 1);
    r += 16 + 60;
    ck_assert_uint_eq(r[16 + 14], 2);

    if (system("command -v tshark >/dev/null 2>&1") == 0) {
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "tshark -r %s -T fields -e eth.type 2>/dev/null", path);
        FILE *t = popen(cmd, "r");
        char line[64];
        unsigned lines = 0;
        while (fgets(line, sizeof(line), t)) {
            ck_assert_msg(strncmp(line, "0x88b5", 6) == 0, "tshark read '%s'", line);
            lines++;
        }
        ck_assert_int_eq(pclose(t), 0);
        ck_assert_uint_eq(lines, 2);
    }
    netdev_destroy(cap0);
    fclose(f);
    unlink(path);
}
END_TEST

START_TEST(pcap_truncates_to_snaplen)
{
    char path[] = "/tmp/xenolith-pcap-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w+");
    struct netdev *cap0 = pcap_wrap(end0, file_sink, f, 20);
    netdev_transmit(cap0, frame(1));
    struct pcap_stats st;
    pcap_get_stats(cap0, &st);
    ck_assert_uint_eq(st.frames_truncated, 1);
    ck_assert_uint_eq(st.bytes_written, 16 + 20);
    fflush(f);
    uint8_t rec[16];
    ck_assert_int_eq(pread(fd, rec, 16, 24), 16);
    ck_assert_uint_eq(load_u32(rec + 8), 20);
    ck_assert_uint_eq(load_u32(rec + 12), 60);
    settle();
    netdev_destroy(cap0);
    fclose(f);
    unlink(path);
}
END_TEST

static int failing_sink(void *ctx, const void *buf, size_t len)
{
    int *calls = ctx;
    return (*calls)++ == 0 ? 0 : -EIO;    /* header ok, then the disk is full */
}

START_TEST(pcap_sink_errors_counted_traffic_flows)
{
    int calls = 0;
    struct netdev *cap0 = pcap_wrap(end0, failing_sink, &calls, 0);
    ck_assert_int_eq(netdev_transmit(cap0, frame(5)), 0);
    settle();
    struct pcap_stats st;
    pcap_get_stats(cap0, &st);
    ck_assert_uint_eq(st.write_errors, 1);
    ck_assert_uint_eq(rx_count, 1);
    netdev_destroy(cap0);
}
END_TEST

/* ---- faults ---- */

static void send_n(struct netdev *dev, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        netdev_transmit(dev, frame((uint8_t)i));
}

START_TEST(faults_drop_all_and_none)
{
    struct faults_config cfg = { .seed = 1, .directions = FAULTS_TX, .drop_ppm = FAULTS_PPM };
    struct netdev *f = faults_wrap(end0, &cfg);
    send_n(f, 10);
    settle();
    ck_assert_uint_eq(rx_count, 0);
    cfg.drop_ppm = 0;
    faults_configure(f, &cfg);
    send_n(f, 10);
    settle();
    ck_assert_uint_eq(rx_count, 10);
    struct faults_stats st;
    faults_get_stats(f, &st);
    ck_assert_uint_eq(st.dropped, 10);
    ck_assert_uint_eq(st.frames_seen, 20);
    netdev_destroy(f);
}
END_TEST

static unsigned run_pattern(uint64_t seed, uint8_t *tags)
{
    rx_count = 0;
    struct faults_config cfg = { .seed = seed, .directions = FAULTS_TX, .drop_ppm = 200000,
                                 .duplicate_ppm = 100000, .reorder_ppm = 100000 };
    struct netdev *f = faults_wrap(end0, &cfg);
    send_n(f, 100);
    run_for(50 * MS);
    memcpy(tags, rx_tag, rx_count);
    netdev_destroy(f);
    return rx_count;
}

START_TEST(faults_replay_from_seed)
{
    uint8_t a[RX_MAX], b[RX_MAX], c[RX_MAX];
    unsigned na = run_pattern(42, a), nb = run_pattern(42, b), nc = run_pattern(43, c);
    ck_assert_uint_eq(na, nb);
    ck_assert_mem_eq(a, b, na);
    ck_assert(na != nc || memcmp(a, c, na) != 0);
    ck_assert_uint_gt(na, 60);    /* ~80 survive drops, ~10 duplicated */
    ck_assert_uint_lt(na, 105);
}
END_TEST

START_TEST(faults_duplicate_and_reorder)
{
    struct faults_config cfg = { .seed = 7, .directions = FAULTS_TX, .duplicate_ppm = FAULTS_PPM };
    struct netdev *f = faults_wrap(end0, &cfg);
    send_n(f, 3);
    settle();
    ck_assert_uint_eq(rx_count, 6);
    ck_assert_uint_eq(rx_tag[0], 0);
    ck_assert_uint_eq(rx_tag[1], 0);
    cfg.duplicate_ppm = 0;
    cfg.reorder_ppm = FAULTS_PPM;
    faults_configure(f, &cfg);
    rx_count = 0;
    netdev_transmit(f, frame(1));     /* held */
    cfg.reorder_ppm = 0;
    faults_configure(f, &cfg);
    netdev_transmit(f, frame(2));     /* goes first, releases 1 after it */
    settle();
    ck_assert_uint_eq(rx_count, 2);
    ck_assert_uint_eq(rx_tag[0], 2);
    ck_assert_uint_eq(rx_tag[1], 1);
    /* A held frame with no successor still leaves after reorder_hold_ns. */
    cfg.reorder_ppm = FAULTS_PPM;
    cfg.reorder_hold_ns = 3 * MS;
    faults_configure(f, &cfg);
    uint64_t start = sim_now();
    netdev_transmit(f, frame(3));
    run_for(10 * MS);
    ck_assert_uint_eq(rx_count, 3);
    ck_assert_uint_eq(rx_when[2], start + 3 * MS);
    netdev_destroy(f);
}
END_TEST

START_TEST(faults_corrupt_private_copy)
{
    struct faults_config cfg = { .seed = 3, .directions = FAULTS_TX, .corrupt_ppm = FAULTS_PPM };
    struct netdev *f = faults_wrap(end0, &cfg);
    struct pbuf *p = frame(0x55);
    uint8_t orig[60];
    pbuf_copy_out(p, 0, orig, 60);
    pbuf_ref(p);
    netdev_transmit(f, p);
    settle();
    ck_assert_uint_eq(rx_count, 1);
    unsigned diffs = 0;
    for (unsigned i = 0; i < 60; i++)
        diffs += rx_frame[0][i] != orig[i];
    ck_assert_uint_eq(diffs, 1);
    ck_assert_mem_eq(p->data, orig, 60);     /* the sender's buffer is untouched */
    pbuf_free(p);
    netdev_destroy(f);
}
END_TEST

START_TEST(faults_delay_and_rx_direction)
{
    struct faults_config cfg = { .seed = 5, .directions = FAULTS_RX, .delay_ppm = FAULTS_PPM,
                                 .delay_ns = 7 * MS };
    /* Wrap the receiving end: faults apply to frames coming in. */
    struct netdev *f = faults_wrap(end1, &cfg);
    netdev_set_rx_handler(f, record_rx, NULL);
    send_on(end0, 4);
    run_for(20 * MS);
    ck_assert_uint_eq(rx_count, 1);
    ck_assert_uint_eq(rx_when[0], T0 + 7 * MS);
    /* TX on the same decorator is untouched (direction not selected). */
    netdev_set_rx_handler(end0, record_rx, NULL);
    netdev_transmit(f, frame(6));
    settle();
    ck_assert_uint_eq(rx_count, 2);
    struct faults_stats st;
    faults_get_stats(f, &st);
    ck_assert_uint_eq(st.delayed, 1);
    ck_assert_uint_eq(st.frames_seen, 1);
    netdev_destroy(f);
}
END_TEST

START_TEST(faults_destroy_frees_held)
{
    struct faults_config cfg = { .seed = 5, .directions = FAULTS_TX, .delay_ppm = FAULTS_PPM,
                                 .delay_ns = SEC };
    struct netdev *f = faults_wrap(end0, &cfg);
    send_n(f, FAULTS_MAX_HELD + 2);
    struct faults_stats st;
    faults_get_stats(f, &st);
    ck_assert_uint_eq(st.held_overflow, 2);
    settle();
    ck_assert_uint_eq(rx_count, 2);          /* overflow passes on unharmed */
    netdev_destroy(f);
    ck_assert_uint_eq(pool_in_use(txpool), 0);
}
END_TEST

static Suite *pair_suite(void)
{
    Suite *su = suite_create("net_pair");
    TCase *tc = tcase_create("pair");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, pair_delivers_in_order_next_turn);
    tcase_add_test(tc, pair_latency);
    tcase_add_test(tc, pair_link_down_and_bound);
    tcase_add_test(tc, pair_queue_bound);
    tcase_add_test(tc, pair_copies_frames);
    tcase_add_test(tc, pair_completes_partial_checksum);
    tcase_add_test(tc, pcap_records_both_directions);
    tcase_add_test(tc, pcap_truncates_to_snaplen);
    tcase_add_test(tc, pcap_sink_errors_counted_traffic_flows);
    tcase_add_test(tc, faults_drop_all_and_none);
    tcase_add_test(tc, faults_replay_from_seed);
    tcase_add_test(tc, faults_duplicate_and_reorder);
    tcase_add_test(tc, faults_corrupt_private_copy);
    tcase_add_test(tc, faults_delay_and_rx_direction);
    tcase_add_test(tc, faults_destroy_frees_held);
    suite_add_tcase(su, tc);
    return su;
}

TEST_MAIN(pair_suite)
