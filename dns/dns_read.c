/*
 * dns/dns_read: reading a DNS message (RFC 1035 4.1): the header, questions and resource records
 * in section order, names decompressed (RFC 1035 4.1.4) under rules that make every pointer chain
 * end, and the rdata of the known types checked against its rdlength.
 */
#include "dns/dns_wire.h"

#include <stddef.h>

#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/string.h"

#define QUESTION_MIN 5 /* root name, type, class */
#define RR_MIN 11      /* root name, type, class, ttl, rdlength */

static uint16_t get16(const uint8_t *p)
{
    return be16_to_cpu(load_u16(p));
}

static uint32_t get32(const uint8_t *p)
{
    return be32_to_cpu(load_u32(p));
}

int dns_reader_init(struct dns_reader *r, const uint8_t *msg, size_t len, struct dns_header *h)
{
    if (len < DNS_HEADER_LEN)
        return -EBADMSG;
    r->msg = msg;
    r->len = len;
    r->pos = DNS_HEADER_LEN;
    for (int i = 0; i < 4; i++)
        r->left[i] = get16(msg + 4 + 2 * i);
    /* RFC 1035 4.1.1: the counts say how many entries follow; a count no message of this length
     * could hold is refused before anything is read. */
    size_t need = (size_t)r->left[0] * QUESTION_MIN +
                  ((size_t)r->left[1] + r->left[2] + r->left[3]) * RR_MIN;
    if (need > len - DNS_HEADER_LEN)
        return -EBADMSG;
    if (h) {
        h->id = get16(msg);
        h->flags = get16(msg + 2);
        h->qdcount = r->left[0];
        h->ancount = r->left[1];
        h->nscount = r->left[2];
        h->arcount = r->left[3];
    }
    return 0;
}

size_t dns_reader_offset(const struct dns_reader *r)
{
    return r->pos;
}

/*
 * Reads the name at *pos, leaving *pos after its bytes in place (after the first pointer if it
 * has one). RFC 1035 4.1.4 pointers: each must point strictly before the bytes being read since
 * the start of the name or the last jump, so every jump goes backwards past all the bytes read so
 * far and a chain cannot loop; pointers into the header are refused; the decompressed name obeys
 * the 63/255 limits (RFC 1035 2.3.4).
 */
static int read_name(const struct dns_reader *r, size_t *pos, struct dns_name *n)
{
    size_t cur = *pos;
    size_t run_start = cur; /* where the bytes read since the last jump begin */
    size_t after = 0;       /* where the name ends in place, once a pointer was followed */
    size_t out = 0;
    for (;;) {
        if (cur >= r->len)
            return -EBADMSG;
        uint8_t b = r->msg[cur];
        if ((b & 0xc0) == 0xc0) {
            if (cur + 1 >= r->len)
                return -EBADMSG;
            size_t target = ((size_t)(b & 0x3f) << 8) | r->msg[cur + 1];
            if (target >= run_start || target < DNS_HEADER_LEN)
                return -EBADMSG;
            if (after == 0)
                after = cur + 2;
            cur = run_start = target;
            continue;
        }
        if ((b & 0xc0) != 0)
            return -EBADMSG; /* label types 01 and 10 (RFC 6891 5) */
        if (b == 0) {
            n->wire[out++] = 0;
            n->len = (uint8_t)out;
            *pos = after ? after : cur + 1;
            return 0;
        }
        if (cur + 1 + b > r->len || out + 1 + b + 1 > DNS_NAME_MAX)
            return -EBADMSG;
        memcpy(n->wire + out, r->msg + cur, (size_t)b + 1);
        out += (size_t)b + 1;
        cur += (size_t)b + 1;
    }
}

int dns_read_question(struct dns_reader *r, struct dns_question *q)
{
    if (r->left[0] == 0)
        return -ENOENT;
    size_t pos = r->pos;
    if (read_name(r, &pos, &q->name) < 0 || pos + 4 > r->len)
        return -EBADMSG;
    q->type = get16(r->msg + pos);
    q->qclass = get16(r->msg + pos + 2);
    r->pos = pos + 4;
    r->left[0]--;
    return 0;
}

/* A name filling the rdata from *pos exactly up to end, or as its first part. */
static int read_rdata_name(const struct dns_reader *r, size_t *pos, size_t end, struct dns_name *n)
{
    struct dns_reader bounded = *r;
    bounded.len = end; /* the name's own bytes stay inside the rdata; pointers reach back */
    return read_name(&bounded, pos, n);
}

