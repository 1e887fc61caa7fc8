/*
 * sched/timer: armed timers in a pairing heap ordered by (deadline, arming sequence), so the
 * earliest deadline is at the root and equal deadlines fire in arming order. The heap's links live
 * in the timers themselves (leftmost child, next sibling, and the previous sibling or, for a
 * leftmost child, the parent), so arming never allocates and cannot fail for want of memory, and
 * nothing stays allocated after a burst of timers. Arming is O(1); taking the earliest, re-arming
 * and cancelling cost O(log n) amortized (the two-pass pairing of the removed node's children).
 */
#include "sched/sched_internal.h"
#include "lib/panic.h"

static struct timer *root;
static size_t armed_count;
static uint64_t next_arm_seq;
/* The root's heap_prev: armed, with no parent or sibling. Never dereferenced. */
static struct timer root_mark;

void timers_reset(void)
{
    root = NULL;
    armed_count = 0;
    next_arm_seq = 0;
}

static bool fires_before(const struct timer *a, const struct timer *b)
{
    if (a->deadline_ns != b->deadline_ns)
        return a->deadline_ns < b->deadline_ns;
    return a->arm_seq < b->arm_seq;
}

/* Two heaps into one: the later root becomes the earlier one's leftmost child. Both arguments are
 * roots (their heap_prev and heap_next are not read); the result's are left to the caller. */
static struct timer *meld(struct timer *a, struct timer *b)
{
    if (fires_before(b, a)) {
        struct timer *t = a;
        a = b;
        b = t;
    }
    b->heap_prev = a;
    b->heap_next = a->heap_child;
    if (a->heap_child)
        a->heap_child->heap_prev = b;
    a->heap_child = b;
    return a;
}

/* One heap of a sibling list: its members melded in pairs from the left, then the pairs from
 * the right (the two-pass pairing that gives the amortized bound). Without recursion: the first
 * pass chains its results through heap_next, last first. */
static struct timer *merge_siblings(struct timer *first)
{
    struct timer *pairs = NULL;
    while (first) {
        struct timer *a = first, *b = a->heap_next;
        if (!b) {
            a->heap_next = pairs;
            pairs = a;
            break;
        }
        first = b->heap_next;
        struct timer *m = meld(a, b);
        m->heap_next = pairs;
        pairs = m;
    }
    if (!pairs)
        return NULL;
    struct timer *result = pairs;
    pairs = pairs->heap_next;
    while (pairs) {
        struct timer *next = pairs->heap_next;
        result = meld(result, pairs);
        pairs = next;
    }
    return result;
}

static void set_root(struct timer *t)
{
    root = t;
    if (t) {
        t->heap_prev = &root_mark;
        t->heap_next = NULL;
    }
}

static void heap_remove(struct timer *t)
{
    struct timer *sub = merge_siblings(t->heap_child);
    if (t == root) {
        set_root(sub);
    } else {
        if (t->heap_prev->heap_child == t)          /* leftmost: heap_prev is the parent */
            t->heap_prev->heap_child = t->heap_next;
        else
            t->heap_prev->heap_next = t->heap_next;
        if (t->heap_next)
            t->heap_next->heap_prev = t->heap_prev;
        if (sub)
            set_root(meld(root, sub));
    }
    t->heap_prev = t->heap_next = t->heap_child = NULL;
    armed_count--;
}

void timer_init(struct timer *t, void (*callback)(struct timer *t, void *arg), void *arg)
{
    t->deadline_ns = 0;
    t->callback = callback;
    t->arg = arg;
    t->heap_prev = NULL;             /* not armed; the other links are set when it is */
    t->arm_seq = 0;
}

void timer_arm(struct timer *t, uint64_t deadline_ns)
{
    kassert(t->callback != NULL);
    if (timer_armed(t))
        heap_remove(t);
    t->deadline_ns = deadline_ns;
    t->arm_seq = next_arm_seq++;
    t->heap_child = NULL;
    set_root(root ? meld(root, t) : t);
    armed_count++;
}

void timer_cancel_armed(struct timer *t)
{
    heap_remove(t);
}

size_t timers_armed_count(void)
{
    return armed_count;
}

uint64_t timers_earliest_deadline(void)
{
    return root ? root->deadline_ns : DEADLINE_NONE;
}

void timers_fire_expired(uint64_t now_ns, uint64_t *fired)
{
    /* Only timers armed before this pass fire in it (see sched.h). */
    uint64_t pass_seq = next_arm_seq;
    while (root && root->deadline_ns <= now_ns && root->arm_seq < pass_seq) {
        struct timer *t = root;
        heap_remove(t);
        (*fired)++;
        t->callback(t, t->arg);
    }
}
