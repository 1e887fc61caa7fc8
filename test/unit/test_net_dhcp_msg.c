/*
 * Unit tests for net/dhcp_msg: the DHCP message codec. Each rule cites the RFC section it
 * comes from (RFC 2131 message format, RFC 2132 options, RFC 3396 long options).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "lib/byteorder.h"
#include "net/wire/dhcp_msg.h"
#include "xenolith/test_main.h"

static uint8_t buf[DHCP_MAX_LEN + 16];

/* A minimal valid reply: fixed header, cookie, then the caller's option bytes. */
static size_t raw_message(const uint8_t *options, size_t options_len)
{
    memset(buf, 0, sizeof(buf));
    buf[0] = DHCP_OP_BOOTREPLY;
    buf[1] = DHCP_HTYPE_ETHERNET;
    buf[2] = 6;
    store_be32(buf + 4, 0x12345678);
    store_be32(buf + DHCP_FIXED_LEN, DHCP_COOKIE);
    memcpy(buf + DHCP_MIN_LEN, options, options_len);
    return DHCP_MIN_LEN + options_len;
}

static enum dhcp_parse_error parse_options(const uint8_t *options, size_t len, struct dhcp_message *m)
{
    return dhcp_msg_parse(buf, raw_message(options, len), m);
}

START_TEST(round_trip_of_every_known_option)
{
    /* RFC 2131 section 2 (format) and RFC 2132 (each option): what we build parses back. */
    struct dhcp_message in, out;
    memset(&in, 0, sizeof(in));
    in.op = DHCP_OP_BOOTREPLY;
    in.htype = 1;
    in.hlen = 6;
    in.xid = 0xdeadbeef;
    in.secs = 7;
    in.flags = DHCP_FLAG_BROADCAST;
    memcpy(in.yiaddr, (uint8_t[]){ 10, 77, 0, 50 }, 4);
    memcpy(in.chaddr, (uint8_t[]){ 2, 0, 0, 0, 0, 1 }, 6);
    in.has = DHCP_HAS(DHCP_HAS_MSG_TYPE) | DHCP_HAS(DHCP_HAS_SUBNET_MASK) |
             DHCP_HAS(DHCP_HAS_ROUTER) | DHCP_HAS(DHCP_HAS_DNS) | DHCP_HAS(DHCP_HAS_MTU) |
             DHCP_HAS(DHCP_HAS_LEASE_TIME) | DHCP_HAS(DHCP_HAS_T1) | DHCP_HAS(DHCP_HAS_T2) |
             DHCP_HAS(DHCP_HAS_SERVER_ID) | DHCP_HAS(DHCP_HAS_REQUESTED_IP) |
             DHCP_HAS(DHCP_HAS_PARAM_REQUEST) | DHCP_HAS(DHCP_HAS_CLIENT_ID) |
             DHCP_HAS(DHCP_HAS_MAX_MSG_SIZE) | DHCP_HAS(DHCP_HAS_HOSTNAME) |
             DHCP_HAS(DHCP_HAS_MESSAGE);
    in.type = DHCPACK;
    memcpy(in.subnet_mask, (uint8_t[]){ 255, 255, 255, 0 }, 4);
    in.router_count = 2;
    memcpy(in.routers[0], (uint8_t[]){ 10, 77, 0, 1 }, 4);
    memcpy(in.routers[1], (uint8_t[]){ 10, 77, 0, 2 }, 4);
    in.dns_count = 1;
    memcpy(in.dns[0], (uint8_t[]){ 10, 77, 0, 3 }, 4);
    in.mtu = 1400;
    in.lease_time = 3600;
    in.t1 = 1000;
    in.t2 = 2000;
    memcpy(in.server_id, (uint8_t[]){ 10, 77, 0, 1 }, 4);
    memcpy(in.requested_ip, (uint8_t[]){ 10, 77, 0, 50 }, 4);
    in.param_count = 3;
    memcpy(in.params, (uint8_t[]){ 1, 3, 6 }, 3);
    in.client_id_len = 7;
    memcpy(in.client_id, (uint8_t[]){ 1, 2, 0, 0, 0, 0, 1 }, 7);
    in.max_msg_size = 1472;
    in.hostname_len = 4;
    memcpy(in.hostname, "echo", 5);
    in.message_len = 2;
    memcpy(in.message, "ok", 3);

    int len = dhcp_msg_build(&in, buf, sizeof(buf));
    ck_assert_int_gt(len, DHCP_MIN_LEN);
    ck_assert_int_eq(dhcp_msg_parse(buf, (size_t)len, &out), DHCP_PARSE_OK);
    ck_assert_uint_eq(out.xid, 0xdeadbeef);
    ck_assert_uint_eq(out.secs, 7);
    ck_assert_uint_eq(out.flags, DHCP_FLAG_BROADCAST);
    ck_assert_uint_eq(out.has, in.has);
    ck_assert_uint_eq(out.type, DHCPACK);
    ck_assert_mem_eq(out.yiaddr, in.yiaddr, 4);
    ck_assert_mem_eq(out.chaddr, in.chaddr, 16);
    ck_assert_mem_eq(out.subnet_mask, in.subnet_mask, 4);
    ck_assert_uint_eq(out.router_count, 2);
    ck_assert_uint_eq(out.router_total, 2);
    ck_assert_mem_eq(out.routers, in.routers, 8);
    ck_assert_uint_eq(out.dns_count, 1);
    ck_assert_mem_eq(out.dns[0], in.dns[0], 4);
    ck_assert_uint_eq(out.mtu, 1400);
    ck_assert_uint_eq(out.lease_time, 3600);
    ck_assert_uint_eq(out.t1, 1000);
    ck_assert_uint_eq(out.t2, 2000);
    ck_assert_mem_eq(out.server_id, in.server_id, 4);
    ck_assert_mem_eq(out.requested_ip, in.requested_ip, 4);
    ck_assert_uint_eq(out.param_count, 3);
    ck_assert_mem_eq(out.params, in.params, 3);
    ck_assert_uint_eq(out.client_id_len, 7);
    ck_assert_mem_eq(out.client_id, in.client_id, 7);
    ck_assert_uint_eq(out.max_msg_size, 1472);
    ck_assert_str_eq(out.hostname, "echo");
    ck_assert_str_eq(out.message, "ok");
}
END_TEST

