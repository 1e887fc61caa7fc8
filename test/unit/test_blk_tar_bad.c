/*
 * Unit tests for the tar reader's refusals and format rules (blk/tar_format.c, blk/tar.c) on
 * archives assembled byte by byte: each malformation is refused with a message naming the entry
 * or offset and the problem; the end-of-archive policy of tar.h (two zero blocks; the end of the
 * device on a header boundary; a lone zero block followed by a header refused); numeric fields
 * (POSIX.1-1988 ustar octal, GNU base-256), both checksum sums, pax records, limits, links.
 */
#include "test/unit/tar_fixture.h"
#include "xenolith/test_main.h"

static struct tar_builder b;
static struct mount_args m;

static void setup(void)
{
    blk_boot();
    memset(&b, 0, sizeof(b));
    memset(&m, 0, sizeof(m));
}

static void teardown(void)
{
    if (m.dev)
        tf_unmount(&m);
    tb_free(&b);
}

static int mount_built(void)
{
    return tf_mount_image(&m, b.data, b.len, 512);
}

/* Mounting must fail with err, and the message must contain each of the given fragments. */
static void expect_refused(int err, const char *frag1, const char *frag2)
{
    ck_assert_int_eq(mount_built(), err);
    ck_assert_ptr_null(m.archive);
    ck_assert_msg(strstr(m.err, frag1) != NULL, "message '%s' lacks '%s'", m.err, frag1);
    if (frag2)
        ck_assert_msg(strstr(m.err, frag2) != NULL, "message '%s' lacks '%s'", m.err, frag2);
    /* Also on the console, for the operator. */
    ck_assert_ptr_nonnull(strstr(sim_console_output(), frag1));
}

/* A disk that never answers (a silent Xen backend, a hung host file): mounting gives up after
 * the read timeout with -ETIMEDOUT and a message that says so, instead of blocking the
 * appliance's start for ever (the old walk read with DEADLINE_NONE). */
START_TEST(dead_disk_is_reported_not_waited_for)
{
    tb_entry(&b, "a.txt", '0', NULL, 700);
    tb_end(&b);
    m.dev = memdisk_create_from("tar0", 512, b.data, b.len, true);
    ck_assert_ptr_nonnull(m.dev);
    memdisk_hold(m.dev, true);
    uint64_t start = sim_now();
    struct blk_task t;
    blk_task_start(&t, tf_mount_task, &m);
    blk_run_until(start + 2 * TAR_DEFAULT_READ_TIMEOUT_NS);
    ck_assert_msg(t.finished, "tar_mount still waits on a dead disk");
    ck_assert_int_eq(t.result, -ETIMEDOUT);
    ck_assert_uint_eq(t.finished_ns, start + TAR_DEFAULT_READ_TIMEOUT_NS);
    ck_assert_ptr_null(m.archive);
    ck_assert_msg(strstr(m.err, "tar0: header at offset 0: the disk did not answer a read in "
                                "time (dead disk?)"), "message '%s'", m.err);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "did not answer a read"));
    /* A shorter timeout of the caller's choosing is honoured too. */
    m.opts.read_timeout_ns = 5 * SEC;
    start = sim_now();
    blk_task_start(&t, tf_mount_task, &m);
    blk_run_until(start + 10 * SEC);
    ck_assert(t.finished);
    ck_assert_int_eq(t.result, -ETIMEDOUT);
    ck_assert_uint_eq(t.finished_ns, start + 5 * SEC);
    memdisk_hold(m.dev, false);                           /* let the late answers drain */
    blk_run_for(SEC);
    blkdev_destroy(m.dev);
    m.dev = NULL;
}
END_TEST

START_TEST(well_formed_archive_mounts)
{
    tb_entry(&b, "a.txt", '0', NULL, 700);
    tb_entry(&b, "d/", '5', NULL, 0);
    tb_entry(&b, "d/b.txt", '0', NULL, 3);
    tb_end(&b);
    ck_assert_int_eq(mount_built(), 0);
    ck_assert_uint_eq(tar_entry_count(m.archive), 4);   /* and the implicit root */
    const struct tar_entry *e = tar_lookup(m.archive, "a.txt");
    ck_assert_uint_eq(e->offset, 512);
    ck_assert_uint_eq(e->size, 700);
    ck_assert_int_eq(e->mtime, 1700000000);
    ck_assert_uint_eq(tar_lookup(m.archive, "d/b.txt")->offset, 512 * 5);
}
END_TEST

