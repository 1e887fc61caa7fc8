/*
 * net/dev/pcap: the capture decorator (see pcap.h). Records are written in the host's byte order,
 * as libpcap itself does; readers recognise the order from the magic number.
 */
#include "net/dev/pcap.h"
#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pbuf.h"
#include "platform/platform.h"

#define PCAP_VERSION_MAJOR 2
#define PCAP_VERSION_MINOR 4
#define PCAP_FILE_HEADER_LEN 24
#define PCAP_RECORD_HEADER_LEN 16

struct pcap_dev {
    struct netdev dev;
    struct netdev *lower;
    pcap_sink_fn sink;
    void *ctx;
    uint32_t snaplen;
    struct pcap_stats stats;
};

static void record(struct pcap_dev *pc, const struct pbuf *p)
{
    uint64_t ns = platform_wallclock_ns();
    if (ns == 0)
        ns = platform_monotonic_ns();
    uint32_t orig = p->tot_len;
    uint32_t incl = orig < pc->snaplen ? orig : pc->snaplen;
    uint8_t hdr[PCAP_RECORD_HEADER_LEN];
    store_u32(hdr + 0, (uint32_t)(ns / 1000000000u));
    store_u32(hdr + 4, (uint32_t)(ns % 1000000000u / 1000u));
    store_u32(hdr + 8, incl);
    store_u32(hdr + 12, orig);
    int err = pc->sink(pc->ctx, hdr, sizeof(hdr));
    uint32_t left = incl;
    for (const struct pbuf *s = p; s && left && !err; s = s->next) {
        uint32_t n = s->len < left ? s->len : left;
        if (n)
            err = pc->sink(pc->ctx, s->data, n);
        left -= n;
    }
    if (err) {
        pc->stats.write_errors++;
        return;
    }
    pc->stats.frames_written++;
    pc->stats.bytes_written += PCAP_RECORD_HEADER_LEN + incl;
    if (incl < orig)
        pc->stats.frames_truncated++;
}

static int pcap_transmit(struct netdev *dev, struct pbuf *p)
{
    struct pcap_dev *pc = dev->priv;
    /* A frame whose checksum the device completes would be recorded with the partial sum;
     * completing it here costs little and makes the capture show what goes on the wire. */
    if ((p->flags & PBUF_F_CSUM_PARTIAL) && netdev_complete_checksum(p) != 0) {
        dev->stats.tx_errors++;
        pbuf_free(p);
        return -EINVAL;
    }
    record(pc, p);
    return netdev_transmit(pc->lower, p);
}

static void pcap_receive(struct netdev *lower, struct pbuf *p, void *ctx)
{
    struct pcap_dev *pc = ctx;
    record(pc, p);
    netdev_receive(&pc->dev, p);
}

static void pcap_destroy(struct netdev *dev)
{
    struct pcap_dev *pc = dev->priv;
    netdev_set_rx_handler(pc->lower, NULL, NULL);
    kfree(pc);
}

static const struct netdev_ops pcap_ops = {
    .transmit = pcap_transmit,
    .destroy = pcap_destroy,
};

struct netdev *pcap_wrap(struct netdev *lower, pcap_sink_fn sink, void *ctx, uint32_t snaplen)
{
    struct pcap_dev *pc = kcalloc(1, sizeof(*pc));
    if (!pc)
        return NULL;
    pc->lower = lower;
    pc->sink = sink;
    pc->ctx = ctx;
    pc->snaplen = snaplen ? snaplen : PCAP_DEFAULT_SNAPLEN;
    uint8_t hdr[PCAP_FILE_HEADER_LEN];
    store_u32(hdr + 0, PCAP_MAGIC);
    store_u16(hdr + 4, PCAP_VERSION_MAJOR);
    store_u16(hdr + 6, PCAP_VERSION_MINOR);
    store_u32(hdr + 8, 0);              /* thiszone: timestamps are UTC */
    store_u32(hdr + 12, 0);             /* sigfigs */
    store_u32(hdr + 16, pc->snaplen);
    store_u32(hdr + 20, PCAP_LINKTYPE_ETHERNET);
    if (sink(ctx, hdr, sizeof(hdr)) != 0) {
        kfree(pc);
        return NULL;
    }
    /* TX checksum completion is done here, so the capability stays as the lower device has it. */
    netdev_init(&pc->dev, &pcap_ops, lower->name, lower->mac, lower->mtu, lower->caps,
                lower->pool, pc);
    netdev_set_rx_handler(lower, pcap_receive, pc);
    return &pc->dev;
}

void pcap_get_stats(const struct netdev *pcap_dev, struct pcap_stats *out)
{
    const struct pcap_dev *pc = pcap_dev->priv;
    *out = pc->stats;
}
