/*
 * Unit tests for net/ip_reass, the IPv4 reassembly engine: RFC 791 3.2 reassembly, RFC 5722's
 * overlap rule applied to IPv4, the size limits (RFC 791 3.1 total length), the resource bounds and
 * the timer with its ICMP Time Exceeded quote (RFC 1122 3.3.2, RFC 792).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net/ip/ip_reass.h"
#include "test/unit/net_ip_fixture.h"
#include "xenolith/test_main.h"

#define SRC fixture_addr(10, 0, 0, 1)
#define DST fixture_addr(10, 0, 0, 2)

static struct ip_reass reass;
static uint8_t payload[70000];

static void setup(void)
{
    net_ip_fixture_boot();
    ip_reass_init(&reass, NULL);
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7 + (i >> 8));
}

static void teardown(void)
{
    ip_reass_destroy(&reass);
}

static struct ip_reass_key key_for(uint16_t id)
{
    struct ip_reass_key k;
    memset(&k, 0, sizeof(k));
    store_u32(k.src, SRC);
    store_u32(k.dst, DST);
    k.id = id;
    k.protocol = IPV4_PROTO_UDP;
    return k;
}

/* Adds payload[offset, offset+len) as a fragment of datagram `id`. */
static enum ip_reass_result add_from(const uint8_t *data, uint16_t id, uint32_t offset,
                                     uint32_t len, bool more, struct ip_reass_datagram *out)
{
    uint8_t header[IPV4_HEADER_MIN];
    uint16_t frag = (uint16_t)((offset / 8) | (more ? IPV4_FLAG_MF : 0));
    fixture_ipv4_header(header, SRC, DST, IPV4_PROTO_UDP, id, frag, len);
    struct ip_reass_key k = key_for(id);
    struct ip_reass_fragment f = {
        .header = header, .header_len = sizeof(header),
        .payload = data + offset, .payload_len = len,
        .offset = offset, .more_fragments = more,
    };
    return ip_reass_add(&reass, &k, &f, sim_now(), out);
}

static enum ip_reass_result add(uint16_t id, uint32_t offset, uint32_t len, bool more,
                                struct ip_reass_datagram *out)
{
    return add_from(payload, id, offset, len, more, out);
}

static void check_datagram(struct ip_reass_datagram *d, uint32_t payload_len)
{
    ck_assert_uint_eq(d->len, IPV4_HEADER_MIN + payload_len);
    ck_assert_uint_eq(d->header_len, IPV4_HEADER_MIN);
    ck_assert_uint_eq(load_be16(d->data + 2), IPV4_HEADER_MIN + payload_len);
    ck_assert_uint_eq(load_be16(d->data + 6) & (IPV4_FLAG_MF | IPV4_OFFSET_MASK), 0);
    ck_assert_int_eq(memcmp(d->data + IPV4_HEADER_MIN, payload, payload_len), 0);
    ip_reass_datagram_release(d);
}

/* RFC 791 3.2: fragments in order rebuild the datagram; the result carries the first fragment's
 * header with MF and the offset cleared and the total length of the whole. */