START_TEST(bad_checksum_is_refused_by_name)
{
    tb_entry(&b, "ok.txt", '0', NULL, 10);
    uint8_t *h = tb_entry(&b, "broken.txt", '0', NULL, 10);
    h[TAR_MTIME_OFF + 3] ^= 1;                  /* changed after the checksum was computed */
    tb_end(&b);
    expect_refused(-EBADMSG, "entry 'broken.txt' at offset 1024", "header checksum mismatch");
}
END_TEST

START_TEST(signed_checksum_is_accepted)
{
    /* A name with bytes >= 0x80: some old tars summed them as signed chars. */
    uint8_t *h = tb_entry(&b, "caf\xc3\xa9.txt", '0', NULL, 4);
    uint32_t u;
    int32_t s;
    tar_checksums(h, &u, &s);
    ck_assert_int_ne((int64_t)u, (int64_t)s);
    char tmp[16];
    snprintf(tmp, sizeof(tmp), "%06o", (unsigned)s);
    memcpy(h + TAR_CHKSUM_OFF, tmp, 6);
    tb_end(&b);
    ck_assert_int_eq(mount_built(), 0);
    ck_assert_ptr_nonnull(tar_lookup(m.archive, "caf\xc3\xa9.txt"));
}
END_TEST

START_TEST(bad_octal_is_refused)
{
    uint8_t *h = tb_entry(&b, "size.txt", '0', NULL, 10);
    memcpy(h + TAR_SIZE_OFF, "0000000001a\0", 12);
    tb_checksum(h);
    tb_end(&b);
    expect_refused(-EBADMSG, "entry 'size.txt'", "bad octal digit in the size field");
}
END_TEST

START_TEST(octal_and_base256_fields)
{
    const char *why;
    uint64_t v;
    ck_assert_int_eq(tar_parse_octal((const uint8_t *)"0000644\0", 8, &v, &why), 0);
    ck_assert_uint_eq(v, 0644);
    ck_assert_int_eq(tar_parse_octal((const uint8_t *)"   644 \0", 8, &v, &why), 0);
    ck_assert_uint_eq(v, 0644);
    /* All twelve bytes digits: no terminator needed (up to 8 GiB - 1 in 11 digits, more in 12). */
    ck_assert_int_eq(tar_parse_octal((const uint8_t *)"777777777777", 12, &v, &why), 0);
    ck_assert_uint_eq(v, 0777777777777ull);
    ck_assert_int_eq(tar_parse_octal((const uint8_t *)"00008\0\0\0", 8, &v, &why), -EBADMSG);
    ck_assert_int_eq(tar_parse_octal((const uint8_t *)"0644 1\0\0", 8, &v, &why), -EBADMSG);
    ck_assert_int_eq(tar_parse_octal((const uint8_t *)"+644\0\0\0\0", 8, &v, &why), -EBADMSG);
    ck_assert_int_eq(tar_parse_octal((const uint8_t *)"\0\0\0\0\0\0\0\0", 8, &v, &why), -EBADMSG);
    ck_assert_str_eq(why, "empty numeric field");
    ck_assert_int_eq(tar_parse_octal((const uint8_t *)"        ", 8, &v, &why), -EBADMSG);
    /* 2^63 does not fit. */
    ck_assert_int_eq(tar_parse_octal((const uint8_t *)"1000000000000000000000", 22, &v, &why),
                     -EBADMSG);
    ck_assert_str_eq(why, "octal number too large");

    uint8_t f[12] = { 0x80, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0x05 };   /* 8 GiB + 5 */
    ck_assert_int_eq(tar_parse_number(f, 12, &v, &why), 0);
    ck_assert_uint_eq(v, (2ull << 24) + 5);
    f[0] = 0xff;                                 /* negative */
    ck_assert_int_eq(tar_parse_number(f, 12, &v, &why), -EBADMSG);
    ck_assert_str_eq(why, "negative base-256 number");
    uint8_t huge[12] = { 0x80, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0 };   /* 2^63 */
    ck_assert_int_eq(tar_parse_number(huge, 12, &v, &why), -EBADMSG);
}
END_TEST

