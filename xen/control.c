/*
 * xen/control: the control/shutdown watcher (control.h).
 */
#include "xen/control.h"
#include "xen/xenstore.h"
#include "kernel/kernel.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"

#define SHUTDOWN_NODE "control/shutdown"

static struct xenstore_watch shutdown_watch;

struct request_word {
    const char *word;
    enum shutdown_reason reason;
};

static const struct request_word requests[] = {
    { "poweroff", SHUTDOWN_SUCCESS },
    { "halt", SHUTDOWN_SUCCESS },
    { "reboot", SHUTDOWN_REBOOT },
};

/* Reads and clears the node in one transaction, so a request written twice is seen once. */
struct take_args {
    char word[32];
};

static int take_request(uint32_t tx, void *arg)
{
    struct take_args *t = arg;
    int rc = xenstore_read(tx, SHUTDOWN_NODE, t->word, sizeof(t->word));
    if (rc == -ENOENT || rc == 0) {
        t->word[0] = '\0';
        return 0;
    }
    if (rc < 0)
        return rc;
    return xenstore_write(tx, SHUTDOWN_NODE, "");
}

static int control_fiber(void *arg)
{
    static const char *const features[] = { "control/feature-poweroff",
                                            "control/feature-reboot" };
    for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
        int rc = xenstore_write(XENSTORE_NO_TX, features[i], "1");
        if (rc < 0)
            log_warn("xen", "cannot write %s: %s", features[i], error_name(rc));
    }
    int rc = xenstore_watch(&shutdown_watch, SHUTDOWN_NODE);
    if (rc < 0) {
        log_error("xen", "cannot watch %s: %s; xl shutdown will not be seen", SHUTDOWN_NODE,
                  error_name(rc));
        return rc;
    }
    log_debug("xen", "watching %s", SHUTDOWN_NODE);
    char changed[XENSTORE_PATH_MAX];
    while (xenstore_watch_next(&shutdown_watch, changed, sizeof(changed), DEADLINE_NONE) == 0) {
        struct take_args t;
        rc = xenstore_transact(take_request, &t, 8);
        if (rc < 0) {
            log_warn("xen", "reading %s failed: %s", SHUTDOWN_NODE, error_name(rc));
            continue;
        }
        if (t.word[0] == '\0')
            continue;
        bool known = false;
        for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
            if (strcmp(t.word, requests[i].word) == 0) {
                known = true;
                log_info("xen", "the toolstack asks for %s", t.word);
                lifecycle_request_shutdown(requests[i].reason);
            }
        }
        if (!known)
            log_warn("xen", "unsupported control/shutdown request \"%s\" ignored", t.word);
    }
    return 0;
}

int xen_control_start(void)
{
    struct fiber *f = fiber_spawn("xen-control", control_fiber, NULL, 0);
    if (!f)
        return -ENOMEM;
    fiber_detach(f);
    return 0;
}
