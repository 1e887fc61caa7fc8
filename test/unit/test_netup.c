/*
 * Unit tests for net/netup.c, an appliance's network brought up from the boot options: the
 * static configuration (options ip=, gateway=, dns=, mtu=), the DHCP bring-up against a server
 * scripted here (RFC 2131 3.1: DISCOVER, OFFER, REQUEST, ACK, the address probed with ARP
 * before use, RFC 5227 2.1) with the application told of the address, the resume hook that
 * announces the addresses after a Xen restore or migration (RFC 5227 3), the failures that give
 * everything back, and netup_stop (a held lease is released, RFC 2131 4.4.6). The simulated
 * clock; the platform's device 0 is a capture device.
 */
#include "test/unit/net_ip_fixture.h"
#include "kernel/kernel.h"
#include "lib/errno.h"
#include "net/netup.h"
#include "net/wire/dhcp_msg.h"
#include "xenolith/test_main.h"

#define STATIC_IP IP4_ADDR(10, 0, 0, 2)
#define SERVER_IP IP4_ADDR(10, 0, 0, 1)
#define LEASED_IP IP4_ADDR(10, 0, 0, 50)

static struct pbuf_pool *rxpool;
static struct capture_dev cap;
static bool no_device;
static bool resumable = true;

/* net/netup.c's netup_start reads the kernel's options, which links the kernel's start and with
 * it a reference to the application; this program has none and never starts the kernel. */
int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    ck_abort_msg("the kernel was started");
    return 1;
}

/* A platform that can resume the machine (a Xen image with suspend), unless a test says not. */
bool lifecycle_resumable(void)
{
    return resumable;
}

/* The platform's device 0 is the capture device (none when a test takes it away). */
struct netdev *platform_netdev_open(unsigned index, struct pbuf_pool *rx_pool)
{
    if (index != 0 || no_device)
        return NULL;
    rxpool = rx_pool;
    capture_init(&cap, 0, rx_pool);
    return &cap.dev;
}

/* What on_config was told. */
static unsigned configs;
static uint32_t configured;

static void on_config(struct netup *n, uint32_t addr, void *arg)
{
    ck_assert_ptr_eq(arg, &configs);
    configs++;
    configured = addr;
}

static void boot(void)
{
    core_boot();
    configs = 0;
    configured = 0;
    no_device = false;
    resumable = true;
}

static struct kernel_options static_options(void)
{
    struct kernel_options opts;
    memset(&opts, 0, sizeof(opts));
    uint32_t me = STATIC_IP, gw = SERVER_IP;
    memcpy(opts.ip_addr, &me, 4);
    opts.ip_prefix_len = 24;
    memcpy(opts.gateway, &gw, 4);
    opts.has_gateway = true;
    return opts;
}

/* ARP announcements of addr (sender and target both addr, broadcast) captured from `from`. */
static unsigned announcements_of(uint32_t addr, unsigned from)
{
    unsigned n = 0;
    for (unsigned i = from; i < cap.count; i++) {
        struct arp_view v;
        if (parse_arp(&cap, i, &v) && v.op == ARP_OP_REQUEST && v.spa == addr && v.tpa == addr &&
            memcmp(v.eth_dst, BCAST, 6) == 0)
            n++;
    }
    return n;
}

/* ---- the scripted DHCP server ---- */

/* The index of the first captured DHCP message of `type` at or after `from`, parsed into m; -1. */
static int find_dhcp(unsigned from, uint8_t type, struct dhcp_message *m)
{
    for (unsigned i = from; i < cap.count; i++) {
        struct ip_view v;
        if (!parse_ip(&cap, i, &v) || v.h.protocol != IPV4_PROTO_UDP || v.payload_len < 8 ||
            load_be16(v.payload + 2) != DHCP_SERVER_PORT)
            continue;
        if (dhcp_msg_parse(v.payload + 8, v.payload_len - 8, m) == DHCP_PARSE_OK &&
            m->type == type)
            return (int)i;
    }
    return -1;
}

/* The server's answer of `type` to the client's message m, broadcast (the client has no
 * address yet): our address for 1000 s on a /24, the server as router and DNS server. */
