/*
 * net/wire/features: the optional network features an image carries. An application's app.mk
 * may leave some out (APP_NET_WITHOUT, mk/app.mk; docs/APPLICATIONS.md): its image then defines
 * net_features as a constant that link-time optimization folds into every net_feature() test,
 * so the code behind a left-out feature is not in the image. The hosted program reads the same
 * constant at run time and behaves alike. Unit tests, and applications that leave nothing out,
 * carry every feature (net/wire/features.c). Each feature's fallback is in docs/TCP.md.
 */
#ifndef NET_WIRE_FEATURES_H
#define NET_WIRE_FEATURES_H

#include <stdbool.h>
#include <stdint.h>

/* The app.mk names are these in lower case (dhcp, cubic, rack, syncookies, tso, pmtu,
 * reassembly, sack, timestamps, wscale, ooo, icmp_errors, keepalive, rx_by_reference). */
enum net_feature {
    NET_FEATURE_DHCP       = 1u << 0, /* DHCP client; without it the boot needs ip= options */
    NET_FEATURE_CUBIC      = 1u << 1, /* CUBIC (RFC 9438); without it NewReno (RFC 6582) */
    NET_FEATURE_RACK       = 1u << 2, /* RACK-TLP (RFC 8985); without it DupThresh (RFC 6675) */
    NET_FEATURE_SYNCOOKIES = 1u << 3, /* SYN cookies (RFC 4987 3.6); without it SYNs past the
                                         half-open limit are dropped */
    NET_FEATURE_TSO        = 1u << 4, /* TSO frames to a device that offers them; without it
                                         one segment per frame */
    NET_FEATURE_PMTU       = 1u << 5, /* path MTU discovery (RFC 1191); without it the path MTU
                                         is the interface's, TCP keeps the MSS of its handshake
                                         and sends without DF, and ICMP fragmentation-needed
                                         is ignored and counted */
    NET_FEATURE_REASSEMBLY = 1u << 6, /* IPv4 reassembly (RFC 791 3.2); without it every
                                         fragment received is dropped and counted */
    NET_FEATURE_SACK       = 1u << 7, /* TCP SACK (RFC 2018, RFC 6675 recovery); without it
                                         SACK is neither offered nor accepted, and loss is
                                         repaired by NewReno (RFC 6582) and the RTO */
    NET_FEATURE_TIMESTAMPS = 1u << 8, /* TCP timestamps (RFC 7323 3-5); without them the option
                                         is neither offered nor accepted: no PAWS, RTT sampled
                                         once per flight (RFC 6298 3) */
    NET_FEATURE_WSCALE     = 1u << 9, /* TCP window scaling (RFC 7323 2); without it the option
                                         is neither offered nor accepted: windows of at most
                                         65,535 bytes both ways */
    NET_FEATURE_OOO        = 1u << 10, /* TCP's out-of-order queue (RFC 9293 3.10.7.4, a
                                          SHOULD); without it a segment beyond RCV.NXT is
                                          dropped, counted and answered by a duplicate ACK, and
                                          the sender repairs the hole by retransmission */
    NET_FEATURE_ICMP_ERRORS = 1u << 11, /* ICMP errors sent (RFC 1122 3.2.2.1, 4.1.3.1: port
                                           and protocol unreachable are SHOULDs); without them
                                           such datagrams are dropped and counted silently.
                                           Echo replies stay */
    NET_FEATURE_KEEPALIVE  = 1u << 12, /* TCP keep-alives (RFC 1122 4.2.3.6, off by default);
                                          without them TCP_SOCKOPT_KEEPALIVE cannot be turned
                                          on and an idle connection is never probed */
    NET_FEATURE_RX_BY_REFERENCE = 1u << 13, /* received frames and TCP receive data kept in the
                                         device's own pages (docs/NETWORK.md); without it
                                         netfront copies every frame and TCP every segment */
};
#define NET_FEATURES_ALL 0x3fffu

extern const uint32_t net_features;

static inline bool net_feature(enum net_feature f)
{
    return (net_features & (uint32_t)f) != 0;
}

/* net_feature(f) && flag, for a flag the stack sets only when the image has f (an option both
 * ends agreed on, a probe armed): in the xen image, whose net_features is a link-time constant,
 * the test folds the code behind the flag away where f is left out; a program that reads
 * net_features at run time (hosted, unit tests) tests the flag alone, which says the same, so
 * the per-segment paths pay nothing for it. */
static inline __attribute__((always_inline)) bool net_feature_and(enum net_feature f, bool flag)
{
#ifdef XENOLITH_KERNEL
    return net_feature(f) && flag;
#else
    (void)f;
    return flag;
#endif
}

#endif
