/*
 * net/ip_reass: the IPv4 reassembly engine (rules and limits in ip_reass.h).
 * Each datagram in progress keeps a sorted array of the byte ranges received, one per fragment,
 * never overlapping, each with its own copy of the fragment's payload. Nothing is allocated for
 * bytes not yet received, so what a datagram costs is what its sender actually sent (RFC 815
 * reassembles into one buffer of the final size; we only build that buffer at completion).
 * Completion is "final fragment seen and every byte up to it received", which, with overlaps
 * forbidden, is a simple byte count.
 */
#include "net/ip/ip_reass.h"

#include "lib/byteorder.h"
#include "lib/string.h"
#include "mm/mm.h"

/* The shortest IPv4 header: what a datagram's first header is at least before it arrives. */
#define IPV4_HEADER_FLOOR 20u

struct reass_range {
    uint32_t start, end;            /* payload bytes [start, end) */
    uint8_t *data;                  /* end - start bytes, kmalloc'ed */
};

struct reass_datagram {
    struct list_node link;          /* in ip_reass.datagrams, oldest first */
    struct ip_reass_key key;
    uint64_t deadline_ns;
    bool poisoned;                  /* discarded; only remembered to drop later fragments */
    bool have_final;
    uint8_t header_len;             /* of the offset-0 fragment; 0 until it arrives */
    uint8_t header[IP_REASS_MAX_HEADER];
    uint32_t total_payload;         /* known once have_final */
    uint32_t received;              /* payload bytes held, counted in ip_reass.bytes_held */
    uint32_t range_count;
    struct reass_range ranges[];    /* limits.max_fragments entries, sorted by start */
};

void ip_reass_init(struct ip_reass *r, const struct ip_reass_limits *limits)
{
    memset(r, 0, sizeof(*r));
    if (limits) {
        r->limits = *limits;
    } else {
        r->limits.max_datagrams = IP_REASS_DEFAULT_MAX_DATAGRAMS;
        r->limits.max_fragments = IP_REASS_DEFAULT_MAX_FRAGMENTS;
        r->limits.max_bytes = IP_REASS_DEFAULT_MAX_BYTES;
        r->limits.timeout_ns = IP_REASS_DEFAULT_TIMEOUT_NS;
    }
    if (r->limits.max_datagrams == 0)
        r->limits.max_datagrams = 1;
    if (r->limits.max_fragments == 0)
        r->limits.max_fragments = 1;
    list_init(&r->datagrams);
}

static void release_ranges(struct ip_reass *r, struct reass_datagram *d)
{
    for (uint32_t i = 0; i < d->range_count; i++)
        kfree(d->ranges[i].data);
    r->bytes_held -= d->received;
    d->range_count = 0;
    d->received = 0;
}

static void free_datagram(struct ip_reass *r, struct reass_datagram *d)
{
    release_ranges(r, d);
    list_remove(&d->link);
    r->datagram_count--;
    kfree(d);
}

void ip_reass_destroy(struct ip_reass *r)
{
    list_for_each_safe(node, &r->datagrams)
        free_datagram(r, list_entry(node, struct reass_datagram, link));
}

/* Keeps the key (and its deadline) but nothing else: later fragments are dropped. */
static void poison(struct ip_reass *r, struct reass_datagram *d)
{
    release_ranges(r, d);
    d->poisoned = true;
}

static bool key_equal(const struct ip_reass_key *a, const struct ip_reass_key *b)
{
    return a->id == b->id && a->protocol == b->protocol && memcmp(a->src, b->src, 4) == 0 &&
           memcmp(a->dst, b->dst, 4) == 0;
}

static struct reass_datagram *find(struct ip_reass *r, const struct ip_reass_key *key)
{
    list_for_each(node, &r->datagrams) {
        struct reass_datagram *d = list_entry(node, struct reass_datagram, link);
        if (key_equal(&d->key, key))
            return d;
    }
    return NULL;
}

/* Who makes room for a datagram that would hold `would_hold` bytes. For a slot, a poisoned
 * entry first (it holds nothing but a key), oldest first; otherwise (and for bytes) the least complete datagram (fewest
 * bytes received, the oldest of equals), but only one strictly less complete than the
 * newcomer would be. So a sparse fragment never pushes out a reassembly that has made more
 * progress than it, however far its offset reaches. NULL: nobody may be evicted. */
static struct reass_datagram *victim_for(struct ip_reass *r, const struct reass_datagram *keep,
                                         uint32_t would_hold, bool for_slot)
{
    struct reass_datagram *least = NULL;
    list_for_each(node, &r->datagrams) {
        struct reass_datagram *d = list_entry(node, struct reass_datagram, link);
        if (d == keep)
            continue;
        if (d->poisoned) {
            if (for_slot)
                return d;
            continue;   /* frees no bytes */
        }
        if (d->received < would_hold && (!least || d->received < least->received))
            least = d;
    }
    return least;
}

