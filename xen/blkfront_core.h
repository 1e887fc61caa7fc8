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
 *
 * Whose pages the backend sees: only the core's own. The caller's buffers are never granted;
 * data is copied into a page of the core before a write is sent and out of it after a read was
 * answered. Without persistent grants each page is granted for one request and its grant ended
 * when the response arrives; a read is copied out only after that end succeeded, so the data
 * can no longer change under us. With persistent grants (feature-persistent on both sides) the
 * pages come from a pool granted once (grown on demand, reused LIFO as blkif.h recommends).
 * Why own pages rather than the caller's: a backend may keep a grant mapped (ending it fails),
 * and a caller's page cannot be taken away from the caller. An own page can: it goes to the
 * grant quarantine (gops.end_free, xen_grant_end_free on Xen), which frees it only once Xen
 * says nobody maps it, and the request fails at once without touching the caller's buffer. So
 * every completion is immediate (no request waits for a backend to unmap) and no page still
 * granted is ever handed back to anyone -- the caller of blkdev_submit (blk/blk_io.c frees its
 * bounce pages on completion) included. The price is one copy per segment.
 *
 * No stale memory is shown to the backend: every page is zeroed before its first grant (pool,
 * per-request and indirect pages alike); a write fills the rest of its page with zeros. A page
 * reused by the same connection holds only zeros or data this backend already had.
 *
 * Grant budget: the core holds at most feat.max_grants grants at once (indirect pages plus data
 * pages). It lets max_in_flight requests in at a time, so that that many requests of
 * max_segments each fit the budget: one device's backend cannot take every grant reference of
 * the domain, whatever it negotiated.
 *
 * Deadlines: a request not answered within feat.timeout_ns (0: never) fails with -ETIMEDOUT
 * and breaks the core (its slot and pages may still be in the backend's hands, so nothing of it
 * can be reused): blkfront_core_expire, called by the service fiber at
 * blkfront_core_next_deadline.
 *
 * Units: blkif counts 512-byte sectors (we do not offer feature-large-sector-size); the device's
 * own sectors (the seam's unit) are converted here.
 *
 * The backend is not trusted (fail closed). Every response is copied out of the shared ring
 * before it is looked at, and refused unless: the producer index lies between our consumer
 * index and what we produced; the id names a slot that holds a request; the operation is the
 * one we sent; the status is one blkif defines. A refused response, a grant the backend keeps
 * after answering, a request past its deadline or a disconnect marks the core broken with a
 * reason naming the rule (blkfront_core_broken) and a count per kind (stats.breaks): every
 * request in flight completes with an error (-ETIMEDOUT for expired ones, -EIO otherwise),
 * their pages go back under the grant-lifetime rule, later submissions fail with -EIO, and no
 * response is read again. No path loops on backend input: a poll reads each response once.
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

/* Per device, unless the frontend asks for less: a quarter of a 4-frame grant table. */
#define BLKFRONT_DEFAULT_MAX_GRANTS 512u

/* How the core shares pages. grant returns a reference or -errno. end tries to end a grant: 0
 * when it ended (the page is the core's again), non-zero while the backend still maps it (the
 * grant stays). end_free ends the grant of a page the core got from page_alloc(0) and gives the
 * page up under the grant-lifetime rule (xen/grants.h): freed now if the grant ends, else kept
 * in the quarantine until it does; either way the core forgets the page. It returns 0 or
 * -EBUSY (quarantined). */
struct blkfront_grant_ops {
    long (*grant)(void *ctx, const void *page, bool readonly);
    int (*end)(void *ctx, uint32_t ref);
    int (*end_free)(void *ctx, uint32_t ref, void *page);
    void *ctx;
};

/* What the handshake negotiated, and the limits the frontend sets. */
struct blkfront_features {
    uint32_t sector_size;              /* the device's bytes per sector: 512..4096, power of two */
    uint32_t max_segments;             /* per request: <= 11 direct, more uses indirect pages */
    bool persistent;                   /* both ends offered feature-persistent */
    bool flush_cache;                  /* feature-flush-cache: flush as FLUSH_DISKCACHE */
    bool barrier;                      /* feature-barrier: flush as WRITE_BARRIER otherwise */
    bool discard;                      /* feature-discard */
    uint32_t max_grants;               /* 0: BLKFRONT_DEFAULT_MAX_GRANTS */
    uint64_t timeout_ns;               /* a request's deadline after submission; 0: none */
};

struct blkfront_page {                 /* one of the core's own pages */
    void *page;
    uint32_t ref;                      /* while granted */
    struct blkfront_page *next;
};

struct blkfront_slot {
    struct blk_request *req;           /* NULL while the slot is free */
    uint8_t operation;                 /* as sent (BLKIF_OP_INDIRECT for indirect requests) */
    uint8_t data_op;                   /* BLKIF_OP_READ/WRITE inside an indirect request */
    uint32_t nr_pages;                 /* own pages holding this request's data */
    struct blkfront_page **pages;      /* [max_segments] */
    struct blkif_request_segment *indirect;   /* this slot's indirect page, or NULL */
    uint32_t indirect_ref;
    uint64_t deadline_ns;              /* UINT64_MAX: none */
    uint32_t next_free;
};

/* Why a core broke: X-macro so that names print. */
#define BLKFRONT_BREAKS(X)                                                                      \
    X(bad_producer)      /* response producer index past the requests */                        \
    X(bad_response)      /* id, operation or status not of a request in flight */               \
    X(kept_grant)        /* the backend kept a page mapped after answering */                   \
    X(timeout)           /* a request had no answer by its deadline */                          \
    X(disconnect)        /* the frontend broke it (backend closed, notify failed, teardown) */

struct blkfront_break_counts {
#define BLKFRONT_BREAK_FIELD(name) uint32_t name;
    BLKFRONT_BREAKS(BLKFRONT_BREAK_FIELD)
#undef BLKFRONT_BREAK_FIELD
};

struct blkfront_core_stats {
    uint64_t requests, indirect_requests, responses, errors;
    uint64_t bad_responses;            /* responses refused (each breaks the core) */
    uint64_t grants, grants_ended;     /* per-request grants of own pages */
    uint64_t grants_quarantined;       /* pages whose grant the backend kept: quarantined */
    uint64_t timeouts;                 /* requests failed with -ETIMEDOUT */
    uint32_t pool_pages;               /* persistently granted pages */
    uint32_t grants_live, grants_peak; /* grants the core holds (cap: max_grants) */
    uint32_t in_flight_peak;
    struct blkfront_break_counts breaks;
};

struct blkfront_core {
    blkif_front_ring_t ring;
    uint32_t nr_slots;
    uint32_t max_in_flight;            /* slots usable within the grant budget */
    struct blkfront_slot *slots;
    uint32_t free_head;
    uint32_t in_flight;
    uint16_t handle;                   /* the vbd's number, echoed in requests */
    uint32_t wire_per_sector;          /* 512-byte blkif sectors per device sector */
    struct blkfront_features feat;
    struct blkfront_grant_ops gops;
    void (*complete)(void *ctx, struct blk_request *req, int status);
    void *complete_ctx;
    struct blkfront_page *pool;        /* persistent: free granted pages, most recent first */
    struct blkfront_page *spare;       /* otherwise: free pages, not granted */
    uint32_t pool_max;
    bool broken;
    char broken_reason[120];
    struct blkfront_core_stats stats;
};

/* Number of slots a ring of 2^order pages holds. */
uint32_t blkfront_ring_slots(unsigned order);

/* Initializes the shared ring at sring (2^ring_order pages, page aligned; the caller grants
 * them) and the core. -EINVAL also when one request of max_segments does not fit max_grants. complete(ctx, req, status) is called once per submitted request, from
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

/* Fails the requests whose deadline is at or before now_ns with -ETIMEDOUT (the core breaks,
 * so the others fail with -EIO). Returns the number that timed out. */
unsigned blkfront_core_expire(struct blkfront_core *c, uint64_t now_ns);
/* The earliest deadline of a request in flight, or UINT64_MAX. */
uint64_t blkfront_core_next_deadline(const struct blkfront_core *c);

bool blkfront_core_broken(const struct blkfront_core *c, const char **reason);

/* Completes anything in flight with -EIO, ends every grant the core holds and gives its pages
 * back (through gops.end_free: pages the backend still maps go to the quarantine). Returns the
 * number of pages quarantined over the core's life. */
uint64_t blkfront_core_teardown(struct blkfront_core *c);

#endif
