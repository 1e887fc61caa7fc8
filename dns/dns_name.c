/*
 * dns/dns_name: domain names in wire form: text conversion (RFC 1035 5.1 escapes), comparison
 * without regard to ASCII case (RFC 4343) and zone membership.
 */
#include "dns/dns_wire.h"

#include "lib/errno.h"
#include "lib/string.h"

uint8_t dns_ascii_lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

void dns_name_root(struct dns_name *n)
{
    n->len = 1;
    n->wire[0] = 0;
}

int dns_text_unescape(const char *text, size_t left, uint8_t *out)
{
    if (text[0] != '\\') {
        *out = (uint8_t)text[0];
        return 1;
    }
    if (left < 2)
        return -EINVAL;
    if (text[1] >= '0' && text[1] <= '9') {
        if (left < 4)
            return -EINVAL;
        unsigned v = 0;
        for (int i = 1; i <= 3; i++) {
            if (text[i] < '0' || text[i] > '9')
                return -EINVAL;
            v = v * 10 + (unsigned)(text[i] - '0');
        }
        if (v > 255)
            return -EINVAL;
        *out = (uint8_t)v;
        return 4;
    }
    *out = (uint8_t)text[1];
    return 2;
}

int dns_name_from_text(struct dns_name *n, const char *text, size_t len)
{
    if (len == 0)
        return -EINVAL;
    if (len == 1 && text[0] == '.') {
        dns_name_root(n);
        return 0;
    }
    size_t out = 0, i = 0;
    while (i < len) {
        size_t label_at = out++;
        unsigned label_len = 0;
        while (i < len && text[i] != '.') {
            uint8_t c;
            int used = dns_text_unescape(text + i, len - i, &c);
            if (used < 0)
                return used;
            i += (size_t)used;
            if (++label_len > DNS_LABEL_MAX || out + 1 >= DNS_NAME_MAX)
                return -EINVAL; /* RFC 1035 2.3.4: 63-byte labels, 255-byte names */
            n->wire[out++] = c;
        }
        if (label_len == 0)
            return -EINVAL; /* "a..b", ".a": an empty label is only the root */
        n->wire[label_at] = (uint8_t)label_len;
        if (i < len)
            i++; /* the dot; a final dot ends the name */
    }
    n->wire[out++] = 0;
    n->len = (uint8_t)out;
    return 0;
}

static bool needs_escape(uint8_t c)
{
    return c == '.' || c == '\\' || c <= ' ' || c >= 0x7f;
}

int dns_name_to_text(const struct dns_name *n, char *buf, size_t cap)
{
    size_t out = 0;
    size_t pos = 0;
    if (n->len == 0 || n->wire[0] == 0) {
        if (cap < 2)
            return -ENOSPC;
        buf[0] = '.';
        buf[1] = 0;
        return 1;
    }
    while (pos < n->len && n->wire[pos] != 0) {
        uint8_t label_len = n->wire[pos++];
        if (out > 0) {
            if (out + 1 >= cap)
                return -ENOSPC;
            buf[out++] = '.';
        }
        for (uint8_t i = 0; i < label_len && pos < n->len; i++, pos++) {
            uint8_t c = n->wire[pos];
            if (!needs_escape(c)) {
                if (out + 1 >= cap)
                    return -ENOSPC;
                buf[out++] = (char)c;
            } else if (c == '.' || c == '\\') {
                if (out + 2 >= cap)
                    return -ENOSPC;
                buf[out++] = '\\';
                buf[out++] = (char)c;
            } else {
                if (out + 4 >= cap)
                    return -ENOSPC;
                buf[out++] = '\\';
                buf[out++] = (char)('0' + c / 100);
                buf[out++] = (char)('0' + c / 10 % 10);
                buf[out++] = (char)('0' + c % 10);
            }
        }
    }
    buf[out] = 0;
    return (int)out;
}

/* Byte-wise comparison ignoring ASCII case is label-wise comparison: length bytes are at most 63,
 * below 'A', and equal lengths keep the label boundaries of both names aligned. */
static bool wire_equal_nocase(const uint8_t *a, const uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (dns_ascii_lower(a[i]) != dns_ascii_lower(b[i]))
            return false;
    return true;
}

bool dns_name_equal(const struct dns_name *a, const struct dns_name *b)
{
    return a->len == b->len && wire_equal_nocase(a->wire, b->wire, a->len);
}

bool dns_name_is_under(const struct dns_name *name, const struct dns_name *zone)
{
    size_t pos = 0;
    while (pos < name->len) {
        if ((size_t)name->len - pos == zone->len)
            return wire_equal_nocase(name->wire + pos, zone->wire, zone->len);
        if (name->wire[pos] == 0)
            return false;
        pos += (size_t)name->wire[pos] + 1;
    }
    return false;
}

int dns_name_labels(const struct dns_name *n)
{
    int labels = 0;
    size_t pos = 0;
    while (pos < n->len && n->wire[pos] != 0) {
        labels++;
        pos += (size_t)n->wire[pos] + 1;
    }
    return labels;
}