/* A new entry for key, if a slot is free or can fairly be made free for a datagram whose first
 * fragment brings `bytes` (0 for a key only remembered as poisoned). */
static struct reass_datagram *create(struct ip_reass *r, const struct ip_reass_key *key,
                                     uint32_t bytes, uint64_t now_ns)
{
    if (r->datagram_count >= r->limits.max_datagrams) {
        struct reass_datagram *victim = victim_for(r, NULL, bytes, true);
        if (!victim) {
            r->stats.no_slot++;
            return NULL;
        }
        free_datagram(r, victim);
        r->stats.evicted++;
    }
    struct reass_datagram *d =
        kmalloc(sizeof(*d) + (size_t)r->limits.max_fragments * sizeof(struct reass_range));
    if (!d) {
        r->stats.no_memory++;
        return NULL;
    }
    memset(d, 0, sizeof(*d));
    d->key = *key;
    d->deadline_ns = now_ns + r->limits.timeout_ns;
    list_add_tail(&r->datagrams, &d->link);
    r->datagram_count++;
    return d;
}

/* Makes room in the byte budget for `bytes` more in d, evicting less complete datagrams.
 * False when it cannot: the caller drops d. */
static bool make_room(struct ip_reass *r, struct reass_datagram *d, uint32_t bytes)
{
    if ((uint64_t)d->received + bytes > r->limits.max_bytes) {
        r->stats.over_budget++;   /* this datagram alone outgrows the budget */
        return false;
    }
    while ((uint64_t)r->bytes_held + bytes > r->limits.max_bytes) {
        struct reass_datagram *victim = victim_for(r, d, d->received + bytes, false);
        if (!victim) {
            r->stats.over_budget++;
            return false;
        }
        free_datagram(r, victim);
        r->stats.evicted++;
    }
    return true;
}

/* Where a new range [start, end) goes in the sorted array, or -1 if it overlaps one held
 * (*same set when it coincides exactly with that one). */
static long insertion_point(const struct reass_datagram *d, uint32_t start, uint32_t end,
                            const struct reass_range **same)
{
    *same = NULL;
    uint32_t i = 0;
    while (i < d->range_count && d->ranges[i].end <= start)
        i++;
    if (i < d->range_count && d->ranges[i].start < end) {
        if (d->ranges[i].start == start && d->ranges[i].end == end)
            *same = &d->ranges[i];
        return -1;
    }
    return (long)i;
}

static enum ip_reass_result drop(struct ip_reass *r, struct reass_datagram *d)
{
    if (d)
        poison(r, d);
    return IP_REASS_DROPPED;
}

/* RFC 815: the datagram is built in one buffer of its final size, now that the size is known
 * and every byte is here. */
static enum ip_reass_result complete(struct ip_reass *r, struct reass_datagram *d,
                                     struct ip_reass_datagram *out)
{
    uint8_t *buffer = kmalloc(IP_REASS_MAX_HEADER + (size_t)d->total_payload);
    if (!buffer) {
        r->stats.no_memory++;
        return drop(r, d);
    }
    uint8_t *payload = buffer + IP_REASS_MAX_HEADER;
    for (uint32_t i = 0; i < d->range_count; i++)
        memcpy(payload + d->ranges[i].start, d->ranges[i].data,
               d->ranges[i].end - d->ranges[i].start);
    uint8_t *hdr = payload - d->header_len;
    memcpy(hdr, d->header, d->header_len);
    store_be16(hdr + 2, (uint16_t)(d->header_len + d->total_payload));
    /* Keep DF as the first fragment had it; clear MF and the offset. */
    store_be16(hdr + 6, load_be16(hdr + 6) & 0x4000);
    store_be16(hdr + 10, 0);
    out->data = hdr;
    out->len = d->header_len + (size_t)d->total_payload;
    out->header_len = d->header_len;
    out->allocation = buffer;
    free_datagram(r, d);
    r->stats.reassembled++;
    return IP_REASS_COMPLETE;
}

/* RFC 791 3.2 / RFC 815: the datagram's total length is the FIRST fragment's header plus all
 * the payload, and must fit the 16-bit total length field. Until the first fragment arrives
 * its header is at least 20 bytes; when it arrives with a longer one, everything already held
 * is checked against it too. */
static bool exceeds_max_datagram(const struct reass_datagram *d,
                                 const struct ip_reass_fragment *frag, uint64_t end)
{
    uint64_t first_header = frag->offset == 0        ? frag->header_len
                            : d && d->header_len != 0 ? d->header_len
                                                      : IPV4_HEADER_FLOOR;
    uint64_t furthest = end;
    if (d && d->range_count && d->ranges[d->range_count - 1].end > furthest)
        furthest = d->ranges[d->range_count - 1].end;
    return first_header + furthest > IP_REASS_MAX_DATAGRAM;
}

