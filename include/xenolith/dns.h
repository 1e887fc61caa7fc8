/*
 * xenolith/dns.h: the stub resolver. An application asks a name's records of one type from a
 * fiber; the resolver asks the recursive servers of its stack (the DHCP lease's option 6, or the
 * dns= boot options; xenolith/net.h) and caches what they say.
 *
 *   struct dns_resolver *r = dns_resolver_create(netup_stack(&net));
 *   struct dns_result *res = kmalloc(sizeof(*res));
 *   int n = dns_resolve(r, "db.example.internal", DNS_TYPE_A, platform_monotonic_ns() + 5 * NS_PER_S, res);
 *   if (n > 0) connect to res->rr[0].rd.a ...   else dns_strerror(n)
 *
 * What a query does (docs/DNS.md, "Resolver"):
 *   - one question, RD set, an EDNS(0) OPT record offering DNS_RESOLVER_UDP_SIZE bytes (RFC 6891);
 *     a server answering FORMERR to it is asked again without (RFC 6891 7);
 *   - each attempt from a new UDP socket on a random ephemeral port with a random 16-bit ID
 *     (RFC 5452 9.2); an answer counts only if it comes from the server's address and port 53 to
 *     that port, carries the ID, QR, and the same question (name case ignored, type, class)
 *     (RFC 5452 9.1); anything else is ignored, counted as spoofed, and the wait goes on;
 *   - attempts go round the servers in order, DNS_RESOLVER_ROUNDS rounds, the wait doubling each
 *     round from DNS_RESOLVER_TIMEOUT_NS (RFC 1536 1: back off exponentially), never past the
 *     caller's deadline; SERVFAIL, REFUSED, NOTIMP or a malformed answer move on to the next
 *     server;
 *   - an answer with TC set is asked again over TCP of the same server, the message framed by its
 *     2-byte length (RFC 7766 5, RFC 1035 4.2.2), within DNS_RESOLVER_TCP_TIMEOUT_NS;
 *   - CNAMEs are followed, in the answer and by new queries, at most DNS_CNAME_MAX links;
 *   - answers are cached for their TTL (the smallest of the records used; RFC 1035 3.2.1, RFC 2181
 *     5.2), NXDOMAIN and NODATA for the SOA's TTL bounded by its MINIMUM (RFC 2308 5) and at most
 *     DNS_NEGATIVE_TTL_MAX; answers without an SOA are not cached negatively. A cached answer's
 *     TTLs count down;
 *   - a shutdown request (xenolith/app.h) ends a resolution in progress at once with -ESHUTDOWN
 *     (a shutdown request hook closes the socket or resets the connection it waits on), so an
 *     application stops within its grace period.
 *
 * Part of the dns library (APP_LIBS += net dns). Errors are negative values: errno (lib/errno.h)
 * or the DNS_E* below; dns_strerror names both.
 */
#ifndef XENOLITH_PUBLIC_DNS_H
#define XENOLITH_PUBLIC_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xenolith/dns_wire.h"
#include "xenolith/net.h"

#define DNS_RESOLVER_UDP_SIZE 1232u          /* the EDNS(0) payload we offer */
#define DNS_RESOLVER_ROUNDS 3u               /* times round the server list */
#define DNS_RESOLVER_TIMEOUT_NS 1000000000ull /* first wait for an answer; doubles per round */
#define DNS_RESOLVER_TCP_TIMEOUT_NS 5000000000ull /* a TCP exchange after TC, connect included */
#define DNS_RESOLVER_MAX_SERVERS 3u
#define DNS_CNAME_MAX 8u                     /* CNAME links followed */
#define DNS_CACHE_ENTRIES 64u
#define DNS_CACHE_TTL_MAX 86400u             /* seconds; longer TTLs are cut to this */
#define DNS_NEGATIVE_TTL_MAX 10800u          /* RFC 2308 5: negative caching beyond 3 h is unwise */
#define DNS_RESULT_MAX 8u                    /* records a result holds */

/* The resolver's own errors (negative, beyond errno's range). */
#define DNS_ENOSERVERS 4001  /* the stack has no DNS server (no dns=, no DHCP option 6 yet) */
#define DNS_ENXDOMAIN 4002   /* the name does not exist (RCODE 3, RFC 1035 4.1.1) */
#define DNS_ESERVFAIL 4003   /* every server failed (SERVFAIL, NOTIMP or malformed answers) */
#define DNS_EREFUSED 4004    /* every server refused */
#define DNS_ECNAMELOOP 4005  /* the CNAME chain is longer than DNS_CNAME_MAX */
/* and: -ENODATA (the name exists, without records of this type), -ETIMEDOUT (no answer before
 * the deadline or after every attempt), -EINVAL (a malformed name, type 0, OPT or ANY),
 * -ENOMEM, -ENETUNREACH (the stack has no address yet), -ESHUTDOWN (the machine is stopping). */

