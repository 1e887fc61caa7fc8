/*
 * app/dns/zone: a parsed zone's records in canonical order, the lookups on them, and the zone
 * set (which zone a name belongs to). zone_parse.c builds a zone; this file sorts and checks it.
 */
#include "zone.h"
#include "zone_build.h"
#include "lib/byteorder.h"
#include "lib/ctype.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/sort.h"
#include "lib/string.h"
#include "xenolith/mem.h"

/* The label start offsets of a wire name, left to right; returns how many labels (root not
 * counted). Names come from the codec or the parser: well formed. */
static int label_offsets(const uint8_t *wire, size_t len, uint8_t offs[128])
{
    int n = 0;
    size_t pos = 0;
    while (pos < len && wire[pos] != 0 && n < 128) {
        offs[n++] = (uint8_t)pos;
        pos += 1u + wire[pos];
    }
    return n;
}

int zone_wire_compare(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    uint8_t ao[128], bo[128];
    int an = label_offsets(a, alen, ao), bn = label_offsets(b, blen, bo);
    /* RFC 4034 6.1: labels compared from the most significant (rightmost), as lower-case byte
     * strings; a name that runs out of labels first sorts first. */
    for (int i = 1; i <= an && i <= bn; i++) {
        const uint8_t *la = a + ao[an - i], *lb = b + bo[bn - i];
        size_t n = la[0] < lb[0] ? la[0] : lb[0];
        for (size_t k = 1; k <= n; k++) {
            int ca = tolower(la[k]), cb = tolower(lb[k]);
            if (ca != cb)
                return ca - cb;
        }
        if (la[0] != lb[0])
            return la[0] - lb[0];
    }
    return an - bn;
}

const uint8_t *zone_rr_owner(const struct zone *z, size_t i, size_t *len)
{
    const uint8_t *p = z->names + z->rrs[i].owner;
    *len = p[0];
    return p + 1;
}

/* Reads a wire name that the parser stored (trusted) at data[*pos] into n. */
static void take_name(const uint8_t *data, size_t *pos, struct dns_name *n)
{
    size_t start = *pos, p = start;
    while (data[p] != 0)
        p += 1u + data[p];
    p++;
    n->len = (uint8_t)(p - start);
    memcpy(n->wire, data + start, p - start);
    *pos = p;
}

static uint16_t take16(const uint8_t *data, size_t *pos)
{
    uint16_t v = (uint16_t)(data[*pos] << 8 | data[*pos + 1]);
    *pos += 2;
    return v;
}

static uint32_t take32(const uint8_t *data, size_t *pos)
{
    uint32_t v;
    memcpy(&v, data + *pos, 4);
    *pos += 4;
    return be32_to_cpu(v);
}

void zone_rr_expand(const struct zone *z, size_t i, struct dns_rr *out)
{
    const struct zone_rr *r = &z->rrs[i];
    size_t len;
    const uint8_t *owner = zone_rr_owner(z, i, &len);
    out->name.len = (uint8_t)len;
    memcpy(out->name.wire, owner, len);
    out->type = r->type;
    out->rclass = DNS_CLASS_IN;
    out->ttl = r->ttl;
    const uint8_t *d = z->data + r->rdata;
    size_t pos = 0;
    switch (r->type) {
    case DNS_TYPE_A:
        memcpy(out->rd.a, d, 4);
        break;
    case DNS_TYPE_AAAA:
        memcpy(out->rd.aaaa, d, 16);
        break;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        take_name(d, &pos, &out->rd.target);
        break;
    case DNS_TYPE_MX:
        out->rd.mx.preference = take16(d, &pos);
        take_name(d, &pos, &out->rd.mx.exchange);
        break;
    case DNS_TYPE_SRV:
        out->rd.srv.priority = take16(d, &pos);
        out->rd.srv.weight = take16(d, &pos);
        out->rd.srv.port = take16(d, &pos);
        take_name(d, &pos, &out->rd.srv.target);
        break;
    case DNS_TYPE_SOA:
        take_name(d, &pos, &out->rd.soa.mname);
        take_name(d, &pos, &out->rd.soa.rname);
        out->rd.soa.serial = take32(d, &pos);
        out->rd.soa.refresh = take32(d, &pos);
        out->rd.soa.retry = take32(d, &pos);
        out->rd.soa.expire = take32(d, &pos);
        out->rd.soa.minimum = take32(d, &pos);
        break;
    default: /* TXT: the character-strings as on the wire */
        out->rd.raw.len = r->rdlen;
        memcpy(out->rd.raw.data, d, r->rdlen);
        break;
    }
}

/* ksort has no context argument; sorting never blocks, so the zone being sorted is a static. */
static const struct zone *sorting;

static int rr_order(const void *pa, const void *pb)
{
    const struct zone_rr *a = pa, *b = pb;
    const uint8_t *na = sorting->names + a->owner, *nb = sorting->names + b->owner;
    int c = zone_wire_compare(na + 1, na[0], nb + 1, nb[0]);
    if (c != 0)
        return c;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    if (a->rdlen != b->rdlen)
        return a->rdlen < b->rdlen ? -1 : 1;
    /* Identical rdata apart from name case is the same record (RFC 4343 3); exact bytes are
     * enough to find true duplicates. */
    return memcmp(sorting->data + a->rdata, sorting->data + b->rdata, a->rdlen);
}

static bool same_owner(const struct zone *z, size_t i, size_t j)
{
    size_t li, lj;
    const uint8_t *a = zone_rr_owner(z, i, &li), *b = zone_rr_owner(z, j, &lj);
    return zone_wire_compare(a, li, b, lj) == 0;
}

