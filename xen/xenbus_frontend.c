/*
 * xen/xenbus_frontend: the xenbus life every frontend shares (xenbus_frontend.h).
 */
#include "xen/xenbus_frontend.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "platform/platform.h"
#include "sched/sched.h"

unsigned long xenbus_frontend_key(struct xenbus_frontend *fe, const char *key,
                                  unsigned long absent)
{
    char path[XENBUS_PATH_MAX + 40];
    unsigned long v;
    ksnprintf(path, sizeof(path), "%s/%s", fe->xb.backend, key);
    int rc = xenstore_read_uint(XENSTORE_NO_TX, path, &v);
    if (rc == 0)
        return v;
    if (rc != -ENOENT)
        log_warn(fe->log, "%s: backend %s: %s; ignored", fe->name, key, error_name(rc));
    return absent;
}

void xenbus_frontend_read_keys(struct xenbus_frontend *fe, const char *keys,
                               unsigned long *values)
{
    for (; *keys; keys += strlen(keys) + 1)
        *values++ = xenbus_frontend_key(fe, keys, 0);
}

bool xenbus_frontend_online(struct xenbus_frontend *fe)
{
    return xenbus_frontend_key(fe, "online", 0) != 0;
}

#define STATE(s) XENBUS_STATE_BIT(XenbusState##s)

int xenbus_frontend_await_backend(struct xenbus_frontend *fe, uint64_t deadline_ns)
{
    enum xenbus_state s;
    int rc = xenbus_wait_backend_state(&fe->xb, STATE(InitWait) | STATE(Connected),
                                       deadline_ns, &s);
    if (rc < 0)
        log_error(fe->log, "%s: backend not ready (%s): %s", fe->name, xenbus_state_name(s),
                  error_name(rc));
    return rc;
}

int xenbus_frontend_handshake(struct xenbus_frontend *fe, enum xenbus_state ours,
                              uint64_t deadline_ns)
{
    enum xenbus_state s = XenbusStateUnknown;
    int rc = xenbus_switch_state(&fe->xb, ours);
    if (rc == 0)
        rc = xenbus_wait_backend_state(&fe->xb, STATE(Connected) | STATE(Closing) |
                                       STATE(Closed), deadline_ns, &s);
    if (rc == 0 && s != XenbusStateConnected)
        rc = -ECONNREFUSED;   /* it refused what we published (see its error node) */
    if (rc < 0)
        log_error(fe->log, "%s: handshake failed (backend %s): %s", fe->name,
                  xenbus_state_name(s), error_name(rc));
    return rc;
}

enum xenbus_state xenbus_frontend_close(struct xenbus_frontend *fe, uint64_t timeout_ns)
{
    /* Closing makes the backend unmap our pages; Closed finishes. A backend already back in
     * InitWait (or gone: Unknown) has let go too. */
    enum xenbus_state s = XenbusStateUnknown;
    uint32_t gone = STATE(Closed) | STATE(Unknown) | STATE(InitWait);
    for (enum xenbus_state ours = XenbusStateClosing; ours <= XenbusStateClosed; ours++)
        if (xenbus_switch_state(&fe->xb, ours) == 0)
            xenbus_wait_backend_state(&fe->xb, gone | XENBUS_STATE_BIT(ours),
                                      platform_monotonic_ns() + timeout_ns, &s);
    return s;
}

static void ask_for_initwait(struct xenbus_frontend *fe)
{
    /* The backend prepares a closed device for a new connection when we go Initialising. */
    if (!fe->no_reconnect && !fe->stopping && xenbus_frontend_online(fe))
        xenbus_switch_state(&fe->xb, XenbusStateInitialising);
}

static int watcher_main(void *arg)
{
    struct xenbus_frontend *fe = arg;
    char path[XENSTORE_PATH_MAX];
    while (!fe->stopping) {
        int rc = xenstore_watch_next(&fe->watch, path, sizeof(path),
                                     platform_monotonic_ns() + fe->poll_ns);
        if (rc == -EPIPE || fe->stopping)
            break;
        enum xenbus_state s;
        if (fe->resuming || fe->ops->check(fe, rc == 0) ||
            xenbus_read_state(fe->xb.backend, &s) < 0)
            continue;
        bool up = fe->ops->up(fe);
        if (up && (s == XenbusStateClosing || s == XenbusStateClosed ||
                   s == XenbusStateUnknown)) {
            log_warn(fe->log, "%s: the backend is %s", fe->name, xenbus_state_name(s));
            fe->ops->drop(fe, "the backend closed");
            ask_for_initwait(fe);
        } else if (!up && !fe->no_reconnect && s == XenbusStateInitWait) {
            fe->ops->reconnect(fe);
        } else if (!up && s == XenbusStateClosed) {
            ask_for_initwait(fe);
        }
    }
    return 0;
}

int xenbus_frontend_watch_start(struct xenbus_frontend *fe, const char *fiber_name)
{
    char path[XENBUS_PATH_MAX + 8];
    ksnprintf(path, sizeof(path), "%s/state", fe->xb.backend);
    int rc = xenstore_watch(&fe->watch, path);
    if (rc < 0)
        return rc;
    fe->watching = true;
    fe->watcher = fiber_spawn(fiber_name, watcher_main, fe, 0);
    if (fe->watcher)
        return 0;
    xenbus_frontend_watch_stop(fe);
    return -ENOMEM;
}

void xenbus_frontend_watch_stop(struct xenbus_frontend *fe)
{
    fe->stopping = true;
    if (fe->watching) {
        xenstore_unwatch(&fe->watch);
        fe->watching = false;
    }
    if (fe->watcher) {
        fiber_join(fe->watcher);
        fe->watcher = NULL;
    }
}

int xenbus_frontend_follow(struct xenbus_frontend *fe)
{
    return xenbus_follow_backend(&fe->xb, fe->watching ? &fe->watch : NULL);
}
