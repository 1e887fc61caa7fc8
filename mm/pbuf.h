/*
 * net/pbuf: packet buffers. A packet is a chain of segments (struct pbuf, linked by `next`); each
 * segment points into a storage block (PBUF_STORAGE_SIZE bytes) from a bounded pool. Storage is
 * reference counted separately from segments, so a segment can cheaply reference bytes that
 * belong to another packet (pbuf_ref_range: zero-copy retransmission, reassembly without copies).
 *
 * Ownership rules (the same as lwIP's):
 *  - Whoever holds a pointer to a chain's head holds one reference on it; pbuf_free drops it.
 *    When a segment's count reaches zero it is released and the reference it held on `next`
 *    is dropped in turn. pbuf_ref adds a holder.
 *  - A chain with more than one holder (refcnt > 1) is read-only for everybody: to modify it,
 *    pbuf_clone it first. Push, pull and linearize need a head the caller holds alone.
 *  - `qnext` links whole packets into queues; its meaning belongs to the queue's owner.
 *
 * Pools are bounded (capacity in storage blocks; segment descriptors are bounded at twice that);
 * a failed allocation is counted in the pool's stats and returns NULL, never panics.
 *
 * Device storage (struct pbuf_device_storage): bytes a device owns -- a netfront rx page whose
 * grant was ended, the hosted TAP read buffer -- lent to a packet without copying. The packet's
 * segments reference it like a pool block; when the last reference goes, pbuf calls its release
 * hook and the device takes the bytes back (to post them again). Only the descriptor comes from
 * the pool; the bytes are charged to the device, never to the pool's storage bound.
 */
#ifndef XENOLITH_NET_PBUF_H
#define XENOLITH_NET_PBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Room kept in front of a freshly allocated packet for headers: Ethernet (14) + IPv4 with options
 * (60) + TCP with options (60) = 134, rounded up with room for a tunnel or VLAN tag. */
#define PBUF_HEADROOM 192u
/* One storage block. Holds PBUF_HEADROOM + a 1514-byte frame with room to spare. */
#define PBUF_STORAGE_SIZE 2048u
/* Usable bytes in a block (the block also holds its own small header). */
#define PBUF_STORAGE_CAPACITY (PBUF_STORAGE_SIZE - 32u)
/* The most pbuf_linearize can make contiguous (a full header stack with options, and more). */
#define PBUF_LINEARIZE_MAX 1024u

/* pbuf.flags, set on the head segment. */
enum pbuf_flags {
    PBUF_F_CSUM_PARTIAL  = 1u << 0, /* tx: the L4 checksum must still be completed (csum_*) */
    PBUF_F_CSUM_VERIFIED = 1u << 1, /* rx: the device already verified the L4 checksum */
    PBUF_F_LINK_BCAST    = 1u << 2, /* rx: sent to the Ethernet broadcast address */
    PBUF_F_LINK_MCAST    = 1u << 3, /* rx: sent to an Ethernet multicast address */
};

struct pbuf_pool;

/* The header every storage a segment points into starts with. Private to pbuf.c (device storage
 * embeds it so one reference count serves both kinds). */
struct pbuf_storage {
    uint32_t refcnt;                 /* segments pointing into this storage */
    uint32_t device;                 /* 1: a struct pbuf_device_storage */
    struct pbuf_pool *pool;
    struct pbuf_storage *next_free;
    uint8_t *bytes;                  /* the first byte (just after this header in a pool block) */
};

/* Bytes a device lends to packets (see the top of this file). The device fills in base, size,
 * release and owner; pbuf_from_device fills in the header. */
struct pbuf_device_storage {
    struct pbuf_storage header;      /* private */
    uint8_t *base;                   /* the bytes */
    uint32_t size;
    /* Called once the last segment referencing the bytes is freed: the device has them back. */
    void (*release)(struct pbuf_device_storage *ds);
    void *owner;                     /* the device's, for release */
};