/* What dns_resolve found: the records of the type asked, owned by `name` (the question's name,
 * or the end of its CNAME chain). */
struct dns_result {
    struct dns_name name;
    unsigned cnames;             /* CNAME links followed */
    unsigned count;              /* records in the answer (only DNS_RESULT_MAX are in rr[]) */
    uint32_t ttl;                /* seconds the answer stays valid: the least of its TTLs */
    bool from_cache;             /* answered without asking a server */
    struct dns_rr rr[DNS_RESULT_MAX];
};

#define DNS_RESOLVER_COUNTERS(X)                                                               \
    X(queries)            /* questions sent (first attempts), over UDP */                        \
    X(retries)            /* attempts after the first, any server */                             \
    X(answers)            /* accepted answers */                                                 \
    X(spoofed)            /* datagrams ignored: wrong server, port, ID or question */            \
    X(malformed)          /* answers the codec refused */                                        \
    X(tcp_fallbacks)      /* truncated answers asked again over TCP */                           \
    X(tcp_failures)       /* TCP connections or exchanges that failed */                         \
    X(edns_fallbacks)     /* servers asked again without EDNS(0) */                               \
    X(timeouts)           /* attempts without an answer in time */                               \
    X(server_errors)      /* SERVFAIL, REFUSED, NOTIMP answers */                                 \
    X(nxdomain)                                                                                \
    X(nodata)                                                                                  \
    X(cache_hits)                                                                              \
    X(cache_negative_hits)                                                                     \
    X(cache_misses)                                                                            \
    X(cache_evictions)    /* live entries pushed out by new ones */                              \
    X(cname_links)        /* CNAMEs followed */                                                  \
    X(cname_too_long)

struct dns_resolver_stats {
#define DNS_RESOLVER_STAT_FIELD(name) uint64_t name;
    DNS_RESOLVER_COUNTERS(DNS_RESOLVER_STAT_FIELD)
#undef DNS_RESOLVER_STAT_FIELD
};

/* Opaque. */
struct dns_resolver;

/* A resolver on stack s (which must outlive it), with an empty cache. NULL when out of memory.
 * Context: fiber or loop. */
struct dns_resolver *dns_resolver_create(struct netstack *s);
/* Frees the resolver and its cache. No fiber may be inside dns_resolve on it. */
void dns_resolver_destroy(struct dns_resolver *r);
/* Servers to ask instead of the stack's (network order; count 0: the stack's again). Returns 0 or
 * -EINVAL (more than DNS_RESOLVER_MAX_SERVERS, an address 0). Context: fiber or loop. */
int dns_resolver_set_servers(struct dns_resolver *r, const uint32_t *servers, unsigned count);
/* The servers a query would ask now: the ones set, or the stack's current ones. Returns their
 * number (at most max are copied). Context: fiber or loop. */
unsigned dns_resolver_servers(const struct dns_resolver *r, uint32_t *out, unsigned max);

/* Resolves `name` (text, "a.example" or "a.example.") for records of `type` (DNS_TYPE_A, ...,
 * never OPT or ANY) in class IN, blocking the calling fiber until the answer or deadline_ns
 * (monotonic; DEADLINE_NONE: the attempts alone bound it). Returns the number of records (> 0)
 * with *out filled, or a negative error (above). Any number of fibers may resolve at once on one
 * resolver. Context: fiber only. */
int dns_resolve(struct dns_resolver *r, const char *name, uint16_t type, uint64_t deadline_ns,
                struct dns_result *out);
/* The first IPv4 address of name (network order) in *addr, through dns_resolve: 0 or its error.
 * Context: fiber only. */
int dns_resolve_ipv4(struct dns_resolver *r, const char *name, uint64_t deadline_ns, uint32_t *addr);

/* Empties the cache. Context: fiber or loop. */
void dns_resolver_flush(struct dns_resolver *r);
/* The counters; printed as "dns.queries 3" lines. Context: fiber or loop. */
const struct dns_resolver_stats *dns_resolver_stats(const struct dns_resolver *r);
void dns_resolver_print_stats(const struct dns_resolver *r);

/* "NXDOMAIN: the name does not exist", "timed out", ... for any error dns_resolve returns.
 * Context: any. */
const char *dns_strerror(int err);

#endif
