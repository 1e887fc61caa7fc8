/*
 * app/httpd/cache: a bounded in-memory cache of whole files, so a file served again is copied
 * from memory instead of being read from the disk for every request (on Xen, blkfront requests
 * for each 16 KiB of a bulk download). Least recently used files are evicted first.
 *
 * Bounds: at most max_bytes held (data and bookkeeping), files larger than file_max are never
 * cached (the caller streams them from the disk). A file is read whole into the cache on its
 * first request; a read that fails (or ends early) leaves nothing cached. A file is pinned while
 * a response copies from it, and a pinned file is never evicted (when only pinned files could
 * make room, the new file is not cached). Each file is a list of FILE_CACHE_CHUNK pieces, so no
 * allocation needs more than 4 contiguous pages. The memory held is reported to the heap as
 * cached (heap_note_cached): bounded by design, not in live use. Under memory pressure (an
 * allocation anywhere would fail) the cache gives memory back through its reclaim hook
 * (xenolith/mem.h): unpinned files go, least recently used first, until the allocation's need
 * is freed; a pinned file stays.
 *
 * Context: fiber (file_cache_get blocks while it reads); the rest does not block.
 */
#ifndef XENOLITH_APP_HTTPD_CACHE_H
#define XENOLITH_APP_HTTPD_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include "lib/list.h"

#define FILE_CACHE_CHUNK (16 * 1024)

/* Reads file bytes [offset, offset + len) into buf: the count (fewer only at the end), or a
 * negative errno. */
typedef int64_t (*file_cache_read_fn)(void *arg, uint64_t offset, void *buf, size_t len,
                                      uint64_t deadline_ns);

struct file_cache_stats {
    uint64_t hits, misses, evictions;    /* evictions: to make room or under memory pressure */
    uint64_t reclaimed;                  /* of the evictions, those under memory pressure */
    uint64_t files, bytes;               /* held now */
};

struct file_cache {
    uint64_t max_bytes, file_max;
    struct list_node lru;                /* most recently used first */
    struct file_cache_stats stats;
};

struct cached_file;

/* An empty cache, its reclaim hook registered. */
void file_cache_init(struct file_cache *fc, uint64_t max_bytes, uint64_t file_max);
/* Frees every file and withdraws the reclaim hook (file_cache_init to use fc again); none may be
 * pinned. */
void file_cache_clear(struct file_cache *fc);
/* The file named by key (any pointer unique to it) of `size` bytes, pinned: 1 and *out when it
 * is (or is now, read through `read`) in the cache; 0 when it is not cached (too large, no
 * memory, no room, or being read by another fiber); a negative errno when the read failed. */
int file_cache_get(struct file_cache *fc, const void *key, uint64_t size, file_cache_read_fn read,
                   void *arg, uint64_t deadline_ns, struct cached_file **out);
void file_cache_put(struct cached_file *f);
/* Copies bytes [offset, offset + len) of a pinned file into buf: the count (0 at the end). */
size_t cached_file_copy(const struct cached_file *f, uint64_t offset, void *buf, size_t len);

#endif
