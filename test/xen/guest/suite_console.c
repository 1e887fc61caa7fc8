/*
 * test/xen/guest/suite_console: PV console input. The test script (xen-console.sh) writes a
 * line to the console's pty in dom0 once it sees our prompt; we must read it from the "in"
 * ring, woken by the console's event channel.
 */
#include "test/xen/guest/xentest.h"
#include "lib/string.h"
#include "platform/platform.h"
#include "xen/xen.h"

#define SECOND 1000000000ull

void suite_console(void)
{
    kprintf("xentest: console: type a line\n");
    char line[128];
    size_t len = 0;
    uint64_t deadline = platform_monotonic_ns() + 60 * SECOND;
    int rc = 0;
    while (len + 1 < sizeof(line) && (len == 0 || line[len - 1] != '\n')) {
        long n = xen_console_read(line + len, sizeof(line) - 1 - len);
        if (n < 0) {
            rc = (int)n;
            break;
        }
        len += (size_t)n;
        if (n == 0 && (rc = xen_console_wait_input(deadline)) < 0)
            break;
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    line[len] = '\0';
    kprintf("xentest: console input: \"%s\"\n", line);
    xt_check(rc == 0 && strcmp(line, "ping from dom0") == 0, "console input read",
             "rc %d, %zu bytes", rc, len);
}
