/*
 * net/icmp_ratelimit: token bucket for generated ICMP errors (see icmp_ratelimit.h).
 */
#include "net/ip/icmp_ratelimit.h"

void icmp_ratelimit_init(struct icmp_ratelimit *rl, uint32_t rate_per_sec, uint32_t burst,
                         uint64_t now_ns)
{
    if (burst == 0)
        burst = 1;
    rl->interval_ns = rate_per_sec ? 1000000000ull / rate_per_sec : 0;
    rl->capacity_ns = rl->interval_ns * burst;
    rl->credit_ns = rl->capacity_ns;
    rl->last_ns = now_ns;
}

bool icmp_ratelimit_allow(struct icmp_ratelimit *rl, uint64_t now_ns)
{
    if (rl->interval_ns == 0)
        return true;
    if (now_ns > rl->last_ns) {
        uint64_t elapsed = now_ns - rl->last_ns;
        uint64_t room = rl->capacity_ns - rl->credit_ns;
        rl->credit_ns += elapsed < room ? elapsed : room;
        rl->last_ns = now_ns;
    }
    if (rl->credit_ns < rl->interval_ns)
        return false;
    rl->credit_ns -= rl->interval_ns;
    return true;
}
