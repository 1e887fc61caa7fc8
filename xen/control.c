/*
 * xen/control: the watcher of control/shutdown and control/sysrq (control.h).
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

#define CONTROL_DIR "control"
#define SHUTDOWN_NODE CONTROL_DIR "/shutdown"
#define SYSRQ_NODE CONTROL_DIR "/sysrq"

static struct xenstore_watch control_watch;

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

/* `xl sysrq DOMAIN KEY`: 'b' prints the log of the vCPU's last blocks (xen/events_log.h),
 * for a guest that seems stuck (the watch event itself wakes it). */
static void sysrq(const char *key)
{
    if (strcmp(key, "b") == 0)
        xen_block_log_dump("asked by the toolstack");
    else
        log_warn("xen", "sysrq \"%s\" ignored", key);
}

static void shutdown_request(const char *word)
{
    if (xen_has(xen_optionals, XEN_OPTIONAL_SUSPEND) && strcmp(word, "suspend") == 0) {
        /* Acknowledged (cleared) by take_request; the toolstack now waits for the domain to
         * suspend. This fiber does it: every other one is parked at a yield point. */
        log_info("xen", "the toolstack asks for %s", word);
        if (xen_suspend_run() == XEN_SUSPEND_RESUMED)
            announce_features();
        return;
    }
    for (size_t i = 0; i < sizeof(requests) / sizeof(requests[0]); i++) {
        if (strcmp(word, requests[i].word) == 0) {
            log_info("xen", "the toolstack asks for %s", word);
            lifecycle_request_shutdown(requests[i].reason);
            return;
        }
    }
    log_warn("xen", "control/shutdown \"%s\" ignored", word);
}

/* One watch on the whole control directory (xenstore watches cover a node's subtree) serves
 * control/shutdown and control/sysrq. Its first event, for "control" itself, looks at
 * control/shutdown (a request written before the watch); our own feature-* writes are skipped. */
static int control_fiber(void *arg)
{
    announce_features();
    int rc = xenstore_watch(&control_watch, CONTROL_DIR);
    if (rc < 0) {
        log_error("xen", "cannot watch %s: %s; xl shutdown will not be seen", CONTROL_DIR,
                  error_name(rc));
        return rc;
    }
    char changed[XENSTORE_PATH_MAX];
    while (xenstore_watch_next(&control_watch, changed, sizeof(changed), DEADLINE_NONE) == 0) {
        const char *leaf = strrchr(changed, '/');
        leaf = leaf ? leaf + 1 : changed;
        bool is_sysrq = strcmp(leaf, "sysrq") == 0;
        if (!is_sysrq && strcmp(leaf, "shutdown") != 0 && strcmp(leaf, CONTROL_DIR) != 0)
            continue;
        struct take_args t = { .node = is_sysrq ? SYSRQ_NODE : SHUTDOWN_NODE };
        rc = xenstore_transact(take_request, &t, 8);
        if (rc < 0)
            log_warn("xen", "reading %s failed: %s", t.node, error_name(rc));
        else if (t.word[0] && is_sysrq)
            sysrq(t.word);
        else if (t.word[0])
            shutdown_request(t.word);
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
