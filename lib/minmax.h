/*
 * lib/minmax: min/max/clamp that evaluate each argument once and refuse (at compile time)
 * to compare values of different types, plus alignment and rounding helpers.
 */
#ifndef XENOLITH_LIB_MINMAX_H
#define XENOLITH_LIB_MINMAX_H

#define MINMAX_SAME_TYPE(a, b) \
    _Static_assert(__builtin_types_compatible_p(__typeof__(a), __typeof__(b)), \
                   "min/max of different types: cast one side")

/* Each expansion gets its own temporaries (__COUNTER__), so min(min(a, b), c) nests cleanly. */
#define MINMAX_CAT_(x, y) x##y
#define MINMAX_CAT(x, y) MINMAX_CAT_(x, y)
#define MINMAX_PICK_(a, b, op, ta, tb) __extension__({ \
    __typeof__(a) ta = (a); __typeof__(b) tb = (b); \
    MINMAX_SAME_TYPE(ta, tb); ta op tb ? ta : tb; })
#define min(a, b) MINMAX_PICK_(a, b, <, MINMAX_CAT(min_a_, __COUNTER__), MINMAX_CAT(min_b_, __COUNTER__))
#define max(a, b) MINMAX_PICK_(a, b, >, MINMAX_CAT(max_a_, __COUNTER__), MINMAX_CAT(max_b_, __COUNTER__))
/* lo <= hi is the caller's promise. */
#define clamp(v, lo, hi) min(max((v), (lo)), (hi))

/* Power-of-two alignment (align must be a power of two). */
#define ALIGN_DOWN(x, align) ((x) & ~((__typeof__(x))(align) - 1))
#define ALIGN_UP(x, align) ALIGN_DOWN((x) + ((__typeof__(x))(align) - 1), (align))
#define IS_ALIGNED(x, align) (((x) & ((__typeof__(x))(align) - 1)) == 0)
#define IS_POWER_OF_2(x) ((x) != 0 && ((x) & ((x) - 1)) == 0)
/* Division rounding up, for counts of pages, blocks, words. */
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))

#endif
