/*
 * net/http_path: from a request-target's path to the name of a file: percent-decoding
 * (RFC 3986 2.1) and dot-segment removal (RFC 3986 5.2.4), refusing what could reach outside the
 * served tree or confuse the lookup (NUL, control characters, ".." above the root).
 */
#include "lib/string.h"
#include "http/http.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends one decoded segment to out (at *used), resolving "." and "..". Segments are decoded
 * before the dot test, so "%2e%2e" climbs like "..": resolving after decoding is what makes
 * escaping the root impossible whatever the spelling. */
static int push_segment(const char *seg, size_t seg_len, char *out, size_t out_size, size_t *used)
{
    if (seg_len == 0 || (seg_len == 1 && seg[0] == '.'))
        return 0;
    if (seg_len == 2 && seg[0] == '.' && seg[1] == '.') {
        if (*used == 0)
            return 400;              /* above the root */
        size_t u = *used;
        while (u > 0 && out[u - 1] != '/')
            u--;
        *used = u > 0 ? u - 1 : 0;   /* drop the segment and its separator */
        out[*used] = '\0';
        return 0;
    }
    size_t need = seg_len + (*used ? 1 : 0);
    if (*used + need + 1 > out_size)
        return 414;
    if (*used)
        out[(*used)++] = '/';
    memcpy(out + *used, seg, seg_len);
    *used += seg_len;
    out[*used] = '\0';
    return 0;
}

int http_normalize_path(struct http_str path, char *out, size_t out_size, bool *dir)
{
    if (out_size == 0)
        return 414;
    out[0] = '\0';
    *dir = true;
    if (path.len == 0 || path.ptr[0] != '/')
        return 400;
    char seg[HTTP_PATH_MAX];
    size_t seg_len = 0;
    size_t used = 0;
    bool last_was_dot = false;
    for (size_t i = 1; i <= path.len; i++) {
        if (i == path.len || path.ptr[i] == '/') {
            /* "a/." and "a/.." name directories too (RFC 3986 5.2.4 leaves a trailing slash). */
            last_was_dot = (seg_len == 1 && seg[0] == '.') ||
                           (seg_len == 2 && seg[0] == '.' && seg[1] == '.');
            int rc = push_segment(seg, seg_len, out, out_size, &used);
            if (rc)
                return rc;
            *dir = i < path.len || seg_len == 0 || last_was_dot;
            seg_len = 0;
            continue;
        }
        char c = path.ptr[i];
        if (c == '%') {
            if (i + 2 >= path.len)
                return 400;
            int hi = hex_value(path.ptr[i + 1]);
            int lo = hex_value(path.ptr[i + 2]);
            if (hi < 0 || lo < 0)
                return 400;
            c = (char)(hi * 16 + lo);
            i += 2;
            /* A decoded "/" would let one segment act as two: refuse it rather than guess. */
            if (c == '/' || c == '\0')
                return 400;
        }
        if ((unsigned char)c < 0x20 || c == 0x7f)
            return 400;
        if (seg_len + 1 >= sizeof(seg))
            return 414;
        seg[seg_len++] = c;
    }
    return 0;
}
