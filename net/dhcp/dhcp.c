/*
 * net/dhcp/dhcp: the DHCP client's binding to the layers of a stack (see dhcp.h). Everything here
 * runs in loop context (UDP receive handler, timer callback, ARP probe verdict), so nothing blocks.
 */
#include "net/dhcp/dhcp.h"
#include "lib/counters.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/random.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "net/ip/ipv4.h"
#include "net/link/arp.h"
#include "net/link/ethernet.h"
#include "mm/pbuf.h"
#include "net/udp/udp.h"
#include "net/wire/features.h"
#include "platform/platform.h"
#include "sched/sched.h"

struct dhcp {
    struct udp_layer *udp;           /* its socket's layer; the IPv4 and ARP layers under it */
    struct dhcp_params params;
    struct udp_socket *sock;
    struct timer timer;
    struct dhcp_client client;
    struct dhcp_binding_stats stats;
    bool probing;
};

void dhcp_default_params(struct dhcp_params *out)
{
    memset(out, 0, sizeof(*out));
    out->start_delay_max_ns = 0;
    out->probe = true;
}

static uint32_t addr_u32(const uint8_t a[4])
{
    uint32_t v;
    memcpy(&v, a, 4);   /* already network order */
    return v;
}

/* ---- ops for the state machine ---- */

static void binding_send(void *ctx, const uint8_t *msg, size_t len, const struct dhcp_dest *dest)
{
    struct dhcp *d = ctx;
    uint32_t dst = dest->broadcast ? IP4_BROADCAST : addr_u32(dest->server);
    int rc = udp_sendto(d->sock, dst, DHCP_SERVER_PORT, msg, len);
    if (rc < 0) {
        d->stats.tx_errors++;
        log_debug("dhcp", "send to %pI4 failed: %s", &dst, error_name(rc));
    }
}

static void binding_set_timer(void *ctx, uint64_t deadline_ns)
{
    struct dhcp *d = ctx;
    if (deadline_ns == UINT64_MAX)
        timer_cancel(&d->timer);
    else
        timer_arm(&d->timer, deadline_ns);
}

static void probe_verdict(struct arp_layer *arp, uint32_t ip, bool in_use, void *arg)
{
    struct dhcp *d = arg;
    d->probing = false;
    uint8_t a[4];
    memcpy(a, &ip, 4);
    dhcp_client_probe_done(&d->client, a, in_use, platform_monotonic_ns());
}

static void binding_probe(void *ctx, const uint8_t address[4])
{
    struct dhcp *d = ctx;
    uint32_t ip = addr_u32(address);
    if (d->probing)
        arp_probe_cancel(d->udp->ip->arp);
    int rc = arp_probe(d->udp->ip->arp, ip, probe_verdict, d);
    if (rc == -EBUSY) {
        /* Someone else's probe: ours matters more for the interface's own address. */
        arp_probe_cancel(d->udp->ip->arp);
        rc = arp_probe(d->udp->ip->arp, ip, probe_verdict, d);
    }
    if (rc < 0) {
        /* The state machine's probe timeout takes it on from here (as "no answer"). */
        d->stats.probe_errors++;
        log_warn("dhcp", "cannot probe %pI4: %s", address, error_name(rc));
        return;
    }
    d->probing = true;
}

static void binding_apply(void *ctx, const struct dhcp_lease *lease)
{
    struct dhcp *d = ctx;
    if (!lease) {
        ipv4_clear_config(d->udp->ip);
        log_info("dhcp", "address removed");
        if (d->params.on_change)
            d->params.on_change(d, NULL, d->params.arg);
        return;
    }
    struct ipv4_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.addr = addr_u32(lease->address);
    cfg.prefix_len = lease->prefix_len;
    cfg.gateway = lease->has_router ? addr_u32(lease->router) : 0;
    for (unsigned i = 0; i < lease->dns_count && cfg.dns_count < IPV4_MAX_DNS; i++)
        cfg.dns[cfg.dns_count++] = addr_u32(lease->dns[i]);
    uint32_t device_mtu = d->udp->ip->eth->dev->mtu;
    uint32_t mtu = d->params.mtu_override ? d->params.mtu_override : lease->mtu;
    /* The server's MTU cannot exceed what the device carries (RFC 2132 5.1 is the link's). */
    cfg.mtu = mtu > device_mtu ? device_mtu : mtu;
    int rc = ipv4_set_config(d->udp->ip, &cfg);
    if (rc < 0) {
        d->stats.config_refused++;
        log_error("dhcp", "the stack refused the lease of %pI4/%u: %s", lease->address,
                  (unsigned)lease->prefix_len, error_name(rc));
        return;
    }
    if (d->params.on_change)
        d->params.on_change(d, lease, d->params.arg);
}