START_TEST(built_message_is_padded_and_type_comes_first)
{
    /* RFC 1542 section 2.1: BOOTP messages of at least 300 bytes; RFC 2131 section 4.1 asks
     * that option 53 be easy to find: we put it first. The options end with End (RFC 2132 3.2). */
    struct dhcp_message m;
    memset(&m, 0, sizeof(m));
    m.op = DHCP_OP_BOOTREQUEST;
    m.has = DHCP_HAS(DHCP_HAS_MSG_TYPE) | DHCP_HAS(DHCP_HAS_LEASE_TIME);
    m.type = DHCPDISCOVER;
    m.lease_time = 60;
    int len = dhcp_msg_build(&m, buf, sizeof(buf));
    ck_assert_int_eq(len, DHCP_MIN_SEND_LEN);
    ck_assert_uint_eq(load_be32(buf + DHCP_FIXED_LEN), DHCP_COOKIE);
    ck_assert_uint_eq(buf[DHCP_MIN_LEN], DHCP_OPT_MSG_TYPE);
    ck_assert_uint_eq(buf[DHCP_MIN_LEN + 1], 1);
    ck_assert_uint_eq(buf[DHCP_MIN_LEN + 2], DHCPDISCOVER);
    ck_assert_uint_eq(buf[DHCP_MIN_LEN + 3 + 6], DHCP_OPT_END);
    for (int i = DHCP_MIN_LEN + 10; i < len; i++)
        ck_assert_uint_eq(buf[i], 0);
}
END_TEST

START_TEST(build_refuses_a_small_buffer)
{
    struct dhcp_message m;
    memset(&m, 0, sizeof(m));
    uint8_t small[DHCP_MIN_SEND_LEN - 1];
    ck_assert_int_lt(dhcp_msg_build(&m, small, sizeof(small)), 0);
}
END_TEST

START_TEST(short_message_refused)
{
    /* RFC 2131 section 2: 236 fixed bytes plus the 4-byte cookie at least. */
    struct dhcp_message m;
    size_t len = raw_message((const uint8_t[]){ 255 }, 1);
    ck_assert_int_eq(dhcp_msg_parse(buf, DHCP_MIN_LEN - 1, &m), DHCP_PARSE_TOO_SHORT);
    ck_assert_int_eq(dhcp_msg_parse(buf, 0, &m), DHCP_PARSE_TOO_SHORT);
    ck_assert_int_eq(dhcp_msg_parse(buf, len, &m), DHCP_PARSE_OK);
}
END_TEST

START_TEST(overlong_message_refused)
{
    struct dhcp_message m;
    raw_message((const uint8_t[]){ 255 }, 1);
    ck_assert_int_eq(dhcp_msg_parse(buf, DHCP_MAX_LEN + 1, &m), DHCP_PARSE_TOO_LONG);
}
END_TEST