/* TXT rdata (RFC 1035 3.3.14): one or more character-strings filling it exactly. */
static bool txt_well_formed(const uint8_t *p, size_t len)
{
    if (len == 0)
        return false;
    size_t i = 0;
    while (i < len)
        i += (size_t)p[i] + 1;
    return i == len;
}

/* The decoded fields of each known type lie in its member of rr->rd in the order of its
 * dns_rdata_layout, each at the next offset its alignment allows: one walk fills them all. */
_Static_assert(offsetof(struct dns_rr, rd.mx.exchange) - offsetof(struct dns_rr, rd) == 2 &&
               offsetof(struct dns_rr, rd.srv.target) - offsetof(struct dns_rr, rd) == 6 &&
               offsetof(struct dns_rr, rd.soa.rname) - offsetof(struct dns_rr, rd) == sizeof(struct dns_name) &&
               offsetof(struct dns_rr, rd.soa.serial) - offsetof(struct dns_rr, rd) == 2 * sizeof(struct dns_name) &&
               offsetof(struct dns_rr, rd.soa.minimum) - offsetof(struct dns_rr, rd.soa.serial) == 16,
               "struct dns_rr's rdata members follow dns_rdata_layout");

static int read_rdata(const struct dns_reader *r, size_t pos, size_t rdlen, struct dns_rr *rr)
{
    size_t end = pos + rdlen;
    const uint8_t *p = r->msg + pos;
    const char *layout = dns_rdata_layout(rr->type);
    if (!layout || *layout == 's') {
        if (rr->type == DNS_TYPE_TXT && !txt_well_formed(p, rdlen))
            return -EBADMSG;
        if (rdlen > DNS_RDATA_RAW_MAX)
            return -E2BIG;
        rr->rd.raw.len = (uint16_t)rdlen;
        memcpy(rr->rd.raw.data, p, rdlen);
        return 0;
    }
    uint8_t *out = (uint8_t *)&rr->rd;
    size_t at = 0;
    for (; *layout; layout++) {
        char field = *layout;
        if (field == 'n' || field == 'N') {
            /* RFC 2782 forbids compressing the SRV target; RFC 3597 4 still asks receivers
             * to expand it, so every name here may end in a pointer */
            struct dns_name n;
            if (read_rdata_name(r, &pos, end, &n) < 0)
                return -EBADMSG;
            memcpy(out + at, &n, sizeof(n));
            at += sizeof(n);
            continue;
        }
        size_t len = field == 'a' ? 4 : field == 'A' ? 16 : field == '2' ? 2 : 4;
        if (end - pos < len)
            return -EBADMSG;
        p = r->msg + pos;
        if (field == '2') {
            uint16_t v = get16(p);
            memcpy(out + at, &v, 2);
        } else if (field == '4') {
            uint32_t v = get32(p);
            memcpy(out + at, &v, 4);
        } else {
            memcpy(out + at, p, len);
        }
        at += len;
        pos += len;
    }
    /* the fields must end exactly at the rdlength (A 4 bytes, AAAA 16, SOA's numbers ...) */
    return pos == end ? 0 : -EBADMSG;
}

int dns_read_rr(struct dns_reader *r, struct dns_rr *rr)
{
    while (r->left[0] > 0) {
        struct dns_question skipped;
        if (dns_read_question(r, &skipped) < 0)
            return -EBADMSG;
    }
    int section = 1;
    while (section <= 3 && r->left[section] == 0)
        section++;
    if (section > 3)
        return -ENOENT;
    size_t pos = r->pos;
    if (read_name(r, &pos, &rr->name) < 0 || pos + 10 > r->len)
        return -EBADMSG;
    const uint8_t *p = r->msg + pos;
    rr->type = get16(p);
    rr->rclass = get16(p + 2);
    rr->ttl = get32(p + 4);
    if (rr->type != DNS_TYPE_OPT && rr->ttl > 0x7fffffffu)
        rr->ttl = 0; /* RFC 2181 8: a TTL with the top bit set is read as zero */
    size_t rdlen = get16(p + 8);
    pos += 10;
    if (rdlen > r->len - pos)
        return -EBADMSG; /* RFC 1035 4.1.3: rdlength runs past the message */
    int err = read_rdata(r, pos, rdlen, rr);
    if (err == -EBADMSG)
        return err;
    r->pos = pos + rdlen;
    r->left[section]--;
    return err < 0 ? err : section;
}
