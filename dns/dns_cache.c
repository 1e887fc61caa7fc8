/*
 * dns/dns_cache: answers kept for their TTL (RFC 1035 3.2.1, RFC 2181 5.2), negative answers for
 * their RFC 2308 5 time. An entry is the whole answer message for one (name, type), read again
 * by dns_answer_read when used, so a cached answer says exactly what the server said, with its
 * TTLs counted down. A fixed table: when it is full, the entry closest to expiry makes room.
 */
#include "dns/dns_resolver.h"

#include "lib/string.h"
#include "xenolith/mem.h"
#include "xenolith/time.h"

static void drop(struct dns_cache_entry *e)
{
    kfree(e->msg);
    e->msg = NULL;
}

const struct dns_cache_entry *dns_cache_find(struct dns_cache *c, const struct dns_name *name,
                                             uint16_t type, uint64_t now_ns)
{
    for (unsigned i = 0; i < DNS_CACHE_ENTRIES; i++) {
        struct dns_cache_entry *e = &c->entries[i];
        if (!e->msg)
            continue;
        if (now_ns >= e->expires_ns) {
            drop(e);
            continue;
        }
        if (e->type == type && dns_name_equal(&e->name, name))
            return e;
    }
    return NULL;
}

bool dns_cache_store(struct dns_cache *c, const struct dns_name *name, uint16_t type,
                     const uint8_t *msg, size_t len, uint32_t ttl_s, uint64_t now_ns)
{
    if (ttl_s == 0 || len > UINT16_MAX)
        return false;
    struct dns_cache_entry *slot = NULL;
    for (unsigned i = 0; i < DNS_CACHE_ENTRIES; i++) {
        struct dns_cache_entry *e = &c->entries[i];
        if (e->msg && (now_ns >= e->expires_ns || (e->type == type && dns_name_equal(&e->name, name))))
            drop(e); /* expired, or an older answer to the same question */
        if (!e->msg && !slot)
            slot = e;
    }
    bool evicted = false;
    if (!slot) {
        slot = &c->entries[0];
        for (unsigned i = 1; i < DNS_CACHE_ENTRIES; i++)
            if (c->entries[i].expires_ns < slot->expires_ns)
                slot = &c->entries[i];
        drop(slot);
        evicted = true;
    }
    uint8_t *copy = kmalloc(len);
    if (!copy)
        return evicted;
    memcpy(copy, msg, len);
    slot->msg = copy;
    slot->len = (uint16_t)len;
    slot->name = *name;
    slot->type = type;
    slot->stored_ns = now_ns;
    slot->expires_ns = now_ns + (uint64_t)ttl_s * NS_PER_S;
    return evicted;
}

void dns_cache_flush(struct dns_cache *c)
{
    for (unsigned i = 0; i < DNS_CACHE_ENTRIES; i++)
        drop(&c->entries[i]);
}
