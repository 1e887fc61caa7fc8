/*
 * kernel/options: the one command-line syntax of every platform (docs/DESIGN.md, "Configuration"):
 *   ip=dhcp | ip=A.B.C.D/N   gw=A.B.C.D   dns=A.B.C.D   mtu=N   log=LEVEL
 *   blk_timeout=SECONDS      (Xen block requests; default OPTIONS_BLK_TIMEOUT_DEFAULT)
 *   tap=NAME   disk=PATH      (hosted only)
 *   watchdog=SECONDS          (kernel only: Xen's domain watchdog, SCHEDOP_watchdog)
 *   -- app arguments...
 * Words are separated by spaces; a word is key=value. Parsing is strict: an unknown key, a
 * malformed value, a repeated key or an option that does not belong to this platform is an
 * error naming the offending word.
 */
#ifndef XENOLITH_KERNEL_OPTIONS_H
#define XENOLITH_KERNEL_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPTIONS_MAX_APP_ARGS 32
#define OPTIONS_MAX_DNS 3
#define OPTIONS_CMDLINE_MAX 1024
#define OPTIONS_BLK_TIMEOUT_DEFAULT 30 /* seconds */
#define OPTIONS_BLK_TIMEOUT_MAX 3600

enum options_platform { OPTIONS_PLATFORM_KERNEL, OPTIONS_PLATFORM_HOSTED };

struct kernel_options {
    bool ip_dhcp;                  /* true unless ip=A.B.C.D/N was given */
    uint8_t ip_addr[4];            /* network byte order */
    uint8_t ip_prefix_len;         /* 0..32 */
    bool has_gateway;
    uint8_t gateway[4];
    unsigned dns_count;
    uint8_t dns[OPTIONS_MAX_DNS][4];
    uint32_t mtu;                  /* 0: the device's own */
    int log_level;                 /* enum log_level */
    const char *tap;               /* hosted: TAP interface name, or NULL */
    const char *disk;              /* hosted: file used as the block device, or NULL */
    uint32_t blk_timeout_s;        /* a block request's deadline (blkfront) */
    uint32_t watchdog_s;           /* kernel: Xen watchdog timeout in seconds, 0: none */
    int app_argc;                  /* words after "--" */
    char *app_argv[OPTIONS_MAX_APP_ARGS + 1];
    char storage[OPTIONS_CMDLINE_MAX]; /* the strings above point in here */
};

/* Parses cmdline into *out. Returns 0, or a negative errno with a message such as
 * "unknown option 'foo'" or "malformed value in 'ip=10.0.0.300/24'" written to err. */
int options_parse(const char *cmdline, enum options_platform platform,
                  struct kernel_options *out, char *err, size_t err_size);

/* The options the kernel booted with (valid once kernel_start has parsed them). */
const struct kernel_options *kernel_options(void);

#endif
