/*
 * app/dns: the authoritative DNS server appliance's own interfaces between its files:
 *   main.c      options, start-up, shutdown
 *   load.c      the zones from the tar disk (zone files by name), all or nothing
 *   server.c    UDP and TCP port 53: queries in, answers (answer.h) out, rate limiting (rrl.h)
 * docs/DNS.md, "Server appliance", is the user's guide.
 */
#ifndef DNSAPP_DNSD_H
#define DNSAPP_DNSD_H

#include <stdbool.h>
#include <stdint.h>
#include "answer.h"
#include "rrl.h"
#include "zone.h"
#include "lib/list.h"
#include "xenolith/fiber.h"
#include "xenolith/net.h"
#include "xenolith/tar.h"
#include "xenolith/waitq.h"

#define DNSD_MAX_ZONE_ARGS 32

/* The numbers are all uint32_t, so main.c sets them from one table of options. */
struct dnsd_config {
    uint32_t port;                       /* 53 */
    uint32_t udp_max;                    /* our EDNS UDP payload size (512..4096, 1232) */
    uint32_t rrl_rate;                   /* responses per second per key; 0: off */
    uint32_t rrl_slip;
    uint32_t tcp_idle_s;                 /* RFC 7766 6.2.3: a silent connection is closed */
    uint32_t max_conns;                  /* TCP clients at once */
    const char *zone_paths[DNSD_MAX_ZONE_ARGS]; /* zone=PATH, or none: every zones/ *.zone */
    unsigned nzone_paths;
};

/* Reads and parses the zone files from the archive into set. Returns 0, or -EINVAL (or another
 * error) after logging "file:line: what" for the first bad zone; the set is then empty. */
int dnsd_load_zones(struct tar_archive *tar, const struct dnsd_config *cfg, struct zone_set *set);

/* From ignored to badvers: one per enum answer_kind, in its order (dnsd_count indexes them). */
#define DNSD_COUNTERS(X)                                                                        \
    X(udp_queries) X(tcp_queries) X(tcp_connections) X(tcp_refused) X(ignored) X(noerror)      \
    X(nodata) X(nxdomain) X(referral) X(refused) X(formerr) X(notimp) X(badvers) X(truncated)  \
    X(rrl_dropped) X(rrl_slipped) X(send_errors)
struct dnsd_stats {
#define DNSD_FIELD(name) uint64_t name;
    DNSD_COUNTERS(DNSD_FIELD)
#undef DNSD_FIELD
};

struct dnsd_server {
    const struct dnsd_config *cfg;
    const struct zone_set *zones;
    struct udp_socket *udp;
    struct tcp_listener *listener;
    struct fiber *udp_fiber, *acceptor;
    struct list_node conns;              /* struct dnsd_conn, live */
    unsigned nconns;
    struct waitq idle;
    struct rrl rrl;
    struct dnsd_stats stats;
};

/* Binds UDP and TCP port cfg->port on stack and starts serving. Returns 0 or a negative errno
 * (logged). Context: fiber. */
int dnsd_server_start(struct dnsd_server *srv, struct netstack *stack, const struct dnsd_config *cfg,
                      const struct zone_set *zones);
/* Stops serving: closes the sockets, ends the connections (reset after grace_ns), prints the
 * counters. Context: fiber. */
void dnsd_server_stop(struct dnsd_server *srv, uint64_t grace_ns);

/* Counts one answer by its kind. */
void dnsd_count(struct dnsd_stats *st, const struct answer_meta *meta);

#endif
