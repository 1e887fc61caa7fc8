/*
 * Unit tests for xen/netfront_conn.c: a netfront queue's pages go back only under the
 * grant-lifetime rule (xen/grants.h: a page is freed after its grant ended; a page the backend
 * still maps, GTF_reading/GTF_writing in Xen's grant_entry_v1, is quarantined until it unmaps),
 * a device's grants (live queues plus its quarantine) stay under NETFRONT_GRANT_CAP, and
 * reconnections back off and stop (issue 13, finding 4). The grant table, the allocator, the
 * quarantine and the backend's mappings are the fake of test/unit/netfront_grant_fake.h.
 */
#include <check.h>

#define FAKE_CHECK(cond, what) ck_assert_msg((cond), "%s", (what))
#include "test/unit/netfront_grant_fake.h"
#include "xenolith/test_main.h"

#define SECOND 1000000000ull

static struct nf_grant_fake fake;
static struct netfront_queue_pages queues[2];
static struct netfront_page_ops ops;

static void setup(void)
{
    fake_init(&fake);
    ops = fake_ops(&fake);
    memset(queues, 0, sizeof(queues));
}

static bool connect_queues(unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (netfront_queue_pages_grant(&queues[i], &ops) < 0)
            return false;
    return true;
}

static unsigned release_queues(unsigned n)
{
    unsigned held = 0;
    for (unsigned i = 0; i < n; i++)
        held += netfront_queue_pages_release(&queues[i], &ops);
    return held;
}

/* Issue 13 finding 4: a backend that maps every page and cycles Closing -> InitWait. Before, each
 * cycle kept the mapped pages and their grants for good and reconnected at once: the 2040
 * references ran out in 3-4 cycles and blkfront failed. Now the device's grants (live plus
 * quarantined) never pass the cap, the rest of the table stays for other devices, and every
 * page comes back once the backend unmaps it. */
START_TEST(reconnect_cycles_with_a_mapping_backend_stay_under_the_cap)
{
    struct netfront_reconnect r = { 0 };
    uint64_t now = 10 * SECOND, not_before;
    unsigned connections = 0, refused_over_cap = 0;
    for (unsigned cycle = 0; cycle < 20; cycle++) {
        enum netfront_reconnect_verdict v =
            netfront_reconnect_decide(&r, now, fake.held, 2, &not_before);
        if (v == NETFRONT_RECONNECT_WAIT) {
            ck_assert_uint_gt(not_before, now);
            now = not_before;
            v = netfront_reconnect_decide(&r, now, fake.held, 2, &not_before);
        }
        if (v == NETFRONT_RECONNECT_OVER_CAP) {
            refused_over_cap++;
            now += SECOND;
            continue;
        }
        ck_assert_int_eq(v, NETFRONT_RECONNECT_NOW);
        ck_assert(connect_queues(2));
        connections++;
        netfront_reconnect_up(&r, now);
        ck_assert_uint_le(fake_grants_in_use(&fake), NETFRONT_GRANT_CAP);
        fake_backend_map_all(&fake, true);       /* the backend maps everything */
        now += SECOND;
        ck_assert_uint_eq(release_queues(2), 2 * NETFRONT_GRANTS_PER_QUEUE);
        netfront_reconnect_down(&r, now);
        ck_assert_uint_eq(fake.held, 2 * NETFRONT_GRANTS_PER_QUEUE);
        ck_assert_uint_le(fake_grants_in_use(&fake), NETFRONT_GRANT_CAP);
        ck_assert_uint_eq(fake_retry_quarantine(&fake), fake.held);   /* still mapped */
    }
    ck_assert_uint_eq(connections, 1);
    ck_assert_uint_eq(refused_over_cap, 19);
    /* Another device (blkfront) still finds the rest of the table. */
    unsigned other = 0;
    while (grants_core_grant(&fake.core, 1, 0, false) >= 0)
        other++;
    ck_assert_uint_ge(other, FAKE_ENTRIES - GRANTS_FIRST_FREE - NETFRONT_GRANT_CAP);
    for (uint32_t ref = GRANTS_FIRST_FREE; ref < FAKE_ENTRIES; ref++)
        if (fake.entries[ref].domid == 1)
            ck_assert_int_eq(grants_core_end(&fake.core, ref), 0);

    /* The backend unmaps, late: the quarantine gives every page back, the device reconnects. */
    fake_backend_map_all(&fake, false);
    ck_assert_uint_eq(fake_retry_quarantine(&fake), 0);
    ck_assert_uint_eq(fake.held, 0);
    ck_assert_uint_eq(fake_pages_in_use(&fake), 0);
    ck_assert_uint_eq(fake_grants_in_use(&fake), 0);
    ck_assert_int_eq(netfront_reconnect_decide(&r, now + NETFRONT_RECONNECT_MAX_NS, fake.held, 2,
                                               &not_before), NETFRONT_RECONNECT_NOW);
    ck_assert(connect_queues(2));
    ck_assert_uint_eq(release_queues(2), 0);
    ck_assert_uint_eq(fake_pages_in_use(&fake), 0);
}
END_TEST

/* A slow but honest backend unmaps some pages only after our close timed out: those pages are
 * quarantined, the others freed at once; the late ones come back when it unmaps. */
