/*
 * lib/sort: in-place sorting with the C library's calling convention. Heapsort: O(n log n)
 * in the worst case whatever the input (no quadratic pivot choices a peer could provoke),
 * no recursion and no allocation. Not stable.
 */
#ifndef XENOLITH_LIB_SORT_H
#define XENOLITH_LIB_SORT_H

#include <stddef.h>

void ksort(void *base, size_t count, size_t size, int (*compare)(const void *a, const void *b));

/* Binary search in a sorted array: the element comparing equal to key, or NULL. */
void *kbsearch(const void *key, const void *base, size_t count, size_t size,
               int (*compare)(const void *key, const void *element));

#endif
