/*
 * mm/reclaim: the table of memory-pressure hooks and the call the page allocator makes when it
 * runs short (reclaim.h; the rules a hook follows are in xenolith/mem.h).
 */
#include "mm/reclaim.h"

#include "lib/errno.h"

struct reclaim_hook {
    mem_reclaim_fn fn;
    void *arg;
};

static struct reclaim_hook hooks[MEM_RECLAIM_HOOKS];
static unsigned hook_count;
static bool reclaiming;                  /* a hook runs: its own allocations get no reclaim */

static int find(mem_reclaim_fn fn, void *arg)
{
    for (unsigned i = 0; i < hook_count; i++)
        if (hooks[i].fn == fn && hooks[i].arg == arg)
            return (int)i;
    return -1;
}

int mem_reclaim_register(mem_reclaim_fn fn, void *arg)
{
    if (find(fn, arg) >= 0)
        return 0;
    if (hook_count == MEM_RECLAIM_HOOKS)
        return -ENOSPC;
    hooks[hook_count++] = (struct reclaim_hook){ fn, arg };
    return 0;
}

void mem_reclaim_unregister(mem_reclaim_fn fn, void *arg)
{
    int i = find(fn, arg);
    if (i < 0)
        return;
    /* Registration order is kept: it is the order hooks are asked in. */
    for (unsigned j = (unsigned)i; j + 1 < hook_count; j++)
        hooks[j] = hooks[j + 1];
    hook_count--;
}

bool mm_reclaim(size_t bytes)
{
    if (reclaiming)
        return false;
    reclaiming = true;
    size_t freed = 0;
    for (unsigned i = 0; i < hook_count && freed == 0; i++)
        freed = hooks[i].fn(hooks[i].arg, bytes);
    reclaiming = false;
    return freed > 0;
}
