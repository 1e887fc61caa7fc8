/*
 * Unit tests for xen/xenbus_frontend.c, the xenbus life netfront and blkfront share, against a
 * fake xenstore (an in-memory tree whose watches fire on writes, as xenstored's do) on the
 * simulated clock. The rules (Xen public io/xenbus.h and the split-driver protocol): a live
 * connection whose backend goes Closing, Closed or away is taken down, and the frontend goes
 * Initialising so that a backend still "online" offers InitWait again; a backend in InitWait
 * while we are down is reconnected through the driver; nothing is asked of a backend once the
 * driver gave up on it; backend keys that are missing or not numbers read as 0 (frontends do not
 * trust the backend).
 */
#include "lib/errno.h"
#include "lib/list.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "xen/xenbus_frontend.h"
#include "test/unit/xen_fixture.h"
#include "xenolith/test_main.h"

#define SEC XEN_FIXTURE_SEC
#define MS XEN_FIXTURE_MS

/* ---- the fake xenstore ---- */

#define NODES 32
static struct { char path[XENSTORE_PATH_MAX], value[64]; } tree[NODES];
static struct xenstore_watch *watches[4];

static int find(const char *path)
{
    for (int i = 0; i < NODES; i++)
        if (tree[i].path[0] && strcmp(tree[i].path, path) == 0)
            return i;
    return -1;
}

static void fire(struct xenstore_watch *w, const char *path)
{
    if (w->count < XENSTORE_WATCH_QUEUE)
        kstrlcpy(w->events[(w->head + w->count++) % XENSTORE_WATCH_QUEUE], path,
                 XENSTORE_PATH_MAX);
    waitq_wake_all(&w->waiters);
}

int xenstore_write(uint32_t tx, const char *path, const char *value)
{
    (void)tx;
    int i = find(path);
    for (int k = 0; i < 0 && k < NODES; k++)
        if (!tree[k].path[0])
            kstrlcpy(tree[i = k].path, path, XENSTORE_PATH_MAX);
    ck_assert_int_ge(i, 0);
    kstrlcpy(tree[i].value, value, sizeof(tree[i].value));
    for (unsigned k = 0; k < 4; k++)
        if (watches[k] && strcmp(watches[k]->path, path) == 0)
            fire(watches[k], path);
    return 0;
}

int xenstore_read(uint32_t tx, const char *path, char *buf, size_t cap)
{
    (void)tx;
    int i = find(path);
    if (i < 0)
        return -ENOENT;
    return (int)kstrlcpy(buf, tree[i].value, cap);
}

int xenstore_read_uint(uint32_t tx, const char *path, unsigned long *value)
{
    char buf[64];
    int n = xenstore_read(tx, path, buf, sizeof(buf));
    if (n < 0)
        return n;
    unsigned long v = 0;
    for (int i = 0; i < n; i++) {
        if (buf[i] < '0' || buf[i] > '9')
            return -EINVAL;
        v = v * 10 + (unsigned long)(buf[i] - '0');
    }
    *value = v;
    return n ? 0 : -EINVAL;
}

int xenstore_directory(uint32_t tx, const char *path, char *buf, size_t cap, const char **names,
                       size_t max)
{
    (void)tx, (void)path, (void)buf, (void)cap, (void)names, (void)max;
    return -ENOSYS;
}

int xenstore_watch(struct xenstore_watch *w, const char *path)
{
    memset(w, 0, sizeof(*w));
    kstrlcpy(w->path, path, sizeof(w->path));
    waitq_init(&w->waiters);
    w->active = true;
    for (unsigned k = 0; k < 4; k++)
        if (!watches[k]) {
            watches[k] = w;
            fire(w, path);   /* xenstored fires a new watch once at once */
            return 0;
        }
    return -ENOSPC;
}

int xenstore_unwatch(struct xenstore_watch *w)
{
    for (unsigned k = 0; k < 4; k++)
        if (watches[k] == w)
            watches[k] = NULL;
    w->active = false;
    waitq_wake_all(&w->waiters);
    return 0;
}

int xenstore_watch_retarget(struct xenstore_watch *w, const char *path)
{
    kstrlcpy(w->path, path, sizeof(w->path));
    return 0;
}

int xenstore_watch_next(struct xenstore_watch *w, char *buf, size_t cap, uint64_t deadline_ns)
{
    while (w->active && !w->count)
        if (waitq_wait(&w->waiters, deadline_ns) == -ETIMEDOUT && !w->count)
            return -ETIMEDOUT;
    if (!w->active)
        return -EPIPE;
    kstrlcpy(buf, w->events[w->head], cap);
    w->head = (w->head + 1) % XENSTORE_WATCH_QUEUE;
    w->count--;
    return 0;
}

/* ---- a fake driver ---- */

#define BACKEND "/local/domain/0/backend/vif/1/0"

static struct driver {
    struct xenbus_frontend fe;
    bool up;
    unsigned drops, reconnects;
} drv;

static struct driver *of(struct xenbus_frontend *fe)
{
    return container_of(fe, struct driver, fe);
}

static bool up(struct xenbus_frontend *fe)
{
    return of(fe)->up;
}

static bool check(struct xenbus_frontend *fe, bool changed)
{
    (void)fe;
    return !changed;   /* act on watch events only */
}

