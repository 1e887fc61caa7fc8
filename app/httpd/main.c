/*
 * app/httpd: the web server appliance. Brings up the network stack on the platform's device,
 * configured statically (ip=A.B.C.D/N gw= dns= mtu=) or by DHCP (ip=dhcp, the default), mounts
 * the site from the first block device (a ustar archive, scripts/mkdisk.sh; without a disk a
 * built-in page), serves it over HTTP/1.1 (server.c, conn.c, http/http.h) and runs until a
 * shutdown is requested (SIGINT/SIGTERM hosted, the toolstack on Xen). At shutdown it ends the
 * connections, gives a DHCP lease back, prints its counters and the stack's, and returns 0.
 *
 * Application arguments (after "--"), docs/HTTPD.md "Options" (range, default):
 *   port=N             TCP port (1..65535, 80)
 *   max-conns=N        clients served at once; closing connections do not count (1..65536, 1024)
 *   idle-timeout=S     seconds a kept-alive connection may wait for its next request (1..3600, 15)
 *   header-timeout=S   seconds a whole request head may take; a new connection's first head
 *                      counts from the accept (1..3600, 10)
 *   body-timeout=S     grace in seconds for a request's content (1..3600, 10)
 *   body-min-rate=B    ... plus one second per B bytes received (1..1073741824, 1024)
 *   send-timeout=S     grace in seconds for an answer (1..3600, 30)
 *   send-min-rate=B    ... plus one second per B bytes the client took (1..1073741824, 1024)
 *   linger-timeout=S   seconds a closing connection drains the client's late bytes (0..60, 2)
 *   cache=B            bytes of files kept in memory, least recently used evicted (0..2^30, 8 MiB)
 *   cache-file-max=B   larger files are read from the disk for every response (1..2^30, 2 MiB)
 *   access-log=on|off  one console line per request (on)
 */
#include "httpd.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "xenolith/app.h"
#include "xenolith/mem.h"

#define STOP_GRACE_NS (3ull * NS_PER_S)

/* The numeric options' keys, packed in the order of number_options ("a\0b\0"): no pointer per
 * key. */
static const char number_keys[] =
    "port\0max-conns\0idle-timeout\0header-timeout\0body-timeout\0body-min-rate\0"
    "send-timeout\0send-min-rate\0linger-timeout\0cache\0cache-file-max";

/* A numeric option: "key=N" within [min, max] (min 0 or 1), stored into a 16-, 32- or 64-bit
 * field of struct httpd_config, as nanoseconds when `seconds`. 8 bytes an entry. */
struct number_option {
    uint32_t max;
    uint16_t offset;                 /* into struct httpd_config */
    uint8_t width;                   /* 2, 4 or 8 bytes */
    uint8_t min : 1, seconds : 1;
};

#define OPT(min, max, seconds, field)                                                        \
    { max, offsetof(struct httpd_config, field), sizeof(((struct httpd_config *)0)->field),  \
      min, seconds }
static const struct number_option number_options[] = {
    OPT(1, 65535, 0, port),
    OPT(1, 65536, 0, max_conns),
    OPT(1, 3600, 1, timeouts.idle_ns),
    OPT(1, 3600, 1, timeouts.head_ns),
    OPT(1, 3600, 1, timeouts.body_ns),
    OPT(1, 1u << 30, 0, timeouts.body_min_rate),
    OPT(1, 3600, 1, timeouts.send_ns),
    OPT(1, 1u << 30, 0, timeouts.send_min_rate),
    OPT(0, 60, 1, timeouts.linger_ns),
    OPT(0, 1u << 30, 0, cache_bytes),
    OPT(1, 1u << 30, 0, cache_file_max),
};
#undef OPT
#define NUMBER_OPTIONS (sizeof(number_options) / sizeof(number_options[0]))

/* Option i's field of cfg, as the user writes it (seconds, not nanoseconds). */
static uint64_t option_value(const struct httpd_config *cfg, size_t i)
{
    const struct number_option *o = &number_options[i];
    const void *field = (const char *)cfg + o->offset;
    uint64_t v = o->width == sizeof(uint16_t)   ? *(const uint16_t *)field
                 : o->width == sizeof(uint32_t) ? *(const uint32_t *)field
                                                : *(const uint64_t *)field;
    return o->seconds ? v / NS_PER_S : v;
}

