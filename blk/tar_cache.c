/*
 * blk/tar_cache: the tar reader's small block cache and its read path. TAR_CACHE_BLOCKS pages,
 * each a TAR_CACHE_BLOCK_SIZE-aligned block of the device, replaced least recently used first.
 * A slot being loaded is marked so: other fibers wanting that block wait for it instead of
 * reading it twice, and it is never chosen for replacement. Copying out of a valid slot never
 * blocks, so no fiber can see a slot change under it.
 */
#include "blk/tar_private.h"
#include "blk/blk.h"
#include "lib/errno.h"
#include "lib/minmax.h"
#include "lib/string.h"
#include "mm/mm.h"

_Static_assert(TAR_CACHE_BLOCK_SIZE == PAGE_SIZE, "a cache block is one page");
_Static_assert(TAR_CACHE_BLOCK_SIZE % BLKDEV_PAGE_SIZE == 0, "whole device sectors per block");

int tar_cache_init(struct tar_archive *a)
{
    for (size_t i = 0; i < TAR_CACHE_BLOCKS; i++) {
        struct tar_cache_slot *s = &a->cache[i];
        s->state = TAR_CACHE_EMPTY;
        waitq_init(&s->loaded);
        s->data = page_alloc(0);
        if (!s->data)
            return -ENOMEM;
    }
    return 0;
}

void tar_cache_release(struct tar_archive *a)
{
    for (size_t i = 0; i < TAR_CACHE_BLOCKS; i++) {
        if (a->cache[i].data)
            page_free(a->cache[i].data, 0);
        a->cache[i].data = NULL;
    }
}

static struct tar_cache_slot *find(struct tar_archive *a, uint64_t block)
{
    for (size_t i = 0; i < TAR_CACHE_BLOCKS; i++)
        if (a->cache[i].state != TAR_CACHE_EMPTY && a->cache[i].block == block)
            return &a->cache[i];
    return NULL;
}

static struct tar_cache_slot *victim(struct tar_archive *a)
{
    struct tar_cache_slot *best = NULL;
    for (size_t i = 0; i < TAR_CACHE_BLOCKS; i++) {
        struct tar_cache_slot *s = &a->cache[i];
        if (s->state == TAR_CACHE_EMPTY)
            return s;
        if (s->state == TAR_CACHE_VALID && (!best || s->last_use < best->last_use))
            best = s;
    }
    return best;
}

/* The valid slot holding `block`, loading it if needed. NULL with *err set on failure. */
static struct tar_cache_slot *get_block(struct tar_archive *a, uint64_t block,
                                        uint64_t deadline_ns, int *err)
{
    for (;;) {
        struct tar_cache_slot *s = find(a, block);
        if (s && s->state == TAR_CACHE_VALID) {
            a->stats.cache_hits++;
            s->last_use = ++a->use_clock;
            return s;
        }
        if (s) {
            /* Someone is loading it: wait, then look again (the load may have failed). */
            *err = waitq_wait(&s->loaded, deadline_ns);
            if (*err)
                return NULL;
            continue;
        }
        s = victim(a);
        if (!s) {
            /* Every slot is loading for someone: wait for any of them. */
            *err = waitq_wait(&a->cache[0].loaded, deadline_ns);
            if (*err)
                return NULL;
            continue;
        }
        a->stats.cache_misses++;
        uint64_t start = block * TAR_CACHE_BLOCK_SIZE;
        uint32_t bytes = (uint32_t)min((uint64_t)TAR_CACHE_BLOCK_SIZE, a->dev_bytes - start);
        s->state = TAR_CACHE_LOADING;
        s->block = block;
        *err = blk_read(a->dev, start / a->dev->sector_size, s->data, bytes / a->dev->sector_size,
                        deadline_ns);
        s->state = *err ? TAR_CACHE_EMPTY : TAR_CACHE_VALID;
        s->valid_bytes = bytes;
        s->last_use = ++a->use_clock;
        waitq_wake_all(&s->loaded);
        if (*err) {
            a->stats.read_errors++;
            return NULL;
        }
        return s;
    }
}

int tar_cache_read(struct tar_archive *a, uint64_t pos, void *buf, size_t len, bool direct,
                   uint64_t deadline_ns)
{
    uint8_t *out = buf;
    if (pos > a->dev_bytes || len > a->dev_bytes - pos)
        return -EINVAL;
    while (len) {
        uint64_t in_block = pos % TAR_CACHE_BLOCK_SIZE;
        if (direct && in_block == 0 && len >= TAR_CACHE_BLOCK_SIZE) {
            /* Whole blocks: straight into the caller's buffer, leaving the cache to headers
             * and small files. */
            uint64_t bytes = min((uint64_t)len, (uint64_t)1 << 20);
            bytes -= bytes % TAR_CACHE_BLOCK_SIZE;
            int err = blk_read(a->dev, pos / a->dev->sector_size, out,
                               bytes / a->dev->sector_size, deadline_ns);
            if (err) {
                a->stats.read_errors++;
                return err;
            }
            a->stats.direct_reads++;
            pos += bytes;
            out += bytes;
            len -= (size_t)bytes;
            continue;
        }
        int err;
        struct tar_cache_slot *s = get_block(a, pos / TAR_CACHE_BLOCK_SIZE, deadline_ns, &err);
        if (!s)
            return err;
        size_t n = (size_t)min((uint64_t)len, (uint64_t)s->valid_bytes - in_block);
        memcpy(out, s->data + in_block, n);
        pos += n;
        out += n;
        len -= n;
    }
    return 0;
}
