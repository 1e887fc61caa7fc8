/*
 * xen/grants_core: version-1 grant entries and the free list of grant references, as pure
 * memory operations (unit-tested in test/unit/test_xen_grants.c; xen/grants.c maps the real
 * table and calls these).
 *
 * The rules (<xen/grant_table.h>, struct grant_entry_v1 {flags, domid, frame}):
 *  - granting writes domid and frame first, then, after a write barrier, flags with
 *    GTF_permit_access (plus GTF_readonly): the other domain must never see a valid flags word
 *    with a stale frame;
 *  - Xen sets GTF_reading/GTF_writing while the other domain has the page mapped; ending
 *    access is one atomic compare-exchange of flags from "no reading/writing" to 0, so a
 *    mapping that appears at the same moment makes the exchange fail instead of being lost;
 *    while it is held, the grant stays and the caller is told -EBUSY (the page must not be
 *    reused);
 *  - references below GNTTAB_NR_RESERVED_ENTRIES belong to the toolstack and are never
 *    handed out;
 *  - a page whose grant cannot be ended is held (the quarantine) and its grant retried; it is
 *    handed back to its releaser only after the end succeeded, never before.
 */
#ifndef XENOLITH_XEN_GRANTS_CORE_H
#define XENOLITH_XEN_GRANTS_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The interface version xen/hypercall.h selects, for a unit test that includes only this. */
#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ __XEN_LATEST_INTERFACE_VERSION__
#endif
#include <xen/xen.h>
#include <xen/grant_table.h>

/* References below this belong to the toolstack. */
#define GRANTS_FIRST_FREE GNTTAB_NR_RESERVED_ENTRIES

/* A page whose grant the other domain still maps: held until ending the grant succeeds. The
 * node is the caller's; nothing here frees it. */
struct grants_held {
    struct grants_held *next;
    uint32_t ref;
    void *page;
    unsigned order;              /* 2^order pages from page_alloc */
};

struct grants_core {
    volatile grant_entry_v1_t *entries;
    uint32_t nr_entries;
    uint32_t *next_free;         /* nr_entries links; the free list threads through it */
    uint32_t free_head;          /* nr_entries when empty */
    uint32_t free_count;
    uint64_t granted, ended, end_refused_busy, exhausted, bad_ref;
    struct grants_held *held;    /* the quarantine, newest first */
    uint32_t held_pages;         /* 4 KiB pages in it now */
    uint64_t held_total;         /* pages ever put in it */
    uint64_t held_released;      /* pages handed back after a retry succeeded */
};

#define GRANTS_NONE UINT32_MAX

/* Uses entries[nr_entries] and links[nr_entries]; every reference from GRANTS_FIRST_FREE up
 * becomes free (entries are cleared). */
void grants_core_init(struct grants_core *g, volatile grant_entry_v1_t *entries,
                      uint32_t *links, uint32_t nr_entries);

/* Grants domid access to frame (read-only or read-write). Returns the reference, or -ENOSPC
 * when every reference is in use. */
long grants_core_grant(struct grants_core *g, uint16_t domid, uint32_t frame, bool readonly);

/* Ends access and frees the reference. -EBUSY while the other domain still has it mapped
 * (the grant stays valid; try again after it unmapped), -EINVAL for a reference that is not
 * granted (reserved, out of range, already ended). */
int grants_core_end(struct grants_core *g, uint32_t ref);

/* True if the other domain currently maps the granted page (GTF_reading/GTF_writing). */
bool grants_core_in_use(const struct grants_core *g, uint32_t ref);

/* Puts page (2^order pages) whose grant ref could not be ended into the quarantine, using the
 * caller's node. */
void grants_core_hold(struct grants_core *g, struct grants_held *node, uint32_t ref, void *page,
                      unsigned order);

/* Tries to end every held grant. Each one that ends leaves the quarantine and goes to
 * release(node, ctx), which owns the page and the node from then on. Returns the number of
 * pages still held. */
uint32_t grants_core_retry_held(struct grants_core *g,
                                void (*release)(struct grants_held *node, void *ctx), void *ctx);

#endif
