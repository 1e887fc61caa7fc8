/*
 * Unit tests for kernel/options: every key, every rule, every error message.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/options.h"
#include "lib/errno.h"
#include "lib/log.h"
#include "xenolith/test_main.h"

static struct kernel_options opts;
static char err[160];

static int parse_kernel(const char *line)
{
    return options_parse(line, OPTIONS_PLATFORM_KERNEL, &opts, err, sizeof(err));
}

static int parse_hosted(const char *line)
{
    return options_parse(line, OPTIONS_PLATFORM_HOSTED, &opts, err, sizeof(err));
}

/* The line is refused with exactly this message. */
static void refused(const char *line, const char *message)
{
    int rc = parse_hosted(line);
    ck_assert_msg(rc < 0, "accepted: \"%s\"", line);
    ck_assert_msg(strcmp(err, message) == 0, "\"%s\": message \"%s\", want \"%s\"", line, err, message);
}

static void ip_is(const uint8_t *got, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    ck_assert_msg(got[0] == a && got[1] == b && got[2] == c && got[3] == d,
                  "address %u.%u.%u.%u", got[0], got[1], got[2], got[3]);
}

START_TEST(empty_line_gives_defaults)
{
    static const char *const empties[] = { "", "   ", "\t \t", NULL };
    for (int i = 0; i < 4; i++) {
        memset(&opts, 0x5a, sizeof(opts));
        ck_assert_int_eq(parse_kernel(empties[i]), 0);
        ck_assert(opts.ip_dhcp);
        ck_assert(!opts.has_gateway);
        ck_assert_uint_eq(opts.dns_count, 0);
        ck_assert_uint_eq(opts.mtu, 0);
        ck_assert_int_eq(opts.log_level, LOG_INFO);
        ck_assert_ptr_null(opts.tap);
        ck_assert_ptr_null(opts.disk);
        ck_assert_int_eq(opts.app_argc, 0);
        ck_assert_ptr_null(opts.app_argv[0]);
        ck_assert_str_eq(err, "");
    }
}
END_TEST

START_TEST(static_network)
{
    ck_assert_int_eq(parse_kernel("ip=10.0.0.2/24 gw=10.0.0.1 dns=9.9.9.9 mtu=1500 log=debug"), 0);
    ck_assert(!opts.ip_dhcp);
    ip_is(opts.ip_addr, 10, 0, 0, 2);
    ck_assert_uint_eq(opts.ip_prefix_len, 24);
    ck_assert(opts.has_gateway);
    ip_is(opts.gateway, 10, 0, 0, 1);
    ck_assert_uint_eq(opts.dns_count, 1);
    ip_is(opts.dns[0], 9, 9, 9, 9);
    ck_assert_uint_eq(opts.mtu, 1500);
    ck_assert_int_eq(opts.log_level, LOG_DEBUG);
}
END_TEST

START_TEST(ip_dhcp_and_prefixes)
{
    ck_assert_int_eq(parse_kernel("ip=dhcp"), 0);
    ck_assert(opts.ip_dhcp);
    ck_assert_int_eq(parse_kernel("ip=192.168.1.7/32"), 0);
    ck_assert_uint_eq(opts.ip_prefix_len, 32);
    ck_assert_int_eq(parse_kernel("ip=10.1.2.3/1"), 0);
    ck_assert_uint_eq(opts.ip_prefix_len, 1);
    refused("ip=10.0.0.2/0", "malformed value in 'ip=10.0.0.2/0'");
    refused("ip=10.0.0.2/33", "malformed value in 'ip=10.0.0.2/33'");
    refused("ip=10.0.0.300/24", "malformed value in 'ip=10.0.0.300/24'");
    refused("ip=10.0.0.2", "malformed value in 'ip=10.0.0.2'");
    refused("ip=10.0.0.2/", "malformed value in 'ip=10.0.0.2/'");
    refused("ip=10.0.0.2/024", "malformed value in 'ip=10.0.0.2/024'");
    refused("ip=010.0.0.2/24", "malformed value in 'ip=010.0.0.2/24'");
    refused("ip=10.0.0/24", "malformed value in 'ip=10.0.0/24'");
    refused("ip=", "malformed value in 'ip='");
    refused("ip=DHCP", "malformed value in 'ip=DHCP'");
    /* Not a host address: unspecified, loopback, multicast. */
    refused("ip=0.0.0.0/8", "malformed value in 'ip=0.0.0.0/8'");
    refused("ip=127.0.0.1/8", "malformed value in 'ip=127.0.0.1/8'");
    refused("ip=224.0.0.1/24", "malformed value in 'ip=224.0.0.1/24'");
}
END_TEST

