/*
 * xen/netfront_ring: one netfront queue's shared rings as pure memory operations (no hypercalls,
 * no grants, no event channels), so that the rules are unit-tested against a fake ring
 * (test/unit/test_netfront.c) and fuzzed as a hostile backend (test/fuzz/fuzz_netif.c);
 * xen/netfront.c grants the pages, binds the events and kicks the backend when told to.
 *
 * Transmit: a pool of NETFRONT_TX_SLOTS pages, granted read-only once when the queue is set up.
 * A frame is copied into free pool pages (one slot per page, a request id is the page's index),
 * so sending costs no grant operation; a completed id returns its page to the pool.
 * A frame that finds the ring or the pool full waits in a small holding queue (at most
 * NETFRONT_TX_HOLD frames, sent in order as responses free slots; meanwhile rsp_event asks the
 * backend for an event at its next response); only a frame that finds the holding queue full too
 * is dropped (tx_hold_dropped). Linux's netfront stops the stack's queue instead, in the same spirit.
 * Receive: NETFRONT_RX_SLOTS pages granted read-write, one per ring slot: the request at ring
 * index i always carries id i % NETFRONT_RX_SLOTS and that slot's page, so the backend answers
 * slot i in place. Without a handoff (netfront_rx_handoff) the frame is copied out and the page
 * posted again. With one, a frame is handed up in its pages without a copy, one slot's page or,
 * for a multi-slot frame (feature-sg: NETRXF_more_data, a large receive with its GSO extra), a
 * chain of its slots' pages in slot order: every data slot first gets a fresh granted page from
 * the device's bounded pool, then every old page's grant is ended, and only when all of them
 * ended (the backend can no longer write any) are the pages lent to the stack. A grant that will
 * not end (the backend still maps the page) means the whole frame is copied and that page is
 * abandoned to the grant quarantine, never reused (the frame's other pages go back to the pool,
 * or there too when still mapped), and counted (rx_held_pages): more than NETFRONT_RX_HELD_PAGES_MAX in one connection breaks the
 * queue (broken_rx_held_pages), as a bad response does, so the quarantine cannot grow unbounded;
 * no fresh page for some slot (the pool is at its bound) means the whole frame is copied, that
 * slot and those after it keep their pages, and the old pages of the slots before it, their
 * grants ended, go back to the pool. Either way the ring never starves. Every frame is copied in
 * an image without receive by reference (NET_FEATURE_RX_BY_REFERENCE, net/wire/features.h),
 * whatever the handoff.
 *
 * Scatter-gather and GSO (several slots a frame, the GSO extra) each way sit behind
 * xen_has(xen_optionals, XEN_OPTIONAL_NETFRONT_OFFLOAD) (xen/optional.h): an image that leaves
 * netfront_offload out never asks the backend for them, so link-time optimization drops that
 * code, and a response that uses them anyway (NETRXF_more_data, NETRXF_extra_info) is a bad one.
 *
 * The backend is untrusted. Every response is read once into a local copy, and its id, status,
 * offset, length, flags and extra-info chain are checked against what we asked for; a response
 * producer that runs past our requests is refused. The first bad response marks the queue
 * broken (netfront_queue.broken, with the rule it broke in break_reason, counted in the
 * broken_<rule> counter, and a sentence in why) and every later call refuses to touch the ring:
 * the caller logs the reason and disconnects. A backend's own NETIF_RSP_ERROR/DROPPED is not a
 * bad response: the frame is counted and dropped.
 *
 * Liveness: every call either consumes responses, breaks the queue, or reports that nothing can
 * be consumed until the backend writes more. A frame may span at most NETFRONT_RX_SLOTS_PER_FRAME
 * response slots, error slots included (a chain of NETIF_RSP_ERROR slots linked by
 * NETRXF_more_data is a frame too), so a frame that could never end is refused rather than
 * waited for. A frame whose first slots sit at the producer index is waited for, but only
 * NETFRONT_RX_PARTIAL_WAIT_NS: the poller sleeps until netfront_rx_partial_deadline, and a poll
 * after it breaks the queue. netfront_rx_pending reports only responses no poll has looked at
 * yet, so a partial frame does not make the poller spin.
 */
