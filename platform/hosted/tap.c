/*
 * platform/hosted/tap: the hosted platform's network device (see tap.h), a Linux TAP interface.
 * Frames are read straight into packet buffers; the descriptor is non-blocking and the event loop
 * calls back when it is readable, at which point every pending frame is read. Transmit writes the
 * frame's segments with one writev; a full TAP queue drops the frame (tx_dropped) rather than
 * blocking the CPU.
 *
 * The TAP is opened with IFF_VNET_HDR, so every frame is preceded by a virtio_net_hdr
 * (tap_vnet.h) and the host does the offloads: TX_CSUM and TSO on transmit, and with
 * TUNSETOFFLOAD (TUN_F_CSUM | TUN_F_TSO4) checksums left to us and large receives of up to
 * 64 KiB, read into a chain of buffers whose unused tail is kept for the next read.
 */
#define _GNU_SOURCE
#include "platform/hosted/tap.h"
#include "platform/hosted/hosted.h"
#include "platform/hosted/tap_vnet.h"
#include "kernel/options.h"
#include "lib/log.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pbuf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* A 64 KiB frame in 2 KiB blocks, plus the header. */
#define TAP_MAX_IOV 48
/* The largest frame a large receive may be: an IPv4 datagram behind an Ethernet header. */
#define TAP_LARGE_FRAME (NETDEV_ETH_HEADER_LEN + 65535u)

struct tap_dev {
    struct netdev dev;
    int fd;
    uint32_t frame_max;              /* largest frame we accept: mtu + 14, or TAP_LARGE_FRAME */
    struct pbuf *rx_spare;           /* receive buffers left over from the last read */
};

/* A receive chain of at least `want` bytes: the spare one topped up. NULL when out of buffers. */
static struct pbuf *rx_chain(struct tap_dev *t, size_t want)
{
    struct pbuf *p = t->rx_spare;
    t->rx_spare = NULL;
    if (p && p->tot_len >= want)
        return p;
    size_t have = p ? p->tot_len : 0;
    struct pbuf *more = pbuf_alloc_headroom(t->dev.pool, want - have, 0);
    if (!more) {
        pbuf_free(p);
        return NULL;
    }
    if (!p)
        return more;
    pbuf_cat(p, more);
    return p;
}

/* Reads one frame; false when nothing is left to read (or the fd failed). */
static bool read_one(struct tap_dev *t)
{
    /* One byte more than the largest frame tells an oversized frame from a full-sized one. */
    size_t want = t->frame_max + 1;
    struct virtio_net_hdr vh;
    struct iovec iov[TAP_MAX_IOV];
    iov[0].iov_base = &vh;
    iov[0].iov_len = sizeof(vh);
    int count = 1;
    struct pbuf *p = rx_chain(t, want);
    if (p) {
        for (struct pbuf *s = p; s && count < TAP_MAX_IOV; s = s->next) {
            iov[count].iov_base = s->data;
            iov[count].iov_len = s->len;
            count++;
        }
    } else {
        /* Out of buffers: drain the frame (the header alone takes it) and count. */
        count = 1;
    }
    ssize_t n = readv(t->fd, iov, count);
    if (n < 0) {
        t->rx_spare = p;
        if (errno != EAGAIN && errno != EINTR) {
            t->dev.stats.rx_errors++;
            log_warn("tap", "%s: read: error %d", t->dev.name, errno);
        }
        return errno == EINTR;
    }
    if (n == 0) {
        t->rx_spare = p;
        return false;
    }
    size_t len = (size_t)n > sizeof(vh) ? (size_t)n - sizeof(vh) : 0;
    if (!p || len < NETDEV_ETH_HEADER_LEN || len > t->frame_max) {
        t->rx_spare = p;
        t->dev.stats.rx_errors++;
        return true;
    }
    t->rx_spare = pbuf_split(p, len);
    p->flags = 0;
    p->gso_size = 0;
    if (tap_vnet_decode(&vh, p) != 0) {
        t->dev.stats.rx_errors++;
        log_warn("tap", "%s: dropped a frame with a bad virtio_net_hdr (flags %u, gso type %u)",
                 t->dev.name, vh.flags, vh.gso_type);
        pbuf_free(p);
        return true;
    }
    netdev_receive(&t->dev, p);
    return true;
}

static void tap_readable(void *ctx)
{
    struct tap_dev *t = ctx;
    while (read_one(t))
        ;
}

