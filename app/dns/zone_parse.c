/*
 * app/dns/zone_parse: the master-file parser (RFC 1035 5.1, $TTL of RFC 2308 4). It reads the
 * tokens of zone_lex.c (words, quoted strings, ends of lines), turns each entry into a record in
 * the zone's compact form (zone.h), and stops at the first error with the file and line. zone.c
 * then sorts the records and checks the zone as a whole.
 */
#include "zone.h"
#include "zone_build.h"
#include "zone_lex.h"
#include "lib/ctype.h"
#include "lib/errno.h"
#include "lib/parse.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "xenolith/mem.h"

#define MAX_RDATA_TOKENS 64
#define TTL_MAX 0x7fffffffu             /* RFC 2181 8 */

/* A domain name: '@' is the origin; a name not ending in an unescaped '.' is relative to it. */
static int parse_name(struct parser *ps, const struct token *t, struct dns_name *out)
{
    if (t->kind != TOK_WORD)
        return zone_error_at(ps, t->line, "a quoted domain name");
    if (t->len == 1 && t->s[0] == '@') {
        *out = ps->origin;
        return 0;
    }
    size_t slashes = 0;
    while (slashes + 1 < t->len && t->s[t->len - 2 - slashes] == '\\')
        slashes++;
    bool absolute = t->len > 0 && t->s[t->len - 1] == '.' && slashes % 2 == 0;
    struct dns_name rel;
    if (dns_name_from_text(absolute ? out : &rel, t->s, t->len) != 0)
        return zone_bad_token(ps, t, "bad domain name");
    if (absolute)
        return 0;
    if (rel.len - 1u + ps->origin.len > DNS_NAME_MAX)
        return zone_error_at(ps, t->line, "'%.*s' with the origin is over 255 bytes", zone_shown(t), t->s);
    memcpy(out->wire, rel.wire, rel.len - 1u);
    memcpy(out->wire + rel.len - 1, ps->origin.wire, ps->origin.len);
    out->len = (uint8_t)(rel.len - 1u + ps->origin.len);
    return 0;
}

/* A TTL's units and their seconds. */
static const char units[5] = "smhdw";
static const uint32_t unit_seconds[5] = { 1, 60, 3600, 86400, 604800 };

/* A TTL: seconds, or numbers with units s, m, h, d, w ("1h30m"); at most 2^31 - 1. */
static int parse_ttl(struct parser *ps, const struct token *t, uint32_t *out)
{
    uint64_t total = 0, value = 0;
    bool digits = false;
    if (t->kind != TOK_WORD || t->len == 0 || !isdigit((unsigned char)t->s[0]))
        goto bad;
    for (size_t i = 0; i < t->len; i++) {
        char c = t->s[i];
        if (c >= '0' && c <= '9') {
            value = value * 10 + (uint64_t)(c - '0');
            digits = true;
            if (value > TTL_MAX)
                break;
            continue;
        }
        uint32_t unit = 0;
        for (int k = 0; k < 5; k++)
            if (units[k] == tolower((unsigned char)c))
                unit = unit_seconds[k];
        if (!unit || !digits)
            goto bad;
        total += value * unit;
        value = 0;
        digits = false;
        if (total > TTL_MAX)
            break;
    }
    total += value;
    if (total > TTL_MAX || value > TTL_MAX)
        return zone_error_at(ps, t->line, "TTL '%.*s' is over 2147483647 (RFC 2181 8)", zone_shown(t), t->s);
    *out = (uint32_t)total;
    return 0;
bad:
    return zone_bad_token(ps, t, "bad TTL");
}

static int parse_number(struct parser *ps, const struct token *t, uint32_t max, uint32_t *out)
{
    if (t->kind != TOK_WORD || parse_u32(t->s, t->len, 10, out) != 0 || *out > max)
        return zone_error_at(ps, t->line, "bad number '%.*s' (0..%u)", zone_shown(t), t->s, max);
    return 0;
}

/* RFC 4291 2.2: eight groups of up to four hex digits, "::" for a run of zero groups, and the
 * last 32 bits optionally as a dotted IPv4 address. */
