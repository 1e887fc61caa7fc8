/*
 * net/dhcp_msg: DHCP message parsing and building (see dhcp_msg.h).
 *
 * Parsing runs in two passes. The first walks each option area (the options field, then
 * file and sname when option 52 overloads them, in the order RFC 2131 section 4.1 gives) and
 * gathers the bytes of every known option, concatenating repeated instances as RFC 3396
 * requires. The second checks each gathered option's total length against RFC 2132 and
 * decodes it. Unknown options are skipped once their length is known to fit. One table of the
 * known options (option_rules) drives both the checks and decoding and, in its order, building.
 */
#include "net/wire/dhcp_msg.h"
#include "lib/byteorder.h"
#include "lib/errno.h"
#include "lib/string.h"

/* How a known option's value is stored in struct dhcp_message (one rule decodes and builds it). */
enum value_kind {
    VALUE_BYTES,         /* max_len bytes as they are (addresses, the message type) */
    VALUE_BE16,          /* a 16-bit number, at least `least` */
    VALUE_BE32,          /* a 32-bit number */
    VALUE_LIST,          /* up to `cap` bytes, whole units of `multiple`; units kept in len_field */
    VALUE_ADDRESSES,     /* a VALUE_LIST of addresses, the count the message carried after it */
    VALUE_TEXT,          /* up to `cap` printable characters, NUL-terminated; length in len_field */
};

/* A known option: how its total (concatenated) length is checked, and its place in the message.
 * The table's order is the order options are written in. */
struct option_rule {
    uint8_t code;
    uint8_t has_bit;
    uint8_t min_len;
    uint8_t max_len;     /* 0: any length (only a bounded prefix is kept) */
    uint8_t multiple;    /* the length must be a multiple of this */
    uint8_t kind;        /* enum value_kind */
    uint8_t cap;         /* VALUE_LIST, _ADDRESSES, _TEXT: bytes kept */
    uint8_t len_field;   /* offset of the length byte, for the same kinds */
    uint16_t field;      /* offset of the value */
    uint16_t least;      /* VALUE_BE16: the smallest value allowed */
};

#define AT(member) offsetof(struct dhcp_message, member)
#define FIXED(code, bit, len, kind, member, least) \
    { code, bit, len, len, 1, kind, 0, 0, AT(member), least }
#define LISTED(code, bit, min, mult, kind, member, len_member) \
    { code, bit, min, 0, mult, kind, sizeof(((struct dhcp_message *)0)->member) - \
      (kind == VALUE_TEXT), AT(len_member), AT(member), 0 }

static const struct option_rule option_rules[] = {
    FIXED(DHCP_OPT_MSG_TYPE, DHCP_HAS_MSG_TYPE, 1, VALUE_BYTES, type, 0),               /* 9.6 */
    LISTED(DHCP_OPT_CLIENT_ID, DHCP_HAS_CLIENT_ID, 2, 1, VALUE_LIST, client_id,
           client_id_len),                                                               /* 9.14 */
    FIXED(DHCP_OPT_REQUESTED_IP, DHCP_HAS_REQUESTED_IP, 4, VALUE_BYTES, requested_ip, 0), /* 9.1 */
    FIXED(DHCP_OPT_SERVER_ID, DHCP_HAS_SERVER_ID, 4, VALUE_BYTES, server_id, 0),        /* 9.7 */
    FIXED(DHCP_OPT_SUBNET_MASK, DHCP_HAS_SUBNET_MASK, 4, VALUE_BYTES, subnet_mask, 0),  /* 3.3 */
    LISTED(DHCP_OPT_ROUTER, DHCP_HAS_ROUTER, 4, 4, VALUE_ADDRESSES, routers,
           router_count),                                                                /* 3.5 */
    LISTED(DHCP_OPT_DNS, DHCP_HAS_DNS, 4, 4, VALUE_ADDRESSES, dns, dns_count),           /* 3.8 */
    LISTED(DHCP_OPT_HOSTNAME, DHCP_HAS_HOSTNAME, 1, 1, VALUE_TEXT, hostname,
           hostname_len),                                                                /* 3.14 */
    FIXED(DHCP_OPT_MTU, DHCP_HAS_MTU, 2, VALUE_BE16, mtu, DHCP_MIN_MTU),                 /* 5.1 */
    FIXED(DHCP_OPT_LEASE_TIME, DHCP_HAS_LEASE_TIME, 4, VALUE_BE32, lease_time, 0),      /* 9.2 */
    FIXED(DHCP_OPT_RENEWAL_T1, DHCP_HAS_T1, 4, VALUE_BE32, t1, 0),                       /* 9.11 */
    FIXED(DHCP_OPT_REBINDING_T2, DHCP_HAS_T2, 4, VALUE_BE32, t2, 0),                     /* 9.12 */
    LISTED(DHCP_OPT_PARAM_REQUEST, DHCP_HAS_PARAM_REQUEST, 1, 1, VALUE_LIST, params,
           param_count),                                                                 /* 9.8 */
    FIXED(DHCP_OPT_MAX_MSG_SIZE, DHCP_HAS_MAX_MSG_SIZE, 2, VALUE_BE16, max_msg_size,
          DHCP_MIN_MAX_MSG_SIZE),                                                        /* 9.10 */
    LISTED(DHCP_OPT_MESSAGE, DHCP_HAS_MESSAGE, 1, 1, VALUE_TEXT, message, message_len),  /* 9.9 */
};
#define RULE_COUNT (sizeof(option_rules) / sizeof(option_rules[0]))
_Static_assert(AT(message) < 0x10000 && AT(message_len) < 0x100, "offsets fit the rule's fields");

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

