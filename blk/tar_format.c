/*
 * blk/tar_format: header, number, pax record and name parsing for the tar reader (see
 * tar_format.h). Everything here works on bytes already in memory and trusts none of them.
 */
#include "blk/tar_format.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"

#define INT63_MAX 0x7fffffffffffffffull

bool tar_block_is_zero(const uint8_t block[TAR_BLOCK_SIZE])
{
    for (size_t i = 0; i < TAR_BLOCK_SIZE; i++)
        if (block[i])
            return false;
    return true;
}

void tar_checksums(const uint8_t block[TAR_BLOCK_SIZE], uint32_t *unsigned_sum, int32_t *signed_sum)
{
    uint32_t u = 0;
    int32_t s = 0;
    for (size_t i = 0; i < TAR_BLOCK_SIZE; i++) {
        bool in_field = i >= TAR_CHKSUM_OFF && i < TAR_CHKSUM_OFF + TAR_CHKSUM_LEN;
        uint8_t b = in_field ? (uint8_t)' ' : block[i];
        u += b;
        s += (int8_t)b;
    }
    *unsigned_sum = u;
    *signed_sum = s;
}

static bool is_terminator(uint8_t c)
{
    return c == '\0' || c == ' ';
}

int tar_parse_octal(const uint8_t *field, size_t len, uint64_t *out, const char **problem)
{
    size_t i = 0;
    while (i < len && field[i] == ' ')
        i++;
    if (i == len || field[i] < '0' || field[i] > '7') {
        *problem = i == len || is_terminator(field[i]) ? "empty numeric field"
                                                       : "bad octal digit";
        return -EBADMSG;
    }
    uint64_t v = 0;
    for (; i < len && field[i] >= '0' && field[i] <= '7'; i++) {
        if (v > (INT63_MAX >> 3)) {
            *problem = "octal number too large";
            return -EBADMSG;
        }
        v = (v << 3) | (uint64_t)(field[i] - '0');
    }
    for (; i < len; i++) {
        if (!is_terminator(field[i])) {
            *problem = "bad octal digit";
            return -EBADMSG;
        }
    }
    *out = v;
    return 0;
}

int tar_parse_number(const uint8_t *field, size_t len, uint64_t *out, const char **problem)
{
    if (!(field[0] & 0x80))
        return tar_parse_octal(field, len, out, problem);
    if (field[0] & 0x40) {
        *problem = "negative base-256 number";
        return -EBADMSG;
    }
    uint64_t v = field[0] & 0x3f;
    for (size_t i = 1; i < len; i++) {
        if (v > (INT63_MAX >> 8)) {
            *problem = "base-256 number too large";
            return -EBADMSG;
        }
        v = (v << 8) | field[i];
    }
    *out = v;
    return 0;
}

/* Copies a possibly unterminated field, stopping at its first NUL. */
static size_t copy_field(char *dst, const uint8_t *field, size_t len)
{
    size_t n = strnlen((const char *)field, len);
    memcpy(dst, field, n);
    dst[n] = '\0';
    return n;
}

int tar_parse_header(const uint8_t block[TAR_BLOCK_SIZE], struct tar_header *out, char *problem,
                     size_t problem_size)
{
    const char *why = NULL;
    uint64_t stored;
    if (tar_parse_octal(block + TAR_CHKSUM_OFF, TAR_CHKSUM_LEN, &stored, &why) != 0) {
        ksnprintf(problem, problem_size, "%s in the %s field", why, "checksum");
        return -EBADMSG;
    }
    uint32_t usum;
    int32_t ssum;
    tar_checksums(block, &usum, &ssum);
    if (stored != usum && (int64_t)stored != (int64_t)ssum) {
        ksnprintf(problem, problem_size, "header checksum mismatch (stored %llo, computed %o)",
                  (unsigned long long)stored, (unsigned)usum);
        return -EBADMSG;
    }
    const uint8_t *magic = block + TAR_MAGIC_OFF;
    bool posix = memcmp(magic, "ustar\0" "00", 8) == 0;
    /* Some writers put "ustar\0" with a version of two spaces or NULs; accept the magic. */
    bool posix_loose = memcmp(magic, "ustar\0", 6) == 0;
    bool gnu = memcmp(magic, "ustar  \0", 8) == 0;
    if (!posix && !posix_loose && !gnu) {
        ksnprintf(problem, problem_size, "no ustar magic (not a ustar, GNU or pax archive)");
        return -EBADMSG;
    }
    memset(out, 0, sizeof(*out));
    out->gnu = gnu;
    uint64_t mode, mtime;
    const char *field = NULL;   /* the numeric field that is bad: one report for all */
    if (tar_parse_octal(block + TAR_MODE_OFF, TAR_MODE_LEN, &mode, &why) != 0)
        field = "mode";
    else if (tar_parse_number(block + TAR_SIZE_OFF, TAR_SIZE_LEN, &out->size, &why) != 0)
        field = "size";
    else if (tar_parse_number(block + TAR_MTIME_OFF, TAR_MTIME_LEN, &mtime, &why) != 0)
        field = "mtime";
    if (field) {
        ksnprintf(problem, problem_size, "%s in the %s field", why, field);
        return -EBADMSG;
    }
    out->mode = (uint32_t)(mode & 07777);
    out->mtime = (int64_t)mtime;
    out->typeflag = block[TAR_TYPE_OFF] ? (char)block[TAR_TYPE_OFF] : '0';
    size_t n = 0;
    if (!gnu && block[TAR_PREFIX_OFF]) {
        n = copy_field(out->name, block + TAR_PREFIX_OFF, TAR_PREFIX_LEN);
        out->name[n++] = '/';
    }
    copy_field(out->name + n, block + TAR_NAME_OFF, TAR_NAME_LEN);
    copy_field(out->linkname, block + TAR_LINKNAME_OFF, TAR_LINKNAME_LEN);
    return 0;
}

