/*
 * xen/blkfront_core: the ring half of blkfront, as pure memory operations (no hypercalls, no
 * xenstore), so that it is unit-tested against a fake backend (test/unit/test_blkfront*.c) and
 * fuzzed with hostile responses (test/fuzz/fuzz_blkif.c). xen/blkfront.c does the handshake and
 * the event channel and hands this file the shared ring and a way to grant pages.
 *
 * Requests: one blk_request is one ring slot. Its id on the wire is the slot's index. Reads and
 * writes of up to BLKIF_MAX_SEGMENTS_PER_REQUEST segments go direct; longer ones (when the
 * backend offers feature-max-indirect-segments) as BLKIF_OP_INDIRECT with the segment
 * descriptors on the slot's own indirect page, granted once for the life of the connection.
 * Without persistent grants each segment's page is granted to the backend for the request and
 * the grant ended when the response arrives; with them (feature-persistent on both sides) data
 * is copied through a pool of pages granted once (grown on demand, reused LIFO as blkif.h
 * recommends), so the backend maps each page only once.
 *
 * Units: blkif counts 512-byte sectors (we do not offer feature-large-sector-size); the device's
 * own sectors (the seam's unit) are converted here.
 *
 * The backend is not trusted. Every response is copied out of the shared ring before it is
 * looked at, and refused unless: the producer index lies between our consumer index and what we
 * produced; the id names a slot that holds a request; the operation is the one we sent; the
 * status is one blkif defines. A refused response marks the core broken (blkfront_core_broken
 * says why): every request in flight completes with -EIO, later submissions fail with -EIO, and
 * no response is read again. A grant the backend will not give back (ending it fails) is never
 * reused or freed: it is counted as leaked.
 */
#ifndef XENOLITH_XEN_BLKFRONT_CORE_H
#define XENOLITH_XEN_BLKFRONT_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "platform/blkdev.h"

/* ring.h asks the includer for the interface version and the memory barriers. */
#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__
#endif
#ifndef xen_mb
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#include <xen/io/blkif.h>

#define BLKFRONT_PAGE_SIZE 4096u
#define BLKFRONT_WIRE_SECTOR 512u
#define BLKFRONT_MAX_RING_ORDER 2          /* up to 4 ring pages: 128 slots */
/* One indirect page holds 512 descriptors; we use at most this many segments per request. */
#define BLKFRONT_MAX_INDIRECT_SEGMENTS 256u
#define BLKFRONT_DESCS_PER_INDIRECT_PAGE (BLKFRONT_PAGE_SIZE / sizeof(struct blkif_request_segment))
#define BLKFRONT_NO_SLOT UINT32_MAX

/* How the core shares pages. grant returns a reference or -errno; end returns 0, or non-zero
 * when the backend still maps the page (the grant then stays and the page must not be reused). */
struct blkfront_grant_ops {
    long (*grant)(void *ctx, const void *page, bool readonly);
    int (*end)(void *ctx, uint32_t ref);
    void *ctx;
};

/* What the handshake negotiated. */
struct blkfront_features {
    uint32_t sector_size;              /* the device's bytes per sector: 512..4096, power of two */
    uint32_t max_segments;             /* per request: <= 11 direct, more uses indirect pages */
    bool persistent;                   /* both ends offered feature-persistent */
    bool flush_cache;                  /* feature-flush-cache: flush as FLUSH_DISKCACHE */
    bool barrier;                      /* feature-barrier: flush as WRITE_BARRIER otherwise */
    bool discard;                      /* feature-discard */
};

struct blkfront_pgrant {               /* a persistently granted page */
    void *page;
    uint32_t ref;
    struct blkfront_pgrant *next;
};

struct blkfront_slot {
    struct blk_request *req;           /* NULL while the slot is free */
    uint8_t operation;                 /* as sent (BLKIF_OP_INDIRECT for indirect requests) */
    uint8_t data_op;                   /* BLKIF_OP_READ/WRITE inside an indirect request */
    uint32_t nr_grants;                /* caller pages granted for this request */
    uint32_t *grants;                  /* [max_segments] */
    uint32_t nr_pgrants;               /* pool pages holding this request's data */
    struct blkfront_pgrant **pgrants;  /* [max_segments] */
    struct blkif_request_segment *indirect;   /* this slot's indirect page, or NULL */
    uint32_t indirect_ref;
    uint32_t next_free;
};

struct blkfront_core_stats {
    uint64_t requests, indirect_requests, responses, errors;
    uint64_t bad_responses;            /* responses refused (each breaks the core) */
    uint64_t grants, grants_ended;     /* per-request grants of caller pages */
    uint64_t grants_leaked;            /* grants the backend kept: never reused or freed */
    uint32_t pool_pages;               /* persistently granted pages */
    uint32_t in_flight_peak;
};

struct blkfront_core {
    blkif_front_ring_t ring;
    uint32_t nr_slots;
    struct blkfront_slot *slots;
    uint32_t free_head;
    uint32_t in_flight;
    uint16_t handle;                   /* the vbd's number, echoed in requests */
    uint32_t wire_per_sector;          /* 512-byte blkif sectors per device sector */
    struct blkfront_features feat;
    struct blkfront_grant_ops gops;
    void (*complete)(void *ctx, struct blk_request *req, int status);
    void *complete_ctx;
    struct blkfront_pgrant *pool;      /* free persistent pages, most recently used first */
    uint32_t pool_max;
    bool broken;
    char broken_reason[120];
    struct blkfront_core_stats stats;
};

/* Number of slots a ring of 2^order pages holds. */
uint32_t blkfront_ring_slots(unsigned order);

/* Initializes the shared ring at sring (2^ring_order pages, page aligned; the caller grants
 * them) and the core. complete(ctx, req, status) is called once per submitted request, from
 * blkfront_core_poll or when the core breaks or is torn down. Returns 0, -EINVAL for features
 * out of range, -ENOMEM, or the grant error for the indirect pages (nothing is left allocated). */
int blkfront_core_init(struct blkfront_core *c, void *sring, unsigned ring_order,
                       const struct blkfront_features *feat, uint16_t handle,
                       const struct blkfront_grant_ops *gops,
                       void (*complete)(void *ctx, struct blk_request *req, int status),
                       void *ctx);

/* Puts req on the ring (not yet visible to the backend: see blkfront_core_push). Returns 0, or
 * -EIO when broken, -EBUSY with every slot in use, -EINVAL for a request whose shape the seam
 * forbids, -EOPNOTSUPP for an operation the backend did not offer, -ENOMEM/-ENOSPC when pages
 * or grants run out. On error nothing stays granted and complete is not called. */
int blkfront_core_submit(struct blkfront_core *c, struct blk_request *req);

/* Publishes the queued requests. True when the backend must be notified. */
bool blkfront_core_push(struct blkfront_core *c);

/* Takes every response the backend produced, validates it and completes its request. Returns
 * the number of responses consumed; after a bad one the core is broken. */
unsigned blkfront_core_poll(struct blkfront_core *c);

/* Breaks the core with a reason (the backend went away, a notify failed...): every request in
 * flight completes with -EIO. Does nothing if already broken. */
void blkfront_core_disconnect(struct blkfront_core *c, const char *reason);

bool blkfront_core_broken(const struct blkfront_core *c, const char **reason);

/* Completes anything in flight with -EIO, ends every grant the core holds and frees its pages.
 * Pages whose grant the backend keeps are left allocated (leaked on purpose). Returns the number
 * of grants leaked over the core's life. */
uint64_t blkfront_core_teardown(struct blkfront_core *c);

#endif
