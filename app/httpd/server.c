/*
 * app/httpd/server: the listener and one fiber per connection, the counters, and the overload
 * policy of http/http_slots.h carried out: at most max_conns clients; a new connection beyond
 * that takes the slot of the connection idle longest, else of the request head begun first, and
 * is refused (reset, counted) only when every client is doing real work. A connection that is
 * closing does not count (it is bounded on its own). When memory, not the limit, runs short, the
 * same order gives up a connection to make room. How long each phase may last is bounded by
 * conn.c with http/http_slots.h's deadlines.
 *
 * Stopping: the listener closes, every connection is shut down both ways (a fiber blocked in a
 * read or write wakes and ends), and connections still alive after the grace period are reset
 * (tcp_reset: their fibers wake with -ECONNABORTED and end).
 */
#include "httpd.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "xenolith/mem.h"
#include "xenolith/time.h"

/* 24 KiB and its two guard pages are one 8-page block: a page allocator fragmented by many
 * small objects (TCP buffers of closed connections) still has those, where a 10-page run needs a
 * free 16-page block. */
#define CONN_STACK (24 * 1024)
#define LISTEN_BACKLOG 512
#define ACCEPT_RETRY_NS (100 * NS_PER_MS)
#define RECLAIM_WAIT_NS (20 * NS_PER_MS)

/* One copy of the defaults rather than a store of each (the 64-bit ones are long instructions). */
static const struct httpd_config defaults = {
    .port = 80,
    .max_conns = 1024,
    .timeouts = {
        .idle_ns = 15 * NS_PER_S,
        .head_ns = 10 * NS_PER_S,
        .body_ns = 10 * NS_PER_S,
        .body_min_rate = 1024,
        .send_ns = 30 * NS_PER_S,
        .send_min_rate = 1024,
        .linger_ns = 2 * NS_PER_S,
    },
    .cache_bytes = 8u << 20,
    .cache_file_max = 2u << 20,
    .access_log = true,
};

void httpd_default_config(struct httpd_config *cfg)
{
    *cfg = defaults;
}

/* Takes a connection away to make room: it leaves the table now, and its fiber, woken by the
 * read side's shutdown (a blocked tcp_read returns at once), ends it. */
static void evict(struct server *srv, struct conn_slot *victim)
{
    switch (victim->hs.phase) {
    case HTTP_PHASE_WAITING:
        srv->stats.evicted_idle++;
        break;
    case HTTP_PHASE_HEAD:
        srv->stats.evicted_heads++;
        break;
    default:
        srv->stats.evicted_closing++;
        break;
    }
    http_slots_evict(&srv->slots, &victim->hs);
    victim->evicted = true;
    if (victim->tcp)
        tcp_shutdown(victim->tcp, TCP_SHUT_RD);
}

void server_enter(struct server *srv, struct conn_slot *slot, enum http_phase phase)
{
    struct http_slot *cut = http_slots_enter(&srv->slots, &slot->hs, phase,
                                             platform_monotonic_ns());
    if (cut)
        evict(srv, container_of(cut, struct conn_slot, hs));
}

static int conn_main(void *arg)
{
    struct conn *c = arg;
    conn_serve(c);
    return 0;
}

void server_release(struct conn_slot *slot)
{
    struct server *srv = slot->srv;
    http_slots_remove(&srv->slots, &slot->hs);
    list_remove(&slot->link);
    srv->active--;
    waitq_wake_all(&srv->drained);
    kfree(slot);
}

static int start_conn(struct server *srv, struct tcp_conn *tcp)
{
    struct conn_slot *slot = kmalloc(sizeof(*slot));
    if (!slot)
        return -ENOMEM;
    slot->srv = srv;
    slot->tcp = tcp;
    slot->evicted = false;
    struct conn *c = conn_create(srv, slot);
    if (!c) {
        kfree(slot);
        return -ENOMEM;
    }
    char name[FIBER_NAME_MAX];
    ksnprintf(name, sizeof(name), "http.%llu", (unsigned long long)srv->stats.connections);
    struct fiber *f = fiber_spawn(name, conn_main, c, CONN_STACK);
    if (!f) {
        conn_destroy(c);
        kfree(slot);
        return -ENOMEM;
    }
    fiber_detach(f);
    list_add_tail(&srv->conns, &slot->link);
    http_slots_add(&srv->slots, &slot->hs, platform_monotonic_ns());
    srv->active++;
    return 0;
}

/* Memory ran short for a new connection: give up the connection the overload order names and
 * let its fiber end (which frees its memory). False when every connection does real work. */
static bool reclaim_memory(struct server *srv)
{
    struct http_slot *victim;
    if (http_slots_reclaim(&srv->slots, &victim) == HTTP_ADMIT_REFUSE)
        return false;
    struct conn_slot *slot = container_of(victim, struct conn_slot, hs);
    evict(srv, slot);
    waitq_wait(&srv->drained, platform_monotonic_ns() + RECLAIM_WAIT_NS);
    return true;
}

static void refuse(struct tcp_conn *tcp, uint64_t *why)
{
    (*why)++;
    tcp_abort(tcp);
}

