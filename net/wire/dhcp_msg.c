/*
 * net/dhcp_msg: DHCP message parsing and building (see dhcp_msg.h).
 *
 * Parsing runs in two passes. The first walks each option area (the options field, then
 * file and sname when option 52 overloads them, in the order RFC 2131 section 4.1 gives) and
 * gathers the bytes of every known option, concatenating repeated instances as RFC 3396
 * requires. The second checks each gathered option's total length against RFC 2132 and
 * decodes it. Unknown options are skipped once their length is known to fit.
 */
#include "net/wire/dhcp_msg.h"
#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/string.h"

/* How a known option's total (concatenated) length is checked. */
struct option_rule {
    uint8_t code;
    uint8_t has_bit;
    uint8_t min_len;
    uint8_t max_len;     /* 0: any length (only a bounded prefix is kept) */
    uint8_t multiple;    /* the length must be a multiple of this */
};

static const struct option_rule option_rules[] = {
    { DHCP_OPT_SUBNET_MASK, DHCP_HAS_SUBNET_MASK, 4, 4, 1 },    /* RFC 2132 3.3 */
    { DHCP_OPT_ROUTER, DHCP_HAS_ROUTER, 4, 0, 4 },              /* RFC 2132 3.5 */
    { DHCP_OPT_DNS, DHCP_HAS_DNS, 4, 0, 4 },                    /* RFC 2132 3.8 */
    { DHCP_OPT_HOSTNAME, DHCP_HAS_HOSTNAME, 1, 0, 1 },          /* RFC 2132 3.14 */
    { DHCP_OPT_MTU, DHCP_HAS_MTU, 2, 2, 1 },                    /* RFC 2132 5.1 */
    { DHCP_OPT_REQUESTED_IP, DHCP_HAS_REQUESTED_IP, 4, 4, 1 },  /* RFC 2132 9.1 */
    { DHCP_OPT_LEASE_TIME, DHCP_HAS_LEASE_TIME, 4, 4, 1 },      /* RFC 2132 9.2 */
    { DHCP_OPT_MSG_TYPE, DHCP_HAS_MSG_TYPE, 1, 1, 1 },          /* RFC 2132 9.6 */
    { DHCP_OPT_SERVER_ID, DHCP_HAS_SERVER_ID, 4, 4, 1 },        /* RFC 2132 9.7 */
    { DHCP_OPT_PARAM_REQUEST, DHCP_HAS_PARAM_REQUEST, 1, 0, 1 },/* RFC 2132 9.8 */
    { DHCP_OPT_MESSAGE, DHCP_HAS_MESSAGE, 1, 0, 1 },            /* RFC 2132 9.9 */
    { DHCP_OPT_MAX_MSG_SIZE, DHCP_HAS_MAX_MSG_SIZE, 2, 2, 1 },  /* RFC 2132 9.10 */
    { DHCP_OPT_RENEWAL_T1, DHCP_HAS_T1, 4, 4, 1 },              /* RFC 2132 9.11 */
    { DHCP_OPT_REBINDING_T2, DHCP_HAS_T2, 4, 4, 1 },            /* RFC 2132 9.12 */
    { DHCP_OPT_CLIENT_ID, DHCP_HAS_CLIENT_ID, 2, 0, 1 },        /* RFC 2132 9.14 */
};
#define RULE_COUNT (sizeof(option_rules) / sizeof(option_rules[0]))

/* Bytes kept per gathered option: enough for every list the decoder stores. */
#define GATHER_KEEP 64

struct gathered {
    bool seen[RULE_COUNT];
    uint16_t total[RULE_COUNT];
    uint8_t data[RULE_COUNT][GATHER_KEEP];
    bool overload_seen;
    uint8_t overload;
};

static int rule_index(uint8_t code)
{
    for (unsigned i = 0; i < RULE_COUNT; i++)
        if (option_rules[i].code == code)
            return (int)i;
    return -1;
}

static void gather_append(struct gathered *g, int idx, const uint8_t *data, uint8_t len)
{
    uint16_t have = g->total[idx];
    g->seen[idx] = true;
    if (have < GATHER_KEEP) {
        size_t room = GATHER_KEEP - have;
        memcpy(g->data[idx] + have, data, len < room ? len : room);
    }
    g->total[idx] = (uint16_t)(have + len);
}

