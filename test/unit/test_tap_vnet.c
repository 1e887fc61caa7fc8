/*
 * Unit tests for platform/hosted/tap_vnet: the virtio_net_hdr in front of every TAP frame
 * (Linux's <linux/virtio_net.h>, the legacy header of the virtio specification 5.1.6): what a
 * transmitted frame's offloads become, and which headers from the host a received frame is
 * refused for.
 */
#include "platform/hosted/tap_vnet.c"
#include "test/unit/net_core_fixture.h"
#include "lib/byteorder.h"
#include "xenolith/test_main.h"

#include <stdlib.h>

static struct pbuf_pool *pool;

static void setup(void)
{
    core_boot();
    pool = pbuf_pool_create("t", 64);
    ck_assert_ptr_nonnull(pool);
}

static void teardown(void)
{
    ck_assert_uint_eq(pool_in_use(pool), 0);
    pbuf_pool_destroy(pool);
}

/* An Ethernet + IPv4 + TCP (32-byte header, with timestamps) frame of `payload` bytes, in a chain
 * when it does not fit one block. */
static struct pbuf *tcp_frame(size_t payload)
{
    size_t len = 14 + 20 + 32 + payload;
    struct pbuf *p = pbuf_alloc(pool, len);
    ck_assert_ptr_nonnull(p);
    static uint8_t f[14 + 65535];
    memset(f, 0, len);
    store_be16(f + 12, 0x0800);
    f[14] = 0x45;
    store_be16(f + 16, (uint16_t)(len - 14));
    f[14 + 9] = 6;
    f[34 + 12] = 8 << 4;
    ck_assert_int_eq(pbuf_copy_in(p, 0, f, len), 0);
    return p;
}

