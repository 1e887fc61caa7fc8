/*
 * blk/tar: mounting a tar archive from a block device (see tar.h). The mount walk reads header
 * after header through the block cache, applies pending extensions ('x', 'L', 'K') to the next
 * entry, checks every size and name, and builds the index: an array of entries in archive order
 * plus an open-addressing hash table from normalized path to entry.
 */
#include "blk/tar.h"
#include "blk/tar_format.h"
#include "blk/tar_private.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/minmax.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/platform.h"

/* ---- the index ---- */

static uint32_t hash_path(const char *s, size_t len)
{
    uint32_t h = 2166136261u;                    /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}

/* The hash slot holding path, or the empty slot where it would go. */
static size_t hash_find(const struct tar_archive *a, const char *path, size_t len)
{
    size_t mask = a->hash_size - 1;
    size_t i = hash_path(path, len) & mask;
    for (;;) {
        uint32_t v = a->hash[i];
        if (v == 0)
            return i;
        const char *p = a->entries[v - 1].path;
        if (strlen(p) == len && memcmp(p, path, len) == 0)
            return i;
        i = (i + 1) & mask;
    }
}

static int hash_grow(struct tar_archive *a)
{
    size_t size = a->hash_size ? a->hash_size * 2 : 64;
    uint32_t *table = kcalloc(size, sizeof(*table));
    if (!table)
        return -ENOMEM;
    kfree(a->hash);
    a->hash = table;
    a->hash_size = size;
    for (size_t e = 0; e < a->count; e++) {
        const char *p = a->entries[e].path;
        a->hash[hash_find(a, p, strlen(p))] = (uint32_t)(e + 1);
    }
    return 0;
}

static struct tar_entry *index_lookup(const struct tar_archive *a, const char *path, size_t len)
{
    if (!a->hash_size)
        return NULL;
    uint32_t v = a->hash[hash_find(a, path, len)];
    return v ? &a->entries[v - 1] : NULL;
}

/* Adds an entry for path, or returns the existing one (its fields are the caller's to set).
 * NULL with *err set when over the entry limit or out of memory. */
static struct tar_entry *index_add(struct tar_archive *a, const char *path, int *err)
{
    size_t len = strlen(path);
    struct tar_entry *e = index_lookup(a, path, len);
    if (e)
        return e;
    if (a->count >= a->max_entries) {
        *err = -E2BIG;
        return NULL;
    }
    if ((a->count + 1) * 2 > a->hash_size && (*err = hash_grow(a)) != 0)
        return NULL;
    if (a->count == a->capacity) {
        size_t cap = a->capacity ? a->capacity * 2 : 32;
        struct tar_entry *grown = krealloc(a->entries, cap * sizeof(*grown));
        if (!grown) {
            *err = -ENOMEM;
            return NULL;
        }
        a->entries = grown;
        a->capacity = cap;
    }
    char *copy = kmalloc(len + 1);
    if (!copy) {
        *err = -ENOMEM;
        return NULL;
    }
    memcpy(copy, path, len + 1);
    e = &a->entries[a->count];
    memset(e, 0, sizeof(*e));
    e->path = copy;
    a->hash[hash_find(a, copy, len)] = (uint32_t)(++a->count);
    return e;
}

/* ---- the mount walk ---- */

struct walk {
    struct tar_archive *a;
    char *err;
    size_t err_size;
    uint64_t pos;                        /* offset of the header being read */
    uint64_t read_timeout_ns;
    /* Extensions that apply to the next entry. */
    struct tar_pax pax;
    bool has_pax;
    uint8_t *pax_data;                   /* what pax.path/linkpath point into */
    char *long_name, *long_link;         /* GNU 'L' and 'K' */
    uint8_t block[TAR_BLOCK_SIZE];
    char path[TAR_PATH_MAX + 1];
    char link[TAR_PATH_MAX + 1];
};

