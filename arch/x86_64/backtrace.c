/*
 * arch/x86_64/backtrace: symbol lookup in the in-image table and frame-pointer walks
 * (the kernel is built with -fno-omit-frame-pointer), for crash reports and platform_backtrace.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/ksyms.h"
#include "lib/printf.h"

/* Emitted by scripts/gen-ksyms.sh (its header describes the encoding): the entries hold the
 * distance from the previous symbol as ULEB128 and the name byte-pair encoded over an alphabet
 * of the characters in use, its end (code 0) encoded with it. */
extern const uint32_t ksyms_count;
extern const uint8_t ksyms_alphabet[];   /* the count A, then the characters of codes 1..A */
extern const uint8_t ksyms_tokens[];     /* pairs; code A+1+k expands to pair k */
extern const uint8_t ksyms_entries[];

#define KSYM_NAME_MAX 128

#define BACKTRACE_MAX_FRAMES 32      /* distinct lines printed */
#define BACKTRACE_MAX_WALK 100000    /* frames followed, repeated ones included */

static uintptr_t read_uleb128(const uint8_t **p)
{
    uintptr_t value = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        uint8_t byte = *(*p)++;
        value |= (uintptr_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            break;
    }
    return value;
}

/* Expands the name at encoded into out (truncated to fit) and returns
 * where the next entry starts. Tokens refer only to earlier codes, so the expansion ends; the
 * explicit stack keeps a corrupt table from recursing deeply. */
static const uint8_t *decode_name(const uint8_t *encoded, char *out, size_t cap)
{
    const unsigned alphabet = ksyms_alphabet[0];
    uint8_t stack[256];
    size_t n = 0;
    for (;;) {
        size_t depth = 0;
        stack[depth++] = *encoded++;
        while (depth > 0) {
            uint8_t c = stack[--depth];
            if (c == 0) {
                out[n] = '\0';
                return encoded;
            }
            if (c <= alphabet) {
                if (n + 1 < cap)
                    out[n++] = (char)ksyms_alphabet[c];
            } else if (depth + 2 <= sizeof(stack)) {
                const uint8_t *pair = &ksyms_tokens[2 * (c - alphabet - 1)];
                stack[depth++] = pair[1];
                stack[depth++] = pair[0];
            }
        }
    }
}

/* The name lives in a buffer the next lookup reuses: lookups happen on the one CPU, in crash
 * reports and tests that print or compare the name at once. */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
    static char name[KSYM_NAME_MAX];
    if (addr < (uintptr_t)_text_start || addr >= (uintptr_t)_etext)
        return NULL;
    /* Names are decoded in turn (a name's end is known only by decoding it): the last one
     * decoded is that of the last symbol at or below addr. */
    const uint8_t *p = ksyms_entries;
    uintptr_t at = (uintptr_t)_text_start, found_at = 0;
    bool found = false;
    for (uint32_t i = 0; i < ksyms_count; i++) {
        at += read_uleb128(&p);
        if (at > addr)
            break;
        p = decode_name(p, name, sizeof(name));
        found = true;
        found_at = at;
    }
    if (!found)
        return NULL;
    *offset = addr - found_at;
    return name;
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