static int fail(char *err, size_t err_size, const char *file, unsigned line, const char *what)
{
    ksnprintf(err, err_size, "%s:%u: %s", file, line, what);
    return -EINVAL;
}

int zone_finish(struct zone *z, const struct zone_build *b, char *err, size_t err_size)
{
    /* RFC 1035 5.2: exactly one SOA, at the top of the zone (the parser made it record 0 and
     * refused a second one). */
    if (z->count == 0 || z->rrs[0].type != DNS_TYPE_SOA)
        return fail(err, err_size, b->file, b->last_line, "the zone has no SOA record (RFC 1035 5.2)");
    /* RFC 2308 5: the negative TTL is the lesser of the SOA's own TTL and its MINIMUM field,
     * the rdata's last 4 bytes. */
    size_t pos = z->rrs[0].rdata + z->rrs[0].rdlen - 4u;
    uint32_t minimum = take32(z->data, &pos);
    z->negative_ttl = z->rrs[0].ttl < minimum ? z->rrs[0].ttl : minimum;

    sorting = z;
    ksort(z->rrs, z->count, sizeof(z->rrs[0]), rr_order);
    sorting = NULL;

    /* Duplicates go (an RRset has none: RFC 2181 5); then per name the rules. */
    size_t out = 0;
    for (size_t i = 0; i < z->count; i++) {
        if (out > 0) {
            sorting = z;
            int same = rr_order(&z->rrs[out - 1], &z->rrs[i]) == 0;
            sorting = NULL;
            if (same)
                continue;
        }
        z->rrs[out++] = z->rrs[i];
    }
    z->count = out;

    size_t apex_count;
    size_t apex_first = zone_find_name(z, &z->apex, &apex_count);
    size_t ns_len, soa_len;
    z->soa = zone_find_type(z, apex_first, apex_count, DNS_TYPE_SOA, &soa_len);
    zone_find_type(z, apex_first, apex_count, DNS_TYPE_NS, &ns_len);
    if (ns_len == 0)
        return fail(err, err_size, b->file, b->last_line,
                    "the zone has no NS record at its apex (RFC 1034 4.2.1)");

    for (size_t i = 0; i < z->count;) {
        size_t j = i + 1;
        while (j < z->count && same_owner(z, i, j))
            j++;
        size_t cname_len;
        size_t cname = zone_find_type(z, i, j - i, DNS_TYPE_CNAME, &cname_len);
        if (cname_len > 0 && j - i > 1) {
            size_t other = cname == i ? i + 1 : i, len;
            const uint8_t *wire = zone_rr_owner(z, i, &len);
            struct dns_name owner = { .len = (uint8_t)len };
            memcpy(owner.wire, wire, len);
            char name[DNS_TEXT_MAX];
            dns_name_to_text(&owner, name, sizeof(name));
            /* The later of the two lines is where the conflict became one. */
            ksnprintf(err, err_size, "%s:%u: %s: a CNAME must be the only record of its name "
                      "(RFC 2181 10.1)", b->file, z->rrs[other].line > z->rrs[cname].line ?
                      z->rrs[other].line : z->rrs[cname].line, name);
            return -EINVAL;
        }
        i = j;
    }
    return 0;
}

void zone_free(struct zone *z)
{
    if (!z)
        return;
    kfree(z->rrs);
    kfree(z->names);
    kfree(z->data);
    kfree(z);
}

size_t zone_find_name(const struct zone *z, const struct dns_name *name, size_t *count)
{
    size_t lo = 0, hi = z->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2, len;
        const uint8_t *owner = zone_rr_owner(z, mid, &len);
        if (zone_wire_compare(owner, len, name->wire, name->len) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < z->count) {
        size_t len;
        const uint8_t *owner = zone_rr_owner(z, end, &len);
        if (zone_wire_compare(owner, len, name->wire, name->len) != 0)
            break;
        end++;
    }
    *count = end - lo;
    return lo;
}

size_t zone_find_type(const struct zone *z, size_t first, size_t count, uint16_t type, size_t *len)
{
    size_t i = first;
    while (i < first + count && z->rrs[i].type < type)
        i++;
    size_t j = i;
    while (j < first + count && z->rrs[j].type == type)
        j++;
    *len = j - i;
    return i;
}

bool zone_has_below(const struct zone *z, size_t after, const struct dns_name *name)
{
    if (after >= z->count)
        return false;
    /* Canonical order puts the names below `name` right after it; a name under `name` is
     * strictly below it when it is longer. */
    size_t len;
    const uint8_t *owner = zone_rr_owner(z, after, &len);
    struct dns_name n;
    n.len = (uint8_t)len;
    memcpy(n.wire, owner, len);
    return len != name->len && dns_name_is_under(&n, name);
}

const struct zone *zone_set_find(const struct zone_set *set, const struct dns_name *name)
{
    const struct zone *best = NULL;
    for (size_t i = 0; i < set->count; i++) {
        const struct zone *z = set->zones[i];
        if (dns_name_is_under(name, &z->apex) &&
            (!best || dns_name_labels(&z->apex) > dns_name_labels(&best->apex)))
            best = z;
    }
    return best;
}

int zone_set_add(struct zone_set *set, struct zone *z)
{
    for (size_t i = 0; i < set->count; i++)
        if (dns_name_equal(&set->zones[i]->apex, &z->apex))
            return -EEXIST;
    struct zone **zones = krealloc(set->zones, (set->count + 1) * sizeof(*zones));
    if (!zones)
        return -ENOMEM;
    zones[set->count++] = z;
    set->zones = zones;
    return 0;
}

void zone_set_free(struct zone_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        zone_free(set->zones[i]);
    kfree(set->zones);
    set->zones = NULL;
    set->count = 0;
}
