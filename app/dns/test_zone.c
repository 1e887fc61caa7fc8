/*
 * Unit tests of the master-file parser and the zone's checks (zone.h; RFC 1035 5, RFC 2308 4,
 * RFC 2181), on the simulated platform: what is accepted, what every record becomes, and that
 * each error names the file and the right line.
 *
 * Run with:  make APP=dns app-unit   (also part of make test-unit)
 */
#include <check.h>
#include <stdlib.h>

#include "zone.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "xenolith/testing.h"
#include "xenolith/test_main.h"

static char err[ZONE_ERROR_MAX];

static int parse(const char *text, struct zone **z)
{
    struct dns_name origin;
    ck_assert_int_eq(dns_name_from_text(&origin, "example.com", 11), 0);
    err[0] = '\0';
    return zone_parse("t.zone", text, strlen(text), &origin, z, err, sizeof(err));
}

static struct zone *parse_ok(const char *text)
{
    struct zone *z = NULL;
    int rc = parse(text, &z);
    ck_assert_msg(rc == 0, "refused: %s", err);
    return z;
}

/* The zone must be refused with exactly this "t.zone:LINE: ..." prefix. */
static void parse_fails(const char *text, const char *want)
{
    struct zone *z = NULL;
    ck_assert_int_ne(parse(text, &z), 0);
    ck_assert_ptr_null(z);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s...'", err, want);
}

static void name(struct dns_name *n, const char *text)
{
    ck_assert_int_eq(dns_name_from_text(n, text, strlen(text)), 0);
}

/* The RRset of `type` at `owner`: its length, and its first record into *rr. */
static size_t rrset(const struct zone *z, const char *owner, uint16_t type, struct dns_rr *rr)
{
    struct dns_name n;
    name(&n, owner);
    size_t count, len;
    size_t first = zone_find_name(z, &n, &count);
    size_t at = zone_find_type(z, first, count, type, &len);
    if (len > 0 && rr)
        zone_rr_expand(z, at, rr);
    return len;
}

#define HEAD "$TTL 3600\n@ IN SOA ns1 host 1 2 3 4 5\n  IN NS ns1\n"

static struct dns_rr rr;