START_TEST(gateway_must_be_in_subnet)
{
    ck_assert_int_eq(parse_kernel("ip=10.0.0.2/24 gw=10.0.0.254"), 0);
    ck_assert_int_eq(parse_kernel("gw=10.0.0.254 ip=10.0.0.2/24"), 0); /* order does not matter */
    ck_assert_int_eq(parse_kernel("ip=10.0.0.2/8 gw=10.200.3.4"), 0);
    /* With DHCP the gateway is not checked against a subnet we do not know yet. */
    ck_assert_int_eq(parse_kernel("gw=192.168.0.1"), 0);
    ck_assert(opts.ip_dhcp && opts.has_gateway);
    refused("ip=10.0.0.2/24 gw=10.0.1.1", "gw=10.0.1.1 is outside the subnet of ip=10.0.0.2/24");
    refused("gw=10.0.1.1 ip=10.0.0.2/24", "gw=10.0.1.1 is outside the subnet of ip=10.0.0.2/24");
    refused("ip=10.0.0.2/32 gw=10.0.0.1", "gw=10.0.0.1 is outside the subnet of ip=10.0.0.2/32");
    refused("ip=10.0.0.2/24 gw=10.0.0.2", "gw=10.0.0.2 is this machine's own address");
    refused("gw=10.0.0.256", "malformed value in 'gw=10.0.0.256'");
    refused("gw=10.0.0.1/24", "malformed value in 'gw=10.0.0.1/24'");
}
END_TEST

START_TEST(dns_repeats_up_to_the_limit)
{
    ck_assert_int_eq(parse_kernel("dns=1.1.1.1 dns=8.8.8.8 dns=9.9.9.9"), 0);
    ck_assert_uint_eq(opts.dns_count, 3);
    ip_is(opts.dns[0], 1, 1, 1, 1);
    ip_is(opts.dns[1], 8, 8, 8, 8);
    ip_is(opts.dns[2], 9, 9, 9, 9);
    refused("dns=1.1.1.1 dns=8.8.8.8 dns=9.9.9.9 dns=4.4.4.4",
            "too many dns= options at 'dns=4.4.4.4' (at most 3)");
    refused("dns=1.1.1", "malformed value in 'dns=1.1.1'");
    refused("dns= ", "malformed value in 'dns='");
}
END_TEST

/* 68 bytes is the datagram every IPv4 host must accept (RFC 791, "Fragmentation"). */
START_TEST(mtu_range)
{
    ck_assert_int_eq(parse_kernel("mtu=68"), 0);
    ck_assert_uint_eq(opts.mtu, 68);
    ck_assert_int_eq(parse_kernel("mtu=65535"), 0);
    ck_assert_uint_eq(opts.mtu, 65535);
    refused("mtu=67", "value out of range in 'mtu=67' (68..65535)");
    refused("mtu=65536", "value out of range in 'mtu=65536' (68..65535)");
    refused("mtu=99999999999999999999999", "value out of range in 'mtu=99999999999999999999999' (68..65535)");
    refused("mtu=1500x", "malformed value in 'mtu=1500x'");
    refused("mtu=-1", "malformed value in 'mtu=-1'");
    refused("mtu=0x5dc", "malformed value in 'mtu=0x5dc'");
    refused("mtu=", "malformed value in 'mtu='");
}
END_TEST

