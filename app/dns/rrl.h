/*
 * app/dns/rrl: response rate limiting, so the appliance is a poor amplifier for reflection
 * attacks (queries with a forged source address, whose larger answers flood the victim).
 *
 * Every UDP response is accounted to a key: the client's /24 prefix (a forger spreads over
 * addresses, a victim's network is one prefix), the kind of answer, the query type and the name
 * that identifies the answer (answer.h: the zone's apex for NXDOMAIN, the delegation for a
 * referral, nothing for errors). Each key has a token bucket refilled at `rate` responses per
 * second, holding at most one second's worth. A response over its allowance is dropped; every
 * `slip`-th dropped one is sent instead as a truncated response (header and question, TC=1), so
 * an honest client behind the prefix retries over TCP and still gets its answer -- TCP cannot be
 * forged and is never limited.
 *
 * The table has a fixed size (RRL_ENTRIES, 4-way associative on a keyed SipHash of the key, so
 * collisions cannot be aimed); when a set is full the least recently used entry is reused.
 * Pure: the caller passes the time. Context: any.
 */
#ifndef DNSAPP_RRL_H
#define DNSAPP_RRL_H

#include <stdbool.h>
#include <stdint.h>
#include "answer.h"
#include "lib/siphash.h"

#define RRL_ENTRIES 4096
#define RRL_WAYS 4
#define RRL_DEFAULT_RATE 20              /* responses per second per key */
#define RRL_DEFAULT_SLIP 2

enum rrl_verdict { RRL_SEND, RRL_DROP, RRL_SLIP };

#define RRL_COUNTERS(X) X(responses) X(limited) X(dropped) X(slipped) X(evictions)
struct rrl_stats {
#define RRL_FIELD(name) uint64_t name;
    RRL_COUNTERS(RRL_FIELD)
#undef RRL_FIELD
};

struct rrl_entry {
    uint64_t hash;                       /* 0: unused */
    uint64_t last_ns;
    uint64_t budget_ns;                  /* tokens, as nanoseconds of allowance */
    uint32_t dropped;
};

struct rrl {
    uint32_t rate;                       /* 0: no limiting */
    uint32_t slip;                       /* 0: never slip; 1: every dropped response slips */
    struct siphash_key key;
    struct rrl_stats stats;
    struct rrl_entry table[RRL_ENTRIES];
};

/* rate responses per second per key (0 turns limiting off), slip as above. */
void rrl_init(struct rrl *r, uint32_t rate, uint32_t slip);
/* Whether the response described by meta, to client (IPv4, network order), goes out. */
enum rrl_verdict rrl_check(struct rrl *r, uint32_t client, const struct answer_meta *meta,
                           uint64_t now_ns);

#endif
