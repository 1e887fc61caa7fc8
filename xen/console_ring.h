/*
 * xen/console_ring: the producer side of the PV console's "out" ring and the consumer side of
 * its "in" ring, as pure memory
 * operations (no hypercalls), so the ring rules are unit-tested on the host
 * (test/unit/test_xen_console_ring.c) and xen/console.c only adds notification and waiting.
 *
 * The rules (<xen/io/console.h>): out_prod and out_cons are free-running 32-bit counters, the
 * byte for index i lives at out[MASK_XENCONS_IDX(i, out)], the producer owns out_prod and the
 * consumer out_cons, and prod - cons (mod 2^32) never exceeds the ring's size. Bytes must be in
 * the ring before the new out_prod is visible (release), and the consumer's reads of released
 * slots happen before we reuse them (acquire on out_cons).
 */
#ifndef XENOLITH_XEN_CONSOLE_RING_H
#define XENOLITH_XEN_CONSOLE_RING_H

#include <stddef.h>
#include <stdint.h>

#include <xen/io/console.h>

/* Bytes written and not yet consumed, or -1 if the indices are impossible (a corrupt ring). */
static inline long xencons_out_pending(volatile struct xencons_interface *ring)
{
    XENCONS_RING_IDX cons = __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE);
    XENCONS_RING_IDX used = ring->out_prod - cons;
    return used > sizeof(ring->out) ? -1 : (long)used;
}

/* Copies as much of buf[0, len) as fits and publishes it. Returns the number of bytes taken
 * (0 when the ring is full), or -1 without touching the ring if its indices are corrupt. */
static inline long xencons_out_put(volatile struct xencons_interface *ring, const char *buf,
                                   size_t len)
{
    long pending = xencons_out_pending(ring);
    if (pending < 0)
        return -1;
    size_t space = sizeof(ring->out) - (size_t)pending;
    size_t n = len < space ? len : space;
    XENCONS_RING_IDX prod = ring->out_prod;
    for (size_t i = 0; i < n; i++)
        ring->out[MASK_XENCONS_IDX(prod + (XENCONS_RING_IDX)i, ring->out)] = buf[i];
    __atomic_store_n(&ring->out_prod, prod + (XENCONS_RING_IDX)n, __ATOMIC_RELEASE);
    return (long)n;
}

/* Input bytes waiting (0 also when the indices are impossible: xencons_in_get reports that). */
static inline long xencons_in_pending(volatile struct xencons_interface *ring)
{
    XENCONS_RING_IDX avail = __atomic_load_n(&ring->in_prod, __ATOMIC_ACQUIRE) - ring->in_cons;
    return avail > sizeof(ring->in) ? 0 : (long)avail;
}

/* The consumer side of the "in" ring (keyboard input from the back end): copies up to len
 * pending bytes into buf and releases their slots. Returns bytes taken, or -1 without
 * consuming anything if the indices are impossible. */
static inline long xencons_in_get(volatile struct xencons_interface *ring, char *buf, size_t len)
{
    XENCONS_RING_IDX prod = __atomic_load_n(&ring->in_prod, __ATOMIC_ACQUIRE);
    XENCONS_RING_IDX cons = ring->in_cons;
    XENCONS_RING_IDX avail = prod - cons;
    if (avail > sizeof(ring->in))
        return -1;
    size_t n = len < avail ? len : avail;
    for (size_t i = 0; i < n; i++)
        buf[i] = ring->in[MASK_XENCONS_IDX(cons + (XENCONS_RING_IDX)i, ring->in)];
    __atomic_store_n(&ring->in_cons, cons + (XENCONS_RING_IDX)n, __ATOMIC_RELEASE);
    return (long)n;
}

#endif
