/*
 * app/httpd: the web server appliance. Brings up the network stack on the platform's device,
 * configured statically (ip=A.B.C.D/N gw= dns= mtu=) or by DHCP (ip=dhcp, the default), mounts
 * the site from the first block device (a ustar archive, scripts/mkdisk.sh; without a disk a
 * built-in page), serves it over HTTP/1.1 (server.c, conn.c, net/http.h) and runs until a
 * shutdown is requested (SIGINT/SIGTERM hosted, the toolstack on Xen). At shutdown it ends the
 * connections, gives a DHCP lease back, prints its counters and the stack's, and returns 0.
 *
 * Application arguments (after "--"), docs/HTTPD.md:
 *   port=N             TCP port (1..65535, default 80)
 *   max-conns=N        connections served at once (1..65536, default 1024)
 *   idle-timeout=S     seconds a kept-alive connection may wait for its next request (1..3600, 15)
 *   header-timeout=S   seconds a request head may take to arrive (1..3600, 10)
 *   send-timeout=S     seconds the client may take to accept each block of a response (1..3600, 30)
 *   access-log=on|off  one console line per request (default on)
 */
#include "app/httpd/httpd.h"
#include "kernel/kernel.h"
#include "kernel/options.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "net/dhcp.h"

#define RX_POOL_BLOCKS 1024
#define STOP_GRACE_NS (3ull * NS_PER_S)

struct number_arg {
    const char *key;
    uint32_t min, max;
};

/* Parses "key=N" into *out within [min, max]; 1 when key matched, -EINVAL when malformed. */
static int number_option(const char *a, const struct number_arg *spec, uint32_t *out)
{
    size_t k = strlen(spec->key);
    if (strncmp(a, spec->key, k) != 0 || a[k] != '=')
        return 0;
    uint32_t v;
    if (parse_u32(a + k + 1, strlen(a + k + 1), 10, &v) < 0 || v < spec->min || v > spec->max) {
        log_error("httpd", "malformed argument '%s' (%s=%u..%u)", a, spec->key,
                  (unsigned)spec->min, (unsigned)spec->max);
        return -EINVAL;
    }
    *out = v;
    return 1;
}

