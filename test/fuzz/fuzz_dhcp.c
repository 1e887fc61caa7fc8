/*
 * Fuzz harness: DHCP message parsing (net/dhcp_msg) and the client state machine's input path
 * (net/dhcp_client). The input is one message, with its xid and chaddr patched to match the
 * client's; it is fed to the client in every state that reads a reply:
 *   SELECTING   as an OFFER candidate;
 *   REQUESTING  as an ACK/NAK candidate, after a synthetic OFFER of the input's own yiaddr from
 *               its own server identifier (one message cannot be both the OFFER and the ACK, so
 *               without it the ACK path and everything after it would be out of reach);
 *   PROBING     ends with a conflict or not as bit 0 of the input's 'secs' says;
 *   RENEWING and REBINDING (the lease's timers run out one after the other) as the server's
 *               answer to the renewal, up to the lease's expiry.
 * Checks, beyond "no crash, no sanitizer report": a message that parses re-encodes
 * (dhcp_msg_build) into one that parses to the same fields; everything the client sends parses;
 * an applied lease has a prefix length of 1..32; the client stays in a valid state.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/byteorder.h"
#include "net/dhcp/dhcp_client.h"
#include "net/wire/dhcp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xde, 0xad, 0x01 };
#define FUZZ_XID 0x01020304u

static void ops_send(void *ctx, const uint8_t *msg, size_t len, const struct dhcp_dest *dest)
{
    struct dhcp_message m;
    /* Whatever the client sends must itself be a valid message. */
    if (dhcp_msg_parse(msg, len, &m) != DHCP_PARSE_OK)
        abort();
}
static void ops_set_timer(void *ctx, uint64_t deadline_ns) {}
static void ops_probe(void *ctx, const uint8_t address[4]) {}
static void ops_apply(void *ctx, const struct dhcp_lease *lease)
{
    if (lease && (lease->prefix_len < 1 || lease->prefix_len > 32))
        abort();
}
static uint32_t ops_random(void *ctx) { return FUZZ_XID; }

static const struct dhcp_client_ops ops = {
    .send = ops_send, .set_timer = ops_set_timer, .probe = ops_probe,
    .apply = ops_apply, .random = ops_random,
};

static void check_round_trip(const struct dhcp_message *m)
{
    static uint8_t out[DHCP_MAX_LEN];
    int len = dhcp_msg_build(m, out, sizeof(out));
    if (len < 0)
        return;   /* a message with more option bytes than one send buffer */
    struct dhcp_message again;
    if (dhcp_msg_parse(out, (size_t)len, &again) != DHCP_PARSE_OK)
        abort();
    if (again.has != m->has || again.type != m->type || again.xid != m->xid ||
        again.lease_time != m->lease_time || again.router_count != m->router_count ||
        again.dns_count != m->dns_count || memcmp(again.yiaddr, m->yiaddr, 4) != 0 ||
        memcmp(again.server_id, m->server_id, 4) != 0)
        abort();
}

/* The OFFER the input's server would have sent before answering with the input itself. */
static void offer_like(const struct dhcp_message *m, uint8_t *buf, size_t cap, size_t *len)
{
    struct dhcp_message offer;
    memset(&offer, 0, sizeof(offer));
    offer.op = DHCP_OP_BOOTREPLY;
    offer.htype = DHCP_HTYPE_ETHERNET;
    offer.hlen = 6;
    offer.xid = FUZZ_XID;
    memcpy(offer.chaddr, mac, 6);
    memcpy(offer.yiaddr, m->yiaddr, 4);
    memcpy(offer.server_id, m->server_id, 4);
    offer.type = DHCPOFFER;
    offer.has = DHCP_HAS(DHCP_HAS_MSG_TYPE) | DHCP_HAS(DHCP_HAS_SERVER_ID);
    int n = dhcp_msg_build(&offer, buf, cap);
    if (n < 0)
        abort();
    *len = (size_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dhcp_message m;
    bool parsed = dhcp_msg_parse(data, size, &m) == DHCP_PARSE_OK;
    if (parsed)
        check_round_trip(&m);

    if (size < DHCP_MIN_LEN || size > DHCP_MAX_LEN)
        return 0;
    uint8_t *msg = malloc(size);
    if (!msg)
        return 0;
    memcpy(msg, data, size);
    store_be32(msg + 4, FUZZ_XID);
    memcpy(msg + 28, mac, 6);

    struct dhcp_client c;
    struct dhcp_client_config cfg = { .start_delay_max_ns = 0 };
    memcpy(cfg.mac, mac, 6);
    dhcp_client_init(&c, &cfg, &ops, NULL);
    uint64_t now = 1000ull * DHCP_NS_PER_SEC;
    dhcp_client_start(&c, now);
    dhcp_client_input(&c, msg, size, now);           /* as an OFFER candidate */
    if (dhcp_client_state(&c) == DHCP_SELECTING && parsed) {
        static uint8_t offer[DHCP_MAX_LEN];
        size_t offer_len;
        offer_like(&m, offer, sizeof(offer), &offer_len);
        dhcp_client_input(&c, offer, offer_len, now);
    }
    dhcp_client_input(&c, msg, size, now + 1);       /* as an ACK/NAK candidate */
    if (dhcp_client_state(&c) == DHCP_PROBING)
        dhcp_client_probe_done(&c, c.offer.address, msg[8] & 1, now + 2);
    /* The lease's timers, one after the other: each renewal state hears the input once. */
    bool heard_renewing = false, heard_rebinding = false;
    for (int i = 0; i < 16 && dhcp_client_state(&c) >= DHCP_BOUND && c.deadline_ns != UINT64_MAX;
         i++) {
        now = c.deadline_ns;
        dhcp_client_timeout(&c, now);
        if (dhcp_client_state(&c) == DHCP_RENEWING && !heard_renewing) {
            heard_renewing = true;
            dhcp_client_input(&c, msg, size, now + 1);
        } else if (dhcp_client_state(&c) == DHCP_REBINDING && !heard_rebinding) {
            heard_rebinding = true;
            dhcp_client_input(&c, msg, size, now + 1);
        }
    }
    dhcp_client_timeout(&c, c.deadline_ns);
    if (dhcp_client_state(&c) > DHCP_REBINDING)
        abort();
    dhcp_client_stop(&c, true, now + 3);
    free(msg);
    return 0;
}
