/*
 * Fuzz harness: ARP input (net/arp). The input is a sequence of ARP packets (28 bytes each after
 * a one-byte mode), delivered in Ethernet frames to a stack that is configured or not, optionally
 * while an RFC 5227 probe runs and with datagrams waiting for resolution. Between packets the
 * simulated clock advances so retries, expiry and announcements interleave with input.
 * Checks: no crash or sanitizer report, no leaked buffer, bounded queue, a probe callback at most
 * once, and cache entries only in consistent states.
 */
#include "test/fuzz/fuzz_net_common.h"

#include "lib/byteorder.h"

static int probe_calls;
static void on_probe(struct arp_layer *arp, uint32_t ip, bool in_use, void *arg)
{
    probe_calls++;
}

static void check_invariants(struct netstack *s)
{
    unsigned pending = 0;
    for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
        const struct arp_entry *e = &s->arp.cache[i];
        if (e->state > ARP_FAILED)
            abort();
        if (e->state != ARP_INCOMPLETE && e->pending_count)
            abort();
        if (e->pending_count > ARP_PENDING_PER_ENTRY)
            abort();
        pending += e->pending_count;
    }
    if (pending != s->arp.pending_total || pending > ARP_PENDING_TOTAL)
        abort();
    if (probe_calls > 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 + 28 * 64)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    struct fuzz_net f;
    fuzz_net_up(&f, mode & 1);
    probe_calls = 0;
    if (mode & 2)
        arp_probe(&f.stack->arp, IP4_ADDR(10, 0, 0, 7), on_probe, NULL);
    if (mode & 4) {
        for (unsigned i = 0; i < 3; i++) {
            struct pbuf *p = pbuf_alloc(f.stack->pool, 20);
            if (p) {
                memset(p->data, 0, 20);
                arp_output(&f.stack->arp, p, IP4_ADDR(10, 0, 0, 1 + i));
            }
        }
    }
    static const uint8_t peer_mac[6] = { 0x02, 0xaa, 0, 0, 0, 1 };
    uint8_t frame[14 + 64];
    while (size > 0) {
        size_t n = size < 28 ? size : 28;
        memset(frame, 0, sizeof(frame));
        memset(frame, 0xff, 6);
        memcpy(frame + 6, peer_mac, 6);
        store_be16(frame + 12, 0x0806);
        memcpy(frame + 14, data, n);
        /* Real frames arrive padded to 60 bytes; short inputs keep their length to test bounds. */
        fuzz_net_deliver(&f, frame, n == 28 ? 60 : 14 + n, (mode >> 3) & 31);
        check_invariants(f.stack);
        data += n;
        size -= n;
        fuzz_run_for((uint64_t)(mode >> 5) * 700000000ull);
        check_invariants(f.stack);
    }
    fuzz_run_for(80ull * 1000000000ull);
    check_invariants(f.stack);
    fuzz_net_down(&f);
    return 0;
}
