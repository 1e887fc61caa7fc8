/*
 * app/echo/resolve: the resolve=NAME[/TYPE] arguments. Once the stack has an address, a fiber asks
 * the stub resolver (xenolith/dns.h) for each name, in order, and logs one line per name:
 *     echo: resolve www.example A: 10.0.0.1 10.0.0.2 (ttl 60)
 *     echo: resolve nothing.example A: NXDOMAIN: the name does not exist
 * so the integration tests see the resolver work through a real server (dnsmasq hosted, dom0's on
 * Xen) with servers from dns= or DHCP.
 */
#include "echo.h"
#include "lib/ctype.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "xenolith/app.h"
#include "xenolith/dns.h"
#include "xenolith/mem.h"
#include "xenolith/time.h"
#include "xenolith/waitq.h"

#define RESOLVE_WAIT_ADDRESS_NS (60 * NS_PER_S) /* DHCP may take a while */
#define RESOLVE_DEADLINE_NS (10 * NS_PER_S)
#define RESOLVE_ADDRESS_CHECK_NS (100 * NS_PER_MS)

static const struct {
    const char *name;
    uint16_t type;
} types[] = {
    {"A", DNS_TYPE_A},     {"AAAA", DNS_TYPE_AAAA}, {"NS", DNS_TYPE_NS},   {"CNAME", DNS_TYPE_CNAME},
    {"SOA", DNS_TYPE_SOA}, {"PTR", DNS_TYPE_PTR},   {"MX", DNS_TYPE_MX},   {"TXT", DNS_TYPE_TXT},
    {"SRV", DNS_TYPE_SRV},
};

static const char *type_name(uint16_t type)
{
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (types[i].type == type)
            return types[i].name;
    return "?";
}

static bool same_nocase(const char *a, size_t len, const char *b)
{
    if (strlen(b) != len)
        return false;
    for (size_t i = 0; i < len; i++)
        if (toupper((unsigned char)a[i]) != b[i])
            return false;
    return true;
}

int resolve_parse(const char *value, struct resolve_request *out)
{
    const char *slash = strchr(value, '/');
    size_t name_len = slash ? (size_t)(slash - value) : strlen(value);
    struct dns_name check;
    if (name_len == 0 || name_len >= sizeof(out->name) || dns_name_from_text(&check, value, name_len) < 0)
        return -EINVAL;
    memcpy(out->name, value, name_len);
    out->name[name_len] = 0;
    out->type = DNS_TYPE_A;
    if (!slash)
        return 0;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (same_nocase(slash + 1, strlen(slash + 1), types[i].name)) {
            out->type = types[i].type;
            return 0;
        }
    }
    return -EINVAL;
}

/* One record's data, as dig prints it (short form). */
static int format_rdata(const struct dns_rr *rr, char *buf, size_t cap)
{
    char name[DNS_TEXT_MAX];
    switch (rr->type) {
    case DNS_TYPE_A:
        return ksnprintf(buf, cap, "%pI4", rr->rd.a);
    case DNS_TYPE_AAAA: {
        int n = 0;
        for (int i = 0; i < 16; i += 2)
            n += ksnprintf(buf + n, cap - (size_t)n, "%s%x", i ? ":" : "",
                           (unsigned)(rr->rd.aaaa[i] << 8 | rr->rd.aaaa[i + 1]));
        return n;
    }
    case DNS_TYPE_MX:
        dns_name_to_text(&rr->rd.mx.exchange, name, sizeof(name));
        return ksnprintf(buf, cap, "%u %s", (unsigned)rr->rd.mx.preference, name);
    case DNS_TYPE_SRV:
        dns_name_to_text(&rr->rd.srv.target, name, sizeof(name));
        return ksnprintf(buf, cap, "%u %u %u %s", (unsigned)rr->rd.srv.priority,
                         (unsigned)rr->rd.srv.weight, (unsigned)rr->rd.srv.port, name);
    case DNS_TYPE_SOA:
        dns_name_to_text(&rr->rd.soa.mname, name, sizeof(name));
        return ksnprintf(buf, cap, "%s %u", name, (unsigned)rr->rd.soa.serial);
    case DNS_TYPE_TXT: {
        /* the character-strings, quoted, printable bytes only */
        size_t n = 0, pos = 0;
        while (pos < rr->rd.raw.len && n + 4 < cap) {
            uint8_t len = rr->rd.raw.data[pos++];
            buf[n++] = pos > 1 ? ' ' : '"';
            if (pos > 1)
                buf[n++] = '"';
            for (uint8_t i = 0; i < len && pos < rr->rd.raw.len && n + 3 < cap; i++, pos++)
                buf[n++] = isprint(rr->rd.raw.data[pos]) ? (char)rr->rd.raw.data[pos] : '?';
            buf[n++] = '"';
        }
        buf[n] = 0;
        return (int)n;
    }
    default:
        dns_name_to_text(&rr->rd.target, name, sizeof(name));
        return ksnprintf(buf, cap, "%s", name);
    }
}

