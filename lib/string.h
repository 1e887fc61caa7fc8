/*
 * lib/string: memory and string functions. The first group has the C standard's names and
 * prototypes: the kernel gets them from lib/libc/ (gcc also emits calls to memcpy, memmove,
 * memset and memcmp on its own), the hosted and test builds from the host's C library.
 * The second group is ours (k-prefixed), built everywhere from lib/kstring.c; there is no
 * strcpy/strcat/strncpy: use kstrlcpy/kstrlcat, which always terminate and report truncation.
 */
#ifndef XENOLITH_LIB_STRING_H
#define XENOLITH_LIB_STRING_H

#include <stdbool.h>
#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t maxlen);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);

/* Copies src into dst[size] always NUL-terminated (when size > 0). Returns strlen(src):
 * a result >= size means the copy was truncated. */
size_t kstrlcpy(char *dst, const char *src, size_t size);
/* Appends src to the string in dst[size]; returns the length the whole string would have
 * had (>= size: truncated). dst must already be terminated within size. */
size_t kstrlcat(char *dst, const char *src, size_t size);
/* Compares without an early exit, so timing does not reveal where buffers first differ
 * (secrets, cookies, MACs). True when equal. */
bool kmem_equal_consttime(const void *a, const void *b, size_t n);
/* Zeroes memory even if the compiler could prove it is never read again (erasing keys). */
void kmem_zero_explicit(void *p, size_t n);
/* Finds needle[needle_len] in haystack[len] (binary-safe, unlike strstr), or NULL. */
void *kmemmem(const void *haystack, size_t len, const void *needle, size_t needle_len);

#endif
