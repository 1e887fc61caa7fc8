/*
 * net/ip_reass: IPv4 reassembly (RFC 791 section 3.2, RFC 1122 3.3.2) as a self-contained engine.
 * It knows nothing of packet buffers or timers: ipv4.c hands it each fragment's header and
 * payload bytes with the current time, and arms one timer for ip_reass_next_deadline().
 *
 * Rules it enforces (each one bounds what a hostile peer can make us hold or accept):
 *  - Overlaps: RFC 5722's rule for IPv6, applied to IPv4. A fragment that overlaps data already
 *    held discards the whole datagram, and the datagram's key is remembered ("poisoned") until
 *    its timer runs out so later fragments of it are dropped too. Overlapping fragments can never
 *    rewrite bytes already checked (e.g. a transport header). The one exception: an exact
 *    duplicate (same offset, same length, same bytes) is ignored, since duplication is normal.
 *  - Sizes: a non-final fragment carries a non-zero multiple of 8 bytes (RFC 791); no fragment is
 *    empty; the datagram's total length, the FIRST fragment's header plus every payload byte
 *    (RFC 791 3.2, RFC 815), may not pass 65535 (the "ping of death"). Until fragment zero
 *    arrives its header counts as 20 bytes; when it arrives, what is already held is checked
 *    against its real length. The final fragment fixes the length and anything inconsistent
 *    with it poisons the datagram.
 *  - Memory: a datagram is charged the payload bytes it has received, never the reach of its
 *    highest offset (a lone 8-byte fragment at offset 65000 costs 8 bytes); the whole buffer is
 *    only built at completion. Limits: fragments per datagram, datagrams in progress or poisoned
 *    (max_datagrams), payload bytes held in total (max_bytes), and time.
 *  - Fair eviction: when a slot or bytes are needed, a poisoned entry goes first, then the least
 *    complete datagram (fewest bytes received, oldest of equals), and only one strictly less
 *    complete than the datagram that needs the room would then be. Otherwise the newcomer is
 *    refused (no_slot) or the growing datagram dropped (over_budget): spoofed sparse fragments
 *    can never push out a reassembly that has received more than they carry.
 *  - Time: a fixed IP_REASS_DEFAULT_TIMEOUT_NS from the first fragment, not extended by later
 *    ones (RFC 1122 3.3.2: a fixed value, not derived from TTL), so a trickle of fragments cannot
 *    pin memory. We use RFC 791's recommended initial timer, 15 s, rather than RFC 1122's
 *    suggested 60-120 s: fragments of one datagram arrive within milliseconds on any path we
 *    serve, and a shorter timer limits how long a flood of incomplete datagrams holds the slots.
 */
#ifndef XENOLITH_NET_IP_REASS_H
#define XENOLITH_NET_IP_REASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/list.h"

#define IP_REASS_DEFAULT_MAX_DATAGRAMS 32
/* 64 fragments carry a 65535-byte datagram over any MTU of 1100 bytes or more. */
#define IP_REASS_DEFAULT_MAX_FRAGMENTS 64
#define IP_REASS_DEFAULT_MAX_BYTES (256u * 1024)
#define IP_REASS_DEFAULT_TIMEOUT_NS (15ull * 1000000000ull)

/* The largest datagram IPv4 can describe, header included. */
#define IP_REASS_MAX_DATAGRAM 65535u
#define IP_REASS_MAX_HEADER 60u

/* Counters, printable by name. */
#define IP_REASS_STATS(X) \
    X(fragments)          /* fragments handed to the engine */ \
    X(reassembled)        /* datagrams completed */ \
    X(duplicates)         /* exact duplicates ignored */ \
    X(overlaps)           /* datagrams discarded for an overlap */ \
    X(malformed)          /* empty or misaligned fragments */ \
    X(too_big)            /* would end past 65535 bytes */ \
    X(inconsistent)       /* disagrees with the final fragment's length */ \
    X(too_many_fragments) /* per-datagram fragment limit */ \
    X(poisoned_drops)     /* fragments of a datagram already discarded */ \
    X(evicted)            /* less complete datagrams dropped to make room (slot or bytes) */ \
    X(no_slot)            /* new datagrams refused: every slot holds a more complete one */ \
    X(over_budget)        /* a datagram that could not grow within the byte budget */ \
    X(timeouts)           /* datagrams that ran out of time */ \
    X(no_memory)          /* allocation failures */