static int parse_ipv6(const char *s, size_t len, uint8_t out[16])
{
    uint8_t bytes[16];
    size_t n = 0, i = 0;
    int gap = -1;                               /* where "::" stands, in bytes */
    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    }
    while (i < len) {
        size_t j = i;
        uint32_t v = 0;
        while (j < len && j - i < 4 && isxdigit((unsigned char)s[j]))
            v = v * 16 + (uint32_t)(isdigit((unsigned char)s[j]) ? s[j++] - '0' : (tolower((unsigned char)s[j++]) - 'a' + 10));
        if (j < len && s[j] == '.') {           /* an embedded IPv4 address ends the text */
            if (n > 12 || parse_ipv4(s + i, len - i, bytes + n) != 0)
                return -EINVAL;
            n += 4;
            break;
        }
        if (j == i || n == 16)
            return -EINVAL;
        bytes[n++] = (uint8_t)(v >> 8);
        bytes[n++] = (uint8_t)v;
        if ((i = j) == len)
            break;
        if (s[i++] != ':' || i == len)          /* a group ends in ':', never the text */
            return -EINVAL;
        if (s[i] == ':') {
            if (gap >= 0)
                return -EINVAL;
            gap = (int)n;
            i++;
        }
    }
    if (gap < 0 ? n != 16 : n > 14)
        return -EINVAL;
    memset(out, 0, 16);
    size_t head = gap < 0 ? n : (size_t)gap;
    memcpy(out, bytes, head);
    memcpy(out + 16 - (n - head), bytes + head, n - head);
    return 0;
}

/* A character-string (RFC 1035 5.1): \X is X, \DDD the byte of that decimal value. Appends its
 * length byte and bytes to rd at *len. */
static int put_string(struct parser *ps, const struct token *t, uint8_t *rd, size_t cap, size_t *len)
{
    size_t start = *len, n = 0;
    if (start + 1 > cap)
        return zone_error_at(ps, t->line, "TXT data longer than %zu bytes", cap);
    size_t pos = start + 1;
    for (size_t i = 0; i < t->len;) {
        uint8_t byte;
        int used = dns_text_unescape(t->s + i, t->len - i, &byte);
        if (used < 0)
            return zone_bad_token(ps, t, "bad escape in");
        i += (size_t)used;
        if (++n > 255)
            return zone_error_at(ps, t->line, "a character-string longer than 255 bytes (RFC 1035 3.3)");
        if (pos >= cap)
            return zone_error_at(ps, t->line, "TXT data longer than %zu bytes", cap);
        rd[pos++] = byte;
    }
    rd[start] = (uint8_t)n;
    *len = pos;
    return 0;
}

static size_t put16(uint8_t *rd, size_t len, uint32_t v)
{
    rd[len] = (uint8_t)(v >> 8);
    rd[len + 1] = (uint8_t)v;
    return len + 2;
}

struct type_info {
    char name[6];
    uint16_t type;
};

static const struct type_info types[] = {
    { "A", DNS_TYPE_A },     { "AAAA", DNS_TYPE_AAAA }, { "NS", DNS_TYPE_NS },
    { "CNAME", DNS_TYPE_CNAME }, { "SOA", DNS_TYPE_SOA }, { "PTR", DNS_TYPE_PTR },
    { "MX", DNS_TYPE_MX },   { "TXT", DNS_TYPE_TXT },   { "SRV", DNS_TYPE_SRV },
};

/* The rdata of one record in uncompressed wire form, field by field as the codec's
 * dns_rdata_layout lays the type out; ntok is right for it. Returns its length or -EINVAL. */
static int build_rdata(struct parser *ps, const char *layout, const struct token *tok, size_t ntok,
                       uint8_t *rd, size_t cap)
{
    size_t len = 0, fields = strlen(layout);
    for (size_t i = 0; i < ntok; i++) {
        const struct token *t = &tok[i];
        char field = layout[i < fields ? i : fields - 1];
        struct dns_name n;
        uint32_t v;
        int rc = 0;
        switch (field) {
        case 'n':
        case 'N':
            if ((rc = parse_name(ps, t, &n)) == 0) {
                memcpy(rd + len, n.wire, n.len);
                len += n.len;
            }
            break;
        case '2':
            if ((rc = parse_number(ps, t, 65535, &v)) == 0)
                len = put16(rd, len, v);
            break;
        case '4':
            /* SOA: the serial (field 2), then refresh, retry, expire, minimum: TTL-like */
            if ((rc = i == 2 ? parse_number(ps, t, 0xffffffffu, &v) : parse_ttl(ps, t, &v)) == 0)
                len = put16(rd, put16(rd, len, v >> 16), v & 0xffff);
            break;
        case 'a':
        case 'A':
            if (t->kind != TOK_WORD ||
                (field == 'a' ? parse_ipv4(t->s, t->len, rd + len) : parse_ipv6(t->s, t->len, rd + len)) != 0)
                return zone_error_at(ps, t->line, "bad IPv%c address '%.*s'", field == 'a' ? '4' : '6',
                                     zone_shown(t), t->s);
            len += field == 'a' ? 4 : 16;
            break;
        default: /* 's': TXT's character-strings */
            rc = put_string(ps, t, rd, cap, &len);
            break;
        }
        if (rc != 0)
            return rc;
    }
    return (int)len;
}

