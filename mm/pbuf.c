/*
 * net/pbuf: packet buffer pools, segments and chains (see pbuf.h for the ownership rules).
 * Storage blocks and segment descriptors are both taken from the heap on demand, up to the pool's
 * bounds, and kept on per-pool free lists afterwards so steady traffic never touches the heap.
 */
#include "mm/pbuf.h"
#include "lib/counters.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/mm.h"

#define POOL_NAME_MAX 16

static inline size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

/* A pool block is a struct pbuf_storage header, then PBUF_STORAGE_CAPACITY bytes. */
_Static_assert(sizeof(struct pbuf_storage) == PBUF_STORAGE_SIZE - PBUF_STORAGE_CAPACITY,
               "storage header must fill exactly the bytes PBUF_STORAGE_CAPACITY leaves");

struct pbuf_pool {
    char name[POOL_NAME_MAX];
    unsigned capacity;               /* storage blocks */
    unsigned segment_capacity;       /* descriptors */
    struct pbuf_storage *free_storage;
    struct pbuf *free_segments;      /* linked through `next` */
    struct pbuf_pool_stats stats;
};

static struct pbuf_device_storage *device_of(struct pbuf_storage *st)
{
    return (struct pbuf_device_storage *)st;   /* the header is its first member */
}

static uint8_t *storage_bytes(struct pbuf_storage *st)
{
    return st->bytes;
}

static size_t storage_capacity(struct pbuf_storage *st)
{
    return st->device ? device_of(st)->size : PBUF_STORAGE_CAPACITY;
}

struct pbuf_pool *pbuf_pool_create(const char *name, unsigned capacity)
{
    if (capacity == 0)
        return NULL;
    struct pbuf_pool *pool = kcalloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    kstrlcpy(pool->name, name ? name : "pbuf", sizeof(pool->name));
    pool->capacity = capacity;
    pool->segment_capacity = capacity * 2;
    return pool;
}

void pbuf_pool_destroy(struct pbuf_pool *pool)
{
    if (!pool)
        return;
    if (pool->stats.storage_in_use || pool->stats.segments_in_use) {
        log_error("pbuf", "pool %s destroyed with %llu blocks and %llu segments still out (leak)",
                  pool->name, (unsigned long long)pool->stats.storage_in_use,
                  (unsigned long long)pool->stats.segments_in_use);
        return;   /* outstanding buffers still point at the pool: keep it */
    }
    while (pool->free_storage) {
        struct pbuf_storage *st = pool->free_storage;
        pool->free_storage = st->next_free;
        heap_cached_release(PBUF_STORAGE_SIZE);
        kfree(st);
    }
    while (pool->free_segments) {
        struct pbuf *seg = pool->free_segments;
        pool->free_segments = seg->next;
        heap_cached_release(sizeof(*seg));
        kfree(seg);
    }
    kfree(pool);
}

void pbuf_pool_get_stats(const struct pbuf_pool *pool, struct pbuf_pool_stats *out)
{
    *out = pool->stats;
}

const char *pbuf_pool_name(const struct pbuf_pool *pool)
{
    return pool->name;
}

void pbuf_pool_print_stats(const struct pbuf_pool *pool)
{
    COUNTERS_PRINT("pool", pool->name, PBUF_POOL_COUNTERS, pool->stats);
}

static inline __attribute__((always_inline)) struct pbuf_storage *storage_get(struct pbuf_pool *pool)
{
    if (pool->stats.storage_in_use >= pool->capacity)
        return NULL;
    struct pbuf_storage *st = pool->free_storage;
    if (st) {
        pool->free_storage = st->next_free;
        heap_cached_release(PBUF_STORAGE_SIZE);
    } else if (!(st = kmalloc(PBUF_STORAGE_SIZE)))
        return NULL;
    st->refcnt = 1;
    st->device = 0;
    st->pool = pool;
    st->next_free = NULL;
    st->bytes = (uint8_t *)(st + 1);
    pool->stats.storage_in_use++;
    if (pool->stats.storage_in_use > pool->stats.storage_high_water)
        pool->stats.storage_high_water = pool->stats.storage_in_use;
    return st;
}

