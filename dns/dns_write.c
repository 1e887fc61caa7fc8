/*
 * dns/dns_write: building a DNS message (RFC 1035 4.1) with name compression (RFC 1035 4.1.4):
 * every name suffix written in full is remembered (up to DNS_COMPRESS_MAX, at offsets a pointer
 * can reach), and a later name whose suffix matches one, ASCII case ignored, ends in a pointer.
 * A question or record that does not fit leaves the writer exactly as it was.
 */
#include "dns/dns_wire.h"

#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/string.h"

#define POINTER_REACH 0x4000u /* 14-bit offsets */

void dns_writer_init(struct dns_writer *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = cap;
    w->len = 0;
    w->nnames = 0;
}

size_t dns_writer_len(const struct dns_writer *w)
{
    return w->len;
}

static int put(struct dns_writer *w, const void *p, size_t n)
{
    if (n > w->cap - w->len)
        return -ENOSPC;
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    return 0;
}

static int put16(struct dns_writer *w, uint16_t v)
{
    uint16_t be = cpu_to_be16(v);
    return put(w, &be, 2);
}

static int put32(struct dns_writer *w, uint32_t v)
{
    uint32_t be = cpu_to_be32(v);
    return put(w, &be, 4);
}

int dns_write_header(struct dns_writer *w, const struct dns_header *h)
{
    if (w->cap < DNS_HEADER_LEN)
        return -ENOSPC;
    w->len = 0;
    w->nnames = 0;
    put16(w, h->id);
    put16(w, h->flags);
    put16(w, h->qdcount);
    put16(w, h->ancount);
    put16(w, h->nscount);
    put16(w, h->arcount);
    return 0;
}

void dns_writer_set_counts(struct dns_writer *w, uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar)
{
    if (w->len < DNS_HEADER_LEN)
        return;
    uint16_t counts[4] = {qd, an, ns, ar};
    for (int i = 0; i < 4; i++)
        store_u16(w->buf + 4 + 2 * i, cpu_to_be16(counts[i]));
}

void dns_writer_set_flags(struct dns_writer *w, uint16_t flags)
{
    if (w->len >= DNS_HEADER_LEN)
        store_u16(w->buf + 2, cpu_to_be16(flags));
}

/* Whether the name written at off in our own buffer (following our own pointers) equals the wire
 * suffix s, case ignored. Our output only holds backward pointers, so the walk ends. */
static bool written_equals(const struct dns_writer *w, size_t off, const uint8_t *s)
{
    for (;;) {
        uint8_t b = w->buf[off];
        if ((b & 0xc0) == 0xc0) {
            off = ((size_t)(b & 0x3f) << 8) | w->buf[off + 1];
            continue;
        }
        if (b != *s)
            return false;
        if (b == 0)
            return true;
        for (size_t i = 1; i <= b; i++)
            if (dns_ascii_lower(w->buf[off + i]) != dns_ascii_lower(s[i]))
                return false;
        off += (size_t)b + 1;
        s += (size_t)b + 1;
    }
}

/* The length of the well-formed wire name at the start of wire[0..max) (labels of 1..63 bytes
 * ending in the root, at most 255 bytes), or 0. */
static size_t name_length(const uint8_t *wire, size_t max)
{
    size_t pos = 0;
    while (pos < max && pos < DNS_NAME_MAX) {
        uint8_t b = wire[pos];
        if (b == 0)
            return pos + 1;
        if (b > DNS_LABEL_MAX)
            return 0;
        pos += (size_t)b + 1;
    }
    return 0;
}

/* Writes the well-formed name wire[0..len), compressed if allowed. */
static int put_name(struct dns_writer *w, const uint8_t *wire, size_t len, bool compress)
{
    size_t pos = 0;
    while (wire[pos] != 0) {
        if (compress) {
            for (unsigned i = 0; i < w->nnames; i++) {
                if (written_equals(w, w->names[i], wire + pos)) {
                    int err = put(w, wire, pos);
                    if (err == 0)
                        err = put16(w, (uint16_t)(0xc000u | w->names[i]));
                    if (err < 0)
                        return err;
                    goto remember;
                }
            }
        }
        pos += (size_t)wire[pos] + 1;
    }
    if (put(w, wire, len) < 0)
        return -ENOSPC;
remember:
    /* the suffixes now written in full, at the offsets they landed at */
    if (compress) {
        size_t base = w->len - (pos + (wire[pos] == 0 ? 1 : 2));
        for (size_t p = 0; p < pos && w->nnames < DNS_COMPRESS_MAX; p += (size_t)wire[p] + 1)
            if (base + p < POINTER_REACH)
                w->names[w->nnames++] = (uint16_t)(base + p);
    }
    return 0;
}