START_TEST(log_levels)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    for (int i = 0; i < 4; i++) {
        char line[32];
        snprintf(line, sizeof(line), "log=%s", names[i]);
        ck_assert_int_eq(parse_kernel(line), 0);
        ck_assert_int_eq(opts.log_level, i);
    }
    refused("log=verbose", "malformed value in 'log=verbose' (error, warn, info or debug)");
    refused("log=", "malformed value in 'log=' (error, warn, info or debug)");
}
END_TEST

/* blk_timeout=SECONDS bounds how long a block request waits for a silent Xen backend. */
START_TEST(blk_timeout_option)
{
    ck_assert_int_eq(parse_kernel(""), 0);
    ck_assert_uint_eq(opts.blk_timeout_s, OPTIONS_BLK_TIMEOUT_DEFAULT);
    ck_assert_int_eq(parse_kernel("blk_timeout=5"), 0);
    ck_assert_uint_eq(opts.blk_timeout_s, 5);
    refused("blk_timeout=0", "value out of range in 'blk_timeout=0' (1..3600 seconds)");
    refused("blk_timeout=3601", "value out of range in 'blk_timeout=3601' (1..3600 seconds)");
    refused("blk_timeout=x", "malformed value in 'blk_timeout=x'");
}
END_TEST

START_TEST(hosted_only_options)
{
    ck_assert_int_eq(parse_hosted("tap=tap0 disk=/var/lib/disk.img"), 0);
    ck_assert_str_eq(opts.tap, "tap0");
    ck_assert_str_eq(opts.disk, "/var/lib/disk.img");
    ck_assert_int_lt(parse_kernel("tap=tap0"), 0);
    ck_assert_str_eq(err, "option 'tap=' is only for the hosted platform");
    ck_assert_int_lt(parse_kernel("disk=x.img"), 0);
    ck_assert_str_eq(err, "option 'disk=' is only for the hosted platform");
}
END_TEST

/* watchdog=SECONDS arms Xen's domain watchdog (SCHEDOP_watchdog): the kernel's option only,
 * from 2 s (the loop pets every half timeout) to an hour; none by default. */
START_TEST(watchdog_option)
{
    ck_assert_int_eq(parse_kernel(""), 0);
    ck_assert_uint_eq(opts.watchdog_s, 0);
    ck_assert_int_eq(parse_kernel("watchdog=30 -- x"), 0);
    ck_assert_uint_eq(opts.watchdog_s, 30);
    ck_assert_int_eq(parse_kernel("watchdog=2"), 0);
    ck_assert_uint_eq(opts.watchdog_s, 2);
    ck_assert_int_eq(parse_kernel("watchdog=3600"), 0);
    ck_assert_uint_eq(opts.watchdog_s, 3600);
    static const char *const out_of_range[] = { "watchdog=0", "watchdog=1", "watchdog=3601",
                                                "watchdog=99999999999" };
    for (unsigned i = 0; i < sizeof(out_of_range) / sizeof(out_of_range[0]); i++) {
        ck_assert_int_lt(parse_kernel(out_of_range[i]), 0);
        char want[80];
        snprintf(want, sizeof(want), "value out of range in '%s' (2..3600 seconds)",
                 out_of_range[i]);
        ck_assert_str_eq(err, want);
    }
    static const char *const malformed[] = { "watchdog=", "watchdog=5s", "watchdog=-3",
                                             "watchdog=0x10" };
    for (unsigned i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
        ck_assert_int_lt(parse_kernel(malformed[i]), 0);
        char want[80];
        snprintf(want, sizeof(want), "malformed value in '%s'", malformed[i]);
        ck_assert_str_eq(err, want);
    }
    ck_assert_int_lt(parse_kernel("watchdog=10 watchdog=20"), 0);
    ck_assert_str_eq(err, "repeated option 'watchdog'");
    refused("watchdog=10", "option 'watchdog=' is only for the kernel (Xen)");
}
END_TEST

