/*
 * xenolith/testing.h: unit tests of an application on the simulated platform (`make APP_DIR=DIR
 * app-unit` links every DIR/test_*.c with it; the project's own unit tests use the same one).
 * Nothing here is part of an appliance image.
 *
 * The simulated clock moves only when a test moves it, or when every fiber is blocked and the
 * event loop jumps straight to the next deadline: time-dependent rules are checked exactly and at
 * once. The console is captured, so a test can read what the application printed.
 *
 * A test that runs fibers:
 *     sim_start_kernel(0);                       clock at 0, memory and scheduler ready
 *     struct fiber *f = fiber_spawn("x", fn, arg, 0);
 *     sim_run_until(5 * NS_PER_S);               runs fibers and timers until 5 s of simulated time
 * A test of pure code that reads the clock needs only sim_reset and sim_advance_to.
 * Check runs each test in its own process, so every test starts from a fresh machine.
 */
#ifndef XENOLITH_PUBLIC_TESTING_H
#define XENOLITH_PUBLIC_TESTING_H

#include <stdint.h>

/* Sets the clock to start_ns and clears the console capture and the event sources. */
void sim_reset(uint64_t start_ns);
/* sim_reset, then (once per test process) hands the simulated RAM to the page allocator and
 * starts the scheduler, so fibers, timers, wait queues, kmalloc and the network stack work. */
void sim_start_kernel(uint64_t start_ns);
/* The simulated monotonic clock (what platform_monotonic_ns answers). */
uint64_t sim_now(void);
/* Moves the clock forward to ns without running anything (never backwards). */
void sim_advance_to(uint64_t ns);
/* Runs ready fibers, expired timers and event sources until the clock reaches `when` (a time
 * already past counts as now); the clock ends exactly at `when`. Needs sim_start_kernel. */
void sim_run_until(uint64_t when);
/* sim_run_until(sim_now() + ns). */
void sim_run_for(uint64_t ns);
/* Everything printed (kprintf, log_*) since the last reset, NUL-terminated. */
const char *sim_console_output(void);

#endif
