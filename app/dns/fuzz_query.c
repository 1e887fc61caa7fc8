/*
 * libFuzzer harness for the query handling (answer.h) against the sample zone: the input is a
 * DNS message as it would arrive over UDP or TCP. Properties beyond "no crash": a response fits
 * its transport's limit (512 without EDNS over UDP), reads back completely with the codec, has
 * QR set and the query's ID, one question at most, and nothing but the question when TC is set.
 *
 * Run with:  make APP=dns app-fuzz   (seeds: corpus/query/, messages captured from dig and kdig)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "answer.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "xenolith/testing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char zone_text[] =
    "$TTL 3600\n@ SOA ns1 host 1 2 3 4 300\n NS ns1\n NS ns2.example.net.\n MX 10 mail\n"
    "ns1 A 192.0.2.53\nmail A 192.0.2.25\n AAAA 2001:db8::25\nwww CNAME web\nweb A 192.0.2.80\n"
    "alias CNAME www\nloop CNAME loop\na.b.c TXT \"x\"\n_sip._tcp SRV 1 2 3 sip\nsip A 192.0.2.6\n"
    "sub NS ns.sub\nns.sub A 192.0.2.99\n*.w A 192.0.2.9\n MX 1 mail\n*.c CNAME *.w\nh.w A 192.0.2.8\n"
    "big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901\"\n"
    " TXT \"1123456789012345678901234567890123456789012345678901234567890123456789012345678901\"\n"
    " TXT \"2123456789012345678901234567890123456789012345678901234567890123456789012345678901\"\n"
    " TXT \"3123456789012345678901234567890123456789012345678901234567890123456789012345678901\"\n"
    " TXT \"4123456789012345678901234567890123456789012345678901234567890123456789012345678901\"\n"
    " TXT \"5123456789012345678901234567890123456789012345678901234567890123456789012345678901\"\n";

static void check(int ok)
{
    if (!ok)
        abort();
}

static uint8_t out[ANSWER_TCP_MAX];

static void one(const struct zone_set *zones, const uint8_t *data, size_t size, bool tcp)
{
    struct answer_meta meta;
    size_t len = answer_query(zones, data, size, tcp, 1232, out, tcp ? sizeof(out) : 1232, &meta);
    if (len == 0)
        return;
    check(size >= DNS_HEADER_LEN && !(data[2] & 0x80));
    check(len <= (tcp ? ANSWER_TCP_MAX : 1232u));
    struct dns_reader r;
    struct dns_header h;
    check(dns_reader_init(&r, out, len, &h) == 0);
    check(h.id == (uint16_t)(data[0] << 8 | data[1]));
    check((h.flags & DNS_FLAG_QR) && h.qdcount <= 1);
    if (h.flags & DNS_FLAG_TC)
        check(h.ancount == 0 && h.nscount == 0 && !tcp);
    bool edns = false;
    struct dns_rr rr;
    int rc;
    while ((rc = dns_read_rr(&r, &rr)) > 0)
        edns |= rr.type == DNS_TYPE_OPT;
    check(rc == -ENOENT && dns_reader_offset(&r) == len);
    if (!tcp && !edns)
        check(len <= DNS_UDP_MAX);
    /* A slip is always possible and is header and question. */
    size_t cut = answer_truncate(out, len, &meta);
    check(cut <= len && cut >= DNS_HEADER_LEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct zone_set zones;
    if (zones.count == 0) {
        sim_start_kernel(0);
        struct dns_name origin;
        char err[ZONE_ERROR_MAX];
        struct zone *z;
        check(dns_name_from_text(&origin, "example.com", 11) == 0);
        check(zone_parse("f.zone", zone_text, sizeof(zone_text) - 1, &origin, &z, err, sizeof(err)) == 0);
        check(zone_set_add(&zones, z) == 0);
    }
    one(&zones, data, size, false);
    one(&zones, data, size, true);
    return 0;
}
