/*
 * arch/x86_64/irq: external interrupts for drivers (the Xen event-channel upcall vector).
 * The kernel runs with interrupts disabled except inside platform_wait_until's halt,
 * so a handler never interrupts portable code: it runs, marks work pending and returns.
 * Real work happens in the event dispatcher, which platform_wait_until calls in loop context
 * after every wake-up (and when polled with deadline 0).
 */
#ifndef XENOLITH_ARCH_X86_64_IRQ_H
#define XENOLITH_ARCH_X86_64_IRQ_H

#include <stdint.h>

/* Vectors drivers may claim. The LAPIC timer and spurious vectors lie outside this range. */
#define IRQ_VECTOR_DRIVER_FIRST 0x50
#define IRQ_VECTOR_DRIVER_LAST 0xdf

typedef void (*irq_handler_fn)(unsigned vector);

/* Installs fn for vector (NULL removes it). Returns 0, or -EINVAL outside the driver range,
 * -EBUSY if another handler holds the vector. The LAPIC is sent its EOI after fn returns. */
int irq_set_handler(unsigned vector, irq_handler_fn fn);

/* The one event dispatcher (Xen event channels); NULL removes it. */
void irq_set_event_dispatcher(void (*dispatch)(void));

#endif