START_TEST(base256_size_in_an_archive)
{
    uint8_t *h = tb_entry(&b, "b256.bin", '0', NULL, 600);
    memset(h + TAR_SIZE_OFF, 0, 12);
    h[TAR_SIZE_OFF] = 0x80;
    h[TAR_SIZE_OFF + 10] = 600 >> 8;
    h[TAR_SIZE_OFF + 11] = 600 & 0xff;
    memcpy(h + TAR_MAGIC_OFF, "ustar  \0", 8);  /* GNU writes base-256 */
    tb_checksum(h);
    tb_end(&b);
    ck_assert_int_eq(mount_built(), 0);
    ck_assert_uint_eq(tar_lookup(m.archive, "b256.bin")->size, 600);
}
END_TEST

START_TEST(size_past_the_end_is_a_truncated_archive)
{
    tb_entry(&b, "a.txt", '0', NULL, 10);
    uint8_t *h = tb_entry(&b, "huge.bin", '0', NULL, 10);
    tb_octal(h + TAR_SIZE_OFF, 12, 1u << 30);
    tb_checksum(h);
    tb_end(&b);
    expect_refused(-EBADMSG, "entry 'huge.bin' at offset 1024", "runs past the end");
}
END_TEST

START_TEST(archive_cut_inside_data_is_refused)
{
    tb_entry(&b, "a.txt", '0', NULL, 2000);     /* data blocks 1..4 */
    b.len = 3 * 512;                             /* the device ends inside them */
    expect_refused(-EBADMSG, "entry 'a.txt'", "truncated");
}
END_TEST

START_TEST(names_with_dotdot_absolute_or_control_characters_are_refused)
{
    tb_entry(&b, "site/../../etc/passwd", '0', NULL, 1);
    tb_end(&b);
    expect_refused(-EBADMSG, "entry 'site/../../etc/passwd'", "'..' component in the name");
    tf_unmount(&m);
    tb_free(&b);

    tb_entry(&b, "/etc/passwd", '0', NULL, 1);
    tb_end(&b);
    expect_refused(-EBADMSG, "entry '/etc/passwd'", "absolute name");
    tf_unmount(&m);
    tb_free(&b);

    tb_entry(&b, "bad\nname", '0', NULL, 1);
    tb_end(&b);
    expect_refused(-EBADMSG, "entry 'bad?name'", "control character");
    tf_unmount(&m);
    tb_free(&b);

    tb_entry(&b, "", '0', NULL, 1);
    tb_end(&b);
    expect_refused(-EBADMSG, "empty name", NULL);
    tf_unmount(&m);
    tb_free(&b);

    tb_entry(&b, "./", '0', NULL, 1);           /* the root as a file */
    tb_end(&b);
    expect_refused(-EBADMSG, "the archive root is not a directory", NULL);
}
END_TEST