static int acceptor_main(void *arg)
{
    struct server *srv = arg;
    struct httpd_stats *st = &srv->stats;
    for (;;) {
        struct tcp_conn *tcp;
        int rc = tcp_accept(srv->listener, &tcp, DEADLINE_NONE);
        if (rc == -EBADF || rc == -ENETDOWN)
            break;
        if (rc < 0) {
            fiber_sleep_ns(ACCEPT_RETRY_NS);
            continue;
        }
        st->connections++;
        if (srv->stopping) {
            st->refused++;
            refuse(tcp, &st->refused_stopping);
            continue;
        }
        struct http_slot *victim;
        enum http_admit admit = http_slots_admit(&srv->slots, &victim);
        if (admit == HTTP_ADMIT_REFUSE) {
            st->refused++;
            refuse(tcp, &st->refused_busy);
            continue;
        }
        if (victim)
            evict(srv, container_of(victim, struct conn_slot, hs));
        rc = start_conn(srv, tcp);
        if (rc == -ENOMEM && reclaim_memory(srv))
            rc = start_conn(srv, tcp);
        if (rc < 0) {
            st->refused++;
            refuse(tcp, &st->refused_no_memory);
        }
    }
    return 0;
}

int server_start(struct server *srv, struct netstack *stack, struct site *site,
                 const struct httpd_config *cfg)
{
    memset(srv, 0, sizeof(*srv));
    srv->cfg = *cfg;
    srv->stack = stack;
    srv->site = site;
    list_init(&srv->conns);
    /* Closing connections are bounded like the clients: beyond that, the oldest is cut. */
    http_slots_init(&srv->slots, cfg->max_conns, cfg->max_conns);
    waitq_init(&srv->drained);
    int rc = tcp_listen(stack, cfg->port, LISTEN_BACKLOG, &srv->listener);
    if (rc < 0) {
        log_error("httpd", "cannot listen on TCP port %u: %s", (unsigned)cfg->port,
                  error_name(rc));
        srv->listener = NULL;
        return rc;
    }
    srv->acceptor = fiber_spawn("http.accept", acceptor_main, srv, 0);
    if (!srv->acceptor) {
        tcp_listener_close(srv->listener);
        srv->listener = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* The counters' names in the order of their fields (struct httpd_stats, then struct
 * file_cache_stats), each printed before its value; a name starting with '\n' starts a new
 * "httpd." line. */
static const char stat_names[] =
    "connections\0refused\0requests\0\nstatus 2xx\0" "3xx\0" "4xx\0" "5xx\0"
    "\nheader_timeouts\0idle_closes\0send_failures\0bytes_sent\0"
    "\nrefused_busy\0refused_no_memory\0refused_stopping\0"
    "\nevicted_idle\0evicted_heads\0evicted_closing\0"
    "\nbody_timeouts\0send_timeouts\0linger_timeouts\0keepalive_requests\0"
    "\ncache_hits\0cache_misses\0cache_evictions\0cache_reclaimed\0cache_files\0cache_bytes";

static void print_stats(const struct server *srv)
{
    uint64_t v[sizeof(struct httpd_stats) / 8 + sizeof(struct file_cache_stats) / 8];
    memcpy(v, &srv->stats, sizeof(srv->stats));
    memcpy(v + sizeof(srv->stats) / 8, &srv->site->cache.stats, sizeof(srv->site->cache.stats));
    const char *name = stat_names;
    for (size_t i = 0; i < sizeof(v) / 8; i++, name += strlen(name) + 1) {
        bool line = i == 0 || *name == '\n';
        kprintf("%s%s %llu", line ? &"\nhttpd."[i == 0] : " ", name + (*name == '\n'),
                (unsigned long long)v[i]);
    }
    kprintf("\n");
}

static bool wait_drained(struct server *srv, uint64_t deadline)
{
    while (srv->active > 0)
        if (waitq_wait(&srv->drained, deadline) == -ETIMEDOUT)
            return srv->active == 0;
    return true;
}

void server_stop(struct server *srv, uint64_t grace_ns)
{
    srv->stopping = true;
    if (srv->listener) {
        tcp_listener_close(srv->listener);
        srv->listener = NULL;
    }
    /* Every connection shut both ways (a fiber blocked in a read or write wakes and ends); after
     * the grace period, those left are reset. */
    for (int pass = 0; pass < 2; pass++) {
        list_for_each(n, &srv->conns) {
            struct conn_slot *slot = container_of(n, struct conn_slot, link);
            if (slot->tcp && pass == 0)
                tcp_shutdown(slot->tcp, TCP_SHUT_RDWR);
            else if (slot->tcp)
                tcp_reset(slot->tcp);
        }
        if (wait_drained(srv, pass ? DEADLINE_NONE : platform_monotonic_ns() + grace_ns))
            break;
        log_warn("httpd", "%u connections still open after the grace period: resetting them",
                 srv->active);
    }
    if (srv->acceptor) {
        fiber_join(srv->acceptor);
        srv->acceptor = NULL;
    }
    print_stats(srv);
}
