/*
 * dns/dns_resolver: the stub resolver's public calls (xenolith/dns.h): which servers, the rounds
 * of attempts with back-off across them, what each answer's rcode and TC bit lead to, the cache,
 * CNAME chains across queries, and the counters.
 */
#include "dns/dns_resolver.h"

#include "lib/counters.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "net/stack.h"
#include "xenolith/app.h"
#include "xenolith/mem.h"
#include "xenolith/time.h"

struct dns_resolver *dns_resolver_create(struct netstack *s)
{
    struct dns_resolver *r = kcalloc(1, sizeof(*r));
    if (r)
        r->stack = s;
    return r;
}

void dns_resolver_destroy(struct dns_resolver *r)
{
    if (!r)
        return;
    dns_cache_flush(&r->cache);
    kfree(r);
}

int dns_resolver_set_servers(struct dns_resolver *r, const uint32_t *servers, unsigned count)
{
    if (count > DNS_RESOLVER_MAX_SERVERS)
        return -EINVAL;
    for (unsigned i = 0; i < count; i++)
        if (servers[i] == 0)
            return -EINVAL;
    memcpy(r->servers, servers, count * sizeof(servers[0]));
    r->nservers = count;
    return 0;
}

unsigned dns_resolver_servers(const struct dns_resolver *r, uint32_t *out, unsigned max)
{
    const uint32_t *list = r->servers;
    unsigned n = r->nservers;
    if (n == 0) {
        /* the stack's: dns= options or the DHCP lease's option 6, whichever configured it */
        const struct netif *nif = &r->stack->ipv4.netif;
        list = nif->ipv4.dns;
        n = nif->configured ? nif->ipv4.dns_count : 0;
    }
    for (unsigned i = 0; i < n && i < max; i++)
        out[i] = list[i];
    return n;
}

void dns_resolver_flush(struct dns_resolver *r)
{
    dns_cache_flush(&r->cache);
}

const struct dns_resolver_stats *dns_resolver_stats(const struct dns_resolver *r)
{
    return &r->stats;
}

