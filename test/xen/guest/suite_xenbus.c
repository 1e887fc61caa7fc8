/*
 * test/xen/guest/suite_xenbus: the frontend handshake against a backend played by dom0's test
 * script (xen-xenstore.sh): it creates device/xtest/0 for us and a backend directory in
 * InitWait with a feature node, answers our Initialised with Connected, and checks that we
 * then say Connected too.
 */
#include "test/xen/guest/xentest.h"
#include "lib/errno.h"
#include "platform/platform.h"
#include "lib/string.h"
#include "xen/xenbus_client.h"
#include "xen/xenstore.h"

#define SECOND 1000000000ull

static int wait_for_device(void)
{
    struct xenstore_watch w;
    int rc = xenstore_watch(&w, "device");
    uint64_t deadline = platform_monotonic_ns() + 60 * SECOND;
    char changed[XENSTORE_PATH_MAX], value[16];
    while (rc == 0 && (rc = xenstore_watch_next(&w, changed, sizeof(changed), deadline)) == 0)
        if (xenstore_read(XENSTORE_NO_TX, "device/xtest/0/backend-id", value, sizeof(value)) > 0)
            break;
    if (w.active)
        xenstore_unwatch(&w);
    return rc;
}

void suite_xenbus(void)
{
    int rc = wait_for_device();
    xt_check(rc == 0, "dom0 created device/xtest/0", "rc %d", rc);
    if (rc < 0)
        return;
    char names[128];
    const char *ids[4];
    int n = xenbus_list_devices("xtest", names, sizeof(names), ids, 4);
    xt_check(n == 1 && strcmp(ids[0], "0") == 0, "enumerate device/xtest", "%d devices", n);
    n = xenbus_list_devices("nosuchtype", names, sizeof(names), ids, 4);
    xt_check(n == -ENOENT, "no devices of an unknown type", "rc %d", n);

    struct xenbus_device dev;
    rc = xenbus_device_open(&dev, "xtest", "0");
    xt_check(rc == 0 && dev.backend_id == 0 && strstr(dev.backend, "/backend/xtest/"),
             "read backend path and id", "rc %d, backend %s (dom%u)", rc, dev.backend,
             dev.backend_id);
    if (rc < 0)
        return;
    unsigned long feature = 9, absent = 9;
    rc = xenbus_read_backend_uint(&dev, "feature-test", &feature);
    int rc2 = xenbus_read_backend_uint(&dev, "feature-absent", &absent);
    xt_check(rc == 0 && feature == 1 && rc2 == 0 && absent == 0, "backend features",
             "feature-test %lu (%d), feature-absent %lu (%d)", feature, rc, absent, rc2);

    enum xenbus_state state;
    rc = xenbus_wait_backend_state(&dev, XENBUS_STATE_BIT(XenbusStateInitWait),
                                   platform_monotonic_ns() + 30 * SECOND, &state);
    xt_check(rc == 0 && state == XenbusStateInitWait, "backend waits for us",
             "rc %d, state %s", rc, xenbus_state_name(state));
    /* Nothing will move the backend to Closed: a short wait must time out. */
    rc = xenbus_wait_backend_state(&dev, XENBUS_STATE_BIT(XenbusStateClosed),
                                   platform_monotonic_ns() + SECOND / 2, &state);
    xt_check(rc == -ETIMEDOUT, "waiting for a state that never comes times out",
             "rc %d, state %s", rc, xenbus_state_name(state));
    rc = xenbus_switch_state(&dev, XenbusStateInitialised);
    int wait = xenbus_wait_backend_state(&dev, XENBUS_STATE_BIT(XenbusStateConnected),
                                         platform_monotonic_ns() + 30 * SECOND, &state);
    xt_check(rc == 0 && wait == 0 && state == XenbusStateConnected,
             "backend connects after Initialised", "switch %d, wait %d, state %s", rc, wait,
             xenbus_state_name(state));
    rc = xenbus_switch_state(&dev, XenbusStateConnected);
    xt_check(rc == 0, "frontend connected", "rc %d", rc);
}