static void drop(struct xenbus_frontend *fe, const char *why)
{
    (void)why;
    of(fe)->drops++;
    of(fe)->up = false;
}

static void reconnect(struct xenbus_frontend *fe)
{
    of(fe)->reconnects++;
    of(fe)->up = true;
}

static const struct xenbus_frontend_ops ops = { up, check, drop, reconnect };

static const char *node(const char *path)
{
    int i = find(path);
    return i < 0 ? "" : tree[i].value;
}

static void backend_state(enum xenbus_state s)
{
    char v[4];
    ksnprintf(v, sizeof(v), "%u", (unsigned)s);
    xenstore_write(0, BACKEND "/state", v);
    sim_run_for(10 * MS);
}

static void setup(void)
{
    xen_fixture_boot();
    memset(tree, 0, sizeof(tree));
    memset(watches, 0, sizeof(watches));
    memset(&drv, 0, sizeof(drv));
    xenstore_write(0, "device/vif/0/backend", BACKEND);
    xenstore_write(0, "device/vif/0/backend-id", "0");
    xenstore_write(0, BACKEND "/state", "4");
    xenstore_write(0, BACKEND "/online", "1");
    ck_assert_int_eq(xenbus_device_open(&drv.fe.xb, "vif", "0"), 0);
    drv.fe.ops = &ops;
    drv.fe.log = "test";
    drv.fe.poll_ns = SEC;
    drv.up = true;
    ck_assert_int_eq(xenbus_frontend_watch_start(&drv.fe, "watch"), 0);
    sim_run_for(10 * MS);
}

static void teardown(void)
{
    drv.fe.stopping = true;
    xenstore_unwatch(&drv.fe.watch);
    sim_run_for(10 * MS);
}

/* A backend that closes a live connection: the driver drops it, and we go Initialising
 * (XenbusStateInitialising) so that netback/blkback prepare the device for a new connection;
 * when it offers InitWait the driver reconnects. */
START_TEST(closed_backend_is_dropped_and_initwait_reconnects)
{
    ck_assert_uint_eq(drv.drops, 0);
    backend_state(XenbusStateClosing);
    ck_assert_uint_eq(drv.drops, 1);
    ck_assert_str_eq(node("device/vif/0/state"), "1");
    backend_state(XenbusStateInitWait);
    ck_assert_uint_eq(drv.reconnects, 1);
    ck_assert(drv.up);
    /* A backend that goes away (its state node gone reads as Unknown) is dropped too. */
    xenstore_write(0, BACKEND "/state", "0");
    sim_run_for(10 * MS);
    ck_assert_uint_eq(drv.drops, 2);
}
END_TEST

/* Nothing is asked of a backend the driver gave up on, or of one no longer online. */
START_TEST(no_initialising_after_giving_up_or_offline)
{
    xenstore_write(0, BACKEND "/online", "0");
    xenstore_write(0, "device/vif/0/state", "4");
    backend_state(XenbusStateClosed);
    ck_assert_uint_eq(drv.drops, 1);
    ck_assert_str_eq(node("device/vif/0/state"), "4");   /* not Initialising */
    xenstore_write(0, BACKEND "/online", "1");
    drv.fe.no_reconnect = true;
    backend_state(XenbusStateInitWait);
    backend_state(XenbusStateClosed);
    ck_assert_uint_eq(drv.reconnects, 0);
    ck_assert_str_eq(node("device/vif/0/state"), "4");
    /* While down, a Closed backend that is online is asked for InitWait. */
    drv.fe.no_reconnect = false;
    backend_state(XenbusStateConnected);
    backend_state(XenbusStateClosed);
    ck_assert_str_eq(node("device/vif/0/state"), "1");
}
END_TEST

/* Keys are read in order; missing ones and ones that are not numbers read as 0. */
START_TEST(backend_keys_missing_or_garbage_read_as_zero)
{
    xenstore_write(0, BACKEND "/feature-sg", "1");
    xenstore_write(0, BACKEND "/feature-gso-tcpv4", "yes");
    xenstore_write(0, BACKEND "/multi-queue-max-queues", "4");
    unsigned long v[4] = { 9, 9, 9, 9 };
    xenbus_frontend_read_keys(&drv.fe, "feature-sg\0feature-gso-tcpv4\0feature-absent\0"
                                       "multi-queue-max-queues\0", v);
    ck_assert_uint_eq(v[0], 1);
    ck_assert_uint_eq(v[1], 0);
    ck_assert_uint_eq(v[2], 0);
    ck_assert_uint_eq(v[3], 4);
    ck_assert_uint_eq(xenbus_frontend_key(&drv.fe, "sector-size", 512), 512);
    ck_assert(xenbus_frontend_online(&drv.fe));
}
END_TEST

static Suite *xen_xenbus_frontend_suite(void)
{
    Suite *s = suite_create("xenbus_frontend");
    TCase *tc = tcase_create("watcher");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, closed_backend_is_dropped_and_initwait_reconnects);
    tcase_add_test(tc, no_initialising_after_giving_up_or_offline);
    tcase_add_test(tc, backend_keys_missing_or_garbage_read_as_zero);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(xen_xenbus_frontend_suite)
