/*
 * test/unit/tar_fixture.h: building tar archives for the tar reader's tests (header-only): a
 * header writer with a correct checksum that tests then break on purpose, mounting from a
 * memdisk inside a fiber, and making archives with the real tar in a temporary directory.
 */
#ifndef XENOLITH_TEST_UNIT_TAR_FIXTURE_H
#define XENOLITH_TEST_UNIT_TAR_FIXTURE_H

#include "test/unit/blk_fixture.h"
#include "blk/tar.h"
#include "blk/tar_format.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* ---- an archive assembled in memory ---- */
struct tar_builder {
    uint8_t *data;
    size_t len, cap;
};

static inline uint8_t *tb_grow(struct tar_builder *b, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->data = realloc(b->data, b->cap);
        ck_assert_ptr_nonnull(b->data);
    }
    uint8_t *p = b->data + b->len;
    memset(p, 0, n);
    b->len += n;
    return p;
}

static inline void tb_octal(uint8_t *field, size_t len, uint64_t v)
{
    char tmp[32];
    snprintf(tmp, sizeof(tmp), "%0*llo", (int)len - 1, (unsigned long long)v);
    memcpy(field, tmp, len - 1);
    field[len - 1] = '\0';
}

static inline void tb_checksum(uint8_t *h)
{
    uint32_t u;
    int32_t s;
    tar_checksums(h, &u, &s);
    char tmp[16];
    snprintf(tmp, sizeof(tmp), "%06o", u);
    memcpy(h + TAR_CHKSUM_OFF, tmp, 6);
    h[TAR_CHKSUM_OFF + 6] = '\0';
    h[TAR_CHKSUM_OFF + 7] = ' ';
}

/* Appends a POSIX ustar header and `size` bytes of data (`content`, or a pattern when NULL),
 * padded to a block. Returns the header so a test can break it (then call tb_checksum again,
 * or not). */
static inline uint8_t *tb_entry(struct tar_builder *b, const char *name, char type,
                                const void *content, size_t size)
{
    size_t off = b->len;
    uint8_t *h = tb_grow(b, TAR_BLOCK_SIZE);
    size_t nl = strlen(name);
    memcpy(h + TAR_NAME_OFF, name, nl < TAR_NAME_LEN ? nl : TAR_NAME_LEN);
    tb_octal(h + TAR_MODE_OFF, 8, type == '5' ? 0755 : 0644);
    tb_octal(h + 108, 8, 0);
    tb_octal(h + 116, 8, 0);
    tb_octal(h + TAR_SIZE_OFF, 12, size);
    tb_octal(h + TAR_MTIME_OFF, 12, 1700000000);
    h[TAR_TYPE_OFF] = (uint8_t)type;
    memcpy(h + TAR_MAGIC_OFF, "ustar\0" "00", 8);
    tb_checksum(h);
    uint8_t *d = tb_grow(b, (size + TAR_BLOCK_SIZE - 1) / TAR_BLOCK_SIZE * TAR_BLOCK_SIZE);
    for (size_t i = 0; i < size; i++)
        d[i] = content ? ((const uint8_t *)content)[i] : (uint8_t)(i * 13 + nl);
    return b->data + off;
}

/* A pax 'x' header carrying the given records text. */
static inline uint8_t *tb_pax(struct tar_builder *b, const char *records)
{
    return tb_entry(b, "PaxHeaders/x", 'x', records, strlen(records));
}

static inline void tb_end(struct tar_builder *b)
{
    tb_grow(b, 2 * TAR_BLOCK_SIZE);
}

static inline void tb_free(struct tar_builder *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

/* ---- mounting in a fiber ---- */
struct mount_args {
    struct blkdev *dev;
    struct tar_options opts;
    struct tar_archive *archive;
    char err[TAR_ERROR_MAX];
};

static int tf_mount_task(void *arg)
{
    struct mount_args *m = arg;
    return tar_mount(m->dev, &m->opts, &m->archive, m->err, sizeof(m->err));
}

/* Mounts image[len] from a read-only memdisk. The device and archive come back in *m. */
static inline int tf_mount_image(struct mount_args *m, const void *image, size_t len,
                                 uint32_t sector_size)
{
    memset(m, 0, sizeof(*m));
    m->dev = memdisk_create_from("tar0", sector_size, image, len, true);
    ck_assert_ptr_nonnull(m->dev);
    return blk_run_task(tf_mount_task, m, 60 * SEC);
}

static inline void tf_unmount(struct mount_args *m)
{
    tar_unmount(m->archive);
    blkdev_destroy(m->dev);
    m->archive = NULL;
    m->dev = NULL;
}

/* ---- reading in a fiber ---- */
struct read_args {
    struct tar_archive *archive;
    const struct tar_entry *entry;
    uint64_t offset;
    void *buf;
    size_t len;
    int64_t result;
};

static int tf_read_task(void *arg)
{
    struct read_args *r = arg;
    r->result = tar_read(r->archive, r->entry, r->offset, r->buf, r->len, DEADLINE_NONE);
    return 0;
}

static inline int64_t tf_read(struct tar_archive *a, const struct tar_entry *e, uint64_t offset,
                              void *buf, size_t len)
{
    struct read_args r = { a, e, offset, buf, len, 0 };
    blk_run_task(tf_read_task, &r, 60 * SEC);
    return r.result;
}

/* ---- files on the host ---- */
static inline void tf_write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot create %s", path);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* Reads a whole file; the caller frees. */
static inline uint8_t *tf_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *data = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return data;
}

static inline void tf_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void tf_sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
}

#endif
