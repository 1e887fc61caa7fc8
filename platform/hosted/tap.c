/*
 * platform/hosted/tap: the hosted platform's network device (see tap.h), a Linux TAP interface.
 * Frames are read straight into packet buffers; the descriptor is non-blocking and the event loop
 * calls back when it is readable, at which point every pending frame is read. Transmit writes the
 * frame's segments with one writev; a full TAP queue drops the frame (tx_dropped) rather than
 * blocking the CPU.
 */
#define _GNU_SOURCE
#include "platform/hosted/tap.h"
#include "platform/hosted/hosted.h"
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

#define TAP_MAX_IOV 16

struct tap_dev {
    struct netdev dev;
    int fd;
    uint32_t frame_max;              /* mtu + Ethernet header */
};

/* Reads one frame; false when nothing is left to read (or the fd failed). */
static bool read_one(struct tap_dev *t)
{
    /* One byte more than the largest frame tells an oversized frame from a full-sized one. */
    size_t want = t->frame_max + 1;
    struct pbuf *p = pbuf_alloc(t->dev.pool, want);
    uint8_t scratch[1];
    ssize_t n;
    if (p && p->next == NULL) {
        n = read(t->fd, p->data, want);
    } else {
        /* Out of buffers (or a chain we cannot read into in one call): drain and count. */
        pbuf_free(p);
        p = NULL;
        n = read(t->fd, scratch, sizeof(scratch));
    }
    if (n < 0) {
        pbuf_free(p);
        if (errno != EAGAIN && errno != EINTR) {
            t->dev.stats.rx_errors++;
            log_warn("tap", "%s: read: error %d", t->dev.name, errno);
        }
        return errno == EINTR;
    }
    if (!p || n == 0 || (size_t)n > t->frame_max) {
        pbuf_free(p);
        t->dev.stats.rx_errors++;
        return n != 0;
    }
    pbuf_trim(p, (size_t)n);
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
    struct iovec iov[TAP_MAX_IOV];
    int count = 0;
    /* Static, not on the stack: fibers have small stacks, and one CPU means no reentry. */
    static uint8_t flat[NETDEV_ETH_HEADER_LEN + 65535];
    if (pbuf_segments(p) <= TAP_MAX_IOV) {
        for (struct pbuf *s = p; s; s = s->next)
            if (s->len) {
                iov[count].iov_base = s->data;
                iov[count].iov_len = s->len;
                count++;
            }
    } else {
        pbuf_copy_out(p, 0, flat, p->tot_len);
        iov[0].iov_base = flat;
        iov[0].iov_len = p->tot_len;
        count = 1;
    }
    ssize_t n = writev(t->fd, iov, count);
    uint32_t len = p->tot_len;
    pbuf_free(p);
    if (n == (ssize_t)len)
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
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
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
    t->fd = fd;
    t->frame_max = mtu + NETDEV_ETH_HEADER_LEN;
    netdev_init(&t->dev, &tap_ops, name, mac, mtu, NETDEV_CAP_SG, pool, t);
    int err = hosted_watch_fd(fd, tap_readable, t);
    if (err) {
        log_error("tap", "%s: cannot watch the descriptor (error %d)", name, -err);
        close(fd);
        kfree(t);
        return NULL;
    }
    log_info("tap", "%s: attached, MAC %pM, MTU %u", name, t->dev.mac, (unsigned)mtu);
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