#ifndef XENOLITH_XEN_NETFRONT_RING_H
#define XENOLITH_XEN_NETFRONT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* x86 keeps stores ordered and loads ordered; only store-then-load needs a fence. The ring
 * macros of <xen/io/ring.h> use these. */
#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ 0x00040e00
#endif
#ifndef xen_mb
#define xen_mb() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#include <xen/io/netif.h>

struct pbuf;
struct pbuf_pool;

#define NETFRONT_PAGE_SIZE 4096u
#define NETFRONT_TX_SLOTS __CONST_RING_SIZE(netif_tx, NETFRONT_PAGE_SIZE)
#define NETFRONT_RX_SLOTS __CONST_RING_SIZE(netif_rx, NETFRONT_PAGE_SIZE)
/* The first tx request's size field is 16 bits: no frame can be longer. */
#define NETFRONT_TX_FRAME_MAX 0xffffu
/* Frames that may wait for tx slots (netfront_tx_send). */
#define NETFRONT_TX_HOLD 32u
/* Tx responses per completion event (see netfront_tx_reap). */
#define NETFRONT_TX_EVENT_BATCH (NETFRONT_TX_SLOTS / 2)
/* A received frame: an IPv4 packet of at most 64 KiB behind an Ethernet header. */
#define NETFRONT_RX_FRAME_MAX (0xffffu + 14u)
/* Response slots one received frame may use, data and error slots alike (netback needs at most
 * XEN_NETIF_NR_SLOTS_MIN); extra-info slots are bounded apart. */
#define NETFRONT_RX_SLOTS_PER_FRAME (XEN_NETIF_NR_SLOTS_MIN + 1u)
/* Extra-info slots one frame may carry: one per defined type. */
#define NETFRONT_EXTRAS_PER_FRAME (XEN_NETIF_EXTRA_TYPE_MAX - 1u)
/* How long a frame whose last slots have not arrived may hold the ring. netback pushes a frame's
 * slots together (at most a copy batch apart), so this is generous even on a loaded dom0. */
#define NETFRONT_RX_PARTIAL_WAIT_NS (2ull * 1000000000ull)

/* Pages of one connection of a queue whose grant would not end once the backend had answered
 * them (it still maps them), beyond which the queue is broken (broken_rx_held_pages). Each such
 * page goes to the grant quarantine (xen/grants.h) while its slot already holds a fresh grant,
 * so it is a grant reference over the queue's NETFRONT_GRANTS_PER_QUEUE and, while connected,
 * over the device's NETFRONT_GRANT_CAP (xen/netfront_conn.h), which counts it only at the next
 * connection. netback copies into our pages (GNTTABOP_copy) and never maps them, so any such page
 * is a backend fault; one maximal frame's pages are tolerated (a backend that unmaps just after
 * it answers), and with NETFRONT_MAX_QUEUES queues the device's overshoot of the cap stays at
 * 2 x 19 = 38 references (under 4% of the cap's 1028, 2% of the 2040-entry table, so blkfront
 * keeps its share), far below a ring's NETFRONT_RX_SLOTS pages: a backend that keeps every page
 * it answered is stopped after 19, not when the table runs dry. */
#define NETFRONT_RX_HELD_PAGES_MAX NETFRONT_RX_SLOTS_PER_FRAME
_Static_assert(NETFRONT_RX_HELD_PAGES_MAX < NETFRONT_RX_SLOTS / 8u,
               "the pages a backend may keep are a small part of a ring");

/* The rules a backend's responses can break; each has a counter broken_<rule>, and
 * netfront_break_name gives the rule's name for the log. */
