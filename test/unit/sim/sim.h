/*
 * test/unit/sim: the simulated platform unit tests link instead of a real one. Its clock only
 * moves when the event loop would block (platform_wait_until jumps straight to the deadline), so
 * timer tests are exact and instant. Tests can register event sources (the in-memory network
 * pair does) that platform_wait_until dispatches, and read back what was printed.
 */
#ifndef XENOLITH_TEST_UNIT_SIM_SIM_H
#define XENOLITH_TEST_UNIT_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "platform/platform.h"
#include "xenolith/testing.h"

/* The calls an application's tests use too (sim_reset, sim_start_kernel, sim_now,
 * sim_advance_to, sim_run_until, sim_run_for, sim_console_output) are public:
 * xenolith/testing.h. */
void sim_set_cmdline(const char *cmdline);

/* Echo console output to stderr as well (default off; XENOLITH_SIM_ECHO=1 turns it on). */
void sim_console_echo(bool on);

/* An event source: `pending` says whether it has work; `dispatch` does it (wakes fibers etc.).
 * Earliest future time it will have work, or UINT64_MAX: `next_event_ns` (may be NULL). */
struct sim_event_source {
    bool (*pending)(void *ctx);
    void (*dispatch)(void *ctx);
    uint64_t (*next_event_ns)(void *ctx);
    void *ctx;
    struct sim_event_source *next;
};
void sim_add_event_source(struct sim_event_source *src);
void sim_remove_event_source(struct sim_event_source *src);

/* How many times the loop asked to block with no deadline and no pending event: a deadlock in
 * a test. platform_wait_until returns immediately in that case instead of hanging. */
uint64_t sim_deadlocks(void);


/* The RAM region handed to the page allocator (static, 32 MiB, page-aligned). */
#define SIM_RAM_BYTES (32u * 1024 * 1024)

/* platform_shutdown in the simulation exits the test process with 100 + reason, so Check's
 * exit tests (tcase_add_exit_test) can expect a crash: SIM_EXIT_CRASH. */
#define SIM_EXIT_BASE 100
#define SIM_EXIT_CRASH (SIM_EXIT_BASE + SHUTDOWN_CRASH)

#endif
