/*
 * net/netup: brings an application's network up from the boot options. The application's calls
 * (netup_start, netup_stop, net_ipv4_addr, net_print_stats) and struct netup are public,
 * xenolith/net.h, included here; this header adds the variant with explicit options that tests
 * and other callers without kernel_options() use.
 */
#ifndef XENOLITH_NET_NETUP_H
#define XENOLITH_NET_NETUP_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/options.h"
#include "net/dhcp/dhcp.h"
#include "net/stack.h"
#include "xenolith/net.h"

/* netup_start with the options given instead of the ones the kernel booted with. */
int netup_start_options(struct netup *n, const char *who, const struct kernel_options *opts,
                        netup_config_fn on_config, void *arg);

#endif
