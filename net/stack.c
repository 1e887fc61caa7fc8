/*
 * net/stack: wiring of a stack instance: creation of its layers bottom up (each registers with the
 * one below), teardown top down, and stats printing, asking each layer for its counters.
 */
#include "net/stack.h"
#include "lib/counters.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"

struct netstack *netstack_create(struct netdev *dev)
{
    struct netstack *s = kcalloc(1, sizeof(*s));
    if (!s)
        return NULL;
    char name[NETDEV_NAME_MAX + 4];
    ksnprintf(name, sizeof(name), "%s.tx", dev->name);
    s->pool = pbuf_pool_create(name, NETSTACK_POOL_BLOCKS);
    if (!s->pool) {
        kfree(s);
        return NULL;
    }
    eth_init(&s->eth, dev, s->pool);
    /* Registration fails only when a table is too small for these fixed layers: a build error,
     * so it is logged, not handled. */
    int rc = 0;
    if ((rc = arp_init(&s->arp, &s->eth)) || (rc = ipv4_init(&s->ipv4, &s->arp)) ||
        (rc = icmp_init(&s->icmp, &s->ipv4)) || (rc = udp_init(&s->udp, &s->ipv4)) ||
        (rc = tcp_init(&s->tcp, &s->ipv4)))
        log_error("net", "%s: a layer could not register: %s", dev->name, error_name(rc));
    eth_attach(&s->eth);
    return s;
}

void netstack_destroy(struct netstack *s)
{
    if (!s)
        return;
    eth_fini(&s->eth);
    tcp_fini(&s->tcp);
    udp_fini(&s->udp);
    ipv4_fini(&s->ipv4);
    arp_fini(&s->arp);
    pbuf_pool_destroy(s->pool);
    kfree(s);
}

int netstack_set_ipv4_config(struct netstack *s, const struct ipv4_config *cfg)
{
    return ipv4_set_config(&s->ipv4, cfg);
}

void netstack_clear_ipv4_config(struct netstack *s)
{
    ipv4_clear_config(&s->ipv4);
}

uint32_t netstack_ipv4_addr(const struct netstack *s)
{
    return ipv4_addr(&s->ipv4);
}

void netstack_print_stats(const struct netstack *s)
{
    const struct eth_layer *eth = &s->eth;
    const struct netif *nif = &s->ipv4.netif;
    if (nif->configured)
        kprintf("netif %s %pM %pI4/%u mtu %u\n", eth->dev->name, eth->mac, &nif->ipv4.addr,
                (unsigned)nif->ipv4.prefix_len, (unsigned)nif->mtu);
    else
        kprintf("netif %s %pM unconfigured mtu %u\n", eth->dev->name, eth->mac,
                (unsigned)nif->mtu);
    netdev_print_stats(eth->dev);
    pbuf_pool_print_stats(s->pool);
    COUNTERS_PRINT("eth", NULL, ETH_COUNTERS, eth->stats);
    COUNTERS_PRINT("arp", NULL, ARP_COUNTERS, s->arp.stats);
    COUNTERS_PRINT("ipv4", NULL, IPV4_COUNTERS, s->ipv4.stats);
    COUNTERS_PRINT("reass", NULL, IP_REASS_STATS, s->ipv4.reass.stats);
    COUNTERS_PRINT("icmp", NULL, ICMP_COUNTERS, s->icmp.stats);
    COUNTERS_PRINT("udp", NULL, UDP_COUNTERS, s->udp.stats);
    COUNTERS_PRINT("tcp", NULL, TCP_COUNTERS, s->tcp.stats);
}
