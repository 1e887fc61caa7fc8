/*
 * app/httpd/site: the files the appliance serves. With a disk, its ustar archive is indexed once
 * at start (blk/tar.h validates every header and refuses a malformed archive with a message that
 * names the entry); files up to cache-file-max are then kept whole in memory (cache.h, bounded by
 * cache=), larger ones (and any a full cache has no room for) read through the tar reader's
 * small block cache for every response. Without a disk, one built-in page answers at "/".
 *
 * Entity-tags come from what identifies a file's bytes on a read-only medium: its modification
 * time, its size and where its data lies on the disk (two files cannot share a location; a new
 * disk image with a changed file moves or resizes or re-dates it).
 */
#include "httpd.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"

static const char builtin_page[] =
    "<!DOCTYPE html>\n<title>Xenolith httpd</title>\n<h1>Xenolith httpd</h1>\n"
    "<p>This appliance has no site disk. Pack a directory with <code>scripts/mkdisk.sh DIR "
    "site.img</code>, then give it as <code>disk=site.img</code> (hosted) or as the first disk "
    "(Xen).\n";

#define BUILTIN_LOCATION 0               /* no disk offset: tells the built-in page's tag apart */

int site_open(struct site *s, struct blkdev *dev, int64_t now_seconds, uint64_t cache_bytes,
              uint64_t cache_file_max)
{
    memset(s, 0, sizeof(*s));
    file_cache_init(&s->cache, cache_bytes, cache_file_max);
    s->builtin_mtime = now_seconds > 0 ? now_seconds : 0;
    if (!dev) {
        log_info("httpd", "serving the built-in page");
        return 0;
    }
    char err[TAR_ERROR_MAX];
    int rc = tar_mount(dev, NULL, &s->tar, err, sizeof(err));
    if (rc < 0) {
        log_error("httpd", "the site disk was refused: %s", err);
        return rc;
    }
    size_t files = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < tar_entry_count(s->tar); i++) {
        const struct tar_entry *e = tar_entry_at(s->tar, i);
        if (e->type == TAR_FILE) {
            files++;
            bytes += e->size;
        }
    }
    log_info("httpd", "site: %zu files, %llu bytes on %s", files, (unsigned long long)bytes,
             blk_name(dev));
    return 0;
}

void site_close(struct site *s)
{
    file_cache_clear(&s->cache);
    if (s->tar)
        tar_unmount(s->tar);
    s->tar = NULL;
}

int site_lookup(const struct site *s, const char *path, struct site_file *out)
{
    memset(out, 0, sizeof(*out));
    if (!s->tar) {
        if (path[0] == '\0') {
            out->is_dir = true;
            return 0;
        }
        if (strcmp(path, "index.html") != 0)
            return -ENOENT;
        out->builtin = builtin_page;
        out->size = sizeof(builtin_page) - 1;
        out->mtime = s->builtin_mtime;
        http_format_etag(out->etag, sizeof(out->etag), (uint64_t)out->mtime, out->size,
                         BUILTIN_LOCATION);
        return 0;
    }
    const struct tar_entry *e = tar_lookup(s->tar, path);
    if (!e || (e->type != TAR_FILE && e->type != TAR_DIR))
        return -ENOENT;
    out->entry = e;
    out->is_dir = e->type == TAR_DIR;
    out->size = e->size;
    out->mtime = e->mtime;
    if (!out->is_dir)
        http_format_etag(out->etag, sizeof(out->etag), (uint64_t)e->mtime, e->size, e->offset);
    return 0;
}

struct tar_file {
    const struct site *site;
    const struct site_file *file;
};

static int64_t read_tar(void *arg, uint64_t offset, void *buf, size_t len, uint64_t deadline_ns)
{
    const struct tar_file *t = arg;
    return tar_read(t->site->tar, t->file->entry, offset, buf, len, deadline_ns);
}

int site_pin(struct site *s, struct site_file *f, uint64_t deadline_ns)
{
    f->cached = NULL;
    if (!s->tar)
        return 0;
    struct tar_file t = { s, f };
    int rc = file_cache_get(&s->cache, f->entry, f->size, read_tar, &t, deadline_ns, &f->cached);
    return rc < 0 ? rc : 0;
}

void site_unpin(struct site_file *f)
{
    if (f->cached)
        file_cache_put(f->cached);
    f->cached = NULL;
}

int64_t site_read(const struct site *s, const struct site_file *f, uint64_t offset, void *buf,
                  size_t len, uint64_t deadline_ns)
{
    if (f->cached)
        return (int64_t)cached_file_copy(f->cached, offset, buf, len);
    if (f->builtin) {
        if (offset >= f->size)
            return 0;
        size_t n = f->size - offset < len ? (size_t)(f->size - offset) : len;
        memcpy(buf, f->builtin + offset, n);
        return (int64_t)n;
    }
    return tar_read(s->tar, f->entry, offset, buf, len, deadline_ns);
}
