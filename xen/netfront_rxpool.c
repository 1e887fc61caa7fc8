/*
 * xen/netfront_rxpool: the bounded pool of pages netfront lends to the stack (netfront_rxpool.h).
 */
#include "xen/netfront_rxpool.h"
#include "xen/grants.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "mm/pbuf.h"

/* One page of the pool, with the storage descriptor that lends it. */
struct rx_page {
    struct pbuf_device_storage ds;
    struct netfront_rxpool *pool;
    struct rx_page *next;            /* on the spare, reserved or free-record list */
};

struct netfront_rxpool {
    struct netfront_rx_handoff handoff;
    uint8_t **slot_pages;            /* the queue's record of its slots' pages (NULL: detached) */
    uint32_t *slot_grefs;
    uint16_t domid;
    uint32_t *quarantined;
    struct rx_page *spare;           /* pages back from the stack, not granted */
    struct rx_page *reserved;        /* records without a page, one for each page a slot gave
                                        up for a fresh one (replace_page) and that is not yet
                                        lent, taken back or abandoned */
    struct rx_page *free_records;    /* records without a page */
    unsigned lent;                   /* pages in packets now */
    struct rx_page records[NETFRONT_RXPOOL_PAGES];
};

static void page_back(struct pbuf_device_storage *ds)
{
    struct rx_page *r = ds->owner;
    struct netfront_rxpool *pool = r->pool;
    pool->lent--;
    if (!pool->slot_pages) {          /* detached: the page is no longer wanted */
        page_free(r->ds.base, 0);
        if (pool->lent == 0)
            kfree(pool);
        return;
    }
    r->next = pool->spare;
    pool->spare = r;
}

static struct rx_page *pop(struct rx_page **list)
{
    struct rx_page *r = *list;
    if (r)
        *list = r->next;
    return r;
}

static void push(struct rx_page **list, struct rx_page *r)
{
    r->next = *list;
    *list = r;
}

/* A fresh page for a slot. Its record, or a free one, is reserved for the page the slot gives
 * up, so that page always has a record to be lent or kept spare with: a multi-slot frame
 * replaces all its slots before any of its old pages is lent. */
static uint8_t *replace_page(void *ctx, unsigned slot, uint32_t *gref)
{
    struct netfront_rxpool *pool = ctx;
    struct rx_page *r = pop(&pool->spare);
    if (!r) {
        if (!(r = pool->free_records))
            return NULL;              /* every record holds or awaits a page: at the bound */
        uint8_t *page = page_alloc(0);
        if (!page)
            return NULL;
        pool->free_records = r->next;
        r->ds.base = page;
    }
    uint8_t *page = r->ds.base;
    memset(page, 0, NETFRONT_PAGE_SIZE);   /* the backend never reads stale memory */
    long ref = xen_grant_access(pool->domid, page, false);
    if (ref < 0) {
        push(&pool->spare, r);
        return NULL;
    }
    r->ds.base = NULL;
    push(&pool->reserved, r);
    *gref = (uint32_t)ref;
    pool->slot_pages[slot] = page;
    pool->slot_grefs[slot] = (uint32_t)ref;
    return page;
}

static int end_grant(void *ctx, uint32_t gref)
{
    (void)ctx;
    return xen_grant_end(gref);
}

static void retire(void *ctx, uint8_t *page, uint32_t gref, bool ended)
{
    struct netfront_rxpool *pool = ctx;
    struct rx_page *r = pop(&pool->reserved);
    if (!ended && xen_grant_end(gref) != 0) {
        xen_grant_end_free_counted(gref, page, 0, pool->quarantined);   /* the quarantine */
        if (r)
            push(&pool->free_records, r);
        return;
    }
    if (!r) {                         /* cannot happen: a record was reserved for this page */
        page_free(page, 0);
        return;
    }
    r->ds.base = page;
    push(&pool->spare, r);
}

static struct pbuf *lend(void *ctx, struct pbuf_pool *pbufs, uint8_t *page, unsigned offset,
                         unsigned len)
{
    struct netfront_rxpool *pool = ctx;
    struct rx_page *r = pop(&pool->reserved);
    if (!r) {                         /* cannot happen: a record was reserved for this page */
        page_free(page, 0);
        return NULL;
    }
    r->ds.base = page;
    struct pbuf *p = pbuf_from_device(pbufs, &r->ds, offset, len);
    if (!p) {
        push(&pool->spare, r);        /* ungranted now: spare */
        return NULL;
    }
    pool->lent++;
    return p;
}

struct netfront_rxpool *netfront_rxpool_create(uint8_t **slot_pages, uint32_t *slot_grefs,
                                               uint16_t backend_domid, uint32_t *quarantined)
{
    struct netfront_rxpool *pool = kcalloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->handoff = (struct netfront_rx_handoff){ .replace_page = replace_page,
                                                  .end_grant = end_grant, .retire = retire,
                                                  .lend = lend, .ctx = pool };
    pool->slot_pages = slot_pages;
    pool->slot_grefs = slot_grefs;
    pool->domid = backend_domid;
    pool->quarantined = quarantined;
    for (unsigned i = 0; i < NETFRONT_RXPOOL_PAGES; i++) {
        struct rx_page *r = &pool->records[i];
        r->pool = pool;
        r->ds.size = NETFRONT_PAGE_SIZE;
        r->ds.release = page_back;
        r->ds.owner = r;
        r->next = pool->free_records;
        pool->free_records = r;
    }
    return pool;
}

const struct netfront_rx_handoff *netfront_rxpool_handoff(struct netfront_rxpool *pool)
{
    return &pool->handoff;
}

void netfront_rxpool_detach(struct netfront_rxpool *pool)
{
    if (!pool)
        return;
    pool->slot_pages = NULL;
    pool->slot_grefs = NULL;
    while (pool->spare) {
        struct rx_page *r = pool->spare;
        pool->spare = r->next;
        page_free(r->ds.base, 0);
    }
    if (pool->lent == 0)
        kfree(pool);
}
