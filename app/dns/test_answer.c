/*
 * Unit tests of the authoritative answers (answer.h): every answer kind and rule, each with the
 * RFC section it follows. Queries are built and responses read with the dns library's codec,
 * so what is checked is the bytes a client would get.
 *
 * Run with:  make APP=dns app-unit   (also part of make test-unit)
 */
#include <check.h>
#include <stdlib.h>

#include "answer.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "xenolith/testing.h"
#include "xenolith/test_main.h"

static const char zone_text[] =
    "$TTL 3600\n"
    "@ 7200 IN SOA ns1 hostmaster 1 7200 900 1209600 300\n"
    "  NS ns1\n"
    "  MX 10 mail\n"
    "ns1 A 192.0.2.53\n"
    "mail A 192.0.2.25\n"
    "  AAAA 2001:db8::25\n"
    "www CNAME web\n"
    "web A 192.0.2.80\n"
    "alias CNAME www\n"
    "away CNAME www.example.net.\n"
    "dangling CNAME nowhere\n"
    "loop1 CNAME loop2\n"
    "loop2 CNAME loop1\n"
    "a.b.c TXT \"deep\"\n"
    "_sip._tcp SRV 10 60 5060 sip\n"
    "sip A 192.0.2.60\n"
    "sub NS ns.sub\n"
    "  NS ns.example.net.\n"
    "ns.sub A 192.0.2.99\n"
    "*.sub TXT \"below the cut\"\n"
    "*.w TXT \"wild\"\n"
    "  MX 10 mail\n"
    "sub1.w A 192.0.2.11\n"
    "*.cn CNAME web\n"
    "a.*.e TXT \"under an empty wildcard\"\n"
    "big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"\n"
    "  TXT \"1123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"\n"
    "  TXT \"2123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"\n"
    "  TXT \"3123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"\n"
    "  TXT \"4123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"\n";

static struct zone_set zones;

static void setup(void)
{
    sim_start_kernel(0);
    struct dns_name origin;
    char err[ZONE_ERROR_MAX];
    struct zone *z;
    ck_assert_int_eq(dns_name_from_text(&origin, "example.com", 11), 0);
    int rc = zone_parse("t.zone", zone_text, sizeof(zone_text) - 1, &origin, &z, err, sizeof(err));
    ck_assert_msg(rc == 0, "%s", err);
    zones = (struct zone_set){ 0 };
    ck_assert_int_eq(zone_set_add(&zones, z), 0);
}

static void teardown(void)
{
    zone_set_free(&zones);
}

#define NO_EDNS (-1)

static uint8_t query[1024];
static size_t query_len;

/* A query for name/type with the given header flags, and an OPT record when edns >= 0
 * (its payload size) with that version. */
static void make_query(const char *name, uint16_t type, uint16_t flags, int edns, uint8_t version)
{
    struct dns_writer w;
    dns_writer_init(&w, query, sizeof(query));
    struct dns_header h = { .id = 0x1234, .flags = flags, .qdcount = 1, .arcount = edns >= 0 };
    ck_assert_int_eq(dns_write_header(&w, &h), 0);
    struct dns_question q = { .type = type, .qclass = DNS_CLASS_IN };
    ck_assert_int_eq(dns_name_from_text(&q.name, name, strlen(name)), 0);
    ck_assert_int_eq(dns_write_question(&w, &q), 0);
    if (edns >= 0) {
        struct dns_edns e = { .udp_size = (uint16_t)edns, .version = version };
        ck_assert_int_eq(dns_write_opt(&w, &e), 0);
    }
    query_len = dns_writer_len(&w);
}

struct parsed {
    struct dns_header h;
    struct dns_rr an[16], ns[16], ar[16];
    unsigned nan, nns, nar;
    bool opt;
    struct dns_edns edns;
    size_t len;
};
static struct parsed p;
static uint8_t out[ANSWER_TCP_MAX];
static struct answer_meta meta;

