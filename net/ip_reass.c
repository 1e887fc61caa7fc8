/*
 * net/ip_reass: the IPv4 reassembly engine (rules and limits in ip_reass.h).
 * Each datagram in progress owns one payload buffer that grows to the furthest byte seen, and a
 * sorted array of the byte ranges received, one per fragment, never overlapping. Completion is
 * "final fragment seen and every byte up to it received", which, with overlaps forbidden, is a
 * simple byte count.
 */
#include "net/ip_reass.h"

#include "lib/byteorder.h"
#include "lib/string.h"
#include "mm/mm.h"

struct reass_range {
    uint32_t start, end;            /* payload bytes [start, end) */
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
    uint32_t received;              /* payload bytes held */
    uint8_t *buffer;                /* IP_REASS_MAX_HEADER bytes of room, then the payload */
    uint32_t capacity;              /* payload bytes the buffer can hold */
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

static void release_buffer(struct ip_reass *r, struct reass_datagram *d)
{
    if (d->buffer) {
        r->bytes_held -= d->capacity;
        kfree(d->buffer);
        d->buffer = NULL;
        d->capacity = 0;
    }
}

static void free_datagram(struct ip_reass *r, struct reass_datagram *d)
{
    release_buffer(r, d);
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
    release_buffer(r, d);
    d->poisoned = true;
    d->range_count = 0;
    d->received = 0;
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

static struct reass_datagram *oldest_other(struct ip_reass *r, const struct reass_datagram *keep)
{
    list_for_each(node, &r->datagrams) {
        struct reass_datagram *d = list_entry(node, struct reass_datagram, link);
        if (d != keep)
            return d;
    }
    return NULL;
}

static struct reass_datagram *create(struct ip_reass *r, const struct ip_reass_key *key,
                                     uint64_t now_ns)
{
    if (r->datagram_count >= r->limits.max_datagrams) {
        free_datagram(r, oldest_other(r, NULL));
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

/* Grows d's buffer to hold payload bytes [0, end), evicting older datagrams if the byte budget
 * demands it. False when it cannot: the caller drops the datagram. */
static bool reserve(struct ip_reass *r, struct reass_datagram *d, uint32_t end)
{
    if (end <= d->capacity)
        return true;
    uint32_t want = d->capacity * 2;
    if (want < end)
        want = end;
    uint32_t limit = IP_REASS_MAX_DATAGRAM - IP_REASS_MAX_HEADER;
    if (d->have_final)
        limit = d->total_payload;
    if (want > limit)
        want = limit > end ? limit : end;
    uint32_t growth = want - d->capacity;
    while (r->bytes_held + growth > r->limits.max_bytes) {
        struct reass_datagram *victim = oldest_other(r, d);
        if (!victim) {
            r->stats.over_budget++;
            return false;
        }
        free_datagram(r, victim);
        r->stats.evicted++;
    }
    uint8_t *grown = krealloc(d->buffer, IP_REASS_MAX_HEADER + (size_t)want);
    if (!grown) {
        r->stats.no_memory++;
        return false;
    }
    d->buffer = grown;
    r->bytes_held += growth;
    d->capacity = want;
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

static enum ip_reass_result complete(struct ip_reass *r, struct reass_datagram *d,
                                     struct ip_reass_datagram *out)
{
    uint8_t *hdr = d->buffer + IP_REASS_MAX_HEADER - d->header_len;
    memcpy(hdr, d->header, d->header_len);
    store_be16(hdr + 2, (uint16_t)(d->header_len + d->total_payload));
    /* Keep DF as the first fragment had it; clear MF and the offset. */
    store_be16(hdr + 6, load_be16(hdr + 6) & 0x4000);
    store_be16(hdr + 10, 0);
    out->data = hdr;
    out->len = d->header_len + (size_t)d->total_payload;
    out->header_len = d->header_len;
    out->allocation = d->buffer;
    /* The buffer now belongs to the caller. */
    r->bytes_held -= d->capacity;
    d->buffer = NULL;
    d->capacity = 0;
    free_datagram(r, d);
    r->stats.reassembled++;
    return IP_REASS_COMPLETE;
}

static enum ip_reass_result drop(struct ip_reass *r, struct reass_datagram *d)
{
    if (d)
        poison(r, d);
    return IP_REASS_DROPPED;
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
    if (frag->header_len < 20 || frag->header_len > IP_REASS_MAX_HEADER ||
        frag->payload_len == 0 || (frag->offset & 7) != 0 ||
        (frag->more_fragments && (frag->payload_len & 7) != 0)) {
        r->stats.malformed++;
        return IP_REASS_DROPPED;
    }
    uint64_t start = frag->offset, end = start + frag->payload_len;
    if (frag->header_len + end > IP_REASS_MAX_DATAGRAM) {
        r->stats.too_big++;
        if (!d)
            d = create(r, key, now_ns);
        return drop(r, d);
    }
    if (!d) {
        d = create(r, key, now_ns);
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
        if (same && memcmp(d->buffer + IP_REASS_MAX_HEADER + start, frag->payload,
                           frag->payload_len) == 0) {
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
    if (!frag->more_fragments) {
        d->have_final = true;
        d->total_payload = (uint32_t)end;
    }
    if (!reserve(r, d, (uint32_t)end))
        return drop(r, d);

    memcpy(d->buffer + IP_REASS_MAX_HEADER + start, frag->payload, frag->payload_len);
    memmove(&d->ranges[at + 1], &d->ranges[at], (d->range_count - (uint32_t)at) * sizeof(d->ranges[0]));
    d->ranges[at].start = (uint32_t)start;
    d->ranges[at].end = (uint32_t)end;
    d->range_count++;
    d->received += (uint32_t)frag->payload_len;
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
                memcpy(quote + d->header_len, d->buffer + IP_REASS_MAX_HEADER, data);
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
