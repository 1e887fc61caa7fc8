/*
 * Fuzz harness: Ethernet II input (net/ethernet) with ARP behind it. The input is a raw frame;
 * its first byte also picks whether the stack is configured and where the frame is split into
 * two segments (so header gathering across segments is exercised). Beyond "no crash, no
 * sanitizer report": every received buffer is freed (pool leak check) and every counter the
 * frame could touch adds up (each frame is accepted or counted as exactly one drop).
 */
#include "test/fuzz/fuzz_net_common.h"

static unsigned handled;

static void ipv4_sink(void *ctx, struct pbuf *p)
{
    /* Stand-in for the IPv4 layer: touch the first header bytes like a parser would. */
    if (pbuf_linearize(p, p->tot_len < 20 ? p->tot_len : 20) == NULL && p->tot_len)
        abort();
    handled++;
    pbuf_free(p);
}

static uint64_t eth_drops(const struct eth_stats *st)
{
    return st->rx_too_short + st->rx_not_for_us + st->rx_bad_source + st->rx_own_source +
           st->rx_ieee8023 + st->rx_unknown_ethertype;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1514 + 1)
        return 0;
    uint8_t mode = data[0];
    struct fuzz_net f;
    fuzz_net_up(&f, mode & 1);
    if (eth_handler_for(&f.stack->eth, 0x0800) == NULL)
        eth_register(&f.stack->eth, 0x0800, ipv4_sink, NULL);
    handled = 0;
    fuzz_net_deliver(&f, data + 1, size - 1, (size_t)(mode >> 1));
    const struct eth_stats *st = &f.stack->eth.stats;
    if (st->rx_frames + eth_drops(st) != 1)
        abort();
    fuzz_run_for(10ull * 1000000000ull);   /* let ARP timers the frame started run out */
    fuzz_net_down(&f);
    return 0;
}
