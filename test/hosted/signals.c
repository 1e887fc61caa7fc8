/*
 * test/hosted/signals: a hosted test program for the SIGINT/SIGTERM path (test/hosted/run.sh).
 *   -- wait       waits in lifecycle_wait_shutdown and returns 0 once a shutdown is requested
 *   -- stubborn   waits likewise, then refuses to return, so a second SIGINT must end it
 * Each mode prints "signals: waiting for shutdown" once it is blocked, for the runner to
 * know when to send the signal.
 */
#include "kernel/kernel.h"
#include "lib/printf.h"
#include "sched/sched.h"

#include <string.h>

int app_main(int argc, char **argv)
{
    if (argc != 1 || (strcmp(argv[0], "wait") != 0 && strcmp(argv[0], "stubborn") != 0)) {
        kprintf("signals: usage: -- wait|stubborn\n");
        return 1;
    }
    kprintf("signals: waiting for shutdown\n");
    int rc = lifecycle_wait_shutdown(DEADLINE_NONE);
    kprintf("signals: shutdown requested (rc %d)\n", rc);
    if (strcmp(argv[0], "stubborn") == 0) {
        kprintf("signals: not returning\n");
        fiber_sleep_ns(60ull * 1000 * 1000 * 1000);
    }
    return rc;
}