struct pbuf {
    struct pbuf *next;           /* next segment of the same packet */
    struct pbuf *qnext;          /* next packet in whatever queue holds this one */
    uint8_t *data;               /* first byte of this segment */
    uint32_t len;                /* bytes in this segment */
    uint32_t tot_len;            /* bytes in this segment and all that follow it */
    uint32_t refcnt;
    uint16_t flags;              /* enum pbuf_flags (meaningful on the head) */
    uint16_t csum_start;         /* PBUF_F_CSUM_PARTIAL: checksummed region starts here, counted
                                    from the start of the IPv4 header (not the frame) */
    uint16_t csum_offset;        /*   ...and the checksum is stored this far into it */
    uint16_t gso_size;           /* TSO: segment payload size, 0 when not a TSO frame */
    uint16_t gso_segs;           /* TSO: segments the frame is cut into (counters only) */
    uint64_t timestamp_ns;       /* free for the owner (receive time, queueing time) */
    /* private */
    struct pbuf_pool *pool;
    struct pbuf_storage *storage;
};

#define PBUF_POOL_COUNTERS(X)                                                              \
    X(allocs)            /* packets handed out by pbuf_alloc/clone/ref_range */            \
    X(alloc_failures)    /* requests refused because the pool was at its bound */          \
    X(storage_in_use)    /* storage blocks held right now */                               \
    X(storage_high_water)                                                                  \
    X(segments_in_use)   /* segment descriptors held right now */                          \
    X(linearize_copies)  /* pbuf_linearize calls that had to move bytes */               \
    X(device_lent)       /* packets made on a device's own storage (pbuf_from_device) */   \
    X(device_in_use)     /* device storages held by packets right now */

struct pbuf_pool_stats {
#define PBUF_POOL_STAT_FIELD(name) uint64_t name;
    PBUF_POOL_COUNTERS(PBUF_POOL_STAT_FIELD)
#undef PBUF_POOL_STAT_FIELD
};

/* A pool of at most `capacity` storage blocks (memory is taken from the heap lazily and kept on a
 * free list). Returns NULL when out of memory. The name is copied (shown in stats). */
struct pbuf_pool *pbuf_pool_create(const char *name, unsigned capacity);
/* Frees the pool's cached memory. Packets still out are reported (a leak) and left alone. */
void pbuf_pool_destroy(struct pbuf_pool *pool);
void pbuf_pool_get_stats(const struct pbuf_pool *pool, struct pbuf_pool_stats *out);
const char *pbuf_pool_name(const struct pbuf_pool *pool);
void pbuf_pool_print_stats(const struct pbuf_pool *pool);

/* A packet of `len` bytes (contents undefined) with PBUF_HEADROOM in front of its first byte;
 * chained over several blocks if it does not fit in one. NULL (counted) when the pool is full. */
struct pbuf *pbuf_alloc(struct pbuf_pool *pool, size_t len);
/* The same with a chosen headroom (0 for receive buffers that start at the frame). */
struct pbuf *pbuf_alloc_headroom(struct pbuf_pool *pool, size_t len, size_t headroom);
/* A packet of the len bytes at ds->base + offset, without copying: the packet holds ds until its
 * last segment referencing it is freed, then ds->release(ds) runs. NULL (counted) when the pool
 * has no descriptor or the range is outside ds: ds stays the caller's and release does not run. */
struct pbuf *pbuf_from_device(struct pbuf_pool *pool, struct pbuf_device_storage *ds,
                              size_t offset, size_t len);
/* A packet holding a copy of buf[0..len), with PBUF_HEADROOM. */
struct pbuf *pbuf_from_bytes(struct pbuf_pool *pool, const void *buf, size_t len);

void pbuf_ref(struct pbuf *p);
/* Drops one reference on the chain's head (see the rules above). pbuf_free(NULL) does nothing. */
void pbuf_free(struct pbuf *p);
/* Frees every packet of a qnext-linked list. */
void pbuf_free_queue(struct pbuf *head);

