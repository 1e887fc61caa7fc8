/*
 * app/httpd: the web server appliance. Brings up the network stack on the platform's device,
 * configured statically (ip=A.B.C.D/N gw= dns= mtu=) or by DHCP (ip=dhcp, the default), mounts
 * the site from the first block device (a ustar archive, scripts/mkdisk.sh; without a disk a
 * built-in page), serves it over HTTP/1.1 (server.c, conn.c, net/http.h) and runs until a
 * shutdown is requested (SIGINT/SIGTERM hosted, the toolstack on Xen). At shutdown it ends the
 * connections, gives a DHCP lease back, prints its counters and the stack's, and returns 0.
 *
 * Application arguments (after "--"), docs/HTTPD.md:
 *   port=N             TCP port (1..65535, default 80)
 *   max-conns=N        connections served at once (1..65536, default 1024)
 *   idle-timeout=S     seconds a kept-alive connection may wait for its next request (1..3600, 15)
 *   header-timeout=S   seconds a request head may take to arrive (1..3600, 10)
 *   send-timeout=S     seconds the client may take to accept each block of a response (1..3600, 30)
 *   access-log=on|off  one console line per request (default on)
 */
#include "app/httpd/httpd.h"
#include "kernel/kernel.h"
#include "kernel/options.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "net/netup.h"

#define STOP_GRACE_NS (3ull * NS_PER_S)

struct number_arg {
    const char *key;
    uint32_t min, max;
};

/* Parses "key=N" into *out within [min, max]; 1 when key matched, -EINVAL when malformed. */
static int number_option(const char *a, const struct number_arg *spec, uint32_t *out)
{
    size_t k = strlen(spec->key);
    if (strncmp(a, spec->key, k) != 0 || a[k] != '=')
        return 0;
    uint32_t v;
    if (parse_u32(a + k + 1, strlen(a + k + 1), 10, &v) < 0 || v < spec->min || v > spec->max) {
        log_error("httpd", "malformed argument '%s' (%s=%u..%u)", a, spec->key,
                  (unsigned)spec->min, (unsigned)spec->max);
        return -EINVAL;
    }
    *out = v;
    return 1;
}

static int parse_app_args(int argc, char **argv, struct httpd_config *cfg)
{
    httpd_default_config(cfg);
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        uint32_t v;
        int rc;
        if ((rc = number_option(a, &(struct number_arg){ "port", 1, 65535 }, &v)) != 0) {
            cfg->port = (uint16_t)v;
        } else if ((rc = number_option(a, &(struct number_arg){ "max-conns", 1, 65536 }, &v))) {
            cfg->max_conns = v;
        } else if ((rc = number_option(a, &(struct number_arg){ "idle-timeout", 1, 3600 }, &v))) {
            cfg->idle_ns = v * NS_PER_S;
        } else if ((rc = number_option(a, &(struct number_arg){ "header-timeout", 1, 3600 },
                                       &v))) {
            cfg->header_ns = v * NS_PER_S;
        } else if ((rc = number_option(a, &(struct number_arg){ "send-timeout", 1, 3600 }, &v))) {
            cfg->send_ns = v * NS_PER_S;
        } else if (strcmp(a, "access-log=on") == 0 || strcmp(a, "access-log=off") == 0) {
            cfg->access_log = a[12] == 'n';
        } else {
            log_error("httpd", "unknown argument '%s' (port= max-conns= idle-timeout= "
                      "header-timeout= send-timeout= access-log=on|off)", a);
            return -EINVAL;
        }
        if (rc < 0)
            return rc;
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
    const struct kernel_options *opts = kernel_options();
    struct httpd_config cfg;
    if (parse_app_args(argc, argv, &cfg) < 0)
        return 1;
    uint64_t wall = platform_wallclock_ns();
    struct blkdev *disk;
    if (httpd_open_blkdev(&disk) < 0)
        return 1;
    struct site site;
    if (site_open(&site, disk, wall ? (int64_t)(wall / NS_PER_S) : 0) < 0) {
        blkdev_destroy(disk);
        return 1;
    }
    int status = 1;
    struct netup net;
    struct server srv;
    bool serving = false;
    bool net_up = netup_start(&net, "httpd", opts, announce, &cfg) == 0;
    if (!net_up)
        goto out;
    struct netstack *stack = net.stack;
    if (server_start(&srv, stack, &site, &cfg) < 0)
        goto out;
    serving = true;
    log_info("httpd", "listening on port %u (at most %u connections; timeouts idle %llu s, "
             "head %llu s, send %llu s)", (unsigned)cfg.port, cfg.max_conns,
             (unsigned long long)(cfg.idle_ns / NS_PER_S),
             (unsigned long long)(cfg.header_ns / NS_PER_S),
             (unsigned long long)(cfg.send_ns / NS_PER_S));

    lifecycle_wait_shutdown(DEADLINE_NONE);
    log_info("httpd", "shutting down");
    status = 0;
out:
    if (serving)
        server_stop(&srv, STOP_GRACE_NS);
    if (net_up)
        netup_stop(&net);
    site_close(&site);
    if (disk)
        blkdev_destroy(disk);
    return status;
}
