/*
 * Unit tests for xen/grants_core.c, version-1 grant entries (Xen public grant_table.h,
 * struct grant_entry_v1 and the GTF_* flags) and the reference free list: a grant fills
 * domid/frame and then flags; ending access is refused while the peer maps the page
 * (GTF_reading/GTF_writing) and the entry stays valid; reserved references (below
 * GNTTAB_NR_RESERVED_ENTRIES) are never handed out or ended; double ends are refused; the
 * table exhausts with -ENOSPC and refills.
 */
#include <check.h>
#include <string.h>

#include "xen/grants_core.h"
#include "lib/errno.h"
#include "test/unit/xen_fixture.h"
#include "xenolith/test_main.h"

#include <xen/grant_table.h>

#define ENTRIES 64

static struct grants_core g;
static grant_entry_v1_t entries[ENTRIES];
static uint32_t links[ENTRIES];

static void setup(void)
{
    memset(entries, 0xaa, sizeof(entries));
    grants_core_init(&g, entries, links, ENTRIES);
}

START_TEST(grant_fills_the_entry)
{
    setup();
    long ref = grants_core_grant(&g, 7, 0x1234, false);
    ck_assert_int_eq(ref, GRANTS_FIRST_FREE);
    ck_assert_uint_eq(entries[ref].domid, 7);
    ck_assert_uint_eq(entries[ref].frame, 0x1234);
    ck_assert_uint_eq(entries[ref].flags, GTF_permit_access);
    long ro = grants_core_grant(&g, 0, 0x99, true);
    ck_assert_uint_eq(entries[ro].flags, GTF_permit_access | GTF_readonly);
    ck_assert_uint_eq(g.granted, 2);
    ck_assert_uint_eq(g.free_count, ENTRIES - GRANTS_FIRST_FREE - 2);
}
END_TEST

START_TEST(reserved_entries_are_never_used)
{
    setup();
    for (uint32_t r = 0; r < GRANTS_FIRST_FREE; r++)
        ck_assert_int_eq(grants_core_end(&g, r), -EINVAL);
    long ref;
    while ((ref = grants_core_grant(&g, 0, 1, true)) >= 0)
        ck_assert_int_ge(ref, GRANTS_FIRST_FREE);
    ck_assert_int_eq(ref, -ENOSPC);
}
END_TEST

START_TEST(end_refused_while_mapped)
{
    setup();
    long ref = grants_core_grant(&g, 0, 5, false);
    entries[ref].flags |= GTF_reading | GTF_writing;   /* what Xen sets while mapped */
    ck_assert(grants_core_in_use(&g, (uint32_t)ref));
    ck_assert_int_eq(grants_core_end(&g, (uint32_t)ref), -EBUSY);
    ck_assert_uint_eq(entries[ref].flags & GTF_permit_access, GTF_permit_access);
    ck_assert_uint_eq(g.end_refused_busy, 1);
    entries[ref].flags &= (uint16_t)~GTF_writing;
    ck_assert_int_eq(grants_core_end(&g, (uint32_t)ref), -EBUSY);   /* still reading */
    entries[ref].flags &= (uint16_t)~GTF_reading;
    ck_assert_int_eq(grants_core_end(&g, (uint32_t)ref), 0);
    ck_assert_uint_eq(entries[ref].flags, 0);
}
END_TEST

START_TEST(double_end_and_out_of_range_are_refused)
{
    setup();
    long ref = grants_core_grant(&g, 0, 5, false);
    ck_assert_int_eq(grants_core_end(&g, (uint32_t)ref), 0);
    ck_assert_int_eq(grants_core_end(&g, (uint32_t)ref), -EINVAL);
    ck_assert_int_eq(grants_core_end(&g, ENTRIES), -EINVAL);
    ck_assert_int_eq(grants_core_end(&g, UINT32_MAX), -EINVAL);
    ck_assert_uint_eq(g.bad_ref, 3);
    ck_assert_uint_eq(g.free_count, ENTRIES - GRANTS_FIRST_FREE);
}
END_TEST

