/*
 * net/ip_frag: fragmentation of datagrams we send (RFC 791 section 3.2, "Fragmentation", and
 * RFC 1122 3.3.3). The plan (sizes and offsets) is pure arithmetic; ip_frag_output applies it to
 * a packet buffer, referencing the original payload without copying.
 *
 * Rules: every fragment but the last carries a multiple of 8 payload bytes (offsets are counted in
 * 8-byte units); the first fragment keeps all options, later ones only those with the "copied"
 * bit; all but the last have MF set (the last keeps the MF of the original, so a fragment can be
 * refragmented); a datagram with DF set is never fragmented (the caller reports EMSGSIZE and, for
 * datagrams from elsewhere, ICMP "fragmentation needed").
 */
#ifndef XENOLITH_NET_IP_FRAG_H
#define XENOLITH_NET_IP_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pbuf;
struct pbuf_pool;

struct ip_frag_plan {
    uint32_t count;                 /* fragments */
    uint32_t first_header_len;
    uint32_t later_header_len;
    uint32_t first_payload;         /* payload bytes in the first fragment */
    uint32_t later_payload;         /* in each later fragment but the last */
    uint32_t payload_len;           /* the whole payload */
};

/* Plans how a payload of payload_len bytes splits under `mtu` (the largest IP datagram the link
 * carries). Returns 0, or -EMSGSIZE when the MTU cannot hold a header and 8 payload bytes. */
int ip_frag_plan(uint32_t first_header_len, uint32_t later_header_len, uint32_t payload_len,
                 uint32_t mtu, struct ip_frag_plan *plan);

/* Fragment i (0-based) of a plan: its payload offset and length and whether more follow. */
void ip_frag_piece(const struct ip_frag_plan *plan, uint32_t index, uint32_t *offset,
                   uint32_t *len, bool *more);

/* Splits the datagram p (a complete IPv4 datagram, header first) into fragments of at most mtu
 * bytes and passes each, in order, to emit(ctx, fragment), which takes ownership of it. Takes
 * ownership of p. Header buffers come from `pool`. Returns 0, -EMSGSIZE (DF set, or MTU below
 * 68), -EINVAL (not a valid datagram) or -ENOBUFS; on an error, fragments already emitted stay
 * sent and the rest are not made. */
int ip_frag_output(struct pbuf *p, uint32_t mtu, struct pbuf_pool *pool,
                   int (*emit)(void *ctx, struct pbuf *fragment), void *ctx);

#endif
