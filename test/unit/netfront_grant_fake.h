/*
 * A fake of what netfront's pages go through on Xen, for test/unit/test_netfront_conn.c and
 * test/fuzz/fuzz_netif.c: a grant table (the pure xen/grants_core.c over 2048 entries, the four
 * frames xen/grants.c maps), a page allocator over a static pool, the quarantine of
 * xen/grants.c (a page whose grant the backend still maps is held, counted in the device's
 * account, and freed only when a retry ends its grant), and a backend that maps and unmaps
 * granted pages as Xen's GTF_reading/GTF_writing flags show it.
 * The includer defines FAKE_CHECK(cond, what) to report a broken rule. Ownership is checked
 * where it matters: a page handed back to the allocator must not be named by a grant the
 * backend maps.
 */
#ifndef XENOLITH_TEST_NETFRONT_GRANT_FAKE_H
#define XENOLITH_TEST_NETFRONT_GRANT_FAKE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/errno.h"
#include "xen/grants_core.h"
#include "xen/netfront_conn.h"

#define FAKE_ENTRIES 2048u
#define FAKE_PAGES 2048u
#define FAKE_NO_REF UINT32_MAX

struct nf_grant_fake {
    struct grants_core core;
    grant_entry_v1_t entries[FAKE_ENTRIES];
    uint32_t links[FAKE_ENTRIES];
    uint32_t ref_of_page[FAKE_PAGES];    /* the grant naming each pool page, or FAKE_NO_REF */
    uint16_t free_pages[FAKE_PAGES];
    bool is_free[FAKE_PAGES];
    unsigned free_count;
    uint32_t held;                       /* the device's quarantine account */
    unsigned grants_left;                /* grants that still succeed (UINT32_MAX: all) */
};

static _Alignas(4096) uint8_t fake_page_pool[FAKE_PAGES][4096];

static inline unsigned fake_page_index(const void *page)
{
    uintptr_t off = (uintptr_t)page - (uintptr_t)fake_page_pool;
    FAKE_CHECK(off % 4096 == 0 && off / 4096 < FAKE_PAGES, "a page not from the pool");
    return (unsigned)(off / 4096);
}

static inline void fake_init(struct nf_grant_fake *f)
{
    grants_core_init(&f->core, f->entries, f->links, FAKE_ENTRIES);
    for (unsigned i = 0; i < FAKE_PAGES; i++) {
        f->ref_of_page[i] = FAKE_NO_REF;
        f->free_pages[i] = (uint16_t)(FAKE_PAGES - 1 - i);
        f->is_free[i] = true;
    }
    f->free_count = FAKE_PAGES;
    f->held = 0;
    f->grants_left = UINT32_MAX;
}

static inline unsigned fake_grants_in_use(const struct nf_grant_fake *f)
{
    return FAKE_ENTRIES - GRANTS_FIRST_FREE - f->core.free_count;
}

static inline unsigned fake_pages_in_use(const struct nf_grant_fake *f)
{
    return FAKE_PAGES - f->free_count;
}

static inline void fake_page_free(struct nf_grant_fake *f, void *page)
{
    unsigned i = fake_page_index(page);
    uint32_t ref = f->ref_of_page[i];
    /* The grant-lifetime rule: never back to the allocator while a grant names it. */
    FAKE_CHECK(ref == FAKE_NO_REF, "a page freed while its grant is live");
    FAKE_CHECK(!f->is_free[i], "a page freed twice");
    f->is_free[i] = true;
    f->free_pages[f->free_count++] = (uint16_t)i;
}

/* netfront_page_ops.grant */
static inline void *fake_grant(bool readonly, uint32_t *ref, void *ctx)
{
    struct nf_grant_fake *f = ctx;
    if (f->free_count == 0 || f->grants_left == 0)
        return NULL;
    if (f->grants_left != UINT32_MAX)
        f->grants_left--;
    unsigned i = f->free_pages[--f->free_count];
    f->is_free[i] = false;
    /* Not zeroed (4 MiB per connection would dominate the fuzzer): the includer zeroes what it
     * reads before the backend wrote it (the shared rings). */
    long r = grants_core_grant(&f->core, 0, i, readonly);
    if (r < 0) {
        f->is_free[i] = true;
        f->free_pages[f->free_count++] = (uint16_t)i;
        return NULL;
    }
    f->ref_of_page[i] = (uint32_t)r;
    *ref = (uint32_t)r;
    return fake_page_pool[i];
}

/* netfront_page_ops.end_free: xen_grant_end_free_counted's rule. */
static inline int fake_end_free(uint32_t ref, void *page, void *ctx)
{
    struct nf_grant_fake *f = ctx;
    unsigned i = fake_page_index(page);
    FAKE_CHECK(f->ref_of_page[i] == ref, "a page given back with another page's grant");
    int rc = grants_core_end(&f->core, ref);
    if (rc == 0) {
        f->ref_of_page[i] = FAKE_NO_REF;
        fake_page_free(f, page);
        return 0;
    }
    if (rc != -EBUSY)
        return rc;
    struct grants_held *node = malloc(sizeof(*node));
    FAKE_CHECK(node != NULL, "out of memory");
    grants_core_hold(&f->core, node, ref, page, 0);
    f->held++;
    return -EBUSY;
}

/* netfront_page_ops.free: only for a page whose reference the table does not know. */
static inline void fake_free(void *page, void *ctx)
{
    fake_page_free(ctx, page);
}

static inline struct netfront_page_ops fake_ops(struct nf_grant_fake *f)
{
    return (struct netfront_page_ops){ .grant = fake_grant, .end_free = fake_end_free,
                                       .free = fake_free, .ctx = f };
}

static void fake_release_held(struct grants_held *node, void *ctx)
{
    struct nf_grant_fake *f = ctx;
    unsigned i = fake_page_index(node->page);
    FAKE_CHECK(f->ref_of_page[i] == node->ref, "a quarantined page lost its grant");
    f->ref_of_page[i] = FAKE_NO_REF;
    f->held--;
    fake_page_free(f, node->page);
    free(node);
}

/* The quarantine's timer: retries every held grant. Returns the pages still held. */
static inline uint32_t fake_retry_quarantine(struct nf_grant_fake *f)
{
    return grants_core_retry_held(&f->core, fake_release_held, f);
}

/* The backend maps (or unmaps) the page of a granted reference, as Xen flags it. */
static inline void fake_backend_map(struct nf_grant_fake *f, uint32_t ref, bool mapped)
{
    if (ref < GRANTS_FIRST_FREE || ref >= FAKE_ENTRIES || !(f->entries[ref].flags & GTF_permit_access))
        return;
    uint16_t busy = (f->entries[ref].flags & GTF_readonly) ? GTF_reading
                                                                   : GTF_writing;
    if (mapped)
        f->entries[ref].flags |= busy;
    else
        f->entries[ref].flags &= (uint16_t)~(GTF_reading | GTF_writing);
}

static inline void fake_backend_map_all(struct nf_grant_fake *f, bool mapped)
{
    for (uint32_t ref = GRANTS_FIRST_FREE; ref < FAKE_ENTRIES; ref++)
        fake_backend_map(f, ref, mapped);
}

#endif