START_TEST(exhaustion_and_refill_reuse_every_reference)
{
    setup();
    uint32_t refs[ENTRIES];
    unsigned n = 0;
    long ref;
    while ((ref = grants_core_grant(&g, 1, 2, true)) >= 0)
        refs[n++] = (uint32_t)ref;
    ck_assert_uint_eq(n, ENTRIES - GRANTS_FIRST_FREE);
    ck_assert_uint_eq(g.exhausted, 1);
    /* Each reference was distinct. */
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = i + 1; j < n; j++)
            ck_assert_uint_ne(refs[i], refs[j]);
    for (unsigned i = 0; i < n; i++)
        ck_assert_int_eq(grants_core_end(&g, refs[i]), 0);
    ck_assert_uint_eq(g.free_count, n);
    /* The most recently freed reference is reused first (LIFO keeps the table warm). */
    ck_assert_int_eq(grants_core_grant(&g, 1, 2, true), refs[n - 1]);
}
END_TEST

/* The grant-lifetime rule: a page whose grant is still mapped is held, retried, and handed to
 * its releaser only after the end succeeded (xen/grants.h). */
static unsigned released_count;
static struct grants_held *released_last;

static void note_release(struct grants_held *node, void *ctx)
{
    ck_assert_ptr_eq(ctx, &released_count);
    released_count++;
    released_last = node;
}

START_TEST(held_pages_are_released_only_after_the_grant_ends)
{
    setup();
    released_count = 0;
    long a = grants_core_grant(&g, 0, 5, false);
    long b = grants_core_grant(&g, 0, 6, false);
    char page_a[1], page_b[1];
    struct grants_held node_a, node_b;
    entries[a].flags |= GTF_writing;
    entries[b].flags |= GTF_reading;
    ck_assert_int_eq(grants_core_end(&g, (uint32_t)a), -EBUSY);
    grants_core_hold(&g, &node_a, (uint32_t)a, page_a, 0);
    grants_core_hold(&g, &node_b, (uint32_t)b, page_b, 2);
    ck_assert_uint_eq(g.held_pages, 5);
    ck_assert_uint_eq(g.held_total, 5);

    /* Both still mapped: nothing is released, the grants stay valid. */
    ck_assert_uint_eq(grants_core_retry_held(&g, note_release, &released_count), 5);
    ck_assert_uint_eq(released_count, 0);
    ck_assert_uint_eq(entries[a].flags & GTF_permit_access, GTF_permit_access);

    /* The backend unmaps b: only b is released, and its reference is free again. */
    entries[b].flags &= (uint16_t)~GTF_reading;
    ck_assert_uint_eq(grants_core_retry_held(&g, note_release, &released_count), 1);
    ck_assert_uint_eq(released_count, 1);
    ck_assert_ptr_eq(released_last, &node_b);
    ck_assert_ptr_eq(released_last->page, page_b);
    ck_assert_uint_eq(entries[b].flags, 0);

    entries[a].flags &= (uint16_t)~GTF_writing;
    ck_assert_uint_eq(grants_core_retry_held(&g, note_release, &released_count), 0);
    ck_assert_ptr_eq(released_last, &node_a);
    ck_assert_ptr_null(g.held);
    ck_assert_uint_eq(g.held_released, 5);
    ck_assert_uint_eq(g.free_count, ENTRIES - GRANTS_FIRST_FREE);
}
END_TEST

static Suite *xen_grants_suite(void)
{
    Suite *s = suite_create("xen_grants");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, grant_fills_the_entry);
    tcase_add_test(tc, reserved_entries_are_never_used);
    tcase_add_test(tc, end_refused_while_mapped);
    tcase_add_test(tc, double_end_and_out_of_range_are_refused);
    tcase_add_test(tc, exhaustion_and_refill_reuse_every_reference);
    tcase_add_test(tc, held_pages_are_released_only_after_the_grant_ends);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(xen_grants_suite)
