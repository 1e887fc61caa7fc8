/*
 * kernel/options: the command-line parser (see kernel/options.h). The line is copied into
 * the options' own storage and cut into words in place, so every string the options hold
 * (tap, disk, app_argv) stays valid as long as the struct does. Checks that involve two
 * options (gw= inside the ip= subnet) run after all words are read, so order never matters.
 */
#include "kernel/options.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"

#define TAP_NAME_MAX 15 /* IFNAMSIZ - 1 */
#define MTU_MIN 68      /* RFC 791: every IPv4 host must take 68-byte datagrams */
#define MTU_MAX 65535
#define WATCHDOG_MIN_S 2      /* the loop pets every half timeout: at least every second */
#define WATCHDOG_MAX_S 3600

struct parser {
    struct kernel_options *out;
    enum options_platform platform;
    char *err;
    size_t err_size;
    unsigned seen; /* bit per key: repeated keys are refused */
};

static int fail(struct parser *p, int rc, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int fail(struct parser *p, int rc, const char *fmt, ...)
{
    if (p->err && p->err_size) {
        va_list ap;
        va_start(ap, fmt);
        kvsnprintf(p->err, p->err_size, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static bool ipv4_is_unicast(const uint8_t a[4])
{
    bool zero = (a[0] | a[1] | a[2] | a[3]) == 0;
    return !zero && a[0] < 224 && a[0] != 127;
}

static uint32_t ipv4_u32(const uint8_t a[4])
{
    return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static int parse_ip(struct parser *p, const char *word, const char *value)
{
    if (strcmp(value, "dhcp") == 0) {
        p->out->ip_dhcp = true;
        return 0;
    }
    uint8_t addr[4], prefix;
    if (parse_ipv4_cidr(value, strlen(value), addr, &prefix) < 0 || prefix == 0 ||
        !ipv4_is_unicast(addr))
        return fail(p, -EINVAL, "malformed value in '%s'", word);
    p->out->ip_dhcp = false;
    memcpy(p->out->ip_addr, addr, 4);
    p->out->ip_prefix_len = prefix;
    return 0;
}

static int parse_address(struct parser *p, const char *word, const char *value, uint8_t out[4])
{
    if (parse_ipv4(value, strlen(value), out) < 0 || !ipv4_is_unicast(out))
        return fail(p, -EINVAL, "malformed value in '%s'", word);
    return 0;
}

static int parse_gw(struct parser *p, const char *word, const char *value)
{
    int rc = parse_address(p, word, value, p->out->gateway);
    if (rc == 0)
        p->out->has_gateway = true;
    return rc;
}

static int parse_dns(struct parser *p, const char *word, const char *value)
{
    struct kernel_options *o = p->out;
    if (o->dns_count == OPTIONS_MAX_DNS)
        return fail(p, -EINVAL, "too many dns= options at '%s' (at most %d)", word, OPTIONS_MAX_DNS);
    int rc = parse_address(p, word, value, o->dns[o->dns_count]);
    if (rc == 0)
        o->dns_count++;
    return rc;
}

/* A decimal number in min..max (unit: how the range is read, "" for a plain number). */
static int parse_number(struct parser *p, const char *word, const char *value, uint32_t min,
                        uint32_t max, const char *unit, uint32_t *out)
{
    uint32_t v;
    int rc = parse_u32(value, strlen(value), 10, &v);
    if (rc == -EINVAL)
        return fail(p, -EINVAL, "malformed value in '%s'", word);
    if (rc < 0 || v < min || v > max)
        return fail(p, -EINVAL, "value out of range in '%s' (%u..%u%s)", word, min, max, unit);
    *out = v;
    return 0;
}

static int parse_mtu(struct parser *p, const char *word, const char *value)
{
    return parse_number(p, word, value, MTU_MIN, MTU_MAX, "", &p->out->mtu);
}

static int parse_log(struct parser *p, const char *word, const char *value)
{
    int level = log_level_parse(value);
    if (level < 0)
        return fail(p, -EINVAL, "malformed value in '%s' (error, warn, info or debug)", word);
    p->out->log_level = level;
    return 0;
}

/* The kernel refuses the hosted platform's keys (tap=, disk=) before parsing a value: their
 * parsers are compiled for the hosted platform only and stay out of the PVH image. */
#ifdef XENOLITH_KERNEL
#define HOSTED_PARSER(parse) NULL
#else
#define HOSTED_PARSER(parse) parse

static int parse_tap(struct parser *p, const char *word, const char *value)
{
    size_t len = strlen(value);
    bool ok = len > 0 && len <= TAP_NAME_MAX && strcmp(value, ".") != 0 && strcmp(value, "..") != 0;
    for (size_t i = 0; ok && i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        ok = c > ' ' && c < 0x7f && c != '/' && c != ':';
    }
    if (!ok)
        return fail(p, -EINVAL, "malformed value in '%s' (an interface name of 1 to %d characters)",
                    word, TAP_NAME_MAX);
    p->out->tap = value;
    return 0;
}

static int parse_disk(struct parser *p, const char *word, const char *value)
{
    if (!*value)
        return fail(p, -EINVAL, "malformed value in '%s'", word);
    p->out->disk = value;
    return 0;
}
#endif

/* blk_timeout=SECONDS: how long a block request may wait for the backend (blkfront). */
static int parse_blk_timeout(struct parser *p, const char *word, const char *value)
{
    return parse_number(p, word, value, 1, OPTIONS_BLK_TIMEOUT_MAX, " seconds",
                        &p->out->blk_timeout_s);
}

static int parse_watchdog(struct parser *p, const char *word, const char *value)
{
    if (p->platform != OPTIONS_PLATFORM_KERNEL)
        return fail(p, -EINVAL, "option 'watchdog=' is only for the kernel (Xen)");
    return parse_number(p, word, value, WATCHDOG_MIN_S, WATCHDOG_MAX_S, " seconds",
                        &p->out->watchdog_s);
}

struct option_key {
    const char *name;
    bool hosted_only;
    bool repeatable;
    int (*parse)(struct parser *p, const char *word, const char *value); /* NULL: refused here */
};

static const struct option_key keys[] = {
    { "ip", false, false, parse_ip },
    { "gw", false, false, parse_gw },
    { "dns", false, true, parse_dns },
    { "mtu", false, false, parse_mtu },
    { "log", false, false, parse_log },
    { "tap", true, false, HOSTED_PARSER(parse_tap) },
    { "disk", true, false, HOSTED_PARSER(parse_disk) },
    { "blk_timeout", false, false, parse_blk_timeout },
    { "watchdog", false, false, parse_watchdog },
};

static int parse_word(struct parser *p, char *word)
{
    char *eq = strchr(word, '=');
    if (!eq)
        return fail(p, -EINVAL, "'%s' is not an option (key=value); application arguments go after '--'",
                    word);
    size_t key_len = (size_t)(eq - word);
    for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const struct option_key *k = &keys[i];
        if (strlen(k->name) != key_len || strncmp(word, k->name, key_len) != 0)
            continue;
        if (k->hosted_only && p->platform != OPTIONS_PLATFORM_HOSTED)
            return fail(p, -EINVAL, "option '%s=' is only for the hosted platform", k->name);
        if (!k->repeatable && (p->seen & (1u << i)))
            return fail(p, -EINVAL, "repeated option '%s'", k->name);
        p->seen |= 1u << i;
        return k->parse(p, word, eq + 1);
    }
    return fail(p, -EINVAL, "unknown option '%s'", word);
}

/* Rules between options, checked once every word is in. */
static int check_combination(struct parser *p)
{
    const struct kernel_options *o = p->out;
    if (o->ip_dhcp || !o->has_gateway)
        return 0;
    uint32_t mask = o->ip_prefix_len >= 32 ? 0xffffffffu : ~(0xffffffffu >> o->ip_prefix_len);
    uint32_t ip = ipv4_u32(o->ip_addr), gw = ipv4_u32(o->gateway);
    if (gw == ip)
        return fail(p, -EINVAL, "gw=%pI4 is this machine's own address", o->gateway);
    if ((gw & mask) != (ip & mask))
        return fail(p, -EINVAL, "gw=%pI4 is outside the subnet of ip=%pI4/%u", o->gateway, o->ip_addr,
                    o->ip_prefix_len);
    return 0;
}

static bool is_separator(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int options_parse(const char *cmdline, enum options_platform platform, struct kernel_options *out,
                  char *err, size_t err_size)
{
    struct parser p = { out, platform, err, err_size, 0 };
    memset(out, 0, sizeof(*out));
    out->ip_dhcp = true;
    out->log_level = LOG_INFO;
    out->blk_timeout_s = OPTIONS_BLK_TIMEOUT_DEFAULT;
    if (err && err_size)
        err[0] = '\0';
    if (!cmdline)
        cmdline = "";

    size_t len = strnlen(cmdline, OPTIONS_CMDLINE_MAX);
    if (len == OPTIONS_CMDLINE_MAX)
        return fail(&p, -E2BIG, "command line longer than %d bytes", OPTIONS_CMDLINE_MAX - 1);
    memcpy(out->storage, cmdline, len + 1);

    bool app_words = false;
    char *s = out->storage;
    for (;;) {
        while (is_separator(*s))
            s++;
        if (!*s)
            break;
        char *word = s;
        while (*s && !is_separator(*s))
            s++;
        if (*s)
            *s++ = '\0';

        if (app_words) {
            if (out->app_argc == OPTIONS_MAX_APP_ARGS)
                return fail(&p, -E2BIG, "too many application arguments after '--' (at most %d)",
                            OPTIONS_MAX_APP_ARGS);
            out->app_argv[out->app_argc++] = word;
        } else if (strcmp(word, "--") == 0) {
            app_words = true;
        } else {
            int rc = parse_word(&p, word);
            if (rc < 0)
                return rc;
        }
    }
    out->app_argv[out->app_argc] = NULL;
    return check_combination(&p);
}
