/*
 * app/echo: the echo appliance. Brings up the network stack on the platform's device,
 * configures it statically (ip=A.B.C.D/N gw= dns= mtu=) or by DHCP (ip=dhcp, the default),
 * answers RFC 862 echo on port 7 and swallows RFC 863 discard on port 9, over UDP (one fiber
 * per port) and TCP (a fiber per connection, tcp_service.c), logs its configuration whenever it
 * changes, and runs until a shutdown is requested (SIGINT/SIGTERM hosted, the toolstack on Xen).
 * At shutdown it closes the TCP connections, gives a DHCP lease back, prints the stack's counters
 * and returns 0.
 *
 * Application arguments (after "--"):
 *   connect=A.B.C.D:PORT   also open one TCP connection there (retrying until accepted) and echo
 *                          on it: the active open, for the integration tests
 *   tcp-max=N              connections served at once per TCP service (default 1024, 1..65536)
 *   resolve=NAME[/TYPE]    once configured, look NAME up with the stub resolver (xenolith/dns.h)
 *                          and log the answer (resolve.c; up to 8 of them, in order)
 */
#include "echo.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "xenolith/app.h"
#include "xenolith/mem.h"
#include "xenolith/net.h"
#include "xenolith/time.h"
#include "xenolith/udp.h"

#define ECHO_PORT 7
#define DISCARD_PORT 9
#define TCP_MAX_SESSIONS_DEFAULT 1024
#define TCP_STOP_GRACE_NS (3 * NS_PER_S)

struct app_args {
    uint32_t connect_addr;           /* network order; 0: no active open */
    uint16_t connect_port;
    unsigned tcp_max;
    struct resolver_job resolve;
};

static int parse_app_args(int argc, char **argv, struct app_args *out)
{
    out->connect_addr = 0;
    out->connect_port = 0;
    out->tcp_max = TCP_MAX_SESSIONS_DEFAULT;
    out->resolve.count = 0;
    out->resolve.resolver = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "connect=", 8) == 0) {
            const char *v = a + 8;
            const char *colon = strchr(v, ':');
            uint8_t addr[4];
            uint32_t port;
            if (!colon || parse_ipv4(v, (size_t)(colon - v), addr) < 0 ||
                parse_u32(colon + 1, strlen(colon + 1), 10, &port) < 0 || port == 0 ||
                port > 65535) {
                log_error("echo", "malformed argument '%s' (connect=A.B.C.D:PORT)", a);
                return -EINVAL;
            }
            memcpy(&out->connect_addr, addr, 4);
            out->connect_port = (uint16_t)port;
        } else if (strncmp(a, "tcp-max=", 8) == 0) {
            uint32_t n;
            if (parse_u32(a + 8, strlen(a + 8), 10, &n) < 0 || n == 0 || n > 65536) {
                log_error("echo", "malformed argument '%s' (tcp-max=1..65536)", a);
                return -EINVAL;
            }
            out->tcp_max = n;
        } else if (strncmp(a, "resolve=", 8) == 0) {
            if (out->resolve.count == RESOLVE_MAX ||
                resolve_parse(a + 8, &out->resolve.requests[out->resolve.count]) < 0) {
                log_error("echo", "malformed argument '%s' (resolve=NAME[/TYPE], at most %d)", a,
                          RESOLVE_MAX);
                return -EINVAL;
            }
            out->resolve.count++;
        } else {
            log_error("echo", "unknown argument '%s'", a);
            return -EINVAL;
        }
    }
    return 0;
}

/* Stops both TCP services with one grace period: the connections of sessions still running
 * after it are reset (their blocked calls return -ECONNABORTED). */
static void stop_tcp_services(struct tcp_service *svcs[], unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        tcp_service_stop_begin(svcs[i]);
    uint64_t deadline = platform_monotonic_ns() + TCP_STOP_GRACE_NS;
    bool drained = true;
    for (unsigned i = 0; i < n; i++)
        drained = tcp_service_wait(svcs[i], deadline) && drained;
    if (!drained) {
        log_warn("echo", "TCP sessions still open after the grace period: resetting them");
        for (unsigned i = 0; i < n; i++)
            tcp_service_reset(svcs[i]);
        for (unsigned i = 0; i < n; i++)
            tcp_service_wait(svcs[i], DEADLINE_NONE);
    }
    for (unsigned i = 0; i < n; i++)
        tcp_service_stop_finish(svcs[i]);
}

