/*
 * test/xen/guest/suite_grants: the grant table under real Xen. Local rules first (entries,
 * the free list, refusals), then with dom0: the guest grants a page, dom0 maps it through
 * gntdev (test/xen/gntmap.py run by xen-grants.sh), reads our pattern and writes its answer;
 * while dom0 holds the mapping, ending access must be refused, and after dom0 unmaps it must
 * succeed. The two sides meet at data/xentest/grant-* in xenstore.
 */
#include "test/xen/guest/xentest.h"
#include "lib/errno.h"
#include "platform/platform.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "sched/sched.h"
#include "xen/grants.h"
#include "xen/xenstore.h"

#define SECOND 1000000000ull
#define PATTERN "xenolith grant page"
#define ANSWER "dom0 was here"

static int wait_for_node(const char *path, char *buf, size_t cap, uint64_t timeout_ns)
{
    struct xenstore_watch w;
    int rc = xenstore_watch(&w, path);
    uint64_t deadline = platform_monotonic_ns() + timeout_ns;
    char changed[XENSTORE_PATH_MAX];
    while (rc == 0 && (rc = xenstore_watch_next(&w, changed, sizeof(changed), deadline)) == 0) {
        rc = xenstore_read(XENSTORE_NO_TX, path, buf, cap);
        if (rc > 0)
            break;
        rc = 0;   /* absent or empty: keep waiting */
    }
    if (w.active)
        xenstore_unwatch(&w);
    return rc < 0 ? rc : 0;
}

static void local_rules(void)
{
    uint8_t *page = page_alloc(0);
    long ref = xen_grant_access(0, page, true);
    struct xen_grant_stats s;
    xen_grants_get_stats(&s);
    xt_check(ref >= 8, "grant a page", "ref %ld, %u frames, %u entries", ref, s.frames,
             s.entries);
    xt_check(ref >= 8 && !xen_grant_in_use((uint32_t)ref), "a fresh grant is not mapped", "ref %ld",
             ref);
    long misaligned = xen_grant_access(0, page + 1, true);
    xt_check(misaligned == -EINVAL, "a misaligned page is refused", "rc %ld", misaligned);
    int end = xen_grant_end((uint32_t)ref);
    int again = xen_grant_end((uint32_t)ref);
    int reserved = xen_grant_end(1);
    xt_check(end == 0 && again == -EINVAL && reserved == -EINVAL,
             "end access once; double and reserved ends refused", "%d, %d, %d", end, again,
             reserved);

    /* Exhaust the table, then give everything back: the free list is whole again. */
    xen_grants_get_stats(&s);
    uint32_t free_before = s.free, taken = 0;
    static uint32_t refs[16384];
    long r;
    while (taken < sizeof(refs) / sizeof(refs[0]) && (r = xen_grant_access(0, page, true)) >= 0)
        refs[taken++] = (uint32_t)r;
    xen_grants_get_stats(&s);
    bool exhausted = s.free == 0 && s.exhausted > 0;
    unsigned ended = 0;
    for (uint32_t i = 0; i < taken; i++)
        ended += xen_grant_end(refs[i]) == 0;
    xen_grants_get_stats(&s);
    xt_check(exhausted && taken == free_before && ended == taken && s.free == free_before,
             "free list exhausts and refills", "%u granted of %u free, %u ended, %u free after",
             taken, free_before, ended, s.free);
    page_free(page, 0);
}

static void with_dom0(void)
{
    uint8_t *page = page_alloc(0);
    memset(page, 0, 4096);
    memcpy(page, PATTERN, sizeof(PATTERN));
    long ref = xen_grant_access(0, page, false);
    char value[32];
    ksnprintf(value, sizeof(value), "%ld", ref);
    xenstore_write(XENSTORE_NO_TX, "data/xentest/grant-ref", value);
    int rc = wait_for_node("data/xentest/grant-mapped", value, sizeof(value), 60 * SECOND);
    bool answered = memcmp(page + 2048, ANSWER, sizeof(ANSWER)) == 0;
    xt_check(rc == 0 && strcmp(value, "ok") == 0 && answered, "dom0 maps the granted page",
             "wait %d, dom0 says \"%s\", answer %s", rc, rc == 0 ? value : "", answered ? "seen" : "missing");
    bool in_use = xen_grant_in_use((uint32_t)ref);
    int busy = xen_grant_end((uint32_t)ref);
    xt_check(in_use && busy == -EBUSY, "end access refused while dom0 maps the page",
             "in use %d, end %d", in_use, busy);
    xenstore_write(XENSTORE_NO_TX, "data/xentest/grant-release", "1");
    rc = wait_for_node("data/xentest/grant-unmapped", value, sizeof(value), 60 * SECOND);
    int end = -1;
    /* gntdev unmaps asynchronously after munmap: allow it a moment. */
    for (int i = 0; i < 50 && (end = xen_grant_end((uint32_t)ref)) == -EBUSY; i++)
        fiber_sleep_ns(SECOND / 10);
    xt_check(rc == 0 && end == 0, "end access succeeds after dom0 unmaps", "wait %d, end %d", rc,
             end);
    struct xen_grant_stats s;
    xen_grants_get_stats(&s);
    kprintf("xentest: grants: %llu granted, %llu ended, %llu refused busy, %llu exhausted\n",
            (unsigned long long)s.granted, (unsigned long long)s.ended,
            (unsigned long long)s.end_refused_busy, (unsigned long long)s.exhausted);
    if (end == 0)
        page_free(page, 0);
}

void suite_grants(void)
{
    local_rules();
    with_dom0();
}