#define NETFRONT_BREAK_REASONS(X)                                                           \
    X(broken_rx_producer)      /* rx response producer outside our outstanding requests */  \
    X(broken_rx_bad_id)        /* rx response id is not the slot posted at that index */    \
    X(broken_rx_bad_status)    /* rx status below NETIF_RSP_DROPPED */                      \
    X(broken_rx_bad_offset)    /* rx offset + length past the page */                       \
    X(broken_rx_slot_overrun)  /* a frame spans more than NETFRONT_RX_SLOTS_PER_FRAME */    \
    X(broken_rx_error_chain)   /* ... with error slots chained by NETRXF_more_data */       \
    X(broken_rx_too_long)      /* a frame longer than NETFRONT_RX_FRAME_MAX */              \
    X(broken_rx_bad_extra)     /* extra info: unknown type, bad GSO, too many, misplaced */ \
    X(broken_rx_gso_prefix)    /* NETRXF_gso_prefix, never requested */                     \
    X(broken_rx_partial_stall) /* a frame's last slots missing NETFRONT_RX_PARTIAL_WAIT_NS */ \
    X(broken_rx_held_pages)    /* answered pages still mapped: see NETFRONT_RX_HELD_PAGES_MAX */\
    X(broken_tx_producer)      /* tx response producer outside our outstanding requests */  \
    X(broken_tx_not_in_flight) /* tx response for an id not in flight */                   \
    X(broken_tx_bad_status)    /* tx status not OKAY/ERROR/DROPPED */                       \
    X(broken_tx_stray_null)    /* NETIF_RSP_NULL with no extra-info request outstanding */

enum netfront_break {
    NETFRONT_BREAK_NONE,
#define NETFRONT_BREAK_ENUM(name) NETFRONT_##name,
    NETFRONT_BREAK_REASONS(NETFRONT_BREAK_ENUM)
#undef NETFRONT_BREAK_ENUM
};

/* "rx_error_chain" for NETFRONT_broken_rx_error_chain; "none" for NETFRONT_BREAK_NONE. */
const char *netfront_break_name(enum netfront_break reason);

/* Per-queue counters (X-macro so that names print). */
#define NETFRONT_QUEUE_COUNTERS(X)                                                         \
    X(tx_frames)          /* frames put on the ring */                                     \
    X(tx_slots)           /* data slots they used */                                      \
    X(tx_gso)             /* frames sent as TSO (with a GSO extra) */                     \
    X(tx_csum_blank)      /* frames whose checksum the backend completes */               \
    X(tx_held)            /* frames that waited for a ring slot or pool page */           \
    X(tx_hold_dropped)    /* frames dropped: ring, pool and holding queue all full */     \
    X(tx_completed)       /* requests answered */                                         \
    X(tx_backend_errors)  /* answered NETIF_RSP_ERROR or NETIF_RSP_DROPPED */             \
    X(tx_notify)          /* kicks to the backend after pushing tx requests */            \
    X(rx_frames)          /* frames handed up */                                          \
    X(rx_slots)           /* data slots they came in */                                   \
    X(rx_gso)             /* frames that came with a GSO extra (large receives) */        \
    X(rx_csum_valid)      /* frames the backend vouched for (data_validated/csum_blank) */\
    X(rx_backend_errors)  /* frames the backend answered with an error status */          \
    X(rx_runts)           /* frames shorter than an Ethernet header, dropped */           \
    X(rx_no_buffer)       /* frames dropped: no packet buffer */                          \
    X(rx_notify)          /* kicks to the backend after posting rx requests */            \
    X(rx_handed_up)       /* frames handed up in their own pages, not copied */           \
    X(rx_copied)          /* frames copied into a packet buffer */                        \
    X(rx_multi_handed_up) /* multi-slot frames handed up as a chain of their pages */     \
    X(rx_multi_copied)    /* multi-slot frames copied */                                  \
    X(rx_copy_no_page)    /* ... because the pool had no fresh page for the slot */       \
    X(rx_copy_end_busy)   /* ... because the grant would not end (page abandoned) */      \
    X(rx_held_pages)      /* answered pages whose grant would not end (quarantined) */    \
    X(bad_responses)      /* responses refused (the queue is broken from then on) */      \
    NETFRONT_BREAK_REASONS(X)

