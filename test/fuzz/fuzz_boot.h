/*
 * test/fuzz/fuzz_boot.h: the simulated machine a harness runs on, booted once per process:
 * the simulated clock, the page allocator over the simulated memory and the scheduler. Shared
 * by every harness, with or without a network stack (fuzz_net_common.h builds on it).
 */
#ifndef XENOLITH_TEST_FUZZ_FUZZ_BOOT_H
#define XENOLITH_TEST_FUZZ_FUZZ_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/mm.h"
#include "sched/sched.h"
#include "test/unit/sim/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Returns true on the first call (the machine was just booted), false afterwards. */
static bool fuzz_boot(void)
{
    static bool booted;
    if (booted)
        return false;
    sim_reset(1000000000ull);
    const struct mem_region *regions;
    size_t n = platform_memory(&regions);
    page_allocator_init(regions, n);
    sched_init();
    booted = true;
    return true;
}

#endif
