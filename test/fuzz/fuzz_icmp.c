/*
 * Fuzz harness: ICMP input (net/icmp): echo, errors with quotes (path MTU updates, delivery to
 * transports), everything else. The input is a mode byte and the ICMP message, carried in a valid
 * IPv4 datagram from the peer. Mode bits: 1 configured, 2 keep the message's own checksum (else it
 * is fixed so parsing goes deeper), 4 sent to the broadcast address as a link broadcast, 8 the
 * message is delivered twice with time passing between (rate limiter, path MTU expiry).
 * Checks: no crash or sanitizer report; replies and errors we send are well formed
 * (fuzz_ip_common.h); no path MTU estimate below 68 or above the link MTU; no leak.
 */
#include "test/fuzz/fuzz_ip_common.h"

static void check_pmtu(struct netstack *s)
{
    for (unsigned i = 0; i < IPV4_PMTU_ENTRIES; i++) {
        const struct ipv4_pmtu_entry *e = &s->ipv4.pmtu[i];
        if (e->dst && (e->mtu < IPV4_MIN_MTU || e->mtu > s->ipv4.netif.mtu))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1480)
        return 0;
    uint8_t mode = *data++;
    size--;
    struct fuzz_net f;
    fuzz_ip_up(&f, mode & 1);
    static uint8_t dgram[1500];
    uint32_t dst = (mode & 4) ? IP4_BROADCAST : FUZZ_OUR_IP;
    fuzz_ip_header(dgram, FUZZ_PEER_IP, dst, IPV4_PROTO_ICMP, 1, 0, size);
    memcpy(dgram + 20, data, size);
    if (!(mode & 2) && size >= 4) {
        store_be16(dgram + 22, 0);
        store_be16(dgram + 22, inet_checksum(dgram + 20, size));
    }
    for (int round = 0; round < ((mode & 8) ? 2 : 1); round++) {
        fuzz_ip_deliver(&f, dgram, 20 + size, mode & 4, 0);
        fuzz_run_for(1000000);
        check_pmtu(f.stack);
        fuzz_run_for(700ull * 1000000000ull);
        check_pmtu(f.stack);
    }
    /* Sending through whatever path MTU was learnt must still produce valid fragments. */
    static uint8_t payload[3000];
    struct pbuf *p = pbuf_alloc(f.stack->pool, sizeof(payload));
    if (p) {
        pbuf_copy_in(p, 0, payload, sizeof(payload));
        struct ipv4_tx tx = { .dst = IP4_ADDR(192, 0, 2, 7), .protocol = 99 };
        ipv4_output(&f.stack->ipv4, p, &tx);
    }
    fuzz_net_down(&f);
    return 0;
}
