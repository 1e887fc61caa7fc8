/*
 * sched/fiber: fibers, the run queue and the event loop. Every switch goes through the loop's
 * own context: a fiber that yields, blocks or returns switches to the loop, and the loop picks
 * the next ready fiber. That keeps one place deciding what runs (and freeing dead fibers,
 * whose stacks cannot be freed while they are still running on them).
 * Stacks come from kalloc_guarded (guard pages on both sides) and carry a canary in their
 * lowest word, checked on every switch out, for overflows that jump past the guard page.
 *
 * The stacks of fibers that ended are kept, guard pages and all, for the next fiber of the same
 * size: a server that runs a fiber per connection would otherwise change page protections four
 * times per connection, and on the hosted platform each change is an mprotect with a TLB
 * shoot-down that costs more than the connection's whole TCP exchange. The cache is small and
 * is emptied once it has gone unused for FIBER_STACK_CACHE_IDLE_NS, so an idle appliance's memory
 * returns to what it was before the load.
 */
#include "sched/sched_internal.h"
#include "lib/panic.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "platform/platform.h"

#if defined(__SANITIZE_ADDRESS__) && (defined(XENOLITH_HOSTED) || defined(XENOLITH_TEST))
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define SCHED_ASAN 1
#endif

#define STACK_CANARY 0x57ac4f1b3e5d92c1ull
#define STACK_CACHE_MAX 32
/* Initial x87 control word and MXCSR of a new fiber: the ABI's defaults (all exceptions
 * masked, round to nearest, double-extended precision). */
#define INITIAL_FPU_CONTROL ((uint64_t)0x1f80 | ((uint64_t)0x037f << 32))

struct fiber *sched_current;

static uintptr_t loop_saved_sp;
static struct fiber *run_head, *run_tail;
static size_t run_length;
static struct list_node all_fibers = LIST_INIT(all_fibers);
static uint64_t fibers_unfinished;
static struct sched_stats stats;
static struct {
    void (*pet)(void *arg);
    void *arg;
    uint64_t every_ns;      /* half the period */
    uint64_t next_ns;       /* when the next call is due */
} watchdog;

struct cached_stack {
    uint8_t *stack;
    size_t size;
};
static struct cached_stack stack_cache[STACK_CACHE_MAX];
static unsigned stack_cache_len;
static uint64_t stack_cache_last_use;

#ifdef SCHED_ASAN
static void *loop_fake_stack;
static const void *loop_stack_bottom;
static size_t loop_stack_size;
#endif

void sched_init(void)
{
    sched_current = NULL;
    run_head = run_tail = NULL;
    run_length = 0;
    list_init(&all_fibers);
    fibers_unfinished = 0;
    stats = (struct sched_stats){ 0 };
    watchdog.pet = NULL;
    timers_reset();
    /* A new scheduler comes with a new heap (tests): the old cache's stacks are gone with it. */
    stack_cache_len = 0;
}

static void stack_cache_drain(void)
{
    while (stack_cache_len > 0) {
        struct cached_stack *c = &stack_cache[--stack_cache_len];
        heap_note_cached(-(int64_t)c->size, 0);
        kfree_guarded(c->stack, c->size);
    }
}

/* Called by the loop around its idle waits, which it ends no later than the cache's idle time.
 * Not a timer: housekeeping must not keep sched_run from returning. */
static void stack_cache_trim(void)
{
    if (stack_cache_len > 0 &&
        platform_monotonic_ns() - stack_cache_last_use >= FIBER_STACK_CACHE_IDLE_NS)
        stack_cache_drain();
}

static uint8_t *stack_take(size_t size)
{
    for (unsigned i = stack_cache_len; i-- > 0;) {
        if (stack_cache[i].size != size)
            continue;
        uint8_t *stack = stack_cache[i].stack;
        stack_cache[i] = stack_cache[--stack_cache_len];
        stack_cache_last_use = platform_monotonic_ns();
        heap_note_cached(-(int64_t)size, 0);
#ifdef SCHED_ASAN
        /* The last fiber's frames left redzones behind. */
        __asan_unpoison_memory_region(stack, size);
#endif
        return stack;
    }
    return kalloc_guarded(size);
}

static void stack_put(uint8_t *stack, size_t size)
{
    if (stack_cache_len == STACK_CACHE_MAX) {
        kfree_guarded(stack, size);
        return;
    }
    stack_cache[stack_cache_len++] = (struct cached_stack){ stack, size };
    heap_note_cached((int64_t)size, 0);
    stack_cache_last_use = platform_monotonic_ns();
}

void sched_get_stats(struct sched_stats *out)
{
    *out = stats;
}

struct fiber *fiber_current(void)
{
    return sched_current;
}

const char *fiber_name(const struct fiber *f)
{
    return f ? f->name : "(loop)";
}

struct fiber *sched_require_fiber(const char *who)
{
    if (!sched_current)
        panic("%s called from loop context (only a fiber can block)", who);
    return sched_current;
}

