/*
 * Unit tests for the tar reader (blk/tar.c, blk/tar_cache.c) with archives made by the real
 * tar at test time (scripts/mkdisk.sh for ustar, GNU tar's default gnu format, pax), read from a
 * memdisk on the simulated clock: every file's bytes, types, times, implied directories, hard
 * and symbolic links, long names, lookups the web server will make, reads at any offset, the
 * shared cache, and device errors. Malformed archives are in test_blk_tar_bad.c.
 */
#include "test/unit/tar_fixture.h"
#include "xenolith/test_main.h"

static char dir[64];
static char site[128];
static char long_dir[160];

static void pattern(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 31 + seed) ^ (i >> 8));
}

static void make_site(void)
{
    snprintf(dir, sizeof(dir), "/tmp/xenolith-tar-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(site, sizeof(site), "%s/site", dir);
    /* Paths past the 100-byte ustar name field: tar splits them into prefix and name. */
    char comp[91];
    memset(comp, 'd', 90);
    comp[90] = '\0';
    snprintf(long_dir, sizeof(long_dir), "deep/%s/eeeeeeeeeeeeeeeeeeee", comp);
    tf_sh("mkdir -p %s/docs %s/%s", site, site, long_dir);
    char path[512];
    snprintf(path, sizeof(path), "%s/index.html", site);
    tf_write_file(path, "<h1>hello</h1>\n", 15);
    snprintf(path, sizeof(path), "%s/docs/index.html", site);
    tf_write_file(path, "docs\n", 5);
    static uint8_t guide[10000], big[300 * 1024];
    pattern(guide, sizeof(guide), 1);
    pattern(big, sizeof(big), 2);
    snprintf(path, sizeof(path), "%s/docs/guide.txt", site);
    tf_write_file(path, guide, sizeof(guide));
    snprintf(path, sizeof(path), "%s/big.bin", site);
    tf_write_file(path, big, sizeof(big));
    snprintf(path, sizeof(path), "%s/empty.txt", site);
    tf_write_file(path, "", 0);
    snprintf(path, sizeof(path), "%s/%s/file.txt", site, long_dir);
    tf_write_file(path, "deep file\n", 10);
    tf_sh("ln %s/big.bin %s/hard.bin && ln -s index.html %s/link", site, site, site);
}

static void setup(void)
{
    blk_boot();
    make_site();
}

static void teardown(void)
{
    tf_sh("rm -rf %s", dir);
}

/* Every regular file of the site, compared byte for byte through tar_read. */
static void check_site_files(struct tar_archive *a)
{
    static const char *files[] = { "index.html", "docs/index.html", "docs/guide.txt",
                                   "big.bin", "empty.txt", "hard.bin" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", site, files[i]);
        size_t len;
        uint8_t *want = tf_read_file(path, &len);
        const struct tar_entry *e = tar_lookup(a, files[i]);
        ck_assert_msg(e != NULL, "%s not found", files[i]);
        ck_assert_int_eq(e->type, TAR_FILE);
        ck_assert_uint_eq(e->size, len);
        uint8_t *got = malloc(len + 100);
        memset(got, 0xee, len + 100);
        ck_assert_int_eq(tf_read(a, e, 0, got, len + 100), (int64_t)len);
        ck_assert_msg(memcmp(got, want, len) == 0, "%s differs", files[i]);
        ck_assert_uint_eq(got[len], 0xee);    /* nothing written past the file's end */
        free(got);
        free(want);
    }
    char deep[512];
    snprintf(deep, sizeof(deep), "%s/file.txt", long_dir);
    const struct tar_entry *e = tar_lookup(a, deep);
    ck_assert_ptr_nonnull(e);
    char buf[16];
    ck_assert_int_eq(tf_read(a, e, 0, buf, sizeof(buf)), 10);
    ck_assert_int_eq(memcmp(buf, "deep file\n", 10), 0);
}

/* Mounts the archive file at path from a memdisk (a copy) of sector_size-byte sectors. Returns
 * the file's bytes, which the caller frees. */
static uint8_t *mount_file(struct mount_args *m, const char *path, uint32_t sector_size)
{
    size_t len;
    uint8_t *image = tf_read_file(path, &len);
    ck_assert_int_eq(tf_mount_image(m, image, len, sector_size), 0);
    return image;
}

/* The site as scripts/mkdisk.sh packs it for the web server (ustar; its options first): the
 * image's bytes, which the caller frees; *len its size. */
static uint8_t *mkdisk_image(const char *options, size_t *len)
{
    char img[160];
    snprintf(img, sizeof(img), "%s/site.img", dir);
    tf_sh("scripts/mkdisk.sh %s %s %s", options, site, img);
    return tf_read_file(img, len);
}

/* mkdisk_image without options, mounted as mount_file mounts. */
static uint8_t *mount_mkdisk(struct mount_args *m, uint32_t sector_size)
{
    size_t len;
    uint8_t *image = mkdisk_image("", &len);
    ck_assert_int_eq(tf_mount_image(m, image, len, sector_size), 0);
    return image;
}

/* The site as the real tar packs it with format_args (--format=gnu, ...), mounted: mount_file. */
static uint8_t *mount_real_tar(struct mount_args *m, const char *format_args)
{
    char img[160];
    snprintf(img, sizeof(img), "%s/site.tar", dir);
    tf_sh("tar %s -C %s -cf %s .", format_args, site, img);
    return mount_file(m, img, 512);
}

START_TEST(mkdisk_image_mounts_and_reads_back)
{
    size_t len;
    uint8_t *image = mkdisk_image("--mtime=1234567890", &len);
    ck_assert_uint_eq(len % (1024 * 1024), 0);
    struct mount_args m;
    ck_assert_int_eq(tf_mount_image(&m, image, len, 512), 0);
    struct tar_archive *a = m.archive;
    check_site_files(a);

    const struct tar_entry *root = tar_lookup(a, "");
    ck_assert_ptr_nonnull(root);
    ck_assert_int_eq(root->type, TAR_DIR);
    ck_assert(!root->implicit);                  /* "./" is in the archive */
    const struct tar_entry *docs = tar_lookup(a, "docs");
    ck_assert_int_eq(docs->type, TAR_DIR);
    ck_assert_int_eq(docs->mtime, 1234567890);
    ck_assert_uint_eq(docs->mode, 0755);
    const struct tar_entry *link = tar_lookup(a, "link");
    ck_assert_int_eq(link->type, TAR_SYMLINK);
    char buf[8];
    ck_assert_int_eq(tf_read(a, link, 0, buf, sizeof(buf)), -EINVAL);
    ck_assert_int_eq(tf_read(a, docs, 0, buf, sizeof(buf)), -EINVAL);
    /* The hard link shares its target's data rather than a copy. */
    ck_assert_uint_eq(tar_lookup(a, "hard.bin")->offset, tar_lookup(a, "big.bin")->offset);
    /* Every entry: name normalized, data inside the device. */
    for (size_t i = 0; i < tar_entry_count(a); i++) {
        const struct tar_entry *e = tar_entry_at(a, i);
        ck_assert(strncmp(e->path, "./", 2) != 0 && e->path[0] != '/');
        ck_assert_uint_le(e->offset + e->size, len);
    }
    ck_assert_ptr_null(tar_entry_at(a, tar_entry_count(a)));
    free(image);
    tf_unmount(&m);
}
END_TEST

/* Writes content to <comp>/<comp>/name in the site, comp being 200 times fill: a path past 255
 * bytes, which only GNU 'L' (or pax) can name. Its path on the host goes to host, the
 * archive's to path. */
static void write_long_named(char fill, const char *name, const char *content, char host[1024],
                             char path[1024])
{
    char comp[201];
    memset(comp, fill, 200);
    comp[200] = '\0';
    tf_sh("mkdir -p %s/%s/%s", site, comp, comp);
    snprintf(host, 1024, "%s/%s/%s/%s", site, comp, comp, name);
    tf_write_file(host, content, strlen(content));
    snprintf(path, 1024, "%s/%s/%s", comp, comp, name);
}

START_TEST(gnu_format_with_long_names)
{
    char host[1024], path[1024];
    write_long_named('L', "x.txt", "long\n", host, path);
    struct mount_args m;
    uint8_t *image = mount_real_tar(&m, "--format=gnu");
    check_site_files(m.archive);
    const struct tar_entry *e = tar_lookup(m.archive, path);
    ck_assert_ptr_nonnull(e);
    char buf[8];
    ck_assert_int_eq(tf_read(m.archive, e, 0, buf, sizeof(buf)), 5);
    ck_assert_int_eq(memcmp(buf, "long\n", 5), 0);
    free(image);
    tf_unmount(&m);
}
END_TEST

START_TEST(pax_format_with_long_names_and_times)
{
    char host[1024], path[1024];
    write_long_named('P', "y.txt", "pax\n", host, path);
    tf_sh("touch -d @1600000000.25 %s", host);
    struct mount_args m;
    uint8_t *image = mount_real_tar(&m, "--format=pax");
    check_site_files(m.archive);
    const struct tar_entry *e = tar_lookup(m.archive, path);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->mtime, 1600000000);
    ck_assert_uint_eq(e->size, 4);
    free(image);
    tf_unmount(&m);
}
END_TEST

