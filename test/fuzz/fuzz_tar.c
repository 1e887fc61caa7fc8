/*
 * Fuzz harness: the tar reader (blk/tar_format.c, blk/tar.c, blk/tar_cache.c). The input is
 * the archive itself: every 512-byte block goes through the header parser and the whole input
 * through the pax record parser, then the input (zero-padded to a sector) becomes a read-only
 * memdisk that tar_mount indexes in a fiber on the simulated clock.
 * Checks: no crash or sanitizer report; a refused archive has a message; in a mounted archive
 * every path is normalized, every parent is a directory, lookup finds each entry, every file's
 * data lies inside the device and tar_read returns exactly the input's bytes there; no leak.
 */
#include <stdlib.h>
#include <string.h>

#include "blk/memdisk.h"
#include "blk/tar.h"
#include "blk/tar_format.h"
#include "lib/errno.h"
#include "test/fuzz/fuzz_boot.h"

static const uint8_t *input;
static size_t input_size;
static struct blkdev *dev;
static bool finished;

static bool path_is_normal(const char *p)
{
    if (p[0] == '\0')
        return true;
    if (p[0] == '/' || p[strlen(p) - 1] == '/' || strstr(p, "//"))
        return false;
    for (const char *c = p; *c;) {
        const char *end = strchr(c, '/');
        size_t n = end ? (size_t)(end - c) : strlen(c);
        if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
            return false;
        for (size_t i = 0; i < n; i++)
            if ((uint8_t)c[i] < 0x20 || c[i] == 0x7f)
                return false;
        c += n + (end ? 1 : 0);
    }
    return true;
}

static void check_archive(struct tar_archive *a)
{
    static uint8_t buf[4096 + 512];
    uint64_t bytes = blkdev_bytes(dev);
    if (!tar_lookup(a, "") || tar_lookup(a, "")->type != TAR_DIR)
        abort();
    for (size_t i = 0; i < tar_entry_count(a); i++) {
        const struct tar_entry *e = tar_entry_at(a, i);
        if (!path_is_normal(e->path) || strlen(e->path) > TAR_PATH_MAX)
            abort();
        if (tar_lookup(a, e->path) != e)
            abort();
        const char *slash = strrchr(e->path, '/');
        if (slash) {
            const struct tar_entry *parent = tar_lookup_n(a, e->path, (size_t)(slash - e->path));
            if (!parent || parent->type != TAR_DIR || !tar_entry_in_dir(parent, e))
                abort();
        }
        if (e->type != TAR_FILE) {
            if (e->size != 0 || tar_read(a, e, 0, buf, 1, DEADLINE_NONE) != -EINVAL)
                abort();
            continue;
        }
        if (e->offset > bytes || e->size > bytes - e->offset || e->offset % TAR_BLOCK_SIZE)
            abort();
        /* Read it in two pieces; the bytes must be the input's (zero past its end). */
        uint64_t half = e->size / 2;
        for (int piece = 0; piece < 2; piece++) {
            uint64_t off = piece ? half : 0;
            uint64_t want = piece ? e->size - half : half;
            if (want > sizeof(buf))
                abort();
            int64_t got = tar_read(a, e, off, buf, sizeof(buf), DEADLINE_NONE);
            if (got != (int64_t)(e->size - off))
                abort();
            for (uint64_t k = 0; k < (uint64_t)got; k++) {
                uint64_t at = e->offset + off + k;
                if (buf[k] != (at < input_size ? input[at] : 0))
                    abort();
            }
        }
    }
}

static int mount_and_check(void *arg)
{
    struct tar_archive *a = NULL;
    char err[TAR_ERROR_MAX];
    int rc = tar_mount(dev, NULL, &a, err, sizeof(err));
    if (rc == 0) {
        if (!a)
            abort();
        check_archive(a);
        tar_unmount(a);
    } else if (a || err[0] == '\0' || rc >= 0) {
        abort();
    }
    finished = true;
    return 0;
}

static bool is_finished(void *arg)
{
    return finished || sim_deadlocks() > 0;
}

/* Mounts data[size] from a fresh memdisk in a fiber and checks what comes out. */
static void run_mount(const uint8_t *data, size_t size)
{
    input = data;
    input_size = size;
    dev = memdisk_create_from("fz", 512, data, size, true);
    if (!dev)
        abort();
    finished = false;
    struct fiber *f = fiber_spawn("fuzz-tar", mount_and_check, NULL, 0);
    if (!f)
        abort();
    fiber_detach(f);
    sched_run(is_finished, NULL);
    if (!finished)
        abort();                             /* a mount that never completes */
    blkdev_destroy(dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool warmed_up;
    fuzz_boot();
    if (!warmed_up) {
        /* The scheduler keeps some memory once used (timer heap): not a leak of ours. */
        static const uint8_t empty[1024];
        run_mount(empty, sizeof(empty));
        warmed_up = true;
    }
    for (size_t off = 0; off + TAR_BLOCK_SIZE <= size; off += TAR_BLOCK_SIZE) {
        struct tar_header h;
        char problem[TAR_ERROR_MAX];
        if (tar_parse_header(data + off, &h, problem, sizeof(problem)) == 0 &&
            (strlen(h.name) > sizeof(h.name) - 1 || h.size > INT64_MAX))
            abort();
    }
    struct tar_pax pax;
    const char *why;
    if (tar_parse_pax(data, size, &pax, &why) == 0 &&
        ((pax.has_path && pax.path_len > size) || (pax.has_linkpath && pax.linkpath_len > size)))
        abort();

    struct heap_stats before, after;
    heap_get_stats(&before);
    run_mount(data, size);
    heap_get_stats(&after);
    if (after.bytes_in_use != before.bytes_in_use)
        abort();
    return 0;
}
