/*
 * xen/xenbus_client: device enumeration and the XenbusState handshake (xenbus_client.h).
 */
#include "xen/xenbus_client.h"
#include "xen/xenstore.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

/* XenbusState's names in enum order, packed ("Unknown\0Initialising\0"): no pointer per name. */
static const char state_names[] = "Unknown\0Initialising\0InitWait\0Initialised\0Connected\0"
                                  "Closing\0Closed\0Reconfiguring\0Reconfigured\0";

const char *xenbus_state_name(unsigned state)
{
    const char *name = state_names;
    for (unsigned i = 0; i < state && *name; i++)
        name += strlen(name) + 1;
    return *name ? name : "invalid";
}

static int join(char *out, size_t cap, const char *dir, const char *node)
{
    int n = ksnprintf(out, cap, "%s/%s", dir, node);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int xenbus_list_devices(const char *type, char *buf, size_t cap, const char **ids, size_t max)
{
    char path[XENBUS_PATH_MAX];
    int rc = join(path, sizeof(path), "device", type);
    return rc < 0 ? rc : xenstore_directory(XENSTORE_NO_TX, path, buf, cap, ids, max);
}

int xenbus_device_open(struct xenbus_device *dev, const char *type, const char *id)
{
    memset(dev, 0, sizeof(*dev));
    if (kstrlcpy(dev->type, type, sizeof(dev->type)) >= sizeof(dev->type) ||
        kstrlcpy(dev->id, id, sizeof(dev->id)) >= sizeof(dev->id))
        return -ENAMETOOLONG;
    int n = ksnprintf(dev->nodename, sizeof(dev->nodename), "device/%s/%s", type, id);
    if (n < 0 || (size_t)n >= sizeof(dev->nodename))
        return -ENAMETOOLONG;
    char path[XENBUS_PATH_MAX + 16];
    int rc = join(path, sizeof(path), dev->nodename, "backend");
    if (rc == 0)
        rc = xenstore_read(XENSTORE_NO_TX, path, dev->backend, sizeof(dev->backend));
    if (rc < 0)
        return rc;
    if (dev->backend[0] != '/')
        return -EINVAL;   /* a backend path is absolute */
    unsigned long backend_id;
    if ((rc = join(path, sizeof(path), dev->nodename, "backend-id")) < 0 ||
        (rc = xenstore_read_uint(XENSTORE_NO_TX, path, &backend_id)) < 0)
        return rc;
    if (backend_id > 0x7fef)   /* DOMID_FIRST_RESERVED */
        return -EINVAL;
    dev->backend_id = (uint16_t)backend_id;
    return 0;
}

int xenbus_read_state(const char *dir, enum xenbus_state *state)
{
    char path[XENBUS_PATH_MAX + 8];
    int rc = join(path, sizeof(path), dir, "state");
    if (rc < 0)
        return rc;
    unsigned long v;
    rc = xenstore_read_uint(XENSTORE_NO_TX, path, &v);
    if (rc == -ENOENT) {
        *state = XenbusStateUnknown;
        return 0;
    }
    if (rc < 0)
        return rc;
    if (v > XenbusStateReconfigured)
        return -EINVAL;
    *state = (enum xenbus_state)v;
    return 0;
}

int xenbus_write_frontend(struct xenbus_device *dev, const char *node, const char *value)
{
    char path[XENBUS_PATH_MAX + 32];
    int rc = join(path, sizeof(path), dev->nodename, node);
    return rc < 0 ? rc : xenstore_write(XENSTORE_NO_TX, path, value);
}

int xenbus_switch_state(struct xenbus_device *dev, enum xenbus_state state)
{
    char value[4];
    ksnprintf(value, sizeof(value), "%u", (unsigned)state);
    return xenbus_write_frontend(dev, "state", value);
}

int xenbus_read_backend(struct xenbus_device *dev, const char *node, char *buf, size_t cap)
{
    char path[XENBUS_PATH_MAX + 32];
    int rc = join(path, sizeof(path), dev->backend, node);
    return rc < 0 ? rc : xenstore_read(XENSTORE_NO_TX, path, buf, cap);
}

int xenbus_read_backend_uint(struct xenbus_device *dev, const char *node, unsigned long *value)
{
    char path[XENBUS_PATH_MAX + 32];
    int rc = join(path, sizeof(path), dev->backend, node);
    if (rc < 0)
        return rc;
    rc = xenstore_read_uint(XENSTORE_NO_TX, path, value);
    if (rc == -ENOENT) {
        *value = 0;
        return 0;
    }
    return rc;
}

int xenbus_wait_backend_state(struct xenbus_device *dev, uint32_t wanted, uint64_t deadline_ns,
                              enum xenbus_state *state)
{
    struct xenstore_watch w;   /* about 2.3 KiB: fits any fiber stack */
    char path[XENBUS_PATH_MAX + 8];
    int rc = join(path, sizeof(path), dev->backend, "state");
    if (rc < 0)
        return rc;
    rc = xenstore_watch(&w, path);
    *state = XenbusStateUnknown;
    char changed[XENSTORE_PATH_MAX];
    /* The watch fires once at once, so the first pass reads the current state. */
    while (rc == 0 && (rc = xenstore_watch_next(&w, changed, sizeof(changed), deadline_ns)) == 0) {
        if ((rc = xenbus_read_state(dev->backend, state)) < 0)
            break;
        if (wanted & XENBUS_STATE_BIT(*state))
            break;
    }
    if (w.active)
        xenstore_unwatch(&w);
    return rc;
}

int xenbus_follow_backend(struct xenbus_device *dev, struct xenstore_watch *state_watch)
{
    struct xenbus_device fresh;
    int rc = xenbus_device_open(&fresh, dev->type, dev->id);
    if (rc < 0)
        return rc;
    *dev = fresh;
    char path[XENBUS_PATH_MAX + 8];
    ksnprintf(path, sizeof(path), "%s/state", dev->backend);
    return state_watch ? xenstore_watch_retarget(state_watch, path) : 0;
}