START_TEST(bad_cookie_refused)
{
    /* RFC 2131 section 3 / RFC 2132 section 2: the options field starts with 99.130.83.99. */
    struct dhcp_message m;
    size_t len = raw_message((const uint8_t[]){ 255 }, 1);
    buf[DHCP_FIXED_LEN + 3] ^= 1;
    ck_assert_int_eq(dhcp_msg_parse(buf, len, &m), DHCP_PARSE_BAD_COOKIE);
}
END_TEST

START_TEST(hardware_length_over_16_refused)
{
    /* RFC 2131 section 2: chaddr is 16 bytes, so hlen cannot exceed 16. */
    struct dhcp_message m;
    size_t len = raw_message((const uint8_t[]){ 255 }, 1);
    buf[2] = 17;
    ck_assert_int_eq(dhcp_msg_parse(buf, len, &m), DHCP_PARSE_BAD_HLEN);
}
END_TEST

START_TEST(option_running_past_the_end_refused)
{
    /* RFC 2132 section 2: code, length, then exactly `length` bytes. */
    struct dhcp_message m;
    ck_assert_int_eq(parse_options((const uint8_t[]){ 53, 1 }, 2, &m), DHCP_PARSE_OPTION_OVERRUN);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 53 }, 1, &m), DHCP_PARSE_OPTION_OVERRUN);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 6, 8, 1, 2, 3, 4 }, 6, &m),
                     DHCP_PARSE_OPTION_OVERRUN);
}
END_TEST

START_TEST(missing_end_option_refused)
{
    /* RFC 2132 section 3.2: the End option marks the end of valid information. */
    struct dhcp_message m;
    ck_assert_int_eq(parse_options((const uint8_t[]){ 53, 1, 2 }, 3, &m), DHCP_PARSE_NO_END);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 53, 1, 2, 255 }, 4, &m), DHCP_PARSE_OK);
    ck_assert_uint_eq(m.type, DHCPOFFER);
}
END_TEST

START_TEST(pad_skipped_and_bytes_after_end_ignored)
{
    /* RFC 2132 sections 3.1 and 3.2: Pad is one byte; after End, the rest is padding. */
    struct dhcp_message m;
    const uint8_t opts[] = { 0, 0, 53, 1, 5, 0, 255, 51, 9, 9 };
    ck_assert_int_eq(parse_options(opts, sizeof(opts), &m), DHCP_PARSE_OK);
    ck_assert_uint_eq(m.type, DHCPACK);
    ck_assert(!(m.has & DHCP_HAS(DHCP_HAS_LEASE_TIME)));
}
END_TEST

START_TEST(unknown_options_skipped)
{
    /* RFC 2132 section 2: options not understood are skipped by their length. */
    struct dhcp_message m;
    const uint8_t opts[] = { 43, 3, 1, 2, 3, 200, 0, 53, 1, 2, 255 };
    ck_assert_int_eq(parse_options(opts, sizeof(opts), &m), DHCP_PARSE_OK);
    ck_assert_uint_eq(m.type, DHCPOFFER);
}
END_TEST

START_TEST(fixed_length_options_checked)
{
    /* RFC 2132 3.3 (mask: 4), 9.2 (lease: 4), 9.6 (type: 1), 9.7 (server id: 4), 5.1 (MTU: 2). */
    struct dhcp_message m;
    ck_assert_int_eq(parse_options((const uint8_t[]){ 1, 3, 255, 255, 255, 255 }, 6, &m),
                     DHCP_PARSE_BAD_OPTION_LEN);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 51, 2, 0, 1, 255 }, 5, &m),
                     DHCP_PARSE_BAD_OPTION_LEN);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 53, 2, 1, 1, 255 }, 5, &m),
                     DHCP_PARSE_BAD_OPTION_LEN);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 54, 5, 1, 2, 3, 4, 5, 255 }, 8, &m),
                     DHCP_PARSE_BAD_OPTION_LEN);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 26, 4, 0, 0, 5, 220, 255 }, 7, &m),
                     DHCP_PARSE_BAD_OPTION_LEN);
}
END_TEST

START_TEST(address_lists_must_be_whole_addresses)
{
    /* RFC 2132 3.5 and 3.8: router and DNS lists are a multiple of 4 bytes, at least 4. */
    struct dhcp_message m;
    ck_assert_int_eq(parse_options((const uint8_t[]){ 3, 6, 10, 0, 0, 1, 10, 0, 255 }, 9, &m),
                     DHCP_PARSE_BAD_OPTION_LEN);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 6, 0, 255 }, 3, &m), DHCP_PARSE_BAD_OPTION_LEN);
}
END_TEST

