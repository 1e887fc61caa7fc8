/*
 * net/dhcp_msg: the DHCP message codec (RFC 2131 section 2, options from RFC 2132).
 * Pure functions over byte buffers: no stack, no clock, no allocation, so the fuzzer and the
 * unit tests drive it directly. Parsing is strict about lengths: a message that is short,
 * carries an option running past its area, lacks the End option or gives a known option a
 * length RFC 2132 does not allow is refused as a whole (the caller counts and drops it).
 * Options the client does not use are skipped after their length is checked.
 */
#ifndef XENOLITH_NET_DHCP_MSG_H
#define XENOLITH_NET_DHCP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

/* Fixed BOOTP header (236 bytes) followed by the magic cookie (RFC 2131 section 3). */
#define DHCP_FIXED_LEN 236
#define DHCP_COOKIE 0x63825363u
#define DHCP_MIN_LEN (DHCP_FIXED_LEN + 4)
/* What we send is padded to the BOOTP minimum (RFC 1542 section 2.1: 300 bytes of BOOTP
 * message) so that old relays do not discard it. */
#define DHCP_MIN_SEND_LEN 300
/* RFC 2131 section 2: a client must accept 576-byte IP datagrams: 548 bytes of DHCP. Larger
 * messages arrive when option 57 allows; the codec accepts up to this many. */
#define DHCP_MAX_LEN 1500

#define DHCP_SNAME_OFFSET 44
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_OFFSET 108
#define DHCP_FILE_LEN 128
#define DHCP_CHADDR_LEN 16

#define DHCP_OP_BOOTREQUEST 1
#define DHCP_OP_BOOTREPLY 2
#define DHCP_HTYPE_ETHERNET 1
#define DHCP_FLAG_BROADCAST 0x8000u

/* Message types, option 53 (RFC 2132 section 9.6). */
enum dhcp_msg_type {
    DHCPDISCOVER = 1,
    DHCPOFFER = 2,
    DHCPREQUEST = 3,
    DHCPDECLINE = 4,
    DHCPACK = 5,
    DHCPNAK = 6,
    DHCPRELEASE = 7,
    DHCPINFORM = 8,
};

/* Option codes the codec understands (RFC 2132). */
enum dhcp_option_code {
    DHCP_OPT_PAD = 0,
    DHCP_OPT_SUBNET_MASK = 1,
    DHCP_OPT_ROUTER = 3,
    DHCP_OPT_DNS = 6,
    DHCP_OPT_HOSTNAME = 12,
    DHCP_OPT_MTU = 26,
    DHCP_OPT_REQUESTED_IP = 50,
    DHCP_OPT_LEASE_TIME = 51,
    DHCP_OPT_OVERLOAD = 52,
    DHCP_OPT_MSG_TYPE = 53,
    DHCP_OPT_SERVER_ID = 54,
    DHCP_OPT_PARAM_REQUEST = 55,
    DHCP_OPT_MESSAGE = 56,
    DHCP_OPT_MAX_MSG_SIZE = 57,
    DHCP_OPT_RENEWAL_T1 = 58,
    DHCP_OPT_REBINDING_T2 = 59,
    DHCP_OPT_CLIENT_ID = 61,
    DHCP_OPT_END = 255,
};

/* Which of the known options a message carries: bit (1 << DHCP_HAS_x). */
enum dhcp_has_bit {
    DHCP_HAS_SUBNET_MASK,
    DHCP_HAS_ROUTER,
    DHCP_HAS_DNS,
    DHCP_HAS_HOSTNAME,
    DHCP_HAS_MTU,
    DHCP_HAS_REQUESTED_IP,
    DHCP_HAS_LEASE_TIME,
    DHCP_HAS_MSG_TYPE,
    DHCP_HAS_SERVER_ID,
    DHCP_HAS_PARAM_REQUEST,
    DHCP_HAS_MESSAGE,
    DHCP_HAS_MAX_MSG_SIZE,
    DHCP_HAS_T1,
    DHCP_HAS_T2,
    DHCP_HAS_CLIENT_ID,
};
#define DHCP_HAS(bit) (1u << (bit))

