/*
 * lib/libc/string: the kernel's memory and string functions (standard names, see lib/string.h).
 * memcpy/memmove/memset are on every packet's path: up to 32 bytes they use a few overlapping
 * unaligned word moves, up to REP_MOVSB_MIN a loop of 32-byte word moves, and beyond that
 * `rep movsb`/`rep stosb` on x86_64 (fast with ERMS) or the same word loop elsewhere. The loops carry NO_LIBCALL so that gcc, which recognises
 * copy and fill loops, cannot turn memset's own loop back into a call to memset.
 */
#include <stdint.h>
#include "lib/byteorder.h"
#include "lib/string.h"

#if defined(__x86_64__) && !defined(LIBC_STRING_GENERIC)
#define LIBC_USE_REP_STRING 1
#else
#define LIBC_USE_REP_STRING 0
#endif

#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
/* Non-zero when some byte of w is zero (the classic bit trick, exact for the "any" test). */
#define HAS_ZERO_BYTE(w) (((w) - ONES) & ~(w) & HIGHS)

/* n <= 32. Every load happens before any store, so overlapping buffers are fine too. */
static inline void copy_upto32(unsigned char *d, const unsigned char *s, size_t n)
{
    if (n >= 16) {
        uint64_t a = load_u64(s), b = load_u64(s + 8);
        uint64_t c = load_u64(s + n - 16), e = load_u64(s + n - 8);
        store_u64(d, a);
        store_u64(d + 8, b);
        store_u64(d + n - 16, c);
        store_u64(d + n - 8, e);
    } else if (n >= 8) {
        uint64_t a = load_u64(s), b = load_u64(s + n - 8);
        store_u64(d, a);
        store_u64(d + n - 8, b);
    } else if (n >= 4) {
        uint32_t a = load_u32(s), b = load_u32(s + n - 4);
        store_u32(d, a);
        store_u32(d + n - 4, b);
    } else if (n >= 2) {
        uint16_t a = load_u16(s), b = load_u16(s + n - 2);
        store_u16(d, a);
        store_u16(d + n - 2, b);
    } else if (n == 1) {
        d[0] = s[0];
    }
}

/* Below this, a loop of word moves beats `rep movsb` (whose start-up cost dominates short
 * copies); above it the microcoded string copy wins. Measured on Zen and Intel alike. */
#define REP_MOVSB_MIN 512

/* n > 32. Ascending copy, correct when d <= s even if the buffers overlap: the last 32 bytes
 * are read before anything is written, every other chunk is read before the chunk below it
 * could be overwritten. */
NO_LIBCALL static void copy_words_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    uint64_t t0 = load_u64(s + n - 32), t1 = load_u64(s + n - 24);
    uint64_t t2 = load_u64(s + n - 16), t3 = load_u64(s + n - 8);
    unsigned char *tail = d + n - 32;
    for (; n > 32; n -= 32, d += 32, s += 32) {
        uint64_t a = load_u64(s), b = load_u64(s + 8), c = load_u64(s + 16), e = load_u64(s + 24);
        store_u64(d, a);
        store_u64(d + 8, b);
        store_u64(d + 16, c);
        store_u64(d + 24, e);
    }
    store_u64(tail, t0);
    store_u64(tail + 8, t1);
    store_u64(tail + 16, t2);
    store_u64(tail + 24, t3);
}

/* n > 32. Descending copy, correct when d > s even if the buffers overlap (the mirror image). */
NO_LIBCALL static void copy_words_backward(unsigned char *d, const unsigned char *s, size_t n)
{
    uint64_t h0 = load_u64(s), h1 = load_u64(s + 8), h2 = load_u64(s + 16), h3 = load_u64(s + 24);
    for (; n > 32; n -= 32) {
        const unsigned char *from = s + n - 32;
        unsigned char *to = d + n - 32;
        uint64_t a = load_u64(from), b = load_u64(from + 8);
        uint64_t c = load_u64(from + 16), e = load_u64(from + 24);
        store_u64(to, a);
        store_u64(to + 8, b);
        store_u64(to + 16, c);
        store_u64(to + 24, e);
    }
    store_u64(d, h0);
    store_u64(d + 8, h1);
    store_u64(d + 16, h2);
    store_u64(d + 24, h3);
}

/* n > 32, ascending. */
static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
#if LIBC_USE_REP_STRING
    if (n >= REP_MOVSB_MIN) {
        __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
        return;
    }
#endif
    copy_words_forward(d, s, n);
}

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    if (n <= 32)
        copy_upto32(dst, src, n);
    else
        copy_forward(dst, src, n);
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n <= 32)
        copy_upto32(d, s, n);
    else if ((uintptr_t)d - (uintptr_t)s >= n)
        copy_forward(d, s, n); /* d below s, or no overlap at all */
    else
        copy_words_backward(d, s, n);
    return dst;
}

NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t pattern = (unsigned char)c * ONES;
    if (n < 8) {
        for (size_t i = 0; i < n; i++)
            d[i] = (unsigned char)c;
    } else if (n <= 16) {
        store_u64(d, pattern);
        store_u64(d + n - 8, pattern);
    } else if (n <= 32) {
        store_u64(d, pattern);
        store_u64(d + 8, pattern);
        store_u64(d + n - 16, pattern);
        store_u64(d + n - 8, pattern);
    } else {
#if LIBC_USE_REP_STRING
        if (n >= REP_MOVSB_MIN) {
            __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
            return dst;
        }
#endif
        unsigned char *tail = d + n - 32;
        for (; n > 32; n -= 32, d += 32) {
            store_u64(d, pattern);
            store_u64(d + 8, pattern);
            store_u64(d + 16, pattern);
            store_u64(d + 24, pattern);
        }
        store_u64(tail, pattern);
        store_u64(tail + 8, pattern);
        store_u64(tail + 16, pattern);
        store_u64(tail + 24, pattern);
    }
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;
    /* Skip equal words; the first differing word is then compared bytewise. */
    while (n >= 8 && load_u64(p) == load_u64(q)) {
        p += 8;
        q += 8;
        n -= 8;
    }
    for (; n; n--, p++, q++) {
        if (*p != *q)
            return *p - *q;
    }
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    unsigned char ch = (unsigned char)c;
    uint64_t pattern = ch * ONES;
    for (; n >= 8; n -= 8, p += 8) {
        uint64_t w = load_u64(p) ^ pattern;
        if (HAS_ZERO_BYTE(w))
            break;
    }
    for (; n; n--, p++) {
        if (*p == ch)
            return (void *)p;
    }
    return NULL;
}

/* The string functions read byte by byte: a word read could run past the terminator into
 * memory the string does not own. */
size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t maxlen)
{
    size_t n = 0;
    while (n < maxlen && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    while (*p && *p == *q) {
        p++;
        q++;
    }
    return *p - *q;
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;
    for (; n; n--, p++, q++) {
        if (*p != *q)
            return *p - *q;
        if (!*p)
            break;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    char ch = (char)c;
    for (;; s++) {
        if (*s == ch)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    char ch = (char)c;
    const char *last = NULL;
    for (;; s++) {
        if (*s == ch)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

char *strstr(const char *haystack, const char *needle)
{
    size_t nlen = strlen(needle);
    if (nlen == 0)
        return (char *)haystack;
    for (const char *h = haystack; (h = strchr(h, needle[0])) != NULL; h++) {
        if (strncmp(h, needle, nlen) == 0)
            return (char *)h;
    }
    return NULL;
}
