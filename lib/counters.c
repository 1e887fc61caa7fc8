/*
 * lib/counters: printing and summing counter structs as arrays (lib/counters.h).
 */
#include "lib/counters.h"
#include "lib/printf.h"

void counters_print(const char *prefix, const char *instance, const char *const *names,
                    const uint64_t *values, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (instance)
            kprintf("%s.%s.%s %llu\n", prefix, instance, names[i],
                    (unsigned long long)values[i]);
        else
            kprintf("%s.%s %llu\n", prefix, names[i], (unsigned long long)values[i]);
    }
}

void counters_print_packed(const char *prefix, const char *instance, const char *names,
                           const uint64_t *values, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (instance)
            kprintf("%s.%s.%s %llu\n", prefix, instance, names, (unsigned long long)values[i]);
        else
            kprintf("%s.%s %llu\n", prefix, names, (unsigned long long)values[i]);
        while (*names++ != '\0')
            ;
    }
}

void counters_add(uint64_t *sum, const uint64_t *add, size_t count)
{
    for (size_t i = 0; i < count; i++)
        sum[i] += add[i];
}
