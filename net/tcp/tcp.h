/*
 * net/tcp/tcp: the Transmission Control Protocol (RFC 9293). The application's API (listen,
 * accept, connect, read, write, shutdown, close, abort, reset, options, statistics) is public,
 * xenolith/tcp.h, included here; this header adds what the stack itself calls.
 *
 * What the protocol does (RFC 9293 state machine, RFC 7323 window scaling and timestamps, SACK,
 * RFC 6298 RTO, NewReno/CUBIC, Nagle, delayed ACK, persist, keepalive, TIME_WAIT, RFC 5961, SYN
 * cookies, PMTU) is described in net/tcp/tcp_internal.h and docs/TCP.md.
 *
 * Handle lifetimes and error conventions: xenolith/tcp.h.
 *
 * The layer registers with the IPv4 layer below as protocol 6 (tcp_init), with an error handler
 * that checks the quote of an ICMP error before the path MTU changes (net/tcp/tcp_pmtu.c). The
 * public calls taking the stack handle (struct netstack: tcp_listen, tcp_connect*, tcp_get/
 * set_config, tcp_get_census) and tcp_stack_shutdown are implemented by net/ (net/sockets.c),
 * which owns the handle, on the layer's own entry points (tcp_layer_*).
 */
#ifndef XENOLITH_NET_TCP_H
#define XENOLITH_NET_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net/tcp/tcp_stats.h"
#include "xenolith/tcp.h"

struct ipv4_layer;
struct netstack;
struct tcp_stack;

/* The TCP layer of one stack (embedded in struct netstack): the protocol state lives behind one
 * pointer so the bulk of it is allocated only when TCP is set up. */
struct tcp_layer {
    struct tcp_stack *impl;          /* NULL until tcp_init, and after tcp_fini */
    struct ipv4_layer *ip;
    struct tcp_stats stats;
};

/* tcp_init sets TCP up on ip and registers IP protocol 6 (0, or ipv4_register_protocol's error);
 * out of memory, the stack simply has no TCP and the API returns -ENETDOWN. tcp_fini (what
 * tcp_stack_shutdown does to a stack) resets every connection, wakes every waiter (they return
 * -ENETDOWN) and frees what no handle holds; handles stay valid until their owners close them. */
int tcp_init(struct tcp_layer *tcp, struct ipv4_layer *ip);
void tcp_fini(struct tcp_layer *tcp);
void tcp_stack_shutdown(struct netstack *s);
/* The public calls that take a struct netstack, on the layer itself. */
void tcp_layer_get_config(struct tcp_layer *tcp, struct tcp_config *out);
int tcp_layer_set_config(struct tcp_layer *tcp, const struct tcp_config *cfg);
int tcp_layer_listen(struct tcp_layer *tcp, uint16_t port, unsigned backlog,
                     struct tcp_listener **out);
int tcp_layer_connect(struct tcp_layer *tcp, uint16_t local_port, uint32_t dst, uint16_t port,
                      const struct tcp_buffer_sizes *sizes, uint64_t deadline_ns,
                      struct tcp_conn **out);
void tcp_layer_census(struct tcp_layer *tcp, struct tcp_census *out);

#endif