/* Stores an option's gathered value (its total length already checked) per its rule. */
static enum dhcp_parse_error decode_option(const struct option_rule *rule, const uint8_t *v,
                                           uint16_t total, struct dhcp_message *m)
{
    uint8_t *field = (uint8_t *)m + rule->field;
    uint8_t *len = (uint8_t *)m + rule->len_field;
    size_t kept = total < rule->cap ? total : rule->cap;    /* cap <= GATHER_KEEP */
    switch (rule->kind) {
    case VALUE_BYTES:
        memcpy(field, v, rule->max_len);
        break;
    case VALUE_BE16: {
        uint16_t x = load_be16(v);
        if (x < rule->least)
            return DHCP_PARSE_BAD_OPTION_VALUE;
        memcpy(field, &x, 2);
        break;
    }
    case VALUE_BE32: {
        uint32_t x = load_be32(v);
        memcpy(field, &x, 4);
        break;
    }
    case VALUE_ADDRESSES:
        len[1] = (uint8_t)(total / 4 > 255 ? 255 : total / 4);   /* how many it carried */
        /* fall through */
    case VALUE_LIST:
        memcpy(field, v, kept);
        *len = (uint8_t)(kept / rule->multiple);
        break;
    case VALUE_TEXT:
        /* Printable ASCII only: these strings end up in logs. */
        for (size_t i = 0; i < kept; i++)
            field[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
        field[kept] = '\0';
        *len = (uint8_t)kept;
        break;
    }
    if (rule->code == DHCP_OPT_MSG_TYPE && (m->type < DHCPDISCOVER || m->type > DHCPINFORM))
        return DHCP_PARSE_BAD_OPTION_VALUE;
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
    for (const struct option_rule *rule = option_rules; rule < option_rules + RULE_COUNT; rule++) {
        if (!(m->has & DHCP_HAS(rule->has_bit)))
            continue;
        const uint8_t *field = (const uint8_t *)m + rule->field;
        size_t len = rule->max_len;
        uint8_t number[4];
        switch (rule->kind) {
        case VALUE_BE16: {
            uint16_t x;
            memcpy(&x, field, 2);
            store_be16(number, x);
            field = number;
            break;
        }
        case VALUE_BE32: {
            uint32_t x;
            memcpy(&x, field, 4);
            store_be32(number, x);
            field = number;
            break;
        }
        case VALUE_LIST:
        case VALUE_ADDRESSES:
        case VALUE_TEXT:
            len = (size_t)((const uint8_t *)m)[rule->len_field] * rule->multiple;
            break;
        }
        put_option(&w, rule->code, field, len);
    }
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
