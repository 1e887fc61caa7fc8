/*
 * Unit tests for dns/dns_cache and dns/dns_answer on their own: how long an entry lives (RFC 1035
 * 3.2.1, RFC 2181 5.2), which entry makes room when the table is full, and what an answer says
 * after a CNAME (RFC 6604 3) and for how long a negative answer holds (RFC 2308 5).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "dns/dns_resolver.h"
#include "lib/errno.h"
#include "xenolith/testing.h"
#include "xenolith/time.h"
#include "xenolith/test_main.h"

static struct dns_name name_of(const char *text)
{
    struct dns_name n;
    ck_assert_int_eq(dns_name_from_text(&n, text, strlen(text)), 0);
    return n;
}

static const uint8_t message[] = {0, 1, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0};

START_TEST(entry_lives_exactly_its_ttl)
{
    sim_start_kernel(0);
    static struct dns_cache c;
    struct dns_name n = name_of("a.test");
    ck_assert(!dns_cache_store(&c, &n, DNS_TYPE_A, message, sizeof(message), 60, 5 * NS_PER_S));
    struct dns_name upper = name_of("A.TEST");
    ck_assert_ptr_nonnull(dns_cache_find(&c, &upper, DNS_TYPE_A, 64 * NS_PER_S));
    ck_assert_ptr_null(dns_cache_find(&c, &n, DNS_TYPE_AAAA, 6 * NS_PER_S));
    ck_assert_ptr_null(dns_cache_find(&c, &n, DNS_TYPE_A, 65 * NS_PER_S));
    /* TTL 0: "only for the transaction in progress" (RFC 1035 3.2.1), not kept */
    dns_cache_store(&c, &n, DNS_TYPE_A, message, sizeof(message), 0, 70 * NS_PER_S);
    ck_assert_ptr_null(dns_cache_find(&c, &n, DNS_TYPE_A, 70 * NS_PER_S));
    dns_cache_flush(&c);
}
END_TEST

START_TEST(full_table_evicts_the_entry_nearest_expiry)
{
    sim_start_kernel(0);
    static struct dns_cache c;
    char text[32];
    for (unsigned i = 0; i < DNS_CACHE_ENTRIES; i++) {
        snprintf(text, sizeof(text), "n%u.test", i);
        struct dns_name n = name_of(text);
        /* n7 expires first */
        ck_assert(!dns_cache_store(&c, &n, DNS_TYPE_A, message, sizeof(message), i == 7 ? 10 : 100 + i, 0));
    }
    struct dns_name extra = name_of("extra.test");
    ck_assert(dns_cache_store(&c, &extra, DNS_TYPE_A, message, sizeof(message), 50, 0));
    struct dns_name n7 = name_of("n7.test"), n8 = name_of("n8.test");
    ck_assert_ptr_null(dns_cache_find(&c, &n7, DNS_TYPE_A, 1));
    ck_assert_ptr_nonnull(dns_cache_find(&c, &n8, DNS_TYPE_A, 1));
    ck_assert_ptr_nonnull(dns_cache_find(&c, &extra, DNS_TYPE_A, 1));
    /* an expired entry makes room before any live one is evicted */
    struct dns_name later = name_of("later.test");
    ck_assert(!dns_cache_store(&c, &later, DNS_TYPE_A, message, sizeof(message), 50, 60 * NS_PER_S));
    dns_cache_flush(&c);
}
END_TEST

/* An answer: question (name, A), then the given answer records, then an SOA in authority when
 * soa_ttl is not 0. */
static size_t answer(uint8_t *buf, size_t cap, unsigned rcode, const char *qname, const struct dns_rr *an,
                     unsigned nan, uint32_t soa_ttl, uint32_t soa_minimum)
{
    struct dns_writer w;
    dns_writer_init(&w, buf, cap);
    struct dns_header h = {.id = 1, .flags = (uint16_t)(DNS_FLAG_QR | rcode), .qdcount = 1,
                           .ancount = (uint16_t)nan, .nscount = soa_ttl ? 1 : 0};
    ck_assert_int_eq(dns_write_header(&w, &h), 0);
    struct dns_question q = {.name = name_of(qname), .type = DNS_TYPE_A, .qclass = DNS_CLASS_IN};
    ck_assert_int_eq(dns_write_question(&w, &q), 0);
    for (unsigned i = 0; i < nan; i++)
        ck_assert_int_eq(dns_write_rr(&w, &an[i]), 0);
    if (soa_ttl) {
        struct dns_rr soa;
        memset(&soa, 0, sizeof(soa));
        soa.name = name_of("test");
        soa.type = DNS_TYPE_SOA;
        soa.rclass = DNS_CLASS_IN;
        soa.ttl = soa_ttl;
        soa.rd.soa.mname = name_of("ns.test");
        soa.rd.soa.rname = name_of("h.test");
        soa.rd.soa.minimum = soa_minimum;
        ck_assert_int_eq(dns_write_rr(&w, &soa), 0);
    }
    return dns_writer_len(&w);
}

START_TEST(nxdomain_after_cname_is_the_targets)
{
    /* RFC 6604 3: with CNAMEs in the answer the rcode is about the last name of the chain; the
     * negative TTL is the SOA's min(TTL, MINIMUM) (RFC 2308 5), less the age */
    uint8_t buf[512];
    struct dns_rr cname;
    memset(&cname, 0, sizeof(cname));
    cname.name = name_of("alias.test");
    cname.type = DNS_TYPE_CNAME;
    cname.rclass = DNS_CLASS_IN;
    cname.ttl = 600;
    cname.rd.target = name_of("gone.test");
    size_t len = answer(buf, sizeof(buf), DNS_RCODE_NXDOMAIN, "alias.test", &cname, 1, 900, 120);
    struct dns_name n = name_of("alias.test");
    static struct dns_result res;
    memset(&res, 0, sizeof(res));
    uint32_t ttl;
    ck_assert_int_eq(dns_answer_read(buf, len, &n, DNS_TYPE_A, 20, &res, &ttl), -DNS_ENXDOMAIN);
    ck_assert_uint_eq(res.cnames, 1);
    struct dns_name gone = name_of("gone.test");
    ck_assert(dns_name_equal(&n, &gone));
    ck_assert_uint_eq(ttl, 100);
    /* NOERROR, the chain ends outside the answer, no SOA: ask again for the target */
    len = answer(buf, sizeof(buf), DNS_RCODE_NOERROR, "alias.test", &cname, 1, 0, 0);
    n = name_of("alias.test");
    memset(&res, 0, sizeof(res));
    ck_assert_int_eq(dns_answer_read(buf, len, &n, DNS_TYPE_A, 0, &res, &ttl), 0);
    ck_assert(dns_name_equal(&n, &gone));
    ck_assert_uint_eq(ttl, 600);
    /* NOERROR with the chain's end and an SOA: NODATA for the target */
    len = answer(buf, sizeof(buf), DNS_RCODE_NOERROR, "alias.test", &cname, 1, 40, 300);
    n = name_of("alias.test");
    memset(&res, 0, sizeof(res));
    ck_assert_int_eq(dns_answer_read(buf, len, &n, DNS_TYPE_A, 0, &res, &ttl), -ENODATA);
    ck_assert_uint_eq(ttl, 40);
}
END_TEST

static Suite *dns_cache_suite(void)
{
    Suite *s = suite_create("dns_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, entry_lives_exactly_its_ttl);
    tcase_add_test(tc, full_table_evicts_the_entry_nearest_expiry);
    tcase_add_test(tc, nxdomain_after_cname_is_the_targets);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dns_cache_suite)
