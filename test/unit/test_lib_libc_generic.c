/*
 * Unit tests for lib/libc's portable code paths (the word loops used where `rep movsb` is not
 * available): the same tests as test_libc.c, compiled with LIBC_STRING_GENERIC.
 */
#define LIBC_STRING_GENERIC 1
#include "test/unit/test_libc.c"
