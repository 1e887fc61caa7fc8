/*
 * net/tcp_buf: the byte stores behind a connection: the send buffer (bytes from SND.UNA on, sent or
 * not) and the receive buffer (bytes from the reader's position on, in order or not: out-of-order
 * data is written at its place in the window and its extent tracked in a tcp_ranges set, so
 * reassembly needs no copies and no per-segment queue).
 *
 * A buffer is a ring of TCP_BUF_CHUNK-byte chunks allocated only when bytes land in them and freed
 * as soon as they are consumed, so an idle connection with a large window costs almost nothing and
 * memory follows the bytes actually held. Every chunk is charged to a shared budget (the stack's
 * global bound); a write that would exceed the capacity or the budget is refused whole.
 *
 * Receive data is kept without a copy where that pays (tcp_buf_store): a segment's payload becomes
 * an extent, a reference to the packet's own storage (pbuf_ref_range; a netfront page or a pool
 * block), in a list sorted by stream position; in-order and out-of-order data alike, and reads
 * copy once from it into the reader's buffer. The budget is charged what an extent pins (whole
 * blocks or pages and descriptors: pbuf_range_charge), not its payload bytes. A segment is copied
 * into the chunks instead ("collapsed", as Linux collapses its queues) when it is small for what it
 * pins (over TCP_BUF_PIN_RATIO times its bytes), when the buffer's extents already pin more than
 * TCP_BUF_PIN_RATIO / 2 times its capacity, when it overlaps an extent (a retransmission), or when
 * its packet pool is under pressure (pbuf_pool_under_pressure: held packets must never starve the
 * device); so a peer's many tiny segments cost chunk bytes, not blocks, and memory stays bounded
 * by a small multiple of the capacity and by the budget. Where an extent and chunk bytes cover
 * the same offsets, the extent is read (TCP's bytes at a sequence number are the same either way).
 */
#ifndef XENOLITH_NET_TCP_BUF_H
#define XENOLITH_NET_TCP_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_BUF_CHUNK 4096u
#define TCP_BUF_MAX_CAPACITY (16u * 1024 * 1024)
/* An extent may pin at most this many times its bytes; all of a buffer's, half that times its
 * capacity. */
#define TCP_BUF_PIN_RATIO 4u

struct pbuf;

/* Bytes of chunks and extents all buffers sharing it may hold, and how receive data was kept. */
struct tcp_buf_budget {
    size_t limit;
    size_t used;
    uint64_t stored_by_reference;    /* segments kept as extents (no copy) */
    uint64_t stored_by_copy;         /* segments copied into chunks: small, overlapping, ... */
    uint64_t collapsed;              /* ... of those, copied because they pinned too much */
};

struct tcp_buf {
    uint8_t **chunks;                /* ring of slots, NULL when not allocated */
    uint32_t slots;                  /* capacity / TCP_BUF_CHUNK + 1: the spare slot means the
                                        chunk holding offset 0 never also holds live high offsets */
    size_t capacity;                 /* usable bytes, a multiple of TCP_BUF_CHUNK */
    size_t head;                     /* ring position of logical offset 0, < slots * CHUNK */
    size_t allocated;                /* chunks held * TCP_BUF_CHUNK */
    struct tcp_buf_budget *budget;
    /* Extents (tcp_buf_store): packets linked by qnext, sorted, each one's timestamp_ns field the
     * stream position of its first byte; `start` is the stream position of logical offset 0. */
    struct pbuf *extents, *extents_tail;
    uint64_t start;
    size_t pinned;                   /* charged for the extents (pbuf_charge) */
    /* The stream position just past the last byte ever written into chunks: once start reaches
     * it the chunks hold nothing, and the head goes back to the start of its chunk, so the
     * small messages of a request-response exchange never straddle two chunks. */
    uint64_t written_end;
};

/* A buffer of at least `capacity` bytes (rounded up to chunks; 1..TCP_BUF_MAX_CAPACITY).
 * -EINVAL or -ENOMEM (the slot table). */