/* A struct dns_name, checked. */
static int put_dns_name(struct dns_writer *w, const struct dns_name *n, bool compress)
{
    if (n->len == 0 || name_length(n->wire, n->len) != n->len)
        return -EINVAL;
    return put_name(w, n->wire, n->len, compress);
}

int dns_write_question(struct dns_writer *w, const struct dns_question *q)
{
    size_t saved_len = w->len;
    unsigned saved_names = w->nnames;
    int err = put_dns_name(w, &q->name, true);
    if (err == 0)
        err = put16(w, q->type);
    if (err == 0)
        err = put16(w, q->qclass);
    if (err < 0) {
        w->len = saved_len;
        w->nnames = saved_names;
    }
    return err;
}

static int put_rdata(struct dns_writer *w, const struct dns_rr *rr)
{
    int err;
    switch (rr->type) {
    case DNS_TYPE_A:
        return put(w, rr->rd.a, 4);
    case DNS_TYPE_AAAA:
        return put(w, rr->rd.aaaa, 16);
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        return put_dns_name(w, &rr->rd.target, true);
    case DNS_TYPE_MX:
        err = put16(w, rr->rd.mx.preference);
        return err < 0 ? err : put_dns_name(w, &rr->rd.mx.exchange, true);
    case DNS_TYPE_SRV:
        if ((err = put16(w, rr->rd.srv.priority)) < 0 || (err = put16(w, rr->rd.srv.weight)) < 0 ||
            (err = put16(w, rr->rd.srv.port)) < 0)
            return err;
        return put_dns_name(w, &rr->rd.srv.target, false); /* RFC 2782: never compressed */
    case DNS_TYPE_SOA:
        if ((err = put_dns_name(w, &rr->rd.soa.mname, true)) < 0 ||
            (err = put_dns_name(w, &rr->rd.soa.rname, true)) < 0 ||
            (err = put32(w, rr->rd.soa.serial)) < 0 || (err = put32(w, rr->rd.soa.refresh)) < 0 ||
            (err = put32(w, rr->rd.soa.retry)) < 0 || (err = put32(w, rr->rd.soa.expire)) < 0)
            return err;
        return put32(w, rr->rd.soa.minimum);
    default:
        if (rr->rd.raw.len > DNS_RDATA_RAW_MAX)
            return -EINVAL;
        return put(w, rr->rd.raw.data, rr->rd.raw.len);
    }
}

/* Ends a record begun at saved_len whose RDLENGTH is at rdlen_at: fills it in, or on an error
 * (or rdata over 65535 bytes) leaves the writer as it was before the record. */
static int end_rr(struct dns_writer *w, int err, size_t saved_len, unsigned saved_names, size_t rdlen_at)
{
    if (err == 0 && w->len - rdlen_at - 2 > 0xffff)
        err = -EINVAL;
    if (err < 0) {
        w->len = saved_len;
        w->nnames = saved_names;
        return err;
    }
    store_u16(w->buf + rdlen_at, cpu_to_be16((uint16_t)(w->len - rdlen_at - 2)));
    return 0;
}

int dns_write_rr(struct dns_writer *w, const struct dns_rr *rr)
{
    size_t saved_len = w->len;
    unsigned saved_names = w->nnames;
    int err = put_dns_name(w, &rr->name, true);
    if (err == 0)
        err = put16(w, rr->type);
    if (err == 0)
        err = put16(w, rr->rclass);
    if (err == 0)
        err = put32(w, rr->ttl);
    size_t rdlen_at = w->len;
    if (err == 0)
        err = put16(w, 0);
    if (err == 0)
        err = put_rdata(w, rr);
    return end_rr(w, err, saved_len, saved_names, rdlen_at);
}

/* The layouts, packed, and per type number up to SRV's 33 the offset of its layout plus one (0:
 * unknown): a byte per type rather than the pointer per type a switch became; small enough to
 * be inlined, and to fold away where the type is a constant. */