static void server_reply(const struct dhcp_message *m, uint8_t type)
{
    struct dhcp_message r;
    memset(&r, 0, sizeof(r));
    r.op = DHCP_OP_BOOTREPLY;
    r.htype = DHCP_HTYPE_ETHERNET;
    r.hlen = 6;
    r.xid = m->xid;
    memcpy(r.chaddr, m->chaddr, sizeof(r.chaddr));
    r.type = type;
    uint32_t yi = LEASED_IP, server = SERVER_IP;
    memcpy(r.yiaddr, &yi, 4);
    memcpy(r.server_id, &server, 4);
    memcpy(r.subnet_mask, (uint8_t[]){ 255, 255, 255, 0 }, 4);
    r.lease_time = 1000;
    r.router_count = 1;
    memcpy(r.routers[0], &server, 4);
    r.dns_count = 1;
    memcpy(r.dns[0], &server, 4);
    r.has = DHCP_HAS(DHCP_HAS_MSG_TYPE) | DHCP_HAS(DHCP_HAS_SERVER_ID) |
            DHCP_HAS(DHCP_HAS_LEASE_TIME) | DHCP_HAS(DHCP_HAS_SUBNET_MASK) |
            DHCP_HAS(DHCP_HAS_ROUTER) | DHCP_HAS(DHCP_HAS_DNS);
    static uint8_t msg[600], udp[700], frame[800];
    int len = dhcp_msg_build(&r, msg, sizeof(msg));
    ck_assert_int_gt(len, 0);
    size_t ulen = build_udp(udp, SERVER_IP, IP4_BROADCAST, DHCP_SERVER_PORT, DHCP_CLIENT_PORT,
                            msg, (size_t)len);
    size_t flen = build_ipv4_frame(frame, BCAST, SERVER_IP, IP4_BROADCAST, IPV4_PROTO_UDP, 1, 0,
                                   udp, ulen);
    inject(&cap.dev, rxpool, frame, flen);
}

/* Runs the exchange to a bound lease: DISCOVER, OFFER, REQUEST, ACK, then the ARP probes of
 * the address before it is used. */
static void serve_lease(void)
{
    struct dhcp_message m;
    run_for(5 * SEC);
    ck_assert_int_ge(find_dhcp(0, DHCPDISCOVER, &m), 0);
    server_reply(&m, DHCPOFFER);
    run_for(SEC);
    ck_assert_int_ge(find_dhcp(0, DHCPREQUEST, &m), 0);
    server_reply(&m, DHCPACK);
    run_for(20 * SEC);
}

/* netup_stop may yield (to let the DHCPRELEASE out): it runs in a fiber. */
static int stop_fiber(void *arg)
{
    netup_stop(arg);
    return 0;
}

static void stop(struct netup *n)
{
    struct fiber *f = fiber_spawn("stop", stop_fiber, n, 0);
    ck_assert_ptr_nonnull(f);
    fiber_detach(f);
    run_for(SEC);
    ck_assert_ptr_null(n->stack);
    ck_assert_ptr_null(n->dev);
    ck_assert_ptr_null(n->rx_pool);
}

/* Brings the network up from the static options (no callback) and lets it settle. */
static void up_static(struct netup *n)
{
    struct kernel_options opts = static_options();
    ck_assert_int_eq(netup_start_options(n, "app", &opts, NULL, NULL), 0);
    run_for(10 * SEC);
}

/* Runs the resume hooks as xen/suspend.c does after a resume; from then on, what the device
 * sent is in cap (counted afresh). */
static void resume(void)
{
    cap.count = 0;
    lifecycle_run_resume_hooks();
    run_for(10 * SEC);
}

/* ---- the tests ---- */

/* The static options configure the stack at once: the application learns the address, the
 * log names the configuration, and the address is announced (RFC 5227 2.3). */
START_TEST(static_options_configure_and_announce)
{
    boot();
    struct netup n;
    struct kernel_options opts = static_options();
    ck_assert_int_eq(netup_start_options(&n, "app", &opts, on_config, &configs), 0);
    ck_assert_uint_eq(configs, 1);
    ck_assert_uint_eq(configured, STATIC_IP);
    ck_assert_uint_eq(net_ipv4_addr(n.stack), STATIC_IP);
    ck_assert_ptr_null(n.dhcp);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "configured 10.0.0.2/24 gateway 10.0.0.1"));
    run_for(10 * SEC);
    ck_assert_uint_eq(announcements_of(STATIC_IP, 0), 2);
    stop(&n);
}
END_TEST

/* A static configuration the stack refuses (a prefix longer than 32) fails the bring-up with
 * its error and gives the device, stack and pool back. */
START_TEST(refused_static_configuration_releases_everything)
{
    boot();
    struct netup n;
    struct kernel_options opts = static_options();
    opts.ip_prefix_len = 33;
    ck_assert_int_lt(netup_start_options(&n, "app", &opts, on_config, &configs), 0);
    ck_assert_uint_eq(configs, 0);
    ck_assert_ptr_null(n.stack);
    ck_assert_ptr_null(n.dev);
    ck_assert_ptr_null(n.rx_pool);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "the static configuration was refused"));
}
END_TEST