int tcp_buf_init(struct tcp_buf *b, size_t capacity, struct tcp_buf_budget *budget);
/* Frees every chunk and the slot table. */
/* The buffer stops counting against its budget (for bytes that outlive the stack's TCB: unread data
 * of a connection that ended gracefully, until its handle reads or closes it). */
void tcp_buf_leave_budget(struct tcp_buf *b);
void tcp_buf_destroy(struct tcp_buf *b);
/* Changes the capacity, keeping the first `keep` bytes. -EINVAL if keep > new capacity, -ENOMEM. */
int tcp_buf_resize(struct tcp_buf *b, size_t capacity, size_t keep);

/* Returns the few freed chunks kept for reuse (tcp_buf.c) to the heap. Called when a stack's TCP
 * is torn down, so memory held ends with the stacks that used it. */
void tcp_buf_cache_drain(void);

/* Stores len bytes at logical offset off (0 = the oldest byte held). -ENOSPC past the capacity,
 * -ENOBUFS when the budget (or the heap) has no chunk for it; nothing is stored then. */
int tcp_buf_write(struct tcp_buf *b, size_t off, const void *src, size_t len);
/* Stores the len payload bytes that start `front` bytes into packet p at logical offset off, as
 * an extent (a reference, no copy) or copied into chunks (see the top of this file); p stays the
 * caller's. -ENOSPC past the capacity, -ENOBUFS when the budget (or the heap, or the pool) has no
 * room; nothing is stored then. */
int tcp_buf_store(struct tcp_buf *b, size_t off, struct pbuf *p, size_t front, size_t len);
/* How many bytes a write at offset off could store now: bounded by the capacity, and by the chunks
 * the budget still allows beyond the one holding off (if that one is already allocated). */
size_t tcp_buf_writable(const struct tcp_buf *b, size_t off);
/* Copies len bytes from logical offset off (they must have been written). */
void tcp_buf_read(const struct tcp_buf *b, size_t off, void *dst, size_t len);
/* Forgets the first n bytes (n <= capacity): later offsets shift down by n; chunks left holding
 * only forgotten bytes are freed. */
void tcp_buf_consume(struct tcp_buf *b, size_t n);

/* A set of disjoint, non-adjacent byte ranges [start, end) in sequence space (modular), bounded.
 * `recent` orders them by the latest addition, for SACK (RFC 2018 4: most recent block first). */
#define TCP_RANGES_MAX 16
struct tcp_range {
    uint32_t start, end;
    uint32_t stamp;                  /* higher = touched more recently */
};
struct tcp_ranges {
    struct tcp_range r[TCP_RANGES_MAX];  /* sorted by start relative to the base given to add */
    unsigned count;
    uint32_t clock;
};
/* Adds [start, end) relative to base (all comparisons are offsets from base, so the set may cross
 * sequence wrap). Merges overlapping and adjacent ranges. false (nothing added) if the set is full
 * and the range touches none of the existing ones. */
bool tcp_ranges_add(struct tcp_ranges *set, uint32_t base, uint32_t start, uint32_t end);
/* Whether tcp_ranges_add would take [start, end): the set has room, or the range touches one
 * already held. Lets the caller refuse data before storing it. */
bool tcp_ranges_would_add(const struct tcp_ranges *set, uint32_t base, uint32_t start, uint32_t end);
/* Removes everything before `upto` (offsets from base) and returns how far the range starting at
 * or before upto extends (upto itself when none does). Used when RCV.NXT advances: the new RCV.NXT
 * is the returned value. */
uint32_t tcp_ranges_advance(struct tcp_ranges *set, uint32_t base, uint32_t upto);
/* Total bytes in the set. */
size_t tcp_ranges_bytes(const struct tcp_ranges *set);
/* The end of the highest range (offset from base), base when empty. */
uint32_t tcp_ranges_highest(const struct tcp_ranges *set, uint32_t base);
/* Drops ranges (or parts) at or beyond `limit` (offset from base); returns the bytes dropped. */
size_t tcp_ranges_cut(struct tcp_ranges *set, uint32_t base, uint32_t limit);
/* Up to max ranges, most recently touched first. Returns how many. */
unsigned tcp_ranges_recent(const struct tcp_ranges *set, struct tcp_range *out, unsigned max);

#endif
