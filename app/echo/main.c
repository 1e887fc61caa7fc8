/*
 * app/echo: the UDP echo appliance. Brings up the network stack on the platform's device,
 * configures it statically (ip=A.B.C.D/N gw= dns= mtu=) or by DHCP (ip=dhcp, the default),
 * answers RFC 862 echo on UDP port 7 and swallows RFC 863 discard on UDP port 9 (each in its
 * own fiber), logs its configuration whenever it changes, and runs until a shutdown is
 * requested (SIGINT/SIGTERM hosted, the toolstack on Xen). At shutdown it gives a DHCP lease
 * back, prints the stack's counters and returns 0.
 */
#include "app/echo/echo.h"
#include "kernel/kernel.h"
#include "kernel/options.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "net/dhcp.h"
#include "net/stack.h"
#include "net/udp.h"
#include "sched/sched.h"

#define ECHO_PORT 7
#define DISCARD_PORT 9
#define RX_POOL_BLOCKS 512

struct service {
    const char *name;
    uint16_t port;
    bool reply;                  /* echo answers; discard only counts */
    struct udp_socket *sock;
    struct fiber *fiber;
    uint64_t datagrams, bytes, reply_errors;
};

static void log_lease(struct dhcp *d, const struct dhcp_lease *lease, void *arg)
{
    if (!lease) {
        log_warn("echo", "lost the DHCP lease: unconfigured");
        return;
    }
    char dns[64] = "";
    size_t used = 0;
    for (unsigned i = 0; i < lease->dns_count && used < sizeof(dns); i++)
        used += (size_t)ksnprintf(dns + used, sizeof(dns) - used, " %pI4", lease->dns[i]);
    static const uint8_t none[4];
    log_info("echo", "configured %pI4/%u gateway %pI4 dns%s lease %u s from %pI4",
             lease->address, (unsigned)lease->prefix_len, lease->has_router ? lease->router : none,
             lease->dns_count ? dns : " none", (unsigned)lease->lease_s, lease->server_id);
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
        log_error("echo", "the static configuration was refused: %s", error_name(rc));
        return rc;
    }
    log_info("echo", "configured %pI4/%u gateway %pI4 (static)", &cfg.addr,
             (unsigned)cfg.prefix_len, &cfg.gateway);
    return 0;
}

static int serve(void *arg)
{
    struct service *svc = arg;
    uint8_t *buf = kmalloc(UDP_MAX_PAYLOAD);
    if (!buf) {
        log_error("echo", "%s: out of memory", svc->name);
        return -ENOMEM;
    }
    for (;;) {
        uint32_t src;
        uint16_t port;
        int n = udp_recvfrom(svc->sock, buf, UDP_MAX_PAYLOAD, &src, &port, DEADLINE_NONE);
        if (n == -EBADF)
            break;                           /* closed at shutdown */
        if (n < 0)
            continue;
        svc->datagrams++;
        svc->bytes += (uint64_t)n;
        if (svc->reply) {
            int rc = udp_sendto(svc->sock, src, port, buf, (size_t)n);
            if (rc < 0) {
                svc->reply_errors++;
                log_debug("echo", "reply to %pI4:%u failed: %s", &src, (unsigned)port,
                          error_name(rc));
            }
        }
    }
    kfree(buf);
    return 0;
}

static int start_service(struct netstack *s, struct service *svc)
{
    int rc = udp_bind(s, svc->port, &svc->sock);
    if (rc < 0) {
        log_error("echo", "cannot bind UDP port %u: %s", (unsigned)svc->port, error_name(rc));
        return rc;
    }
    svc->fiber = fiber_spawn(svc->name, serve, svc, 0);
    if (!svc->fiber) {
        udp_close(svc->sock);
        svc->sock = NULL;
        return -ENOMEM;
    }
    return 0;
}

static void stop_service(struct service *svc)
{
    if (!svc->sock)
        return;
    udp_close(svc->sock);                    /* wakes the fiber with -EBADF */
    fiber_join(svc->fiber);
    kprintf("echo.%s datagrams %llu bytes %llu reply_errors %llu\n", svc->name,
            (unsigned long long)svc->datagrams, (unsigned long long)svc->bytes,
            (unsigned long long)svc->reply_errors);
}

int app_main(int argc, char **argv)
{
    const struct kernel_options *opts = kernel_options();
    struct pbuf_pool *rx_pool = pbuf_pool_create("rx", RX_POOL_BLOCKS);
    if (!rx_pool) {
        log_error("echo", "out of memory for the receive pool");
        return 1;
    }
    struct netdev *dev = echo_open_device(rx_pool);
    if (!dev) {
        pbuf_pool_destroy(rx_pool);
        return 1;
    }
    struct netstack *stack = netstack_create(dev);
    if (!stack) {
        log_error("echo", "out of memory for the network stack");
        netdev_destroy(dev);
        pbuf_pool_destroy(rx_pool);
        return 1;
    }
    log_info("echo", "device %s %pM mtu %u", dev->name, dev->mac, (unsigned)dev->mtu);

    int status = 1;
    struct dhcp *dhcp = NULL;
    struct service echo = { .name = "echo", .port = ECHO_PORT, .reply = true };
    struct service discard = { .name = "discard", .port = DISCARD_PORT, .reply = false };

    if (opts->ip_dhcp) {
        struct dhcp_params params;
        dhcp_default_params(&params);
        params.mtu_override = opts->mtu;
        params.on_change = log_lease;
        int rc = dhcp_start(stack, &params, &dhcp);
        if (rc < 0) {
            log_error("echo", "cannot start DHCP: %s", error_name(rc));
            goto out;
        }
        log_info("echo", "waiting for a DHCP lease");
    } else if (configure_static(stack, opts) < 0) {
        goto out;
    }
    if (start_service(stack, &echo) < 0 || start_service(stack, &discard) < 0)
        goto out;
    log_info("echo", "serving UDP echo on port %u and discard on port %u", ECHO_PORT,
             DISCARD_PORT);

    lifecycle_wait_shutdown(DEADLINE_NONE);
    log_info("echo", "shutting down");
    status = 0;
out:
    if (dhcp) {
        dhcp_print_stats(dhcp);
        dhcp_stop(dhcp, true);
        /* Let the DHCPRELEASE leave before the device goes. */
        fiber_yield();
    }
    stop_service(&echo);
    stop_service(&discard);
    netstack_print_stats(stack);
    netstack_destroy(stack);
    netdev_destroy(dev);
    pbuf_pool_destroy(rx_pool);
    return status;
}
