/*
 * sched/timer: armed timers in a binary min-heap ordered by (deadline, arming sequence), so
 * the earliest deadline is at the root and equal deadlines fire in arming order. Each timer
 * records its heap position (heap_index), which makes re-arm and cancel O(log n). The array
 * grows by doubling and halves once it is a quarter full (never below its initial size), so a
 * burst of connections with their timers does not leave its high-water mark allocated.
 */
#include "sched/sched_internal.h"
#include "lib/panic.h"
#include "mm/mm.h"

#define TIMER_HEAP_INITIAL 64

static struct timer **heap;
static size_t heap_len, heap_cap;
static uint64_t next_arm_seq;

void timers_reset(void)
{
    /* Not freed: a reset may follow a fresh page_allocator_init (tests), which already took
     * the old array's memory back. */
    heap = NULL;
    heap_len = heap_cap = 0;
    next_arm_seq = 0;
}

static bool fires_before(const struct timer *a, const struct timer *b)
{
    if (a->deadline_ns != b->deadline_ns)
        return a->deadline_ns < b->deadline_ns;
    return a->arm_seq < b->arm_seq;
}

static void place(struct timer *t, size_t i)
{
    heap[i] = t;
    t->heap_index = (long)i;
}

static void sift_up(size_t i)
{
    struct timer *t = heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!fires_before(t, heap[parent]))
            break;
        place(heap[parent], i);
        i = parent;
    }
    place(t, i);
}

static void sift_down(size_t i)
{
    struct timer *t = heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= heap_len)
            break;
        if (child + 1 < heap_len && fires_before(heap[child + 1], heap[child]))
            child++;
        if (!fires_before(heap[child], t))
            break;
        place(heap[child], i);
        i = child;
    }
    place(t, i);
}

void timer_init(struct timer *t, void (*callback)(struct timer *t, void *arg), void *arg)
{
    t->deadline_ns = 0;
    t->callback = callback;
    t->arg = arg;
    t->heap_index = -1;
    t->arm_seq = 0;
}

bool timer_armed(const struct timer *t)
{
    return t->heap_index >= 0;
}

static void shrink_if_sparse(void)
{
    if (heap_cap <= TIMER_HEAP_INITIAL || heap_len > heap_cap / 4)
        return;
    struct timer **smaller = krealloc(heap, heap_cap / 2 * sizeof(*heap));
    if (!smaller)
        return;   /* keeping the larger array is harmless */
    heap = smaller;
    heap_cap /= 2;
}

static void heap_remove_at(size_t i)
{
    struct timer *t = heap[i];
    t->heap_index = -1;
    heap_len--;
    if (i < heap_len) {
        struct timer *moved = heap[heap_len];
        place(moved, i);
        if (i > 0 && fires_before(moved, heap[(i - 1) / 2]))
            sift_up(i);
        else
            sift_down(i);
    }
    shrink_if_sparse();
}

void timer_arm(struct timer *t, uint64_t deadline_ns)
{
    kassert(t->callback != NULL);
    if (timer_armed(t))
        heap_remove_at((size_t)t->heap_index);
    if (heap_len == heap_cap) {
        size_t cap = heap_cap ? heap_cap * 2 : TIMER_HEAP_INITIAL;
        struct timer **grown = krealloc(heap, cap * sizeof(*heap));
        if (!grown)
            panic("timers: no memory to arm a timer (%zu armed)", heap_len);
        heap = grown;
        heap_cap = cap;
    }
    t->deadline_ns = deadline_ns;
    t->arm_seq = next_arm_seq++;
    heap_len++;
    place(t, heap_len - 1);
    sift_up(heap_len - 1);
}

void timer_cancel(struct timer *t)
{
    if (!timer_armed(t))
        return;
    kassert((size_t)t->heap_index < heap_len && heap[t->heap_index] == t);
    heap_remove_at((size_t)t->heap_index);
}

size_t timers_armed_count(void)
{
    return heap_len;
}

uint64_t timers_earliest_deadline(void)
{
    return heap_len ? heap[0]->deadline_ns : DEADLINE_NONE;
}

void timers_fire_expired(uint64_t now_ns, uint64_t *fired)
{
    /* Only timers armed before this pass fire in it (see sched.h). */
    uint64_t pass_seq = next_arm_seq;
    while (heap_len && heap[0]->deadline_ns <= now_ns && heap[0]->arm_seq < pass_seq) {
        struct timer *t = heap[0];
        heap_remove_at(0);
        (*fired)++;
        t->callback(t, t->arg);
    }
}