struct service {
    const char *name;
    uint16_t port;
    bool reply;                  /* echo answers; discard only counts */
    struct udp_socket *sock;
    struct fiber *fiber;
    uint64_t datagrams, bytes, reply_errors;
};

static int serve(void *arg)
{
    struct service *svc = arg;
    uint8_t *buf = kmalloc(UDP_MAX_PAYLOAD);
    if (!buf) {
        log_error("echo", "%s: out of memory", svc->name);
        return -ENOMEM;
    }
    for (;;) {
        uint32_t src;
        uint16_t port;
        int n = udp_recvfrom(svc->sock, buf, UDP_MAX_PAYLOAD, &src, &port, DEADLINE_NONE);
        if (n == -EBADF)
            break;                           /* closed at shutdown */
        if (n < 0)
            continue;
        svc->datagrams++;
        svc->bytes += (uint64_t)n;
        if (svc->reply) {
            int rc = udp_sendto(svc->sock, src, port, buf, (size_t)n);
            if (rc < 0) {
                svc->reply_errors++;
                log_debug("echo", "reply to %pI4:%u failed: %s", &src, (unsigned)port,
                          error_name(rc));
            }
        }
    }
    kfree(buf);
    return 0;
}

static int start_service(struct netstack *s, struct service *svc)
{
    int rc = udp_bind(s, svc->port, &svc->sock);
    if (rc < 0) {
        log_error("echo", "cannot bind UDP port %u: %s", (unsigned)svc->port, error_name(rc));
        return rc;
    }
    svc->fiber = fiber_spawn(svc->name, serve, svc, 0);
    if (!svc->fiber) {
        udp_close(svc->sock);
        svc->sock = NULL;
        return -ENOMEM;
    }
    return 0;
}

static void stop_service(struct service *svc)
{
    if (!svc->sock)
        return;
    udp_close(svc->sock);                    /* wakes the fiber with -EBADF */
    fiber_join(svc->fiber);
    kprintf("echo.%s datagrams %llu bytes %llu reply_errors %llu\n", svc->name,
            (unsigned long long)svc->datagrams, (unsigned long long)svc->bytes,
            (unsigned long long)svc->reply_errors);
}

int app_main(int argc, char **argv)
{
    struct app_args args;
    if (parse_app_args(argc, argv, &args) < 0)
        return 1;
    struct netup net;
    if (netup_start(&net, "echo", NULL, NULL) < 0)
        return 1;
    struct netstack *stack = netup_stack(&net);

    int status = 1;
    struct service echo = { .name = "echo", .port = ECHO_PORT, .reply = true };
    struct service discard = { .name = "discard", .port = DISCARD_PORT, .reply = false };
    struct tcp_service tcp_echo, tcp_discard;
    tcp_service_init(&tcp_echo, stack, "tcp_echo", ECHO_PORT, true, args.tcp_max);
    tcp_service_init(&tcp_discard, stack, "tcp_discard", DISCARD_PORT, false, args.tcp_max);
    struct tcp_service *tcp_services[] = { &tcp_echo, &tcp_discard };

    if (start_service(stack, &echo) < 0 || start_service(stack, &discard) < 0 ||
        tcp_service_start(&tcp_echo) < 0 || tcp_service_start(&tcp_discard) < 0)
        goto out;
    if (args.connect_addr && tcp_service_connect(&tcp_echo, args.connect_addr,
                                                 args.connect_port) < 0) {
        log_error("echo", "out of memory for the connection to %pI4:%u", &args.connect_addr,
                  (unsigned)args.connect_port);
        goto out;
    }
    if (resolve_start(&args.resolve, stack) < 0) {
        log_error("echo", "out of memory for the resolver");
        goto out;
    }
    log_info("echo", "serving UDP and TCP echo on port %u and discard on port %u (at most %u "
             "TCP connections each)", ECHO_PORT, DISCARD_PORT, args.tcp_max);

    lifecycle_wait_shutdown(DEADLINE_NONE);
    log_info("echo", "shutting down");
    status = 0;
out:
    resolve_stop(&args.resolve);
    stop_tcp_services(tcp_services, 2);
    stop_service(&echo);
    stop_service(&discard);
    netup_stop(&net);
    return status;
}