/* No network device: -ENODEV, and the receive pool is given back. */
START_TEST(missing_device_is_enodev)
{
    boot();
    no_device = true;
    struct netup n;
    struct kernel_options opts = static_options();
    ck_assert_int_eq(netup_start_options(&n, "app", &opts, on_config, &configs), -ENODEV);
    ck_assert_ptr_null(n.rx_pool);
    ck_assert_ptr_null(n.dev);
    ck_assert_uint_eq(configs, 0);
}
END_TEST

/* ip=dhcp: the client runs the RFC 2131 exchange (3.1) and probes the address (RFC 5227 2.1);
 * only then is the application told the address, and the log gives the lease. netup_stop
 * gives the lease back with a DHCPRELEASE to the server (RFC 2131 4.4.6) before the device
 * goes. */
START_TEST(dhcp_lease_configures_then_stop_releases)
{
    boot();
    struct netup n;
    struct kernel_options opts;
    memset(&opts, 0, sizeof(opts));
    opts.ip_dhcp = true;
    ck_assert_int_eq(netup_start_options(&n, "app", &opts, on_config, &configs), 0);
    ck_assert_ptr_nonnull(n.dhcp);
    ck_assert_uint_eq(configs, 0);
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "waiting for a DHCP lease"));
    serve_lease();
    ck_assert_uint_eq(configs, 1);
    ck_assert_uint_eq(configured, LEASED_IP);
    ck_assert_uint_eq(net_ipv4_addr(n.stack), LEASED_IP);
    ck_assert_ptr_nonnull(strstr(sim_console_output(),
                                 "configured 10.0.0.50/24 gateway 10.0.0.1 dns 10.0.0.1 lease "
                                 "1000 s from 10.0.0.1"));
    /* The RELEASE goes unicast: the server asks for us, so the stack knows its MAC. */
    uint8_t arp[60];
    inject(&cap.dev, rxpool, arp,
           build_arp(arp, BCAST, PEER_MAC, ARP_OP_REQUEST, SERVER_IP, ZERO_MAC, LEASED_IP));
    settle();
    unsigned before = cap.count;
    struct fiber *f = fiber_spawn("stop", stop_fiber, &n, 0);
    fiber_detach(f);
    struct dhcp_message m;
    /* The capture device goes with the stack: look at what it sent before it went. */
    run_for(1);
    ck_assert_int_ge(find_dhcp(before, DHCPRELEASE, &m), 0);
    uint32_t ci = LEASED_IP;
    ck_assert_mem_eq(m.ciaddr, &ci, 4);
    run_for(SEC);
    ck_assert_ptr_null(n.dhcp);
    ck_assert_ptr_null(n.stack);
    ck_assert_ptr_null(n.rx_pool);
}
END_TEST

/* Xen interface rule for a restored or migrated domain: its backends and the bridge port are
 * new, so the guest announces itself (RFC 5227 3), as Linux's netfront does with a
 * NETDEV_NOTIFY_PEERS. netup registers that hook once however often the network comes up; a
 * stopped network announces nothing. */
START_TEST(resume_hook_announces_configured_address)
{
    boot();
    struct netup n;
    up_static(&n);
    resume();
    ck_assert_uint_eq(announcements_of(STATIC_IP, 0), 2);
    ck_assert_uint_eq(cap.when[1] - cap.when[0], 2 * SEC);
    stop(&n);
    up_static(&n);
    resume();
    ck_assert_uint_eq(announcements_of(STATIC_IP, 0), 2);
    stop(&n);
    resume();
    ck_assert_uint_eq(cap.count, 0);
}
END_TEST

/* An image that can never resume (a Xen image without suspend, xen/optional.h) keeps no resume
 * hook: netup's is never registered, so link-time optimization drops its code; running the
 * hooks (which such an image never does) finds nothing. */
START_TEST(no_resume_hook_without_resume)
{
    boot();
    resumable = false;
    struct netup n;
    up_static(&n);
    resume();
    ck_assert_uint_eq(cap.count, 0);
    stop(&n);
}
END_TEST

static Suite *netup_suite(void)
{
    Suite *s = suite_create("netup");
    TCase *tc = tcase_create("netup");
    tcase_add_test(tc, static_options_configure_and_announce);
    tcase_add_test(tc, refused_static_configuration_releases_everything);
    tcase_add_test(tc, missing_device_is_enodev);
    tcase_add_test(tc, dhcp_lease_configures_then_stop_releases);
    tcase_add_test(tc, resume_hook_announces_configured_address);
    tcase_add_test(tc, no_resume_hook_without_resume);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(netup_suite)