struct ip_reass_stats {
#define IP_REASS_STAT_FIELD(name) uint64_t name;
    IP_REASS_STATS(IP_REASS_STAT_FIELD)
#undef IP_REASS_STAT_FIELD
};

struct ip_reass_limits {
    uint32_t max_datagrams;     /* in progress or poisoned, at once */
    uint32_t max_fragments;     /* per datagram */
    uint32_t max_bytes;         /* payload bytes received and held, across all datagrams */
    uint64_t timeout_ns;
};

/* RFC 791: fragments belong together when source, destination, protocol and identification
 * agree. Addresses are the 4 wire bytes. */
struct ip_reass_key {
    uint8_t src[4];
    uint8_t dst[4];
    uint16_t id;
    uint8_t protocol;
};

struct ip_reass_fragment {
    const uint8_t *header;      /* the fragment's IPv4 header, options included */
    size_t header_len;          /* 20..60 */
    const uint8_t *payload;
    size_t payload_len;
    uint32_t offset;            /* in bytes (the header field times 8) */
    bool more_fragments;
};

/* A reassembled datagram: the first fragment's header (total length set, MF and offset cleared,
 * checksum field zero: the caller recomputes it if it needs one) followed by the payload. */
struct ip_reass_datagram {
    uint8_t *data;
    size_t len;
    size_t header_len;
    void *allocation;           /* what ip_reass_datagram_release frees */
};

enum ip_reass_result {
    IP_REASS_HELD,              /* kept, datagram not complete yet */
    IP_REASS_COMPLETE,          /* *out holds the whole datagram */
    IP_REASS_DUPLICATE,         /* identical to one already held; ignored */
    IP_REASS_DROPPED,           /* refused; a counter says why */
};

typedef void (*ip_reass_expired_fn)(void *ctx, const struct ip_reass_key *key,
                                    const uint8_t *quote, size_t quote_len);

struct ip_reass {
    struct ip_reass_limits limits;
    struct list_node datagrams; /* oldest first */
    uint32_t datagram_count;
    uint32_t bytes_held;        /* payload bytes received by the datagrams in progress */
    struct ip_reass_stats stats;
    ip_reass_expired_fn expired_fn;
    void *expired_ctx;
};

/* limits NULL: the defaults above. */
void ip_reass_init(struct ip_reass *r, const struct ip_reass_limits *limits);
/* Frees everything held. */
void ip_reass_destroy(struct ip_reass *r);

enum ip_reass_result ip_reass_add(struct ip_reass *r, const struct ip_reass_key *key,
                                  const struct ip_reass_fragment *frag, uint64_t now_ns,
                                  struct ip_reass_datagram *out);
void ip_reass_datagram_release(struct ip_reass_datagram *d);

/* Set once after init: fn is called for each datagram that timed out after its first fragment
 * (offset 0) had arrived and was not poisoned; `quote` is that fragment's header and the first
 * payload bytes (at most 8), what an ICMP Time Exceeded (code 1) message carries (RFC 792,
 * RFC 1122 3.3.2). */
void ip_reass_set_expired_handler(struct ip_reass *r, ip_reass_expired_fn fn, void *ctx);
/* Drops every datagram whose time has run out by now_ns (ip_reass_add does this too, so a stale
 * datagram never absorbs new fragments). Returns how many. */
unsigned ip_reass_expire(struct ip_reass *r, uint64_t now_ns);
/* The earliest deadline held, or UINT64_MAX when nothing is held. */
uint64_t ip_reass_next_deadline(const struct ip_reass *r);

#endif
