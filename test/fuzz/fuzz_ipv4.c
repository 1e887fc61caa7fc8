/*
 * Fuzz harness: IPv4 input (net/ipv4, net/ipv4_header) and reassembly (net/ip_reass) driven across
 * many datagrams per input, with time passing between them. The input is a mode byte and then
 * records, each starting with a kind byte:
 *   kind & 3 == 0  raw: 2-byte length, then that many bytes as the IP datagram (kind & 4: the
 *                  header checksum is fixed up so validation gets past it)
 *   kind & 3 == 1  fragment: id byte, 2-byte flags+offset field, 1-byte length/8, data; a valid
 *                  header from the peer to us is generated (kind & 8: ICMP instead of UDP,
 *                  kind & 16: to the broadcast address)
 *   kind & 3 == 2  time: the next byte times 250 ms passes (reassembly timeouts, rate limits)
 *   kind & 3 == 3  send: the stack sends a UDP datagram of (next byte * 64) bytes to the peer
 *                  (kind & 4: with DF), exercising fragmentation and path MTU
 * Mode bits: 1 configured, 2 UDP socket bound on port 7, 4 link broadcast, bits 3-7 the split
 * point of delivered frames. Checks: no crash or sanitizer report; reassembly never exceeds its
 * bounds and holds no bytes when nothing is in progress; everything transmitted is well formed (fuzz_ip_common.h); no buffer or heap leak.
 */
#include "test/fuzz/fuzz_ip_common.h"

static void check_bounds(struct netstack *s)
{
    const struct ip_reass *r = &s->ipv4.reass;
    if (r->datagram_count > r->limits.max_datagrams || r->bytes_held > r->limits.max_bytes)
        abort();
    /* Memory is charged by bytes received: nothing in progress holds nothing. */
    if (r->datagram_count == 0 && r->bytes_held != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    uint8_t mode = *data++;
    size--;
    struct fuzz_net f;
    fuzz_ip_up(&f, mode & 1);
    struct udp_socket *sock = NULL;
    if (mode & 2)
        udp_bind(f.stack, 7, &sock);
    static uint8_t dgram[65536];
    size_t split = (mode >> 3) & 31;

    while (size > 0) {
        uint8_t kind = *data++;
        size--;
        switch (kind & 3) {
        case 0: {
            if (size < 2)
                goto done;
            size_t len = load_be16(data);
            data += 2;
            size -= 2;
            if (len > size)
                len = size;
            memcpy(dgram, data, len);
            if ((kind & 4) && len >= 20) {
                size_t hl = (size_t)(dgram[0] & 15) * 4;
                if (hl >= 20 && hl <= len) {
                    store_be16(dgram + 10, 0);
                    store_be16(dgram + 10, inet_checksum(dgram, hl));
                }
            }
            fuzz_ip_deliver(&f, dgram, len, mode & 4, split);
            data += len;
            size -= len;
            break;
        }
        case 1: {
            if (size < 4)
                goto done;
            uint16_t id = data[0];
            uint16_t frag = load_be16(data + 1);
            size_t len = (size_t)data[3] * 8;
            data += 4;
            size -= 4;
            if (len > size)
                len = size;
            uint32_t dst = (kind & 16) ? IP4_BROADCAST : FUZZ_OUR_IP;
            fuzz_ip_header(dgram, FUZZ_PEER_IP, dst, (kind & 8) ? IPV4_PROTO_ICMP : IPV4_PROTO_UDP,
                           id, frag, len);
            memcpy(dgram + 20, data, len);
            fuzz_ip_deliver(&f, dgram, 20 + len, mode & 4, split);
            data += len;
            size -= len;
            break;
        }
        case 2:
            if (size < 1)
                goto done;
            fuzz_run_for((uint64_t)data[0] * 250000000ull);
            data++;
            size--;
            break;
        case 3: {
            if (size < 1)
                goto done;
            size_t len = (size_t)data[0] * 64;
            data++;
            size--;
            if (sock) {
                memset(dgram, 0x5a, len);
                udp_sendto(sock, FUZZ_PEER_IP, 9, dgram, len);
            } else {
                struct pbuf *p = pbuf_alloc(f.stack->pool, len);
                if (p) {
                    pbuf_copy_in(p, 0, dgram, len);
                    struct ipv4_tx tx = { .dst = FUZZ_PEER_IP, .protocol = 99,
                                          .dont_fragment = (kind & 4) != 0 };
                    ipv4_output(&f.stack->ipv4, p, &tx);
                }
            }
            break;
        }
        }
        fuzz_run_for(1000);
        check_bounds(f.stack);
        if (sock) {
            while (udp_pending(sock) > 0)
                udp_recvfrom(sock, dgram, sizeof(dgram), NULL, NULL, 0);
        }
    }
done:
    fuzz_run_for(20ull * 1000000000ull);
    check_bounds(f.stack);
    if (f.stack->ipv4.reass.datagram_count != 0)
        abort();   /* every datagram in progress has timed out by now */
    udp_close(sock);
    fuzz_net_down(&f);
    return 0;
}
