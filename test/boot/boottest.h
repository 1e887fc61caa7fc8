/*
 * test/boot: in-kernel tests run by build/xen/boottest under QEMU (make test-boot). Each test
 * returns NULL when it passes, or why it failed (boot_fail formats into a static buffer).
 * The tests run on the real machine: real page tables, traps, memory map, LAPIC and TSC.
 */
#ifndef XENOLITH_TEST_BOOT_BOOTTEST_H
#define XENOLITH_TEST_BOOT_BOOTTEST_H

#include <stddef.h>
#include <stdint.h>
#include "lib/printf.h"

struct boot_test {
    const char *name;
    const char *(*run)(void);
};

const char *boot_fail(const char *fmt, ...) PRINTF_LIKE(1, 2);

/* Hides a value from the optimizer (an out-of-line identity function), so it cannot prove a
 * pointer NULL or a divisor zero and replace the faulting access with something else. */
uintptr_t boot_opaque(uintptr_t value);
#define OPAQUE(v) ((__typeof__(v))boot_opaque((uintptr_t)(v)))

extern const struct boot_test boot_tests_traps[];
extern const size_t boot_tests_traps_count;
extern const struct boot_test boot_tests_memory[];
extern const size_t boot_tests_memory_count;
extern const struct boot_test boot_tests_sched[];
extern const size_t boot_tests_sched_count;

#endif
