/*
 * app/dns/load: the zones from the tar disk. The files are those named by zone=PATH options, or
 * else every file under zones/ whose name ends in ".zone". A file's initial $ORIGIN is its name
 * without the directory and the ".zone" suffix (zones/example.com.zone: example.com.). Every file
 * must parse and every zone apex must be distinct, or nothing is served: the appliance refuses
 * to start, naming the file and line.
 */
#include "dnsd.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"
#include "xenolith/mem.h"
#include "xenolith/time.h"

#define TAG "dns"
#define ZONES_DIR "zones/"
#define ZONE_SUFFIX ".zone"
#define READ_NS (30 * NS_PER_S)

/* The length of path without its ".zone" suffix, or 0 when it has none. */
static size_t zone_stem(const char *path)
{
    size_t n = strlen(path), sl = sizeof(ZONE_SUFFIX) - 1;
    return n > sl && strcmp(path + n - sl, ZONE_SUFFIX) == 0 ? n - sl : 0;
}

static bool is_zone_file(const struct tar_entry *e)
{
    size_t dl = sizeof(ZONES_DIR) - 1;
    return e->type == TAR_FILE && zone_stem(e->path) > dl && strncmp(e->path, ZONES_DIR, dl) == 0;
}

/* The initial origin from the file's name; the root when the name is not a domain name. */
static void origin_from_path(const char *path, struct dns_name *origin)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = zone_stem(base);
    if (n == 0)
        n = strlen(base);
    if (n == 0 || dns_name_from_text(origin, base, n) != 0)
        dns_name_root(origin);
}

static int load_one(struct tar_archive *tar, const struct tar_entry *e, struct zone_set *set)
{
    if (e->size > ZONE_MAX_FILE_BYTES) {
        log_error(TAG, "%s: larger than %u bytes", e->path, ZONE_MAX_FILE_BYTES);
        return -E2BIG;
    }
    char *text = kmalloc((size_t)e->size + 1);
    if (!text) {
        log_error(TAG, "%s: out of memory", e->path);
        return -ENOMEM;
    }
    int64_t got = tar_read(tar, e, 0, text, (size_t)e->size, platform_monotonic_ns() + READ_NS);
    if (got != (int64_t)e->size) {
        log_error(TAG, "%s: read: %s", e->path, got < 0 ? error_name((int)got) : "short");
        kfree(text);
        return got < 0 ? (int)got : -EIO;
    }
    struct dns_name origin;
    origin_from_path(e->path, &origin);
    struct zone *z;
    char err[ZONE_ERROR_MAX];
    int rc = zone_parse(e->path, text, (size_t)e->size, &origin, &z, err, sizeof(err));
    kfree(text);
    if (rc != 0) {
        log_error(TAG, "zone error: %s", err);
        return rc;
    }
    char apex[DNS_TEXT_MAX];
    dns_name_to_text(&z->apex, apex, sizeof(apex));
    rc = zone_set_add(set, z);
    if (rc != 0) {
        log_error(TAG, "%s: zone %s: %s", e->path, apex,
                  rc == -EEXIST ? "another file already defines this zone" : error_name(rc));
        zone_free(z);
        return rc;
    }
    log_info(TAG, "zone %s: %zu records from %s", apex, z->count, e->path);
    return 0;
}

int dnsd_load_zones(struct tar_archive *tar, const struct dnsd_config *cfg, struct zone_set *set)
{
    int rc = 0;
    if (cfg->nzone_paths > 0) {
        for (unsigned i = 0; i < cfg->nzone_paths && rc == 0; i++) {
            const struct tar_entry *e = tar_lookup(tar, cfg->zone_paths[i]);
            if (!e || e->type != TAR_FILE) {
                log_error(TAG, "zone=%s: no such file on the disk", cfg->zone_paths[i]);
                rc = -ENOENT;
            } else {
                rc = load_one(tar, e, set);
            }
        }
    } else {
        for (size_t i = 0; i < tar_entry_count(tar) && rc == 0; i++) {
            const struct tar_entry *e = tar_entry_at(tar, i);
            if (is_zone_file(e))
                rc = load_one(tar, e, set);
        }
        if (rc == 0 && set->count == 0) {
            log_error(TAG, "no zone files: the disk has no " ZONES_DIR "*" ZONE_SUFFIX
                      " and no zone= option names one");
            rc = -ENOENT;
        }
    }
    if (rc != 0)
        zone_set_free(set);
    return rc;
}
