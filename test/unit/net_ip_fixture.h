/*
 * test/unit/net_ip_fixture.h: shared set-up for the IPv4/ICMP/UDP unit tests (header-only, since
 * each test_*.c is its own program): the simulated machine with a heap, and packet-building
 * helpers that produce valid IPv4 headers.
 */
#ifndef XENOLITH_TEST_UNIT_NET_IP_FIXTURE_H
#define XENOLITH_TEST_UNIT_NET_IP_FIXTURE_H

#include <check.h>
#include <string.h>

#include "lib/byteorder.h"
#include "mm/mm.h"
#include "net/ipv4_header.h"
#include "sched/sched.h"
#include "test/unit/sim/sim.h"

static inline void net_ip_fixture_boot(void)
{
    static bool booted;
    sim_reset(1000000000ull);
    if (!booted) {
        const struct mem_region *regions;
        size_t n = platform_memory(&regions);
        page_allocator_init(regions, n);
        sched_init();
        booted = true;
    }
}

/* A network-order address from dotted parts (same as net/stack.h's IP4_ADDR). */
static inline uint32_t fixture_addr(unsigned a, unsigned b, unsigned c, unsigned d)
{
    uint8_t bytes[4] = { (uint8_t)a, (uint8_t)b, (uint8_t)c, (uint8_t)d };
    return load_u32(bytes);
}

/* Writes a valid IPv4 header (no options) into out; returns 20. */
static inline size_t fixture_ipv4_header(uint8_t *out, uint32_t src, uint32_t dst, uint8_t protocol,
                                         uint16_t id, uint16_t frag_field, size_t payload_len)
{
    struct ipv4_header h = {
        .tos = 0,
        .total_len = (uint16_t)(IPV4_HEADER_MIN + payload_len),
        .id = id,
        .frag_field = frag_field,
        .ttl = 64,
        .protocol = protocol,
        .src = src,
        .dst = dst,
    };
    return ipv4_header_build(out, &h);
}

#endif