static int grow(void **buf, size_t *cap, size_t need, size_t unit)
{
    if (need <= *cap)
        return 0;
    size_t want = *cap ? *cap * 2 : 64;
    while (want < need)
        want *= 2;
    void *p = krealloc(*buf, want * unit);
    if (!p)
        return -ENOMEM;
    *buf = p;
    *cap = want;
    return 0;
}

static int store(struct parser *ps, const struct dns_name *owner, uint16_t type, uint32_t ttl,
                 const uint8_t *rd, size_t rdlen, unsigned line)
{
    struct zone *z = ps->z;
    if (z->count >= ZONE_MAX_RECORDS)
        return zone_error_at(ps, line, "more than %u records in one zone", ZONE_MAX_RECORDS);
    bool same = ps->have_last_name && z->names[ps->last_name] == owner->len &&
                memcmp(z->names + ps->last_name + 1, owner->wire, owner->len) == 0;
    if (!same) {
        if (grow((void **)&z->names, &ps->names_cap, z->names_len + 1 + owner->len, 1) != 0)
            return zone_error_at(ps, line, "out of memory");
        ps->last_name = (uint32_t)z->names_len;
        ps->have_last_name = true;
        z->names[z->names_len] = owner->len;
        memcpy(z->names + z->names_len + 1, owner->wire, owner->len);
        z->names_len += 1u + owner->len;
    }
    if (grow((void **)&z->data, &ps->data_cap, z->data_len + rdlen + 1, 1) != 0 ||
        grow((void **)&z->rrs, &ps->rrs_cap, z->count + 1, sizeof(z->rrs[0])) != 0)
        return zone_error_at(ps, line, "out of memory");
    z->rrs[z->count++] = (struct zone_rr){ .owner = ps->last_name, .rdata = (uint32_t)z->data_len,
                                           .ttl = ttl, .line = line, .type = type,
                                           .rdlen = (uint16_t)rdlen };
    memcpy(z->data + z->data_len, rd, rdlen);
    z->data_len += rdlen;
    return 0;
}

/* $ORIGIN name, $TTL ttl (RFC 1035 5.1, RFC 2308 4); $INCLUDE and others are refused. */
static int directive(struct parser *ps, const struct token *t)
{
    struct token arg, end;
    int rc = zone_lex(ps, &arg);
    if (rc != 0)
        return rc;
    bool origin = zone_word_is(t, "$ORIGIN"), ttl = zone_word_is(t, "$TTL");
    if (!origin && !ttl) /* $INCLUDE too: a zone is one file */
        return zone_bad_token(ps, t, "unsupported directive");
    if (arg.kind == TOK_EOL || arg.kind == TOK_EOF)
        return zone_error_at(ps, t->line, "%.*s needs a value", zone_shown(t), t->s);
    if (origin) {
        struct dns_name n;
        if ((rc = parse_name(ps, &arg, &n)) != 0)
            return rc;
        ps->origin = n;
    } else {
        if ((rc = parse_ttl(ps, &arg, &ps->dollar_ttl)) != 0)
            return rc;
        ps->have_dollar_ttl = true;
    }
    if ((rc = zone_lex(ps, &end)) != 0)
        return rc;
    if (end.kind != TOK_EOL && end.kind != TOK_EOF)
        return zone_error_at(ps, end.line, "unexpected '%.*s' after %.*s", zone_shown(&end), end.s, zone_shown(t), t->s);
    return 0;
}

