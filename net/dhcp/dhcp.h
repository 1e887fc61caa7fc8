/*
 * net/dhcp/dhcp: the DHCP client bound to the layers of a stack. It wires the state machine of
 * net/dhcp/dhcp_client.h to the layers below it: a UDP socket on port 68 of the UDP layer
 * (udp_layer_bind, receive handler, loop context), a sched/ timer, ARP probes for the conflict
 * check (arp_probe, RFC 5227) and the interface configuration (ipv4_set_config /
 * ipv4_clear_config), both reached through the UDP layer's IPv4 layer.
 *
 * Usage: dhcp_start(&stack->udp, &params, &d); the application is told of each lease (and of its
 * loss) through params.on_change; dhcp_stop(d, true) at shutdown gives the lease back.
 */
#ifndef XENOLITH_NET_DHCP_H
#define XENOLITH_NET_DHCP_H

#include <stdbool.h>
#include <stdint.h>
#include "net/dhcp/dhcp_client.h"

struct udp_layer;
struct dhcp;

struct dhcp_params {
    /* Random wait before the first DISCOVER (RFC 2131 4.4.1); 0: none. */
    uint64_t start_delay_max_ns;
    /* Check the offered address with an ARP probe before using it (default true in
     * dhcp_default_params). */
    bool probe;
    /* Overrides the MTU the server gives (the mtu= option); 0: take the server's. */
    uint32_t mtu_override;
    /* Called after the interface took a new configuration (lease != NULL) or lost it (NULL).
     * Loop context: must not block. */
    void (*on_change)(struct dhcp *d, const struct dhcp_lease *lease, void *arg);
    void *arg;
};
void dhcp_default_params(struct dhcp_params *out);

/* Counters of the binding itself (the state machine keeps its own). */
#define DHCP_BINDING_STATS(X) \
    X(tx_errors) X(rx_wrong_port) X(rx_oversize) X(config_refused) X(probe_errors)

struct dhcp_binding_stats {
#define DHCP_BINDING_STAT_FIELD(name) uint64_t name;
    DHCP_BINDING_STATS(DHCP_BINDING_STAT_FIELD)
#undef DHCP_BINDING_STAT_FIELD
};

/* Binds port 68 and starts acquisition. Returns 0 and *out, -ENOMEM, udp_layer_bind's error
 * (-EADDRINUSE if port 68 is taken), or -EOPNOTSUPP in an image built without DHCP
 * (net/wire/features.h), after logging that the boot needs ip= options. */
int dhcp_start(struct udp_layer *udp, const struct dhcp_params *params, struct dhcp **out);
/* Stops the client (with `release`, a held lease is given back by DHCPRELEASE), removes the
 * address it configured, closes the socket and frees d. */
void dhcp_stop(struct dhcp *d, bool release);

enum dhcp_state dhcp_get_state(const struct dhcp *d);
/* The lease in force, or NULL. */
const struct dhcp_lease *dhcp_get_lease(const struct dhcp *d);
const struct dhcp_client *dhcp_get_client(const struct dhcp *d);
const struct dhcp_binding_stats *dhcp_get_binding_stats(const struct dhcp *d);
/* Prints every counter ("dhcp.leases 1"). */
void dhcp_print_stats(const struct dhcp *d);

#endif
