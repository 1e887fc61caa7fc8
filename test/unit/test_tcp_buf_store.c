/*
 * Unit tests for tcp_buf_store: TCP's receive data kept as references to the packets' own
 * storage (no copy), in order and out of order, read once into the reader's buffer; the budget
 * charged what the references pin (blocks, pages, descriptors), not payload bytes; small
 * segments, overlaps, a buffer that already pins too much and a pool under pressure copied
 * ("collapsed") into the chunks instead, so a peer's tiny segments cannot pin a block each.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "mm/pbuf.h"
#include "net/tcp/tcp_buf.h"
#include "test/unit/net_core_fixture.h"
#include "xenolith/test_main.h"

static struct pbuf_pool *pool;
static struct tcp_buf_budget budget;
static struct tcp_buf b;

static void setup(void)
{
    core_boot();
    pool = pbuf_pool_create("rx", 256);
    ck_assert_ptr_nonnull(pool);
    budget = (struct tcp_buf_budget){ .limit = 1 << 22 };
    ck_assert_int_eq(tcp_buf_init(&b, 64 * 1024, &budget), 0);
}

static void teardown(void)
{
    tcp_buf_destroy(&b);
    ck_assert_uint_eq(budget.used, 0);           /* every charge was given back */
    ck_assert_uint_eq(pool_in_use(pool), 0);     /* every block came back */
    pbuf_pool_destroy(pool);
}

static uint8_t stream_byte(size_t pos)
{
    return (uint8_t)(pos * 31 + (pos >> 8) + 5);
}

/* A frame with `hdr` bytes of header, then the stream's bytes [pos, pos + len). */
static struct pbuf *segment(size_t hdr, size_t pos, size_t len)
{
    struct pbuf *p = pbuf_alloc(pool, hdr + len);
    ck_assert_ptr_nonnull(p);
    for (size_t i = 0; i < len; i++) {
        uint8_t v = stream_byte(pos + i);
        ck_assert_int_eq(pbuf_copy_in(p, hdr + i, &v, 1), 0);
    }
    return p;
}

/* Stores stream bytes [pos, pos + len) (consumed: how far the buffer's offset 0 is). */
static int store(size_t consumed, size_t pos, size_t len)
{
    struct pbuf *p = segment(54, pos, len);
    int rc = tcp_buf_store(&b, pos - consumed, p, 54, len);
    pbuf_free(p);                                /* the frame goes; the buffer keeps its bytes */
    return rc;
}

static void expect_stream(size_t consumed, size_t pos, size_t len)
{
    static uint8_t out[64 * 1024];
    tcp_buf_read(&b, pos - consumed, out, len);
    for (size_t i = 0; i < len; i++)
        ck_assert_msg(out[i] == stream_byte(pos + i), "byte %zu", pos + i);
}

static uint64_t storage_in_use(void)
{
    struct pbuf_pool_stats st;
    pbuf_pool_get_stats(pool, &st);
    return st.storage_in_use;
}

START_TEST(in_order_segments_are_kept_by_reference)
{
    for (size_t i = 0; i < 4; i++)
        ck_assert_int_eq(store(0, i * 1448, 1448), 0);
    ck_assert_uint_eq(budget.stored_by_reference, 4);
    ck_assert_uint_eq(budget.stored_by_copy, 0);
    ck_assert_uint_eq(b.allocated, 0);           /* no chunk: nothing was copied */
    ck_assert_uint_eq(storage_in_use(), 4);      /* the frames' own blocks, kept */
    /* Charged what is pinned: a whole block and a descriptor per segment, not 1448 bytes. */
    ck_assert_uint_ge(budget.used, 4 * PBUF_STORAGE_SIZE);
    ck_assert_uint_eq(budget.used, b.pinned);
    expect_stream(0, 0, 4 * 1448);               /* one read across the four segments */
    tcp_buf_consume(&b, 1448 + 100);             /* the second one only in part */
    ck_assert_uint_eq(storage_in_use(), 3);
    expect_stream(1548, 1548, 3 * 1448 - 100);
    tcp_buf_consume(&b, 3 * 1448 - 100);
    ck_assert_uint_eq(storage_in_use(), 0);
    ck_assert_uint_eq(budget.used, 0);
}
END_TEST

START_TEST(out_of_order_segments_fill_holes)
{
    ck_assert_int_eq(store(0, 3000, 1000), 0);   /* holes at [0, 1000) and [2000, 3000) */
    ck_assert_int_eq(store(0, 1000, 1000), 0);
    ck_assert_int_eq(store(0, 5000, 1000), 0);
    ck_assert_int_eq(store(0, 2000, 1000), 0);
    ck_assert_int_eq(store(0, 0, 1000), 0);
    ck_assert_uint_eq(budget.stored_by_reference, 5);
    expect_stream(0, 0, 4000);
    expect_stream(0, 5000, 1000);
    tcp_buf_consume(&b, 2500);
    expect_stream(2500, 2500, 1500);
    expect_stream(2500, 5000, 1000);
    tcp_buf_consume(&b, 1500);
    ck_assert_uint_eq(storage_in_use(), 1);      /* only the segment beyond the last hole */
}
END_TEST

