/*
 * net/stack: creation and teardown of a stack instance, the EtherType table, the interface's IPv4
 * configuration (validation, derived mask/broadcast, ARP flush and announcement, observers) and
 * stats printing.
 */
#include "net/stack.h"
#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"

uint32_t ipv4_prefix_mask(uint8_t prefix_len)
{
    if (prefix_len == 0)
        return 0;
    if (prefix_len >= 32)
        return 0xffffffffu;
    return cpu_to_be32(~((1u << (32 - prefix_len)) - 1));
}

static void arp_input_adapter(struct netstack *s, struct pbuf *p)
{
    arp_input(s, p);
}

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
    s->netif.dev = dev;
    memcpy(s->netif.mac, dev->mac, ETH_ADDR_LEN);
    s->netif.mtu = dev->mtu;
    arp_init(s);
    netstack_register_ethertype(s, ETHERTYPE_ARP, arp_input_adapter);
    ipv4_init(s);
    tcp_init(s);
    netdev_set_rx_handler(dev, eth_input, s);
    return s;
}

void netstack_destroy(struct netstack *s)
{
    if (!s)
        return;
    netdev_set_rx_handler(s->netif.dev, NULL, NULL);
    tcp_stack_shutdown(s);
    ipv4_shutdown(s);
    arp_shutdown(s);
    pbuf_pool_destroy(s->pool);
    kfree(s);
}

int netstack_register_ethertype(struct netstack *s, uint16_t ethertype, netstack_input_fn input)
{
    if (netstack_ethertype_input(s, ethertype))
        return -EEXIST;
    if (s->ethertype_count >= NETSTACK_MAX_ETHERTYPES)
        return -ENOSPC;
    s->ethertypes[s->ethertype_count].ethertype = ethertype;
    s->ethertypes[s->ethertype_count].input = input;
    s->ethertype_count++;
    return 0;
}

netstack_input_fn netstack_ethertype_input(struct netstack *s, uint16_t ethertype)
{
    for (unsigned i = 0; i < s->ethertype_count; i++)
        if (s->ethertypes[i].ethertype == ethertype)
            return s->ethertypes[i].input;
    return NULL;
}

static bool ipv4_is_unicast_host(uint32_t addr)
{
    uint8_t first = ((const uint8_t *)&addr)[0];
    return addr != 0 && addr != IP4_BROADCAST && first != 0 && first != 127 && first < 224;
}

static int config_refuse(const char *why, const struct ipv4_config *cfg)
{
    log_warn("net", "refused IPv4 configuration %pI4/%u: %s", &cfg->addr,
             (unsigned)cfg->prefix_len, why);
    return -EINVAL;
}

static int config_check(const struct netstack *s, const struct ipv4_config *cfg)
{
    if (!ipv4_is_unicast_host(cfg->addr))
        return config_refuse("address is not a unicast host address", cfg);
    if (cfg->prefix_len > 32)
        return config_refuse("prefix length above 32", cfg);
    uint32_t mask = ipv4_prefix_mask(cfg->prefix_len);
    if (cfg->prefix_len <= 30) {
        if ((cfg->addr & ~mask) == 0)
            return config_refuse("address is the subnet's network address", cfg);
        if ((cfg->addr & ~mask) == ~mask)
            return config_refuse("address is the subnet's broadcast address", cfg);
    }
    if (cfg->gateway) {
        if (!ipv4_is_unicast_host(cfg->gateway) || cfg->gateway == cfg->addr)
            return config_refuse("gateway is not another unicast host", cfg);
        if ((cfg->gateway & mask) != (cfg->addr & mask))
            return config_refuse("gateway is not on the subnet", cfg);
    }
    if (cfg->dns_count > NETSTACK_MAX_DNS)
        return config_refuse("too many DNS servers", cfg);
    if (cfg->mtu && (cfg->mtu < 68 || cfg->mtu > s->netif.dev->mtu))
        return config_refuse("MTU outside 68..device MTU", cfg);   /* RFC 791: 68 minimum */
    return 0;
}

