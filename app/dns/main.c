/*
 * app/dns: the authoritative DNS server appliance. At start it mounts the tar archive on the
 * first disk, reads and checks every zone (load.c: a zone error names the file and line and the
 * appliance refuses to start), brings the network up from the boot options, and answers queries
 * on UDP and TCP port 53 (server.c, answer.c) until it is asked to stop; then it prints its
 * counters and the stack's and returns 0.
 *
 * Application arguments (after "--"), docs/DNS.md "Server appliance" (range, default):
 *   zone=PATH          a zone file on the disk; repeatable (default: every zones/ *.zone)
 *   port=N             UDP and TCP port (1..65535, 53)
 *   edns-size=N        our EDNS(0) UDP payload size (512..4096, 1232)
 *   rrl=N              responses per second per client /24 and answer (0..1000000, 20; 0: off)
 *   rrl-slip=N         every Nth rate-limited response goes out truncated (0..100, 2; 0: never)
 *   tcp-idle=S         seconds a TCP connection may stay silent (1..3600, 10)
 *   max-conns=N        TCP clients at once (1..1024, 32)
 */
#include <stddef.h>
#include "dnsd.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/string.h"
#include "xenolith/app.h"
#include "xenolith/blk.h"

#define TAG "dns"
#define STOP_GRACE_NS (2 * NS_PER_S)

struct number_option {
    char key[10];
    uint8_t field;                       /* offset in struct dnsd_config of its uint32_t */
    uint32_t min, max;
};

#define OPTION(key, field, min, max) { key, offsetof(struct dnsd_config, field), min, max }
static const struct number_option options[] = {
    OPTION("port", port, 1, 65535),         OPTION("edns-size", udp_max, 512, 4096),
    OPTION("rrl", rrl_rate, 0, 1000000),    OPTION("rrl-slip", rrl_slip, 0, 100),
    OPTION("tcp-idle", tcp_idle_s, 1, 3600), OPTION("max-conns", max_conns, 1, 1024),
};

static int parse_args(int argc, char **argv, struct dnsd_config *cfg)
{
    *cfg = (struct dnsd_config){ .port = DNS_PORT, .udp_max = ANSWER_UDP_MAX_DEFAULT,
                                 .rrl_rate = RRL_DEFAULT_RATE, .rrl_slip = RRL_DEFAULT_SLIP,
                                 .max_conns = 32, .tcp_idle_s = 10 };
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "zone=", 5) == 0 && a[5] != '\0') {
            if (cfg->nzone_paths == DNSD_MAX_ZONE_ARGS) {
                log_error(TAG, "more than %u zone= arguments", DNSD_MAX_ZONE_ARGS);
                return -EINVAL;
            }
            cfg->zone_paths[cfg->nzone_paths++] = a + 5;
            continue;
        }
        size_t k = 0;
        const struct number_option *o = NULL;
        for (size_t j = 0; j < sizeof(options) / sizeof(options[0]) && !o; j++) {
            k = strlen(options[j].key);
            if (strncmp(a, options[j].key, k) == 0 && a[k] == '=')
                o = &options[j];
        }
        if (!o) {
            log_error(TAG, "unknown argument '%s' (zone= port= edns-size= rrl= rrl-slip= "
                      "tcp-idle= max-conns=)", a);
            return -EINVAL;
        }
        uint32_t v;
        if (parse_u32(a + k + 1, strlen(a + k + 1), 10, &v) != 0 || v < o->min || v > o->max) {
            log_error(TAG, "malformed argument '%s' (%s=%u..%u)", a, o->key, (unsigned)o->min,
                      (unsigned)o->max);
            return -EINVAL;
        }
        memcpy((char *)cfg + o->field, &v, sizeof(v));
    }
    return 0;
}

static void announce(struct netup *n, uint32_t addr, void *arg)
{
    const struct dnsd_config *cfg = arg;
    if (addr)
        log_info(TAG, "serving on %pI4 port %u", &addr, (unsigned)cfg->port);
}

int app_main(int argc, char **argv)
{
    static struct dnsd_config cfg;
    static struct dnsd_server srv;       /* large: the rate limiter's table */
    if (parse_args(argc, argv, &cfg) != 0)
        return 1;
    struct blkdev *disk;
    if (blk_open(0, true, &disk) != 0) {
        log_error(TAG, "no zone disk (a tar archive of zones/NAME.zone files)");
        return 1;
    }
    struct tar_archive *tar;
    char err[TAR_ERROR_MAX];
    if (tar_mount(disk, NULL, &tar, err, sizeof(err)) != 0) {
        log_error(TAG, "the zone disk was refused: %s", err);
        blk_close(disk);
        return 1;
    }
    struct zone_set zones = { 0 };
    int rc = dnsd_load_zones(tar, &cfg, &zones);
    tar_unmount(tar);
    blk_close(disk);
    if (rc != 0) {
        log_error(TAG, "not starting: a zone could not be loaded");
        return 1;
    }
    struct netup net;
    if (netup_start(&net, TAG, announce, &cfg) != 0) {
        zone_set_free(&zones);
        return 1;
    }
    if (dnsd_server_start(&srv, netup_stack(&net), &cfg, &zones) != 0) {
        netup_stop(&net);
        zone_set_free(&zones);
        return 1;
    }
    log_info(TAG, "listening on port %u: %zu zones", (unsigned)cfg.port, zones.count);
    lifecycle_wait_shutdown(DEADLINE_NONE);
    log_info(TAG, "shutting down");
    dnsd_server_stop(&srv, STOP_GRACE_NS);
    netup_stop(&net);
    zone_set_free(&zones);
    return 0;
}