struct netfront_queue_stats {
#define NETFRONT_QUEUE_STAT_FIELD(name) uint64_t name;
    NETFRONT_QUEUE_COUNTERS(NETFRONT_QUEUE_STAT_FIELD)
#undef NETFRONT_QUEUE_STAT_FIELD
};

/* How received pages are handed up instead of copied (the device's page pool and grants). */
struct netfront_rx_handoff {
    /* A fresh zeroed page granted read-write to the backend, to post in ring slot `slot` in
     * place of the page handed up (the device records it as the slot's page); its reference
     * in *gref. NULL when the bounded pool has none: the frame is copied. */
    uint8_t *(*replace_page)(void *ctx, unsigned slot, uint32_t *gref);
    /* Ends the grant of a page that was posted: 0 when the backend can no longer map it,
     * -EBUSY when it still does. */
    int (*end_grant)(void *ctx, uint32_t gref);
    /* A page a slot gave up (replace_page) that is not lent after all (its frame was copied or
     * dropped): back to the device's pool as a spare once its grant ended (`ended`: end_grant
     * already said so; else it is tried now), or, when the grant will not end, to the grant
     * quarantine, never reused by the ring or the stack. */
    void (*retire)(void *ctx, uint8_t *page, uint32_t gref, bool ended);
    /* A packet from `pool` on the bytes [offset, offset + len) of page (its grant ended): the
     * page goes back to the device's pool when the packet's last reference goes. NULL when no
     * packet descriptor is left (the page is back in the pool then). */
    struct pbuf *(*lend)(void *ctx, struct pbuf_pool *pool, uint8_t *page, unsigned offset,
                         unsigned len);
    void *ctx;
};

/* What was negotiated, as far as the rings are concerned. */
struct netfront_queue_features {
    bool tx_csum;            /* we may send NETTXF_csum_blank (backend did not refuse offload) */
    bool tx_sg;              /* frames may span several slots (feature-sg) */
    bool tx_gso;             /* TSO frames with a GSO extra (feature-gso-tcpv4) */
    bool rx_csum;            /* mark frames the backend validated as PBUF_F_CSUM_VERIFIED */
};

struct netfront_queue {
    unsigned index;
    netif_tx_front_ring_t tx;
    netif_rx_front_ring_t rx;
    struct netfront_queue_features features;
    /* Transmit pool: page i has grant tx_gref[i]; free ids are a stack. */
    uint8_t *tx_page[NETFRONT_TX_SLOTS];
    uint32_t tx_gref[NETFRONT_TX_SLOTS];
    uint16_t tx_free[NETFRONT_TX_SLOTS];
    unsigned tx_free_count;
    bool tx_busy[NETFRONT_TX_SLOTS];
    unsigned tx_extras_in_flight;   /* extra-info requests whose NULL answer is still due */
    /* Frames waiting for slots, oldest at tx_held_first (a circular queue); ours. */
    struct pbuf *tx_held[NETFRONT_TX_HOLD];
    unsigned tx_held_first, tx_held_count;
    /* Receive pages, one per ring slot; with a handoff, frames leave in their page. */
    uint8_t *rx_page[NETFRONT_RX_SLOTS];
    uint32_t rx_gref[NETFRONT_RX_SLOTS];
    const struct netfront_rx_handoff *rx_handoff;   /* NULL: every frame is copied */
    /* Receive progress: responses up to rx_examined were looked at by a poll; while
     * rx_partial, the frame at rx_partial_cons is incomplete since rx_partial_since. */
    RING_IDX rx_examined;
    bool rx_partial;
    RING_IDX rx_partial_cons;
    uint64_t rx_partial_since;
    struct netfront_queue_stats stats;
    bool broken;
    enum netfront_break break_reason;
    char why[112];           /* the first bad response, for the log */
};