START_TEST(tap_name_rules)
{
    ck_assert_int_eq(parse_hosted("tap=abcdefghijklmno"), 0); /* 15: the most IFNAMSIZ allows */
    ck_assert_str_eq(opts.tap, "abcdefghijklmno");
    refused("tap=abcdefghijklmnop",
            "malformed value in 'tap=abcdefghijklmnop' (an interface name of 1 to 15 characters)");
    refused("tap=a/b", "malformed value in 'tap=a/b' (an interface name of 1 to 15 characters)");
    refused("tap=", "malformed value in 'tap=' (an interface name of 1 to 15 characters)");
    refused("tap=..", "malformed value in 'tap=..' (an interface name of 1 to 15 characters)");
    refused("tap=a:1", "malformed value in 'tap=a:1' (an interface name of 1 to 15 characters)");
    refused("disk=", "malformed value in 'disk='");
}
END_TEST

START_TEST(unknown_and_bare_words)
{
    refused("foo=1", "unknown option 'foo=1'");
    refused("ip=dhcp IP=dhcp", "unknown option 'IP=dhcp'");
    refused("=5", "unknown option '=5'");
    refused("ipx=1", "unknown option 'ipx=1'");
    refused("verbose", "'verbose' is not an option (key=value); application arguments go after '--'");
    refused("ip=dhcp -", "'-' is not an option (key=value); application arguments go after '--'");
}
END_TEST

START_TEST(repeated_options)
{
    refused("mtu=1500 mtu=1400", "repeated option 'mtu'");
    refused("ip=dhcp ip=10.0.0.2/24", "repeated option 'ip'");
    refused("gw=10.0.0.1 gw=10.0.0.1", "repeated option 'gw'");
    refused("log=info log=info", "repeated option 'log'");
    refused("tap=a tap=b", "repeated option 'tap'");
    refused("disk=a disk=b", "repeated option 'disk'");
}
END_TEST

START_TEST(application_arguments)
{
    ck_assert_int_eq(parse_kernel("ip=dhcp -- --port 80   verbose  -- x=1"), 0);
    ck_assert_int_eq(opts.app_argc, 5);
    ck_assert_str_eq(opts.app_argv[0], "--port");
    ck_assert_str_eq(opts.app_argv[1], "80");
    ck_assert_str_eq(opts.app_argv[2], "verbose");
    ck_assert_str_eq(opts.app_argv[3], "--");
    ck_assert_str_eq(opts.app_argv[4], "x=1");
    ck_assert_ptr_null(opts.app_argv[5]);
    /* Anything goes after "--", even unknown keys and hosted-only ones on the kernel. */
    ck_assert_int_eq(parse_kernel("-- tap=tap0 foo"), 0);
    ck_assert_int_eq(opts.app_argc, 2);
    ck_assert_int_eq(parse_kernel("--"), 0);
    ck_assert_int_eq(opts.app_argc, 0);
    /* "--x" is not the separator. */
    refused("--x", "'--x' is not an option (key=value); application arguments go after '--'");
}
END_TEST

START_TEST(application_argument_limit)
{
    char line[512] = "--";
    for (int i = 0; i < OPTIONS_MAX_APP_ARGS; i++)
        strcat(line, " a");
    ck_assert_int_eq(parse_kernel(line), 0);
    ck_assert_int_eq(opts.app_argc, OPTIONS_MAX_APP_ARGS);
    ck_assert_ptr_null(opts.app_argv[OPTIONS_MAX_APP_ARGS]);
    strcat(line, " b");
    ck_assert_int_eq(parse_kernel(line), -E2BIG);
    ck_assert_str_eq(err, "too many application arguments after '--' (at most 32)");
}
END_TEST

