/*
 * net/tcp_buf: chunked ring buffers for TCP's send and receive data, and the range set that tracks
 * which parts of the receive window hold out-of-order data (see tcp_buf.h).
 */
#include "net/tcp/tcp_buf.h"

#include "lib/errno.h"
#include "lib/minmax.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pbuf.h"
#include "mm/spare.h"
#include "net/wire/features.h"

/* Chunks freed by one buffer are kept here for the next that needs one, up to a few: a
 * request-response exchange consumes a chunk and needs a new one at once, and going through the
 * heap each time costs its poisoning and check of all 4 KiB (about half of a small exchange's
 * instructions). The cache is bounded, so an idle connection still holds no chunk; cached chunks
 * are charged to no budget. tcp_buf_cache_drain returns them to the heap. */
#define TCP_BUF_CACHED_CHUNKS 8u
static struct spare_list cached_chunks;

/* Slot tables likewise: every connection has one for its receive buffer (520 bytes at the default
 * 256 KiB), so a short connection's set-up and teardown went through the heap's poisoning and
 * check of the table's whole size class twice. The kept tables are all of one number of slots
 * (the first kept: in practice the stack's default buffer size); one of another size is freed. */
#define TCP_BUF_CACHED_TABLES 4u
static struct spare_list cached_tables;

static uint8_t **table_get(uint32_t slots)
{
    /* A kept table is already all NULL: it is kept only by tcp_buf_destroy, after every slot
     * was freed. */
    uint8_t **table = spare_get(&cached_tables, slots * sizeof(*table));
    return table ? table : kcalloc(slots, sizeof(uint8_t *));
}

static void table_put(uint8_t **table, uint32_t slots)
{
    spare_put(&cached_tables, table, slots * sizeof(*table), TCP_BUF_CACHED_TABLES);
}

static uint8_t *chunk_get(void)
{
    uint8_t *chunk = spare_get(&cached_chunks, TCP_BUF_CHUNK);
    return chunk ? chunk : kmalloc(TCP_BUF_CHUNK);
}

static void chunk_put(uint8_t *chunk)
{
    spare_put(&cached_chunks, chunk, TCP_BUF_CHUNK, TCP_BUF_CACHED_CHUNKS);
}

void tcp_buf_cache_drain(void)
{
    spare_drain(&cached_chunks);
    spare_drain(&cached_tables);
}

static size_t ring_size(const struct tcp_buf *b)
{
    return (size_t)b->slots * TCP_BUF_CHUNK;
}

int tcp_buf_init(struct tcp_buf *b, size_t capacity, struct tcp_buf_budget *budget)
{
    memset(b, 0, sizeof(*b));
    if (capacity == 0 || capacity > TCP_BUF_MAX_CAPACITY)
        return -EINVAL;
    size_t chunks = (capacity + TCP_BUF_CHUNK - 1) / TCP_BUF_CHUNK;
    b->chunks = table_get((uint32_t)(chunks + 1));
    if (!b->chunks)
        return -ENOMEM;
    b->slots = (uint32_t)(chunks + 1);
    b->capacity = chunks * TCP_BUF_CHUNK;
    b->budget = budget;
    return 0;
}

static void free_slot(struct tcp_buf *b, uint32_t slot)
{
    if (!b->chunks[slot])
        return;
    chunk_put(b->chunks[slot]);
    b->chunks[slot] = NULL;
    b->allocated -= TCP_BUF_CHUNK;
    if (b->budget)
        b->budget->used -= TCP_BUF_CHUNK;
}

/* What an extent pins (pbuf_charge), one segment being the common case. */
static size_t extent_charge(const struct pbuf *e)
{
    return e->next ? pbuf_charge(e) : pbuf_segment_charge(e);
}

static int store_copy(struct tcp_buf *b, size_t off, const struct pbuf *p, size_t front,
                      size_t len);

/* Whether b holds extents: never in an image without receive by reference, where the constant
 * folds every extent path out. */
static inline __attribute__((always_inline)) bool has_extents(const struct tcp_buf *b)
{
    return b->extents && net_feature(NET_FEATURE_RX_BY_REFERENCE);
}

