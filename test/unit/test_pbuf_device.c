/*
 * Unit tests for net/pbuf's device storage (pbuf_from_device): a device's own bytes lent to a
 * packet without copying, held by every segment that references them (clones of the range,
 * pbuf_ref_range), and given back to the device exactly once, when the last reference goes.
 */
#include "test/unit/net_core_fixture.h"
#include "lib/errno.h"
#include "xenolith/test_main.h"

static struct pbuf_pool *pool;

struct fake_device {
    struct pbuf_device_storage ds;
    uint8_t bytes[4096];
    unsigned released;
};

static void fake_release(struct pbuf_device_storage *ds)
{
    struct fake_device *d = ds->owner;
    d->released++;
}

static void fake_init(struct fake_device *d)
{
    memset(d, 0, sizeof(*d));
    for (unsigned i = 0; i < sizeof(d->bytes); i++)
        d->bytes[i] = (uint8_t)(i * 13 + 1);
    d->ds.base = d->bytes;
    d->ds.size = sizeof(d->bytes);
    d->ds.release = fake_release;
    d->ds.owner = d;
}

static void setup(void)
{
    core_boot();
    pool = pbuf_pool_create("t", 4);
    ck_assert_ptr_nonnull(pool);
}

static void teardown(void)
{
    ck_assert_uint_eq(pool_in_use(pool), 0);
    pbuf_pool_destroy(pool);
}

static uint64_t stat_of(size_t field_offset)
{
    struct pbuf_pool_stats st;
    pbuf_pool_get_stats(pool, &st);
    return *(uint64_t *)((char *)&st + field_offset);
}
#define STAT(name) stat_of(offsetof(struct pbuf_pool_stats, name))

START_TEST(device_bytes_are_not_copied)
{
    static struct fake_device d;
    fake_init(&d);
    struct pbuf *p = pbuf_from_device(pool, &d.ds, 100, 1500);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_eq(p->data, d.bytes + 100);     /* the device's own bytes, in place */
    ck_assert_uint_eq(p->len, 1500);
    ck_assert_uint_eq(p->tot_len, 1500);
    ck_assert_uint_eq(STAT(storage_in_use), 0);    /* no pool block was taken */
    ck_assert_uint_eq(STAT(device_lent), 1);
    ck_assert_uint_eq(STAT(device_in_use), 1);
    uint8_t b;
    ck_assert_int_eq(pbuf_copy_out(p, 7, &b, 1), 0);
    ck_assert_uint_eq(b, (uint8_t)(107 * 13 + 1));
    ck_assert_uint_eq(d.released, 0);
    pbuf_free(p);
    ck_assert_uint_eq(d.released, 1);             /* back with its owner */
    ck_assert_uint_eq(STAT(device_in_use), 0);
}
END_TEST

START_TEST(released_only_after_last_reference)
{
    static struct fake_device d;
    fake_init(&d);
    struct pbuf *p = pbuf_from_device(pool, &d.ds, 0, 1000);
    ck_assert_ptr_nonnull(p);
    struct pbuf *a = pbuf_ref_range(p, 10, 100);    /* what TCP keeps of a segment */
    struct pbuf *b = pbuf_ref_range(p, 500, 200);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_eq(a->data, d.bytes + 10);
    pbuf_ref(p);
    pbuf_free(p);
    pbuf_free(p);                                   /* the frame itself is gone */
    ck_assert_uint_eq(d.released, 0);               /* but a and b still read the bytes */
    pbuf_free(a);
    ck_assert_uint_eq(d.released, 0);
    pbuf_free(b);
    ck_assert_uint_eq(d.released, 1);               /* exactly once */
}
END_TEST

START_TEST(refused_when_no_descriptor)
{
    static struct fake_device d, other;
    fake_init(&d);
    fake_init(&other);
    /* The pool bounds descriptors at twice its blocks (8 here): take them all. */
    struct pbuf *p = pbuf_from_device(pool, &d.ds, 0, 100);
    ck_assert_ptr_nonnull(p);
    struct pbuf *refs[7];
    for (unsigned i = 0; i < 7; i++)
        ck_assert_ptr_nonnull(refs[i] = pbuf_ref_range(p, i, 1));
    ck_assert_ptr_null(pbuf_from_device(pool, &other.ds, 0, 100));
    ck_assert_uint_eq(other.released, 0);            /* still the device's: never lent */
    ck_assert_uint_eq(STAT(device_in_use), 1);
    for (unsigned i = 0; i < 7; i++)
        pbuf_free(refs[i]);
    pbuf_free(p);
    ck_assert_uint_eq(d.released, 1);
}
END_TEST

START_TEST(bad_range_refused_and_device_keeps_bytes)
{
    static struct fake_device d;
    fake_init(&d);
    uint64_t failures = STAT(alloc_failures);
    ck_assert_ptr_null(pbuf_from_device(pool, &d.ds, 4000, 200));
    ck_assert_ptr_null(pbuf_from_device(pool, &d.ds, 0, 0));
    ck_assert_uint_eq(STAT(alloc_failures), failures + 2);
    ck_assert_uint_eq(d.released, 0);                /* never lent: nothing to give back */
}
END_TEST

START_TEST(linearize_keeps_device_bytes_alive)
{
    static struct fake_device d1, d2;
    fake_init(&d1);
    fake_init(&d2);
    /* A header split over two device segments: the head is made contiguous in place (its own
     * device bytes have room behind it) and the second device storage is let go once empty. */
    struct pbuf *p = pbuf_from_device(pool, &d1.ds, 0, 20);
    struct pbuf *q = pbuf_from_device(pool, &d2.ds, 0, 40);
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(q);
    pbuf_cat(p, q);
    uint8_t *h = pbuf_linearize(p, 60);
    ck_assert_ptr_nonnull(h);
    ck_assert_uint_eq(p->len, 60);
    ck_assert_uint_eq(h[20], d2.bytes[0]);
    ck_assert_uint_eq(d2.released, 1);
    ck_assert_uint_eq(d1.released, 0);
    pbuf_free(p);
    ck_assert_uint_eq(d1.released, 1);
}
END_TEST

START_TEST(clone_copies_out_of_device_storage)
{
    static struct fake_device d;
    fake_init(&d);
    struct pbuf *p = pbuf_from_device(pool, &d.ds, 3, 300);
    struct pbuf *c = pbuf_clone(p, NULL);
    ck_assert_ptr_nonnull(c);
    pbuf_free(p);
    ck_assert_uint_eq(d.released, 1);                /* the copy holds pool storage only */
    uint8_t b;
    ck_assert_int_eq(pbuf_copy_out(c, 0, &b, 1), 0);
    ck_assert_uint_eq(b, (uint8_t)(3 * 13 + 1));
    pbuf_free(c);
}
END_TEST

static Suite *pbuf_device_suite(void)
{
    Suite *s = suite_create("pbuf_device");
    TCase *tc = tcase_create("device");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, device_bytes_are_not_copied);
    tcase_add_test(tc, released_only_after_last_reference);
    tcase_add_test(tc, refused_when_no_descriptor);
    tcase_add_test(tc, bad_range_refused_and_device_keeps_bytes);
    tcase_add_test(tc, linearize_keeps_device_bytes_alive);
    tcase_add_test(tc, clone_copies_out_of_device_storage);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(pbuf_device_suite)