/* Walks one option area. `main_area` is the options field, the only place option 52 may be. */
static enum dhcp_parse_error gather_area(const uint8_t *p, size_t len, bool main_area,
                                         struct gathered *g)
{
    size_t i = 0;
    while (i < len) {
        uint8_t code = p[i];
        if (code == DHCP_OPT_PAD) {
            i++;
            continue;
        }
        if (code == DHCP_OPT_END)
            return DHCP_PARSE_OK;
        if (i + 2 > len)
            return DHCP_PARSE_OPTION_OVERRUN;
        uint8_t olen = p[i + 1];
        if (i + 2 + olen > len)
            return DHCP_PARSE_OPTION_OVERRUN;
        const uint8_t *val = p + i + 2;
        if (code == DHCP_OPT_OVERLOAD) {
            /* RFC 2132 9.3: one byte, 1..3, and only in the options field. */
            if (!main_area || g->overload_seen)
                return DHCP_PARSE_BAD_OVERLOAD;
            if (olen != 1)
                return DHCP_PARSE_BAD_OPTION_LEN;
            if (val[0] < 1 || val[0] > 3)
                return DHCP_PARSE_BAD_OVERLOAD;
            g->overload_seen = true;
            g->overload = val[0];
        } else {
            int idx = rule_index(code);
            if (idx >= 0)
                gather_append(g, idx, val, olen);
        }
        i += 2 + (size_t)olen;
    }
    return DHCP_PARSE_NO_END;
}