START_TEST(chained_segment_is_trimmed_segment_by_segment)
{
    /* A large receive: one payload over two blocks. */
    struct pbuf *p = segment(60, 0, 3000);
    ck_assert_uint_eq(pbuf_segments(p), 2);
    ck_assert_int_eq(tcp_buf_store(&b, 0, p, 60, 3000), 0);
    pbuf_free(p);
    ck_assert_uint_eq(storage_in_use(), 2);
    tcp_buf_consume(&b, 2500);                   /* past the first block */
    ck_assert_uint_eq(storage_in_use(), 1);
    ck_assert_uint_eq(budget.used, b.pinned);
    expect_stream(2500, 2500, 500);
}
END_TEST

START_TEST(tiny_segments_are_collapsed_into_chunks)
{
    /* Each 20-byte segment would pin a 2 KiB block: copied instead. */
    for (size_t i = 0; i < 100; i++)
        ck_assert_int_eq(store(0, i * 20, 20), 0);
    ck_assert_uint_eq(budget.stored_by_reference, 0);
    ck_assert_uint_eq(budget.stored_by_copy, 100);
    ck_assert_uint_eq(budget.collapsed, 100);
    ck_assert_uint_eq(storage_in_use(), 0);      /* no block pinned */
    ck_assert_uint_eq(budget.used, TCP_BUF_CHUNK);   /* 2000 bytes: one chunk */
    expect_stream(0, 0, 2000);
}
END_TEST

START_TEST(pinning_is_bounded_by_the_capacity)
{
    /* 64 KiB of capacity may pin TCP_BUF_PIN_RATIO / 2 times that; 1000-byte segments pin a
     * 2 KiB block each, so past about 64 of them the rest are copied. */
    size_t n = 0;
    for (size_t pos = 0; pos + 1000 <= 64 * 1024; pos += 1000, n++)
        ck_assert_int_eq(store(0, pos, 1000), 0);
    ck_assert_uint_gt(budget.collapsed, 0);
    ck_assert_uint_le(b.pinned, TCP_BUF_PIN_RATIO / 2 * b.capacity);
    ck_assert_uint_eq(budget.stored_by_reference + budget.stored_by_copy, n);
    expect_stream(0, 0, n * 1000);
}
END_TEST

START_TEST(overlap_is_copied_and_reads_stay_right)
{
    ck_assert_int_eq(store(0, 1000, 1000), 0);
    ck_assert_int_eq(store(0, 1500, 1000), 0);   /* a retransmission overlapping it */
    ck_assert_uint_eq(budget.stored_by_reference, 1);
    ck_assert_uint_eq(budget.stored_by_copy, 1);
    ck_assert_uint_eq(budget.collapsed, 0);
    ck_assert_int_eq(store(0, 0, 1000), 0);
    expect_stream(0, 0, 2500);
}
END_TEST

START_TEST(pool_under_pressure_is_copied)
{
    struct pbuf *hog[130];
    for (unsigned i = 0; i < 130; i++)
        ck_assert_ptr_nonnull(hog[i] = pbuf_alloc(pool, 100));
    ck_assert(pbuf_pool_under_pressure(pool));
    ck_assert_int_eq(store(0, 0, 1448), 0);
    ck_assert_uint_eq(budget.stored_by_reference, 0);
    ck_assert_uint_eq(budget.stored_by_copy, 1);
    for (unsigned i = 0; i < 130; i++)
        pbuf_free(hog[i]);
    expect_stream(0, 0, 1448);
}
END_TEST

START_TEST(budget_refusal_stores_nothing)
{
    budget.limit = 3000;                         /* less than a block and a chunk together */
    ck_assert_int_eq(store(0, 0, 1448), 0);      /* referenced: one block's charge */
    ck_assert_int_eq(store(0, 8192, 1448), -ENOBUFS);   /* neither pinned nor copied */
    ck_assert_uint_eq(b.allocated, 0);
    expect_stream(0, 0, 1448);
}
END_TEST

static unsigned device_released;
static void device_release(struct pbuf_device_storage *ds)
{
    (void)ds;
    device_released++;
}

