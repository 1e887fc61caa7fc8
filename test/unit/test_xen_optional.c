/*
 * Unit tests for xen/optional.h, the rules the Xen drivers follow when an application leaves a
 * part out (APP_XEN_WITHOUT, mk/app.mk): with every part the guest advertises what it did
 * before; without one, the toolstack and the backends are told nothing they could ask for.
 *  - suspend: control/feature-suspend is the guest's "I handle suspend" (Xen's
 *    docs/misc/xenstore-paths.pandoc, control/feature-*); without it xl refuses save/migrate.
 *  - netfront_offload: feature-sg, feature-gso-tcpv4 and multi-queue-num-queues are the
 *    frontend's requests (xen/io/netif.h): without them netback sends one slot per frame and
 *    one queue.
 *  - blkfront_write: a disk the backend attaches writable ("mode" "w", no VDISK_READONLY in
 *    "info", xen/io/blkif.h) is refused with -EROFS.
 */
#include <check.h>
#include <string.h>

#include "xen/optional.h"
#include "test/unit/xen_fixture.h"
#include "xenolith/test_main.h"

static bool lists(const char *nodes, const char *node)
{
    for (; *nodes; nodes += strlen(nodes) + 1)
        if (strcmp(nodes, node) == 0)
            return true;
    return false;
}

static unsigned count(const char *nodes)
{
    unsigned n = 0;
    for (; *nodes; nodes += strlen(nodes) + 1)
        n++;
    return n;
}

/* The value written for a frontend node, or 0 when the node is not written. */
static char netfront_value(uint32_t optionals, const char *node)
{
    for (const char *w = netfront_frontend_features(optionals); *w; w += strlen(w) + 3)
        if (strcmp(w, node) == 0)
            return w[strlen(w) + 1];
    return 0;
}

START_TEST(every_part_advertises_everything)
{
    const char *nodes = xen_control_features(XEN_OPTIONALS_ALL);
    ck_assert_uint_eq(count(nodes), 3);
    ck_assert(lists(nodes, "control/feature-poweroff"));
    ck_assert(lists(nodes, "control/feature-reboot"));
    ck_assert(lists(nodes, "control/feature-suspend"));
    ck_assert_int_eq(netfront_value(XEN_OPTIONALS_ALL, "feature-sg"), '1');
    ck_assert_int_eq(netfront_value(XEN_OPTIONALS_ALL, "feature-gso-tcpv4"), '1');
    ck_assert_uint_eq(netfront_queues_wanted(XEN_OPTIONALS_ALL, 4, 2), 2);
    ck_assert_uint_eq(netfront_queues_wanted(XEN_OPTIONALS_ALL, 0, 2), 1);
    ck_assert_int_eq(blkfront_mode_allowed(XEN_OPTIONALS_ALL, false), 0);
    ck_assert_int_eq(blkfront_mode_allowed(XEN_OPTIONALS_ALL, true), 0);
}
END_TEST

/* Without suspend the guest does not claim it: xl then refuses `xl save` at once. */
START_TEST(without_suspend_feature_suspend_is_not_written)
{
    uint32_t o = XEN_OPTIONALS_ALL & ~(uint32_t)XEN_OPTIONAL_SUSPEND;
    const char *nodes = xen_control_features(o);
    ck_assert_uint_eq(count(nodes), 2);
    ck_assert(!lists(nodes, "control/feature-suspend"));
    ck_assert(lists(nodes, "control/feature-poweroff"));   /* xl shutdown still works */
    ck_assert(lists(nodes, "control/feature-reboot"));
}
END_TEST

/* Without netfront_offload: no scatter-gather or GSO asked for, one queue whatever is offered,
 * and what every netfront needs still asked for. */
START_TEST(without_offload_only_single_slot_frames)
{
    uint32_t o = XEN_OPTIONALS_ALL & ~(uint32_t)XEN_OPTIONAL_NETFRONT_OFFLOAD;
    ck_assert_int_eq(netfront_value(o, "feature-sg"), 0);
    ck_assert_int_eq(netfront_value(o, "feature-gso-tcpv4"), 0);
    ck_assert_int_eq(netfront_value(o, "request-rx-copy"), '1');
    ck_assert_int_eq(netfront_value(o, "feature-rx-notify"), '1');
    ck_assert_int_eq(netfront_value(o, "feature-no-csum-offload"), '0');
    ck_assert_uint_eq(netfront_queues_wanted(o, 8, 2), 1);
}
END_TEST

/* Without blkfront_write a writable attachment is refused; a read-only one is taken. */
START_TEST(without_write_a_writable_disk_is_refused)
{
    uint32_t o = XEN_OPTIONALS_ALL & ~(uint32_t)XEN_OPTIONAL_BLKFRONT_WRITE;
    ck_assert_int_eq(blkfront_mode_allowed(o, false), -EROFS);
    ck_assert_int_eq(blkfront_mode_allowed(o, true), 0);
}
END_TEST

/* Parts are independent: leaving one out changes nothing of the others. */
START_TEST(parts_are_independent)
{
    uint32_t o = XEN_OPTIONAL_SUSPEND;
    ck_assert_uint_eq(count(xen_control_features(o)), 3);
    ck_assert_int_eq(netfront_value(o, "feature-sg"), 0);
    ck_assert_int_eq(blkfront_mode_allowed(o, false), -EROFS);
    o = XEN_OPTIONAL_NETFRONT_OFFLOAD | XEN_OPTIONAL_BLKFRONT_WRITE;
    ck_assert_uint_eq(count(xen_control_features(o)), 2);
    ck_assert_int_eq(netfront_value(o, "feature-sg"), '1');
    ck_assert_int_eq(blkfront_mode_allowed(o, false), 0);
}
END_TEST

static Suite *xen_optional_suite(void)
{
    Suite *s = suite_create("xen_optional");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, every_part_advertises_everything);
    tcase_add_test(tc, without_suspend_feature_suspend_is_not_written);
    tcase_add_test(tc, without_offload_only_single_slot_frames);
    tcase_add_test(tc, without_write_a_writable_disk_is_refused);
    tcase_add_test(tc, parts_are_independent);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(xen_optional_suite)
