/*
 * app/dns/answer: the authoritative lookup (RFC 1034 4.3.2, no recursion) and the response it
 * makes; answer.h lists the rules. The codec (xenolith/dns_wire.h) reads the query and writes
 * the response; this file decides what goes in.
 */
#include "answer.h"
#include "lib/errno.h"
#include "lib/string.h"

#define TYPE_IXFR 251
#define TYPE_AXFR 252
#define OPT_RR_LEN 11                    /* root owner, type, class, TTL, rdlength 0 */

struct response {
    struct dns_writer w;
    const struct zone *zone;
    size_t limit;                        /* bytes the whole response may take */
    bool edns;
    uint16_t udp_max;
    uint16_t flags;
    uint16_t count[3];                   /* records in answer, authority, additional */
    bool truncated;
    size_t question_len;                 /* writer length after the question */
    unsigned question_names;             /* compression entries after the question */
    const struct dns_name *synthesized;  /* the owner of answers from a wildcard, or NULL */
};

enum { ANSWER, AUTHORITY, ADDITIONAL };

/* Appends zone record i to a section, with ttl_override unless it is UINT32_MAX, straight from
 * the zone's wire form; an answer synthesized from a wildcard is owned by the name asked
 * (RFC 4592 3.3.1). Returns 0 or -ENOSPC. */
static int put(struct response *r, size_t i, int section, uint32_t ttl_override)
{
    const struct zone *z = r->zone;
    const struct zone_rr *rr = &z->rrs[i];
    const uint8_t *owner = section == ANSWER && r->synthesized ? r->synthesized->wire
                                                                : z->names + rr->owner + 1;
    int rc = dns_write_rr_wire(&r->w, owner, rr->type, DNS_CLASS_IN,
                               ttl_override != UINT32_MAX ? ttl_override : rr->ttl,
                               z->data + rr->rdata, rr->rdlen);
    if (rc == 0)
        r->count[section]++;
    return rc;
}