START_TEST(name_normalization)
{
    char out[TAR_PATH_MAX + 1];
    const char *why;
    ck_assert_int_eq(tar_normalize_path("./a//b/./c/", 11, out, sizeof(out), &why), 0);
    ck_assert_str_eq(out, "a/b/c");
    ck_assert_int_eq(tar_normalize_path("./", 2, out, sizeof(out), &why), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(tar_normalize_path("a/..b/c..", 9, out, sizeof(out), &why), 0);
    ck_assert_str_eq(out, "a/..b/c..");
    ck_assert_int_eq(tar_normalize_path("a/..", 4, out, sizeof(out), &why), -EBADMSG);
    ck_assert_int_eq(tar_normalize_path("a\x7f", 2, out, sizeof(out), &why), -EBADMSG);
    static char longname[TAR_PATH_MAX + 2];
    memset(longname, 'x', TAR_PATH_MAX + 1);
    ck_assert_int_eq(tar_normalize_path(longname, TAR_PATH_MAX, out, sizeof(out), &why), 0);
    ck_assert_int_eq(tar_normalize_path(longname, TAR_PATH_MAX + 1, out, sizeof(out), &why),
                     -ENAMETOOLONG);
}
END_TEST

START_TEST(missing_magic_is_refused)
{
    uint8_t *h = tb_entry(&b, "v7.txt", '0', NULL, 1);
    memset(h + TAR_MAGIC_OFF, 0, 8);
    tb_checksum(h);
    tb_end(&b);
    expect_refused(-EBADMSG, "entry 'v7.txt' at offset 0", "no ustar magic");
}
END_TEST

/* tar.h's end-of-archive policy, case by case. */
START_TEST(end_of_device_on_a_header_boundary_ends_the_archive)
{
    tb_entry(&b, "a.txt", '0', NULL, 100);
    tb_entry(&b, "b.txt", '0', NULL, 600);      /* no end blocks at all */
    ck_assert_int_eq(mount_built(), 0);
    ck_assert_ptr_nonnull(tar_lookup(m.archive, "b.txt"));
}
END_TEST

START_TEST(one_zero_block_at_the_end_of_the_device_ends_the_archive)
{
    tb_entry(&b, "a.txt", '0', NULL, 100);
    tb_grow(&b, 512);
    ck_assert_int_eq(mount_built(), 0);
    ck_assert_ptr_nonnull(tar_lookup(m.archive, "a.txt"));
}
END_TEST

START_TEST(anything_after_two_zero_blocks_is_ignored)
{
    tb_entry(&b, "a.txt", '0', NULL, 100);
    tb_end(&b);
    tb_entry(&b, "after.txt", '0', NULL, 100);
    memset(b.data + b.len - 1024, 0xff, 512);   /* garbage, not even a header */
    ck_assert_int_eq(mount_built(), 0);
    ck_assert_ptr_null(tar_lookup(m.archive, "after.txt"));
}
END_TEST

START_TEST(lone_zero_block_followed_by_a_header_is_refused)
{
    tb_entry(&b, "a.txt", '0', NULL, 100);
    tb_grow(&b, 512);
    tb_entry(&b, "b.txt", '0', NULL, 100);
    tb_end(&b);
    expect_refused(-EBADMSG, "header at offset 1024", "a lone zero block followed by a header");
}
END_TEST

START_TEST(extended_header_without_an_entry_is_refused)
{
    tb_entry(&b, "a.txt", '0', NULL, 100);
    tb_pax(&b, "14 path=b.txt\n");
    tb_end(&b);
    expect_refused(-EBADMSG, "the archive ends after an extended header", NULL);
    tf_unmount(&m);
    tb_free(&b);
    tb_pax(&b, "14 path=b.txt\n");             /* and at the very end of the device */
    expect_refused(-EBADMSG, "the archive ends after an extended header", NULL);
}
END_TEST

START_TEST(pax_path_size_and_mtime_are_honoured)
{
    tb_pax(&b, "25 path=renamed/file.txt\n12 size=700\n22 mtime=1500000000.5\n"
               "22 comment=ignored ok\n");
    uint8_t *h = tb_entry(&b, "short", '0', NULL, 700);
    tb_octal(h + TAR_SIZE_OFF, 12, 0);          /* the header's own size is overridden */
    tb_checksum(h);
    tb_entry(&b, "next.txt", '0', NULL, 5);
    tb_end(&b);
    /* The data of "short" is 700 bytes: tb_entry wrote them, so next.txt follows them. */
    ck_assert_int_eq(mount_built(), 0);
    const struct tar_entry *e = tar_lookup(m.archive, "renamed/file.txt");
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(e->size, 700);
    ck_assert_int_eq(e->mtime, 1500000000);
    ck_assert_ptr_null(tar_lookup(m.archive, "short"));
    ck_assert_ptr_nonnull(tar_lookup(m.archive, "next.txt"));
    ck_assert_int_eq(tar_lookup(m.archive, "renamed")->type, TAR_DIR);
}
END_TEST

START_TEST(malformed_pax_records_are_refused)
{
    static const char *bad[] = {
        "13 path=b.txt\n",                       /* length one short */
        "15 path=b.txt\n",                       /* one long: past the data */
        "x4 path=b.txt\n",
        "14 path=b.txt\r",
        "9 =value\n",
        "99999999999999999999999 a=b\n",
        "11 size=1x\n",
        "12 mtime=1.\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct tar_pax pax;
        const char *why = NULL;
        ck_assert_msg(tar_parse_pax((const uint8_t *)bad[i], strlen(bad[i]), &pax, &why) ==
                      -EBADMSG, "record %zu accepted", i);
        ck_assert_ptr_nonnull(why);
    }
    /* A NUL inside a value. */
    struct tar_pax pax;
    const char *why;
    ck_assert_int_eq(tar_parse_pax((const uint8_t *)"14 path=b\0txt\n", 14, &pax, &why), -EBADMSG);
    /* An empty value unsets the keyword; trailing NUL padding is fine. */
    ck_assert_int_eq(tar_parse_pax((const uint8_t *)"8 path=\n\0\0", 10, &pax, &why), 0);
    ck_assert(!pax.has_path);

    tb_pax(&b, "13 path=b.txt\n");
    tb_entry(&b, "a.txt", '0', NULL, 1);
    tb_end(&b);
    expect_refused(-EBADMSG, "entry 'PaxHeaders/x'", "pax record");
}
END_TEST

START_TEST(oversized_extension_is_refused)
{
    uint8_t *h = tb_entry(&b, "././@LongLink", 'L', NULL, 100);
    tb_octal(h + TAR_SIZE_OFF, 12, TAR_EXT_MAX + 1);
    tb_checksum(h);
    tb_grow(&b, TAR_EXT_MAX + 1024);
    tb_end(&b);
    expect_refused(-E2BIG, "extended header of 65537 bytes", NULL);
}
END_TEST

START_TEST(gnu_long_name_applies_to_the_next_entry_only)
{
    char name[400];
    memset(name, 'n', 300);
    strcpy(name + 300, "/file.txt");
    tb_entry(&b, "././@LongLink", 'L', name, strlen(name) + 1);
    tb_entry(&b, "truncated-name", '0', NULL, 20);
    tb_entry(&b, "plain.txt", '0', NULL, 20);
    tb_end(&b);
    ck_assert_int_eq(mount_built(), 0);
    ck_assert_ptr_nonnull(tar_lookup(m.archive, name));
    ck_assert_ptr_null(tar_lookup(m.archive, "truncated-name"));
    ck_assert_ptr_nonnull(tar_lookup(m.archive, "plain.txt"));
}
END_TEST

START_TEST(too_long_a_name_is_refused)
{
    static char records[2200];
    static char path[1100];
    memset(path, 'p', 1030);
    path[1030] = '\0';
    snprintf(records, sizeof(records), "1041 path=%s\n", path);
    ck_assert_uint_eq(strlen(records), 1041);
    tb_pax(&b, records);
    tb_entry(&b, "x", '0', NULL, 1);
    tb_end(&b);
    expect_refused(-E2BIG, "name too long", NULL);
}
END_TEST

START_TEST(entry_limit_is_enforced)
{
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", i);
        tb_entry(&b, name, '0', NULL, 1);
    }
    tb_end(&b);
    memset(&m, 0, sizeof(m));
    m.dev = memdisk_create_from("tar0", 512, b.data, b.len, true);
    m.opts.max_entries = 3;
    ck_assert_int_eq(blk_run_task(tf_mount_task, &m, 10 * SEC), -E2BIG);
    ck_assert_ptr_nonnull(strstr(m.err, "more than 3 entries"));
    ck_assert_ptr_nonnull(strstr(m.err, "entry 'f3'"));
    /* Five files and the root fit in six. */
    m.opts.max_entries = 6;
    ck_assert_int_eq(blk_run_task(tf_mount_task, &m, 10 * SEC), 0);
    ck_assert_uint_eq(tar_entry_count(m.archive), 6);
}
END_TEST

