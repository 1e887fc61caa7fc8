/*
 * test/xen/guest: the xentest image, the in-kernel half of the real-Xen tests (make test-xen,
 * test/xen/xen-*.sh). app_main runs the suites named after "--" (time, xenstore, grants,
 * xenbus, console, shutdown) and prints one line per check, "xentest: ok|FAIL <name>: ...",
 * then "xentest: N passed, M failed". The dom0 half of some checks (mapping a granted page,
 * acting as a device backend, typing on the console) is done by the test script, which talks
 * to the guest through nodes under data/xentest in xenstore.
 */
#ifndef XENOLITH_TEST_XEN_GUEST_XENTEST_H
#define XENOLITH_TEST_XEN_GUEST_XENTEST_H

#include <stdbool.h>
#include "lib/printf.h"

/* Records one check: prints ok or FAIL with the formatted detail. Returns `ok`. */
bool xt_check(bool ok, const char *name, const char *fmt, ...) PRINTF_LIKE(3, 4);

void suite_time(void);
void suite_soak(void);
void suite_xenstore(void);
void suite_grants(void);
void suite_xenbus(void);
void suite_console(void);

#endif
