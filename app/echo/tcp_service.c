/*
 * app/echo/tcp_service: the appliance's TCP services, RFC 862 echo and RFC 863 discard over TCP.
 * A service is a listener, an acceptor fiber and one fiber per connection (a "session"), at most
 * max_sessions at once: a connection beyond that is reset at once and counted, so no number of
 * clients can exhaust memory. A session also ends when its peer stays silent for SESSION_IDLE_NS
 * (a stalled or vanished peer must not hold a slot for ever).
 *
 * The echo service can also open connections itself (tcp_service_connect, the `connect=` option):
 * the session retries until the peer accepts, then echoes exactly like an accepted one. The
 * integration tests use it to exercise the active open against Linux.
 *
 * Stopping is in two steps so the caller can give every service the same grace period: stop_begin
 * closes the listener and half-closes every session (the peer sees a FIN; readers wake), then
 * wait() until the sessions have ended; the connections of sessions still running after the
 * grace are reset (tcp_service_reset, main.c decides when), and stop_finish joins the acceptor and
 * prints the counts.
 */
#include "echo.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "xenolith/mem.h"
#include "xenolith/time.h"

#define SESSION_BUF 8192
#define SESSION_STACK (32 * 1024)
#define SESSION_IDLE_NS (120 * NS_PER_S)
#define CONNECT_ATTEMPT_NS (3 * NS_PER_S)
#define CONNECT_RETRY_NS (500 * NS_PER_MS)
#define LISTEN_BACKLOG 256

struct tcp_session {
    struct list_node link;
    struct tcp_service *svc;
    struct tcp_conn *conn;           /* NULL before the open and once closed */
    struct fiber *fiber;
    uint32_t dst;                    /* active open: where to connect; 0 for accepted sessions */
    uint16_t dst_port;
    uint64_t bytes;
    uint8_t buf[SESSION_BUF];
};

static uint64_t now_plus(uint64_t ns)
{
    return platform_monotonic_ns() + ns;
}

/* Writes all of buf or fails: a partial write means the deadline passed or the connection failed,
 * and the next call (with the deadline already past, so it cannot block) says which. */
static long write_all(struct tcp_conn *c, const uint8_t *buf, size_t len, uint64_t deadline)
{
    size_t done = 0;
    while (done < len) {
        long w = tcp_write(c, buf + done, len - done, deadline);
        if (w < 0)
            return w;
        done += (size_t)w;
    }
    return (long)done;
}

/* Why a session ended, for the log: tcp_read's -EAGAIN is our idle deadline, -ETIMEDOUT a
 * connection that died of retransmission timeouts. */
static const char *end_reason(long rc)
{
    if (rc == 0)
        return "closed by the peer";
    if (rc == -EAGAIN)
        return "idle timeout";
    return error_name((int)rc);
}

/* Reads until the peer's FIN (returns 0) or an error (negative), echoing when the service replies. */
static long pump(struct tcp_session *ss)
{
    for (;;) {
        uint64_t deadline = now_plus(SESSION_IDLE_NS);
        long n = tcp_read(ss->conn, ss->buf, sizeof(ss->buf), deadline);
        if (n <= 0)
            return n;
        ss->bytes += (uint64_t)n;
        ss->svc->bytes += (uint64_t)n;
        if (ss->svc->reply) {
            long w = write_all(ss->conn, ss->buf, (size_t)n, deadline);
            if (w < 0)
                return w;
        }
    }
}

/* Active open: retries refusals and timeouts until connected or the service stops. */
static int open_connection(struct tcp_session *ss)
{
    struct tcp_service *svc = ss->svc;
    int last = 0;
    while (!svc->stopping) {
        if (net_ipv4_addr(svc->stack) == 0) {
            fiber_sleep_ns(CONNECT_RETRY_NS);      /* DHCP has not configured us yet */
            continue;
        }
        int rc = tcp_connect(svc->stack, ss->dst, ss->dst_port, now_plus(CONNECT_ATTEMPT_NS),
                             &ss->conn);
        if (rc == 0)
            return 0;
        if (rc != last)
            log_info("echo", "%s: connecting to %pI4:%u: %s, retrying", svc->name, &ss->dst,
                     (unsigned)ss->dst_port, error_name(rc));
        last = rc;
        if (rc == -ENETDOWN)
            return rc;
        fiber_sleep_ns(CONNECT_RETRY_NS);
    }
    return -ESHUTDOWN;
}

static void session_end(struct tcp_session *ss)
{
    struct tcp_service *svc = ss->svc;
    list_remove(&ss->link);
    svc->active--;
    waitq_wake_all(&svc->drained);
    kfree(ss);
}