START_TEST(hard_links_resolve_to_earlier_files_only)
{
    tb_entry(&b, "data.bin", '0', NULL, 1000);
    uint8_t *h = tb_entry(&b, "link.bin", '1', NULL, 0);
    memcpy(h + TAR_LINKNAME_OFF, "./data.bin", 10);
    tb_checksum(h);
    tb_end(&b);
    ck_assert_int_eq(mount_built(), 0);
    const struct tar_entry *l = tar_lookup(m.archive, "link.bin");
    ck_assert_int_eq(l->type, TAR_FILE);
    ck_assert_uint_eq(l->size, 1000);
    ck_assert_uint_eq(l->offset, tar_lookup(m.archive, "data.bin")->offset);
    tf_unmount(&m);
    tb_free(&b);

    h = tb_entry(&b, "link.bin", '1', NULL, 0);
    memcpy(h + TAR_LINKNAME_OFF, "later.bin", 9);
    tb_checksum(h);
    tb_entry(&b, "later.bin", '0', NULL, 10);
    tb_end(&b);
    expect_refused(-EBADMSG, "entry 'link.bin'", "hard link to 'later.bin'");
}
END_TEST

START_TEST(path_under_a_file_is_refused)
{
    tb_entry(&b, "a", '0', NULL, 10);
    tb_entry(&b, "a/b.txt", '0', NULL, 10);
    tb_end(&b);
    expect_refused(-EBADMSG, "entry 'a/b.txt'", "'a' is not a directory");
}
END_TEST

