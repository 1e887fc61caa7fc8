/*
 * platform/netdev.h: the network device seam (docs/DESIGN.md, "The platform seam"). A netdev moves whole
 * Ethernet frames (destination MAC first, no preamble, no FCS) as packet buffers (mm/pbuf.h).
 *
 * Backends: netfront (xen/), TAP (platform/hosted/tap.c), the in-memory pair (net/dev/pair.h).
 * Decorators (net/dev/pcap.h, net/dev/faults.h) are netdevs that wrap another netdev: they install
 * themselves as the lower device's receive handler and forward frames both ways.
 *
 * Transmit: netdev_transmit(dev, p) always takes ownership of p, whether it succeeds or not.
 * Receive: the device calls netdev_receive(dev, p) in loop or fiber context (never from an
 * interrupt/upcall), which counts the frame and hands it to the handler the stack installed with
 * netdev_set_rx_handler; the handler owns p from then on. Without a handler the frame is dropped.
 * Implemented in net/dev/netdev.c.
 */
#ifndef XENOLITH_PLATFORM_NETDEV_H
#define XENOLITH_PLATFORM_NETDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pbuf;
struct pbuf_pool;
struct netdev;

#define NETDEV_NAME_MAX 16
#define NETDEV_MAC_LEN 6
#define NETDEV_DEFAULT_MTU 1500          /* bytes after the 14-byte Ethernet header */
#define NETDEV_ETH_HEADER_LEN 14

/* Capabilities (netdev.caps). Without a capability the stack does the work in software. */
enum netdev_caps {
    /* Receive: the device verified TCP/UDP checksums and marks good frames PBUF_F_CSUM_VERIFIED. */
    NETDEV_CAP_RX_CSUM = 1u << 0,
    /* Transmit: the device completes a checksum for frames marked PBUF_F_CSUM_PARTIAL, using the
     * pbuf's csum_start/csum_offset (csum_start counts from the IPv4 header, i.e. 14 bytes into
     * the frame; the pseudo-header sum is already in the checksum field, as Linux does). */
    NETDEV_CAP_TX_CSUM = 1u << 1,
    /* Transmit: chained pbufs are accepted as they are (otherwise the stack linearizes). */
    NETDEV_CAP_SG = 1u << 2,
    /* Transmit: TCP/IPv4 frames up to 64 KiB with pbuf.gso_size set are segmented by the device
     * (into gso_segs segments of gso_size payload, each with the frame's headers, sequence numbers
     * advanced, IPv4 ids incremented, and FIN/PSH only on the last; the frame is
     * PBUF_F_CSUM_PARTIAL and its checksum field holds the pseudo-header sum over the whole TCP
     * length). Receive: the device may hand up a large receive, one frame of several segments,
     * with gso_size set to their size. */
    NETDEV_CAP_TSO = 1u << 3,
};

/* Per-device counters. X-macro so that names print (netdev_print_stats). */
#define NETDEV_COUNTERS(X)                                                                    \
    X(rx_frames)      /* frames handed to netdev_receive */                                    \
    X(rx_bytes)                                                                                \
    X(rx_no_handler)  /* dropped: nobody installed a receive handler */                        \
    X(rx_errors)      /* backend-level receive failures (short read, out of buffers, ...) */   \
    X(rx_gso_frames)  /* ... of which large receives (pbuf.gso_size set: several segments) */  \
    X(tx_frames)      /* frames the backend accepted */                                        \
    X(tx_bytes)                                                                                \
    X(tx_segments)    /* segments those frames carry on the wire (a TSO frame: gso_segs) */    \
    X(tx_gso_frames)  /* ... frames sent as TSO: segments per frame = tx_segments / tx_frames */ \
    X(tx_dropped)     /* frames the backend refused or dropped (queue full, link down, ...) */ \
    X(tx_errors)      /* malformed requests (too long for the MTU, empty) */

struct netdev_stats {
#define NETDEV_STAT_FIELD(name) uint64_t name;
    NETDEV_COUNTERS(NETDEV_STAT_FIELD)
#undef NETDEV_STAT_FIELD
};

struct netdev_ops {
    /* Sends one frame; owns p from the call on (frees it, queues it or passes it on). Returns 0, or
     * a negative errno after counting the drop. Called through netdev_transmit, which has already
     * checked the length and counted tx_frames/tx_bytes. */
    int (*transmit)(struct netdev *dev, struct pbuf *p);
    /* Releases the backend (optional). Decorators destroy only themselves, not the lower device. */
    void (*destroy)(struct netdev *dev);
};

typedef void (*netdev_rx_handler)(struct netdev *dev, struct pbuf *p, void *ctx);

struct netdev {
    const struct netdev_ops *ops;
    char name[NETDEV_NAME_MAX];
    uint8_t mac[NETDEV_MAC_LEN];
    uint32_t mtu;                      /* largest payload after the Ethernet header */
    uint32_t caps;                     /* enum netdev_caps */
    struct pbuf_pool *pool;            /* where the backend allocates received frames */
    netdev_rx_handler rx_handler;
    void *rx_ctx;
    struct netdev_stats stats;
    void *priv;                        /* the backend's own state */
};

/* Fills the common fields (name truncated to fit, stats zeroed, no handler). */
void netdev_init(struct netdev *dev, const struct netdev_ops *ops, const char *name,
                 const uint8_t mac[NETDEV_MAC_LEN], uint32_t mtu, uint32_t caps,
                 struct pbuf_pool *pool, void *priv);

void netdev_set_rx_handler(struct netdev *dev, netdev_rx_handler handler, void *ctx);

/* Takes ownership of p. Refuses (counts tx_errors, frees, returns -EMSGSIZE/-EINVAL) a frame
 * shorter than an Ethernet header or longer than mtu + 14 unless it is a TSO frame on a TSO
 * device. Returns what the backend returned. */
int netdev_transmit(struct netdev *dev, struct pbuf *p);

/* Called by backends for every received frame: counts it and gives it to the handler. */
void netdev_receive(struct netdev *dev, struct pbuf *p);

/* What a TX_CSUM device does for a PBUF_F_CSUM_PARTIAL frame, in software: adds the bytes from
 * 14 + csum_start to the end to the pseudo-header sum already in the checksum field, stores the
 * complement there and clears the flag. Used by the stack when the device cannot, and by backends
 * that emulate the capability. Returns 0, -EINVAL for offsets outside the frame, -EBUSY if the
 * frame's storage is shared. */
int netdev_complete_checksum(struct pbuf *frame);

/* The platform's index-th network device, receiving into rx_pool, or NULL with the reason logged
 * (hosted: index 0 is the TAP interface of tap=; Xen: the index-th device/vif; bare QEMU: none).
 * Implemented per platform: platform/hosted/tap.c, xen/netfront.c. */
struct netdev *platform_netdev_open(unsigned index, struct pbuf_pool *rx_pool);

/* Calls ops->destroy if there is one. */
void netdev_destroy(struct netdev *dev);

/* Prints the counters, one "name value" pair per counter, prefixed by the device name. */
void netdev_print_stats(const struct netdev *dev);

/* A locally administered unicast MAC (02:58:xx:xx:xx:xx, mixed from `seed`): for backends
 * that have no MAC of their own (TAP, the in-memory pair). */
void netdev_make_mac(uint8_t mac[NETDEV_MAC_LEN], uint32_t seed);

#endif
