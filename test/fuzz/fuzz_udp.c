/*
 * Fuzz harness: UDP input (net/udp, net/udp_socket): length and checksum validation, port
 * demultiplexing, port unreachable, receive queues and handlers. The input is a mode byte and the
 * UDP segment, carried in a valid IPv4 datagram from the peer. Mode bits: 1 configured, 2 a socket
 * bound on port 7, 4 sent to the broadcast address, 8 the socket uses a receive handler, 16 keep
 * the segment's own checksum (else it is fixed so validation goes deeper), 32 deliver three times.
 * Checks: no crash or sanitizer report; a delivered datagram is exactly the segment's length field
 * minus 8 bytes and equals those bytes; the queue stays within its bounds; no leak.
 */
#include "test/fuzz/fuzz_ip_common.h"

static const uint8_t *expected;
static size_t expected_len;

static void check_datagram(const uint8_t *got, size_t len)
{
    if (len != expected_len || memcmp(got, expected, len) != 0)
        abort();
}

static void on_datagram(struct udp_socket *sock, struct pbuf *p, const struct udp_datagram_info *info,
                        void *arg)
{
    static uint8_t buf[1500];
    if (p->tot_len > sizeof(buf) || info->dst_port != 7)
        abort();
    pbuf_copy_out(p, 0, buf, p->tot_len);
    check_datagram(buf, p->tot_len);
    pbuf_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1480)
        return 0;
    uint8_t mode = *data++;
    size--;
    struct fuzz_net f;
    fuzz_ip_up(&f, mode & 1);
    struct udp_socket *sock = NULL;
    if (mode & 2) {
        if (udp_bind(f.stack, 7, &sock) != 0)
            abort();
        udp_set_rx_limits(sock, 2, 0);
        if (mode & 8)
            udp_set_receive_handler(sock, on_datagram, NULL);
    }
    static uint8_t dgram[1500];
    uint32_t dst = (mode & 4) ? IP4_BROADCAST : FUZZ_OUR_IP;
    fuzz_ip_header(dgram, FUZZ_PEER_IP, dst, IPV4_PROTO_UDP, 1, 0, size);
    memcpy(dgram + 20, data, size);
    if (!(mode & 16) && size >= 8 && load_be16(dgram + 26) != 0) {
        struct csum c;
        store_be16(dgram + 26, 0);
        csum_init(&c);
        ipv4_csum_add_pseudo(&c, FUZZ_PEER_IP, dst, IPV4_PROTO_UDP, (uint16_t)size);
        csum_add(&c, dgram + 20, size);
        uint16_t sum = csum_finish(&c);
        store_be16(dgram + 26, sum ? sum : 0xffff);
    }
    /* What a correct stack delivers: the bytes the length field covers, after the header. */
    size_t field = size >= 8 ? load_be16(dgram + 24) : 0;
    expected = dgram + 28;
    expected_len = field >= 8 && field <= size ? field - 8 : 0;

    for (int round = 0; round < ((mode & 32) ? 3 : 1); round++) {
        fuzz_ip_deliver(&f, dgram, 20 + size, mode & 4, 0);
        fuzz_run_for(1000);
        if (sock && udp_pending(sock) > 2)
            abort();
    }
    if (sock && !(mode & 8)) {
        static uint8_t buf[1500];
        int n;
        while ((n = udp_recvfrom(sock, buf, sizeof(buf), NULL, NULL, 0)) >= 0)
            check_datagram(buf, (size_t)n);
    }
    udp_close(sock);
    fuzz_net_down(&f);
    return 0;
}