void sched_make_ready(struct fiber *f)
{
    kassert(f->state != FIBER_READY && f->state != FIBER_DEAD);
    f->state = FIBER_READY;
    f->run_next = NULL;
    if (run_tail)
        run_tail->run_next = f;
    else
        run_head = f;
    run_tail = f;
    run_length++;
}

static struct fiber *run_queue_pop(void)
{
    struct fiber *f = run_head;
    run_head = f->run_next;
    if (!run_head)
        run_tail = NULL;
    f->run_next = NULL;
    run_length--;
    return f;
}

/* Reads the canary without ASan: the word may lie under a dead frame's redzone. */
__attribute__((no_sanitize_address)) static bool canary_intact(const struct fiber *f)
{
    return *(const volatile uint64_t *)f->stack == STACK_CANARY;
}

/* From a fiber back to the loop. Returns when the loop schedules this fiber again. */
static void switch_to_loop(void)
{
    struct fiber *f = sched_current;
    if (!canary_intact(f))
        panic("stack overflow in fiber '%s' (canary at %p overwritten)", f->name,
              (void *)f->stack);
#ifdef SCHED_ASAN
    __sanitizer_start_switch_fiber(f->state == FIBER_DEAD ? NULL : &f->asan_fake_stack,
                                   loop_stack_bottom, loop_stack_size);
#endif
    sched_context_switch(&f->saved_sp, loop_saved_sp);
#ifdef SCHED_ASAN
    __sanitizer_finish_switch_fiber(f->asan_fake_stack, &loop_stack_bottom, &loop_stack_size);
#endif
}

void sched_block(void)
{
    struct fiber *f = sched_require_fiber("a blocking call");
    f->state = FIBER_BLOCKED;
    switch_to_loop();
}

static void free_fiber(struct fiber *f)
{
    list_remove(&f->all_link);
    stack_put(f->stack, f->stack_size);
    kfree(f);
    stats.fibers_live--;
}

/* The C entry of every fiber, reached through sched_fiber_trampoline. Never returns. */
static void fiber_entry(struct fiber *f)
{
#ifdef SCHED_ASAN
    __sanitizer_finish_switch_fiber(NULL, &loop_stack_bottom, &loop_stack_size);
#endif
    f->result = f->fn(f->arg);
    f->state = FIBER_DEAD;
    fibers_unfinished--;
    if (f->joiner)
        sched_make_ready(f->joiner);
    switch_to_loop();
    panic("dead fiber '%s' was scheduled again", f->name);
}

/* From the loop into f; returns when f yields, blocks or ends. */
static void switch_to_fiber(struct fiber *f)
{
    sched_current = f;
    f->state = FIBER_RUNNING;
    stats.switches++;
#ifdef SCHED_ASAN
    __sanitizer_start_switch_fiber(&loop_fake_stack, f->stack, f->stack_size);
#endif
    sched_context_switch(&loop_saved_sp, f->saved_sp);
#ifdef SCHED_ASAN
    __sanitizer_finish_switch_fiber(loop_fake_stack, NULL, NULL);
#endif
    sched_current = NULL;
    if (f->state == FIBER_DEAD && f->detached)
        free_fiber(f);
}

struct fiber *fiber_spawn(const char *name, int (*fn)(void *arg), void *arg, size_t stack_size)
{
    kassert(fn != NULL);
    if (stack_size == 0)
        stack_size = FIBER_DEFAULT_STACK;
    stack_size = (stack_size + PAGE_SIZE - 1) & ~(size_t)(PAGE_SIZE - 1);
    struct fiber *f = kcalloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->stack = stack_take(stack_size);
    if (!f->stack) {
        kfree(f);
        return NULL;
    }
    f->stack_size = stack_size;
    kstrlcpy(f->name, name ? name : "fiber", sizeof(f->name));
    f->fn = fn;
    f->arg = arg;
    timer_init(&f->wake_timer, NULL, f);
    *(uint64_t *)f->stack = STACK_CANARY;

    /* The frame sched_context_switch pops (see switch_x86_64.S); the return address sits
     * 8 bytes below the 16-aligned top so the trampoline starts with an aligned stack. */
    uint64_t *sp = (uint64_t *)(f->stack + stack_size);
    *--sp = (uint64_t)(uintptr_t)sched_fiber_trampoline;
    *--sp = 0;                              /* rbp: ends frame-pointer backtraces */
    *--sp = (uint64_t)(uintptr_t)fiber_entry; /* rbx */
    *--sp = (uint64_t)(uintptr_t)f;         /* r12 */
    *--sp = 0;                              /* r13 */
    *--sp = 0;                              /* r14 */
    *--sp = 0;                              /* r15 */
    *--sp = INITIAL_FPU_CONTROL;
    f->saved_sp = (uintptr_t)sp;