/* Answers the query over UDP (tcp false) or TCP and reads the response back into p. */
static size_t ask(bool tcp)
{
    memset(&p, 0, sizeof(p));
    p.len = answer_query(&zones, query, query_len, tcp, 1232, out, tcp ? ANSWER_TCP_MAX : 1232, &meta);
    if (p.len == 0)
        return 0;
    struct dns_reader r;
    ck_assert_int_eq(dns_reader_init(&r, out, p.len, &p.h), 0);
    struct dns_rr rr;
    int section;
    while ((section = dns_read_rr(&r, &rr)) > 0) {
        if (rr.type == DNS_TYPE_OPT) {
            p.opt = true;
            ck_assert_int_eq(dns_edns_from_rr(&rr, &p.edns), 0);
        } else if (section == DNS_SECTION_ANSWER && p.nan < 16) {
            p.an[p.nan++] = rr;
        } else if (section == DNS_SECTION_AUTHORITY && p.nns < 16) {
            p.ns[p.nns++] = rr;
        } else if (p.nar < 16) {
            p.ar[p.nar++] = rr;
        }
    }
    ck_assert_int_eq(section, -ENOENT);
    ck_assert_uint_eq(dns_reader_offset(&r), p.len);
    return p.len;
}

static unsigned rcode(void)
{
    return DNS_FLAGS_RCODE(p.h.flags);
}

static bool flag(uint16_t f)
{
    return (p.h.flags & f) != 0;
}

static bool named(const struct dns_name *n, const char *text)
{
    struct dns_name want;
    ck_assert_int_eq(dns_name_from_text(&want, text, strlen(text)), 0);
    return dns_name_equal(n, &want);
}

START_TEST(an_answer_is_authoritative_and_echoes_the_query)
{
    make_query("web.example.com", DNS_TYPE_A, DNS_FLAG_RD, NO_EDNS, 0);
    ck_assert_uint_gt(ask(false), 0);
    /* RFC 1035 4.1.1: the ID is copied, QR set, RD copied; RA clear: no recursion here. */
    ck_assert_uint_eq(p.h.id, 0x1234);
    ck_assert(flag(DNS_FLAG_QR) && flag(DNS_FLAG_AA) && flag(DNS_FLAG_RD));
    ck_assert(!flag(DNS_FLAG_RA) && !flag(DNS_FLAG_TC));
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert_uint_eq(p.h.qdcount, 1);
    ck_assert_uint_eq(p.nan, 1);
    ck_assert_uint_eq(p.an[0].type, DNS_TYPE_A);
    ck_assert_mem_eq(p.an[0].rd.a, ((uint8_t[]){ 192, 0, 2, 80 }), 4);
    ck_assert(!p.opt);                   /* no OPT asked, none given */
    ck_assert_int_eq(meta.kind, ANSWER_DATA);
}
END_TEST