START_TEST(late_unmap_returns_quarantined_pages)
{
    ck_assert(connect_queues(1));
    fake_backend_map(&fake, queues[0].tx_ring_ref, true);
    fake_backend_map(&fake, queues[0].rx_ring_ref, true);
    fake_backend_map(&fake, queues[0].rx_grefs[7], true);
    uint32_t rx_ring_ref = queues[0].rx_ring_ref;
    ck_assert_uint_eq(release_queues(1), 3);
    ck_assert_ptr_null(queues[0].rx_sring);                 /* forgotten by the queue */
    ck_assert_uint_eq(fake.held, 3);
    ck_assert_uint_eq(fake_pages_in_use(&fake), 3);
    ck_assert_uint_eq(fake_grants_in_use(&fake), 3);
    ck_assert(netfront_grants_allow(fake.held, 1));
    ck_assert(!netfront_grants_allow(fake.held, 2));       /* 3 + 1028 > 1028 */
    fake_backend_map(&fake, rx_ring_ref, false);
    ck_assert_uint_eq(fake_retry_quarantine(&fake), 2);
    fake_backend_map_all(&fake, false);
    ck_assert_uint_eq(fake_retry_quarantine(&fake), 0);
    ck_assert_uint_eq(fake_pages_in_use(&fake), 0);
    ck_assert(netfront_grants_allow(fake.held, 2));
}
END_TEST

/* Running out of grants half way through a queue gives back what was granted. */
START_TEST(failed_grant_releases_the_partial_queue)
{
    fake.grants_left = 300;
    ck_assert_int_eq(netfront_queue_pages_grant(&queues[0], &ops), -ENOMEM);
    ck_assert_uint_eq(fake_pages_in_use(&fake), 0);
    ck_assert_uint_eq(fake_grants_in_use(&fake), 0);
    ck_assert_ptr_null(queues[0].tx_sring);
}
END_TEST

/* Reconnections back off 1, 2, 4 ... 32 s and stop after NETFRONT_RECONNECT_LIMIT in a row; a
 * connection that lasted NETFRONT_RECONNECT_STABLE_NS starts the count again. */
START_TEST(reconnect_backs_off_and_gives_up)
{
    struct netfront_reconnect r = { 0 };
    uint64_t now = 5 * SECOND, not_before = 0;
    ck_assert_int_eq(netfront_reconnect_decide(&r, now, 0, 2, &not_before), NETFRONT_RECONNECT_NOW);
    uint64_t expected = NETFRONT_RECONNECT_FIRST_NS;
    for (unsigned i = 1; i <= NETFRONT_RECONNECT_LIMIT; i++) {
        netfront_reconnect_up(&r, now);
        now += SECOND;                               /* up one second: a cycle */
        netfront_reconnect_down(&r, now);
        ck_assert_int_eq(netfront_reconnect_decide(&r, now, 0, 2, &not_before),
                         NETFRONT_RECONNECT_WAIT);
        ck_assert_uint_eq(not_before - now, expected);
        ck_assert_int_eq(netfront_reconnect_decide(&r, not_before - 1, 0, 2, &not_before),
                         NETFRONT_RECONNECT_WAIT);
        now = r.not_before;
        ck_assert_int_eq(netfront_reconnect_decide(&r, now, 0, 2, &not_before),
                         NETFRONT_RECONNECT_NOW);
        expected = expected * 2 > NETFRONT_RECONNECT_MAX_NS ? NETFRONT_RECONNECT_MAX_NS
                                                            : expected * 2;
    }
    netfront_reconnect_up(&r, now);
    netfront_reconnect_down(&r, now + SECOND);
    ck_assert_int_eq(netfront_reconnect_decide(&r, now + 100 * SECOND, 0, 2, &not_before),
                     NETFRONT_RECONNECT_GIVE_UP);

    /* a stable connection resets the count */
    struct netfront_reconnect s = { 0 };
    for (unsigned i = 0; i < 5; i++) {
        netfront_reconnect_up(&s, now);
        netfront_reconnect_down(&s, now + SECOND);
        now = s.not_before;
    }
    netfront_reconnect_up(&s, now);
    netfront_reconnect_down(&s, now + NETFRONT_RECONNECT_STABLE_NS);
    ck_assert_uint_eq(s.attempts, 1);
    ck_assert_uint_eq(s.not_before, now + NETFRONT_RECONNECT_STABLE_NS + NETFRONT_RECONNECT_FIRST_NS);
    /* failed attempts (never up) back off too */
    netfront_reconnect_down(&s, s.not_before);
    ck_assert_uint_eq(s.attempts, 2);
}
END_TEST

START_TEST(cap_leaves_the_table_to_other_devices)
{
    /* Xen's table as xen/grants.c maps it: 4 frames of 512 v1 entries, 8 reserved. */
    ck_assert_uint_eq(NETFRONT_GRANTS_PER_QUEUE, 2 + NETFRONT_TX_SLOTS + NETFRONT_RX_SLOTS);
    ck_assert_uint_ge(4 * 512 - GRANTS_FIRST_FREE - NETFRONT_GRANT_CAP, 1000);
    ck_assert(netfront_grants_allow(0, 2));
    ck_assert(!netfront_grants_allow(1, 2));
    ck_assert(netfront_grants_allow(NETFRONT_GRANTS_PER_QUEUE, 1));
    struct netfront_reconnect r = { 0 };
    uint64_t nb;
    ck_assert_int_eq(netfront_reconnect_decide(&r, 0, NETFRONT_GRANT_CAP, 1, &nb),
                     NETFRONT_RECONNECT_OVER_CAP);
}
END_TEST

static Suite *netfront_conn_suite(void)
{
    Suite *s = suite_create("netfront_conn");
    TCase *tc = tcase_create("conn");
    tcase_add_checked_fixture(tc, setup, NULL);
    tcase_add_test(tc, reconnect_cycles_with_a_mapping_backend_stay_under_the_cap);
    tcase_add_test(tc, late_unmap_returns_quarantined_pages);
    tcase_add_test(tc, failed_grant_releases_the_partial_queue);
    tcase_add_test(tc, reconnect_backs_off_and_gives_up);
    tcase_add_test(tc, cap_leaves_the_table_to_other_devices);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(netfront_conn_suite)
