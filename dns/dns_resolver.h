/*
 * dns/dns_resolver: the stub resolver's parts (its interface is public: xenolith/dns.h):
 *   dns_answer.c    what an answer message says for a name and type (records, a CNAME to follow,
 *                   NXDOMAIN, NODATA) and for how long: pure, unit-tested on its own
 *   dns_cache.c     answers kept for their TTL, negative ones per RFC 2308
 *   dns_exchange.c  one question to one server: UDP with RFC 5452 matching, TCP when truncated
 *   dns_resolver.c  the public calls: servers, rounds and back-off, CNAME chains, counters
 */
#ifndef XENOLITH_DNS_DNS_RESOLVER_H
#define XENOLITH_DNS_DNS_RESOLVER_H

#include "dns/dns_wire.h"
#include "xenolith/dns.h"

/* ---- dns_answer.c ---- */

/* Reads what msg (a checked answer) says about *name's records of type, as seen age_s seconds
 * after it arrived. Records of the type owned by *name, after following CNAMEs inside the message
 * (res->cnames counts them, bounded by DNS_CNAME_MAX), go to res (count, rr[], ttl; TTLs less
 * age_s). Returns the number of records (> 0); 0 when the chain leaves the message (*name is now
 * the name to ask next); -DNS_ENXDOMAIN; -ENODATA; -DNS_ECNAMELOOP; -EBADMSG. *ttl is how long the
 * message's verdict holds from now: the least TTL of the records and CNAMEs used, or for NXDOMAIN
 * and NODATA the authority SOA's min(TTL, MINIMUM) (RFC 2308 5), 0 without an SOA. */
int dns_answer_read(const uint8_t *msg, size_t len, struct dns_name *name, uint16_t type,
                    uint32_t age_s, struct dns_result *res, uint32_t *ttl);
/* Whether msg answers the question (name without regard to case, type, class IN): the reader
 * positioned after it. */
bool dns_answer_matches(struct dns_reader *rd, const struct dns_name *name, uint16_t type);

/* ---- dns_cache.c ---- */

struct dns_cache_entry {
    struct dns_name name;
    uint16_t type;
    uint16_t len;
    uint64_t stored_ns;
    uint64_t expires_ns;
    uint8_t *msg;            /* kmalloc'd copy of the answer; NULL: the slot is free */
};

struct dns_cache {
    struct dns_cache_entry entries[DNS_CACHE_ENTRIES];
};

/* The live entry for (name, type) at now_ns, or NULL (an expired one is freed on the way). */
const struct dns_cache_entry *dns_cache_find(struct dns_cache *c, const struct dns_name *name,
                                             uint16_t type, uint64_t now_ns);
/* Keeps a copy of msg for ttl_s seconds (0: not kept; capped as xenolith/dns.h says by the
 * caller). Returns true when a live entry was evicted to make room. */
bool dns_cache_store(struct dns_cache *c, const struct dns_name *name, uint16_t type,
                     const uint8_t *msg, size_t len, uint32_t ttl_s, uint64_t now_ns);
void dns_cache_flush(struct dns_cache *c);

/* ---- dns_exchange.c ---- */

struct dns_resolver {
    struct netstack *stack;
    unsigned nservers;       /* 0: the stack's servers */
    uint32_t servers[DNS_RESOLVER_MAX_SERVERS];
    struct dns_cache cache;
    struct dns_resolver_stats stats;
};

/* An answer from one server for one question. */
struct dns_exchange {
    struct dns_resolver *r;
    const struct dns_name *name;
    uint16_t type;
    uint32_t server;
    bool edns;
    uint8_t *msg;            /* kmalloc'd answer (the caller frees it) */
    size_t len;
};

/* Asks over UDP until `until`: 0 with x->msg an answer that passed the RFC 5452 checks and the
 * codec (its rcode and TC are the caller's), -ETIMEDOUT, -EBADMSG (malformed from the server),
 * or a socket error. */
int dns_exchange_udp(struct dns_exchange *x, uint64_t until);
/* Asks over TCP (RFC 7766) until `until`; as above, x->msg replaced. */
int dns_exchange_tcp(struct dns_exchange *x, uint64_t until);

#endif