START_TEST(device_page_is_kept_until_read)
{
    static uint8_t page[4096];
    static struct pbuf_device_storage ds;
    for (size_t i = 0; i < 1448; i++)
        page[100 + 54 + i] = stream_byte(i);
    ds = (struct pbuf_device_storage){ .base = page, .size = sizeof(page),
                                       .release = device_release };
    device_released = 0;
    struct pbuf *p = pbuf_from_device(pool, &ds, 100, 54 + 1448);
    ck_assert_int_eq(tcp_buf_store(&b, 0, p, 54, 1448), 0);
    pbuf_free(p);
    ck_assert_uint_eq(budget.stored_by_reference, 1);   /* a page for 1448 bytes: worth it */
    ck_assert_uint_ge(b.pinned, sizeof(page));
    ck_assert_uint_eq(device_released, 0);
    expect_stream(0, 0, 1448);
    tcp_buf_consume(&b, 1448);
    ck_assert_uint_eq(device_released, 1);       /* read: the page goes back to the device */
}
END_TEST

/* A large receive netfront hands up as a chain of its slots' pages (xen/netfront_ring.h): the
 * headers and the first payload bytes in the first page, the rest in full pages. Its payload is
 * kept by reference across the pages (each pinned once), and each page goes back to the device
 * once the bytes in it are read. */
START_TEST(device_page_chain_is_kept_by_reference)
{
    static uint8_t pages[3][4096];
    static struct pbuf_device_storage ds[3];
    const size_t first = 4096 - 54, len = first + 4096 + 1000;
    device_released = 0;
    struct pbuf *p = NULL;
    for (size_t i = 0, at = 0; i < 3; i++) {
        size_t bytes = i == 0 ? 4096 : i == 1 ? 4096 : 1000;
        for (size_t k = i == 0 ? 54 : 0; k < bytes; k++, at++)
            pages[i][k] = stream_byte(at);
        ds[i] = (struct pbuf_device_storage){ .base = pages[i], .size = 4096,
                                              .release = device_release };
        struct pbuf *seg = pbuf_from_device(pool, &ds[i], 0, bytes);
        ck_assert_ptr_nonnull(seg);
        if (p)
            pbuf_cat(p, seg);
        else
            p = seg;
    }
    ck_assert_int_eq(tcp_buf_store(&b, 0, p, 54, len), 0);
    pbuf_free(p);
    ck_assert_uint_eq(budget.stored_by_reference, 1);
    ck_assert_uint_eq(budget.stored_by_copy, 0);
    ck_assert_uint_eq(b.allocated, 0);                 /* no chunk: nothing copied */
    ck_assert_uint_ge(b.pinned, 3 * 4096);
    ck_assert_uint_eq(device_released, 0);
    expect_stream(0, 0, len);
    tcp_buf_consume(&b, first);
    ck_assert_uint_eq(device_released, 1);             /* the first page is read */
    tcp_buf_consume(&b, len - first);
    ck_assert_uint_eq(device_released, 3);
}
END_TEST

START_TEST(resize_and_destroy_give_everything_back)
{
    ck_assert_int_eq(store(0, 0, 1448), 0);
    ck_assert_int_eq(store(0, 4000, 1448), 0);
    ck_assert_int_eq(tcp_buf_resize(&b, 128 * 1024, 4000 + 1448), 0);
    ck_assert_uint_eq(storage_in_use(), 0);      /* moved into the new buffer's chunks */
    expect_stream(0, 0, 1448);
    expect_stream(0, 4000, 1448);
    ck_assert_int_eq(store(0, 6000, 1448), 0);
    ck_assert_uint_eq(storage_in_use(), 1);
    tcp_buf_leave_budget(&b);                    /* unread data of a connection that ended */
    ck_assert_uint_eq(budget.used, 0);
    ck_assert_uint_eq(storage_in_use(), 0);      /* may outlive the stack: no pool block kept */
    expect_stream(0, 6000, 1448);
}
END_TEST

static Suite *store_suite(void)
{
    Suite *s = suite_create("tcp_buf_store");
    TCase *tc = tcase_create("store");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, in_order_segments_are_kept_by_reference);
    tcase_add_test(tc, out_of_order_segments_fill_holes);
    tcase_add_test(tc, chained_segment_is_trimmed_segment_by_segment);
    tcase_add_test(tc, tiny_segments_are_collapsed_into_chunks);
    tcase_add_test(tc, pinning_is_bounded_by_the_capacity);
    tcase_add_test(tc, overlap_is_copied_and_reads_stay_right);
    tcase_add_test(tc, pool_under_pressure_is_copied);
    tcase_add_test(tc, budget_refusal_stores_nothing);
    tcase_add_test(tc, device_page_is_kept_until_read);
    tcase_add_test(tc, device_page_chain_is_kept_by_reference);
    tcase_add_test(tc, resize_and_destroy_give_everything_back);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(store_suite)