START_TEST(long_address_lists_are_bounded)
{
    /* RFC 2132 3.5: any number of routers may be listed; we keep the first DHCP_MAX_ROUTERS. */
    uint8_t opts[2 + 4 * 10 + 1];
    opts[0] = 3;
    opts[1] = 40;
    for (int i = 0; i < 40; i++)
        opts[2 + i] = (uint8_t)(i + 1);
    opts[42] = 255;
    struct dhcp_message m;
    ck_assert_int_eq(parse_options(opts, sizeof(opts), &m), DHCP_PARSE_OK);
    ck_assert_uint_eq(m.router_count, DHCP_MAX_ROUTERS);
    ck_assert_uint_eq(m.router_total, 10);
    ck_assert_uint_eq(m.routers[3][3], 16);
}
END_TEST

START_TEST(values_below_rfc_minimums_refused)
{
    /* RFC 2132 5.1: MTU at least 68. 9.10: maximum message size at least 576. 9.6: types 1..8. */
    struct dhcp_message m;
    ck_assert_int_eq(parse_options((const uint8_t[]){ 26, 2, 0, 67, 255 }, 5, &m),
                     DHCP_PARSE_BAD_OPTION_VALUE);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 26, 2, 0, 68, 255 }, 5, &m), DHCP_PARSE_OK);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 57, 2, 2, 63, 255 }, 5, &m),
                     DHCP_PARSE_BAD_OPTION_VALUE);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 53, 1, 0, 255 }, 4, &m),
                     DHCP_PARSE_BAD_OPTION_VALUE);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 53, 1, 9, 255 }, 4, &m),
                     DHCP_PARSE_BAD_OPTION_VALUE);
}
END_TEST

START_TEST(split_options_are_concatenated)
{
    /* RFC 3396 section 7: several instances of one option are concatenated in order. */
    struct dhcp_message m;
    const uint8_t opts[] = { 6, 4, 10, 0, 0, 1, 51, 2, 0, 0, 6, 4, 10, 0, 0, 2, 51, 2, 0x0e, 0x10,
                             255 };
    ck_assert_int_eq(parse_options(opts, sizeof(opts), &m), DHCP_PARSE_OK);
    ck_assert_uint_eq(m.dns_count, 2);
    ck_assert_uint_eq(m.dns[1][3], 2);
    ck_assert_uint_eq(m.lease_time, 3600);
    /* Two one-byte message types concatenate to two bytes: not a valid option 53. */
    ck_assert_int_eq(parse_options((const uint8_t[]){ 53, 1, 2, 53, 1, 5, 255 }, 7, &m),
                     DHCP_PARSE_BAD_OPTION_LEN);
}
END_TEST

START_TEST(overloaded_file_and_sname_are_parsed_in_order)
{
    /* RFC 2132 9.3 / RFC 2131 4.1: option 52 = 3 puts options in 'file', then 'sname'. */
    struct dhcp_message m;
    size_t len = raw_message((const uint8_t[]){ 52, 1, 3, 53, 1, 5, 255 }, 7);
    const uint8_t file_opts[] = { 51, 4, 0, 0, 0, 60, 6, 4, 10, 0, 0, 1, 255 };
    const uint8_t sname_opts[] = { 6, 4, 10, 0, 0, 2, 255 };
    memcpy(buf + DHCP_FILE_OFFSET, file_opts, sizeof(file_opts));
    memcpy(buf + DHCP_SNAME_OFFSET, sname_opts, sizeof(sname_opts));
    ck_assert_int_eq(dhcp_msg_parse(buf, len, &m), DHCP_PARSE_OK);
    ck_assert_uint_eq(m.lease_time, 60);
    ck_assert_uint_eq(m.dns_count, 2);
    ck_assert_uint_eq(m.dns[0][3], 1);   /* file before sname */
    ck_assert_uint_eq(m.dns[1][3], 2);

    /* Without option 52 the same bytes in 'file' are not options. */
    len = raw_message((const uint8_t[]){ 53, 1, 5, 255 }, 4);
    memcpy(buf + DHCP_FILE_OFFSET, file_opts, sizeof(file_opts));
    ck_assert_int_eq(dhcp_msg_parse(buf, len, &m), DHCP_PARSE_OK);
    ck_assert(!(m.has & DHCP_HAS(DHCP_HAS_LEASE_TIME)));
}
END_TEST

