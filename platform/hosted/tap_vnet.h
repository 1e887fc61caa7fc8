/*
 * platform/hosted/tap_vnet: the virtio_net_hdr that a TAP opened with IFF_VNET_HDR puts in front
 * of every frame (Linux's <linux/virtio_net.h>, native byte order: a TAP is a legacy virtio
 * device of the host's own endianness). It carries the offloads of platform/netdev.h both ways:
 * on transmit a PBUF_F_CSUM_PARTIAL frame asks the host to complete the checksum
 * (VIRTIO_NET_HDR_F_NEEDS_CSUM) and a TSO frame (pbuf.gso_size) to cut it into segments
 * (VIRTIO_NET_HDR_GSO_TCPV4); on receive the host says a checksum was verified or left for us
 * (a frame from the host's own stack) and that a frame is a large receive. Pure functions, no
 * descriptor: unit-tested (test/unit/test_tap_vnet.c) and fuzzed apart from tap.c.
 */
#ifndef XENOLITH_PLATFORM_HOSTED_TAP_VNET_H
#define XENOLITH_PLATFORM_HOSTED_TAP_VNET_H

#include <stddef.h>
#include <linux/virtio_net.h>

struct pbuf;

/* The header for frame p (an Ethernet frame, offload fields as platform/netdev.h defines them).
 * 0, or -EINVAL for a TSO frame that is not a TCP/IPv4 frame with a partial checksum (the host
 * would refuse it). */
int tap_vnet_encode(const struct pbuf *p, struct virtio_net_hdr *h);

/* Applies the header the host wrote in front of frame p: marks p PBUF_F_CSUM_VERIFIED when the
 * host verified the checksum or left it to be completed (it built the frame itself: nothing on a
 * wire could have damaged it), and sets p->gso_size for a large receive. 0, or -EINVAL for a
 * header that does not describe p: a checksum position outside the frame, a GSO type other than
 * TCPv4 (the only one offered), a GSO frame without a size or without a partial checksum. */
int tap_vnet_decode(const struct virtio_net_hdr *h, struct pbuf *p);

#endif
