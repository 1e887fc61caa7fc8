/*
 * app/dns/zone: one authoritative zone in memory, read from a master file (RFC 1035 5), and the
 * lookups the answer logic needs.
 *
 * A zone is its apex (the owner of its one SOA record) and every record of the file, sorted in
 * the canonical order of RFC 4034 6.1 (labels compared from the right, case-insensitively) and
 * by type, without duplicates: the records of one name are contiguous, and so are the names
 * below any name, so "does this name exist" and "does anything exist below it" (an empty
 * non-terminal, RFC 4592 2.2.2) are binary searches.
 *
 * The parser (zone_parse.c) is strict: anything it does not understand is an error naming the
 * file and line, and no zone is made; the appliance then refuses to start rather than serve
 * part of a zone. Supported: $ORIGIN, $TTL (RFC 2308 4), '@', relative names, names continued
 * from the previous line (a line starting with a blank), parentheses across lines, ';' comments,
 * quoted character-strings with \X and \DDD escapes, TTLs in seconds or with units (1h30m), the
 * class IN, and the types A, AAAA, NS, CNAME, SOA, PTR, MX, TXT, SRV. Not supported (an error):
 * $INCLUDE, other classes, other types. Checked: exactly one SOA, at the apex and first; at least
 * one NS at the apex; every name at or below the apex; a CNAME alone at its name (RFC 2181 10.1).
 */
#ifndef DNSAPP_ZONE_H
#define DNSAPP_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xenolith/dns_wire.h"

/* Records in one zone, and bytes of one master file (kept within a modest appliance's memory). */
#define ZONE_MAX_RECORDS 200000
#define ZONE_MAX_FILE_BYTES (16u * 1024 * 1024)
#define ZONE_ERROR_MAX 256

/* One record, compact: its owner name and its rdata live in the zone's byte pools (a name as
 * its length byte then its wire form; rdata in uncompressed wire form, RFC 1035 3.3), so a
 * record costs 20 bytes plus its data rather than a whole struct dns_rr. */
struct zone_rr {
    uint32_t owner;                /* offset in names */
    uint32_t rdata;                /* offset in data */
    uint32_t ttl;
    uint32_t line;                 /* in the master file, for messages */
    uint16_t type;
    uint16_t rdlen;
};

struct zone {
    struct dns_name apex;
    struct zone_rr *rrs;           /* sorted: canonical owner order, then type, then rdata */
    size_t count;
    uint8_t *names;                /* owner names: length byte, wire form */
    size_t names_len;
    uint8_t *data;                 /* rdata */
    size_t data_len;
    size_t soa;                    /* index of the SOA record */
    uint32_t negative_ttl;         /* min(SOA TTL, SOA MINIMUM): RFC 2308 3 and 5 */
};

/* Parses the master file text[len]. `origin` is the initial $ORIGIN (the appliance takes it from
 * the file's name); `file` names the file in error messages. Returns 0 and *out (free with
 * zone_free), or -EINVAL with "file:line: what" in err[err_size] (-ENOMEM, -E2BIG likewise).
 * Context: any (no blocking). */
int zone_parse(const char *file, const char *text, size_t len, const struct dns_name *origin,
               struct zone **out, char *err, size_t err_size);
void zone_free(struct zone *z);

/* Canonical order of two names in wire form (RFC 4034 6.1): <0, 0, >0. */
int zone_wire_compare(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen);
/* The owner of record i, in wire form (its length in *len). */
const uint8_t *zone_rr_owner(const struct zone *z, size_t i, size_t *len);
/* Record i as the codec's struct dns_rr (class IN). */
void zone_rr_expand(const struct zone *z, size_t i, struct dns_rr *out);

/* The records owned by `name`: returns the index of the first, and their number in *count (0 if
 * the name owns none; the index is then where it would be). */
size_t zone_find_name(const struct zone *z, const struct dns_name *name, size_t *count);
/* The RRset of `type` among the records [first, first + count) of one name: its first index and
 * length in *len (0 if none). */
size_t zone_find_type(const struct zone *z, size_t first, size_t count, uint16_t type, size_t *len);
/* Whether a record's owner lies strictly below `name` (RFC 4592 2.2.2: then `name` exists as an
 * empty non-terminal). `after` is zone_find_name's index plus its count. */
bool zone_has_below(const struct zone *z, size_t after, const struct dns_name *name);

/* A set of zones the appliance serves. */
struct zone_set {
    struct zone **zones;
    size_t count;
};
/* The zone with the deepest apex at or above `name`, or NULL (then the answer is REFUSED). */
const struct zone *zone_set_find(const struct zone_set *set, const struct dns_name *name);
/* Adds z (the set owns it then); -EEXIST when a zone with the same apex is there, -ENOMEM. */
int zone_set_add(struct zone_set *set, struct zone *z);
void zone_set_free(struct zone_set *set);

#endif