static int put_range(struct response *r, size_t first, size_t len, int section)
{
    for (size_t i = first; i < first + len; i++) {
        int rc = put(r, i, section, UINT32_MAX);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The name in record i's rdata at byte off (names in a zone are uncompressed wire form). */
static void rdata_name(const struct zone *z, size_t i, size_t off, struct dns_name *out)
{
    const uint8_t *p = z->data + z->rrs[i].rdata + off;
    size_t len = 0;
    while (p[len] != 0)
        len += 1u + p[len];
    out->len = (uint8_t)(len + 1);
    memcpy(out->wire, p, len + 1);
}

/* The A and AAAA records of `name` in the zone, in additional. Returns -ENOSPC if one did not
 * fit. */
static int put_addresses(struct response *r, const struct dns_name *name)
{
    if (!dns_name_is_under(name, &r->zone->apex))
        return 0;
    size_t count, len;
    size_t first = zone_find_name(r->zone, name, &count);
    static const uint16_t kinds[] = { DNS_TYPE_A, DNS_TYPE_AAAA };
    for (int k = 0; k < 2; k++) {
        size_t at = zone_find_type(r->zone, first, count, kinds[k], &len);
        int rc = put_range(r, at, len, ADDITIONAL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Additional section processing for the records [first, first + len) of the answer or a
 * referral (RFC 1035 3.3.9 MX, 3.3.11 NS, RFC 2782 SRV): their target follows 0, 2 or 6 bytes
 * of numbers. */
static int put_additional(struct response *r, size_t first, size_t len)
{
    for (size_t i = first; i < first + len; i++) {
        uint16_t type = r->zone->rrs[i].type;
        if (type != DNS_TYPE_NS && type != DNS_TYPE_MX && type != DNS_TYPE_SRV)
            continue;
        struct dns_name target;
        rdata_name(r->zone, i, type == DNS_TYPE_NS ? 0 : type == DNS_TYPE_MX ? 2 : 6, &target);
        int rc = put_addresses(r, &target);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The highest delegation (NS RRset below the apex) at or above name, or false. */
static bool find_cut(const struct zone *z, const struct dns_name *name, size_t *first, size_t *len)
{
    int apex_labels = dns_name_labels(&z->apex), labels = dns_name_labels(name);
    size_t skip = 0;
    /* Strip labels from the left until `labels - k` remain, from just below the apex down. */
    for (int keep = apex_labels + 1; keep <= labels; keep++) {
        struct dns_name cut;
        skip = 0;
        for (int drop = labels - keep; drop > 0; drop--)
            skip += 1u + name->wire[skip];
        cut.len = (uint8_t)(name->len - skip);
        memcpy(cut.wire, name->wire + skip, cut.len);
        size_t count;
        size_t at = zone_find_name(z, &cut, &count);
        if (count == 0)
            continue;
        *first = zone_find_type(z, at, count, DNS_TYPE_NS, len);
        if (*len > 0)
            return true;
    }
    return false;
}

/* RFC 4592 3.3.1: for a name that does not exist, the source of synthesis is "*." and its
 * closest encloser, the nearest ancestor that exists (owns records or has names below it, 2.2.2;
 * the apex always does). Whether it exists; *wild is its name. A delegation was ruled out
 * before (find_cut), and an existing node ends the climb, so nothing is synthesized across
 * either (RFC 4592 2.2.2, 4.2). */
static bool find_wildcard(const struct zone *z, const struct dns_name *name, struct dns_name *wild)
{
    size_t skip = 0, count, at;
    do {
        skip += 1u + name->wire[skip];
        wild->len = (uint8_t)(name->len - skip);
        memcpy(wild->wire, name->wire + skip, wild->len);
        at = zone_find_name(z, wild, &count);
    } while (count == 0 && !zone_has_below(z, at, wild) && wild->len > 1);
    if (wild->len + 2u > DNS_NAME_MAX)
        return false;
    memmove(wild->wire + 2, wild->wire, wild->len);
    wild->wire[0] = 1;
    wild->wire[1] = '*';
    wild->len = (uint8_t)(wild->len + 2);
    at = zone_find_name(z, wild, &count);
    return count > 0 || zone_has_below(z, at, wild);
}

/* The negative answer's authority: the zone's SOA with the negative TTL (RFC 2308 3). */
static int put_soa(struct response *r)
{
    return put(r, r->zone->soa, AUTHORITY, r->zone->negative_ttl);
}

/* RFC 1034 4.3.2 steps 3 and 4 within one zone. Returns the kind; -ENOSPC surfaces as
 * r->truncated. */
static enum answer_kind lookup(struct response *r, const struct dns_name *qname, uint16_t qtype,
                               struct answer_meta *meta)
{
    const struct zone *z = r->zone;
    struct dns_name name = *qname;
    int rc = 0;
    for (unsigned chain = 0;; chain++) {
        size_t first, len;
        if (find_cut(z, &name, &first, &len)) {
            /* Step 3b: a referral. Only for the name asked is it non-authoritative; reached
             * through a CNAME, the CNAME was our authoritative answer. */
            if (chain == 0)
                r->flags &= (uint16_t)~DNS_FLAG_AA;
            /* The rate limiter sees the delegation, not each name below it. */
            size_t cut_len;
            const uint8_t *cut = zone_rr_owner(z, first, &cut_len);
            meta->rrl_name.len = (uint8_t)cut_len;
            memcpy(meta->rrl_name.wire, cut, cut_len);
            if ((rc = put_range(r, first, len, AUTHORITY)) != 0)
                goto full;
            if (put_additional(r, first, len) != 0)
                r->truncated = true;     /* missing glue: RFC 9471 3 */
            return chain == 0 ? ANSWER_REFERRAL : ANSWER_DATA;
        }
        size_t count;
        size_t node = zone_find_name(z, &name, &count);
        r->synthesized = NULL;
        bool exists = true;
        if (count == 0) {
            exists = zone_has_below(z, node, &name); /* an empty non-terminal */
            struct dns_name wild;
            if (!exists && find_wildcard(z, &name, &wild)) {
                /* RFC 4592 3.3.1: the wildcard's records, owned by the name asked; a wildcard
                 * without the type (or owning none, 2.2.2) is NODATA */
                exists = true;
                node = zone_find_name(z, &wild, &count);
                r->synthesized = &name;
                if (chain == 0)
                    meta->rrl_name = wild; /* random names share the wildcard's allowance */
            }
        }
        if (count == 0) {
            if ((rc = put_soa(r)) != 0)
                goto full;
            if (exists)
                return chain == 0 ? ANSWER_NODATA : ANSWER_DATA;
            meta->rrl_name = z->apex;
            return ANSWER_NXDOMAIN;      /* RFC 6604 2.1: even at the end of a CNAME chain */
        }
        if (qtype == DNS_TYPE_ANY) {
            first = node;
            len = count;
        } else {
            first = zone_find_type(z, node, count, qtype, &len);
        }
        if (len > 0) {
            if ((rc = put_range(r, first, len, ANSWER)) != 0)
                goto full;
            put_additional(r, first, len); /* what does not fit is left out (RFC 2181 9) */
            return ANSWER_DATA;
        }
        size_t cname_len;
        size_t cname = zone_find_type(z, node, count, DNS_TYPE_CNAME, &cname_len);
        if (cname_len == 0) {
            if ((rc = put_soa(r)) != 0)
                goto full;
            return chain == 0 ? ANSWER_NODATA : ANSWER_DATA;
        }
        /* Step 3a: the CNAME, then its target, while it stays in this zone. */
        if ((rc = put(r, cname, ANSWER, UINT32_MAX)) != 0)
            goto full;
        rdata_name(z, cname, 0, &name);
        if (chain + 1 >= ANSWER_CNAME_CHAIN || !dns_name_is_under(&name, &z->apex))
            return ANSWER_DATA;
    }
full:
    r->truncated = true;
    return ANSWER_DATA;
}

/* Completes the response: rcode, TC (then only the header and the question), our OPT record. */
static size_t finish(struct response *r, unsigned rcode, struct answer_meta *meta)
{
    uint16_t flags = (uint16_t)((r->flags & ~0xfu) | (rcode & 0xfu));
    if (r->truncated) {
        /* Only the header and the question remain (RFC 2181 9): the client retries over TCP. */
        r->w.len = r->question_len;
        r->w.nnames = r->question_names;
        memset(r->count, 0, sizeof(r->count));
        flags |= DNS_FLAG_TC;
        meta->truncated = true;
    }
    if (r->edns) {
        struct dns_edns e = { .udp_size = r->udp_max, .ext_rcode = (uint8_t)(rcode >> 4) };
        r->w.cap = r->limit;             /* the room kept for it */
        if (dns_write_opt(&r->w, &e) == 0)
            r->count[ADDITIONAL]++;
    }
    dns_writer_set_flags(&r->w, flags);
    dns_writer_set_counts(&r->w, r->question_len > DNS_HEADER_LEN ? 1 : 0, r->count[ANSWER],
                          r->count[AUTHORITY], r->count[ADDITIONAL]);
    return dns_writer_len(&r->w);
}

size_t answer_query(const struct zone_set *zones, const uint8_t *query, size_t len, bool tcp,
                    uint16_t udp_max, uint8_t *out, size_t cap, struct answer_meta *meta)
{
    memset(meta, 0, sizeof(*meta));      /* rrl_name empty too */
    if (len < DNS_HEADER_LEN)
        return 0;
    uint16_t id = (uint16_t)(query[0] << 8 | query[1]);
    uint16_t qflags = (uint16_t)(query[2] << 8 | query[3]);
    if (qflags & DNS_FLAG_QR)
        return 0;                        /* never answer a response: no loops between servers */

    struct response r;
    memset(&r, 0, sizeof(r));
    r.udp_max = udp_max;
    r.limit = tcp ? ANSWER_TCP_MAX : DNS_UDP_MAX;
    if (r.limit > cap)
        r.limit = cap;
    r.flags = (uint16_t)(DNS_FLAG_QR | (qflags & (0x7800u | DNS_FLAG_RD | DNS_FLAG_CD)));
    dns_writer_init(&r.w, out, r.limit);
    struct dns_header h = { .id = id, .flags = r.flags };
    dns_write_header(&r.w, &h);
    r.question_len = DNS_HEADER_LEN;

    /* Every refusal answers with its rcode through one call of finish. */
    unsigned rcode = DNS_RCODE_NOTIMP;
    meta->kind = ANSWER_NOTIMP;
    if (DNS_FLAGS_OPCODE(qflags) != DNS_OPCODE_QUERY)
        goto out;                        /* RFC 1035 4.1.1 */
    struct dns_reader rd;
    struct dns_header qh;
    struct dns_question q;
    rcode = DNS_RCODE_FORMERR;
    meta->kind = ANSWER_FORMERR;
    if (dns_reader_init(&rd, query, len, &qh) != 0 || qh.qdcount != 1 ||
        dns_read_question(&rd, &q) != 0)
        goto out;
    meta->qtype = q.type;
    if (dns_write_question(&r.w, &q) != 0)
        goto out;
    r.question_len = dns_writer_len(&r.w);
    r.question_names = r.w.nnames;
    meta->question_end = r.question_len;
    if (qh.ancount != 0 || qh.nscount != 0)
        goto out;

    /* The additional section: at most one OPT (RFC 6891 6.1.1); nothing else matters here. */
    struct dns_edns qedns = { 0 };
    bool edns = false;
    for (;;) {
        struct dns_rr rr;
        int rc = dns_read_rr(&rd, &rr);
        if (rc == -ENOENT)
            break;
        if (rc == -E2BIG)
            continue;
        if (rc < 0)
            goto out;
        if (rr.type != DNS_TYPE_OPT)
            continue;
        if (edns || dns_edns_from_rr(&rr, &qedns) != 0)
            goto out;
        edns = true;
    }
    if (dns_reader_offset(&rd) != len)
        goto out;
    if (edns) {
        /* RFC 6891 6.2.5: the smaller of the requestor's size and ours, never below 512; the OPT
         * record we add is kept room for. */
        size_t limit = tcp ? ANSWER_TCP_MAX : qedns.udp_size < udp_max ? qedns.udp_size : udp_max;
        if (limit < DNS_UDP_MAX)
            limit = DNS_UDP_MAX;
        r.limit = limit < cap ? limit : cap;
        r.w.cap = r.limit - OPT_RR_LEN;
        r.edns = true;
        if (qedns.version != 0) {
            rcode = DNS_RCODE_BADVERS;
            meta->kind = ANSWER_BADVERS; /* RFC 6891 6.1.3 */
            goto out;
        }
    }
    if (q.type == DNS_TYPE_OPT)
        goto out;
    rcode = DNS_RCODE_REFUSED;
    meta->kind = ANSWER_REFUSED;
    if (q.qclass != DNS_CLASS_IN || q.type == TYPE_AXFR || q.type == TYPE_IXFR)
        goto out;
    r.zone = zone_set_find(zones, &q.name);
    if (!r.zone)
        goto out;

    r.flags |= DNS_FLAG_AA;
    meta->rrl_name = q.name;
    meta->kind = lookup(&r, &q.name, q.type, meta);
    rcode = meta->kind == ANSWER_NXDOMAIN ? DNS_RCODE_NXDOMAIN : DNS_RCODE_NOERROR;
out:
    return finish(&r, rcode, meta);
}

size_t answer_truncate(uint8_t *response, size_t len, const struct answer_meta *meta)
{
    size_t keep = meta->question_end ? meta->question_end : DNS_HEADER_LEN;
    if (keep > len)
        return len;
    response[2] |= (uint8_t)(DNS_FLAG_TC >> 8);
    /* qdcount stays; answer, authority and additional counts go to zero. */
    memset(response + 6, 0, 6);
    return keep;
}