START_TEST(archive_without_directories_gets_implicit_ones)
{
    char img[160];
    snprintf(img, sizeof(img), "%s/files.tar", dir);
    tf_sh("tar --format=ustar -C %s -cf %s docs/guide.txt index.html", site, img);
    struct mount_args m;
    uint8_t *image = mount_file(&m, img, 512);
    const struct tar_entry *docs = tar_lookup(m.archive, "docs");
    ck_assert_ptr_nonnull(docs);
    ck_assert_int_eq(docs->type, TAR_DIR);
    ck_assert(docs->implicit);
    const struct tar_entry *root = tar_lookup(m.archive, "/");
    ck_assert_ptr_nonnull(root);
    ck_assert(root->implicit);
    ck_assert(tar_entry_in_dir(root, docs));
    ck_assert(tar_entry_in_dir(docs, tar_lookup(m.archive, "docs/guide.txt")));
    ck_assert(!tar_entry_in_dir(root, tar_lookup(m.archive, "docs/guide.txt")));
    ck_assert(tar_entry_in_dir(root, tar_lookup(m.archive, "index.html")));
    ck_assert_uint_eq(tar_entry_count(m.archive), 4);
    free(image);
    tf_unmount(&m);
}
END_TEST

START_TEST(lookups_as_the_web_server_makes_them)
{
    struct mount_args m;
    uint8_t *image = mount_mkdisk(&m, 512);
    struct tar_archive *a = m.archive;
    const struct tar_entry *docs = tar_lookup(a, "docs");
    ck_assert_ptr_eq(tar_lookup(a, "/docs/"), docs);
    ck_assert_ptr_eq(tar_lookup(a, "./docs//"), docs);
    ck_assert_ptr_eq(tar_lookup(a, "//docs/./index.html"), tar_lookup(a, "docs/index.html"));
    ck_assert_ptr_eq(tar_lookup_n(a, "/docs/index.html?q", 16), tar_lookup(a, "docs/index.html"));
    ck_assert_ptr_null(tar_lookup(a, "/docs/../index.html"));
    ck_assert_ptr_null(tar_lookup(a, "../etc/passwd"));
    ck_assert_ptr_null(tar_lookup(a, "/nothing"));
    ck_assert_ptr_null(tar_lookup(a, "docs/index.htm"));
    ck_assert_ptr_null(tar_lookup(a, "/docs\n"));
    free(image);
    tf_unmount(&m);
}
END_TEST