/* Parses "key=N" into its field; 1 when a key matched, 0 when none did, -EINVAL when
 * malformed or out of range. */
static int parse_number_option(const char *a, struct httpd_config *cfg)
{
    const char *key = number_keys;
    for (size_t i = 0; i < NUMBER_OPTIONS; i++, key += strlen(key) + 1) {
        const struct number_option *o = &number_options[i];
        size_t k = strlen(key);
        if (strncmp(a, key, k) != 0 || a[k] != '=')
            continue;
        uint32_t v;
        if (parse_u32(a + k + 1, strlen(a + k + 1), 10, &v) < 0 || v < o->min || v > o->max) {
            log_error("httpd", "malformed argument '%s' (%s=%u..%u)", a, key,
                      (unsigned)o->min, (unsigned)o->max);
            return -EINVAL;
        }
        void *field = (char *)cfg + o->offset;
        uint64_t value = o->seconds ? v * NS_PER_S : v;
        if (o->width == sizeof(uint16_t))
            *(uint16_t *)field = (uint16_t)value;
        else if (o->width == sizeof(uint32_t))
            *(uint32_t *)field = (uint32_t)value;
        else
            *(uint64_t *)field = value;
        return 1;
    }
    return 0;
}

static int parse_app_args(int argc, char **argv, struct httpd_config *cfg)
{
    httpd_default_config(cfg);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        int rc = parse_number_option(a, cfg);
        if (rc < 0)
            return rc;
        if (rc > 0)
            continue;
        if (strcmp(a, "access-log=on") == 0 || strcmp(a, "access-log=off") == 0) {
            cfg->access_log = a[12] == 'n';
        } else {
            char keys[256];          /* the options known, from the table */
            size_t o = 0;
            const char *k = number_keys;
            for (size_t j = 0; j < NUMBER_OPTIONS; j++, k += strlen(k) + 1)
                o += (size_t)ksnprintf(keys + o, sizeof(keys) - o, "%s= ", k);
            log_error("httpd", "unknown argument '%s' (%saccess-log=on|off)", a, keys);
            return -EINVAL;
        }
    }
    return 0;
}

static void announce(struct netup *n, uint32_t addr, void *arg)
{
    const struct httpd_config *cfg = arg;
    if (addr)
        log_info("httpd", "serving http://%pI4:%u/", &addr, (unsigned)cfg->port);
}

int app_main(int argc, char **argv)
{
    struct httpd_config cfg;
    if (parse_app_args(argc, argv, &cfg) < 0)
        return 1;
    uint64_t wall = platform_wallclock_ns();
    struct blkdev *disk;
    if (httpd_open_blkdev(&disk) < 0)
        return 1;
    struct site site;
    if (site_open(&site, disk, wall ? (int64_t)(wall / NS_PER_S) : 0, cfg.cache_bytes,
                  cfg.cache_file_max) < 0) {
        blk_close(disk);
        return 1;
    }
    int status = 1;
    struct netup net;
    struct server srv;
    bool serving = false;
    bool net_up = netup_start(&net, "httpd", announce, &cfg) == 0;
    if (!net_up)
        goto out;
    struct netstack *stack = netup_stack(&net);
    if (server_start(&srv, stack, &site, &cfg) < 0)
        goto out;
    serving = true;
    /* Every setting but the port as it would be written, from the options' table. */
    char settings[320];
    size_t o = 0;
    const char *key = number_keys + sizeof("port");
    for (size_t i = 1; i < NUMBER_OPTIONS; i++, key += strlen(key) + 1)
        o += (size_t)ksnprintf(settings + o, sizeof(settings) - o, " %s=%llu", key,
                               (unsigned long long)option_value(&cfg, i));
    log_info("httpd", "listening on port %u (%s access-log=%s)", (unsigned)cfg.port, settings + 1,
             cfg.access_log ? "on" : "off");

    lifecycle_wait_shutdown(DEADLINE_NONE);
    log_info("httpd", "shutting down");
    status = 0;
out:
    if (serving)
        server_stop(&srv, STOP_GRACE_NS);
    if (net_up)
        netup_stop(&net);
    site_close(&site);
    blk_close(disk);
    return status;
}
