/*
 * app/httpd/server: the listener and one fiber per connection, at most max_conns at once: a
 * connection beyond that is reset at once and counted, so no number of clients can exhaust
 * memory; how long each may hold its slot is bounded by conn.c's timeouts.
 *
 * Stopping: the listener closes, every connection is shut down both ways (a fiber blocked in a
 * read or write wakes and ends), and connections still alive after the grace period are reset by
 * shutting the stack's TCP down.
 */
#include "app/httpd/httpd.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/platform.h"

#define CONN_STACK (32 * 1024)
#define LISTEN_BACKLOG 512
#define ACCEPT_RETRY_NS (100ull * 1000000ull)

struct conn_slot {
    struct list_node link;
    struct server *srv;
    struct tcp_conn *tcp;            /* NULL once the connection's fiber let it go */
};

void httpd_default_config(struct httpd_config *cfg)
{
    cfg->port = 80;
    cfg->max_conns = 1024;
    cfg->idle_ns = 15 * NS_PER_S;
    cfg->header_ns = 10 * NS_PER_S;
    cfg->send_ns = 30 * NS_PER_S;
    cfg->access_log = true;
}

static int conn_main(void *arg)
{
    struct conn_slot *slot = arg;
    struct server *srv = slot->srv;
    conn_serve(srv, slot->tcp);
    slot->tcp = NULL;
    list_remove(&slot->link);
    srv->active--;
    waitq_wake_all(&srv->drained);
    kfree(slot);
    return 0;
}

static int start_conn(struct server *srv, struct tcp_conn *tcp)
{
    struct conn_slot *slot = kmalloc(sizeof(*slot));
    if (!slot)
        return -ENOMEM;
    slot->srv = srv;
    slot->tcp = tcp;
    char name[FIBER_NAME_MAX];
    ksnprintf(name, sizeof(name), "http.%llu", (unsigned long long)srv->stats.connections);
    struct fiber *f = fiber_spawn(name, conn_main, slot, CONN_STACK);
    if (!f) {
        kfree(slot);
        return -ENOMEM;
    }
    fiber_detach(f);
    list_add_tail(&srv->conns, &slot->link);
    srv->active++;
    return 0;
}

static int acceptor_main(void *arg)
{
    struct server *srv = arg;
    for (;;) {
        struct tcp_conn *tcp;
        int rc = tcp_accept(srv->listener, &tcp, DEADLINE_NONE);
        if (rc == -EBADF || rc == -ENETDOWN)
            break;
        if (rc < 0) {
            fiber_sleep_ns(ACCEPT_RETRY_NS);
            continue;
        }
        if (srv->stopping || srv->active >= srv->cfg.max_conns) {
            srv->stats.refused++;
            tcp_abort(tcp);
            continue;
        }
        srv->stats.connections++;
        if (start_conn(srv, tcp) < 0) {
            srv->stats.refused++;
            tcp_abort(tcp);
        }
    }
    return 0;
}

int server_start(struct server *srv, struct netstack *stack, const struct site *site,
                 const struct httpd_config *cfg)
{
    memset(srv, 0, sizeof(*srv));
    srv->cfg = *cfg;
    srv->stack = stack;
    srv->site = site;
    list_init(&srv->conns);
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
    for (struct list_node *n = srv->conns.next; n != &srv->conns; n = n->next) {
        struct conn_slot *slot = container_of(n, struct conn_slot, link);
        if (slot->tcp)
            tcp_shutdown(slot->tcp, TCP_SHUT_RDWR);
    }
    if (!wait_drained(srv, platform_monotonic_ns() + grace_ns)) {
        log_warn("httpd", "%u connections still open after the grace period: resetting them",
                 srv->active);
        tcp_stack_shutdown(srv->stack);
        wait_drained(srv, DEADLINE_NONE);
    }
    if (srv->acceptor) {
        fiber_join(srv->acceptor);
        srv->acceptor = NULL;
    }
    const struct httpd_stats *st = &srv->stats;
    kprintf("httpd.connections %llu refused %llu requests %llu\n",
            (unsigned long long)st->connections, (unsigned long long)st->refused,
            (unsigned long long)st->requests);
    kprintf("httpd.status 2xx %llu 3xx %llu 4xx %llu 5xx %llu\n",
            (unsigned long long)st->status_2xx, (unsigned long long)st->status_3xx,
            (unsigned long long)st->status_4xx, (unsigned long long)st->status_5xx);
    kprintf("httpd.header_timeouts %llu idle_closes %llu send_failures %llu bytes_sent %llu\n",
            (unsigned long long)st->header_timeouts, (unsigned long long)st->idle_closes,
            (unsigned long long)st->send_failures, (unsigned long long)st->bytes_sent);
}
