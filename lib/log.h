/*
 * lib/log: leveled console logging with a monotonic timestamp and a subsystem tag:
 *   [    1.234567] net: lease 10.0.0.2/24 from 10.0.0.1
 * The level comes from the log= option (error, warn, info, debug); default info.
 */
#ifndef XENOLITH_LIB_LOG_H
#define XENOLITH_LIB_LOG_H

#include "lib/printf.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parses "error", "warn", "info", "debug"; returns -1 for anything else. */
int log_level_parse(const char *name);
void klog(enum log_level level, const char *subsystem, const char *fmt, ...) PRINTF_LIKE(3, 4);

#define log_error(sub, ...) klog(LOG_ERROR, sub, __VA_ARGS__)
#define log_warn(sub, ...)  klog(LOG_WARN, sub, __VA_ARGS__)
#define log_info(sub, ...)  klog(LOG_INFO, sub, __VA_ARGS__)
#define log_debug(sub, ...) \
    do { if (log_get_level() >= LOG_DEBUG) klog(LOG_DEBUG, sub, __VA_ARGS__); } while (0)

#endif