START_TEST(in_order)
{
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(1, 0, 1480, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(1, 1480, 1480, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(1, 2960, 1000, false, &d), IP_REASS_COMPLETE);
    check_datagram(&d, 3960);
    ck_assert_uint_eq(reass.stats.reassembled, 1);
    ck_assert_uint_eq(reass.datagram_count, 0);
    ck_assert_uint_eq(reass.bytes_held, 0);
}
END_TEST

/* RFC 791 3.2: fragments may arrive in any order, the final one first. */
START_TEST(out_of_order)
{
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(2, 2960, 100, false, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(2, 0, 1480, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(2, 1480, 1480, true, &d), IP_REASS_COMPLETE);
    check_datagram(&d, 3060);
}
END_TEST

/* RFC 791 3.2: fragments are matched by source, destination, protocol and identification;
 * interleaved datagrams that differ in any of them never mix. */
START_TEST(keys_do_not_mix)
{
    struct ip_reass_datagram d;
    uint8_t other[64];
    memset(other, 0xee, sizeof(other));
    ck_assert_int_eq(add(3, 0, 16, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add_from(other, 4, 0, 16, true, &d), IP_REASS_HELD);
    /* Same id, other protocol. */
    uint8_t header[IPV4_HEADER_MIN];
    fixture_ipv4_header(header, SRC, DST, IPV4_PROTO_TCP, 3, 2, 8);
    struct ip_reass_key k = key_for(3);
    k.protocol = IPV4_PROTO_TCP;
    struct ip_reass_fragment f = { header, sizeof(header), other, 8, 16, false };
    ck_assert_int_eq(ip_reass_add(&reass, &k, &f, sim_now(), &d), IP_REASS_HELD);
    ck_assert_uint_eq(reass.datagram_count, 3);
    ck_assert_int_eq(add(3, 16, 8, false, &d), IP_REASS_COMPLETE);
    check_datagram(&d, 24);
}
END_TEST

/* RFC 5722 section 4 (applied to IPv4): an exact duplicate is not an overlap and is ignored. */
START_TEST(exact_duplicate_ignored)
{
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(5, 0, 800, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(5, 0, 800, true, &d), IP_REASS_DUPLICATE);
    ck_assert_int_eq(add(5, 800, 80, false, &d), IP_REASS_COMPLETE);
    check_datagram(&d, 880);
    ck_assert_uint_eq(reass.stats.duplicates, 1);
}
END_TEST

/* RFC 5722 section 4 (applied to IPv4): a fragment overlapping data already held discards the
 * whole datagram, and fragments of it arriving later are dropped as well, so no combination of
 * fragments can produce a datagram whose bytes depend on the order of arrival. */
START_TEST(overlap_discards_datagram)
{
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(6, 0, 800, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(6, 792, 80, false, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.overlaps, 1);
    ck_assert_uint_eq(reass.bytes_held, 0);
    /* The correct remaining fragment does not revive it. */
    ck_assert_int_eq(add(6, 800, 72, false, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.poisoned_drops, 1);
    ck_assert_uint_eq(reass.stats.reassembled, 0);
}
END_TEST

/* RFC 5722 section 4 (applied to IPv4): same offset and length but other bytes is an overlap
 * that would rewrite data (the classic TCP header rewrite of RFC 1858), not a duplicate. */
START_TEST(same_range_other_bytes_is_overlap)
{
    struct ip_reass_datagram d;
    uint8_t evil[64];
    memcpy(evil, payload, sizeof(evil));
    evil[13] ^= 0x02;        /* e.g. a TCP flag */
    ck_assert_int_eq(add(7, 0, 64, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add_from(evil, 7, 0, 64, true, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.overlaps, 1);
    ck_assert_int_eq(add(7, 64, 8, false, &d), IP_REASS_DROPPED);
}
END_TEST

/* RFC 1858 3.2 / RFC 5722: a later fragment at offset 8 overlapping a tiny first fragment is
 * refused, not merged over the first fragment's transport header. */
START_TEST(tiny_fragment_overwrite_refused)
{
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(8, 0, 16, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(8, 8, 64, false, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.overlaps, 1);
}
END_TEST

/* RFC 791 3.2: offsets count 8-octet units, so every fragment but the last carries a multiple of
 * 8 bytes; an empty fragment carries nothing to reassemble. Both are refused as malformed. */
START_TEST(misaligned_or_empty_refused)
{
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(9, 0, 100, true, &d), IP_REASS_DROPPED);
    ck_assert_int_eq(add(9, 0, 0, true, &d), IP_REASS_DROPPED);
    ck_assert_int_eq(add(9, 8, 0, false, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.malformed, 3);
    ck_assert_uint_eq(reass.datagram_count, 0);
}
END_TEST

/* RFC 791 3.1: the total length is 16 bits, so header + offset + payload past 65535 is
 * impossible (the "ping of death"): refused, and the rest of that datagram is dropped too. */
START_TEST(over_65535_refused)
{
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(10, 0, 1480, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(10, 65512, 8, false, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.too_big, 1);
    ck_assert_int_eq(add(10, 1480, 8, false, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.poisoned_drops, 1);
    /* The largest legal datagram (65535 bytes) still reassembles. */
    uint32_t total = 65535 - IPV4_HEADER_MIN, off = 0;
    while (total - off > 1480) {
        ck_assert_int_eq(add(11, off, 1480, true, &d), IP_REASS_HELD);
        off += 1480;
    }
    ck_assert_int_eq(add(11, off, total - off, false, &d), IP_REASS_COMPLETE);
    check_datagram(&d, total);
}
END_TEST

/* RFC 791 3.2: the final fragment (MF clear) fixes the length. Data past it, a second final
 * fragment with another length, or a non-final fragment reaching it is inconsistent. */
START_TEST(inconsistent_with_final)
{
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(12, 800, 80, false, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(12, 880, 8, true, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.inconsistent, 1);

    ck_assert_int_eq(add(13, 800, 80, false, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(13, 1600, 80, false, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.inconsistent, 2);

    ck_assert_int_eq(add(14, 0, 800, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(14, 400, 8, false, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.inconsistent, 3);
}
END_TEST

/* Bound: at most max_fragments fragments per datagram (tiny-fragment floods). */
START_TEST(fragment_count_bounded)
{
    struct ip_reass_datagram d;
    for (uint32_t i = 0; i < IP_REASS_DEFAULT_MAX_FRAGMENTS; i++)
        ck_assert_int_eq(add(15, i * 8, 8, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(15, IP_REASS_DEFAULT_MAX_FRAGMENTS * 8, 8, false, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.too_many_fragments, 1);
    ck_assert_uint_eq(reass.bytes_held, 0);
}
END_TEST

/* Bound: at most max_datagrams in progress or poisoned. A newcomer takes a slot only from a
 * datagram strictly less complete than it (fewest bytes received, oldest of equals); otherwise it
 * is refused and the reassemblies in progress are left alone. */
START_TEST(datagram_count_bounded)
{
    struct ip_reass_datagram d;
    for (uint16_t id = 100; id < 100 + IP_REASS_DEFAULT_MAX_DATAGRAMS; id++)
        ck_assert_int_eq(add(id, 0, 16, true, &d), IP_REASS_HELD);
    /* Five more that carry no more than any held one: refused, nothing evicted. */
    for (uint16_t id = 200; id < 205; id++)
        ck_assert_int_eq(add(id, 0, 16, true, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.datagram_count, IP_REASS_DEFAULT_MAX_DATAGRAMS);
    ck_assert_uint_eq(reass.stats.no_slot, 5);
    ck_assert_uint_eq(reass.stats.evicted, 0);
    /* One that brings more evicts the least complete; among equals the oldest (100). */
    ck_assert_int_eq(add(101, 16, 8, true, &d), IP_REASS_HELD);   /* 101 now holds 24 */
    ck_assert_int_eq(add(300, 0, 24, true, &d), IP_REASS_HELD);
    ck_assert_uint_eq(reass.stats.evicted, 1);
    /* 100 is gone: its first fragment again is no duplicate but a refused newcomer. */
    ck_assert_int_eq(add(100, 0, 16, true, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.no_slot, 6);
    ck_assert_int_eq(add(102, 16, 8, false, &d), IP_REASS_COMPLETE);
    check_datagram(&d, 24);
    ck_assert_int_eq(add(101, 24, 8, false, &d), IP_REASS_COMPLETE);
    check_datagram(&d, 32);
    ck_assert_int_eq(add(300, 24, 8, false, &d), IP_REASS_COMPLETE);
    check_datagram(&d, 32);
}
END_TEST

/* A poisoned entry holds only a key: it is the first to give up its slot. */
START_TEST(poisoned_slot_evicted_first)
{
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(100, 0, 800, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(100, 400, 800, false, &d), IP_REASS_DROPPED);   /* poisoned */
    for (uint16_t id = 101; id < 100 + IP_REASS_DEFAULT_MAX_DATAGRAMS; id++)
        ck_assert_int_eq(add(id, 0, 8, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(400, 0, 8, true, &d), IP_REASS_HELD);
    ck_assert_uint_eq(reass.stats.evicted, 1);
    ck_assert_int_eq(add(101, 8, 8, false, &d), IP_REASS_COMPLETE);
    check_datagram(&d, 16);
}
END_TEST

/* Bound: payload bytes received, across datagrams. Room is made only by evicting datagrams less
 * complete than the one growing; a datagram that cannot grow is dropped (its lost fragment means
 * it could never complete), and one that alone outgrows the budget is dropped. */
START_TEST(byte_budget_bounded)
{
    ip_reass_destroy(&reass);
    struct ip_reass_limits lim = { 8, 64, 8192, 15 * SEC };
    ip_reass_init(&reass, &lim);
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(20, 0, 4000, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(21, 0, 4000, true, &d), IP_REASS_HELD);
    ck_assert_uint_eq(reass.bytes_held, 8000);
    /* A third as complete as the others may not push one out. */
    ck_assert_int_eq(add(22, 0, 4000, true, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.over_budget, 1);
    ck_assert_uint_eq(reass.stats.evicted, 0);
    /* 20 growing to 8000 is more complete than 21: 21 goes. */
    ck_assert_int_eq(add(20, 4000, 4000, true, &d), IP_REASS_HELD);
    ck_assert_uint_eq(reass.stats.evicted, 1);
    ck_assert_uint_eq(reass.bytes_held, 8000);
    ck_assert_int_eq(add(23, 8000, 800, true, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.over_budget, 2);
    /* Past the budget on its own. */
    ck_assert_int_eq(add(20, 8000, 800, false, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.over_budget, 3);
    ck_assert_uint_eq(reass.bytes_held, 0);
}
END_TEST

/* RFC 815 (and the resource rule of RFC 1122 3.3.2): a datagram is charged the bytes it has
 * received, not the reach of its highest offset. Four spoofed 8-byte fragments near offset 65000
 * cost 32 bytes of the budget and evict nothing; the real datagram in progress completes. */
START_TEST(sparse_fragments_cost_what_they_carry)
{
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(60, 0, 1480, true, &d), IP_REASS_HELD);
    for (uint16_t id = 61; id < 65; id++)
        ck_assert_int_eq(add(id, 65000, 8, true, &d), IP_REASS_HELD);
    ck_assert_uint_eq(reass.bytes_held, 1480 + 4 * 8);
    ck_assert_uint_eq(reass.stats.evicted, 0);
    ck_assert_int_eq(add(60, 1480, 1480, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(60, 2960, 40, false, &d), IP_REASS_COMPLETE);
    check_datagram(&d, 3000);
    ck_assert_uint_eq(reass.bytes_held, 4 * 8);
}
END_TEST

/* The budget still protects against real volume: spoofed datagrams that carry bytes fill it, but
 * cannot evict a reassembly that has received more than they have. */
START_TEST(budget_flood_spares_more_complete)
{
    ip_reass_destroy(&reass);
    struct ip_reass_limits lim = { 32, 64, 16384, 15 * SEC };
    ip_reass_init(&reass, &lim);
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(70, 0, 2960, true, &d), IP_REASS_HELD);
    for (uint16_t id = 71; id < 90; id++)
        add(id, 8000, 1480, true, &d);
    ck_assert_uint_le(reass.bytes_held, 16384);
    ck_assert_int_eq(add(70, 2960, 40, false, &d), IP_REASS_COMPLETE);
    check_datagram(&d, 3000);
}
END_TEST

/* Builds a header of hlen bytes (20 + NOP options) for a fragment of datagram id. */
static void header_with_options(uint8_t *h, size_t hlen, uint16_t id, uint32_t offset, bool more,
                                uint32_t len)
{
    fixture_ipv4_header(h, SRC, DST, IPV4_PROTO_UDP, id,
                        (uint16_t)((offset / 8) | (more ? IPV4_FLAG_MF : 0)), len);
    memset(h + IPV4_HEADER_MIN, 1, hlen - IPV4_HEADER_MIN);   /* IPOPT_NOP */
    h[0] = (uint8_t)(0x40 | hlen / 4);
}

static enum ip_reass_result add_hlen(uint16_t id, size_t hlen, uint32_t offset, uint32_t len,
                                     bool more, struct ip_reass_datagram *out)
{
    uint8_t header[IP_REASS_MAX_HEADER];
    header_with_options(header, hlen, id, offset, more, len);
    struct ip_reass_key k = key_for(id);
    struct ip_reass_fragment f = { header, hlen, payload + offset, len, offset, more };
    return ip_reass_add(&reass, &k, &f, sim_now(), out);
}

/* RFC 791 3.2 / RFC 815: the datagram's total length is the FIRST fragment's header length plus
 * all the payload, so the 65535 limit is checked against that header, not the header of whichever
 * fragment is arriving: a 60-byte first header with 65500 payload bytes is 65560 bytes (refused in
 * either order of arrival, and the stored total length could not represent it), while a later
 * fragment's own longer header does not make a 65500-byte datagram too big. */
START_TEST(limit_uses_first_fragments_header)
{
    struct ip_reass_datagram d;
    /* First fragment (60-byte header) first, then the final fragment ending at 65500. */
    ck_assert_int_eq(add_hlen(80, 60, 0, 1480, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add_hlen(80, 20, 65496, 4, false, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.too_big, 1);
    /* The other order: the final fragment is held (the first header is at least 20 bytes)... */
    ck_assert_int_eq(add_hlen(81, 20, 65496, 4, false, &d), IP_REASS_HELD);
    /* ...until the 60-byte first fragment shows the datagram would be 65560 bytes. */
    ck_assert_int_eq(add_hlen(81, 60, 0, 1480, true, &d), IP_REASS_DROPPED);
    ck_assert_uint_eq(reass.stats.too_big, 2);
    ck_assert_uint_eq(reass.bytes_held, 0);

    /* A 20-byte first header and 65480 payload bytes is 65500: legal, even though the last
     * fragment carries 60 bytes of header. */
    uint32_t total = 65480, off = 0;
    while (total - off > 1480) {
        ck_assert_int_eq(add_hlen(82, 20, off, 1480, true, &d), IP_REASS_HELD);
        off += 1480;
    }
    ck_assert_int_eq(add_hlen(82, 60, off, total - off, false, &d), IP_REASS_COMPLETE);
    ck_assert_uint_eq(d.header_len, IPV4_HEADER_MIN);
    ck_assert_uint_eq(load_be16(d.data + 2), IPV4_HEADER_MIN + total);
    ck_assert_int_eq(memcmp(d.data + IPV4_HEADER_MIN, payload, total), 0);
    ip_reass_datagram_release(&d);
}
END_TEST

static unsigned expired_calls;
static uint8_t expired_quote[128];
static size_t expired_quote_len;

static void on_expired(void *ctx, const struct ip_reass_key *key, const uint8_t *quote, size_t len)
{
    expired_calls++;
    memcpy(expired_quote, quote, len);
    expired_quote_len = len;
}

/* RFC 1122 3.3.2 / RFC 792: an incomplete datagram is dropped when its timer (15 s from the first
 * fragment) runs out; if fragment zero had arrived, the owner is told with the first fragment's
 * header and 8 payload bytes so it can send Time Exceeded code 1. */
START_TEST(timeout_with_time_exceeded_quote)
{
    ip_reass_set_expired_handler(&reass, on_expired, NULL);
    expired_calls = 0;
    struct ip_reass_datagram d;
    uint64_t start = sim_now();
    ck_assert_int_eq(add(30, 0, 800, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(31, 800, 80, false, &d), IP_REASS_HELD);   /* no fragment zero */
    ck_assert_uint_eq(ip_reass_next_deadline(&reass), start + IP_REASS_DEFAULT_TIMEOUT_NS);
    /* Fragments arriving later do not extend the timer. */
    sim_advance_to(start + 14 * SEC);
    ck_assert_int_eq(add(30, 800, 8, true, &d), IP_REASS_HELD);
    ck_assert_uint_eq(ip_reass_expire(&reass, sim_now()), 0);
    sim_advance_to(start + IP_REASS_DEFAULT_TIMEOUT_NS);
    ck_assert_uint_eq(ip_reass_expire(&reass, sim_now()), 2);
    ck_assert_uint_eq(reass.stats.timeouts, 2);
    ck_assert_uint_eq(expired_calls, 1);
    ck_assert_uint_eq(expired_quote_len, IPV4_HEADER_MIN + 8);
    ck_assert_uint_eq(load_be16(expired_quote + 4), 30);
    ck_assert_int_eq(memcmp(expired_quote + IPV4_HEADER_MIN, payload, 8), 0);
    ck_assert_uint_eq(ip_reass_next_deadline(&reass), UINT64_MAX);
    ck_assert_uint_eq(reass.bytes_held, 0);
}
END_TEST

/* A discarded (poisoned) datagram is forgotten when its timer runs out; the identification can
 * then be used again (IDs wrap). No Time Exceeded is reported for it. */
START_TEST(poisoned_key_expires)
{
    ip_reass_set_expired_handler(&reass, on_expired, NULL);
    expired_calls = 0;
    struct ip_reass_datagram d;
    ck_assert_int_eq(add(40, 0, 800, true, &d), IP_REASS_HELD);
    ck_assert_int_eq(add(40, 400, 800, false, &d), IP_REASS_DROPPED);
    sim_advance_to(sim_now() + IP_REASS_DEFAULT_TIMEOUT_NS);
    ck_assert_int_eq(add(40, 0, 800, true, &d), IP_REASS_HELD);
    ck_assert_uint_eq(expired_calls, 0);
    ck_assert_int_eq(add(40, 800, 8, false, &d), IP_REASS_COMPLETE);
    check_datagram(&d, 808);
}
END_TEST

/* The reassembled header keeps DF as the first fragment had it (RFC 791 3.2: the header of the
 * first fragment becomes the datagram's). */
START_TEST(first_header_kept)
{
    struct ip_reass_datagram d;
    uint8_t header[IPV4_HEADER_MIN];
    fixture_ipv4_header(header, SRC, DST, IPV4_PROTO_UDP, 50, IPV4_FLAG_MF, 8);
    header[1] = 0x28;   /* TOS */
    struct ip_reass_key k = key_for(50);
    struct ip_reass_fragment f0 = { header, sizeof(header), payload, 8, 0, true };
    struct ip_reass_fragment f1 = { header, sizeof(header), payload + 8, 8, 8, false };
    ck_assert_int_eq(ip_reass_add(&reass, &k, &f1, sim_now(), &d), IP_REASS_HELD);
    ck_assert_int_eq(ip_reass_add(&reass, &k, &f0, sim_now(), &d), IP_REASS_COMPLETE);
    ck_assert_uint_eq(d.data[1], 0x28);
    ck_assert_uint_eq(load_be16(d.data + 4), 50);
    check_datagram(&d, 16);
}
END_TEST

static Suite *reass_suite(void)
{
    Suite *s = suite_create("net_reass");
    TCase *tc = tcase_create("reass");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, in_order);
    tcase_add_test(tc, out_of_order);
    tcase_add_test(tc, keys_do_not_mix);
    tcase_add_test(tc, exact_duplicate_ignored);
    tcase_add_test(tc, overlap_discards_datagram);
    tcase_add_test(tc, same_range_other_bytes_is_overlap);
    tcase_add_test(tc, tiny_fragment_overwrite_refused);
    tcase_add_test(tc, misaligned_or_empty_refused);
    tcase_add_test(tc, over_65535_refused);
    tcase_add_test(tc, inconsistent_with_final);
    tcase_add_test(tc, fragment_count_bounded);
    tcase_add_test(tc, datagram_count_bounded);
    tcase_add_test(tc, poisoned_slot_evicted_first);
    tcase_add_test(tc, byte_budget_bounded);
    tcase_add_test(tc, sparse_fragments_cost_what_they_carry);
    tcase_add_test(tc, budget_flood_spares_more_complete);
    tcase_add_test(tc, limit_uses_first_fragments_header);
    tcase_add_test(tc, timeout_with_time_exceeded_quote);
    tcase_add_test(tc, poisoned_key_expires);
    tcase_add_test(tc, first_header_kept);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(reass_suite)