static inline __attribute__((always_inline)) void storage_put(struct pbuf_storage *st)
{
    if (!st)
        return;
    kassert(st->refcnt > 0);
    if (--st->refcnt)
        return;
    struct pbuf_pool *pool = st->pool;
    if (st->device) {
        pool->stats.device_in_use--;
        device_of(st)->release(device_of(st));   /* the device's from here on */
        return;
    }
    st->next_free = pool->free_storage;
    pool->free_storage = st;
    heap_cached_hold(PBUF_STORAGE_SIZE);
    pool->stats.storage_in_use--;
}

static inline __attribute__((always_inline)) struct pbuf *segment_get(struct pbuf_pool *pool)
{
    if (pool->stats.segments_in_use >= pool->segment_capacity)
        return NULL;
    struct pbuf *seg = pool->free_segments;
    if (seg) {
        pool->free_segments = seg->next;
        heap_cached_release(sizeof(*seg));
    } else if (!(seg = kmalloc(sizeof(*seg))))
        return NULL;
    memset(seg, 0, sizeof(*seg));
    seg->refcnt = 1;
    seg->pool = pool;
    pool->stats.segments_in_use++;
    return seg;
}

static inline __attribute__((always_inline)) void segment_put(struct pbuf *seg)
{
    struct pbuf_pool *pool = seg->pool;
    storage_put(seg->storage);
    seg->storage = NULL;
    seg->next = pool->free_segments;
    pool->free_segments = seg;
    heap_cached_hold(sizeof(*seg));
    pool->stats.segments_in_use--;
}

/* A segment with fresh storage, its data `headroom` bytes in. */
static inline __attribute__((always_inline)) struct pbuf *segment_with_storage(struct pbuf_pool *pool, size_t headroom)
{
    struct pbuf *seg = segment_get(pool);
    if (!seg)
        return NULL;
    seg->storage = storage_get(pool);
    if (!seg->storage) {
        segment_put(seg);
        return NULL;
    }
    seg->data = storage_bytes(seg->storage) + headroom;
    return seg;
}

/* Sets tot_len along a chain whose segment lengths are right. */
static void fix_tot_len(struct pbuf *p)
{
    size_t total = 0;
    for (struct pbuf *s = p; s; s = s->next)
        total += s->len;
    for (struct pbuf *s = p; s; s = s->next) {
        s->tot_len = (uint32_t)total;
        total -= s->len;
    }
}

static void *count_failure(struct pbuf_pool *pool)
{
    pool->stats.alloc_failures++;
    return NULL;
}

struct pbuf *pbuf_alloc_headroom(struct pbuf_pool *pool, size_t len, size_t headroom)
{
    if (headroom > PBUF_STORAGE_CAPACITY || len > UINT32_MAX - PBUF_STORAGE_CAPACITY)
        return count_failure(pool);
    struct pbuf *head = segment_with_storage(pool, headroom);
    if (!head)
        return count_failure(pool);
    head->len = (uint32_t)min_size(len, PBUF_STORAGE_CAPACITY - headroom);
    head->tot_len = (uint32_t)len;
    if (len > head->len) {
        /* The rest in blocks of their own, allocated the same way (a packet over one block is
         * rare; one inlined allocation site keeps the common one-block packet fast). */
        struct pbuf *rest = pbuf_alloc_headroom(pool, len - head->len, 0);
        if (!rest) {                       /* counted by that call */
            pbuf_free(head);
            return NULL;
        }
        pool->stats.allocs--;             /* one packet, not two */
        head->next = rest;
    }
    pool->stats.allocs++;
    return head;
}