START_TEST(plain_frame_has_an_empty_header)
{
    struct pbuf *p = tcp_frame(100);
    struct virtio_net_hdr h;
    memset(&h, 0xff, sizeof(h));
    ck_assert_int_eq(tap_vnet_encode(p, &h), 0);
    ck_assert_uint_eq(h.flags, 0);
    ck_assert_uint_eq(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
    ck_assert_uint_eq(h.gso_size, 0);
    ck_assert_uint_eq(h.csum_start, 0);
    pbuf_free(p);
}
END_TEST

/* virtio 5.1.6.2: NEEDS_CSUM with csum_start counted from the frame's first byte (ours counts
 * from the IPv4 header: 14 more) and csum_offset from there. */
START_TEST(partial_checksum_is_left_to_the_host)
{
    struct pbuf *p = tcp_frame(100);
    p->flags |= PBUF_F_CSUM_PARTIAL;
    p->csum_start = 20;
    p->csum_offset = 16;
    struct virtio_net_hdr h;
    ck_assert_int_eq(tap_vnet_encode(p, &h), 0);
    ck_assert_uint_eq(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    ck_assert_uint_eq(h.csum_start, 34);
    ck_assert_uint_eq(h.csum_offset, 16);
    ck_assert_uint_eq(h.gso_type, VIRTIO_NET_HDR_GSO_NONE);
    pbuf_free(p);
}
END_TEST

/* virtio 5.1.6.2: a TSO frame has gso_type TCPV4, gso_size the segment payload and hdr_len the
 * headers every segment repeats (Ethernet + IPv4 + TCP with options), and must need its
 * checksum completed. */
START_TEST(tso_frame_is_cut_by_the_host)
{
    struct pbuf *p = tcp_frame(20 * 1448);
    ck_assert_uint_gt(pbuf_segments(p), 1);
    p->flags |= PBUF_F_CSUM_PARTIAL;
    p->csum_start = 20;
    p->csum_offset = 16;
    p->gso_size = 1448;
    struct virtio_net_hdr h;
    ck_assert_int_eq(tap_vnet_encode(p, &h), 0);
    ck_assert_uint_eq(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
    ck_assert_uint_eq(h.gso_size, 1448);
    ck_assert_uint_eq(h.hdr_len, 14 + 20 + 32);
    ck_assert_uint_eq(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    /* Without the partial checksum, or not TCP/IPv4, the host would refuse it: so do we. */
    p->flags &= (uint16_t)~PBUF_F_CSUM_PARTIAL;
    ck_assert_int_eq(tap_vnet_encode(p, &h), -EINVAL);
    p->flags |= PBUF_F_CSUM_PARTIAL;
    uint8_t udp = 17;
    pbuf_copy_in(p, 14 + 9, &udp, 1);
    ck_assert_int_eq(tap_vnet_encode(p, &h), -EINVAL);
    pbuf_free(p);
}
END_TEST

static struct virtio_net_hdr hdr(uint8_t flags, uint8_t gso_type, uint16_t gso_size,
                                 uint16_t csum_start, uint16_t csum_offset)
{
    struct virtio_net_hdr h = { .flags = flags, .gso_type = gso_type, .gso_size = gso_size,
                                .csum_start = csum_start, .csum_offset = csum_offset };
    return h;
}

START_TEST(received_checksum_states)
{
    struct pbuf *p = tcp_frame(100);
    struct virtio_net_hdr h = hdr(0, 0, 0, 0, 0);
    ck_assert_int_eq(tap_vnet_decode(&h, p), 0);
    ck_assert_uint_eq(p->flags & PBUF_F_CSUM_VERIFIED, 0);          /* we check it ourselves */
    h = hdr(VIRTIO_NET_HDR_F_DATA_VALID, 0, 0, 0, 0);
    ck_assert_int_eq(tap_vnet_decode(&h, p), 0);
    ck_assert_uint_ne(p->flags & PBUF_F_CSUM_VERIFIED, 0);
    p->flags = 0;
    h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, 16);              /* from the host's stack */
    ck_assert_int_eq(tap_vnet_decode(&h, p), 0);
    ck_assert_uint_ne(p->flags & PBUF_F_CSUM_VERIFIED, 0);
    pbuf_free(p);
}
END_TEST

/* Headers that do not describe the frame are refused (and the frame dropped by tap.c). */
START_TEST(bad_received_headers_are_refused)
{
    struct pbuf *p = tcp_frame(100);               /* 166 bytes */
    struct virtio_net_hdr bad[] = {
        hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 160, 16),             /* field past the end */
        hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 34, 0xffff),
        hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, 4, 6),                /* inside Ethernet */
        hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_UDP, 1400, 34, 6),
        hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 1400, 34, 16),
        hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
            1400, 34, 16),                                            /* ECN was not offered */
        hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 0, 34, 16),    /* no size */
        hdr(0, VIRTIO_NET_HDR_GSO_TCPV4, 1400, 0, 0),                 /* GSO, checksum full */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(tap_vnet_decode(&bad[i], p) == -EINVAL, "header %u accepted", i);
    pbuf_free(p);
}
END_TEST

/* A large receive keeps its segment size (netdev's rx_gso_frames counts it). */
START_TEST(large_receive_is_taken_whole)
{
    struct pbuf *p = tcp_frame(40000);
    struct virtio_net_hdr h = hdr(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448,
                                  34, 16);
    ck_assert_int_eq(tap_vnet_decode(&h, p), 0);
    ck_assert_uint_eq(p->gso_size, 1448);
    ck_assert_uint_ne(p->flags & PBUF_F_CSUM_VERIFIED, 0);
    pbuf_free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("tap_vnet");
    TCase *tc = tcase_create("vnet");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, plain_frame_has_an_empty_header);
    tcase_add_test(tc, partial_checksum_is_left_to_the_host);
    tcase_add_test(tc, tso_frame_is_cut_by_the_host);
    tcase_add_test(tc, received_checksum_states);
    tcase_add_test(tc, bad_received_headers_are_refused);
    tcase_add_test(tc, large_receive_is_taken_whole);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(suite)
