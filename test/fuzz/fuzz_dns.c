/*
 * Fuzz harness: the DNS message codec (dns/dns_read.c, dns/dns_write.c, dns/dns_name.c). The input
 * is one DNS message as it arrives in a UDP datagram or a TCP frame.
 * Checks: no crash, hang or sanitizer report; every name read is well-formed wire (labels of 1..63
 * bytes, at most 255 bytes, ending in the root) and survives text and back unchanged; the reader
 * never goes past the message; a message read in full and written again with compression reads
 * back to the same questions and records (equal names: compression matches suffixes without
 * regard to case, so a name may come back in the case of the one it points to; same rdata).
 * The resolver's reading of an answer (dns/dns_answer.c) runs on every message too, for its first
 * question: it returns one of its documented results, never more records than the answer holds,
 * and a bounded CNAME count.
 */
#include <stdlib.h>
#include <string.h>

#include "dns/dns_resolver.h"
#include "lib/errno.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ENTRIES 64

static void check_name(const struct dns_name *n)
{
    if (n->len == 0 || n->len > DNS_NAME_MAX)
        abort();
    size_t pos = 0;
    while (n->wire[pos] != 0) {
        if (n->wire[pos] > DNS_LABEL_MAX)
            abort();
        pos += (size_t)n->wire[pos] + 1;
        if (pos >= n->len)
            abort();
    }
    if (pos + 1 != n->len)
        abort();
    char text[DNS_TEXT_MAX];
    int len = dns_name_to_text(n, text, sizeof(text));
    if (len < 0)
        abort();
    struct dns_name back;
    if (dns_name_from_text(&back, text, (size_t)len) != 0 || back.len != n->len ||
        memcmp(back.wire, n->wire, n->len) != 0)
        abort();
    if (!dns_name_equal(n, &back) || !dns_name_is_under(n, &(struct dns_name){.len = 1}))
        abort();
}

static void check_rr_names(const struct dns_rr *rr)
{
    check_name(&rr->name);
    switch (rr->type) {
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR: check_name(&rr->rd.target); break;
    case DNS_TYPE_MX: check_name(&rr->rd.mx.exchange); break;
    case DNS_TYPE_SRV: check_name(&rr->rd.srv.target); break;
    case DNS_TYPE_SOA:
        check_name(&rr->rd.soa.mname);
        check_name(&rr->rd.soa.rname);
        break;
    default: break;
    }
}

static bool same_rdata(const struct dns_rr *a, const struct dns_rr *b)
{
    switch (a->type) {
    case DNS_TYPE_A: return memcmp(a->rd.a, b->rd.a, 4) == 0;
    case DNS_TYPE_AAAA: return memcmp(a->rd.aaaa, b->rd.aaaa, 16) == 0;
    case DNS_TYPE_NS:
    case DNS_TYPE_CNAME:
    case DNS_TYPE_PTR:
        return dns_name_equal(&a->rd.target, &b->rd.target);
    case DNS_TYPE_MX:
        return a->rd.mx.preference == b->rd.mx.preference &&
               dns_name_equal(&a->rd.mx.exchange, &b->rd.mx.exchange);
    case DNS_TYPE_SRV:
        /* never compressed (RFC 2782): its case survives exactly */
        return a->rd.srv.port == b->rd.srv.port && a->rd.srv.target.len == b->rd.srv.target.len &&
               memcmp(a->rd.srv.target.wire, b->rd.srv.target.wire, a->rd.srv.target.len) == 0;
    case DNS_TYPE_SOA:
        return a->rd.soa.serial == b->rd.soa.serial && a->rd.soa.minimum == b->rd.soa.minimum &&
               dns_name_equal(&a->rd.soa.mname, &b->rd.soa.mname) &&
               dns_name_equal(&a->rd.soa.rname, &b->rd.soa.rname);
    default:
        return a->rd.raw.len == b->rd.raw.len && memcmp(a->rd.raw.data, b->rd.raw.data, a->rd.raw.len) == 0;
    }
}

static struct dns_question questions[MAX_ENTRIES];
static struct dns_rr records[MAX_ENTRIES];
static int sections[MAX_ENTRIES];
static uint8_t out[65536];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_reader r;
    struct dns_header h;
    if (dns_reader_init(&r, data, size, &h) < 0)
        return 0;
    unsigned nq = 0, nr = 0;
    bool complete = true;
    int err;
    while (nq < MAX_ENTRIES && (err = dns_read_question(&r, &questions[nq])) == 0) {
        check_name(&questions[nq].name);
        nq++;
    }
    if (nq == MAX_ENTRIES)
        return 0;
    if (err != -ENOENT)
        complete = false;
    while (complete && nr < MAX_ENTRIES) {
        err = dns_read_rr(&r, &records[nr]);
        if (dns_reader_offset(&r) > size)
            abort();
        if (err == -ENOENT)
            break;
        if (err < 0) {
            complete = false;
            break;
        }
        if (err < DNS_SECTION_ANSWER || err > DNS_SECTION_ADDITIONAL)
            abort();
        check_rr_names(&records[nr]);
        if (records[nr].type == DNS_TYPE_OPT) {
            struct dns_edns e;
            (void)dns_edns_from_rr(&records[nr], &e);
        }
        sections[nr++] = err;
    }
    if (!complete || nr == MAX_ENTRIES)
        return 0;

    if (nq > 0) {
        static struct dns_result res;
        struct dns_name name = questions[0].name;
        uint32_t ttl = 0;
        res.cnames = 0;
        int rc = dns_answer_read(data, size, &name, questions[0].type, 5, &res, &ttl);
        if (rc > 0 && ((unsigned)rc != res.count || res.count > nr))
            abort();
        if (rc < 0 && rc != -DNS_ENXDOMAIN && rc != -ENODATA && rc != -DNS_ECNAMELOOP && rc != -EBADMSG)
            abort();
        if (res.cnames > DNS_CNAME_MAX + 1)
            abort();
        check_name(&name);
    }

    /* write it again, compressed, and read it back */
    struct dns_writer w;
    dns_writer_init(&w, out, sizeof(out));
    if (dns_write_header(&w, &h) != 0)
        abort();
    for (unsigned i = 0; i < nq; i++)
        if (dns_write_question(&w, &questions[i]) != 0)
            abort();
    for (unsigned i = 0; i < nr; i++)
        if (dns_write_rr(&w, &records[i]) != 0)
            abort();
    struct dns_reader again;
    struct dns_header h2;
    if (dns_reader_init(&again, out, dns_writer_len(&w), &h2) != 0 || memcmp(&h, &h2, sizeof(h)) != 0)
        abort();
    for (unsigned i = 0; i < nq; i++) {
        struct dns_question q;
        if (dns_read_question(&again, &q) != 0 || q.type != questions[i].type ||
            q.qclass != questions[i].qclass || !dns_name_equal(&q.name, &questions[i].name))
            abort();
    }
    for (unsigned i = 0; i < nr; i++) {
        static struct dns_rr rr;
        if (dns_read_rr(&again, &rr) != sections[i] || rr.type != records[i].type ||
            rr.rclass != records[i].rclass || rr.ttl != records[i].ttl ||
            !dns_name_equal(&rr.name, &records[i].name) || !same_rdata(&rr, &records[i]))
            abort();
    }
    struct dns_rr end;
    if (dns_read_rr(&again, &end) != -ENOENT)
        abort();
    return 0;
}
