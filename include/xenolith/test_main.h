/*
 * xenolith/test_main.h: the main() of a unit test program (Check), the one every test_*.c of
 * the project and of an application ends with:
 *
 *     static Suite *service_suite(void)
 *     {
 *         ...suite_create, tcase_create, tcase_add_test...
 *     }
 *
 *     TEST_MAIN(service_suite)
 *
 * The program runs the suite (each test in its own child process, Check's default), prints
 * Check's per-test lines and its "NN%: Checks: C, Failures: F, Errors: E" summary (which
 * `make test-unit` and `make app-unit` add up) and exits 0 when every test passed, 1 otherwise.
 * Fixtures, timeouts and loops belong in the suite function; the runner has no options.
 * Only for test files (it needs Check's <check.h>); never part of an image.
 */
#ifndef XENOLITH_PUBLIC_TEST_MAIN_H
#define XENOLITH_PUBLIC_TEST_MAIN_H

#include <check.h>

/* Runs every test of `suite` and frees it; 0 when all passed, 1 otherwise. */
static inline int test_run_suite(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}

/* The program's main(): runs the suite make_suite() returns. */
#define TEST_MAIN(make_suite)                                                                      \
    int main(void)                                                                                 \
    {                                                                                              \
        return test_run_suite(make_suite());                                                       \
    }

#endif