static void copy_text(char *dst, size_t dst_size, uint8_t *out_len, const uint8_t *src,
                      uint16_t total)
{
    size_t n = total < GATHER_KEEP ? total : GATHER_KEEP;
    if (n > dst_size - 1)
        n = dst_size - 1;
    /* Printable ASCII only: these strings end up in logs. */
    for (size_t i = 0; i < n; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
    dst[n] = '\0';
    *out_len = (uint8_t)n;
}

static uint8_t copy_addresses(uint8_t (*dst)[4], unsigned max, const uint8_t *src, uint16_t total,
                              uint8_t *total_out)
{
    unsigned count = total / 4;
    unsigned kept = count < max ? count : max;
    if (kept * 4 > GATHER_KEEP)
        kept = GATHER_KEEP / 4;
    for (unsigned i = 0; i < kept; i++)
        memcpy(dst[i], src + 4 * i, 4);
    *total_out = (uint8_t)(count > 255 ? 255 : count);
    return (uint8_t)kept;
}

static enum dhcp_parse_error decode_option(const struct option_rule *rule, const uint8_t *v,
                                           uint16_t total, struct dhcp_message *m)
{
    switch (rule->code) {
    case DHCP_OPT_SUBNET_MASK: memcpy(m->subnet_mask, v, 4); break;
    case DHCP_OPT_SERVER_ID: memcpy(m->server_id, v, 4); break;
    case DHCP_OPT_REQUESTED_IP: memcpy(m->requested_ip, v, 4); break;
    case DHCP_OPT_LEASE_TIME: m->lease_time = load_be32(v); break;
    case DHCP_OPT_RENEWAL_T1: m->t1 = load_be32(v); break;
    case DHCP_OPT_REBINDING_T2: m->t2 = load_be32(v); break;
    case DHCP_OPT_MTU:
        m->mtu = load_be16(v);
        if (m->mtu < DHCP_MIN_MTU)
            return DHCP_PARSE_BAD_OPTION_VALUE;
        break;
    case DHCP_OPT_MAX_MSG_SIZE:
        m->max_msg_size = load_be16(v);
        if (m->max_msg_size < DHCP_MIN_MAX_MSG_SIZE)
            return DHCP_PARSE_BAD_OPTION_VALUE;
        break;
    case DHCP_OPT_MSG_TYPE:
        m->type = v[0];
        if (m->type < DHCPDISCOVER || m->type > DHCPINFORM)
            return DHCP_PARSE_BAD_OPTION_VALUE;
        break;
    case DHCP_OPT_ROUTER:
        m->router_count = copy_addresses(m->routers, DHCP_MAX_ROUTERS, v, total, &m->router_total);
        break;
    case DHCP_OPT_DNS:
        m->dns_count = copy_addresses(m->dns, DHCP_MAX_DNS, v, total, &m->dns_total);
        break;
    case DHCP_OPT_PARAM_REQUEST: {
        size_t n = total < DHCP_MAX_PARAMS ? total : DHCP_MAX_PARAMS;
        memcpy(m->params, v, n);
        m->param_count = (uint8_t)n;
        break;
    }
    case DHCP_OPT_CLIENT_ID: {
        size_t n = total < DHCP_MAX_CLIENT_ID ? total : DHCP_MAX_CLIENT_ID;
        memcpy(m->client_id, v, n);
        m->client_id_len = (uint8_t)n;
        break;
    }
    case DHCP_OPT_HOSTNAME:
        copy_text(m->hostname, sizeof(m->hostname), &m->hostname_len, v, total);
        break;
    case DHCP_OPT_MESSAGE:
        copy_text(m->message, sizeof(m->message), &m->message_len, v, total);
        break;
    default:
        break;
    }
    m->has |= DHCP_HAS(rule->has_bit);
    return DHCP_PARSE_OK;
}

enum dhcp_parse_error dhcp_msg_parse(const uint8_t *buf, size_t len, struct dhcp_message *m)
{
    memset(m, 0, sizeof(*m));
    if (len < DHCP_MIN_LEN)
        return DHCP_PARSE_TOO_SHORT;
    if (len > DHCP_MAX_LEN)
        return DHCP_PARSE_TOO_LONG;

    m->op = buf[0];
    m->htype = buf[1];
    m->hlen = buf[2];
    m->hops = buf[3];
    m->xid = load_be32(buf + 4);
    m->secs = load_be16(buf + 8);
    m->flags = load_be16(buf + 10);
    memcpy(m->ciaddr, buf + 12, 4);
    memcpy(m->yiaddr, buf + 16, 4);
    memcpy(m->siaddr, buf + 20, 4);
    memcpy(m->giaddr, buf + 24, 4);
    memcpy(m->chaddr, buf + 28, DHCP_CHADDR_LEN);
    if (m->hlen > DHCP_CHADDR_LEN)
        return DHCP_PARSE_BAD_HLEN;
    if (load_be32(buf + DHCP_FIXED_LEN) != DHCP_COOKIE)
        return DHCP_PARSE_BAD_COOKIE;

    struct gathered g;
    memset(&g, 0, sizeof(g));
    enum dhcp_parse_error err = gather_area(buf + DHCP_MIN_LEN, len - DHCP_MIN_LEN, true, &g);
    if (err != DHCP_PARSE_OK)
        return err;
    /* RFC 2131 section 4.1: the options field first, then 'file', then 'sname'. */
    if (g.overload_seen && (g.overload & 1)) {
        err = gather_area(buf + DHCP_FILE_OFFSET, DHCP_FILE_LEN, false, &g);
        if (err != DHCP_PARSE_OK)
            return err;
    }
    if (g.overload_seen && (g.overload & 2)) {
        err = gather_area(buf + DHCP_SNAME_OFFSET, DHCP_SNAME_LEN, false, &g);
        if (err != DHCP_PARSE_OK)
            return err;
    }

    for (unsigned i = 0; i < RULE_COUNT; i++) {
        uint16_t total = g.total[i];
        if (!g.seen[i])
            continue;
        const struct option_rule *rule = &option_rules[i];
        if (total < rule->min_len || (rule->max_len && total > rule->max_len) ||
            total % rule->multiple != 0)
            return DHCP_PARSE_BAD_OPTION_LEN;
        err = decode_option(rule, g.data[i], total, m);
        if (err != DHCP_PARSE_OK)
            return err;
    }
    return DHCP_PARSE_OK;
}

const char *dhcp_parse_error_name(enum dhcp_parse_error err)
{
    static const char *const names[DHCP_PARSE_ERROR_COUNT] = {
        [DHCP_PARSE_OK] = "ok",
        [DHCP_PARSE_TOO_SHORT] = "too short",
        [DHCP_PARSE_TOO_LONG] = "too long",
        [DHCP_PARSE_BAD_COOKIE] = "bad magic cookie",
        [DHCP_PARSE_BAD_HLEN] = "bad hardware address length",
        [DHCP_PARSE_OPTION_OVERRUN] = "option runs past its area",
        [DHCP_PARSE_NO_END] = "no end option",
        [DHCP_PARSE_BAD_OPTION_LEN] = "bad option length",
        [DHCP_PARSE_BAD_OPTION_VALUE] = "bad option value",
        [DHCP_PARSE_BAD_OVERLOAD] = "bad option overload",
    };
    if ((unsigned)err >= DHCP_PARSE_ERROR_COUNT)
        return "unknown";
    return names[err];
}

/* ---- Building ---- */

struct writer {
    uint8_t *buf;
    size_t cap, pos;
    bool overflow;
};

static void put_option(struct writer *w, uint8_t code, const void *data, size_t len)
{
    if (len > 255 || w->pos + 2 + len > w->cap) {
        w->overflow = true;
        return;
    }
    w->buf[w->pos++] = code;
    w->buf[w->pos++] = (uint8_t)len;
    memcpy(w->buf + w->pos, data, len);
    w->pos += len;
}

static void put_be32_option(struct writer *w, uint8_t code, uint32_t v)
{
    uint8_t b[4];
    store_be32(b, v);
    put_option(w, code, b, 4);
}

static void put_be16_option(struct writer *w, uint8_t code, uint16_t v)
{
    uint8_t b[2];
    store_be16(b, v);
    put_option(w, code, b, 2);
}

int dhcp_msg_build(const struct dhcp_message *m, uint8_t *buf, size_t cap)
{
    if (cap < DHCP_MIN_SEND_LEN)
        return -ENOSPC;
    memset(buf, 0, DHCP_MIN_SEND_LEN);
    buf[0] = m->op;
    buf[1] = m->htype;
    buf[2] = m->hlen;
    buf[3] = m->hops;
    store_be32(buf + 4, m->xid);
    store_be16(buf + 8, m->secs);
    store_be16(buf + 10, m->flags);
    memcpy(buf + 12, m->ciaddr, 4);
    memcpy(buf + 16, m->yiaddr, 4);
    memcpy(buf + 20, m->siaddr, 4);
    memcpy(buf + 24, m->giaddr, 4);
    memcpy(buf + 28, m->chaddr, DHCP_CHADDR_LEN);
    store_be32(buf + DHCP_FIXED_LEN, DHCP_COOKIE);

    struct writer w = { .buf = buf, .cap = cap, .pos = DHCP_MIN_LEN };
    uint32_t has = m->has;
    if (has & DHCP_HAS(DHCP_HAS_MSG_TYPE))
        put_option(&w, DHCP_OPT_MSG_TYPE, &m->type, 1);
    if (has & DHCP_HAS(DHCP_HAS_CLIENT_ID))
        put_option(&w, DHCP_OPT_CLIENT_ID, m->client_id, m->client_id_len);
    if (has & DHCP_HAS(DHCP_HAS_REQUESTED_IP))
        put_option(&w, DHCP_OPT_REQUESTED_IP, m->requested_ip, 4);
    if (has & DHCP_HAS(DHCP_HAS_SERVER_ID))
        put_option(&w, DHCP_OPT_SERVER_ID, m->server_id, 4);
    if (has & DHCP_HAS(DHCP_HAS_SUBNET_MASK))
        put_option(&w, DHCP_OPT_SUBNET_MASK, m->subnet_mask, 4);
    if (has & DHCP_HAS(DHCP_HAS_ROUTER))
        put_option(&w, DHCP_OPT_ROUTER, m->routers, 4u * m->router_count);
    if (has & DHCP_HAS(DHCP_HAS_DNS))
        put_option(&w, DHCP_OPT_DNS, m->dns, 4u * m->dns_count);
    if (has & DHCP_HAS(DHCP_HAS_HOSTNAME))
        put_option(&w, DHCP_OPT_HOSTNAME, m->hostname, m->hostname_len);
    if (has & DHCP_HAS(DHCP_HAS_MTU))
        put_be16_option(&w, DHCP_OPT_MTU, m->mtu);
    if (has & DHCP_HAS(DHCP_HAS_LEASE_TIME))
        put_be32_option(&w, DHCP_OPT_LEASE_TIME, m->lease_time);
    if (has & DHCP_HAS(DHCP_HAS_T1))
        put_be32_option(&w, DHCP_OPT_RENEWAL_T1, m->t1);
    if (has & DHCP_HAS(DHCP_HAS_T2))
        put_be32_option(&w, DHCP_OPT_REBINDING_T2, m->t2);
    if (has & DHCP_HAS(DHCP_HAS_PARAM_REQUEST))
        put_option(&w, DHCP_OPT_PARAM_REQUEST, m->params, m->param_count);
    if (has & DHCP_HAS(DHCP_HAS_MAX_MSG_SIZE))
        put_be16_option(&w, DHCP_OPT_MAX_MSG_SIZE, m->max_msg_size);
    if (has & DHCP_HAS(DHCP_HAS_MESSAGE))
        put_option(&w, DHCP_OPT_MESSAGE, m->message, m->message_len);
    if (w.overflow || w.pos + 1 > cap)
        return -ENOSPC;
    buf[w.pos++] = DHCP_OPT_END;
    if (w.pos < DHCP_MIN_SEND_LEN)
        w.pos = DHCP_MIN_SEND_LEN;   /* already zeroed: Pad options */
    return (int)w.pos;
}

const char *dhcp_msg_type_name(uint8_t type)
{
    /* The names from DHCPDISCOVER (1) to DHCPINFORM (8), packed: no pointer per name. */
    static const char names[] = "DHCPDISCOVER\0DHCPOFFER\0DHCPREQUEST\0DHCPDECLINE\0DHCPACK\0"
                                "DHCPNAK\0DHCPRELEASE\0DHCPINFORM";
    _Static_assert(DHCPDISCOVER == 1 && DHCPINFORM == 8, "the names follow RFC 2132 9.6's numbers");
    if (type < DHCPDISCOVER || type > DHCPINFORM)
        return "DHCP(unknown)";
    const char *name = names;
    for (unsigned i = DHCPDISCOVER; i < type; i++)
        name += strlen(name) + 1;
    return name;
}