struct pbuf *pbuf_alloc(struct pbuf_pool *pool, size_t len)
{
    return pbuf_alloc_headroom(pool, len, PBUF_HEADROOM);
}

struct pbuf *pbuf_from_device(struct pbuf_pool *pool, struct pbuf_device_storage *ds,
                              size_t offset, size_t len)
{
    if (offset > ds->size || len > ds->size - offset || len == 0)
        return count_failure(pool);
    struct pbuf *p = segment_get(pool);
    if (!p)
        return count_failure(pool);
    ds->header = (struct pbuf_storage){ .refcnt = 1, .device = 1, .pool = pool, .bytes = ds->base };
    p->storage = &ds->header;
    p->data = ds->base + offset;
    p->len = p->tot_len = (uint32_t)len;
    pool->stats.allocs++;
    pool->stats.device_lent++;
    pool->stats.device_in_use++;
    return p;
}

struct pbuf *pbuf_from_bytes(struct pbuf_pool *pool, const void *buf, size_t len)
{
    struct pbuf *p = pbuf_alloc(pool, len);
    if (p && pbuf_copy_in(p, 0, buf, len) != 0) {
        pbuf_free(p);
        return NULL;
    }
    return p;
}

void pbuf_ref(struct pbuf *p)
{
    kassert(p->refcnt > 0);
    p->refcnt++;
}

void pbuf_free(struct pbuf *p)
{
    while (p) {
        kassert(p->refcnt > 0);   /* a double free is a bug in the caller, never input */
        if (--p->refcnt)
            return;
        struct pbuf *next = p->next;
        segment_put(p);
        p = next;
    }
}

void pbuf_free_queue(struct pbuf *head)
{
    while (head) {
        struct pbuf *next = head->qnext;
        head->qnext = NULL;
        pbuf_free(head);
        head = next;
    }
}

static bool segment_writable(const struct pbuf *seg)
{
    return seg->refcnt == 1 && seg->storage && seg->storage->refcnt == 1;
}

size_t pbuf_headroom(const struct pbuf *p)
{
    if (!segment_writable(p))
        return 0;
    return (size_t)(p->data - storage_bytes(p->storage));
}

void *pbuf_push(struct pbuf *p, size_t n)
{
    if (pbuf_headroom(p) < n)
        return NULL;
    p->data -= n;
    p->len += (uint32_t)n;
    p->tot_len += (uint32_t)n;
    return p->data;
}

void *pbuf_pull(struct pbuf *p, size_t n)
{
    if (p->refcnt != 1 || n > p->len)
        return NULL;
    p->data += n;
    p->len -= (uint32_t)n;
    p->tot_len -= (uint32_t)n;
    return p->data;
}

int pbuf_trim(struct pbuf *p, size_t len)
{
    if (len >= p->tot_len)
        return 0;
    if (p->refcnt != 1)
        return -EBUSY;
    size_t keep = len;
    for (struct pbuf *s = p; s; s = s->next) {
        s->tot_len = (uint32_t)keep;
        if (s->len >= keep) {
            s->len = (uint32_t)keep;
            pbuf_free(s->next);
            s->next = NULL;
            break;
        }
        keep -= s->len;
    }
    return 0;
}

struct pbuf *pbuf_split(struct pbuf *p, size_t len)
{
    if (len == 0 || len >= p->tot_len || p->refcnt != 1)
        return NULL;
    size_t keep = len;
    struct pbuf *s = p;
    while (s->len < keep) {
        keep -= s->len;
        s = s->next;
        if (s->refcnt != 1)
            return NULL;
    }
    struct pbuf *rest = s->next;
    if (!rest)
        return NULL;
    s->len = (uint32_t)keep;
    s->next = NULL;
    fix_tot_len(p);
    return rest;   /* its tot_len fields still count only its own segments */
}