START_TEST(separators)
{
    ck_assert_int_eq(parse_kernel("\tip=10.0.0.2/24 \t  gw=10.0.0.1\t\tlog=warn   -- a\tb  "), 0);
    ck_assert(!opts.ip_dhcp);
    ck_assert(opts.has_gateway);
    ck_assert_int_eq(opts.log_level, LOG_WARN);
    ck_assert_int_eq(opts.app_argc, 2);
    ck_assert_str_eq(opts.app_argv[1], "b");
    /* A loader's trailing newline is a separator too. */
    ck_assert_int_eq(parse_kernel("log=debug\n"), 0);
    ck_assert_int_eq(opts.log_level, LOG_DEBUG);
}
END_TEST

START_TEST(line_length_limit)
{
    char *line = malloc(OPTIONS_CMDLINE_MAX + 1);
    ck_assert_ptr_nonnull(line);
    /* 1023 bytes fit (the storage keeps the terminator). */
    memset(line, ' ', OPTIONS_CMDLINE_MAX - 1);
    memcpy(line, "log=warn", 8);
    line[OPTIONS_CMDLINE_MAX - 1] = '\0';
    ck_assert_int_eq(parse_kernel(line), 0);
    ck_assert_int_eq(opts.log_level, LOG_WARN);
    memset(line, ' ', OPTIONS_CMDLINE_MAX);
    line[OPTIONS_CMDLINE_MAX] = '\0';
    ck_assert_int_eq(parse_kernel(line), -E2BIG);
    ck_assert_str_eq(err, "command line longer than 1023 bytes");
    free(line);
}
END_TEST

/* The strings the options hold point into their own storage, not into the caller's line. */
START_TEST(strings_outlive_the_input)
{
    char line[64];
    strcpy(line, "tap=tap7 disk=d.img -- arg");
    ck_assert_int_eq(parse_hosted(line), 0);
    memset(line, 'X', sizeof(line));
    ck_assert_str_eq(opts.tap, "tap7");
    ck_assert_str_eq(opts.disk, "d.img");
    ck_assert_str_eq(opts.app_argv[0], "arg");
}
END_TEST

START_TEST(error_buffer_is_optional_and_bounded)
{
    ck_assert_int_eq(options_parse("foo=1", OPTIONS_PLATFORM_KERNEL, &opts, NULL, 0), -EINVAL);
    char small[8];
    ck_assert_int_eq(options_parse("foo=1", OPTIONS_PLATFORM_KERNEL, &opts, small, sizeof(small)),
                     -EINVAL);
    ck_assert_str_eq(small, "unknown");
}
END_TEST

static Suite *options_suite(void)
{
    Suite *s = suite_create("options");
    TCase *tc = tcase_create("options");
    tcase_add_test(tc, empty_line_gives_defaults);
    tcase_add_test(tc, static_network);
    tcase_add_test(tc, ip_dhcp_and_prefixes);
    tcase_add_test(tc, gateway_must_be_in_subnet);
    tcase_add_test(tc, dns_repeats_up_to_the_limit);
    tcase_add_test(tc, mtu_range);
    tcase_add_test(tc, log_levels);
    tcase_add_test(tc, hosted_only_options);
    tcase_add_test(tc, watchdog_option);
    tcase_add_test(tc, tap_name_rules);
    tcase_add_test(tc, unknown_and_bare_words);
    tcase_add_test(tc, repeated_options);
    tcase_add_test(tc, application_arguments);
    tcase_add_test(tc, application_argument_limit);
    tcase_add_test(tc, separators);
    tcase_add_test(tc, line_length_limit);
    tcase_add_test(tc, strings_outlive_the_input);
    tcase_add_test(tc, error_buffer_is_optional_and_bounded);
    tcase_add_test(tc, blk_timeout_option);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(options_suite)