enum ip_reass_result ip_reass_add(struct ip_reass *r, const struct ip_reass_key *key,
                                  const struct ip_reass_fragment *frag, uint64_t now_ns,
                                  struct ip_reass_datagram *out)
{
    r->stats.fragments++;
    ip_reass_expire(r, now_ns);

    struct reass_datagram *d = find(r, key);
    if (d && d->poisoned) {
        r->stats.poisoned_drops++;
        return IP_REASS_DROPPED;
    }
    if (frag->header_len < IPV4_HEADER_FLOOR || frag->header_len > IP_REASS_MAX_HEADER ||
        frag->payload_len == 0 || (frag->offset & 7) != 0 ||
        (frag->more_fragments && (frag->payload_len & 7) != 0)) {
        r->stats.malformed++;
        return IP_REASS_DROPPED;
    }
    uint64_t start = frag->offset, end = start + frag->payload_len;
    if (exceeds_max_datagram(d, frag, end)) {
        r->stats.too_big++;
        if (!d)
            d = create(r, key, 0, now_ns);   /* remembered, if a slot is free, to drop the rest */
        return drop(r, d);
    }
    if (!d) {
        d = create(r, key, (uint32_t)frag->payload_len, now_ns);
        if (!d)
            return IP_REASS_DROPPED;
    }

    if (d->have_final) {
        if (end > d->total_payload || (frag->more_fragments && end == d->total_payload) ||
            (!frag->more_fragments && end != d->total_payload)) {
            r->stats.inconsistent++;
            return drop(r, d);
        }
    } else if (!frag->more_fragments && d->range_count > 0 &&
               d->ranges[d->range_count - 1].end >= end) {
        /* A final fragment that ends at or before data we already hold. */
        r->stats.inconsistent++;
        return drop(r, d);
    }

    const struct reass_range *same;
    long at = insertion_point(d, (uint32_t)start, (uint32_t)end, &same);
    if (at < 0) {
        if (same && memcmp(same->data, frag->payload, frag->payload_len) == 0) {
            r->stats.duplicates++;
            return IP_REASS_DUPLICATE;
        }
        r->stats.overlaps++;
        return drop(r, d);
    }
    if (d->range_count >= r->limits.max_fragments) {
        r->stats.too_many_fragments++;
        return drop(r, d);
    }
    if (!make_room(r, d, (uint32_t)frag->payload_len))
        return drop(r, d);
    uint8_t *data = kmalloc(frag->payload_len);
    if (!data) {
        r->stats.no_memory++;
        return drop(r, d);
    }
    memcpy(data, frag->payload, frag->payload_len);
    if (!frag->more_fragments) {
        d->have_final = true;
        d->total_payload = (uint32_t)end;
    }
    memmove(&d->ranges[at + 1], &d->ranges[at], (d->range_count - (uint32_t)at) * sizeof(d->ranges[0]));
    d->ranges[at] = (struct reass_range){ (uint32_t)start, (uint32_t)end, data };
    d->range_count++;
    d->received += (uint32_t)frag->payload_len;
    r->bytes_held += (uint32_t)frag->payload_len;
    if (start == 0) {
        memcpy(d->header, frag->header, frag->header_len);
        d->header_len = (uint8_t)frag->header_len;
    }
    if (d->have_final && d->received == d->total_payload)
        return complete(r, d, out);
    return IP_REASS_HELD;
}

void ip_reass_datagram_release(struct ip_reass_datagram *d)
{
    kfree(d->allocation);
    d->allocation = NULL;
    d->data = NULL;
    d->len = 0;
}

void ip_reass_set_expired_handler(struct ip_reass *r, ip_reass_expired_fn fn, void *ctx)
{
    r->expired_fn = fn;
    r->expired_ctx = ctx;
}

unsigned ip_reass_expire(struct ip_reass *r, uint64_t now_ns)
{
    unsigned expired = 0;
    list_for_each_safe(node, &r->datagrams) {
        struct reass_datagram *d = list_entry(node, struct reass_datagram, link);
        if (d->deadline_ns > now_ns)
            continue;
        if (!d->poisoned) {
            r->stats.timeouts++;
            if (r->expired_fn && d->header_len && d->range_count && d->ranges[0].start == 0) {
                uint8_t quote[IP_REASS_MAX_HEADER + 8];
                uint32_t data = d->ranges[0].end < 8 ? d->ranges[0].end : 8;
                memcpy(quote, d->header, d->header_len);
                memcpy(quote + d->header_len, d->ranges[0].data, data);
                r->expired_fn(r->expired_ctx, &d->key, quote, d->header_len + data);
            }
        }
        free_datagram(r, d);
        expired++;
    }
    return expired;
}

uint64_t ip_reass_next_deadline(const struct ip_reass *r)
{
    uint64_t next = UINT64_MAX;
    list_for_each(node, &r->datagrams) {
        const struct reass_datagram *d = list_entry(node, struct reass_datagram, link);
        if (d->deadline_ns < next)
            next = d->deadline_ns;
    }
    return next;
}
