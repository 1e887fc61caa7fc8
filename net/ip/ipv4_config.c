/*
 * net/ip/ipv4_config: the interface's IPv4 configuration, owned by the IPv4 layer: validation,
 * the derived mask, broadcast and MTU, telling ARP our address (flush, learn, announce) and telling
 * the observers a layer above registered (ipv4_add_config_observer).
 */
#include "net/ip/ipv4.h"

#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "net/link/arp.h"
#include "net/link/ethernet.h"

uint32_t ipv4_prefix_mask(uint8_t prefix_len)
{
    if (prefix_len == 0)
        return 0;
    if (prefix_len >= 32)
        return 0xffffffffu;
    return cpu_to_be32(~((1u << (32 - prefix_len)) - 1));
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

static int config_check(const struct ipv4_layer *ip, const struct ipv4_config *cfg)
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
    if (cfg->dns_count > IPV4_MAX_DNS)
        return config_refuse("too many DNS servers", cfg);
    if (cfg->mtu && (cfg->mtu < 68 || cfg->mtu > ip->eth->dev->mtu))
        return config_refuse("MTU outside 68..device MTU", cfg);   /* RFC 791: 68 minimum */
    return 0;
}

static void notify_observers(struct ipv4_layer *ip)
{
    struct ipv4_config_observer *o = ip->observers;
    while (o) {
        struct ipv4_config_observer *next = o->next;   /* an observer may remove itself */
        o->changed(ip, o->arg);
        o = next;
    }
}

int ipv4_set_config(struct ipv4_layer *ip, const struct ipv4_config *cfg)
{
    int err = config_check(ip, cfg);
    if (err)
        return err;
    struct netif *nif = &ip->netif;
    struct netdev *dev = ip->eth->dev;
    bool address_changed = !nif->configured || nif->ipv4.addr != cfg->addr;
    if (address_changed)
        arp_flush(ip->arp);
    nif->ipv4 = *cfg;
    nif->configured = true;
    nif->netmask = ipv4_prefix_mask(cfg->prefix_len);
    nif->subnet_broadcast = cfg->prefix_len <= 30 ? (cfg->addr | ~nif->netmask) : 0;
    nif->mtu = cfg->mtu ? cfg->mtu : dev->mtu;
    arp_set_address(ip->arp, cfg->addr, nif->subnet_broadcast);
    log_info("net", "%s: address %pI4/%u gateway %pI4 mtu %u", dev->name, &cfg->addr,
             (unsigned)cfg->prefix_len, &cfg->gateway, (unsigned)nif->mtu);
    if (address_changed)
        arp_announce(ip->arp);
    notify_observers(ip);
    return 0;
}

void ipv4_clear_config(struct ipv4_layer *ip)
{
    struct netif *nif = &ip->netif;
    if (!nif->configured)
        return;
    log_info("net", "%s: address %pI4 removed", ip->eth->dev->name, &nif->ipv4.addr);
    arp_flush(ip->arp);
    arp_set_address(ip->arp, 0, 0);
    memset(&nif->ipv4, 0, sizeof(nif->ipv4));
    nif->configured = false;
    nif->netmask = 0;
    nif->subnet_broadcast = 0;
    nif->mtu = ip->eth->dev->mtu;
    notify_observers(ip);
}

void ipv4_add_config_observer(struct ipv4_layer *ip, struct ipv4_config_observer *obs)
{
    obs->next = ip->observers;
    ip->observers = obs;
}

void ipv4_remove_config_observer(struct ipv4_layer *ip, struct ipv4_config_observer *obs)
{
    for (struct ipv4_config_observer **p = &ip->observers; *p; p = &(*p)->next) {
        if (*p == obs) {
            *p = obs->next;
            obs->next = NULL;
            return;
        }
    }
}

bool ipv4_on_link(const struct ipv4_layer *ip, uint32_t addr)
{
    const struct netif *nif = &ip->netif;
    return nif->configured && (addr & nif->netmask) == (nif->ipv4.addr & nif->netmask);
}