void tcp_buf_leave_budget(struct tcp_buf *b)
{
    if (b->budget)
        b->budget->used -= b->allocated + b->pinned;
    b->budget = NULL;
    if (!has_extents(b))
        return;
    /* The bytes may outlive the stack, and its packet pools with it: extents become chunk bytes
     * (one that finds no heap stays; its pool then outlives the stack, see pbuf_pool_destroy). */
    for (struct pbuf **link = &b->extents, *e; (e = *link);) {
        if (store_copy(b, (size_t)(e->timestamp_ns - b->start), e, 0, e->tot_len) != 0) {
            b->extents_tail = e;
            link = &e->qnext;
            continue;
        }
        *link = e->qnext;
        e->qnext = NULL;
        b->pinned -= extent_charge(e);
        pbuf_free(e);
    }
    if (!b->extents)
        b->extents_tail = NULL;
}

static void unpin(struct tcp_buf *b, size_t charge)
{
    b->pinned -= charge;
    if (b->budget)
        b->budget->used -= charge;
}

static void extents_free(struct tcp_buf *b)
{
    while (b->extents) {
        struct pbuf *e = b->extents;
        b->extents = e->qnext;
        e->qnext = NULL;
        unpin(b, extent_charge(e));
        pbuf_free(e);
    }
    b->extents_tail = NULL;
}

void tcp_buf_destroy(struct tcp_buf *b)
{
    if (has_extents(b))
        extents_free(b);
    if (!b->chunks)
        return;
    for (uint32_t i = 0; b->allocated > 0 && i < b->slots; i++)   /* none held: no walk */
        free_slot(b, i);
    table_put(b->chunks, b->slots);
    b->chunks = NULL;
}

int tcp_buf_resize(struct tcp_buf *b, size_t capacity, size_t keep)
{
    struct tcp_buf fresh;
    if (keep > capacity)
        return -EINVAL;
    int err = tcp_buf_init(&fresh, capacity, b->budget);
    if (err)
        return err;
    /* Move the kept bytes chunk by chunk; the old chunks are freed as we go so the budget is not
     * charged twice for long. */
    uint8_t bounce[256];
    for (size_t off = 0; off < keep; off += sizeof(bounce)) {
        size_t n = min((size_t)(sizeof(bounce)), (size_t)(keep - off));
        tcp_buf_read(b, off, bounce, n);
        err = tcp_buf_write(&fresh, off, bounce, n);
        if (err) {
            tcp_buf_destroy(&fresh);
            return err;
        }
    }
    tcp_buf_destroy(b);
    *b = fresh;
    return 0;
}

/* The slot and in-chunk offset of logical offset off. */
static void locate(const struct tcp_buf *b, size_t off, uint32_t *slot, size_t *in_chunk)
{
    size_t pos = (b->head + off) % ring_size(b);
    *slot = (uint32_t)(pos / TCP_BUF_CHUNK);
    *in_chunk = pos % TCP_BUF_CHUNK;
}

int tcp_buf_write(struct tcp_buf *b, size_t off, const void *src, size_t len)
{
    if (off > b->capacity || len > b->capacity - off)
        return -ENOSPC;
    /* Allocate every missing chunk first so a refusal stores nothing. */
    size_t needed = 0;
    for (size_t done = 0; done < len;) {
        uint32_t slot;
        size_t in;
        locate(b, off + done, &slot, &in);
        if (!b->chunks[slot])
            needed += TCP_BUF_CHUNK;
        done += min((size_t)(TCP_BUF_CHUNK - in), (size_t)(len - done));
    }
    if (b->budget && b->budget->used + needed > b->budget->limit)
        return -ENOBUFS;
    for (size_t done = 0; done < len;) {
        uint32_t slot;
        size_t in;
        locate(b, off + done, &slot, &in);
        if (!b->chunks[slot]) {
            b->chunks[slot] = chunk_get();
            if (!b->chunks[slot])
                return -ENOBUFS;   /* chunks taken so far stay, empty: freed on consume/destroy */
            b->allocated += TCP_BUF_CHUNK;
            if (b->budget)
                b->budget->used += TCP_BUF_CHUNK;
        }
        done += min((size_t)(TCP_BUF_CHUNK - in), (size_t)(len - done));
    }
    const uint8_t *from = src;
    for (size_t done = 0; done < len;) {
        uint32_t slot;
        size_t in;
        locate(b, off + done, &slot, &in);
        size_t n = min((size_t)(TCP_BUF_CHUNK - in), (size_t)(len - done));
        memcpy(b->chunks[slot] + in, from + done, n);
        done += n;
    }
    if (b->start + off + len > b->written_end)
        b->written_end = b->start + off + len;
    return 0;
}