static void notify_observers(struct netstack *s)
{
    struct netstack_config_observer *o = s->observers;
    while (o) {
        struct netstack_config_observer *next = o->next;   /* an observer may remove itself */
        o->changed(s, o->arg);
        o = next;
    }
}

int netstack_set_ipv4_config(struct netstack *s, const struct ipv4_config *cfg)
{
    int err = config_check(s, cfg);
    if (err)
        return err;
    struct netif *nif = &s->netif;
    bool address_changed = !nif->configured || nif->ipv4.addr != cfg->addr;
    if (address_changed)
        arp_flush(s);
    nif->ipv4 = *cfg;
    nif->configured = true;
    nif->netmask = ipv4_prefix_mask(cfg->prefix_len);
    nif->subnet_broadcast = cfg->prefix_len <= 30 ? (cfg->addr | ~nif->netmask) : 0;
    nif->mtu = cfg->mtu ? cfg->mtu : nif->dev->mtu;
    log_info("net", "%s: address %pI4/%u gateway %pI4 mtu %u", nif->dev->name, &cfg->addr,
             (unsigned)cfg->prefix_len, &cfg->gateway, (unsigned)nif->mtu);
    if (address_changed)
        arp_announce(s);
    notify_observers(s);
    return 0;
}

void netstack_clear_ipv4_config(struct netstack *s)
{
    struct netif *nif = &s->netif;
    if (!nif->configured)
        return;
    log_info("net", "%s: address %pI4 removed", nif->dev->name, &nif->ipv4.addr);
    arp_flush(s);
    memset(&nif->ipv4, 0, sizeof(nif->ipv4));
    nif->configured = false;
    nif->netmask = 0;
    nif->subnet_broadcast = 0;
    nif->mtu = nif->dev->mtu;
    notify_observers(s);
}

void netstack_add_config_observer(struct netstack *s, struct netstack_config_observer *obs)
{
    obs->next = s->observers;
    s->observers = obs;
}

void netstack_remove_config_observer(struct netstack *s, struct netstack_config_observer *obs)
{
    for (struct netstack_config_observer **p = &s->observers; *p; p = &(*p)->next) {
        if (*p == obs) {
            *p = obs->next;
            obs->next = NULL;
            return;
        }
    }
}

bool netstack_ipv4_on_link(const struct netstack *s, uint32_t addr)
{
    const struct netif *nif = &s->netif;
    return nif->configured && (addr & nif->netmask) == (nif->ipv4.addr & nif->netmask);
}

void netstack_print_counters(const char *prefix, const char *const *names, const uint64_t *values,
                             unsigned count)
{
    for (unsigned i = 0; i < count; i++)
        kprintf("%s.%s %llu\n", prefix, names[i], (unsigned long long)values[i]);
}

/* Prints one layer's stats struct, whose fields are exactly its X-macro list in order. */
#define PRINT_LAYER(prefix, list, stats_struct)                                              \
    do {                                                                                     \
        static const char *const names_[] = { list(LAYER_NAME) };                           \
        _Static_assert(sizeof(stats_struct) == sizeof(names_) / sizeof(names_[0]) * 8,       \
                       "stats struct and counter list disagree");                            \
        netstack_print_counters(prefix, names_, (const uint64_t *)&(stats_struct),           \
                                (unsigned)(sizeof(names_) / sizeof(names_[0])));             \
    } while (0)
#define LAYER_NAME(field) #field,

void netstack_print_stats(const struct netstack *s)
{
    const struct netif *nif = &s->netif;
    if (nif->configured)
        kprintf("netif %s %pM %pI4/%u mtu %u\n", nif->dev->name, nif->mac, &nif->ipv4.addr,
                (unsigned)nif->ipv4.prefix_len, (unsigned)nif->mtu);
    else
        kprintf("netif %s %pM unconfigured mtu %u\n", nif->dev->name, nif->mac, (unsigned)nif->mtu);
    netdev_print_stats(nif->dev);
    pbuf_pool_print_stats(s->pool);
    PRINT_LAYER("eth", ETH_COUNTERS, s->eth);
    PRINT_LAYER("arp", ARP_COUNTERS, s->arp_stats);
    ipv4_print_stats(s);
    tcp_print_stats(s);
}
