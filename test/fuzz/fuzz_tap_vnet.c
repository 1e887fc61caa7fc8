/*
 * Fuzz harness: the virtio_net_hdr a TAP puts in front of every received frame
 * (platform/hosted/tap_vnet.c, tap_vnet_decode). The input is the 10-byte header followed by the
 * frame, split into two segments where the frame's first byte says. Beyond "no crash, no
 * sanitizer report": an accepted header describes the frame (a checksum to complete lies inside
 * it, a large receive is TCPv4 with a size and a partial checksum), a refused one leaves the
 * frame unmarked; and a transmitted frame's header, built from the same bytes as offload
 * fields, never names headers beyond the frame. No packet buffer leaks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mm/pbuf.h"
#include "platform/hosted/tap_vnet.c"
#include "test/fuzz/fuzz_boot.h"

static struct pbuf_pool *pool;

static void boot(void)
{
    if (fuzz_boot()) {
        pool = pbuf_pool_create("fuzz", 64);
        if (!pool)
            abort();
    }
}

/* The frame in two segments, split at `at` (bounded by the frame). */
static struct pbuf *frame_of(const uint8_t *bytes, size_t len, size_t at)
{
    if (at > len)
        at = len;
    struct pbuf *p = pbuf_from_bytes(pool, bytes, at);
    struct pbuf *q = pbuf_from_bytes(pool, bytes + at, len - at);
    if (!p || !q)
        abort();
    pbuf_cat(p, q);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    boot();
    struct virtio_net_hdr h;
    if (size < sizeof(h) + 1 || size > sizeof(h) + 1 + 65535)
        return 0;
    memcpy(&h, data, sizeof(h));
    const uint8_t *bytes = data + sizeof(h) + 1;
    size_t len = size - sizeof(h) - 1;
    struct pbuf *p = frame_of(bytes, len, data[sizeof(h)]);
    int rc = tap_vnet_decode(&h, p);
    bool partial = h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
    if (rc == 0) {
        if (partial && ((uint32_t)h.csum_start + h.csum_offset + 2u > p->tot_len ||
                        h.csum_start < NETDEV_ETH_HEADER_LEN))
            abort();
        if (p->gso_size && (h.gso_type != VIRTIO_NET_HDR_GSO_TCPV4 || !partial))
            abort();
        if (!p->gso_size && h.gso_type != VIRTIO_NET_HDR_GSO_NONE)
            abort();
    } else if (rc != -EINVAL || p->gso_size || (p->flags & PBUF_F_CSUM_VERIFIED)) {
        abort();
    }
    /* The same bytes as a frame to send, with the header's fields as its offload state. */
    p->flags = partial ? PBUF_F_CSUM_PARTIAL : 0;
    p->csum_start = h.csum_start;
    p->csum_offset = h.csum_offset;
    p->gso_size = h.gso_size;
    struct virtio_net_hdr out;
    if (tap_vnet_encode(p, &out) == 0 && out.gso_type != VIRTIO_NET_HDR_GSO_NONE &&
        (out.hdr_len >= p->tot_len || out.gso_size != p->gso_size || !out.flags))
        abort();
    pbuf_free(p);
    struct pbuf_pool_stats st;
    pbuf_pool_get_stats(pool, &st);
    if (st.storage_in_use || st.segments_in_use)
        abort();
    return 0;
}
