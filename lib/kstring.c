/*
 * lib/kstring: the project's own string helpers (declared in lib/string.h), built for every
 * platform: bounded copies that always terminate, constant-time comparison, explicit erasure.
 */
#include <stdint.h>
#include "lib/string.h"

size_t kstrlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}

size_t kstrlcat(char *dst, const char *src, size_t size)
{
    size_t used = strnlen(dst, size);
    if (used == size) /* not terminated within size: nothing can be appended */
        return size + strlen(src);
    return used + kstrlcpy(dst + used, src, size - used);
}

bool kmem_equal_consttime(const void *a, const void *b, size_t n)
{
    const volatile unsigned char *p = a, *q = b;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= p[i] ^ q[i];
    return diff == 0;
}

void kmem_zero_explicit(void *p, size_t n)
{
    memset(p, 0, n);
    /* The compiler must assume the asm reads *p, so the memset above cannot be dropped. */
    __asm__ volatile("" : : "r"(p) : "memory");
}

void *kmemmem(const void *haystack, size_t len, const void *needle, size_t needle_len)
{
    const unsigned char *h = haystack, *n = needle;
    if (needle_len == 0)
        return (void *)h;
    if (needle_len > len)
        return NULL;
    const unsigned char *last = h + (len - needle_len);
    for (const unsigned char *p = h; p <= last; p++) {
        p = memchr(p, n[0], (size_t)(last - p) + 1);
        if (!p)
            return NULL;
        if (memcmp(p, n, needle_len) == 0)
            return (void *)p;
    }
    return NULL;
}
