/*
 * lib/parse: strict number and address parsing (see lib/parse.h).
 */
#include <stdbool.h>
#include "lib/errno.h"
#include "lib/parse.h"

static int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

int parse_u64_prefix(const char *s, size_t len, unsigned base, uint64_t *out, size_t *used)
{
    size_t i = 0;
    if (base == 0) {
        base = 10;
        if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digit_value(s[2]) < 16) {
            base = 16;
            i = 2;
        }
    }
    if (base != 10 && base != 16)
        return -EINVAL;
    size_t start = i;
    uint64_t v = 0;
    bool overflow = false;
    for (; i < len; i++) {
        int d = digit_value(s[i]);
        if (d >= (int)base)
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            overflow = true; /* keep scanning so `used` still covers the whole number */
        else
            v = v * base + (uint64_t)d;
    }
    if (i == start)
        return -EINVAL;
    if (overflow)
        return -ERANGE;
    *out = v;
    if (used)
        *used = i;
    return 0;
}

int parse_u64(const char *s, size_t len, unsigned base, uint64_t *out)
{
    uint64_t v;
    size_t used;
    int rc = parse_u64_prefix(s, len, base, &v, &used);
    if (rc < 0)
        return rc;
    if (used != len)
        return -EINVAL;
    *out = v;
    return 0;
}

int parse_u32(const char *s, size_t len, unsigned base, uint32_t *out)
{
    uint64_t v;
    int rc = parse_u64(s, len, base, &v);
    if (rc < 0)
        return rc;
    if (v > UINT32_MAX)
        return -ERANGE;
    *out = (uint32_t)v;
    return 0;
}

int parse_i64(const char *s, size_t len, int64_t *out)
{
    bool negative = len > 0 && s[0] == '-';
    uint64_t mag;
    size_t skip = negative ? 1 : 0;
    int rc = parse_u64(s + skip, len - skip, 10, &mag);
    if (rc < 0)
        return rc;
    if (negative) {
        if (mag > (uint64_t)INT64_MAX + 1)
            return -ERANGE;
        *out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            return -ERANGE;
        *out = (int64_t)mag;
    }
    return 0;
}

/* A decimal field of at most max_digits digits, no leading zero unless it is "0". */
static int parse_small_decimal(const char *s, size_t len, size_t max_digits, unsigned max,
                               unsigned *out, size_t *used)
{
    size_t i = 0;
    unsigned v = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9') {
        if (i == max_digits)
            return -EINVAL;
        v = v * 10 + (unsigned)(s[i] - '0');
        i++;
    }
    if (i == 0 || (i > 1 && s[0] == '0'))
        return -EINVAL;
    if (v > max)
        return -ERANGE;
    *out = v;
    *used = i;
    return 0;
}

int parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
    uint8_t a[4];
    size_t pos = 0;
    for (int i = 0; i < 4; i++) {
        if (i > 0) {
            if (pos >= len || s[pos] != '.')
                return -EINVAL;
            pos++;
        }
        unsigned v;
        size_t used;
        int rc = parse_small_decimal(s + pos, len - pos, 3, 255, &v, &used);
        if (rc < 0)
            return rc;
        a[i] = (uint8_t)v;
        pos += used;
    }
    if (pos != len)
        return -EINVAL;
    for (int i = 0; i < 4; i++)
        out[i] = a[i];
    return 0;
}

int parse_ipv4_cidr(const char *s, size_t len, uint8_t addr[4], uint8_t *prefix_len)
{
    size_t slash = 0;
    while (slash < len && s[slash] != '/')
        slash++;
    if (slash == len)
        return -EINVAL;
    uint8_t a[4];
    int rc = parse_ipv4(s, slash, a);
    if (rc < 0)
        return rc;
    unsigned n;
    size_t used;
    rc = parse_small_decimal(s + slash + 1, len - slash - 1, 2, 32, &n, &used);
    if (rc < 0)
        return rc;
    if (slash + 1 + used != len)
        return -EINVAL;
    for (int i = 0; i < 4; i++)
        addr[i] = a[i];
    *prefix_len = (uint8_t)n;
    return 0;
}

int parse_mac(const char *s, size_t len, uint8_t out[6])
{
    if (len != 17)
        return -EINVAL;
    char sep = s[2];
    if (sep != ':' && sep != '-')
        return -EINVAL;
    uint8_t m[6];
    for (int i = 0; i < 6; i++) {
        const char *p = s + i * 3;
        int hi = digit_value(p[0]), lo = digit_value(p[1]);
        if (hi > 15 || lo > 15)
            return -EINVAL;
        if (i < 5 && p[2] != sep)
            return -EINVAL;
        m[i] = (uint8_t)(hi << 4 | lo);
    }
    for (int i = 0; i < 6; i++)
        out[i] = m[i];
    return 0;
}
