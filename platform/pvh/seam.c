/*
 * platform/pvh/seam: the calls of platform/platform.h that the CPU answers the same way on
 * every PVH machine (entropy, guard pages, backtraces: arch/x86_64 does the work), and the
 * idle wait, whose block is the machine's (pvh_machine->block_until).
 */
#include "platform/pvh/pvh.h"
#include "arch/x86_64/ksyms.h"

void platform_wait_until(uint64_t deadline_ns)
{
    if (deadline_ns != 0 && !irq_work_pending) {
        uint64_t now = platform_monotonic_ns();
        if (now < deadline_ns)
            pvh_machine->block_until(now, deadline_ns);
    }
    irq_end_wait();
}

void platform_entropy(void *buf, size_t len)
{
    entropy_fill(buf, len);
}

int platform_guard_pages(void *addr, size_t len, bool guard)
{
    return paging_guard_pages(addr, len, guard);
}

void platform_backtrace(void)
{
    uintptr_t rbp = (uintptr_t)__builtin_frame_address(0);
    backtrace_print((uintptr_t)__builtin_return_address(0) - 1, *(const uintptr_t *)rbp);
}