static void resolve_one(struct dns_resolver *r, const struct resolve_request *req,
                        struct dns_result *res, char *line, size_t cap)
{
    int n = dns_resolve(r, req->name, req->type, platform_monotonic_ns() + RESOLVE_DEADLINE_NS, res);
    if (n < 0) {
        log_info("echo", "resolve %s %s: %s", req->name, type_name(req->type), dns_strerror(n));
        return;
    }
    size_t used = 0;
    for (unsigned i = 0; i < res->count && i < DNS_RESULT_MAX && used + 2 < cap; i++) {
        if (i)
            line[used++] = ' ';
        int w = format_rdata(&res->rr[i], line + used, cap - used);
        used += w > 0 ? (size_t)w : 0;
        if (used >= cap)
            used = cap - 1;
    }
    line[used] = 0;
    char canonical[DNS_TEXT_MAX];
    dns_name_to_text(&res->name, canonical, sizeof(canonical));
    log_info("echo", "resolve %s %s: %s (%u records, ttl %u, canonical %s, cnames %u)", req->name,
             type_name(req->type), line, res->count, (unsigned)res->ttl, canonical, res->cnames);
}

/* The shutdown request hook of the wait for an address: it ends at once. */
static void stop_waiting(void *arg)
{
    waitq_wake_all(arg);
}

/* Waits until the stack has an address, RESOLVE_WAIT_ADDRESS_NS passed or a shutdown request.
 * The stack does not say when DHCP gives it one, so the address is looked at every
 * RESOLVE_ADDRESS_CHECK_NS; a shutdown request wakes the wait through its hook. */
static void wait_for_address(struct netstack *s)
{
    struct waitq wake = WAITQ_INIT;
    struct shutdown_request_hook stop = {.run = stop_waiting, .arg = &wake};
    lifecycle_on_shutdown_request(&stop);
    uint64_t give_up = platform_monotonic_ns() + RESOLVE_WAIT_ADDRESS_NS;
    while (net_ipv4_addr(s) == 0 && !lifecycle_shutdown_requested() &&
           platform_monotonic_ns() < give_up)
        waitq_wait(&wake, platform_monotonic_ns() + RESOLVE_ADDRESS_CHECK_NS);
    lifecycle_off_shutdown_request(&stop);
}

static int resolve_fiber(void *arg)
{
    struct resolver_job *job = arg;
    wait_for_address(job->stack);
    struct dns_result *res = kmalloc(sizeof(*res));
    char *line = kmalloc(1024);
    if (!res || !line) {
        log_error("echo", "resolve: out of memory");
    } else {
        for (unsigned i = 0; i < job->count && !lifecycle_shutdown_requested(); i++)
            resolve_one(job->resolver, &job->requests[i], res, line, 1024);
        log_info("echo", "resolve: done");
    }
    kfree(res);
    kfree(line);
    return 0;
}

int resolve_start(struct resolver_job *job, struct netstack *s)
{
    if (job->count == 0)
        return 0;
    job->stack = s;
    job->resolver = dns_resolver_create(s);
    if (!job->resolver)
        return -ENOMEM;
    job->fiber = fiber_spawn("resolve", resolve_fiber, job, 0);
    if (!job->fiber) {
        dns_resolver_destroy(job->resolver);
        job->resolver = NULL;
        return -ENOMEM;
    }
    return 0;
}

void resolve_stop(struct resolver_job *job)
{
    if (!job->resolver)
        return;
    fiber_join(job->fiber);
    dns_resolver_print_stats(job->resolver);
    dns_resolver_destroy(job->resolver);
    job->resolver = NULL;
}
