/*
 * Unit tests for the resume hooks (kernel/kernel.h) as the network bring-up uses them: after a
 * Xen restore or migration xen/suspend.c runs the hooks, and the hook net/netup.c registered at
 * bring-up announces every configured address (RFC 5227 3, ARP Announcements), so the bridge
 * learns the domain's new port. The simulated clock; the device is a capture device.
 */
#include "test/unit/net_core_fixture.h"
#include "kernel/kernel.h"
#include "net/netup.h"

#define ME IP4_ADDR(10, 0, 0, 2)

static struct pbuf_pool *rxpool;
static struct capture_dev cap;

/* net/netup.c's netup_start reads the kernel's options, which links the kernel's start and with
 * it a reference to the application; this program has none and never starts the kernel. */
int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    ck_abort_msg("the kernel was started");
    return 1;
}

/* The platform's device 0 is the capture device. */
struct netdev *platform_netdev_open(unsigned index, struct pbuf_pool *rx_pool)
{
    if (index != 0)
        return NULL;
    rxpool = rx_pool;
    capture_init(&cap, 0, rx_pool);
    return &cap.dev;
}

static unsigned announcements(void)
{
    unsigned n = 0;
    for (unsigned i = 0; i < cap.count; i++) {
        struct arp_view v;
        if (parse_arp(&cap, i, &v) && v.op == ARP_OP_REQUEST && v.spa == ME && v.tpa == ME &&
            memcmp(v.eth_dst, BCAST, 6) == 0)
            n++;
    }
    return n;
}

static void start(struct netup *n)
{
    struct kernel_options opts;
    memset(&opts, 0, sizeof(opts));
    uint32_t me = ME;
    memcpy(opts.ip_addr, &me, 4);
    opts.ip_prefix_len = 24;
    ck_assert_int_eq(netup_start_options(n, "test", &opts, NULL, NULL), 0);
    run_for(10 * SEC);
    ck_assert_uint_eq(announcements(), 2);   /* the address's own announcement (RFC 5227 2.3) */
    cap.count = 0;
}

/* Xen interface rule for a restored or migrated domain: its backends and the bridge port are
 * new, so the guest must announce itself (as Linux's netfront does with a NETDEV_NOTIFY_PEERS).
 * Without the hook netup registers, running the resume hooks sends nothing. */
START_TEST(resume_hooks_announce_the_brought_up_addresses)
{
    core_boot();
    struct netup n;
    start(&n);
    lifecycle_run_resume_hooks();
    run_for(10 * SEC);
    ck_assert_uint_eq(announcements(), 2);
    ck_assert_uint_eq(cap.when[1] - cap.when[0], 2 * SEC);
    /* A second bring-up does not register the hook twice: still one announcement pair. */
    netup_stop(&n);
    start(&n);
    lifecycle_run_resume_hooks();
    run_for(10 * SEC);
    ck_assert_uint_eq(announcements(), 2);
    /* Once the network is down, the hook finds nothing to announce and touches nothing. */
    netup_stop(&n);
    cap.count = 0;
    lifecycle_run_resume_hooks();
    run_for(10 * SEC);
    ck_assert_uint_eq(cap.count, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("suspend_resume_hooks");
    TCase *tc = tcase_create("netup");
    tcase_add_test(tc, resume_hooks_announce_the_brought_up_addresses);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
