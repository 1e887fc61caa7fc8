/*
 * lib/log: leveled console logging (see lib/log.h). A record is formatted into one buffer
 * (kvformat's console sink), so that it reaches the console in one write and records from
 * different fibers never interleave within a line.
 */
#include <stdint.h>
#include "lib/log.h"
#include "lib/string.h"
#include "platform/platform.h"

static enum log_level current_level = LOG_INFO;

void log_set_level(enum log_level level)
{
    if (level > LOG_DEBUG)
        level = LOG_DEBUG;
    current_level = level;
}

enum log_level log_get_level(void)
{
    return current_level;
}

int log_level_parse(const char *name)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    if (!name)
        return -1;
    for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
        if (strcmp(name, names[i]) == 0)
            return i;
    }
    return -1;
}

/* A record longer than this is cut, and ends with "...\n" so the cut is visible. */
#define LOG_RECORD_MAX 512

struct record {
    size_t used;
    bool truncated;
    char buf[LOG_RECORD_MAX];
};

static void record_write(void *ctx, const char *chunk, size_t len)
{
    struct record *r = ctx;
    size_t room = LOG_RECORD_MAX - r->used;
    if (len > room) {
        len = room;
        r->truncated = true;
    }
    memcpy(r->buf + r->used, chunk, len);
    r->used += len;
}

static void record_printf(struct record *r, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void record_printf(struct record *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvformat(record_write, r, fmt, ap);
    va_end(ap);
}

void klog(enum log_level level, const char *subsystem, const char *fmt, ...)
{
    if (level > current_level)
        return;
    struct record r;
    r.used = 0;
    r.truncated = false;

    uint64_t ns = platform_monotonic_ns();
    record_printf(&r, "[%5llu.%06llu] %s%s", (unsigned long long)(ns / 1000000000u),
                  (unsigned long long)(ns % 1000000000u / 1000u), subsystem ? subsystem : "",
                  subsystem ? ": " : "");
    va_list ap;
    va_start(ap, fmt);
    kvformat(record_write, &r, fmt, ap);
    va_end(ap);

    /* Exactly one newline at the end, whether or not the message brought its own. */
    if (!r.truncated && r.used > 0 && r.buf[r.used - 1] == '\n')
        r.used--;
    if (r.truncated || r.used > LOG_RECORD_MAX - 1) {
        r.used = LOG_RECORD_MAX - 4;
        memcpy(r.buf + r.used, "...", 3);
        r.used += 3;
    }
    r.buf[r.used++] = '\n';
    platform_console_write(r.buf, r.used);
}
