/*
 * arch/x86_64/backtrace: symbol lookup in the in-image table and frame-pointer walks
 * (the kernel is built with -fno-omit-frame-pointer). Also platform_backtrace().
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/ksyms.h"
#include "lib/printf.h"

/* Emitted by scripts/gen-ksyms.sh: addresses ascending, names NUL-separated. */
struct ksym {
    uint32_t address;
    uint32_t name_offset;
};
extern const uint64_t ksyms_count;
extern const struct ksym ksyms_table[];
extern const char ksyms_names[];

#define BACKTRACE_MAX_FRAMES 32      /* distinct lines printed */
#define BACKTRACE_MAX_WALK 100000    /* frames followed, repeated ones included */

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
    if (addr < (uintptr_t)_text_start || addr >= (uintptr_t)_etext || ksyms_count == 0)
        return NULL;
    size_t lo = 0, hi = ksyms_count;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (ksyms_table[mid].address <= addr)
            lo = mid;
        else
            hi = mid;
    }
    if (ksyms_table[lo].address > addr)
        return NULL;
    *offset = addr - ksyms_table[lo].address;
    return ksyms_names + ksyms_table[lo].name_offset;
}

static void print_frame(unsigned index, uintptr_t addr, uintptr_t lookup)
{
    uintptr_t offset;
    const char *name = ksym_lookup(lookup, &offset);
    if (name)
        kprintf("  #%-2u 0x%016lx %s+%#lx\n", index, (unsigned long)addr, name,
                (unsigned long)(offset + (addr - lookup)));
    else
        kprintf("  #%-2u 0x%016lx ?\n", index, (unsigned long)addr);
}

static bool frame_readable(uintptr_t rbp)
{
    return rbp != 0 && (rbp & 7) == 0 && paging_is_mapped(rbp) && paging_is_mapped(rbp + 8);
}

void backtrace_print(uintptr_t rip, uintptr_t rbp)
{
    kprintf("backtrace:\n");
    print_frame(0, rip, rip);
    uintptr_t previous = 0;
    unsigned repeats = 0, printed = 1;
    for (unsigned walked = 0; walked < BACKTRACE_MAX_WALK && frame_readable(rbp); walked++) {
        const uintptr_t *frame = (const uintptr_t *)rbp;
        uintptr_t ret = frame[1];
        if (ret < (uintptr_t)_text_start || ret >= (uintptr_t)_etext)
            break;
        if (ret == previous) {
            repeats++; /* deep recursion: one line for the whole run */
        } else {
            if (repeats)
                kprintf("      ... the same frame %u more times\n", repeats);
            repeats = 0;
            if (printed == BACKTRACE_MAX_FRAMES)
                break;
            /* A return address points after the call; the call itself is one byte back. */
            print_frame(printed++, ret, ret - 1);
            previous = ret;
        }
        if (frame[0] <= rbp)
            break;
        rbp = frame[0];
    }
    if (repeats)
        kprintf("      ... the same frame %u more times\n", repeats);
}

void platform_backtrace(void)
{
    uintptr_t rbp = (uintptr_t)__builtin_frame_address(0);
    backtrace_print((uintptr_t)__builtin_return_address(0) - 1, *(const uintptr_t *)rbp);
}
