/*
 * Unit tests for the echo appliance's resolve= fiber (resolve.c) on the simulated clock: the wait
 * for the stack's address ends at the instant a shutdown is requested (its shutdown request hook
 * wakes it), not at its next look at the address; and an address arriving ends it at the next
 * look. The stack is one end of the in-memory pair, without an address until the test gives one.
 */
#include <check.h>
#include <stdlib.h>

#include "echo.h"
#include "net/dev/pair.h"
#include "platform/netdev.h"
#include "test/unit/net_ip_fixture.h"
#include "xenolith/app.h"
#include "xenolith/test_main.h"

/* The lifecycle (kernel/start.c) also starts the application, and the appliance's own app_main
 * brings up a real network device, which the simulated platform has not: none to start here. */
int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* net_ipv4_addr lives with the network bring-up (net/netup.c), which opens the platform's
 * device: the simulated platform has none, and this program makes its stack on the pair. */
struct netdev *platform_netdev_open(unsigned index, struct pbuf_pool *rx_pool)
{
    (void)index;
    (void)rx_pool;
    return NULL;
}

static struct pbuf_pool *pool_a, *pool_b;
static struct netdev_pair *pair;
static struct netstack *stack;
static struct resolver_job job;

static void setup(void)
{
    net_ip_fixture_boot();
    pool_a = pbuf_pool_create("a.rx", 64);
    pool_b = pbuf_pool_create("b.rx", 64);
    pair = netdev_pair_create("p", 9, 1500, 0, pool_a, pool_b);
    ck_assert_ptr_nonnull(pair);
    stack = netstack_create(netdev_pair_end(pair, 0));
    ck_assert_ptr_nonnull(stack);
    memset(&job, 0, sizeof(job));
    ck_assert_int_eq(resolve_parse("www.test", &job.requests[0]), 0);
    job.count = 1;
}

static bool resolve_done(void)
{
    return strstr(sim_console_output(), "echo: resolve: done") != NULL;
}

START_TEST(shutdown_ends_the_wait_for_an_address_at_once)
{
    ck_assert_int_eq(resolve_start(&job, stack), 0);
    /* 1.55 s: between two looks at the address (every 100 ms from the start) */
    run_for(1550 * MS);
    ck_assert(!resolve_done());
    lifecycle_request_shutdown(SHUTDOWN_SUCCESS);
    run_for(1); /* the fiber runs; the clock barely moves, not to the next look */
    ck_assert(resolve_done());
    /* nothing was asked: no name was resolved after the request */
    ck_assert_ptr_null(strstr(sim_console_output(), "resolve www.test"));
    resolve_stop(&job);
}
END_TEST

START_TEST(an_address_ends_the_wait_at_the_next_look)
{
    ck_assert_int_eq(resolve_start(&job, stack), 0);
    run_for(1550 * MS);
    ck_assert(!resolve_done());
    /* no DNS server: the resolution fails at once, and says so */
    struct ipv4_config cfg = {.addr = IP4_ADDR(10, 9, 0, 1), .prefix_len = 24};
    ck_assert_int_eq(netstack_set_ipv4_config(stack, &cfg), 0);
    run_for(60 * MS); /* the next look is 50 ms away */
    ck_assert(resolve_done());
    ck_assert_ptr_nonnull(strstr(sim_console_output(), "resolve www.test A: no DNS server"));
    resolve_stop(&job);
}
END_TEST

static Suite *echo_resolve_suite(void)
{
    Suite *s = suite_create("echo_resolve");
    TCase *tc = tcase_create("wait");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, shutdown_ends_the_wait_for_an_address_at_once);
    tcase_add_test(tc, an_address_ends_the_wait_at_the_next_look);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(echo_resolve_suite)