/* A decimal number: digits only, at least one, no overflow. */
static bool parse_decimal(const char *s, size_t len, uint64_t *out)
{
    if (len == 0)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (INT63_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

static bool key_is(const char *key, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(key, want, len) == 0;
}

/* "[-]digits[.digits]": the whole seconds. */
static bool parse_pax_time(const char *s, size_t len, int64_t *out)
{
    bool negative = len && s[0] == '-';
    size_t start = negative ? 1 : 0, dot = start;
    while (dot < len && s[dot] != '.')
        dot++;
    uint64_t secs, frac;
    if (!parse_decimal(s + start, dot - start, &secs))
        return false;
    if (dot < len && !parse_decimal(s + dot + 1, len - dot - 1, &frac))
        return false;
    *out = negative ? -(int64_t)secs : (int64_t)secs;
    return true;
}

int tar_parse_pax(const uint8_t *data, size_t len, struct tar_pax *out, const char **problem)
{
    memset(out, 0, sizeof(*out));
    const char *p = (const char *)data;
    size_t pos = 0;
    while (pos < len) {
        if (p[pos] == '\0') {
            /* Padding after the last record: the rest must be NULs too. */
            for (; pos < len; pos++)
                if (p[pos]) {
                    *problem = "NUL byte between pax records";
                    return -EBADMSG;
                }
            break;
        }
        size_t space = pos;
        while (space < len && space - pos < 20 && p[space] != ' ')
            space++;
        uint64_t rec_len;
        if (space >= len || p[space] != ' ' || !parse_decimal(p + pos, space - pos, &rec_len)) {
            *problem = "malformed pax record length";
            return -EBADMSG;
        }
        if (rec_len > len - pos || rec_len < space - pos + 4) {
            *problem = "pax record length out of range";
            return -EBADMSG;
        }
        size_t end = pos + (size_t)rec_len;       /* one past the '\n' */
        if (p[end - 1] != '\n') {
            *problem = "pax record does not end with a newline";
            return -EBADMSG;
        }
        const char *key = p + space + 1;
        const char *eq = memchr(key, '=', (size_t)(p + end - 1 - key));
        if (!eq || eq == key) {
            *problem = "pax record without a keyword";
            return -EBADMSG;
        }
        size_t key_len = (size_t)(eq - key);
        const char *value = eq + 1;
        size_t value_len = (size_t)(p + end - 1 - value);
        if (memchr(value, '\0', value_len) || memchr(key, '\0', key_len)) {
            *problem = "NUL byte in a pax record";
            return -EBADMSG;
        }
        if (key_is(key, key_len, "path")) {
            out->has_path = value_len > 0;
            out->path = value;
            out->path_len = value_len;
        } else if (key_is(key, key_len, "linkpath")) {
            out->has_linkpath = value_len > 0;
            out->linkpath = value;
            out->linkpath_len = value_len;
        } else if (key_is(key, key_len, "size")) {
            out->has_size = value_len > 0;
            if (value_len && !parse_decimal(value, value_len, &out->size)) {
                *problem = "bad size in a pax record";
                return -EBADMSG;
            }
        } else if (key_is(key, key_len, "mtime")) {
            out->has_mtime = value_len > 0;
            if (value_len && !parse_pax_time(value, value_len, &out->mtime)) {
                *problem = "bad mtime in a pax record";
                return -EBADMSG;
            }
        }
        pos = end;
    }
    return 0;
}

int tar_normalize_path(const char *in, size_t len, char *out, size_t out_size,
                       const char **problem)
{
    if (len && in[0] == '/') {
        *problem = "absolute name";
        return -EBADMSG;
    }
    size_t n = 0;
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && in[i] != '/') {
            uint8_t c = (uint8_t)in[i];
            if (c < 0x20 || c == 0x7f) {
                *problem = "control character in the name";
                return -EBADMSG;
            }
            i++;
        }
        size_t comp = i - start;
        i++;                                     /* the '/' (or one past the end) */
        if (comp == 0 || (comp == 1 && in[start] == '.'))
            continue;
        if (comp == 2 && in[start] == '.' && in[start + 1] == '.') {
            *problem = "'..' component in the name";
            return -EBADMSG;
        }
        size_t need = n + (n ? 1 : 0) + comp;
        if (need > TAR_PATH_MAX || need + 1 > out_size) {
            *problem = "name too long";
            return -ENAMETOOLONG;
        }
        if (n)
            out[n++] = '/';
        memcpy(out + n, in + start, comp);
        n += comp;
    }
    if (out_size)
        out[n] = '\0';
    return 0;
}