/* One entry starting with token t: a directive or a record. */
static int entry(struct parser *ps, struct token *t)
{
    int rc;
    if (t->kind == TOK_WORD && !t->blank_start && t->len > 0 && t->s[0] == '$')
        return directive(ps, t);
    unsigned line = t->line;
    if (t->blank_start) {
        if (!ps->have_owner)
            return zone_error_at(ps, line, "no owner name");
    } else {
        if ((rc = parse_name(ps, t, &ps->owner)) != 0)
            return rc;
        ps->have_owner = true;
        if ((rc = zone_lex(ps, t)) != 0)
            return rc;
    }
    /* [<TTL>] [<class>] or [<class>] [<TTL>], then the type (RFC 1035 5.1). */
    bool have_ttl = false, have_class = false;
    uint32_t ttl = 0;
    for (;;) {
        if (t->kind == TOK_WORD && !have_ttl && t->len > 0 && isdigit((unsigned char)t->s[0])) {
            if ((rc = parse_ttl(ps, t, &ttl)) != 0)
                return rc;
            have_ttl = true;
        } else if (!have_class && zone_word_is(t, "IN")) {
            have_class = true;
        } else if (zone_word_is(t, "CH") || zone_word_is(t, "CS") || zone_word_is(t, "HS")) {
            return zone_error_at(ps, t->line, "class %.*s is not supported: only IN", zone_shown(t), t->s);
        } else {
            break;
        }
        if ((rc = zone_lex(ps, t)) != 0)
            return rc;
    }
    if (t->kind != TOK_WORD)
        return zone_error_at(ps, t->line, "a record type expected");
    const struct type_info *ti = NULL;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (zone_word_is(t, types[i].name))
            ti = &types[i];
    if (!ti)
        return zone_bad_token(ps, t, "unknown or unsupported record type");

    struct token tok[MAX_RDATA_TOKENS];
    size_t ntok = 0;
    for (;;) {
        struct token a;
        if ((rc = zone_lex(ps, &a)) != 0)
            return rc;
        if (a.kind == TOK_EOL || a.kind == TOK_EOF)
            break;
        if (ntok == MAX_RDATA_TOKENS)
            return zone_error_at(ps, a.line, "more than %u fields in one record", MAX_RDATA_TOKENS);
        tok[ntok++] = a;
    }
    const char *layout = dns_rdata_layout(ti->type);
    size_t fields = strlen(layout);
    bool strings = layout[fields - 1] == 's';  /* one or more */
    if (strings ? ntok == 0 : ntok != fields)
        return zone_error_at(ps, line, "%s takes %s%zu field%s, not %zu", ti->name, strings ? "at least " : "",
                             fields, fields == 1 ? "" : "s", ntok);

    if (!have_ttl) {
        if (ps->have_dollar_ttl)
            ttl = ps->dollar_ttl;
        else if (ps->have_last_ttl)
            ttl = ps->last_ttl;    /* RFC 1035 5.1: the last explicitly stated value */
        else
            return zone_error_at(ps, line, "no TTL and no $TTL (RFC 2308 4)");
    } else {
        ps->last_ttl = ttl;
        ps->have_last_ttl = true;
    }

    struct zone *z = ps->z;
    if (z->count == 0) {
        if (ti->type != DNS_TYPE_SOA)
            return zone_error_at(ps, line, "the first record must be the zone's SOA (RFC 1035 5.2)");
        z->apex = ps->owner;
    } else if (ti->type == DNS_TYPE_SOA) {
        return zone_error_at(ps, line, "a second SOA record (RFC 1035 5.2)");
    }
    if (!dns_name_is_under(&ps->owner, &z->apex)) {
        char owner[DNS_TEXT_MAX];
        dns_name_to_text(&ps->owner, owner, sizeof(owner));
        return zone_error_at(ps, line, "'%.64s' is outside the zone", owner);
    }
    uint8_t rd[DNS_RDATA_RAW_MAX];
    int rdlen = build_rdata(ps, layout, tok, ntok, rd, sizeof(rd));
    if (rdlen < 0)
        return rdlen;
    return store(ps, &ps->owner, ti->type, ttl, rd, (size_t)rdlen, line);
}

int zone_parse(const char *file, const char *text, size_t len, const struct dns_name *origin,
               struct zone **out, char *err, size_t err_size)
{
    *out = NULL;
    struct parser ps = (struct parser){ .file = file, .p = text, .end = text + len, .line = 1,
                          .at_line_start = true, .err = err, .err_size = err_size,
                          .origin = *origin };
    if (len > ZONE_MAX_FILE_BYTES) {
        ksnprintf(err, err_size, "%s: larger than %u bytes", file, ZONE_MAX_FILE_BYTES);
        return -E2BIG;
    }
    ps.z = kcalloc(1, sizeof(*ps.z));
    if (!ps.z) {
        ksnprintf(err, err_size, "%s: out of memory", file);
        return -ENOMEM;
    }
    int rc = 0;
    for (;;) {
        struct token t;
        if ((rc = zone_lex(&ps, &t)) != 0)
            break;
        if (t.kind == TOK_EOF)
            break;
        if (t.kind == TOK_EOL)
            continue;
        if ((rc = entry(&ps, &t)) != 0)
            break;
    }
    if (rc == 0) {
        struct zone_build b = { .file = file, .last_line = ps.line };
        rc = zone_finish(ps.z, &b, err, err_size);
    }
    if (rc != 0) {
        zone_free(ps.z);
        return rc;
    }
    *out = ps.z;
    return 0;
}