/* The payload copied into chunks, segment by segment. */
static int store_copy(struct tcp_buf *b, size_t off, const struct pbuf *p, size_t front, size_t len)
{
    size_t skip = front, done = 0;
    for (const struct pbuf *q = p; q && done < len; q = q->next) {
        if (skip >= q->len) {
            skip -= q->len;
            continue;
        }
        size_t n = min((size_t)(q->len - skip), len - done);
        int err = tcp_buf_write(b, off + done, q->data + skip, n);
        if (err)
            return err;
        done += n;
        skip = 0;
    }
    return 0;
}

static int store_by_copy(struct tcp_buf *b, size_t off, const struct pbuf *p, size_t front,
                         size_t len, bool collapsed)
{
    if (b->budget) {
        b->budget->stored_by_copy++;
        b->budget->collapsed += collapsed;
    }
    return store_copy(b, off, p, front, len);
}

int tcp_buf_store(struct tcp_buf *b, size_t off, struct pbuf *p, size_t front, size_t len)
{
    if (off > b->capacity || len > b->capacity - off)
        return -ENOSPC;
    if (len == 0)
        return 0;
    if (!net_feature(NET_FEATURE_RX_BY_REFERENCE))   /* left out: every segment is copied */
        return store_by_copy(b, off, p, front, len, false);
    /* Smaller than any storage could be worth (a pool block is the least a segment pins). */
    if (len * TCP_BUF_PIN_RATIO < PBUF_STORAGE_SIZE)
        return store_by_copy(b, off, p, front, len, true);
    struct tcp_buf_budget *budget = b->budget;
    uint64_t pos = b->start + off;
    /* Where it would go: after the last extent that starts before it. In-order data lands at
     * the tail, checked first. */
    struct pbuf *prev = NULL, *next = b->extents;
    if (b->extents_tail && b->extents_tail->timestamp_ns < pos) {
        prev = b->extents_tail;
        next = NULL;
    } else {
        while (next && next->timestamp_ns < pos) {
            prev = next;
            next = next->qnext;
        }
    }
    bool overlaps = (prev && prev->timestamp_ns + prev->tot_len > pos) ||
                    (next && next->timestamp_ns < pos + len);
    struct pbuf *e;
    if (overlaps || pbuf_pool_under_pressure(p->pool) || !(e = pbuf_ref_range(p, front, len)))
        return store_by_copy(b, off, p, front, len, false);
    size_t charge = extent_charge(e);
    bool pins_too_much = charge > TCP_BUF_PIN_RATIO * len ||
                         b->pinned + charge > TCP_BUF_PIN_RATIO / 2 * b->capacity;
    if (pins_too_much || (budget && budget->used + charge > budget->limit)) {
        pbuf_free(e);
        return store_by_copy(b, off, p, front, len, pins_too_much);
    }
    e->timestamp_ns = pos;
    e->qnext = next;
    if (prev)
        prev->qnext = e;
    else
        b->extents = e;
    if (!next)
        b->extents_tail = e;
    b->pinned += charge;
    if (budget) {
        budget->used += charge;
        budget->stored_by_reference++;
    }
    return 0;
}

size_t tcp_buf_writable(const struct tcp_buf *b, size_t off)
{
    if (off >= b->capacity)
        return 0;
    size_t room = b->capacity - off;
    if (!b->budget)
        return room;
    uint32_t slot;
    size_t in;
    locate(b, off, &slot, &in);
    size_t have = b->chunks[slot] ? TCP_BUF_CHUNK - in : 0;
    size_t spare = b->budget->limit > b->budget->used ? b->budget->limit - b->budget->used : 0;
    size_t can = have + spare / TCP_BUF_CHUNK * TCP_BUF_CHUNK;
    return can < room ? can : room;
}

static void read_with_extents(const struct tcp_buf *b, size_t off, void *dst, size_t len);