static const char rdata_layouts[] = "a\0A\0n\0" "2n\0" "222N\0" "nn44444\0" "s";
static const uint8_t rdata_layout_at[DNS_TYPE_SRV + 1] = {
    [DNS_TYPE_A] = 1,    [DNS_TYPE_AAAA] = 3, [DNS_TYPE_NS] = 5,  [DNS_TYPE_CNAME] = 5,
    [DNS_TYPE_PTR] = 5,  [DNS_TYPE_MX] = 7,
    [DNS_TYPE_SRV] = 10,                      /* RFC 2782: the target is never compressed */
    [DNS_TYPE_SOA] = 15, [DNS_TYPE_TXT] = 23,
};

const char *dns_rdata_layout(uint16_t type)
{
    unsigned at = type < sizeof(rdata_layout_at) ? rdata_layout_at[type] : 0;
    return at ? rdata_layouts + at - 1 : NULL;
}

int dns_write_rr_wire(struct dns_writer *w, const uint8_t *owner, uint16_t type, uint16_t rclass,
                      uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
    size_t saved_len = w->len;
    unsigned saved_names = w->nnames;
    size_t owner_len = name_length(owner, DNS_NAME_MAX);
    int err = owner_len ? put_name(w, owner, owner_len, true) : -EINVAL;
    uint8_t fixed[10];
    store_u16(fixed, cpu_to_be16(type));
    store_u16(fixed + 2, cpu_to_be16(rclass));
    store_u32(fixed + 4, cpu_to_be32(ttl));
    if (err == 0)
        err = put(w, fixed, sizeof(fixed));
    size_t rdlen_at = w->len - 2;
    /* The names the layout marks are written through compression; everything else as it is. */
    const char *layout = dns_rdata_layout(type);
    size_t pos = 0;
    for (; err == 0 && layout && *layout && *layout != 's'; layout++) {
        size_t n = *layout == 'a' ? 4 : *layout == 'A' ? 16 : *layout == '2' ? 2 : *layout == '4' ? 4 : 0;
        if (n == 0) {
            n = name_length(rdata + pos, rdlen - pos);
            err = n ? put_name(w, rdata + pos, n, *layout == 'n') : -EINVAL;
        } else {
            err = n <= rdlen - pos ? put(w, rdata + pos, n) : -EINVAL;
        }
        pos += n;
    }
    if (err == 0 && (!layout || *layout == 's') && rdlen > pos)
        err = put(w, rdata + pos, rdlen - pos);
    else if (err == 0 && pos != rdlen)
        err = -EINVAL;
    return end_rr(w, err, saved_len, saved_names, rdlen_at);
}

int dns_write_opt(struct dns_writer *w, const struct dns_edns *e)
{
    static const uint8_t root = 0;
    /* RFC 6891 6.1.2: the root owns it, CLASS holds the payload size, TTL the extended rcode,
     * version and DO bit */
    return dns_write_rr_wire(w, &root, DNS_TYPE_OPT, e->udp_size,
                             (uint32_t)e->ext_rcode << 24 | (uint32_t)e->version << 16 |
                                 (e->dnssec_ok ? 0x8000u : 0), NULL, 0);
}

int dns_edns_from_rr(const struct dns_rr *rr, struct dns_edns *e)
{
    if (rr->type != DNS_TYPE_OPT || rr->name.len != 1)
        return -EBADMSG; /* RFC 6891 6.1.2: the owner is the root */
    /* options: {code 16, length 16, data} filling the rdata exactly */
    size_t pos = 0;
    while (pos + 4 <= rr->rd.raw.len)
        pos += 4 + ((size_t)rr->rd.raw.data[pos + 2] << 8 | rr->rd.raw.data[pos + 3]);
    if (pos != rr->rd.raw.len)
        return -EBADMSG;
    e->udp_size = rr->rclass < DNS_UDP_MAX ? DNS_UDP_MAX : rr->rclass; /* RFC 6891 6.2.3 */
    e->ext_rcode = (uint8_t)(rr->ttl >> 24);
    e->version = (uint8_t)(rr->ttl >> 16);
    e->dnssec_ok = (rr->ttl & 0x8000u) != 0;
    return 0;
}