/* Grows the head segment by n bytes at the front and returns the new first byte, or NULL if the
 * head has less than n bytes of headroom or is shared. */
void *pbuf_push(struct pbuf *p, size_t n);
/* Removes n bytes from the front of the head segment and returns the new first byte; NULL if the
 * head segment holds fewer than n bytes (linearize first) or the chain is shared. */
void *pbuf_pull(struct pbuf *p, size_t n);
/* Shortens the packet to `len` bytes (no-op if already shorter); segments past the end are freed.
 * Used to cut Ethernet padding. Returns 0, or -EBUSY (nothing done) if the chain is shared. */
int pbuf_trim(struct pbuf *p, size_t len);
/* Cuts the chain after its first len bytes (0 < len < tot_len): the segment holding byte len - 1
 * is shortened to end there and the segments after it are returned as a packet of their own (the
 * rest of the cut segment's block is left unused). Used to keep a receive chain's unused tail
 * for the next read. NULL (nothing done) if len is outside (0, tot_len), no whole segment
 * follows the cut, or the chain is shared. */
struct pbuf *pbuf_split(struct pbuf *p, size_t len);
/* Headroom in front of the head segment's first byte (0 when the head cannot be written). */
size_t pbuf_headroom(const struct pbuf *p);

/* Makes the first n bytes contiguous in the head segment and returns them; NULL if the packet is
 * shorter than n, n > PBUF_LINEARIZE_MAX, or no storage is left. Bytes are moved, never changed. */
void *pbuf_linearize(struct pbuf *p, size_t n);

/* Copies len bytes starting at offset across the chain. Return 0, or -EINVAL when the range is
 * not inside the packet (nothing copied). */
int pbuf_copy_out(const struct pbuf *p, size_t offset, void *buf, size_t len);
/* The same into the packet; -EBUSY (nothing copied) if a touched segment's storage is shared. */
int pbuf_copy_in(struct pbuf *p, size_t offset, const void *buf, size_t len);

/* Appends `tail` to the chain `head` (takes over the caller's reference on tail). */
void pbuf_cat(struct pbuf *head, struct pbuf *tail);

/* A deep copy in a fresh single-owner packet with PBUF_HEADROOM (flags and offload fields copied),
 * allocated from `pool` (NULL: the pool of p). NULL when out of storage. */
struct pbuf *pbuf_clone(const struct pbuf *p, struct pbuf_pool *pool);
/* A new packet whose segments reference bytes [offset, offset+len) of p without copying (they
 * keep p's storage alive). NULL when the range is outside p or out of descriptors. */
struct pbuf *pbuf_ref_range(struct pbuf *p, size_t offset, size_t len);

/* The memory the segments holding bytes [offset, offset + len) of p pin: each one's whole storage
 * (a pool block, a device page) and its descriptor. What a holder of a reference to those bytes
 * is charged (a few bytes referenced can keep a whole block alive). */
size_t pbuf_range_charge(const struct pbuf *p, size_t offset, size_t len);
/* The same for all of p. */
size_t pbuf_charge(const struct pbuf *p);
/* What one segment pins: its storage (with the header) and its descriptor. */
static inline size_t pbuf_segment_charge(const struct pbuf *s)
{
    if (!s->storage)
        return sizeof(struct pbuf);
    size_t bytes = s->storage->device ? ((const struct pbuf_device_storage *)s->storage)->size
                                      : PBUF_STORAGE_CAPACITY;
    return bytes + sizeof(struct pbuf_storage) + sizeof(struct pbuf);
}
/* True when more than half of the pool's blocks or descriptors are in use: a holder that would
 * keep packets for long (TCP's receive data) copies instead, so the device can still receive. */
bool pbuf_pool_under_pressure(const struct pbuf_pool *pool);

/* Number of segments in the chain. */
unsigned pbuf_segments(const struct pbuf *p);

#endif