static inline __attribute__((always_inline)) void read_chunks(const struct tcp_buf *b, size_t off,
                                                              void *dst, size_t len)
{
    uint8_t *to = dst;
    for (size_t done = 0; done < len;) {
        uint32_t slot;
        size_t in;
        locate(b, off + done, &slot, &in);
        size_t n = min((size_t)(TCP_BUF_CHUNK - in), (size_t)(len - done));
        if (b->chunks[slot])
            memcpy(to + done, b->chunks[slot] + in, n);
        else
            memset(to + done, 0, n);   /* never written: callers only read what they stored */
        done += n;
    }
}

void tcp_buf_read(const struct tcp_buf *b, size_t off, void *dst, size_t len)
{
    if (has_extents(b))
        read_with_extents(b, off, dst, len);
    else
        read_chunks(b, off, dst, len);
}

/* Extents first, chunk bytes where no extent covers the offsets (one chunk-reading site: the
 * gaps before, between and after the extents go through it). */
static void read_with_extents(const struct tcp_buf *b, size_t off, void *dst, size_t len)
{
    uint8_t *to = dst;
    uint64_t pos = b->start + off, end = pos + len;
    const struct pbuf *e = b->extents;
    while (pos < end) {
        while (e && e->timestamp_ns + e->tot_len <= pos)
            e = e->qnext;
        uint64_t e_start = e && e->timestamp_ns < end ? e->timestamp_ns : end;
        size_t n;
        if (e_start > pos) {              /* chunk bytes up to the next extent or the end */
            n = (size_t)(e_start - pos);
            read_chunks(b, (size_t)(pos - b->start), to, n);
        } else {
            uint64_t e_end = e_start + e->tot_len;
            n = (size_t)((e_end < end ? e_end : end) - pos);
            if (!e->next)                 /* one segment: the common case */
                memcpy(to, e->data + (pos - e_start), n);
            else
                pbuf_copy_out(e, (size_t)(pos - e_start), to, n);
        }
        to += n;
        pos += n;
    }
}

/* The extent e without its first k bytes (0 < k < e->tot_len): whole segments are let go, the
 * next one pulled. Returns the new head, with e's queue link and its new stream position. */
static struct pbuf *extent_trim_front(struct tcp_buf *b, struct pbuf *e, size_t k)
{
    size_t before = extent_charge(e);
    struct pbuf *qnext = e->qnext;
    uint64_t pos = e->timestamp_ns + k;
    while (k >= e->len) {                 /* descriptors from pbuf_ref_range: ours alone */
        k -= e->len;
        struct pbuf *next = e->next;
        e->next = NULL;
        e->qnext = NULL;
        pbuf_free(e);
        e = next;
    }
    pbuf_pull(e, k);
    e->qnext = qnext;
    e->timestamp_ns = pos;
    unpin(b, before - extent_charge(e));
    return e;
}

static void consume_extents(struct tcp_buf *b)
{
    struct pbuf *e;
    while ((e = b->extents) && e->timestamp_ns < b->start) {
        if (e->timestamp_ns + e->tot_len > b->start) {
            struct pbuf *trimmed = extent_trim_front(b, e, (size_t)(b->start - e->timestamp_ns));
            if (b->extents_tail == e)
                b->extents_tail = trimmed;
            b->extents = trimmed;
            return;
        }
        b->extents = e->qnext;
        if (!b->extents)
            b->extents_tail = NULL;
        e->qnext = NULL;
        unpin(b, extent_charge(e));
        pbuf_free(e);
    }
}

void tcp_buf_consume(struct tcp_buf *b, size_t n)
{
    if (n == 0)
        return;
    b->start += n;
    if (has_extents(b))
        consume_extents(b);
    size_t size = ring_size(b);
    size_t old_head = b->head;
    b->head = (b->head + n) % size;
    /* Free each slot the consumed span covers entirely. The old head's slot counts as covered when
     * the span leaves it: the bytes below the old head in that slot would be offsets beyond the
     * capacity (the spare slot), so they never hold anything live. */
    size_t pos = old_head - old_head % TCP_BUF_CHUNK;
    size_t remaining = n + old_head % TCP_BUF_CHUNK;
    while (remaining >= TCP_BUF_CHUNK) {
        free_slot(b, (uint32_t)(pos / TCP_BUF_CHUNK));
        pos = (pos + TCP_BUF_CHUNK) % size;
        remaining -= TCP_BUF_CHUNK;
    }
    /* Nothing left in the chunks: the next bytes go at the start of the head's chunk, so the
     * chunk is reused rather than a second one taken when they reach its end. */
    if (b->start >= b->written_end)
        b->head -= b->head % TCP_BUF_CHUNK;
}

