/*
 * libFuzzer harness for the master-file parser (zone.h): the input is a zone file whose initial
 * origin is example.com. Beyond "no crash, no leak": a zone that is accepted has its SOA at the
 * apex, every owner at or below the apex, its records in strictly increasing canonical order
 * (sorted, no duplicates), a CNAME alone at its name, and every record expands to a struct
 * dns_rr the codec can write, and written from its wire form gives the same bytes; a refused
 * one has a "file:line: " message.
 *
 * Run with:  make APP=dns app-fuzz   (seeds: corpus/zone/; also part of make test-fuzz)
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "zone.h"
#include "lib/string.h"
#include "xenolith/testing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
    if (!ok)
        abort();
}

static void check_zone(const struct zone *z)
{
    check(z->count > 0 && z->rrs[z->soa].type == DNS_TYPE_SOA);
    size_t len;
    const uint8_t *owner = zone_rr_owner(z, z->soa, &len);
    check(zone_wire_compare(owner, len, z->apex.wire, z->apex.len) == 0);
    static uint8_t buf[4096], wbuf[4096];
    for (size_t i = 0; i < z->count; i++) {
        struct dns_rr rr;
        zone_rr_expand(z, i, &rr);
        check(dns_name_is_under(&rr.name, &z->apex));
        if (i > 0) {
            size_t pl;
            const uint8_t *prev = zone_rr_owner(z, i - 1, &pl);
            int c = zone_wire_compare(prev, pl, rr.name.wire, rr.name.len);
            check(c < 0 || (c == 0 && z->rrs[i - 1].type <= rr.type));
            if (c == 0)
                check(rr.type != DNS_TYPE_CNAME && z->rrs[i - 1].type != DNS_TYPE_CNAME);
        }
        struct dns_writer w, ww;
        dns_writer_init(&w, buf, sizeof(buf));
        struct dns_header h = { 0 };
        check(dns_write_header(&w, &h) == 0);
        check(dns_write_rr(&w, &rr) == 0);
        /* the appliance writes from the wire form: the same bytes */
        dns_writer_init(&ww, wbuf, sizeof(wbuf));
        check(dns_write_header(&ww, &h) == 0);
        check(dns_write_rr_wire(&ww, z->names + z->rrs[i].owner + 1, rr.type, DNS_CLASS_IN, rr.ttl,
                                z->data + z->rrs[i].rdata, z->rrs[i].rdlen) == 0);
        check(dns_writer_len(&ww) == dns_writer_len(&w) && memcmp(wbuf, buf, dns_writer_len(&w)) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool booted;
    if (!booted) {
        sim_start_kernel(0);
        booted = true;
    }
    struct dns_name origin;
    check(dns_name_from_text(&origin, "example.com", 11) == 0);
    struct zone *z = NULL;
    char err[ZONE_ERROR_MAX];
    err[0] = '\0';
    int rc = zone_parse("f.zone", (const char *)data, size, &origin, &z, err, sizeof(err));
    if (rc == 0) {
        check(z != NULL);
        check_zone(z);
        zone_free(z);
    } else {
        check(z == NULL && strncmp(err, "f.zone:", 7) == 0);
    }
    return 0;
}
