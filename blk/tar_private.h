/*
 * blk/tar_private: what the files of the tar reader share: the archive object, and the block
 * cache (blk/tar_cache.c) that both the mount walk and tar_read go through.
 */
#ifndef XENOLITH_BLK_TAR_PRIVATE_H
#define XENOLITH_BLK_TAR_PRIVATE_H

#include "blk/tar.h"
#include "sched/sched.h"

enum tar_cache_state { TAR_CACHE_EMPTY, TAR_CACHE_LOADING, TAR_CACHE_VALID };

struct tar_cache_slot {
    enum tar_cache_state state;
    uint64_t block;                      /* device offset / TAR_CACHE_BLOCK_SIZE */
    uint64_t last_use;
    uint32_t valid_bytes;                /* less than a block only at the end of the device */
    uint8_t *data;                       /* one page */
    struct waitq loaded;                 /* fibers waiting for this slot to finish loading */
};

struct tar_archive {
    struct blkdev *dev;
    uint64_t dev_bytes;
    struct tar_entry *entries;
    size_t count, capacity;
    size_t max_entries;
    uint32_t *hash;                      /* entry index + 1 per slot; 0 is empty */
    size_t hash_size;                    /* a power of two, at least twice count */
    struct tar_cache_slot cache[TAR_CACHE_BLOCKS];
    uint64_t use_clock;
    struct tar_stats stats;
};

int tar_cache_init(struct tar_archive *a);
void tar_cache_release(struct tar_archive *a);
/* Copies len bytes at device offset pos into buf, through the cache for partial blocks and
 * straight from the device for whole ones when `direct` allows. 0 or -errno. */
int tar_cache_read(struct tar_archive *a, uint64_t pos, void *buf, size_t len, bool direct,
                   uint64_t deadline_ns);

#endif