/* ---- range set ---- */

static uint32_t rel(uint32_t base, uint32_t seq)
{
    return seq - base;
}

bool tcp_ranges_add(struct tcp_ranges *set, uint32_t base, uint32_t start, uint32_t end)
{
    uint32_t s = rel(base, start), e = rel(base, end);
    if (e <= s)
        return true;
    unsigned first = 0;
    while (first < set->count && rel(base, set->r[first].end) < s)
        first++;
    unsigned last = first;   /* ranges [first, last) touch or overlap [s, e) */
    while (last < set->count && rel(base, set->r[last].start) <= e)
        last++;
    uint32_t stamp = ++set->clock;
    if (first == last) {
        if (set->count == TCP_RANGES_MAX)
            return false;
        memmove(&set->r[first + 1], &set->r[first], (set->count - first) * sizeof(set->r[0]));
        set->r[first] = (struct tcp_range){ .start = start, .end = end, .stamp = stamp };
        set->count++;
        return true;
    }
    struct tcp_range merged = set->r[first];
    if (rel(base, merged.start) > s)
        merged.start = start;
    uint32_t last_end = set->r[last - 1].end;
    merged.end = rel(base, last_end) > e ? last_end : end;
    merged.stamp = stamp;
    set->r[first] = merged;
    unsigned removed = last - first - 1;
    memmove(&set->r[first + 1], &set->r[last], (set->count - last) * sizeof(set->r[0]));
    set->count -= removed;
    return true;
}

bool tcp_ranges_would_add(const struct tcp_ranges *set, uint32_t base, uint32_t start, uint32_t end)
{
    if (set->count < TCP_RANGES_MAX)
        return true;
    uint32_t s = rel(base, start), e = rel(base, end);
    for (unsigned i = 0; i < set->count; i++)
        if (s <= rel(base, set->r[i].end) && rel(base, set->r[i].start) <= e)
            return true;
    return false;
}

uint32_t tcp_ranges_advance(struct tcp_ranges *set, uint32_t base, uint32_t upto)
{
    uint32_t u = rel(base, upto);
    uint32_t reach = upto;
    unsigned drop = 0;
    while (drop < set->count && rel(base, set->r[drop].start) <= u) {
        if (rel(base, set->r[drop].end) > rel(base, reach))
            reach = set->r[drop].end;
        drop++;
    }
    memmove(&set->r[0], &set->r[drop], (set->count - drop) * sizeof(set->r[0]));
    set->count -= drop;
    return reach;
}

size_t tcp_ranges_bytes(const struct tcp_ranges *set)
{
    size_t total = 0;
    for (unsigned i = 0; i < set->count; i++)
        total += set->r[i].end - set->r[i].start;
    return total;
}

uint32_t tcp_ranges_highest(const struct tcp_ranges *set, uint32_t base)
{
    return set->count ? set->r[set->count - 1].end : base;
}

size_t tcp_ranges_cut(struct tcp_ranges *set, uint32_t base, uint32_t limit)
{
    uint32_t l = rel(base, limit);
    size_t dropped = 0;
    while (set->count) {
        struct tcp_range *r = &set->r[set->count - 1];
        if (rel(base, r->end) <= l)
            break;
        if (rel(base, r->start) >= l) {
            dropped += r->end - r->start;
            set->count--;
        } else {
            dropped += rel(base, r->end) - l;
            r->end = limit;
            break;
        }
    }
    return dropped;
}

unsigned tcp_ranges_recent(const struct tcp_ranges *set, struct tcp_range *out, unsigned max)
{
    unsigned n = 0;
    bool used[TCP_RANGES_MAX] = { false };
    while (n < max && n < set->count) {
        int best = -1;
        for (unsigned i = 0; i < set->count; i++)
            if (!used[i] && (best < 0 || set->r[i].stamp > set->r[best].stamp))
                best = (int)i;
        used[best] = true;
        out[n++] = set->r[best];
    }
    return n;
}
