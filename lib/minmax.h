/*
 * lib/minmax: min/max/clamp that evaluate each argument once and refuse (at compile time)
 * to compare values of different types, plus alignment and rounding helpers.
 */
#ifndef XENOLITH_LIB_MINMAX_H
#define XENOLITH_LIB_MINMAX_H

#define MINMAX_SAME_TYPE(a, b) \
    _Static_assert(__builtin_types_compatible_p(__typeof__(a), __typeof__(b)), \
                   "min/max of different types: cast one side")

#define min(a, b) __extension__({ \
    __typeof__(a) min_a_ = (a); __typeof__(b) min_b_ = (b); \
    MINMAX_SAME_TYPE(min_a_, min_b_); min_a_ < min_b_ ? min_a_ : min_b_; })
#define max(a, b) __extension__({ \
    __typeof__(a) max_a_ = (a); __typeof__(b) max_b_ = (b); \
    MINMAX_SAME_TYPE(max_a_, max_b_); max_a_ > max_b_ ? max_a_ : max_b_; })
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