/* Walks to the segment holding byte `offset`; *skip becomes the offset inside it. */
static const struct pbuf *seek(const struct pbuf *p, size_t offset, size_t *skip)
{
    while (p && offset >= p->len) {
        offset -= p->len;
        p = p->next;
    }
    *skip = offset;
    return p;
}

static bool range_ok(const struct pbuf *p, size_t offset, size_t len)
{
    return offset <= p->tot_len && len <= p->tot_len - offset;
}

int pbuf_copy_out(const struct pbuf *p, size_t offset, void *buf, size_t len)
{
    if (!range_ok(p, offset, len))
        return -EINVAL;
    uint8_t *out = buf;
    size_t skip;
    for (const struct pbuf *s = seek(p, offset, &skip); len; s = s->next, skip = 0) {
        size_t n = min_size(len, s->len - skip);
        memcpy(out, s->data + skip, n);
        out += n;
        len -= n;
    }
    return 0;
}

int pbuf_copy_in(struct pbuf *p, size_t offset, const void *buf, size_t len)
{
    if (!range_ok(p, offset, len))
        return -EINVAL;
    size_t skip;
    const struct pbuf *first = seek(p, offset, &skip);
    size_t left = len, s_skip = skip;
    for (const struct pbuf *s = first; left; s = s->next, s_skip = 0) {
        if (s->len > s_skip && s->storage->refcnt != 1)
            return -EBUSY;
        left -= min_size(left, s->len - s_skip);
    }
    const uint8_t *in = buf;
    for (struct pbuf *s = (struct pbuf *)first; len; s = s->next, skip = 0) {
        size_t n = min_size(len, s->len - skip);
        memcpy(s->data + skip, in, n);
        in += n;
        len -= n;
    }
    return 0;
}

void pbuf_cat(struct pbuf *head, struct pbuf *tail)
{
    struct pbuf *s = head;
    for (;;) {
        s->tot_len += tail->tot_len;
        if (!s->next)
            break;
        s = s->next;
    }
    s->next = tail;
}

struct pbuf *pbuf_clone(const struct pbuf *p, struct pbuf_pool *pool)
{
    if (!pool)
        pool = p->pool;
    struct pbuf *c = pbuf_alloc(pool, p->tot_len);
    if (!c)
        return NULL;
    size_t off = 0;
    for (const struct pbuf *s = p; s; s = s->next) {
        pbuf_copy_in(c, off, s->data, s->len);   /* fresh storage: cannot fail */
        off += s->len;
    }
    c->flags = p->flags;
    c->csum_start = p->csum_start;
    c->csum_offset = p->csum_offset;
    c->gso_size = p->gso_size;
    c->gso_segs = p->gso_segs;
    c->timestamp_ns = p->timestamp_ns;
    return c;
}

struct pbuf *pbuf_ref_range(struct pbuf *p, size_t offset, size_t len)
{
    if (!range_ok(p, offset, len))
        return NULL;
    struct pbuf_pool *pool = p->pool;
    struct pbuf *head = NULL, *tail = NULL;
    size_t skip;
    struct pbuf *s = (struct pbuf *)seek(p, offset, &skip);
    if (s && len && skip + len <= s->len) {
        /* Within one segment (a received segment's payload): one descriptor. */
        struct pbuf *seg = segment_get(pool);
        if (!seg)
            return count_failure(pool);
        seg->storage = s->storage;
        seg->storage->refcnt++;
        seg->data = s->data + skip;
        seg->len = seg->tot_len = (uint32_t)len;
        pool->stats.allocs++;
        return seg;
    }
    do {
        while (s && s->len == skip && len) {   /* empty segments contribute nothing */
            s = s->next;
            skip = 0;
        }
        struct pbuf *seg = segment_get(pool);
        if (!seg) {
            pbuf_free(head);
            return count_failure(pool);
        }
        size_t n = s ? min_size(len, s->len - skip) : 0;
        if (n) {
            seg->storage = s->storage;
            seg->storage->refcnt++;
            seg->data = s->data + skip;
            seg->len = (uint32_t)n;
        }
        if (tail)
            tail->next = seg;
        else
            head = seg;
        tail = seg;
        len -= n;
        s = s ? s->next : NULL;
        skip = 0;
    } while (len);
    fix_tot_len(head);
    pool->stats.allocs++;
    return head;
}