void dns_resolver_print_stats(const struct dns_resolver *r)
{
    COUNTERS_PRINT("dns", NULL, DNS_RESOLVER_COUNTERS, r->stats);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* What an answer's rcode means for the attempts: 0 done, 1 ask the same server again without
 * EDNS, or the error that puts the server aside. */
static int judge_rcode(struct dns_resolver *r, struct dns_exchange *x)
{
    unsigned rcode = DNS_FLAGS_RCODE(x->msg[3]);
    if (rcode == DNS_RCODE_NOERROR || rcode == DNS_RCODE_NXDOMAIN)
        return 0;
    if (rcode == DNS_RCODE_FORMERR && x->edns) {
        r->stats.edns_fallbacks++; /* RFC 6891 7: a server without EDNS(0) */
        return 1;
    }
    r->stats.server_errors++;
    return rcode == DNS_RCODE_REFUSED ? -DNS_EREFUSED : -DNS_ESERVFAIL;
}

/*
 * Asks the servers for (name, type) until one answers NOERROR or NXDOMAIN: DNS_RESOLVER_ROUNDS
 * rounds over the servers in order, the wait doubling each round (RFC 1536 1), never past the
 * deadline. A server that answered with an error, or malformed, is not asked again. Returns 0
 * with *msg (kmalloc'd) and *len, or the error of the last server, or -ETIMEDOUT.
 */
static int ask_servers(struct dns_resolver *r, const struct dns_name *name, uint16_t type,
                       uint64_t deadline, uint8_t **msg, size_t *len)
{
    uint32_t servers[DNS_RESOLVER_MAX_SERVERS];
    unsigned n = dns_resolver_servers(r, servers, DNS_RESOLVER_MAX_SERVERS);
    if (n > DNS_RESOLVER_MAX_SERVERS)
        n = DNS_RESOLVER_MAX_SERVERS;
    if (n == 0)
        return -DNS_ENOSERVERS;
    bool set_aside[DNS_RESOLVER_MAX_SERVERS] = {false};
    bool no_edns[DNS_RESOLVER_MAX_SERVERS] = {false};
    int last_error = -ETIMEDOUT;
    unsigned attempts = 0, aside = 0;
    for (unsigned round = 0; round < DNS_RESOLVER_ROUNDS && aside < n; round++) {
        uint64_t wait = DNS_RESOLVER_TIMEOUT_NS << round;
        for (unsigned i = 0; i < n && aside < n; i++) {
            if (set_aside[i])
                continue;
            uint64_t now = platform_monotonic_ns();
            if (lifecycle_shutdown_requested())
                return -ESHUTDOWN;
            if (now >= deadline)
                return -ETIMEDOUT;
            if (attempts++ == 0)
                r->stats.queries++;
            else
                r->stats.retries++;
            struct dns_exchange x = {.r = r, .name = name, .type = type, .server = servers[i],
                                     .edns = !no_edns[i]};
            int err = dns_exchange_udp(&x, min_u64(now + wait, deadline));
            if (err == 0 && (x.msg[2] & (DNS_FLAG_TC >> 8))) {
                /* RFC 7766 5 / RFC 2181 9: the whole answer over TCP */
                r->stats.tcp_fallbacks++;
                err = dns_exchange_tcp(&x, min_u64(platform_monotonic_ns() + DNS_RESOLVER_TCP_TIMEOUT_NS, deadline));
                if (err < 0 && err != -EBADMSG)
                    r->stats.tcp_failures++;
            }
            if (err == 0) {
                err = judge_rcode(r, &x);
                if (err == 0) {
                    r->stats.answers++;
                    *msg = x.msg;
                    *len = x.len;
                    return 0;
                }
                kfree(x.msg);
                if (err == 1) {
                    no_edns[i] = true;
                    i--; /* the same server at once */
                    continue;
                }
            } else {
                kfree(x.msg);
            }
            if (err == -ESHUTDOWN)
                return err;
            if (err == -ETIMEDOUT) {
                r->stats.timeouts++;
                continue;
            }
            /* an error from this server (or reaching it): the others may do better */
            set_aside[i] = true;
            aside++;
            if (err == -EBADMSG)
                err = -DNS_ESERVFAIL;
            if (last_error == -ETIMEDOUT || err == -DNS_ESERVFAIL || err == -DNS_EREFUSED)
                last_error = err;
        }
    }
    return last_error;
}

int dns_resolve(struct dns_resolver *r, const char *text, uint16_t type, uint64_t deadline,
                struct dns_result *out)
{
    struct dns_name name;
    if (type == 0 || type == DNS_TYPE_OPT || type == DNS_TYPE_ANY ||
        dns_name_from_text(&name, text, strlen(text)) < 0)
        return -EINVAL;
    out->count = 0;
    out->cnames = 0;
    out->ttl = 0;
    out->from_cache = true;
    for (;;) {
        struct dns_name asked = name;
        uint64_t now = platform_monotonic_ns();
        const struct dns_cache_entry *hit = dns_cache_find(&r->cache, &name, type, now);
        uint8_t *msg = NULL;
        size_t len = 0;
        uint32_t age = 0;
        if (hit) {
            msg = hit->msg;
            len = hit->len;
            age = (uint32_t)((now - hit->stored_ns) / NS_PER_S);
        } else {
            r->stats.cache_misses++;
            out->from_cache = false;
            int err = ask_servers(r, &name, type, deadline, &msg, &len);
            if (err < 0)
                return err;
        }
        unsigned cnames_before = out->cnames;
        uint32_t ttl = 0;
        int rc = dns_answer_read(msg, len, &name, type, age, out, &ttl);
        r->stats.cname_links += out->cnames - cnames_before;
        if (hit) {
            if (rc == -DNS_ENXDOMAIN || rc == -ENODATA)
                r->stats.cache_negative_hits++;
            else
                r->stats.cache_hits++;
        } else {
            if (rc >= 0 || rc == -DNS_ENXDOMAIN || rc == -ENODATA) {
                bool negative = rc < 0;
                uint32_t cap = negative ? DNS_NEGATIVE_TTL_MAX : DNS_CACHE_TTL_MAX;
                if (dns_cache_store(&r->cache, &asked, type, msg, len, ttl < cap ? ttl : cap, now))
                    r->stats.cache_evictions++;
            }
            kfree(msg);
        }
        if (rc > 0)
            return rc;
        if (rc == 0)
            continue; /* the CNAME chain goes on beyond that answer */
        if (rc == -DNS_ENXDOMAIN)
            r->stats.nxdomain++;
        else if (rc == -ENODATA)
            r->stats.nodata++;
        else if (rc == -DNS_ECNAMELOOP)
            r->stats.cname_too_long++;
        else if (rc == -EBADMSG)
            rc = -DNS_ESERVFAIL;
        return rc;
    }
}

int dns_resolve_ipv4(struct dns_resolver *r, const char *name, uint64_t deadline, uint32_t *addr)
{
    struct dns_result *res = kmalloc(sizeof(*res));
    if (!res)
        return -ENOMEM;
    int n = dns_resolve(r, name, DNS_TYPE_A, deadline, res);
    if (n > 0)
        memcpy(addr, res->rr[0].rd.a, 4);
    kfree(res);
    return n > 0 ? 0 : n;
}

const char *dns_strerror(int err)
{
    switch (-err) {
    case DNS_ENOSERVERS: return "no DNS server (no dns= option, no DHCP option 6)";
    case DNS_ENXDOMAIN: return "NXDOMAIN: the name does not exist";
    case DNS_ESERVFAIL: return "SERVFAIL: no server could answer";
    case DNS_EREFUSED: return "REFUSED by every server";
    case DNS_ECNAMELOOP: return "CNAME chain too long";
    case ENODATA: return "no records of that type";
    case ETIMEDOUT: return "timed out";
    case ESHUTDOWN: return "the machine is stopping";
    default: return error_name(err);
    }
}