/* Initializes the shared rings (tx_sring and rx_sring: one zeroed-or-not page each) and the
 * pools from the given pages and their grant references. */
void netfront_queue_init(struct netfront_queue *q, unsigned index, netif_tx_sring_t *tx_sring,
                         netif_rx_sring_t *rx_sring, uint8_t *const tx_pages[],
                         const uint32_t tx_grefs[], uint8_t *const rx_pages[],
                         const uint32_t rx_grefs[], const struct netfront_queue_features *f);

/* Posts a request for every free rx slot. Returns true when the backend must be kicked. */
bool netfront_rx_refill(struct netfront_queue *q);

/* Copies frame p onto the ring (p stays the caller's). 0 with *notify telling whether to kick
 * the backend; -ENOBUFS when ring or pool is full (reap completions and retry, or drop);
 * -EMSGSIZE for a frame that cannot be sent (too long, several pages without feature-sg);
 * -EINVAL for an empty frame or a TSO frame without TSO; -EPIPE when the queue is broken. */
int netfront_tx_frame(struct netfront_queue *q, const struct pbuf *p, bool *notify);

/* Sends frame p, taking it: on the ring at once, or, when ring or pool is full (or frames wait
 * already: the order is kept), into the holding queue. 0 with *notify telling whether to kick the
 * backend; -ENOBUFS when the holding queue was full too (p dropped, counted); -EMSGSIZE, -EINVAL,
 * -EPIPE as netfront_tx_frame; -EPROTO when taking responses found a bad one (queue broken). */
int netfront_tx_send(struct netfront_queue *q, struct pbuf *p, bool *notify);

/* Takes tx responses and sends held frames in order while they fit; while frames still wait,
 * asks the backend for an event at its next response. 0 with *notify, or -EPROTO as
 * netfront_tx_reap. */
int netfront_tx_progress(struct netfront_queue *q, bool *notify);

/* Frees the held frames (the queue is going away); returns how many. */
unsigned netfront_tx_hold_flush(struct netfront_queue *q);

/* Takes every tx response, returning pages to the pool. Number of requests completed, or
 * -EPROTO on a bad response (the queue is broken). Asks the backend for its next tx event only
 * after NETFRONT_TX_EVENT_BATCH more responses: completions are batched, not signalled one by
 * one. */
int netfront_tx_reap(struct netfront_queue *q);

/* Takes up to `budget` received frames: each is handed up in its pages (rx_handoff set) or
 * copied into a packet from `pool`, and given to deliver(ctx, p), which owns it. The slots are
 * posted again; *notify says whether to kick the backend. now_ns (monotonic) times a partial
 * frame at the producer index. Returns the number of frames taken (budget means more may be
 * waiting), or -EPROTO on a bad response or past NETFRONT_RX_HELD_PAGES_MAX (the queue is
 * broken; frames taken before it, and the frame that passed the bound, were delivered). Below budget, nothing more can be taken until
 * the backend writes (or netfront_rx_partial_deadline passes). */
int netfront_rx_poll(struct netfront_queue *q, struct pbuf_pool *pool, unsigned budget,
                     void (*deliver)(void *ctx, struct pbuf *p), void *ctx, uint64_t now_ns,
                     bool *notify);

/* True when rx responses no poll has looked at yet are waiting (when not, asks the backend for
 * an event on the next). False for a broken queue, and for a partial frame already seen. */
bool netfront_rx_pending(struct netfront_queue *q);

/* When a poll must look again at a partial frame (to break the queue if it is still partial):
 * 0 when no frame is partial. */
uint64_t netfront_rx_partial_deadline(const struct netfront_queue *q);

/* Requests outstanding on each ring (sent or posted, not yet answered). */
unsigned netfront_tx_in_flight(const struct netfront_queue *q);

#endif
