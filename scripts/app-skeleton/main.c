/*
 * @NAME@: a line service over TCP (service.h says what it answers), written by
 * scripts/new-app.sh as a starting point. docs/APPLICATIONS.md in the Xenolith repository is the
 * guide to what it uses.
 *
 * How it runs: app_main reads its words (port=N after "--"), brings the network up from the boot
 * options (ip=, gw=, tap= hosted...), listens, and leaves the connections to an acceptor fiber,
 * which starts one fiber per connection (at most MAX_CONNS; more are refused). Then it waits for
 * the machine to be asked to stop (Ctrl-C or SIGTERM hosted, xl shutdown on Xen), closes the
 * listener, half-closes every connection so its fiber ends, waits for them (resetting those still
 * there after the grace period), and takes the network down.
 */
#include "service.h"
#include "lib/errno.h"
#include "lib/list.h"
#include "lib/log.h"
#include "lib/string.h"
#include "xenolith/app.h"
#include "xenolith/fiber.h"
#include "xenolith/mem.h"
#include "xenolith/net.h"
#include "xenolith/tcp.h"
#include "xenolith/time.h"
#include "xenolith/waitq.h"

#define TAG "@NAME@"
#define MAX_CONNS 64
#define CONN_STACK (32 * 1024)
#define IDLE_NS (60 * NS_PER_S)          /* a silent client is dropped after this */
#define WRITE_NS (10 * NS_PER_S)         /* a client that does not read its answers, likewise */
#define STOP_GRACE_NS (2 * NS_PER_S)

struct server {
    struct tcp_listener *listener;
    struct list_node conns;          /* struct conn, live */
    unsigned nconns;
    struct waitq idle;               /* woken when the last connection ends */
    uint64_t served;
};

struct conn {
    struct list_node link;
    struct server *srv;
    struct tcp_conn *tcp;
    size_t used;
    char in[SERVICE_LINE_MAX + 2];
    char out[SERVICE_ANSWER_MAX];
};

/* Answers every complete line in c->in; returns 0, or why the connection must end. */
static long answer_lines(struct conn *c)
{
    for (;;) {
        size_t consumed;
        long line = service_next_line(c->in, c->used, &consumed);
        if (line == -EAGAIN)
            return 0;
        if (line < 0)
            return line;
        size_t n = service_answer(c->in, (size_t)line, c->out, sizeof(c->out));
        long w = tcp_write(c->tcp, c->out, n, platform_monotonic_ns() + WRITE_NS);
        if (w != (long)n)
            return w < 0 ? w : -EAGAIN;
        memmove(c->in, c->in + consumed, c->used - consumed);
        c->used -= consumed;
    }
}

static int conn_fiber(void *arg)
{
    struct conn *c = arg;
    long rc;
    for (;;) {
        rc = tcp_read(c->tcp, c->in + c->used, sizeof(c->in) - c->used,
                      platform_monotonic_ns() + IDLE_NS);
        if (rc <= 0)
            break;
        c->used += (size_t)rc;
        rc = answer_lines(c);
        if (rc < 0)
            break;
    }
    if (rc == 0 || rc == -EBADF)
        tcp_close(c->tcp);           /* the peer or we ended it: a clean close */
    else {
        log_info(TAG, "connection ended: %s", error_name((int)rc));
        tcp_abort(c->tcp);
    }
    struct server *srv = c->srv;
    list_remove(&c->link);
    kfree(c);
    if (--srv->nconns == 0)
        waitq_wake_all(&srv->idle);
    return 0;
}

static int acceptor_fiber(void *arg)
{
    struct server *srv = arg;
    for (;;) {
        struct tcp_conn *tcp;
        int rc = tcp_accept(srv->listener, &tcp, DEADLINE_NONE);
        if (rc == -EBADF)
            return 0;                /* the listener was closed: we are stopping */
        if (rc < 0) {
            log_warn(TAG, "accept: %s", error_name(rc));
            return 1;
        }
        struct conn *c = srv->nconns < MAX_CONNS ? kcalloc(1, sizeof(*c)) : NULL;
        struct fiber *f = NULL;
        if (c) {
            c->srv = srv;
            c->tcp = tcp;
            f = fiber_spawn("conn", conn_fiber, c, CONN_STACK);
        }
        if (!f) {
            log_warn(TAG, "refusing a connection: %u open or out of memory", srv->nconns);
            kfree(c);
            tcp_abort(tcp);
            continue;
        }
        list_add_tail(&srv->conns, &c->link);
        srv->nconns++;
        srv->served++;
        fiber_detach(f);
    }
}

/* Ends every connection: shutting both directions wakes its fiber (tcp_read returns -EBADF) and
 * sends the peer our FIN; connections whose fibers are still there after the grace period (stuck
 * writing to a client that does not read) are reset. Fibers only run when this one blocks, so
 * the list does not change under the loops. */
static void stop_connections(struct server *srv)
{
    list_for_each(pos, &srv->conns)
        tcp_shutdown(list_entry(pos, struct conn, link)->tcp, TCP_SHUT_RDWR);
    uint64_t deadline = platform_monotonic_ns() + STOP_GRACE_NS;
    while (srv->nconns > 0 && waitq_wait(&srv->idle, deadline) != -ETIMEDOUT)
        ;
    list_for_each(pos, &srv->conns)
        tcp_reset(list_entry(pos, struct conn, link)->tcp);
    while (srv->nconns > 0)
        waitq_wait(&srv->idle, DEADLINE_NONE);
}

int app_main(int argc, char **argv)
{
    struct service_config cfg;
    char err[128];
    if (service_parse_args(argc, argv, &cfg, err, sizeof(err)) != 0) {
        log_error(TAG, "%s", err);
        return 1;
    }

    struct netup net;
    int rc = netup_start(&net, TAG, NULL, NULL);
    if (rc != 0)
        return 1;                    /* netup_start said why */

    struct server srv = { .nconns = 0 };
    list_init(&srv.conns);
    waitq_init(&srv.idle);
    rc = tcp_listen(netup_stack(&net), cfg.port, 64, &srv.listener);
    if (rc != 0) {
        log_error(TAG, "cannot listen on port %u: %s", cfg.port, error_name(rc));
        netup_stop(&net);
        return 1;
    }
    struct fiber *acceptor = fiber_spawn("acceptor", acceptor_fiber, &srv, 0);
    if (!acceptor) {
        log_error(TAG, "out of memory");
        tcp_listener_close(srv.listener);
        netup_stop(&net);
        return 1;
    }
    log_info(TAG, "listening on TCP port %u", cfg.port);

    lifecycle_wait_shutdown(DEADLINE_NONE);

    log_info(TAG, "stopping");
    tcp_listener_close(srv.listener);
    int acceptor_rc = fiber_join(acceptor);
    stop_connections(&srv);
    log_info(TAG, "served %llu connections", (unsigned long long)srv.served);
    netup_stop(&net);
    return acceptor_rc;
}