START_TEST(reads_at_any_offset_and_length)
{
    struct mount_args m;
    uint8_t *image = mount_mkdisk(&m, 512);
    static uint8_t want[300 * 1024], got[300 * 1024];
    pattern(want, sizeof(want), 2);
    const struct tar_entry *e = tar_lookup(m.archive, "big.bin");
    static const uint64_t offsets[] = { 0, 1, 511, 512, 4095, 4096, 5000, 150000, 307199 };
    static const size_t lengths[] = { 1, 7, 512, 4096, 8192, 70000 };
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        for (size_t j = 0; j < sizeof(lengths) / sizeof(lengths[0]); j++) {
            uint64_t off = offsets[i];
            size_t n = lengths[j];
            size_t expect = off + n <= sizeof(want) ? n : sizeof(want) - off;
            ck_assert_int_eq(tf_read(m.archive, e, off, got, n), (int64_t)expect);
            ck_assert_msg(memcmp(got, want + off, expect) == 0, "offset %llu length %zu",
                          (unsigned long long)off, n);
        }
    }
    ck_assert_int_eq(tf_read(m.archive, e, sizeof(want), got, 10), 0);
    ck_assert_int_eq(tf_read(m.archive, e, UINT64_MAX, got, 10), 0);
    struct tar_stats st;
    tar_get_stats(m.archive, &st);
    ck_assert_uint_gt(st.direct_reads, 0);
    ck_assert_uint_gt(st.cache_hits, 0);
    free(image);
    tf_unmount(&m);
}
END_TEST

START_TEST(four_kib_sectors)
{
    struct mount_args m;
    uint8_t *image = mount_mkdisk(&m, 4096);
    check_site_files(m.archive);
    free(image);
    tf_unmount(&m);
}
END_TEST

