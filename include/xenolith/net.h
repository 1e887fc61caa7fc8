/*
 * xenolith/net.h: an application's network, brought up from the boot options.
 *
 * netup_start opens the platform's first network device (the tap= device hosted, the first vif
 * on Xen), puts a network stack on it and configures IPv4 the way the command line says: static
 * (ip=A.B.C.D/N gw=A.B.C.D dns=A.B.C.D mtu=N) or by DHCP (ip=dhcp, the default). Each step and
 * every configuration change is logged under the application's name, e.g.
 *     echo: configured 10.0.0.2/24 gateway 10.0.0.1 dns 10.0.0.1 lease 3600 s from 10.0.0.1
 * and the application's callback hears each address change (the moment to announce a URL).
 * Sockets are then opened on the stack: xenolith/tcp.h, xenolith/udp.h.
 *
 * netup_stop undoes it in order: a DHCP lease is given back (DHCPRELEASE) and the stack's counters
 * are printed before the device goes. Close every socket first.
 *
 * IPv4 addresses are uint32_t in network byte order everywhere in the API (print one with "%pI4"
 * and a pointer to it; lib/parse.h parses "A.B.C.D").
 */
#ifndef XENOLITH_PUBLIC_NET_H
#define XENOLITH_PUBLIC_NET_H

#include <stdbool.h>
#include <stdint.h>

/* Opaque: one instance of the network stack, and the parts netup holds for it. */
struct netstack;
struct netdev;
struct pbuf_pool;
struct dhcp;

struct netup;
/* Told after each configuration change, in loop or fiber context (must not block): the address
 * in network order, or 0 when it was lost (a DHCP lease expired). */
typedef void (*netup_config_fn)(struct netup *n, uint32_t addr, void *arg);

/* An application's network. Embedded by value (usually on app_main's stack); the fields are
 * private: use netup_stack. */
struct netup {
    const char *who;                     /* log tag: the application's name */
    struct pbuf_pool *rx_pool;
    struct netdev *dev;
    struct netstack *stack;
    struct dhcp *dhcp;
    netup_config_fn on_config;
    void *arg;
};

/* Brings the network up as described above, logging under `who` (kept: a string that lives as
 * long as n). on_config may be NULL. Returns 0, or a negative errno after logging why: -ENODEV
 * (the platform has no network device, or it cannot be used), -ENOMEM, -EINVAL (the stack refused
 * the static configuration, e.g. a gateway off the subnet); on error nothing is left to stop.
 * With DHCP, 0 means the client runs and the address comes later (on_config, net_ipv4_addr); a
 * server may listen at once. Context: fiber only (the device handshake may block). */
int netup_start(struct netup *n, const char *who, netup_config_fn on_config, void *arg);

/* Gives a DHCP lease back, prints the DHCP client's and the stack's counters, and frees stack,
 * device and buffers. Sockets of the stack must all be closed before. Context: fiber only. */
void netup_stop(struct netup *n);

/* The stack netup_start brought up (NULL before, or after netup_stop). Context: any. */
static inline struct netstack *netup_stack(const struct netup *n)
{
    return n->stack;
}

/* The stack's IPv4 address in network order, 0 while it has none (DHCP not done, lease lost).
 * Context: fiber or loop. */
uint32_t net_ipv4_addr(const struct netstack *s);

/* Prints every counter of the stack (device, Ethernet, ARP, IPv4, ICMP, UDP, TCP; zero ones
 * too), one "layer.name value" line each. netup_stop prints them too. Context: fiber or loop. */
void net_print_stats(const struct netstack *s);

#endif
