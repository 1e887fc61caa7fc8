/*
 * Unit tests for blk_open's decision (blk/blk_open.c, xenolith/blk.h): the platform's device when
 * it opens; when it does not, -ENODEV if none was configured (the application runs without a
 * disk) and -EIO if the command line named one (disk=PATH: the application must not silently run
 * without the disk it was given). The platform's opener is this file's own fake.
 */
#include "test/unit/blk_fixture.h"
#include "xenolith/test_main.h"

static struct blkdev *fake_device;       /* what the fake platform opener returns */
static unsigned fake_calls, fake_index;
static bool fake_read_only;

struct blkdev *platform_blkdev_open(unsigned index, bool read_only)
{
    fake_calls++;
    fake_index = index;
    fake_read_only = read_only;
    return index == 0 ? fake_device : NULL;
}

static void setup(void)
{
    blk_boot();
    fake_device = NULL;
    fake_calls = 0;
}

START_TEST(opens_the_platform_device)
{
    fake_device = memdisk_create("disk0", 512, 64, 0);
    ck_assert_ptr_nonnull(fake_device);
    struct blkdev *dev = NULL;
    ck_assert_int_eq(blk_open_named(0, true, "site.img", &dev), 0);
    ck_assert_ptr_eq(dev, fake_device);
    ck_assert_uint_eq(fake_calls, 1);
    ck_assert_uint_eq(fake_index, 0);
    ck_assert(fake_read_only);
    ck_assert_str_eq(blk_name(dev), "disk0");
    ck_assert_uint_eq(blk_sector_size(dev), 512);
    ck_assert_uint_eq(blk_capacity(dev), 64);
    blk_close(dev);
    blk_close(NULL);                     /* nothing to do */
}
END_TEST

START_TEST(absent_and_not_named_is_enodev)
{
    struct blkdev *dev = (struct blkdev *)1;
    ck_assert_int_eq(blk_open_named(0, true, NULL, &dev), -ENODEV);
    ck_assert_ptr_null(dev);
}
END_TEST

START_TEST(named_but_unopenable_is_eio)
{
    struct blkdev *dev = (struct blkdev *)1;
    ck_assert_int_eq(blk_open_named(0, false, "missing.img", &dev), -EIO);
    ck_assert_ptr_null(dev);
    ck_assert(!fake_read_only);
    /* The name is device 0's: another index that does not exist is simply absent. */
    ck_assert_int_eq(blk_open_named(1, true, "missing.img", &dev), -ENODEV);
    ck_assert_ptr_null(dev);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("blk_open");
    TCase *tc = tcase_create("open");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, opens_the_platform_device);
    tcase_add_test(tc, absent_and_not_named_is_enodev);
    tcase_add_test(tc, named_but_unopenable_is_eio);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