START_TEST(every_type_and_form_is_read)
{
    sim_start_kernel(0);
    /* RFC 1035 5.1: $ORIGIN, '@', relative names, blank owner = the previous one, parentheses
     * joining lines, comments, TTL and class in either order; RFC 2308 4: $TTL. */
    struct zone *z = parse_ok(
        "$TTL 1h ; default\n"
        "@ IN SOA ns1 hostmaster.example.com. ( 7 ; serial\n"
        "   2h 15m\n"
        "   2w 300 )\n"
        "    NS ns1\n"
        "    MX 10 mail\n"
        "ns1 60 IN A 192.0.2.53\n"
        "    IN 70 AAAA 2001:db8::53\n"
        "v4 AAAA ::ffff:192.0.2.1\n"
        "v6 AAAA 1::\n"
        "   AAAA ::\n"
        "   AAAA 1:2:3:4:5:6:7:8\n"
        "   AAAA fe80::a:B:c\n"
        "txt TXT \"a b\" plain \"q\\\"x\\059\"\n"
        "_s._tcp SRV 1 2 3 target.example.net.\n"
        "$ORIGIN sub.example.com.\n"
        "host PTR ptr.example.com.\n"
        "alias CNAME host\n");
    ck_assert(dns_name_equal(&z->apex, &(struct dns_name){ 0 }) == false);
    struct dns_name apex;
    name(&apex, "example.com");
    ck_assert(dns_name_equal(&z->apex, &apex));

    ck_assert_uint_eq(rrset(z, "example.com", DNS_TYPE_SOA, &rr), 1);
    ck_assert_uint_eq(rr.ttl, 3600);
    ck_assert_uint_eq(rr.rd.soa.serial, 7);
    ck_assert_uint_eq(rr.rd.soa.refresh, 7200);
    ck_assert_uint_eq(rr.rd.soa.retry, 900);
    ck_assert_uint_eq(rr.rd.soa.expire, 1209600);
    ck_assert_uint_eq(rr.rd.soa.minimum, 300);
    struct dns_name want;
    name(&want, "ns1.example.com");
    ck_assert(dns_name_equal(&rr.rd.soa.mname, &want));
    /* RFC 2308 5: the negative TTL is min(SOA TTL, MINIMUM). */
    ck_assert_uint_eq(z->negative_ttl, 300);

    ck_assert_uint_eq(rrset(z, "example.com", DNS_TYPE_MX, &rr), 1);
    name(&want, "mail.example.com");
    ck_assert_uint_eq(rr.rd.mx.preference, 10);
    ck_assert(dns_name_equal(&rr.rd.mx.exchange, &want));

    ck_assert_uint_eq(rrset(z, "ns1.example.com", DNS_TYPE_A, &rr), 1);
    ck_assert_uint_eq(rr.ttl, 60);
    ck_assert_mem_eq(rr.rd.a, ((uint8_t[]){ 192, 0, 2, 53 }), 4);
    ck_assert_uint_eq(rrset(z, "ns1.example.com", DNS_TYPE_AAAA, &rr), 1);
    ck_assert_uint_eq(rr.ttl, 70);
    ck_assert_mem_eq(rr.rd.aaaa, ((uint8_t[]){ 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53 }), 16);
    ck_assert_uint_eq(rrset(z, "v4.example.com", DNS_TYPE_AAAA, &rr), 1);
    ck_assert_mem_eq(rr.rd.aaaa, ((uint8_t[]){ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1 }), 16);
    /* RFC 4291 2.2: every text form; the RRset comes in canonical (rdata) order */
    static const uint8_t v6[4][16] = {
        { 0 },
        { 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
        { 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8 },
        { 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0, 0x0b, 0, 0x0c },
    };
    struct dns_name v6name;
    name(&v6name, "v6.example.com");
    size_t v6count;
    size_t v6first = zone_find_name(z, &v6name, &v6count);
    ck_assert_uint_eq(v6count, 4);
    for (size_t i = 0; i < 4; i++) {
        zone_rr_expand(z, v6first + i, &rr);
        ck_assert_mem_eq(rr.rd.aaaa, v6[i], 16);
    }

    /* Character-strings: quoted (with \" and \DDD), and a bare word (RFC 1035 5.1). */
    ck_assert_uint_eq(rrset(z, "txt.example.com", DNS_TYPE_TXT, &rr), 1);
    ck_assert_uint_eq(rr.rd.raw.len, 4 + 6 + 5);
    ck_assert_mem_eq(rr.rd.raw.data, "\003a b\005plain\004q\"x;", 15);

    ck_assert_uint_eq(rrset(z, "_s._tcp.example.com", DNS_TYPE_SRV, &rr), 1);
    ck_assert_uint_eq(rr.rd.srv.priority, 1);
    ck_assert_uint_eq(rr.rd.srv.weight, 2);
    ck_assert_uint_eq(rr.rd.srv.port, 3);

    /* After $ORIGIN, relative names are under the new origin. */
    ck_assert_uint_eq(rrset(z, "host.sub.example.com", DNS_TYPE_PTR, NULL), 1);
    ck_assert_uint_eq(rrset(z, "alias.sub.example.com", DNS_TYPE_CNAME, &rr), 1);
    name(&want, "host.sub.example.com");
    ck_assert(dns_name_equal(&rr.rd.target, &want));
    zone_free(z);
}
END_TEST

START_TEST(records_are_in_canonical_order_without_duplicates)
{
    sim_start_kernel(0);
    struct zone *z = parse_ok(HEAD "b A 192.0.2.2\nA.b A 192.0.2.3\na A 192.0.2.1\n"
                              "B A 192.0.2.2\nz.a A 192.0.2.9\n");
    /* RFC 2181 5: an RRset has no duplicate records (b and B are the same name, RFC 4343). */
    ck_assert_uint_eq(z->count, 2 + 4);
    for (size_t i = 1; i < z->count; i++) {
        size_t la, lb;
        const uint8_t *a = zone_rr_owner(z, i - 1, &la), *b = zone_rr_owner(z, i, &lb);
        ck_assert_int_le(zone_wire_compare(a, la, b, lb), 0);
    }
    /* RFC 4034 6.1: a < z.a < b < a.b. */
    struct dns_name n;
    size_t count;
    name(&n, "z.a.example.com");
    size_t zi = zone_find_name(z, &n, &count);
    name(&n, "b.example.com");
    size_t bi = zone_find_name(z, &n, &count);
    ck_assert_uint_lt(zi, bi);
    /* b has names below it; z.a has none. */
    ck_assert(zone_has_below(z, bi + count, &n));
    name(&n, "z.a.example.com");
    ck_assert(!zone_has_below(z, zi + 1, &n));
    zone_free(z);
}
END_TEST

START_TEST(the_last_explicit_ttl_applies_without_dollar_ttl)
{
    sim_start_kernel(0);
    /* RFC 1035 5.1: an omitted TTL is the last one given. */
    struct zone *z = parse_ok("@ 100 IN SOA ns1 host 1 2 3 4 5\n  NS ns1\nns1 A 192.0.2.1\n");
    ck_assert_uint_eq(rrset(z, "ns1.example.com", DNS_TYPE_A, &rr), 1);
    ck_assert_uint_eq(rr.ttl, 100);
    zone_free(z);
}
END_TEST

/* Every error names the file and the line of the record at fault. */
START_TEST(errors_name_file_and_line)
{
    sim_start_kernel(0);
    parse_fails(HEAD "a A 192.0.2.1\nb A 192.0.2.300\n", "t.zone:5: bad IPv4 address '192.0.2.300'");
    parse_fails(HEAD "\n\nb AAAA 2001:db8:::1\n", "t.zone:6: bad IPv6 address");
    parse_fails(HEAD "b AAAA 1:2:3:4:5:6:7:8:9\n", "t.zone:4: bad IPv6 address");
    parse_fails(HEAD "b AAAA 1:\n", "t.zone:4: bad IPv6 address");
    parse_fails(HEAD "b AAAA :1\n", "t.zone:4: bad IPv6 address");
    parse_fails(HEAD "b AAAA 1::2::3\n", "t.zone:4: bad IPv6 address");
    parse_fails(HEAD "b AAAA 12345::\n", "t.zone:4: bad IPv6 address");
    parse_fails(HEAD "b AAAA 1:2:3:4:5:6:7::8\n", "t.zone:4: bad IPv6 address");
    parse_fails(HEAD "b AAAA 1:2:3:4:5:6:7:1.2.3.4\n", "t.zone:4: bad IPv6 address");
    parse_fails(HEAD "b HINFO a b\n", "t.zone:4: unknown or unsupported record type 'HINFO'");
    parse_fails(HEAD "b CH A 192.0.2.1\n", "t.zone:4: class CH is not supported");
    parse_fails(HEAD "b MX 70000 mail\n", "t.zone:4: bad number '70000'");
    parse_fails(HEAD "b MX 10\n", "t.zone:4: MX takes 2 fields, not 1");
    parse_fails(HEAD "b TXT\n", "t.zone:4: TXT takes at least 1 field, not 0");
    parse_fails(HEAD "b TXT \"open\n", "t.zone:4: unterminated quoted string");
    parse_fails(HEAD "b TXT \"a\\256\"\n", "t.zone:4: bad escape in 'a\\256'");
    parse_fails(HEAD "b TXT a\\\n", "t.zone:4: bad escape in 'a\\'");
    parse_fails(HEAD "b A ( 192.0.2.1\n\n", "t.zone:4: '(' is never closed");
    parse_fails(HEAD "b A 192.0.2.1 )\n", "t.zone:4: ')' without '('");
    parse_fails(HEAD "$INCLUDE other.zone\n", "t.zone:4: unsupported directive '$INCLUDE'");
    parse_fails(HEAD "$GENERATE 1-2 a A 1.2.3.4\n", "t.zone:4: unsupported directive '$GENERATE'");
    parse_fails(HEAD "b.example.org. A 192.0.2.1\n", "t.zone:4: 'b.example.org' is outside the zone");
    parse_fails(HEAD "b 99999999999 A 192.0.2.1\n", "t.zone:4: TTL '99999999999' is over");
    parse_fails(HEAD "b 1x A 192.0.2.1\n", "t.zone:4: bad TTL '1x'");
    parse_fails(HEAD "a..b A 192.0.2.1\n", "t.zone:4: bad domain name 'a..b'");
    parse_fails(HEAD "b A 192.0.2.1\x01\n", "t.zone:4: control character 0x01");
    /* RFC 1035 3.3: a character-string holds at most 255 bytes. */
    char text[600];
    kstrlcpy(text, HEAD "b TXT ", sizeof(text));
    size_t n = strlen(text);
    memset(text + n, 'x', 256);
    text[n + 256] = '\n';
    text[n + 257] = '\0';
    parse_fails(text, "t.zone:4: a character-string longer than 255 bytes");
}
END_TEST

START_TEST(zone_rules_are_enforced)
{
    sim_start_kernel(0);
    /* RFC 1035 5.2: the SOA comes first, once. */
    parse_fails("$TTL 1\na A 192.0.2.1\n", "t.zone:2: the first record must be the zone's SOA");
    parse_fails(HEAD "x SOA ns1 host 1 2 3 4 5\n", "t.zone:4: a second SOA record");
    parse_fails("", "t.zone:1: the zone has no SOA record");
    /* RFC 1034 4.2.1: the apex has NS records. */
    parse_fails("$TTL 1\n@ SOA ns1 host 1 2 3 4 5\n", "t.zone:3: the zone has no NS record at its apex");
    /* RFC 2181 10.1: a CNAME is alone at its name; the later line is named. */
    parse_fails(HEAD "w CNAME x\nv A 192.0.2.1\nw A 192.0.2.2\n",
                "t.zone:6: w.example.com: a CNAME must be the only record of its name");
    /* RFC 2308 4: without $TTL or an earlier TTL, a record has none. */
    parse_fails("@ IN SOA ns1 host 1 2 3 4 5\n", "t.zone:1: no TTL");
    /* A blank-started first record has no owner to continue. */
    parse_fails("$TTL 1\n  A 192.0.2.1\n", "t.zone:2: no owner name");
}
END_TEST

START_TEST(zone_sets_find_the_deepest_zone)
{
    sim_start_kernel(0);
    struct zone_set set = { 0 };
    struct zone *parent = parse_ok(HEAD);
    struct dns_name origin;
    name(&origin, "sub.example.com");
    struct zone *child;
    const char *text = "$TTL 1\n@ SOA ns1 host 1 2 3 4 5\n NS ns1\n";
    ck_assert_int_eq(zone_parse("c.zone", text, strlen(text), &origin, &child, err, sizeof(err)), 0);
    ck_assert_int_eq(zone_set_add(&set, parent), 0);
    ck_assert_int_eq(zone_set_add(&set, child), 0);
    struct zone *again = parse_ok(HEAD);
    ck_assert_int_eq(zone_set_add(&set, again), -EEXIST);
    zone_free(again);
    struct dns_name n;
    name(&n, "a.SUB.example.com");
    ck_assert_ptr_eq(zone_set_find(&set, &n), child);
    name(&n, "a.example.com");
    ck_assert_ptr_eq(zone_set_find(&set, &n), parent);
    name(&n, "example.org");
    ck_assert_ptr_null(zone_set_find(&set, &n));
    zone_set_free(&set);
}
END_TEST

static Suite *zone_suite(void)
{
    Suite *s = suite_create("dns_zone");
    TCase *tc = tcase_create("zone");
    tcase_add_test(tc, every_type_and_form_is_read);
    tcase_add_test(tc, records_are_in_canonical_order_without_duplicates);
    tcase_add_test(tc, the_last_explicit_ttl_applies_without_dollar_ttl);
    tcase_add_test(tc, errors_name_file_and_line);
    tcase_add_test(tc, zone_rules_are_enforced);
    tcase_add_test(tc, zone_sets_find_the_deepest_zone);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(zone_suite)
