/*
 * net/dev/pcap: a decorator that records every frame crossing a netdev, in both directions, in the
 * classic libpcap file format (magic a1b2c3d4, version 2.4, LINKTYPE_ETHERNET), readable by
 * tcpdump, tshark and scapy. Portable: bytes go to a sink function; the hosted platform and tests
 * pass one that writes a file. Timestamps come from platform_wallclock_ns() (monotonic if unset).
 */
#ifndef XENOLITH_NET_DEV_PCAP_H
#define XENOLITH_NET_DEV_PCAP_H

#include <stddef.h>
#include <stdint.h>
#include "platform/netdev.h"

#define PCAP_MAGIC 0xa1b2c3d4u
#define PCAP_LINKTYPE_ETHERNET 1u
#define PCAP_DEFAULT_SNAPLEN 65535u

/* Writes len bytes; returns 0 or a negative errno (the writer then counts and carries on). */
typedef int (*pcap_sink_fn)(void *ctx, const void *buf, size_t len);

#define PCAP_COUNTERS(X)                                                                  \
    X(frames_written)                                                                     \
    X(bytes_written)                                                                      \
    X(frames_truncated)  /* longer than snaplen: only snaplen bytes recorded */           \
    X(write_errors)      /* the sink failed; the frame still went through */

struct pcap_stats {
#define PCAP_STAT_FIELD(name) uint64_t name;
    PCAP_COUNTERS(PCAP_STAT_FIELD)
#undef PCAP_STAT_FIELD
};

/* A netdev that behaves like `lower` (same MAC, MTU, caps) and records its traffic. Writes the
 * file header at once. snaplen 0 means PCAP_DEFAULT_SNAPLEN. NULL when out of memory or if the
 * header cannot be written. netdev_destroy removes the decorator (lower is left as it is, with no
 * receive handler). */
struct netdev *pcap_wrap(struct netdev *lower, pcap_sink_fn sink, void *ctx, uint32_t snaplen);
void pcap_get_stats(const struct netdev *pcap_dev, struct pcap_stats *out);

#endif
