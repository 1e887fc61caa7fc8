/*
 * app/echo: the echo appliance (RFC 862 echo on port 7, RFC 863 discard on port 9, over UDP and
 * TCP). Internal interface between its files.
 */
#ifndef XENOLITH_APP_ECHO_ECHO_H
#define XENOLITH_APP_ECHO_ECHO_H

#include <stdbool.h>
#include <stdint.h>
#include "lib/list.h"
#include "xenolith/fiber.h"
#include "xenolith/net.h"
#include "xenolith/tcp.h"
#include "xenolith/waitq.h"

struct dns_resolver;

/* A TCP service (tcp_service.c): a listener and one fiber per connection, at most max_sessions. */
struct tcp_service {
    const char *name;
    uint16_t port;
    bool reply;                      /* echo writes back what it reads; discard only counts */
    unsigned max_sessions;
    struct netstack *stack;
    struct tcp_listener *listener;
    struct fiber *acceptor;
    struct list_node sessions;
    unsigned active;
    bool stopping;
    struct waitq drained;            /* woken whenever a session ends */
    uint64_t accepted, refused, completed, errors, bytes;
};

void tcp_service_init(struct tcp_service *svc, struct netstack *s, const char *name, uint16_t port,
                      bool reply, unsigned max_sessions);
/* Listens and starts the acceptor. Negative errno (logged) on failure. */
int tcp_service_start(struct tcp_service *svc);
/* Opens a connection to dst:port (network-order address), retrying until the peer accepts, and
 * serves it like an accepted one. */
int tcp_service_connect(struct tcp_service *svc, uint32_t dst, uint16_t port);
/* Stops accepting and half-closes every session. */
void tcp_service_stop_begin(struct tcp_service *svc);
/* Waits until every session has ended or deadline; true when none is left. */
bool tcp_service_wait(struct tcp_service *svc, uint64_t deadline_ns);
/* Resets the connection of every session still running (after the grace period). */
void tcp_service_reset(struct tcp_service *svc);
/* Joins the acceptor and prints the service's counters. */
void tcp_service_stop_finish(struct tcp_service *svc);

/* The resolve=NAME[/TYPE] arguments (resolve.c): names looked up once the stack has an address. */
#define RESOLVE_MAX 8
struct resolve_request {
    char name[256];
    uint16_t type;
};
struct resolver_job {
    unsigned count;
    struct resolve_request requests[RESOLVE_MAX];
    struct netstack *stack;
    struct dns_resolver *resolver;
    struct fiber *fiber;
};
/* Parses "NAME" or "NAME/TYPE" (A, AAAA, NS, CNAME, SOA, PTR, MX, TXT, SRV; default A). -EINVAL. */
int resolve_parse(const char *value, struct resolve_request *out);
/* Starts the fiber that resolves and logs each request (nothing when there are none). */
int resolve_start(struct resolver_job *job, struct netstack *s);
/* Waits for it and prints the resolver's counters. */
void resolve_stop(struct resolver_job *job);

#endif