START_TEST(names_match_without_regard_to_case)
{
    /* RFC 4343 3: ASCII case is not significant. */
    make_query("WeB.ExAmPlE.CoM", DNS_TYPE_A, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert_uint_eq(p.nan, 1);
}
END_TEST

START_TEST(nodata_carries_the_soa_with_the_negative_ttl)
{
    /* RFC 2308 2.2: NOERROR, no answer, the SOA in authority; 3: its TTL is min(SOA TTL,
     * MINIMUM) = min(7200, 300). */
    make_query("web.example.com", DNS_TYPE_AAAA, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert(flag(DNS_FLAG_AA));
    ck_assert_uint_eq(p.nan, 0);
    ck_assert_uint_eq(p.nns, 1);
    ck_assert_uint_eq(p.ns[0].type, DNS_TYPE_SOA);
    ck_assert_uint_eq(p.ns[0].ttl, 300);
    ck_assert_int_eq(meta.kind, ANSWER_NODATA);
}
END_TEST

START_TEST(nxdomain_carries_the_soa_with_the_negative_ttl)
{
    /* RFC 2308 2.1 and 3. */
    make_query("nothere.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NXDOMAIN);
    ck_assert(flag(DNS_FLAG_AA));
    ck_assert_uint_eq(p.nan, 0);
    ck_assert_uint_eq(p.nns, 1);
    ck_assert_uint_eq(p.ns[0].type, DNS_TYPE_SOA);
    ck_assert_uint_eq(p.ns[0].ttl, 300);
    /* The rate limiter sees the zone, not the random name. */
    ck_assert(named(&meta.rrl_name, "example.com"));
    /* Below a name that does not exist: NXDOMAIN too (RFC 8020). */
    make_query("x.nothere.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NXDOMAIN);
}
END_TEST

START_TEST(an_empty_non_terminal_is_nodata)
{
    /* RFC 4592 2.2.2 / RFC 8020: b.c.example.com has no records but a name below it: it
     * exists, so NOERROR without data, not NXDOMAIN. */
    make_query("b.c.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert_uint_eq(p.nan, 0);
    ck_assert_uint_eq(p.ns[0].type, DNS_TYPE_SOA);
    make_query("c.example.com", DNS_TYPE_TXT, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
}
END_TEST

START_TEST(a_delegation_is_a_referral_with_glue)
{
    /* RFC 1034 4.3.2 step 3b: NS of the cut in authority, addresses of its servers that the zone
     * has in additional, AA clear (we are not the authority below the cut). */
    static const char *const names[] = { "sub.example.com", "host.sub.example.com", "a.b.sub.example.com" };
    for (int i = 0; i < 3; i++) {
        make_query(names[i], DNS_TYPE_A, 0, NO_EDNS, 0);
        ask(false);
        ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
        ck_assert(!flag(DNS_FLAG_AA));
        ck_assert_uint_eq(p.nan, 0);
        ck_assert_uint_eq(p.nns, 2);
        ck_assert_uint_eq(p.ns[0].type, DNS_TYPE_NS);
        ck_assert(named(&p.ns[0].name, "sub.example.com"));
        ck_assert_uint_eq(p.nar, 1);     /* only ns.sub is in the zone */
        ck_assert(named(&p.ar[0].name, "ns.sub.example.com"));
        ck_assert_mem_eq(p.ar[0].rd.a, ((uint8_t[]){ 192, 0, 2, 99 }), 4);
        ck_assert_int_eq(meta.kind, ANSWER_REFERRAL);
        /* The rate limiter sees the delegation, not the name below it. */
        ck_assert(named(&meta.rrl_name, "sub.example.com"));
    }
    /* The cut's NS asked for: still a referral (the child is authoritative for them). */
    make_query("sub.example.com", DNS_TYPE_NS, 0, NO_EDNS, 0);
    ask(false);
    ck_assert(!flag(DNS_FLAG_AA));
    ck_assert_uint_eq(p.nan, 0);
    ck_assert_uint_eq(p.nns, 2);
}
END_TEST

START_TEST(cnames_are_followed_within_the_zone)
{
    /* RFC 1034 4.3.2 step 3a: the CNAME, then the answer for its target; a chain likewise. */
    make_query("alias.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert(flag(DNS_FLAG_AA));
    ck_assert_uint_eq(p.nan, 3);
    ck_assert_uint_eq(p.an[0].type, DNS_TYPE_CNAME);
    ck_assert(named(&p.an[0].name, "alias.example.com"));
    ck_assert_uint_eq(p.an[1].type, DNS_TYPE_CNAME);
    ck_assert(named(&p.an[1].name, "www.example.com"));
    ck_assert_uint_eq(p.an[2].type, DNS_TYPE_A);
    ck_assert(named(&p.an[2].name, "web.example.com"));
    /* The CNAME itself asked for: no following. */
    make_query("www.example.com", DNS_TYPE_CNAME, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(p.nan, 1);
    ck_assert_uint_eq(p.an[0].type, DNS_TYPE_CNAME);
    /* A target outside the zone: the CNAME alone, the resolver goes on. */
    make_query("away.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert_uint_eq(p.nan, 1);
    ck_assert_uint_eq(p.nns, 0);
    /* A target that does not exist: the CNAME and NXDOMAIN (RFC 6604 2.1), with the SOA. */
    make_query("dangling.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NXDOMAIN);
    ck_assert_uint_eq(p.nan, 1);
    ck_assert_uint_eq(p.ns[0].type, DNS_TYPE_SOA);
    /* A target with no data of the type: the CNAME and NODATA's SOA. */
    make_query("www.example.com", DNS_TYPE_MX, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert_uint_eq(p.nan, 1);
    ck_assert_uint_eq(p.ns[0].type, DNS_TYPE_SOA);
    /* A loop ends after ANSWER_CNAME_CHAIN links. */
    make_query("loop1.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert_uint_eq(p.nan, ANSWER_CNAME_CHAIN);
}
END_TEST

START_TEST(additional_section_gives_addresses_of_targets)
{
    /* RFC 1035 3.3.9: MX exchanges' addresses in additional. */
    make_query("example.com", DNS_TYPE_MX, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(p.nan, 1);
    ck_assert_uint_eq(p.nar, 2);
    ck_assert(named(&p.ar[0].name, "mail.example.com"));
    ck_assert_uint_eq(p.ar[0].type, DNS_TYPE_A);
    ck_assert_uint_eq(p.ar[1].type, DNS_TYPE_AAAA);
    /* RFC 2782: SRV targets' addresses likewise. */
    make_query("_sip._tcp.example.com", DNS_TYPE_SRV, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(p.nan, 1);
    ck_assert_uint_eq(p.an[0].rd.srv.port, 5060);
    ck_assert_uint_eq(p.nar, 1);
    ck_assert(named(&p.ar[0].name, "sip.example.com"));
    /* ANY gives every record of the name. */
    make_query("mail.example.com", DNS_TYPE_ANY, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(p.nan, 2);
}
END_TEST

START_TEST(udp_without_edns_is_limited_to_512_bytes)
{
    /* RFC 1035 4.2.1: 512 bytes over UDP; what does not fit sets TC and leaves header and
     * question (RFC 2181 9), and the client retries over TCP. */
    make_query("big.example.com", DNS_TYPE_TXT, 0, NO_EDNS, 0);
    ck_assert_uint_le(ask(false), 512);
    ck_assert(flag(DNS_FLAG_TC));
    ck_assert_uint_eq(p.h.qdcount, 1);
    ck_assert_uint_eq(p.nan, 0);
    ck_assert(meta.truncated);
    /* Over TCP the whole RRset. */
    ck_assert_uint_gt(ask(true), 512);
    ck_assert(!flag(DNS_FLAG_TC));
    ck_assert_uint_eq(p.nan, 5);
}
END_TEST

START_TEST(edns_sets_the_size_and_is_answered_with_opt)
{
    /* RFC 6891 6.2.5: with EDNS the requestor's size (here 1000) bounds the response; ours is
     * given back in our OPT record (6.2.3 is 1232 here). */
    make_query("big.example.com", DNS_TYPE_TXT, 0, 1000, 0);
    ck_assert_uint_gt(ask(false), 512);
    ck_assert_uint_le(p.len, 1000);
    ck_assert(!flag(DNS_FLAG_TC));
    ck_assert_uint_eq(p.nan, 5);
    ck_assert(p.opt);
    ck_assert_uint_eq(p.edns.udp_size, 1232);
    ck_assert_uint_eq(p.edns.version, 0);
    /* A size below 512 means 512 (6.2.5): truncated, with the OPT record still there. */
    make_query("big.example.com", DNS_TYPE_TXT, 0, 100, 0);
    ck_assert_uint_le(ask(false), 512);
    ck_assert(flag(DNS_FLAG_TC));
    ck_assert(p.opt);
    ck_assert_uint_eq(p.h.arcount, 1);
}
END_TEST

START_TEST(an_unknown_edns_version_is_badvers)
{
    /* RFC 6891 6.1.3: BADVERS (16): 0 in the header's rcode, 1 in the OPT's extended rcode. */
    make_query("web.example.com", DNS_TYPE_A, 0, 1232, 1);
    ask(false);
    ck_assert(p.opt);
    ck_assert_uint_eq(dns_rcode_full(p.h.flags, &p.edns), DNS_RCODE_BADVERS);
    ck_assert_uint_eq(p.nan, 0);
    ck_assert_int_eq(meta.kind, ANSWER_BADVERS);
}
END_TEST

START_TEST(names_outside_our_zones_are_refused)
{
    make_query("www.example.org", DNS_TYPE_A, DNS_FLAG_RD, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_REFUSED);
    ck_assert(!flag(DNS_FLAG_AA));
    ck_assert_uint_eq(p.nan + p.nns + p.nar, 0);
    /* Zone transfers are not served (RFC 5936 is not implemented): REFUSED. */
    make_query("example.com", 252, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_REFUSED);
    /* Another class (CHAOS version.bind). */
    make_query("example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    query[query_len - 1] = 3;            /* the question's class: CH */
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_REFUSED);
}
END_TEST

START_TEST(other_opcodes_are_not_implemented)
{
    /* RFC 1035 4.1.1: opcodes other than QUERY (0) get NOTIMP; 4 is NOTIFY, 5 UPDATE. */
    for (unsigned op = 1; op < 16; op++) {
        make_query("web.example.com", DNS_TYPE_A, (uint16_t)(op << 11), NO_EDNS, 0);
        ask(false);
        ck_assert_uint_eq(rcode(), DNS_RCODE_NOTIMP);
        ck_assert_uint_eq(DNS_FLAGS_OPCODE(p.h.flags), op);
        ck_assert_uint_eq(p.h.id, 0x1234);
    }
}
END_TEST

START_TEST(malformed_queries_are_formerr)
{
    /* RFC 1035 4.1.1: FORMERR for a query the server cannot interpret. */
    make_query("web.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    query[5] = 2;                        /* two questions, one present */
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_FORMERR);
    ck_assert_uint_eq(p.h.id, 0x1234);

    make_query("web.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    query[5] = 0;                        /* no question */
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_FORMERR);

    make_query("web.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    query_len -= 3;                      /* the question cut short */
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_FORMERR);

    make_query("web.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    query[query_len++] = 0xff;           /* a byte after the last record */
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_FORMERR);

    make_query("web.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    query[7] = 1;                        /* an answer record promised in a query */
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_FORMERR);

    /* RFC 6891 6.1.1: two OPT records. */
    make_query("web.example.com", DNS_TYPE_A, 0, 1232, 0);
    memcpy(query + query_len, query + query_len - 11, 11);
    query_len += 11;
    query[11] = 2;
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_FORMERR);

    /* OPT as the question's type is meaningless (RFC 6891 6.1.1). */
    make_query("web.example.com", DNS_TYPE_OPT, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_FORMERR);
}
END_TEST

START_TEST(responses_and_runts_get_no_answer)
{
    /* A message with QR set is a response: answering it could loop between two servers. */
    make_query("web.example.com", DNS_TYPE_A, DNS_FLAG_QR, NO_EDNS, 0);
    ck_assert_uint_eq(ask(false), 0);
    ck_assert_int_eq(meta.kind, ANSWER_NONE);
    /* Shorter than a header: nothing to address an answer with. */
    query_len = 11;
    ck_assert_uint_eq(ask(false), 0);
}
END_TEST

START_TEST(a_slip_is_header_and_question_with_tc)
{
    make_query("web.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    size_t len = answer_query(&zones, query, query_len, false, 1232, out, sizeof(out), &meta);
    ck_assert_uint_gt(len, 0);
    size_t cut = answer_truncate(out, len, &meta);
    ck_assert_uint_eq(cut, query_len);
    struct dns_header h;
    struct dns_reader r;
    ck_assert_int_eq(dns_reader_init(&r, out, cut, &h), 0);
    ck_assert(h.flags & DNS_FLAG_TC);
    ck_assert_uint_eq(h.qdcount, 1);
    ck_assert_uint_eq(h.ancount + h.nscount + h.arcount, 0);
}
END_TEST

/* RFC 4592 3.3.1: a name that does not exist gets the records of "*." and its closest encloser
 * (the nearest existing ancestor), owned by the name asked, authoritative. */
START_TEST(a_wildcard_answers_names_that_do_not_exist)
{
    make_query("host.w.example.com", DNS_TYPE_TXT, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert(flag(DNS_FLAG_AA));
    ck_assert_uint_eq(p.nan, 1);
    ck_assert_uint_eq(p.an[0].type, DNS_TYPE_TXT);
    ck_assert(named(&p.an[0].name, "host.w.example.com"));
    ck_assert_mem_eq(p.an[0].rd.raw.data, "\4wild", 5);
    ck_assert_int_eq(meta.kind, ANSWER_DATA);
    /* random names share the wildcard's rate-limit account */
    ck_assert(named(&meta.rrl_name, "*.w.example.com"));
    /* any depth below the closest encloser (w), and additional processing of the synthesized
     * MX (RFC 1035 3.3.9) */
    make_query("a.b.w.example.com", DNS_TYPE_MX, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert_uint_eq(p.nan, 1);
    ck_assert(named(&p.an[0].name, "a.b.w.example.com"));
    ck_assert_uint_eq(p.nar, 2);
    ck_assert(named(&p.ar[0].name, "mail.example.com"));
    /* 3.3.1: the wildcard without the type asked is NODATA, with the SOA */
    make_query("host.w.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert_uint_eq(p.nan, 0);
    ck_assert_uint_eq(p.ns[0].type, DNS_TYPE_SOA);
    ck_assert_int_eq(meta.kind, ANSWER_NODATA);
    /* 2.2.2: a wildcard that exists only as an empty non-terminal (a.*.e) is NODATA too */
    make_query("q.e.example.com", DNS_TYPE_TXT, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert_uint_eq(p.nan, 0);
    ck_assert_int_eq(meta.kind, ANSWER_NODATA);
    /* the wildcard's own name asked: its records, under its own name (2.1.1) */
    make_query("*.w.example.com", DNS_TYPE_TXT, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(p.nan, 1);
    ck_assert(named(&p.an[0].name, "*.w.example.com"));
}
END_TEST

/* RFC 4592 2.2.1 and 3.3.1: only a name that does not exist is synthesized, and only from the
 * wildcard at its closest encloser: an existing name (sub1.w) blocks the wildcard above it for
 * itself and for the names below it; a name at or below a delegation gets the referral (4.2). */
START_TEST(a_wildcard_does_not_cross_existing_names_or_delegations)
{
    make_query("sub1.w.example.com", DNS_TYPE_TXT, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert_uint_eq(p.nan, 0);
    make_query("x.sub1.w.example.com", DNS_TYPE_TXT, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NXDOMAIN);
    ck_assert_uint_eq(p.nan, 0);
    /* a name with no wildcard at its closest encloser */
    make_query("x.mail.example.com", DNS_TYPE_TXT, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NXDOMAIN);
    make_query("x.sub.example.com", DNS_TYPE_TXT, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_int_eq(meta.kind, ANSWER_REFERRAL);
    ck_assert_uint_eq(p.nan, 0);
    ck_assert(!flag(DNS_FLAG_AA));
}
END_TEST

/* RFC 4592 4.4: a CNAME at a wildcard is synthesized like any RRset, owned by the name asked,
 * and followed (RFC 1034 4.3.2 step 3a). */
START_TEST(a_wildcard_cname_is_synthesized_and_followed)
{
    make_query("any.cn.example.com", DNS_TYPE_A, 0, NO_EDNS, 0);
    ask(false);
    ck_assert_uint_eq(rcode(), DNS_RCODE_NOERROR);
    ck_assert_uint_eq(p.nan, 2);
    ck_assert_uint_eq(p.an[0].type, DNS_TYPE_CNAME);
    ck_assert(named(&p.an[0].name, "any.cn.example.com"));
    ck_assert(named(&p.an[0].rd.target, "web.example.com"));
    ck_assert_uint_eq(p.an[1].type, DNS_TYPE_A);
    ck_assert(named(&p.an[1].name, "web.example.com"));
}
END_TEST

static Suite *answer_suite(void)
{
    Suite *s = suite_create("dns_answer");
    TCase *tc = tcase_create("answer");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, an_answer_is_authoritative_and_echoes_the_query);
    tcase_add_test(tc, names_match_without_regard_to_case);
    tcase_add_test(tc, nodata_carries_the_soa_with_the_negative_ttl);
    tcase_add_test(tc, nxdomain_carries_the_soa_with_the_negative_ttl);
    tcase_add_test(tc, an_empty_non_terminal_is_nodata);
    tcase_add_test(tc, a_delegation_is_a_referral_with_glue);
    tcase_add_test(tc, cnames_are_followed_within_the_zone);
    tcase_add_test(tc, additional_section_gives_addresses_of_targets);
    tcase_add_test(tc, udp_without_edns_is_limited_to_512_bytes);
    tcase_add_test(tc, edns_sets_the_size_and_is_answered_with_opt);
    tcase_add_test(tc, an_unknown_edns_version_is_badvers);
    tcase_add_test(tc, names_outside_our_zones_are_refused);
    tcase_add_test(tc, other_opcodes_are_not_implemented);
    tcase_add_test(tc, malformed_queries_are_formerr);
    tcase_add_test(tc, responses_and_runts_get_no_answer);
    tcase_add_test(tc, a_slip_is_header_and_question_with_tc);
    tcase_add_test(tc, a_wildcard_answers_names_that_do_not_exist);
    tcase_add_test(tc, a_wildcard_does_not_cross_existing_names_or_delegations);
    tcase_add_test(tc, a_wildcard_cname_is_synthesized_and_followed);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(answer_suite)
