/*
 * app/httpd/cache: whole files in memory, least recently used evicted first (cache.h).
 */
#include "cache.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "xenolith/mem.h"

struct cached_file {
    struct list_node lru;
    const void *key;
    uint64_t size;
    uint64_t bytes;                      /* held: this header and the chunks */
    unsigned pins;
    bool ready;                          /* false while its first reader fills it */
    size_t chunks;
    char *chunk[];
};

/* Reports a whole file's memory to the heap as cached (sign 1) or no longer (-1); the heap
 * counts allocations up to a page as objects of its size classes (xenolith/mem.h): of a file's,
 * only its header and its last chunk can be that small. */
static void note(const struct cached_file *f, int64_t sign)
{
    size_t last = (size_t)(f->size - (f->chunks - 1) * (uint64_t)FILE_CACHE_CHUNK);
    int64_t objects = (f->bytes - f->size <= PAGE_SIZE) + (last <= PAGE_SIZE);
    heap_note_cached(sign * (int64_t)f->bytes, sign * objects);
}

static void release(struct file_cache *fc, struct cached_file *f)
{
    list_remove(&f->lru);
    fc->stats.bytes -= f->bytes;
    fc->stats.files--;
    if (f->ready)
        note(f, -1);
    for (size_t i = 0; i < f->chunks; i++)
        kfree(f->chunk[i]);
    kfree(f);
}

/* Evicts unpinned files, least recently used first, until at most `keep` bytes are held (or
 * only pinned files are left). Returns the bytes freed. */
static uint64_t evict(struct file_cache *fc, uint64_t keep)
{
    uint64_t held = fc->stats.bytes;
    struct list_node *n = fc->lru.prev;
    while (fc->stats.bytes > keep && n != &fc->lru) {
        struct cached_file *f = list_entry(n, struct cached_file, lru);
        n = n->prev;
        if (f->pins == 0) {
            release(fc, f);
            fc->stats.evictions++;
        }
    }
    return held - fc->stats.bytes;
}

/* The memory-pressure hook (xenolith/mem.h): the least recently used files nobody is sending go
 * until `bytes` were freed. It may run inside file_cache_get (an allocation of the file being
 * read ran short): that file is pinned, and evict only unlinks others. */
static size_t reclaim(void *arg, size_t bytes)
{
    struct file_cache *fc = arg;
    uint64_t files = fc->stats.files;
    size_t freed = (size_t)evict(fc, fc->stats.bytes > bytes ? fc->stats.bytes - bytes : 0);
    fc->stats.reclaimed += files - fc->stats.files;
    return freed;
}

void file_cache_init(struct file_cache *fc, uint64_t max_bytes, uint64_t file_max)
{
    memset(fc, 0, sizeof(*fc));
    fc->max_bytes = max_bytes;
    fc->file_max = file_max;
    list_init(&fc->lru);
    /* The table full: the cache still works, it only keeps its files under memory pressure. */
    (void)mem_reclaim_register(reclaim, fc);
}

void file_cache_clear(struct file_cache *fc)
{
    mem_reclaim_unregister(reclaim, fc);
    while (!list_empty(&fc->lru))
        release(fc, list_entry(list_first(&fc->lru), struct cached_file, lru));
}

/* Evicts unpinned files, least recently used first, until `need` more bytes fit. */
static bool make_room(struct file_cache *fc, uint64_t need)
{
    if (need > fc->max_bytes)
        return false;
    evict(fc, fc->max_bytes - need);
    return fc->stats.bytes + need <= fc->max_bytes;
}

int file_cache_get(struct file_cache *fc, const void *key, uint64_t size, file_cache_read_fn read,
                   void *arg, uint64_t deadline_ns, struct cached_file **out)
{
    fc->stats.misses++;
    if (size == 0 || size > fc->file_max)
        return 0;                        /* before the search: a large file costs no walk */
    /* Most recently used first: the files in demand are found after a few steps. */
    list_for_each(n, &fc->lru) {
        struct cached_file *f = list_entry(n, struct cached_file, lru);
        if (f->key != key)
            continue;
        if (!f->ready)
            return 0;                    /* another fiber reads it: stream meanwhile */
        fc->stats.misses--;
        fc->stats.hits++;
        list_remove(&f->lru);
        list_add_head(&fc->lru, &f->lru);
        f->pins++;
        *out = f;
        return 1;
    }
    size_t chunks = (size_t)((size + FILE_CACHE_CHUNK - 1) / FILE_CACHE_CHUNK);
    size_t head = sizeof(struct cached_file) + chunks * sizeof(char *);
    if (!make_room(fc, head + size))
        return 0;
    struct cached_file *f = kcalloc(1, head);
    if (!f)
        return 0;
    f->key = key;
    f->size = size;
    f->bytes = head + size;
    f->chunks = chunks;
    f->pins = 1;
    list_add_head(&fc->lru, &f->lru);
    fc->stats.bytes += f->bytes;
    fc->stats.files++;
    int rc = 0;
    for (size_t i = 0; i < chunks && rc == 0; i++) {
        uint64_t offset = (uint64_t)i * FILE_CACHE_CHUNK;
        size_t len = size - offset < FILE_CACHE_CHUNK ? (size_t)(size - offset) : FILE_CACHE_CHUNK;
        f->chunk[i] = kmalloc(len);
        if (!f->chunk[i])
            break;                       /* rc 0: not cached, streamed */
        for (size_t got = 0; got < len && rc == 0;) {
            int64_t n = read(arg, offset + got, f->chunk[i] + got, len - got, deadline_ns);
            if (n <= 0)
                rc = n < 0 ? (int)n : -EIO;    /* an error or a file ending early */
            got += n > 0 ? (size_t)n : 0;
        }
        if (rc == 0 && i + 1 == chunks)
            rc = 1;
    }
    if (rc != 1) {
        release(fc, f);
        return rc;
    }
    f->ready = true;                     /* from now on memory held for reuse, not in live use */
    note(f, 1);
    *out = f;
    return 1;
}

void file_cache_put(struct cached_file *f)
{
    f->pins--;
}

size_t cached_file_copy(const struct cached_file *f, uint64_t offset, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len && offset < f->size) {
        size_t i = (size_t)(offset / FILE_CACHE_CHUNK), at = (size_t)(offset % FILE_CACHE_CHUNK);
        size_t n = (i + 1 < f->chunks ? FILE_CACHE_CHUNK : (size_t)(f->size - i * FILE_CACHE_CHUNK))
                   - at;
        if (n > len - done)
            n = len - done;
        memcpy((char *)buf + done, f->chunk[i] + at, n);
        done += n;
        offset += n;
    }
    return done;
}
