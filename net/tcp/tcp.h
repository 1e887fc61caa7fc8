/*
 * net/tcp: the Transmission Control Protocol (RFC 9293). The application's API (listen, accept,
 * connect, read, write, shutdown, close, abort, reset, options, statistics) is public,
 * xenolith/tcp.h, included here; this header adds what the stack itself calls.
 *
 * What the protocol does (RFC 9293 state machine, RFC 7323 window scaling and timestamps, SACK,
 * RFC 6298 RTO, NewReno/CUBIC, Nagle, delayed ACK, persist, keepalive, TIME_WAIT, RFC 5961, SYN
 * cookies, PMTU) is described in net/tcp/tcp_internal.h and docs/TCP.md.
 *
 * Handle lifetimes and error conventions: xenolith/tcp.h.
 */
#ifndef XENOLITH_NET_TCP_H
#define XENOLITH_NET_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net/tcp/tcp_stats.h"
#include "xenolith/tcp.h"

struct netstack;
struct tcp_stack;

/* Per-stack TCP state (embedded in struct netstack): everything lives behind one pointer so the
 * stack header does not depend on TCP's internals. */
struct tcp_state {
    struct tcp_stack *impl;          /* NULL until tcp_init, and after tcp_shutdown */
};

/* Called by netstack_create / netstack_destroy. tcp_init registers IP protocol 6; on failure
 * (out of memory) the stack simply has no TCP and the API returns -ENETDOWN. tcp_stack_shutdown
 * resets every connection, wakes every waiter (they return -ENETDOWN) and frees what no handle
 * holds; handles stay valid until their owners close them. */
void tcp_init(struct netstack *s);
void tcp_stack_shutdown(struct netstack *s);

#endif