static uint32_t binding_random(void *ctx)
{
    return random_u32();
}

static const struct dhcp_client_ops binding_ops = {
    .send = binding_send,
    .set_timer = binding_set_timer,
    .probe = binding_probe,
    .apply = binding_apply,
    .random = binding_random,
};

static const struct dhcp_client_ops binding_ops_no_probe = {
    .send = binding_send,
    .set_timer = binding_set_timer,
    .probe = NULL,
    .apply = binding_apply,
    .random = binding_random,
};

/* ---- events from the stack and the scheduler ---- */

static void on_datagram(struct udp_socket *sock, struct pbuf *p,
                        const struct udp_datagram_info *info, void *arg)
{
    struct dhcp *d = arg;
    /* RFC 2131 section 4.1: servers answer from port 67. */
    if (info->src_port != DHCP_SERVER_PORT) {
        d->stats.rx_wrong_port++;
        pbuf_free(p);
        return;
    }
    if (p->tot_len > DHCP_MAX_LEN) {
        d->stats.rx_oversize++;
        pbuf_free(p);
        return;
    }
    uint8_t buf[DHCP_MAX_LEN];
    size_t len = p->tot_len;
    int rc = pbuf_copy_out(p, 0, buf, len);
    pbuf_free(p);
    if (rc < 0) {
        d->stats.rx_oversize++;
        return;
    }
    dhcp_client_input(&d->client, buf, len, platform_monotonic_ns());
}

static void on_timer(struct timer *t, void *arg)
{
    struct dhcp *d = arg;
    dhcp_client_timeout(&d->client, platform_monotonic_ns());
}

/* ---- public ---- */

int dhcp_start(struct udp_layer *udp, const struct dhcp_params *params, struct dhcp **out)
{
    if (!net_feature(NET_FEATURE_DHCP)) {
        log_error("dhcp", "this image has no DHCP client (APP_NET_WITHOUT in its app.mk): "
                          "give ip=ADDRESS/PREFIX");
        return -EOPNOTSUPP;
    }
    struct dhcp *d = kcalloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->udp = udp;
    d->params = *params;
    int rc = udp_layer_bind(udp, DHCP_CLIENT_PORT, &d->sock);
    if (rc < 0) {
        log_error("dhcp", "cannot bind UDP port %d: %s", DHCP_CLIENT_PORT, error_name(rc));
        kfree(d);
        return rc;
    }
    timer_init(&d->timer, on_timer, d);

    struct dhcp_client_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    memcpy(cfg.mac, udp->ip->eth->mac, 6);
    cfg.start_delay_max_ns = params->start_delay_max_ns;
    /* Option 57 is the whole IP datagram (RFC 2132 9.10): what the interface's MTU carries. */
    uint32_t mtu = udp->ip->eth->dev->mtu;
    cfg.max_msg_size = (uint16_t)(mtu > 0xffff ? 0xffff : mtu);
    dhcp_client_init(&d->client, &cfg, params->probe ? &binding_ops : &binding_ops_no_probe, d);
    udp_set_receive_handler(d->sock, on_datagram, d);
    dhcp_client_start(&d->client, platform_monotonic_ns());
    *out = d;
    return 0;
}

void dhcp_stop(struct dhcp *d, bool release)
{
    if (!net_feature(NET_FEATURE_DHCP) || !d)    /* no DHCP: dhcp_start never made one */
        return;
    if (d->probing) {
        arp_probe_cancel(d->udp->ip->arp);
        d->probing = false;
    }
    dhcp_client_stop(&d->client, release, platform_monotonic_ns());
    timer_cancel(&d->timer);
    udp_close(d->sock);
    kfree(d);
}

enum dhcp_state dhcp_get_state(const struct dhcp *d)
{
    return dhcp_client_state(&d->client);
}

const struct dhcp_lease *dhcp_get_lease(const struct dhcp *d)
{
    return d->client.have_lease ? &d->client.lease : NULL;
}

const struct dhcp_client *dhcp_get_client(const struct dhcp *d)
{
    return &d->client;
}

const struct dhcp_binding_stats *dhcp_get_binding_stats(const struct dhcp *d)
{
    return &d->stats;
}

void dhcp_print_stats(const struct dhcp *d)
{
    if (!net_feature(NET_FEATURE_DHCP))
        return;
    char buf[2048];
    dhcp_client_format_stats(&d->client, buf, sizeof(buf));
    kprintf("%s", buf);
    COUNTERS_PRINT("dhcp", NULL, DHCP_BINDING_STATS, d->stats);
}
