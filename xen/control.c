/*
 * xen/control: the control/shutdown and control/sysrq watchers (control.h).
 */
#include "xen/control.h"
#include "xen/events_log.h"
#include "xen/optional.h"
#include "xen/suspend.h"
#include "xen/xenstore.h"
#include "kernel/kernel.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/string.h"

#define SHUTDOWN_NODE "control/shutdown"
#define SYSRQ_NODE "control/sysrq"

static struct xenstore_watch shutdown_watch, sysrq_watch;

struct request_word {
    const char *word;
    enum shutdown_reason reason;
};

static const struct request_word requests[] = {
    { "poweroff", SHUTDOWN_SUCCESS },
    { "halt", SHUTDOWN_SUCCESS },
    { "reboot", SHUTDOWN_REBOOT },
};

/* Reads and clears the node in one transaction, so a request written twice is seen once. An
 * image without suspend leaves "suspend" in place: an unacknowledged request is the toolstack's
 * sign that the guest cannot do it (it then cancels), never a domain that acknowledged and
 * did not suspend. */
struct take_args {
    const char *node;
    char word[32];
};

static int take_request(uint32_t tx, void *arg)
{
    struct take_args *t = arg;
    int rc = xenstore_read(tx, t->node, t->word, sizeof(t->word));
    if (rc == -ENOENT || rc == 0) {
        t->word[0] = '\0';
        return 0;
    }
    if (rc < 0)
        return rc;
    if (!xen_has(xen_optionals, XEN_OPTIONAL_SUSPEND) && strcmp(t->word, "suspend") == 0)
        return 0;
    return xenstore_write(tx, t->node, "");
}

/* `xl sysrq DOMAIN KEY`: 'b' prints the log of the vCPU's last blocks (xen/events_log.h),
 * for a guest that seems stuck (the watch event itself wakes it). */
static int sysrq_fiber(void *arg)
{
    int rc = xenstore_watch(&sysrq_watch, SYSRQ_NODE);
    if (rc < 0) {
        log_warn("xen", "cannot watch %s: %s", SYSRQ_NODE, error_name(rc));
        return rc;
    }
    char changed[XENSTORE_PATH_MAX];
    while (xenstore_watch_next(&sysrq_watch, changed, sizeof(changed), DEADLINE_NONE) == 0) {
        struct take_args t = { .node = SYSRQ_NODE };
        if (xenstore_transact(take_request, &t, 8) < 0 || t.word[0] == '\0')
            continue;
        if (strcmp(t.word, "b") == 0)
            xen_block_log_dump("asked by the toolstack");
        else
            log_warn("xen", "sysrq \"%s\" ignored", t.word);
    }
    return 0;
}

/* What the guest handles; written again in a new domain after a resume (its xenstore
 * directory is the toolstack's fresh one). */
static void announce_features(void)
{
    for (const char *f = xen_control_features(xen_optionals); *f; f += strlen(f) + 1) {
        int rc = xenstore_write(XENSTORE_NO_TX, f, "1");
        if (rc < 0)
            log_warn("xen", "cannot write %s: %s", f, error_name(rc));
    }
}

static int control_fiber(void *arg)
{
    announce_features();
    int rc = xenstore_watch(&shutdown_watch, SHUTDOWN_NODE);
    if (rc < 0) {
        log_error("xen", "cannot watch %s: %s; xl shutdown will not be seen", SHUTDOWN_NODE,
                  error_name(rc));
        return rc;
    }
    log_debug("xen", "watching %s", SHUTDOWN_NODE);
    char changed[XENSTORE_PATH_MAX];
    while (xenstore_watch_next(&shutdown_watch, changed, sizeof(changed), DEADLINE_NONE) == 0) {
        struct take_args t = { .node = SHUTDOWN_NODE };
        rc = xenstore_transact(take_request, &t, 8);
        if (rc < 0) {
            log_warn("xen", "reading %s failed: %s", SHUTDOWN_NODE, error_name(rc));
            continue;
        }
        if (t.word[0] == '\0')
            continue;
        if (xen_has(xen_optionals, XEN_OPTIONAL_SUSPEND) && strcmp(t.word, "suspend") == 0) {
            /* Acknowledged (cleared) above; the toolstack now waits for the domain to
             * suspend. This fiber does it: every other one is parked at a yield point. */
            log_info("xen", "the toolstack asks for %s", t.word);
            if (xen_suspend_run() == XEN_SUSPEND_RESUMED)
                announce_features();
            continue;
        }
        bool known = false;
        for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
            if (strcmp(t.word, requests[i].word) == 0) {
                known = true;
                log_info("xen", "the toolstack asks for %s", t.word);
                lifecycle_request_shutdown(requests[i].reason);
            }
        }
        if (!known)
            log_warn("xen", "control/shutdown \"%s\" ignored", t.word);
    }
    return 0;
}

int xen_control_start(void)
{
    struct fiber *f = fiber_spawn("xen-control", control_fiber, NULL, 0);
    if (!f)
        return -ENOMEM;
    fiber_detach(f);
    f = fiber_spawn("xen-sysrq", sysrq_fiber, NULL, 0);
    if (f)
        fiber_detach(f);
    return 0;
}