START_TEST(bad_overload_refused)
{
    /* RFC 2132 9.3: values 1..3, one instance, only in the options field; overloaded areas
     * follow the option format (an End is required there too). */
    struct dhcp_message m;
    ck_assert_int_eq(parse_options((const uint8_t[]){ 52, 1, 4, 255 }, 4, &m),
                     DHCP_PARSE_BAD_OVERLOAD);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 52, 1, 1, 52, 1, 1, 255 }, 7, &m),
                     DHCP_PARSE_BAD_OVERLOAD);
    ck_assert_int_eq(parse_options((const uint8_t[]){ 52, 2, 1, 1, 255 }, 5, &m),
                     DHCP_PARSE_BAD_OPTION_LEN);
    size_t len = raw_message((const uint8_t[]){ 52, 1, 1, 255 }, 4);
    memcpy(buf + DHCP_FILE_OFFSET, (const uint8_t[]){ 52, 1, 2, 255 }, 4);
    ck_assert_int_eq(dhcp_msg_parse(buf, len, &m), DHCP_PARSE_BAD_OVERLOAD);
    len = raw_message((const uint8_t[]){ 52, 1, 2, 255 }, 4);
    memset(buf + DHCP_SNAME_OFFSET, 0, DHCP_SNAME_LEN);   /* all Pad, no End */
    ck_assert_int_eq(dhcp_msg_parse(buf, len, &m), DHCP_PARSE_NO_END);
}
END_TEST

START_TEST(text_options_are_sanitized)
{
    /* RFC 2132 9.9: the message is NVT ASCII; anything else is replaced before it is logged. */
    struct dhcp_message m;
    const uint8_t opts[] = { 56, 4, 'b', 0x1b, '\n', 'd', 255 };
    ck_assert_int_eq(parse_options(opts, sizeof(opts), &m), DHCP_PARSE_OK);
    ck_assert_str_eq(m.message, "b??d");
    ck_assert_uint_eq(m.message_len, 4);
}
END_TEST

START_TEST(every_truncation_of_a_valid_message_is_handled)
{
    /* Strictness: no prefix of a valid message parses into garbage or reads out of bounds. */
    const uint8_t opts[] = { 53, 1, 5, 54, 4, 10, 0, 0, 1, 51, 4, 0, 0, 1, 0, 255 };
    size_t len = raw_message(opts, sizeof(opts));
    uint8_t *copy = malloc(len);
    for (size_t cut = 0; cut < len; cut++) {
        memcpy(copy, buf, cut);
        struct dhcp_message m;
        ck_assert_int_ne(dhcp_msg_parse(copy, cut, &m), DHCP_PARSE_OK);
    }
    free(copy);
}
END_TEST

START_TEST(names_cover_every_value)
{
    for (int e = 0; e < DHCP_PARSE_ERROR_COUNT; e++)
        ck_assert_ptr_nonnull(dhcp_parse_error_name((enum dhcp_parse_error)e));
    ck_assert_str_eq(dhcp_parse_error_name(DHCP_PARSE_ERROR_COUNT), "unknown");
    ck_assert_str_eq(dhcp_msg_type_name(DHCPNAK), "DHCPNAK");
    ck_assert_str_eq(dhcp_msg_type_name(0), "DHCP(unknown)");
}
END_TEST

static Suite *dhcp_msg_suite(void)
{
    Suite *s = suite_create("net_dhcp_msg");
    TCase *tc = tcase_create("codec");
    tcase_add_test(tc, round_trip_of_every_known_option);
    tcase_add_test(tc, built_message_is_padded_and_type_comes_first);
    tcase_add_test(tc, build_refuses_a_small_buffer);
    tcase_add_test(tc, short_message_refused);
    tcase_add_test(tc, overlong_message_refused);
    tcase_add_test(tc, bad_cookie_refused);
    tcase_add_test(tc, hardware_length_over_16_refused);
    tcase_add_test(tc, option_running_past_the_end_refused);
    tcase_add_test(tc, missing_end_option_refused);
    tcase_add_test(tc, pad_skipped_and_bytes_after_end_ignored);
    tcase_add_test(tc, unknown_options_skipped);
    tcase_add_test(tc, fixed_length_options_checked);
    tcase_add_test(tc, address_lists_must_be_whole_addresses);
    tcase_add_test(tc, long_address_lists_are_bounded);
    tcase_add_test(tc, values_below_rfc_minimums_refused);
    tcase_add_test(tc, split_options_are_concatenated);
    tcase_add_test(tc, overloaded_file_and_sname_are_parsed_in_order);
    tcase_add_test(tc, bad_overload_refused);
    tcase_add_test(tc, text_options_are_sanitized);
    tcase_add_test(tc, every_truncation_of_a_valid_message_is_handled);
    tcase_add_test(tc, names_cover_every_value);
    suite_add_tcase(s, tc);
    return s;
}

TEST_MAIN(dhcp_msg_suite)