/* Linearize in place: move bytes from the following segments into the head's own tailroom. */
static void linearize_in_place(struct pbuf *p, size_t n)
{
    while (p->len < n) {
        struct pbuf *next = p->next;
        size_t take = min_size(n - p->len, (size_t)next->len);
        memcpy(p->data + p->len, next->data, take);
        p->len += (uint32_t)take;
        next->data += take;
        next->len -= (uint32_t)take;
        next->tot_len -= (uint32_t)take;
        if (next->len == 0) {
            p->next = next->next;
            next->next = NULL;
            pbuf_free(next);
        }
    }
}

static bool can_linearize_in_place(const struct pbuf *p, size_t n)
{
    if (!segment_writable(p))
        return false;
    const uint8_t *end = storage_bytes(p->storage) + storage_capacity(p->storage);
    if (p->data + n > end)
        return false;
    size_t have = p->len;
    for (const struct pbuf *s = p->next; s && have < n; s = s->next) {
        if (s->refcnt != 1)
            return false;   /* somebody else holds this sub-chain: leave its descriptors alone */
        have += s->len;
    }
    return true;
}

void *pbuf_linearize(struct pbuf *p, size_t n)
{
    if (n <= p->len)
        return p->data;
    if (n > p->tot_len || n > PBUF_LINEARIZE_MAX || p->refcnt != 1)
        return NULL;
    p->pool->stats.linearize_copies++;
    if (can_linearize_in_place(p, n)) {
        linearize_in_place(p, n);
        return p->data;
    }
    /* Build a fresh head block holding the first n bytes; the rest of the packet becomes zero-copy
     * references to the old segments, which are then released (their storage lives on). The block
     * comes as a packet of its own (pbuf_alloc, out of line: this path is rare); p takes its
     * storage, and freeing that packet with p's old storage in its place releases the old one. */
    struct pbuf *fresh = pbuf_alloc(p->pool, n);
    if (!fresh)
        return NULL;
    pbuf_copy_out(p, 0, fresh->data, n);
    struct pbuf *rest = NULL;
    bool refused = p->tot_len > n && !(rest = pbuf_ref_range(p, n, p->tot_len - n));
    if (!refused) {
        /* An internal reshuffle, not new packets. */
        p->pool->stats.allocs -= 1u + (rest ? 1u : 0u);
        pbuf_free(p->next);
        struct pbuf_storage *old = p->storage;
        p->storage = fresh->storage;
        p->data = fresh->data;
        p->len = (uint32_t)n;
        p->next = rest;
        fresh->storage = old;
    }
    pbuf_free(fresh);
    return refused ? NULL : p->data;
}

unsigned pbuf_segments(const struct pbuf *p)
{
    unsigned n = 0;
    for (; p; p = p->next)
        n++;
    return n;
}


size_t pbuf_range_charge(const struct pbuf *p, size_t offset, size_t len)
{
    size_t skip, charge = 0;
    for (const struct pbuf *s = seek(p, offset, &skip); s && len; s = s->next, skip = 0) {
        size_t n = min_size(len, s->len - skip);
        charge += pbuf_segment_charge(s);
        len -= n;
    }
    return charge;
}

size_t pbuf_charge(const struct pbuf *p)
{
    size_t charge = 0;
    for (; p; p = p->next)
        charge += pbuf_segment_charge(p);
    return charge;
}

bool pbuf_pool_under_pressure(const struct pbuf_pool *pool)
{
    return pool->stats.storage_in_use > pool->capacity / 2 ||
           pool->stats.segments_in_use > pool->segment_capacity / 2;
}