static int session_main(void *arg)
{
    struct tcp_session *ss = arg;
    struct tcp_service *svc = ss->svc;
    if (ss->dst && open_connection(ss) < 0) {
        session_end(ss);
        return 0;
    }
    if (ss->dst && svc->stopping)
        tcp_shutdown(ss->conn, TCP_SHUT_RDWR);   /* opened after the stop began: end at once */
    struct tcp_conn_info info;
    tcp_get_info(ss->conn, &info);
    if (ss->dst)
        log_info("echo", "%s: connected to %pI4:%u from port %u", svc->name, &info.remote_addr,
                 (unsigned)info.remote_port, (unsigned)info.local_port);
    long rc = pump(ss);
    struct tcp_conn *c = ss->conn;
    ss->conn = NULL;                         /* the stopper must not touch it from here on */
    if (rc == 0 || svc->stopping) {
        tcp_close(c);                        /* FIN after whatever is still queued */
        svc->completed++;
    } else {
        tcp_abort(c);                        /* idle too long, reset, or failed */
        svc->errors++;
    }
    /* Discard has no other output: each connection's count is how the tests check the bytes. */
    if (!svc->reply || ss->dst)
        log_info("echo", "%s: %pI4:%u: %llu bytes, %s", svc->name, &info.remote_addr,
                 (unsigned)info.remote_port, (unsigned long long)ss->bytes,
                 end_reason(rc));
    else
        log_debug("echo", "%s: %pI4:%u: %llu bytes, %s", svc->name, &info.remote_addr,
                  (unsigned)info.remote_port, (unsigned long long)ss->bytes,
                  end_reason(rc));
    session_end(ss);
    return 0;
}

static int session_start(struct tcp_service *svc, struct tcp_conn *conn, uint32_t dst,
                         uint16_t dst_port)
{
    struct tcp_session *ss = kmalloc(sizeof(*ss));
    if (!ss)
        return -ENOMEM;
    memset(ss, 0, sizeof(*ss));
    ss->svc = svc;
    ss->conn = conn;
    ss->dst = dst;
    ss->dst_port = dst_port;
    char name[FIBER_NAME_MAX];
    ksnprintf(name, sizeof(name), "%s.%llu", svc->name, (unsigned long long)svc->accepted);
    ss->fiber = fiber_spawn(name, session_main, ss, SESSION_STACK);
    if (!ss->fiber) {
        kfree(ss);
        return -ENOMEM;
    }
    fiber_detach(ss->fiber);
    list_add_tail(&svc->sessions, &ss->link);
    svc->active++;
    return 0;
}

static int acceptor_main(void *arg)
{
    struct tcp_service *svc = arg;
    for (;;) {
        struct tcp_conn *conn;
        int rc = tcp_accept(svc->listener, &conn, DEADLINE_NONE);
        if (rc == -EBADF || rc == -ENETDOWN)
            break;                           /* listener closed at shutdown */
        if (rc < 0) {
            fiber_sleep_ns(CONNECT_RETRY_NS);    /* e.g. out of memory: let it recover */
            continue;
        }
        if (svc->stopping || svc->active >= svc->max_sessions) {
            svc->refused++;
            tcp_abort(conn);
            continue;
        }
        svc->accepted++;
        if (session_start(svc, conn, 0, 0) < 0) {
            svc->refused++;
            tcp_abort(conn);
        }
    }
    return 0;
}

void tcp_service_init(struct tcp_service *svc, struct netstack *s, const char *name, uint16_t port,
                      bool reply, unsigned max_sessions)
{
    memset(svc, 0, sizeof(*svc));
    svc->name = name;
    svc->port = port;
    svc->reply = reply;
    svc->max_sessions = max_sessions;
    svc->stack = s;
    list_init(&svc->sessions);
    waitq_init(&svc->drained);
}

int tcp_service_start(struct tcp_service *svc)
{
    int rc = tcp_listen(svc->stack, svc->port, LISTEN_BACKLOG, &svc->listener);
    if (rc < 0) {
        log_error("echo", "cannot listen on TCP port %u: %s", (unsigned)svc->port, error_name(rc));
        svc->listener = NULL;
        return rc;
    }
    svc->acceptor = fiber_spawn(svc->name, acceptor_main, svc, 0);
    if (!svc->acceptor) {
        tcp_listener_close(svc->listener);
        svc->listener = NULL;
        return -ENOMEM;
    }
    return 0;
}

int tcp_service_connect(struct tcp_service *svc, uint32_t dst, uint16_t port)
{
    if (dst == 0 || port == 0)
        return -EINVAL;
    svc->accepted++;
    return session_start(svc, NULL, dst, port);
}

void tcp_service_stop_begin(struct tcp_service *svc)
{
    svc->stopping = true;
    if (svc->listener) {
        tcp_listener_close(svc->listener);   /* the acceptor gets -EBADF */
        svc->listener = NULL;
    }
    struct list_node *n;
    for (n = svc->sessions.next; n != &svc->sessions; n = n->next) {
        struct tcp_session *ss = container_of(n, struct tcp_session, link);
        if (ss->conn)
            tcp_shutdown(ss->conn, TCP_SHUT_RDWR);
    }
}

void tcp_service_reset(struct tcp_service *svc)
{
    struct list_node *n;
    for (n = svc->sessions.next; n != &svc->sessions; n = n->next) {
        struct tcp_session *ss = container_of(n, struct tcp_session, link);
        if (ss->conn)
            tcp_reset(ss->conn);
    }
}

bool tcp_service_wait(struct tcp_service *svc, uint64_t deadline_ns)
{
    while (svc->active > 0)
        if (waitq_wait(&svc->drained, deadline_ns) == -ETIMEDOUT)
            return svc->active == 0;
    return true;
}

void tcp_service_stop_finish(struct tcp_service *svc)
{
    if (svc->acceptor) {
        fiber_join(svc->acceptor);
        svc->acceptor = NULL;
    }
    kprintf("echo.%s connections %llu refused %llu completed %llu errors %llu bytes %llu\n",
            svc->name, (unsigned long long)svc->accepted, (unsigned long long)svc->refused,
            (unsigned long long)svc->completed, (unsigned long long)svc->errors,
            (unsigned long long)svc->bytes);
}
