/*
 * lib/counters: the project's counter structs (only uint64_t fields, declared from an X-macro
 * list whose names print) handled as arrays: one loop prints or sums a whole struct, where a
 * statement per field costs code for every counter in every image.
 */
#ifndef XENOLITH_LIB_COUNTERS_H
#define XENOLITH_LIB_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/* Prints "prefix.name value" per counter, or "prefix.instance.name value" when instance is
 * not NULL, one line each. */
void counters_print(const char *prefix, const char *instance, const char *const *names,
                    const uint64_t *values, size_t count);
/* The same with the names packed into one string, each ended by its NUL ("a\0b\0"): no
 * pointer per name (8 bytes each, over 1.5 KB in httpd's image). */
void counters_print_packed(const char *prefix, const char *instance, const char *names,
                           const uint64_t *values, size_t count);
/* sum[i] += add[i] for every counter. */
void counters_add(uint64_t *sum, const uint64_t *add, size_t count);

/* The number of counters in a counter struct (or object). */
#define COUNTERS_COUNT(stats) (sizeof(stats) / sizeof(uint64_t))

/* Prints the counter struct `stats` (an lvalue), whose fields are exactly the X-macro `list` in
 * order: counters_print with the names that list gives. */
#define COUNTERS_PRINT(prefix, instance, list, stats)                                       \
    do {                                                                                    \
        static const char counter_names_[] = list(COUNTERS_PACKED_NAME);                   \
        struct counters_one_per_name_ { list(COUNTERS_ONE_BYTE) };                         \
        _Static_assert(COUNTERS_COUNT(stats) * sizeof(uint64_t) == sizeof(stats) &&        \
                       COUNTERS_COUNT(stats) == sizeof(struct counters_one_per_name_),     \
                       "counter struct and counter list disagree");                        \
        counters_print_packed(prefix, instance, counter_names_,                            \
                              (const uint64_t *)&(stats), COUNTERS_COUNT(stats));           \
    } while (0)
/* COUNTERS_PRINT's packed names ("a" "\0" "b" "\0" concatenates to "a\0b\0"), and a struct of one
 * byte per name to count them. */
#define COUNTERS_PACKED_NAME(field) #field "\0"
#define COUNTERS_ONE_BYTE(field) char field;
/* For a names table: { list(COUNTERS_NAME) }. */
#define COUNTERS_NAME(field) #field,

/* Adds the counter struct `add` into `sum`, both lvalues of the same counter struct type. */
#define COUNTERS_ADD(sum, add)                                                              \
    do {                                                                                    \
        _Static_assert(__builtin_types_compatible_p(__typeof__(sum), __typeof__(add)) &&   \
                       COUNTERS_COUNT(sum) * sizeof(uint64_t) == sizeof(sum),              \
                       "not the same counter struct");                                      \
        counters_add((uint64_t *)&(sum), (const uint64_t *)&(add), COUNTERS_COUNT(sum));   \
    } while (0)

#endif