static int parse_app_args(int argc, char **argv, struct httpd_config *cfg)
{
    httpd_default_config(cfg);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        uint32_t v;
        int rc;
        if ((rc = number_option(a, &(struct number_arg){ "port", 1, 65535 }, &v)) != 0) {
            cfg->port = (uint16_t)v;
        } else if ((rc = number_option(a, &(struct number_arg){ "max-conns", 1, 65536 }, &v))) {
            cfg->max_conns = v;
        } else if ((rc = number_option(a, &(struct number_arg){ "idle-timeout", 1, 3600 }, &v))) {
            cfg->idle_ns = v * NS_PER_S;
        } else if ((rc = number_option(a, &(struct number_arg){ "header-timeout", 1, 3600 },
                                       &v))) {
            cfg->header_ns = v * NS_PER_S;
        } else if ((rc = number_option(a, &(struct number_arg){ "send-timeout", 1, 3600 }, &v))) {
            cfg->send_ns = v * NS_PER_S;
        } else if (strcmp(a, "access-log=on") == 0 || strcmp(a, "access-log=off") == 0) {
            cfg->access_log = a[12] == 'n';
        } else {
            log_error("httpd", "unknown argument '%s' (port= max-conns= idle-timeout= "
                      "header-timeout= send-timeout= access-log=on|off)", a);
            return -EINVAL;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

static void log_lease(struct dhcp *d, const struct dhcp_lease *lease, void *arg)
{
    const struct httpd_config *cfg = arg;
    if (!lease) {
        log_warn("httpd", "lost the DHCP lease: unconfigured");
        return;
    }
    static const uint8_t none[4];
    log_info("httpd", "configured %pI4/%u gateway %pI4 lease %u s from %pI4", lease->address,
             (unsigned)lease->prefix_len, lease->has_router ? lease->router : none,
             (unsigned)lease->lease_s, lease->server_id);
    log_info("httpd", "serving http://%pI4:%u/", lease->address, (unsigned)cfg->port);
}

static int configure_static(struct netstack *s, const struct kernel_options *opts)
{
    struct ipv4_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    memcpy(&cfg.addr, opts->ip_addr, 4);
    cfg.prefix_len = opts->ip_prefix_len;
    if (opts->has_gateway)
        memcpy(&cfg.gateway, opts->gateway, 4);
    for (unsigned i = 0; i < opts->dns_count && i < NETSTACK_MAX_DNS; i++)
        memcpy(&cfg.dns[cfg.dns_count++], opts->dns[i], 4);
    cfg.mtu = opts->mtu;
    int rc = netstack_set_ipv4_config(s, &cfg);
    if (rc < 0) {
        log_error("httpd", "the static configuration was refused: %s", error_name(rc));
        return rc;
    }
    log_info("httpd", "configured %pI4/%u gateway %pI4 (static)", &cfg.addr,
             (unsigned)cfg.prefix_len, &cfg.gateway);
    return 0;
}

int app_main(int argc, char **argv)
{
    const struct kernel_options *opts = kernel_options();
    struct httpd_config cfg;
    if (parse_app_args(argc, argv, &cfg) < 0)
        return 1;
    uint64_t wall = platform_wallclock_ns();
    struct blkdev *disk;
    if (httpd_open_blkdev(&disk) < 0)
        return 1;
    struct site site;
    if (site_open(&site, disk, wall ? (int64_t)(wall / NS_PER_S) : 0) < 0) {
        blkdev_destroy(disk);
        return 1;
    }
    int status = 1;
    struct pbuf_pool *rx_pool = pbuf_pool_create("rx", RX_POOL_BLOCKS);
    struct netdev *dev = rx_pool ? httpd_open_netdev(rx_pool) : NULL;
    struct netstack *stack = dev ? netstack_create(dev) : NULL;
    struct dhcp *dhcp = NULL;
    struct server srv;
    bool serving = false;
    if (!stack) {
        if (!rx_pool || dev)
            log_error("httpd", "out of memory for the network stack");
        goto out;
    }
    log_info("httpd", "device %s %pM mtu %u", dev->name, dev->mac, (unsigned)dev->mtu);
    if (opts->ip_dhcp) {
        struct dhcp_params params;
        dhcp_default_params(&params);
        params.mtu_override = opts->mtu;
        params.on_change = log_lease;
        params.arg = &cfg;
        int rc = dhcp_start(stack, &params, &dhcp);
        if (rc < 0) {
            log_error("httpd", "cannot start DHCP: %s", error_name(rc));
            goto out;
        }
        log_info("httpd", "waiting for a DHCP lease");
    } else if (configure_static(stack, opts) < 0) {
        goto out;
    }
    if (server_start(&srv, stack, &site, &cfg) < 0)
        goto out;
    serving = true;
    if (!opts->ip_dhcp)
        log_info("httpd", "serving http://%pI4:%u/", opts->ip_addr, (unsigned)cfg.port);
    log_info("httpd", "listening on port %u (at most %u connections; timeouts idle %llu s, "
             "head %llu s, send %llu s)", (unsigned)cfg.port, cfg.max_conns,
             (unsigned long long)(cfg.idle_ns / NS_PER_S),
             (unsigned long long)(cfg.header_ns / NS_PER_S),
             (unsigned long long)(cfg.send_ns / NS_PER_S));

    lifecycle_wait_shutdown(DEADLINE_NONE);
    log_info("httpd", "shutting down");
    status = 0;
out:
    if (serving)
        server_stop(&srv, STOP_GRACE_NS);
    if (dhcp) {
        dhcp_print_stats(dhcp);
        dhcp_stop(dhcp, true);
        fiber_yield();               /* let the DHCPRELEASE leave before the device goes */
    }
    if (stack) {
        netstack_print_stats(stack);
        netstack_destroy(stack);
    }
    if (dev)
        netdev_destroy(dev);
    if (rx_pool)
        pbuf_pool_destroy(rx_pool);
    site_close(&site);
    if (disk)
        blkdev_destroy(disk);
    return status;
}