/* Two fibers want the same block at once: it is read from the device once. */
START_TEST(concurrent_readers_share_one_load)
{
    struct mount_args m;
    uint8_t *image = mount_mkdisk(&m, 512);
    memdisk_set_latency(m.dev, BLK_OP_READ, 5 * MS);
    const struct tar_entry *e = tar_lookup(m.archive, "docs/guide.txt");
    /* Push everything out of the cache with other blocks first. */
    static uint8_t sink[TAR_CACHE_BLOCKS * 4096 + 4096];
    const struct tar_entry *big = tar_lookup(m.archive, "big.bin");
    for (size_t i = 0; i <= TAR_CACHE_BLOCKS; i++)
        ck_assert_int_eq(tf_read(m.archive, big, i * 4096 + 1, sink, 10), 10);
    struct tar_stats before, after;
    tar_get_stats(m.archive, &before);
    char b1[100], b2[100];
    struct read_args r1 = { m.archive, e, 3, b1, sizeof(b1), 0 };
    struct read_args r2 = { m.archive, e, 50, b2, sizeof(b2), 0 };
    struct blk_task t1, t2;
    blk_task_start(&t1, tf_read_task, &r1);
    blk_task_start(&t2, tf_read_task, &r2);
    blk_run_for(20 * MS);
    ck_assert(t1.finished && t2.finished);
    ck_assert_int_eq(r1.result, 100);
    ck_assert_int_eq(r2.result, 100);
    ck_assert_uint_eq(t1.finished_ns, t2.finished_ns);
    tar_get_stats(m.archive, &after);
    ck_assert_uint_eq(after.cache_misses - before.cache_misses, 1);
    uint8_t want[200];
    pattern(want, sizeof(want), 1);
    ck_assert_int_eq(memcmp(b1, want + 3, 100), 0);
    ck_assert_int_eq(memcmp(b2, want + 50, 100), 0);
    free(image);
    tf_unmount(&m);
}
END_TEST

START_TEST(device_errors_reach_the_caller)
{
    struct mount_args m;
    uint8_t *image = mount_mkdisk(&m, 512);
    const struct tar_entry *e = tar_lookup(m.archive, "big.bin");
    memdisk_fail_sector(m.dev, e->offset / 512 + 100, -EIO);
    static uint8_t buf[300 * 1024];
    ck_assert_int_eq(tf_read(m.archive, e, 0, buf, sizeof(buf)), -EIO);
    ck_assert_int_eq(tf_read(m.archive, e, 0, buf, 1000), 1000);   /* other sectors still read */
    struct tar_stats st;
    tar_get_stats(m.archive, &st);
    ck_assert_uint_eq(st.read_errors, 1);
    tar_unmount(m.archive);
    /* During the mount: the header of the second entry cannot be read. */
    memdisk_fail_sector(m.dev, 1, -EIO);
    ck_assert_int_eq(blk_run_task(tf_mount_task, &m, 10 * SEC), -EIO);
    ck_assert_ptr_null(m.archive);
    ck_assert_ptr_nonnull(strstr(m.err, "device error EIO"));
    blkdev_destroy(m.dev);
    free(image);
}
END_TEST

START_TEST(unmount_frees_everything)
{
    size_t len;
    uint8_t *image = mkdisk_image("", &len);
    struct mount_args m;
    /* Warm the scheduler up so that its own allocations do not count. */
    ck_assert_int_eq(tf_mount_image(&m, image, len, 512), 0);
    tf_unmount(&m);
    struct page_stats p0;
    page_get_stats(&p0);
    uint64_t heap = blk_heap_in_use();
    ck_assert_int_eq(tf_mount_image(&m, image, len, 512), 0);
    check_site_files(m.archive);
    tf_unmount(&m);
    struct page_stats p1;
    page_get_stats(&p1);
    ck_assert_uint_eq(blk_heap_in_use(), heap);
    ck_assert_uint_eq(p1.pages_free, p0.pages_free);
    free(image);
}
END_TEST

static Suite *tar_suite(void)
{
    Suite *s = suite_create("blk_tar");
    TCase *tc = tcase_create("real_tar");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, mkdisk_image_mounts_and_reads_back);
    tcase_add_test(tc, gnu_format_with_long_names);
    tcase_add_test(tc, pax_format_with_long_names_and_times);
    tcase_add_test(tc, archive_without_directories_gets_implicit_ones);
    tcase_add_test(tc, lookups_as_the_web_server_makes_them);
    tcase_add_test(tc, reads_at_any_offset_and_length);
    tcase_add_test(tc, four_kib_sectors);
    tcase_add_test(tc, concurrent_readers_share_one_load);
    tcase_add_test(tc, device_errors_reach_the_caller);
    tcase_add_test(tc, unmount_frees_everything);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tar_suite)
