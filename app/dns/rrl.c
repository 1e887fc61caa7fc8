/*
 * app/dns/rrl: the response rate limiter's table and token buckets (rrl.h).
 */
#include "rrl.h"
#include "lib/ctype.h"
#include "lib/string.h"
#include "xenolith/time.h"

void rrl_init(struct rrl *r, uint32_t rate, uint32_t slip)
{
    memset(r, 0, sizeof(*r));
    r->rate = rate;
    r->slip = slip;
    siphash_key_random(&r->key);
}

/* Errors share one account per prefix, whatever their name and type. */
static bool is_error(enum answer_kind kind)
{
    return kind == ANSWER_REFUSED || kind == ANSWER_FORMERR || kind == ANSWER_NOTIMP ||
           kind == ANSWER_BADVERS;
}

static uint64_t key_hash(const struct rrl *r, uint32_t client, const struct answer_meta *meta)
{
    struct {
        uint8_t prefix[3];
        uint8_t kind;
        uint16_t qtype;
        uint8_t name[DNS_NAME_MAX];
    } key;
    memset(&key, 0, sizeof(key));
    memcpy(key.prefix, &client, 3);      /* network order: the first three bytes are the /24 */
    bool error = is_error(meta->kind);
    key.kind = error ? 0xff : (uint8_t)meta->kind;
    key.qtype = error || meta->kind == ANSWER_NXDOMAIN ? 0 : meta->qtype;
    size_t n = error ? 0 : meta->rrl_name.len;
    for (size_t i = 0; i < n; i++)
        key.name[i] = (uint8_t)tolower(meta->rrl_name.wire[i]);
    uint64_t h = siphash24(&r->key, &key, offsetof(__typeof__(key), name) + n);
    return h ? h : 1;
}

enum rrl_verdict rrl_check(struct rrl *r, uint32_t client, const struct answer_meta *meta,
                           uint64_t now_ns)
{
    if (r->rate == 0)
        return RRL_SEND;
    r->stats.responses++;
    uint64_t h = key_hash(r, client, meta);
    struct rrl_entry *set = &r->table[(h % (RRL_ENTRIES / RRL_WAYS)) * RRL_WAYS];
    struct rrl_entry *e = NULL, *victim = &set[0];
    for (int i = 0; i < RRL_WAYS; i++) {
        if (set[i].hash == h) {
            e = &set[i];
            break;
        }
        if (set[i].hash == 0 || (victim->hash != 0 && set[i].last_ns < victim->last_ns))
            victim = &set[i];
    }
    if (!e) {
        if (victim->hash != 0)
            r->stats.evictions++;
        e = victim;
        *e = (struct rrl_entry){ .hash = h, .last_ns = now_ns, .budget_ns = NS_PER_S };
    }
    /* The bucket refills with the time passed, up to one second's allowance. */
    uint64_t elapsed = now_ns > e->last_ns ? now_ns - e->last_ns : 0;
    e->budget_ns = e->budget_ns + elapsed > NS_PER_S ? NS_PER_S : e->budget_ns + elapsed;
    e->last_ns = now_ns;
    uint64_t cost = NS_PER_S / r->rate;
    if (e->budget_ns >= cost) {
        e->budget_ns -= cost;
        return RRL_SEND;
    }
    r->stats.limited++;
    e->dropped++;
    if (r->slip != 0 && e->dropped % r->slip == 0) {
        r->stats.slipped++;
        return RRL_SLIP;
    }
    r->stats.dropped++;
    return RRL_DROP;
}
