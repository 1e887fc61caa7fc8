/*
 * dns/dns_answer: what an answer message says about a name and type, for the resolver and its
 * cache: the records (following CNAMEs inside the message, RFC 1034 3.6.2), NXDOMAIN or NODATA
 * (RFC 2308 2), and how long that holds (RFC 2181 5.2, RFC 2308 5). Pure: no I/O, no clock.
 */
#include "dns/dns_resolver.h"

#include "lib/errno.h"
#include "lib/string.h"

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static uint32_t aged(uint32_t ttl, uint32_t age_s)
{
    return ttl > age_s ? ttl - age_s : 0;
}

bool dns_answer_matches(struct dns_reader *rd, const struct dns_name *name, uint16_t type)
{
    struct dns_question q;
    return dns_read_question(rd, &q) == 0 && q.type == type && q.qclass == DNS_CLASS_IN &&
           dns_name_equal(&q.name, name);
}

/* RFC 2308 5: a negative answer is cached for the lesser of the SOA record's TTL and its MINIMUM
 * field; without an SOA in the authority section, not at all. */
static uint32_t negative_ttl(const uint8_t *msg, size_t len)
{
    struct dns_reader rd;
    struct dns_rr rr;
    int section;
    if (dns_reader_init(&rd, msg, len, NULL) < 0)
        return 0;
    while ((section = dns_read_rr(&rd, &rr)) != -ENOENT) {
        if (section == -EBADMSG)
            return 0;
        if (section == DNS_SECTION_AUTHORITY && rr.type == DNS_TYPE_SOA)
            return min_u32(rr.ttl, rr.rd.soa.minimum);
    }
    return 0;
}

/* One pass over the answer section for `name`: the records of `type` into res, or the CNAME
 * owned by name into *target. Returns the records found, or -EBADMSG. */
static int scan(const uint8_t *msg, size_t len, const struct dns_name *name, uint16_t type,
                uint32_t age_s, struct dns_result *res, uint32_t *ttl, struct dns_name *target,
                bool *has_cname)
{
    struct dns_rr rr;
    struct dns_reader rd;
    int section, found = 0;
    *has_cname = false;
    if (dns_reader_init(&rd, msg, len, NULL) < 0)
        return -EBADMSG;
    while ((section = dns_read_rr(&rd, &rr)) != -ENOENT) {
        if (section == -E2BIG)
            continue;
        if (section < 0)
            return -EBADMSG;
        if (section != DNS_SECTION_ANSWER)
            break;
        if (rr.rclass != DNS_CLASS_IN || !dns_name_equal(&rr.name, name))
            continue;
        if (rr.type == type) {
            *ttl = min_u32(*ttl, rr.ttl);
            rr.ttl = aged(rr.ttl, age_s);
            if (found < (int)DNS_RESULT_MAX)
                res->rr[found] = rr;
            found++;
        } else if (rr.type == DNS_TYPE_CNAME && !*has_cname) {
            /* RFC 2181 10.1: a name with a CNAME has no other data; the first one counts */
            *ttl = min_u32(*ttl, rr.ttl);
            *target = rr.rd.target;
            *has_cname = true;
        }
    }
    return found;
}

int dns_answer_read(const uint8_t *msg, size_t len, struct dns_name *name, uint16_t type,
                    uint32_t age_s, struct dns_result *res, uint32_t *ttl)
{
    struct dns_reader rd;
    struct dns_header h;
    if (dns_reader_init(&rd, msg, len, &h) < 0)
        return -EBADMSG;
    uint32_t least = UINT32_MAX;
    bool moved = false;
    for (;;) {
        struct dns_name target;
        bool has_cname;
        int found = scan(msg, len, name, type, age_s, res, &least, &target, &has_cname);
        if (found < 0)
            return found;
        if (found > 0) {
            res->count = (unsigned)found;
            res->name = *name;
            res->ttl = aged(least, age_s);
            *ttl = res->ttl;
            return found;
        }
        if (!has_cname)
            break;
        if (++res->cnames > DNS_CNAME_MAX)
            return -DNS_ECNAMELOOP;
        *name = target;
        moved = true;
    }
    /* nothing of the type for the name the chain reached */
    if (DNS_FLAGS_RCODE(h.flags) == DNS_RCODE_NXDOMAIN) {
        /* RFC 6604 3: after CNAMEs the rcode speaks of the chain's last name */
        *ttl = aged(negative_ttl(msg, len), age_s);
        return -DNS_ENXDOMAIN;
    }
    uint32_t soa_ttl = negative_ttl(msg, len);
    if (moved && soa_ttl == 0) {
        /* the chain leaves what the server told: ask for its end (RFC 1034 5.3.3 step 3) */
        *ttl = least == UINT32_MAX ? 0 : aged(least, age_s);
        return 0;
    }
    *ttl = aged(soa_ttl, age_s);
    return -ENODATA; /* RFC 2308 2.2: NOERROR with no records of the type */
}