/* A name safe to print: printable ASCII, cut at 80 bytes. */
static void printable(char *out, size_t out_size, const char *in, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n + 4 < out_size && i < 80; i++)
        out[n++] = (in[i] >= 0x20 && in[i] < 0x7f) ? in[i] : '?';
    if (len > 80 && n + 4 < out_size) {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

PRINTF_LIKE(4, 5)
static int refuse(struct walk *w, int err, const char *name, const char *fmt, ...)
{
    char what[TAR_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (name) {
        char shown[96];
        printable(shown, sizeof(shown), name, strlen(name));
        ksnprintf(w->err, w->err_size, "%s: entry '%s' at offset %llu: %s", w->a->dev->name,
                  shown, (unsigned long long)w->pos, what);
    } else {
        ksnprintf(w->err, w->err_size, "%s: header at offset %llu: %s", w->a->dev->name,
                  (unsigned long long)w->pos, what);
    }
    log_error("tar", "%s", w->err);
    return err;
}

/* One read of the walk, bounded: a disk that does not answer is dead, not slow. */
static int walk_read(struct walk *w, uint64_t pos, void *buf, size_t len)
{
    return tar_cache_read(w->a, pos, buf, len, false, platform_monotonic_ns() + w->read_timeout_ns);
}

static int device_error(struct walk *w, const char *name, int err)
{
    if (err == -ETIMEDOUT)
        return refuse(w, err, name, "the disk did not answer a read in time (dead disk?)");
    return refuse(w, err, name, "device error %s", error_name(err));
}

static void clear_extensions(struct walk *w)
{
    kfree(w->pax_data);
    kfree(w->long_name);
    kfree(w->long_link);
    w->pax_data = NULL;
    w->long_name = w->long_link = NULL;
    w->has_pax = false;
}

static bool extensions_pending(const struct walk *w)
{
    return w->has_pax || w->long_name || w->long_link;
}

/* Reads an extension's data (size bytes after the header) into a new NUL-terminated buffer. */
static int read_extension(struct walk *w, const struct tar_header *h, uint8_t **out)
{
    if (h->size > TAR_EXT_MAX)
        return refuse(w, -E2BIG, h->name, "extended header of %llu bytes (at most %u)",
                      (unsigned long long)h->size, TAR_EXT_MAX);
    uint8_t *data = kmalloc((size_t)h->size + 1);
    if (!data)
        return refuse(w, -ENOMEM, h->name, "no memory for the extended header");
    int err = walk_read(w, w->pos + TAR_BLOCK_SIZE, data, (size_t)h->size);
    if (err) {
        kfree(data);
        return device_error(w, h->name, err);
    }
    data[h->size] = '\0';
    *out = data;
    return 0;
}

static int take_extension(struct walk *w, const struct tar_header *h)
{
    uint8_t *data = NULL;
    int err = read_extension(w, h, &data);
    if (err)
        return err;
    const char *problem = NULL;
    switch (h->typeflag) {
    case 'x':
        if (w->has_pax) {
            kfree(data);
            return refuse(w, -EBADMSG, h->name, "two pax headers for one entry");
        }
        if (tar_parse_pax(data, (size_t)h->size, &w->pax, &problem) != 0) {
            kfree(data);
            return refuse(w, -EBADMSG, h->name, "%s", problem);
        }
        w->pax_data = data;
        w->has_pax = true;
        return 0;
    case 'g': {
        struct tar_pax global;
        err = tar_parse_pax(data, (size_t)h->size, &global, &problem);
        kfree(data);
        return err ? refuse(w, -EBADMSG, h->name, "%s", problem) : 0;
    }
    default: {                                   /* 'L' or 'K': the name up to its NUL */
        char **slot = h->typeflag == 'L' ? &w->long_name : &w->long_link;
        if (*slot) {
            kfree(data);
            return refuse(w, -EBADMSG, h->name, "two GNU long-name headers for one entry");
        }
        *slot = (char *)data;
        return 0;
    }
    }
}

static enum tar_type type_of(char typeflag)
{
    switch (typeflag) {
    case '0': case '7': return TAR_FILE;
    case '5': return TAR_DIR;
    case '2': return TAR_SYMLINK;
    default: return TAR_OTHER;                   /* '3' '4' '6', GNU 'S', vendor types */
    }
}

/* Indexes one member: its name and size after extensions, hard links resolved. */
static int add_member(struct walk *w, const struct tar_header *h, uint64_t size)
{
    const char *raw = h->name;
    size_t raw_len = strlen(h->name);
    if (w->has_pax && w->pax.has_path) {
        raw = w->pax.path;
        raw_len = w->pax.path_len;
    } else if (w->long_name) {
        raw = w->long_name;
        raw_len = strlen(w->long_name);
    }
    char shown[TAR_PATH_MAX + 1];
    kstrlcpy(shown, raw, min(raw_len + 1, sizeof(shown)));
    if (raw_len == 0)
        return refuse(w, -EBADMSG, shown, "empty name");
    const char *problem = NULL;
    int err = tar_normalize_path(raw, raw_len, w->path, sizeof(w->path), &problem);
    if (err)
        return refuse(w, err == -ENAMETOOLONG ? -E2BIG : -EBADMSG, shown, "%s", problem);
    enum tar_type type = type_of(h->typeflag);
    if (w->path[0] == '\0' && type != TAR_DIR)
        return refuse(w, -EBADMSG, shown, "the archive root is not a directory");

    uint64_t offset = w->pos + TAR_BLOCK_SIZE;
    if (h->typeflag == '1') {
        const char *target = h->linkname;
        size_t target_len = strlen(h->linkname);
        if (w->has_pax && w->pax.has_linkpath) {
            target = w->pax.linkpath;
            target_len = w->pax.linkpath_len;
        } else if (w->long_link) {
            target = w->long_link;
            target_len = strlen(w->long_link);
        }
        err = tar_normalize_path(target, target_len, w->link, sizeof(w->link), &problem);
        if (err)
            return refuse(w, -EBADMSG, shown, "hard link target: %s", problem);
        const struct tar_entry *t = index_lookup(w->a, w->link, strlen(w->link));
        if (!t || t->type != TAR_FILE)
            return refuse(w, -EBADMSG, shown, "hard link to '%s', which is not a file earlier "
                          "in the archive", w->link);
        offset = t->offset;
        size = t->size;
        type = TAR_FILE;
    }
    struct tar_entry *e = index_add(w->a, w->path, &err);
    if (!e)
        return err == -E2BIG ? refuse(w, err, shown, "more than %zu entries", w->a->max_entries)
                             : refuse(w, err, shown, "no memory for the index");
    e->type = type;
    e->size = type == TAR_FILE ? size : 0;
    e->offset = offset;
    e->mtime = w->has_pax && w->pax.has_mtime ? w->pax.mtime : h->mtime;
    e->mode = h->mode;
    e->implicit = false;
    return 0;
}

/* One header at w->pos. Sets *end at the end of the archive; otherwise advances w->pos. */
static int walk_one(struct walk *w, bool *end)
{
    struct tar_archive *a = w->a;
    if (w->pos == a->dev_bytes) {
        /* The device ends on a header boundary: the end of the archive (no end blocks). */
        if (extensions_pending(w))
            return refuse(w, -EBADMSG, NULL, "the archive ends after an extended header");
        *end = true;
        return 0;
    }
    int err = walk_read(w, w->pos, w->block, TAR_BLOCK_SIZE);
    if (err)
        return device_error(w, NULL, err);
    if (tar_block_is_zero(w->block)) {
        if (extensions_pending(w))
            return refuse(w, -EBADMSG, NULL, "the archive ends after an extended header");
        uint64_t next = w->pos + TAR_BLOCK_SIZE;
        if (next < a->dev_bytes) {
            err = walk_read(w, next, w->block, TAR_BLOCK_SIZE);
            if (err)
                return device_error(w, NULL, err);
            if (!tar_block_is_zero(w->block))
                return refuse(w, -EBADMSG, NULL, "a lone zero block followed by a header");
        }
        *end = true;
        return 0;
    }
    struct tar_header h;
    char problem[TAR_ERROR_MAX];
    if (tar_parse_header(w->block, &h, problem, sizeof(problem)) != 0) {
        /* The name field may still be readable: name it if it is. */
        char raw[TAR_NAME_LEN + 1];
        memcpy(raw, w->block, TAR_NAME_LEN);
        raw[TAR_NAME_LEN] = '\0';
        return refuse(w, -EBADMSG, raw[0] ? raw : NULL, "%s", problem);
    }
    uint64_t size = h.size;
    bool extension = h.typeflag == 'x' || h.typeflag == 'g' || h.typeflag == 'L' ||
                     h.typeflag == 'K';
    if (!extension && w->has_pax && w->pax.has_size)
        size = w->pax.size;
    /* Hard links, directories, symlinks and devices carry no data whatever size says...
     * except that POSIX lets a directory record a size; tar writers set 0. Skip what it says. */
    uint64_t data = w->pos + TAR_BLOCK_SIZE;
    uint64_t room = a->dev_bytes - data;
    uint64_t padded = size + (TAR_BLOCK_SIZE - 1);
    if (size > room || padded - padded % TAR_BLOCK_SIZE > room)
        return refuse(w, -EBADMSG, h.name, "its data (%llu bytes at offset %llu) runs past the "
                      "end of the archive (%llu bytes): truncated", (unsigned long long)size,
                      (unsigned long long)data, (unsigned long long)a->dev_bytes);
    if (h.typeflag == '1')
        size = 0;                                /* a hard link's data is its target's */
    if (extension) {
        err = take_extension(w, &h);
        if (err)
            return err;
    } else if (h.typeflag == 'M') {
        return refuse(w, -EBADMSG, h.name, "GNU multi-volume archives are not supported");
    } else if (h.typeflag != 'V') {             /* 'V' is a GNU volume label: not a member */
        err = add_member(w, &h, size);
        clear_extensions(w);
        if (err)
            return err;
    }
    w->pos = data + (padded - padded % TAR_BLOCK_SIZE);
    return 0;
}

/* Adds the directories implied by each path; refuses a path under a non-directory. */
static int add_implicit_dirs(struct walk *w)
{
    struct tar_archive *a = w->a;
    int err = 0;
    if (!index_lookup(a, "", 0)) {
        struct tar_entry *root = index_add(a, "", &err);
        if (!root)
            return refuse(w, err, NULL, "no room for the root directory");
        root->type = TAR_DIR;
        root->implicit = true;
    }
    /* Entries added here are visited too; their parents are already present by then. */
    for (size_t i = 0; i < a->count; i++) {
        kstrlcpy(w->path, a->entries[i].path, sizeof(w->path));
        for (char *slash = strchr(w->path, '/'); slash; slash = strchr(slash + 1, '/')) {
            const struct tar_entry *parent = index_lookup(a, w->path, (size_t)(slash - w->path));
            if (parent && parent->type == TAR_DIR)
                continue;
            *slash = '\0';
            if (parent)
                return refuse(w, -EBADMSG, a->entries[i].path, "'%s' is not a directory",
                              w->path);
            struct tar_entry *dir = index_add(a, w->path, &err);
            if (!dir)
                return err == -E2BIG ? refuse(w, err, a->entries[i].path, "more than %zu "
                                              "entries with implied directories", a->max_entries)
                                     : refuse(w, err, NULL, "no memory for the index");
            dir->type = TAR_DIR;
            dir->implicit = true;
            /* index_add may have moved the array: re-read our own path. */
            kstrlcpy(w->path, a->entries[i].path, sizeof(w->path));
        }
    }
    return 0;
}

int tar_mount(struct blkdev *dev, const struct tar_options *options, struct tar_archive **out,
              char *err_buf, size_t err_size)
{
    char scratch[TAR_ERROR_MAX];
    if (!err_buf || !err_size) {
        err_buf = scratch;
        err_size = sizeof(scratch);
    }
    err_buf[0] = '\0';
    *out = NULL;
    struct tar_archive *a = kcalloc(1, sizeof(*a));
    struct walk *w = kcalloc(1, sizeof(*w));
    int err = -ENOMEM;
    if (!a || !w) {
        ksnprintf(err_buf, err_size, "%s: no memory to mount the archive", dev->name);
        goto fail;
    }
    a->dev = dev;
    a->dev_bytes = blkdev_bytes(dev);
    a->max_entries = options && options->max_entries ? options->max_entries
                                                     : TAR_DEFAULT_MAX_ENTRIES;
    w->a = a;
    w->read_timeout_ns = options && options->read_timeout_ns ? options->read_timeout_ns
                                                             : TAR_DEFAULT_READ_TIMEOUT_NS;
    w->err = err_buf;
    w->err_size = err_size;
    err = tar_cache_init(a);
    if (err) {
        ksnprintf(err_buf, err_size, "%s: no memory for the block cache", dev->name);
        goto fail;
    }
    bool end = false;
    while (!end && (err = walk_one(w, &end)) == 0)
        ;
    if (err == 0)
        err = add_implicit_dirs(w);
    clear_extensions(w);
    if (err)
        goto fail;
    log_info("tar", "%s: %zu entries in %llu bytes", dev->name, a->count,
             (unsigned long long)w->pos);
    kfree(w);
    *out = a;
    return 0;
fail:
    if (w)
        clear_extensions(w);
    kfree(w);
    tar_unmount(a);
    return err;
}

void tar_unmount(struct tar_archive *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->count; i++)
        kfree((void *)a->entries[i].path);
    kfree(a->entries);
    kfree(a->hash);
    tar_cache_release(a);
    kfree(a);
}

const struct tar_entry *tar_lookup_n(const struct tar_archive *a, const char *path, size_t len)
{
    while (len && *path == '/') {
        path++;
        len--;
    }
    char normalized[TAR_PATH_MAX + 1];
    const char *problem;
    if (tar_normalize_path(path, len, normalized, sizeof(normalized), &problem) != 0)
        return NULL;
    return index_lookup(a, normalized, strlen(normalized));
}

const struct tar_entry *tar_lookup(const struct tar_archive *a, const char *path)
{
    return tar_lookup_n(a, path, strlen(path));
}

int64_t tar_read(struct tar_archive *a, const struct tar_entry *e, uint64_t offset, void *buf,
                 size_t len, uint64_t deadline_ns)
{
    if (e->type != TAR_FILE)
        return -EINVAL;
    if (offset >= e->size)
        return 0;
    size_t n = (size_t)min((uint64_t)len, e->size - offset);
    if (n > (size_t)INT64_MAX)
        n = (size_t)INT64_MAX;
    int err = tar_cache_read(a, e->offset + offset, buf, n, true, deadline_ns);
    return err ? err : (int64_t)n;
}

size_t tar_entry_count(const struct tar_archive *a)
{
    return a->count;
}

const struct tar_entry *tar_entry_at(const struct tar_archive *a, size_t index)
{
    return index < a->count ? &a->entries[index] : NULL;
}

bool tar_entry_in_dir(const struct tar_entry *dir, const struct tar_entry *entry)
{
    if (dir->type != TAR_DIR || entry == dir)
        return false;
    size_t dl = strlen(dir->path);
    const char *rest = entry->path;
    if (dl) {
        if (strncmp(entry->path, dir->path, dl) != 0 || entry->path[dl] != '/')
            return false;
        rest = entry->path + dl + 1;
    }
    return *rest && !strchr(rest, '/');
}

struct blkdev *tar_device(const struct tar_archive *a)
{
    return a->dev;
}

void tar_get_stats(const struct tar_archive *a, struct tar_stats *out)
{
    *out = a->stats;
}
