/*
 * net/icmp_ratelimit: the token bucket that limits the ICMP errors we generate (RFC 1122 3.2.2:
 * a host SHOULD limit the rate of error messages; RFC 1812 4.3.2.8 names the token bucket).
 * Time-based and allocation-free so a flood of bad packets costs us at most `rate` replies per
 * second after an initial `burst`. Credit is kept in nanoseconds of elapsed time: each message
 * costs one interval (1 s / rate) and the bucket holds at most `burst` intervals.
 */
#ifndef XENOLITH_NET_ICMP_RATELIMIT_H
#define XENOLITH_NET_ICMP_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define ICMP_RATELIMIT_DEFAULT_RATE 10      /* errors per second, sustained */
#define ICMP_RATELIMIT_DEFAULT_BURST 10

struct icmp_ratelimit {
    uint64_t interval_ns;       /* cost of one message; 0 disables the limit */
    uint64_t capacity_ns;       /* burst * interval */
    uint64_t credit_ns;
    uint64_t last_ns;
};

/* rate_per_sec 0: unlimited. The bucket starts full. */
void icmp_ratelimit_init(struct icmp_ratelimit *rl, uint32_t rate_per_sec, uint32_t burst,
                         uint64_t now_ns);
/* True (and one token spent) if a message may be sent at now_ns. */
bool icmp_ratelimit_allow(struct icmp_ratelimit *rl, uint64_t now_ns);

#endif