#define DHCP_MAX_ROUTERS 4
#define DHCP_MAX_DNS 4
#define DHCP_MAX_PARAMS 32
#define DHCP_MAX_CLIENT_ID 32
#define DHCP_MAX_HOSTNAME 64
#define DHCP_MAX_MESSAGE 64

/* RFC 2132 section 5.1: the smallest MTU option value allowed. */
#define DHCP_MIN_MTU 68
/* RFC 2132 section 9.10: the smallest maximum message size option value allowed. */
#define DHCP_MIN_MAX_MSG_SIZE 576
/* Lease time 0xffffffff means infinity (RFC 2131 section 3.3). */
#define DHCP_LEASE_INFINITE 0xffffffffu

/* A message, decoded. Addresses are 4 bytes in network order; integers are host order.
 * Lists hold the first DHCP_MAX_x entries; *_total says how many the message carried. */
struct dhcp_message {
    uint8_t op, htype, hlen, hops;
    uint32_t xid;
    uint16_t secs, flags;
    uint8_t ciaddr[4], yiaddr[4], siaddr[4], giaddr[4];
    uint8_t chaddr[DHCP_CHADDR_LEN];

    uint32_t has;                  /* DHCP_HAS(...) bits */
    uint8_t type;                  /* option 53, enum dhcp_msg_type */
    uint8_t subnet_mask[4];
    uint8_t server_id[4];
    uint8_t requested_ip[4];
    uint32_t lease_time, t1, t2;   /* seconds */
    uint16_t mtu;
    uint16_t max_msg_size;
    uint8_t router_count, router_total;
    uint8_t routers[DHCP_MAX_ROUTERS][4];
    uint8_t dns_count, dns_total;
    uint8_t dns[DHCP_MAX_DNS][4];
    uint8_t param_count;
    uint8_t params[DHCP_MAX_PARAMS];
    uint8_t client_id_len;
    uint8_t client_id[DHCP_MAX_CLIENT_ID];
    uint8_t hostname_len;
    char hostname[DHCP_MAX_HOSTNAME + 1];   /* NUL-terminated */
    uint8_t message_len;
    char message[DHCP_MAX_MESSAGE + 1];     /* option 56, printable copy, NUL-terminated */
};

/* Why a message was refused, for counters and logs. */
enum dhcp_parse_error {
    DHCP_PARSE_OK = 0,
    DHCP_PARSE_TOO_SHORT,          /* under DHCP_MIN_LEN */
    DHCP_PARSE_TOO_LONG,           /* over DHCP_MAX_LEN */
    DHCP_PARSE_BAD_COOKIE,
    DHCP_PARSE_BAD_HLEN,           /* hlen > 16 */
    DHCP_PARSE_OPTION_OVERRUN,     /* an option's length runs past its area */
    DHCP_PARSE_NO_END,             /* an option area without the End option */
    DHCP_PARSE_BAD_OPTION_LEN,     /* a known option with a length RFC 2132 forbids */
    DHCP_PARSE_BAD_OPTION_VALUE,   /* e.g. MTU below 68, unknown message type */
    DHCP_PARSE_BAD_OVERLOAD,       /* option 52 repeated, inside sname/file, or not 1..3 */
    DHCP_PARSE_ERROR_COUNT
};

/* Decodes buf[len] into *msg (fully overwritten). Returns DHCP_PARSE_OK or the reason. */
enum dhcp_parse_error dhcp_msg_parse(const uint8_t *buf, size_t len, struct dhcp_message *msg);
const char *dhcp_parse_error_name(enum dhcp_parse_error err);

/* Encodes *msg into buf[cap]: the fixed header, the cookie, every option whose DHCP_HAS bit is
 * set (message type first, as RFC 2131 section 4.1 asks servers to find it early), End, and
 * padding up to DHCP_MIN_SEND_LEN. sname and file are zero. Returns the length, or -ENOSPC. */
int dhcp_msg_build(const struct dhcp_message *msg, uint8_t *buf, size_t cap);

const char *dhcp_msg_type_name(uint8_t type);

#endif
