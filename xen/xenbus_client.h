/*
 * xen/xenbus_client: the frontend half of a split driver's handshake over xenstore. A device
 * lives under device/<type>/<id> (relative to the domain's home); its "backend" node names the
 * backend's directory and "backend-id" its domain. Both ends publish a "state" node holding a
 * XenbusState number (<xen/io/xenbus.h>): the frontend goes Initialising -> Initialised (after
 * publishing its ring references and event channel) -> Connected, the backend InitWait ->
 * Connected, and either side Closing -> Closed on the way down.
 *
 *     struct xenbus_device dev;
 *     xenbus_device_open(&dev, "vif", "0");                  // reads backend, backend-id
 *     xenbus_read_backend_uint(&dev, "feature-rx-copy", &v); // absent feature -> 0
 *     ... grant the rings, bind the event channel, write ring-ref etc. under dev.nodename ...
 *     xenbus_switch_state(&dev, XenbusStateInitialised);
 *     xenbus_wait_backend_state(&dev, XENBUS_STATE_BIT(XenbusStateConnected), deadline, &s);
 *     xenbus_switch_state(&dev, XenbusStateConnected);
 */
#ifndef XENOLITH_XEN_XENBUS_CLIENT_H
#define XENOLITH_XEN_XENBUS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xenbus.h>

#define XENBUS_PATH_MAX 128
#define XENBUS_STATE_BIT(s) (1u << (s))

struct xenbus_device {
    char type[16], id[16];
    char nodename[XENBUS_PATH_MAX];     /* "device/<type>/<id>" */
    char backend[XENBUS_PATH_MAX];      /* the backend's absolute path */
    uint16_t backend_id;
};

const char *xenbus_state_name(unsigned state);

/* The ids under device/<type> into ids[max] (names stored in buf[cap]); count or -errno
 * (-ENOENT: no device of that type). */
int xenbus_list_devices(const char *type, char *buf, size_t cap, const char **ids, size_t max);

/* Fills dev from device/<type>/<id>: backend path and backend-id (both required). */
int xenbus_device_open(struct xenbus_device *dev, const char *type, const char *id);
/* After a resume the toolstack names new backends: reads dev's backend path and id again (dev
 * unchanged on error) and moves state_watch (NULL: none) to the new backend's state node. */
struct xenstore_watch;
int xenbus_follow_backend(struct xenbus_device *dev, struct xenstore_watch *state_watch);

/* Writes our state node. */
int xenbus_switch_state(struct xenbus_device *dev, enum xenbus_state state);
/* Reads a state node ("<dir>/state"); a missing node reads as XenbusStateUnknown, a value
 * that is not a state number is -EINVAL. */
int xenbus_read_state(const char *dir, enum xenbus_state *state);

/* Frontend nodes under dev->nodename, backend nodes under dev->backend. Reading a missing
 * backend node gives *value = 0 (features default to off). */
int xenbus_write_frontend(struct xenbus_device *dev, const char *node, const char *value);
int xenbus_read_backend(struct xenbus_device *dev, const char *node, char *buf, size_t cap);
int xenbus_read_backend_uint(struct xenbus_device *dev, const char *node, unsigned long *value);

/* Waits, through a watch on the backend's state node, until the backend's state is in
 * `wanted` (a mask of XENBUS_STATE_BIT), or deadline_ns (-ETIMEDOUT). *state gets the last
 * state seen either way. */
int xenbus_wait_backend_state(struct xenbus_device *dev, uint32_t wanted, uint64_t deadline_ns,
                              enum xenbus_state *state);

#endif
