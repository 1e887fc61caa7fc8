/*
 * net/netup: an appliance's network from the boot options (xenolith/net.h, net/netup.h), and the
 * few questions an application asks its stack.
 */
#include "net/netup.h"
#include "kernel/kernel.h"
#include "net/link/arp.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "net/wire/features.h"
#include "sched/sched.h"

#define NETUP_RX_POOL_BLOCKS 1024     /* 2 KiB blocks: room for a full window per busy connection */

static void log_lease(struct dhcp *d, const struct dhcp_lease *lease, void *arg)
{
    struct netup *n = arg;
    if (!lease) {
        log_warn(n->who, "lost the DHCP lease: unconfigured");
        if (n->on_config)
            n->on_config(n, 0, n->arg);
        return;
    }
    char dns[64] = "";
    size_t used = 0;
    for (unsigned i = 0; i < lease->dns_count && used < sizeof(dns); i++)
        used += (size_t)ksnprintf(dns + used, sizeof(dns) - used, " %pI4", lease->dns[i]);
    static const uint8_t none[4];
    log_info(n->who, "configured %pI4/%u gateway %pI4 dns%s lease %u s from %pI4",
             lease->address, (unsigned)lease->prefix_len, lease->has_router ? lease->router : none,
             lease->dns_count ? dns : " none", (unsigned)lease->lease_s, lease->server_id);
    if (n->on_config) {
        uint32_t addr;
        memcpy(&addr, lease->address, 4);
        n->on_config(n, addr, n->arg);
    }
}

static int configure_static(struct netup *n, const struct kernel_options *opts)
{
    struct ipv4_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    memcpy(&cfg.addr, opts->ip_addr, 4);
    cfg.prefix_len = opts->ip_prefix_len;
    if (opts->has_gateway)
        memcpy(&cfg.gateway, opts->gateway, 4);
    for (unsigned i = 0; i < opts->dns_count && i < IPV4_MAX_DNS; i++)
        memcpy(&cfg.dns[cfg.dns_count++], opts->dns[i], 4);
    cfg.mtu = opts->mtu;
    int rc = netstack_set_ipv4_config(n->stack, &cfg);
    if (rc < 0) {
        log_error(n->who, "the static configuration was refused: %s", error_name(rc));
        return rc;
    }
    log_info(n->who, "configured %pI4/%u gateway %pI4 (static)", &cfg.addr,
             (unsigned)cfg.prefix_len, &cfg.gateway);
    if (n->on_config)
        n->on_config(n, cfg.addr, n->arg);
    return 0;
}

/* After the machine moved to another host, every configured address is announced (RFC 5227
 * 3: ARP Announcements) so the bridge and the neighbours learn the new port at once. */
static void announce_addresses(void *arg)
{
    (void)arg;
    log_info("net", "gratuitous ARP for %u addresses", arp_announce_all());
}

static struct resume_hook announce_hook = { .run = announce_addresses };

static void release(struct netup *n)
{
    if (n->stack)
        netstack_destroy(n->stack);
    if (n->dev)
        netdev_destroy(n->dev);
    if (n->rx_pool)
        pbuf_pool_destroy(n->rx_pool);
    n->stack = NULL;
    n->dev = NULL;
    n->rx_pool = NULL;
}

int netup_start_options(struct netup *n, const char *who, const struct kernel_options *opts,
                        netup_config_fn on_config, void *arg)
{
    memset(n, 0, sizeof(*n));
    n->who = who;
    n->on_config = on_config;
    n->arg = arg;
    n->rx_pool = pbuf_pool_create("rx", NETUP_RX_POOL_BLOCKS);
    if (!n->rx_pool) {
        log_error(who, "out of memory for the receive pool");
        return -ENOMEM;
    }
    n->dev = platform_netdev_open(0, n->rx_pool);
    if (!n->dev) {
        release(n);                      /* platform_netdev_open logged why */
        return -ENODEV;
    }
    n->stack = netstack_create(n->dev);
    if (!n->stack) {
        log_error(who, "out of memory for the network stack");
        release(n);
        return -ENOMEM;
    }
    log_info(who, "device %s %pM mtu %u", n->dev->name, n->dev->mac, (unsigned)n->dev->mtu);
    lifecycle_on_resume(&announce_hook);
    int rc;
    if (opts->ip_dhcp) {
        struct dhcp_params params;
        dhcp_default_params(&params);
        params.mtu_override = opts->mtu;
        /* An image without a DHCP client refuses below; it carries no lease reporting either. */
        params.on_change = net_feature(NET_FEATURE_DHCP) ? log_lease : NULL;
        params.arg = n;
        rc = dhcp_start(&n->stack->udp, &params, &n->dhcp);
        if (rc < 0) {
            log_error(who, "cannot start DHCP: %s", error_name(rc));
            release(n);
            return rc;
        }
        log_info(who, "waiting for a DHCP lease");
        return 0;
    }
    rc = configure_static(n, opts);
    if (rc < 0)
        release(n);
    return rc;
}

int netup_start(struct netup *n, const char *who, netup_config_fn on_config, void *arg)
{
    return netup_start_options(n, who, kernel_options(), on_config, arg);
}

void netup_stop(struct netup *n)
{
    if (n->dhcp) {
        dhcp_print_stats(n->dhcp);
        dhcp_stop(n->dhcp, true);
        n->dhcp = NULL;
        fiber_yield();                   /* let the DHCPRELEASE leave before the device goes */
    }
    if (n->stack)
        netstack_print_stats(n->stack);
    release(n);
}

uint32_t net_ipv4_addr(const struct netstack *s)
{
    return netstack_ipv4_addr(s);
}

void net_print_stats(const struct netstack *s)
{
    netstack_print_stats(s);
}