    list_add_tail(&all_fibers, &f->all_link);
    stats.fibers_live++;
    fibers_unfinished++;
    f->state = FIBER_BLOCKED;
    sched_make_ready(f);
    return f;
}

void fiber_yield(void)
{
    struct fiber *f = sched_require_fiber("fiber_yield");
    sched_make_ready(f);
    switch_to_loop();
}

static void sleep_done(struct timer *t, void *arg)
{
    sched_make_ready(arg);
}

void fiber_sleep_until(uint64_t deadline_ns)
{
    struct fiber *f = sched_require_fiber("fiber_sleep_until");
    if (deadline_ns <= platform_monotonic_ns()) {
        fiber_yield();
        return;
    }
    timer_init(&f->wake_timer, sleep_done, f);
    timer_arm(&f->wake_timer, deadline_ns);
    sched_block();
}

void fiber_sleep_ns(uint64_t ns)
{
    uint64_t now = platform_monotonic_ns();
    fiber_sleep_until(ns > DEADLINE_NONE - now ? DEADLINE_NONE : now + ns);
}

int fiber_join(struct fiber *f)
{
    kassert(f != NULL);
    if (f == sched_current)
        panic("fiber '%s' tried to join itself", f->name);
    if (f->detached)
        panic("fiber_join on detached fiber '%s'", f->name);
    if (f->joiner)
        panic("fiber '%s' already has a joiner", f->name);
    if (f->state != FIBER_DEAD) {
        struct fiber *self = sched_require_fiber("fiber_join (on a fiber still running)");
        f->joiner = self;
        sched_block();
        kassert(f->state == FIBER_DEAD);
    }
    int result = f->result;
    free_fiber(f);
    return result;
}

void fiber_detach(struct fiber *f)
{
    kassert(f != NULL);
    if (f->joiner)
        panic("fiber_detach on fiber '%s', which has a joiner", f->name);
    if (f->state == FIBER_DEAD)
        free_fiber(f);
    else
        f->detached = true;
}

struct fiber *fiber_by_guard_address(uintptr_t addr)
{
    for (struct list_node *n = all_fibers.next; n != &all_fibers; n = n->next) {
        struct fiber *f = container_of(n, struct fiber, all_link);
        uintptr_t low = (uintptr_t)f->stack, high = low + f->stack_size;
        if ((addr < low && low - addr <= PAGE_SIZE) || (addr >= high && addr - high < PAGE_SIZE))
            return f;
    }
    return NULL;
}

void fiber_stack_bounds(const struct fiber *f, uintptr_t *low, uintptr_t *high)
{
    *low = (uintptr_t)f->stack;
    *high = (uintptr_t)f->stack + f->stack_size;
}

void sched_set_watchdog(uint64_t period_ns, void (*pet)(void *arg), void *arg)
{
    watchdog.pet = pet;
    watchdog.arg = arg;
    watchdog.every_ns = period_ns / 2;
    watchdog.next_ns = platform_monotonic_ns() + watchdog.every_ns;
}

/* The loop came round at now: pets the watchdog if that is due. */
static void watchdog_tick(uint64_t now)
{
    if (!watchdog.pet || now < watchdog.next_ns)
        return;
    watchdog.next_ns = now + watchdog.every_ns;
    stats.watchdog_pets++;
    watchdog.pet(watchdog.arg);
}

/* Runs each fiber that is ready now, once; fibers readied meanwhile wait for the next pass. */
static void run_ready_fibers(void)
{
    for (size_t n = run_length; n > 0 && run_head; n--)
        switch_to_fiber(run_queue_pop());
}

void sched_run(bool (*done)(void *arg), void *arg)
{
    if (sched_current)
        panic("sched_run called from fiber '%s'", sched_current->name);
    for (;;) {
        if (done && done(arg))
            return;
        run_ready_fibers();
        uint64_t now = platform_monotonic_ns();
        timers_fire_expired(now, &stats.timers_fired);
        watchdog_tick(now);
        platform_wait_until(0);
        if (done && done(arg))
            return;
        if (run_head)
            continue;
        if (fibers_unfinished == 0 && timers_armed_count() == 0)
            return;
        uint64_t deadline = timers_earliest_deadline();
        if (watchdog.pet && deadline > watchdog.next_ns)
            deadline = watchdog.next_ns;   /* an idle loop still pets in time */
        if (deadline <= platform_monotonic_ns())
            continue;
        stats.idle_waits++;
        stack_cache_trim();
        /* Cached stacks are freed at their idle time even when nothing else would wake us. */
        if (stack_cache_len > 0 && deadline > stack_cache_last_use + FIBER_STACK_CACHE_IDLE_NS)
            deadline = stack_cache_last_use + FIBER_STACK_CACHE_IDLE_NS;
        platform_wait_until(deadline);
        stack_cache_trim();
        if (deadline == DEADLINE_NONE && !run_head && timers_armed_count() == 0)
            stats.stalls++;
    }
}
