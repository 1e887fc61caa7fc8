/*
 * app/dns/answer: one query in, one response out, for an authoritative-only server (RFC 1034
 * 4.3.2's algorithm without recursion), pure: no I/O, no clock. The transport (main.c) moves the
 * bytes; the rate limiter (rrl.h) decides whether a UDP response goes out.
 *
 * What a query gets:
 *   - a response to a response (QR set) or a message shorter than a header: nothing;
 *   - an opcode other than QUERY: NOTIMP (RFC 1035 4.1.1);
 *   - not exactly one question, answer or authority records, two OPT records, an OPT record not
 *     owned by the root, a malformed message, bytes after its last record: FORMERR
 *     (RFC 1035 4.1.1, RFC 6891 6.1.1);
 *   - an EDNS version other than 0: BADVERS with our OPT record (RFC 6891 6.1.3);
 *   - a class other than IN, a zone transfer (AXFR, IXFR), a name in none of our zones: REFUSED;
 *   - a name at or below a delegation (NS records below a zone's apex): a referral, the NS RRset
 *     in authority, the A/AAAA of its name servers in this zone as glue in additional, AA clear
 *     (RFC 1034 4.3.2 step 3b);
 *   - the name's RRset of the type (or every record of the name for ANY): the answer, AA set, and
 *     the A/AAAA of the names NS, MX and SRV records point to in additional (RFC 1035 3.3.9,
 *     3.3.11, RFC 2782);
 *   - a CNAME at the name (another type asked): the CNAME, then the lookup again with its target
 *     while the target is in the same zone, at most ANSWER_CNAME_CHAIN links (RFC 1034 4.3.2 step
 *     3a; the rcode is that of the last name, RFC 6604 2.1);
 *   - a name that does not exist (no records, no names below it) whose closest encloser (the
 *     nearest existing ancestor) has a wildcard child "*": that wildcard's records, owned by the
 *     name asked, as if they were its own (RFC 4592 3.3.1; never across an existing name or a
 *     delegation);
 *   - a name that exists (owns records or has names below it, RFC 4592 2.2.2) without that type:
 *     NODATA, NOERROR with the zone's SOA in authority; a name that does not exist: NXDOMAIN with
 *     the SOA; the SOA's TTL there is min(SOA TTL, MINIMUM) (RFC 2308 3, 5).
 * Size: 512 bytes over UDP without EDNS (RFC 1035 4.2.1), the requestor's EDNS payload size (at
 * least 512) capped by ours over UDP with it (RFC 6891 6.2.5), 65535 over TCP. An answer or
 * authority record that does not fit truncates the response to its header and question with TC
 * set (RFC 2181 9), so the client retries over TCP; additional records that do not fit are left
 * out, except a referral's glue, whose loss sets TC too (RFC 9471 3).
 * Our OPT record (payload size, version 0, no DO: no DNSSEC here) answers every query that had one.
 */
#ifndef DNSAPP_ANSWER_H
#define DNSAPP_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "zone.h"

#define ANSWER_CNAME_CHAIN 8
#define ANSWER_TCP_MAX 65535u
#define ANSWER_UDP_MAX_DEFAULT 1232u     /* our EDNS payload size: fits a 1280-byte IPv6 MTU */

enum answer_kind {
    ANSWER_NONE,                         /* no response at all */
    ANSWER_DATA,                         /* NOERROR with the records asked for (or a CNAME chain) */
    ANSWER_NODATA,
    ANSWER_NXDOMAIN,
    ANSWER_REFERRAL,
    ANSWER_REFUSED,
    ANSWER_FORMERR,
    ANSWER_NOTIMP,
    ANSWER_BADVERS,
};

struct answer_meta {
    enum answer_kind kind;
    bool truncated;                      /* TC set: it did not fit */
    uint16_t qtype;
    size_t question_end;                 /* bytes of header + question in the response */
    /* For the rate limiter: the name that identifies this answer (the question's name; the
     * zone's apex for NXDOMAIN and the delegation's name for a referral, so random names do not
     * each get their own allowance). Empty (len 0) for errors. */
    struct dns_name rrl_name;
};

/* Answers query[len] from the zones. tcp: the response may use 64 KiB, else the UDP limits
 * above with udp_max as our EDNS payload size (512..4096). out[cap] receives it (cap at least
 * ANSWER_TCP_MAX for TCP, udp_max for UDP). Returns the response's length, or 0 for no response.
 * meta is filled either way. Context: any. */
size_t answer_query(const struct zone_set *zones, const uint8_t *query, size_t len, bool tcp,
                    uint16_t udp_max, uint8_t *out, size_t cap, struct answer_meta *meta);

/* Rewrites a response built by answer_query into a truncated one in place: header and question
 * only, TC set (a rate limiter's "slip", which sends an honest client to TCP). Returns its new
 * length. */
size_t answer_truncate(uint8_t *response, size_t len, const struct answer_meta *meta);

#endif