START_TEST(later_duplicate_replaces_earlier)
{
    tb_entry(&b, "same.txt", '0', NULL, 10);
    tb_entry(&b, "./same.txt", '0', NULL, 20);
    tb_end(&b);
    ck_assert_int_eq(mount_built(), 0);
    ck_assert_uint_eq(tar_lookup(m.archive, "same.txt")->size, 20);
    ck_assert_uint_eq(tar_entry_count(m.archive), 2);
}
END_TEST

START_TEST(special_files_are_indexed_without_data)
{
    tb_entry(&b, "fifo", '6', NULL, 0);
    tb_entry(&b, "sym", '2', NULL, 0);
    tb_entry(&b, "vendor", 'Q', NULL, 700);     /* unknown type: its data is skipped */
    tb_entry(&b, "after.txt", '0', NULL, 3);
    tb_entry(&b, "vol", 'V', NULL, 0);           /* a volume label is not a member */
    tb_end(&b);
    ck_assert_int_eq(mount_built(), 0);
    ck_assert_int_eq(tar_lookup(m.archive, "fifo")->type, TAR_OTHER);
    ck_assert_int_eq(tar_lookup(m.archive, "sym")->type, TAR_SYMLINK);
    const struct tar_entry *v = tar_lookup(m.archive, "vendor");
    ck_assert_int_eq(v->type, TAR_OTHER);
    ck_assert_uint_eq(v->size, 0);
    ck_assert_uint_eq(tar_lookup(m.archive, "after.txt")->offset, 512 * 6);
    ck_assert_ptr_null(tar_lookup(m.archive, "vol"));
    char buf[4];
    ck_assert_int_eq(tf_read(m.archive, v, 0, buf, sizeof(buf)), -EINVAL);
    tf_unmount(&m);
    tb_free(&b);
    tb_entry(&b, "mv", 'M', NULL, 0);
    tb_end(&b);
    expect_refused(-EBADMSG, "multi-volume", NULL);
}
END_TEST

START_TEST(empty_device_is_an_empty_archive)
{
    tb_end(&b);
    ck_assert_int_eq(mount_built(), 0);
    ck_assert_uint_eq(tar_entry_count(m.archive), 1);
    ck_assert_int_eq(tar_lookup(m.archive, "")->type, TAR_DIR);
}
END_TEST

static Suite *tar_bad_suite(void)
{
    Suite *s = suite_create("blk_tar_bad");
    TCase *tc = tcase_create("format");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, well_formed_archive_mounts);
    tcase_add_test(tc, dead_disk_is_reported_not_waited_for);
    tcase_add_test(tc, bad_checksum_is_refused_by_name);
    tcase_add_test(tc, signed_checksum_is_accepted);
    tcase_add_test(tc, bad_octal_is_refused);
    tcase_add_test(tc, octal_and_base256_fields);
    tcase_add_test(tc, base256_size_in_an_archive);
    tcase_add_test(tc, size_past_the_end_is_a_truncated_archive);
    tcase_add_test(tc, archive_cut_inside_data_is_refused);
    tcase_add_test(tc, names_with_dotdot_absolute_or_control_characters_are_refused);
    tcase_add_test(tc, name_normalization);
    tcase_add_test(tc, missing_magic_is_refused);
    tcase_add_test(tc, end_of_device_on_a_header_boundary_ends_the_archive);
    tcase_add_test(tc, one_zero_block_at_the_end_of_the_device_ends_the_archive);
    tcase_add_test(tc, anything_after_two_zero_blocks_is_ignored);
    tcase_add_test(tc, lone_zero_block_followed_by_a_header_is_refused);
    tcase_add_test(tc, extended_header_without_an_entry_is_refused);
    tcase_add_test(tc, pax_path_size_and_mtime_are_honoured);
    tcase_add_test(tc, malformed_pax_records_are_refused);
    tcase_add_test(tc, oversized_extension_is_refused);
    tcase_add_test(tc, gnu_long_name_applies_to_the_next_entry_only);
    tcase_add_test(tc, too_long_a_name_is_refused);
    tcase_add_test(tc, entry_limit_is_enforced);
    tcase_add_test(tc, hard_links_resolve_to_earlier_files_only);
    tcase_add_test(tc, path_under_a_file_is_refused);
    tcase_add_test(tc, later_duplicate_replaces_earlier);
    tcase_add_test(tc, special_files_are_indexed_without_data);
    tcase_add_test(tc, empty_device_is_an_empty_archive);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(tar_bad_suite)
