/*
 * app/dns/zone_build: what the master-file parser (zone_parse.c) hands to the zone's own checks
 * (zone.c) once every record is read. Internal to the zone module.
 */
#ifndef DNSAPP_ZONE_BUILD_H
#define DNSAPP_ZONE_BUILD_H

#include <stddef.h>
#include "zone.h"

struct zone_build {
    const char *file;
    unsigned last_line;            /* where zone-wide errors are reported */
};

/* Sorts z's records, removes duplicates and checks the zone-wide rules (one SOA at the apex,
 * NS at the apex, CNAME alone at its name). Returns 0 or -EINVAL with "file:line: what". */
int zone_finish(struct zone *z, const struct zone_build *b, char *err, size_t err_size);

#endif