static int tap_transmit(struct netdev *dev, struct pbuf *p)
{
    struct tap_dev *t = dev->priv;
    struct virtio_net_hdr vh;
    if (tap_vnet_encode(p, &vh) != 0) {
        dev->stats.tx_errors++;
        pbuf_free(p);
        return -EINVAL;
    }
    struct iovec iov[TAP_MAX_IOV];
    iov[0].iov_base = &vh;
    iov[0].iov_len = sizeof(vh);
    int count = 1;
    /* Static, not on the stack: fibers have small stacks, and one CPU means no reentry. */
    static uint8_t flat[TAP_LARGE_FRAME];
    if (pbuf_segments(p) < TAP_MAX_IOV) {
        for (struct pbuf *s = p; s; s = s->next)
            if (s->len) {
                iov[count].iov_base = s->data;
                iov[count].iov_len = s->len;
                count++;
            }
    } else {
        pbuf_copy_out(p, 0, flat, p->tot_len);
        iov[1].iov_base = flat;
        iov[1].iov_len = p->tot_len;
        count = 2;
    }
    ssize_t n = writev(t->fd, iov, count);
    uint32_t len = p->tot_len;
    pbuf_free(p);
    if (n == (ssize_t)(len + sizeof(vh)))
        return 0;
    dev->stats.tx_dropped++;
    if (n < 0 && errno != EAGAIN)
        log_warn("tap", "%s: write: error %d", dev->name, errno);
    return n < 0 && errno == EAGAIN ? -ENOBUFS : -EIO;
}

static void tap_destroy(struct netdev *dev)
{
    struct tap_dev *t = dev->priv;
    hosted_unwatch_fd(t->fd);
    close(t->fd);
    pbuf_free(t->rx_spare);
    kfree(t);
}

static const struct netdev_ops tap_ops = {
    .transmit = tap_transmit,
    .destroy = tap_destroy,
};

static uint32_t interface_mtu(const char *name)
{
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return NETDEV_DEFAULT_MTU;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    kstrlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
    uint32_t mtu = NETDEV_DEFAULT_MTU;
    if (ioctl(sock, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68 && ifr.ifr_mtu <= 65535)
        mtu = (uint32_t)ifr.ifr_mtu;
    close(sock);
    return mtu;
}

static uint32_t name_hash(const char *name)
{
    uint32_t h = 2166136261u;        /* FNV-1a */
    for (; *name; name++)
        h = (h ^ (uint8_t)*name) * 16777619u;
    return h;
}

struct netdev *tap_open(const char *name, struct pbuf_pool *pool)
{
    if (!name || !*name || strlen(name) >= IFNAMSIZ) {
        log_error("tap", "invalid TAP interface name '%s'", name ? name : "");
        return NULL;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        log_error("tap", "cannot open /dev/net/tun (error %d): is the tun module loaded?", errno);
        return NULL;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    kstrlcpy(ifr.ifr_name, name, sizeof(ifr.ifr_name));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        log_error("tap", "cannot attach to TAP interface %s (error %d): does it exist, and may "
                  "we use it?", name, errno);
        close(fd);
        return NULL;
    }
    struct tap_dev *t = kcalloc(1, sizeof(*t));
    if (!t) {
        close(fd);
        return NULL;
    }
    uint8_t mac[NETDEV_MAC_LEN];
    netdev_make_mac(mac, name_hash(name));
    uint32_t mtu = interface_mtu(name);
    if (mtu + NETDEV_ETH_HEADER_LEN + 1 + PBUF_HEADROOM > PBUF_STORAGE_CAPACITY) {
        log_warn("tap", "%s: MTU %u above what one buffer holds; using 1500", name, (unsigned)mtu);
        mtu = NETDEV_DEFAULT_MTU;
    }
    int hdr_size = (int)sizeof(struct virtio_net_hdr);
    if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0) {
        log_error("tap", "%s: cannot set the virtio_net_hdr size (error %d)", name, errno);
        close(fd);
        kfree(t);
        return NULL;
    }
    /* What the host may hand us: frames whose checksum it left to us, and TCPv4 large receives.
     * Our transmit offloads need no setting: the host takes any virtio_net_hdr. */
    uint32_t caps = NETDEV_CAP_SG | NETDEV_CAP_TX_CSUM | NETDEV_CAP_TSO | NETDEV_CAP_RX_CSUM;
    t->frame_max = TAP_LARGE_FRAME;
    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)) < 0) {
        log_warn("tap", "%s: no receive offloads (TUNSETOFFLOAD error %d)", name, errno);
        t->frame_max = mtu + NETDEV_ETH_HEADER_LEN;
    }
    t->fd = fd;
    netdev_init(&t->dev, &tap_ops, name, mac, mtu, caps, pool, t);
    int err = hosted_watch_fd(fd, tap_readable, t);
    if (err) {
        log_error("tap", "%s: cannot watch the descriptor (error %d)", name, -err);
        close(fd);
        kfree(t);
        return NULL;
    }
    log_info("tap", "%s: attached, MAC %pM, MTU %u, offloads: checksum, TSO%s", name, t->dev.mac,
             (unsigned)mtu, t->frame_max == TAP_LARGE_FRAME ? ", large receive" : "");
    return &t->dev;
}

struct netdev *platform_netdev_open(unsigned index, struct pbuf_pool *rx_pool)
{
    const char *tap = kernel_options()->tap;
    if (index > 0 || !tap) {
        log_error("tap", "no network device %u: the hosted platform has one, named by tap=NAME",
                  index);
        return NULL;
    }
    return tap_open(tap, rx_pool);
}
