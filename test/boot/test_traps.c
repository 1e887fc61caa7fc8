/*
 * test/boot/test_traps: the exception path. Each protection the page tables promise is
 * violated once and must arrive as the right exception with the right error code and
 * fault address; interrupt entry must preserve general and SSE registers; guard pages
 * toggle; the in-image symbol table names functions.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/ksyms.h"
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/mm.h"
#include "test/boot/boottest.h"

static const char *check_fault(const struct trap_recovery *r, unsigned vector, uint64_t error,
                               uint64_t cr2)
{
    if (r->vector != vector)
        return boot_fail("vector %u, expected %u", r->vector, vector);
    if (vector == TRAP_PF && r->error_code != error)
        return boot_fail("error code %#lx, expected %#lx", (unsigned long)r->error_code,
                         (unsigned long)error);
    if (vector == TRAP_PF && r->cr2 != cr2)
        return boot_fail("CR2 %#lx, expected %#lx", (unsigned long)r->cr2, (unsigned long)cr2);
    return NULL;
}

static const char *test_ud2_is_invalid_opcode(void)
{
    struct trap_recovery r;
    if (trap_expect(TRAP_UD, &r) == 0) {
        __asm__ volatile("ud2");
        trap_expect_cancel();
        return "ud2 did not trap";
    }
    return check_fault(&r, TRAP_UD, 0, 0);
}

static const char *test_divide_by_zero(void)
{
    struct trap_recovery r;
    uint64_t divisor = OPAQUE(0ul);
    if (trap_expect(TRAP_DE, &r) == 0) {
        uint64_t lo = 1, hi = 0;
        __asm__ volatile("divq %2" : "+a"(lo), "+d"(hi) : "r"(divisor));
        trap_expect_cancel();
        return "division by zero did not trap";
    }
    return check_fault(&r, TRAP_DE, 0, 0);
}

static const char *test_breakpoint(void)
{
    struct trap_recovery r;
    if (trap_expect(TRAP_BP, &r) == 0) {
        __asm__ volatile("int3");
        trap_expect_cancel();
        return "int3 did not trap";
    }
    return check_fault(&r, TRAP_BP, 0, 0);
}

/* #GP pushes an error code (0 here); the frame must still line up. */
static const char *test_noncanonical_is_general_protection(void)
{
    struct trap_recovery r;
    volatile uint64_t *bad = OPAQUE((volatile uint64_t *)0x8000000000000000ull);
    if (trap_expect(TRAP_GP, &r) == 0) {
        (void)*bad;
        trap_expect_cancel();
        return "a non-canonical access did not trap";
    }
    if (r.vector != TRAP_GP || r.error_code != 0)
        return boot_fail("vector %u error %#lx, expected #GP with 0", r.vector,
                         (unsigned long)r.error_code);
    return NULL;
}

static const char *test_null_read_faults(void)
{
    struct trap_recovery r;
    volatile uint64_t *null = OPAQUE((volatile uint64_t *)0);
    if (trap_expect(TRAP_PF, &r) == 0) {
        (void)*null;
        trap_expect_cancel();
        return "reading address 0 did not fault";
    }
    return check_fault(&r, TRAP_PF, 0, 0);
}

static const char *test_text_is_read_only(void)
{
    struct trap_recovery r;
    volatile uint8_t *code = OPAQUE((volatile uint8_t *)(uintptr_t)test_text_is_read_only);
    uint8_t original = *code; /* readable */
    if (trap_expect(TRAP_PF, &r) == 0) {
        *code = original;
        trap_expect_cancel();
        return "writing to .text did not fault";
    }
    return check_fault(&r, TRAP_PF, PF_PRESENT | PF_WRITE, (uintptr_t)code);
}

static const char rodata_value[64] = "read-only";

static const char *test_rodata_is_read_only(void)
{
    struct trap_recovery r;
    volatile char *p = OPAQUE((volatile char *)rodata_value);
    if (trap_expect(TRAP_PF, &r) == 0) {
        p[0] = 'X';
        trap_expect_cancel();
        return "writing to .rodata did not fault";
    }
    return check_fault(&r, TRAP_PF, PF_PRESENT | PF_WRITE, (uintptr_t)p);
}

/* "ret" in writable data: executing it must fault (NX), not return. */
static uint8_t data_code[16] = { 0xc3 };

static const char *test_data_is_not_executable(void)
{
    if (!cpu_has_nx())
        return "this CPU has no NX bit: data would be executable";
    struct trap_recovery r;
    void (*fn)(void) = OPAQUE((void (*)(void))(uintptr_t)data_code);
    if (trap_expect(TRAP_PF, &r) == 0) {
        fn();
        trap_expect_cancel();
        return "executing .data did not fault";
    }
    const char *why = check_fault(&r, TRAP_PF, PF_PRESENT | PF_FETCH, (uintptr_t)data_code);
    if (!why && r.fault_rip != (uintptr_t)data_code)
        why = boot_fail("fault RIP %#lx, expected the data address", (unsigned long)r.fault_rip);
    return why;
}

/* "ret" among constants: rodata is readable, never executable. */
static const uint8_t rodata_code[16] = { 0xc3 };

static const char *test_rodata_is_not_executable(void)
{
    struct trap_recovery r;
    void (*fn)(void) = OPAQUE((void (*)(void))(uintptr_t)rodata_code);
    if (trap_expect(TRAP_PF, &r) == 0) {
        fn();
        trap_expect_cancel();
        return "executing .rodata did not fault";
    }
    return check_fault(&r, TRAP_PF, PF_PRESENT | PF_FETCH, (uintptr_t)rodata_code);
}

static const char *test_stack_is_not_executable(void)
{
    volatile uint8_t code[16] = { 0xc3 };
    struct trap_recovery r;
    void (*fn)(void) = OPAQUE((void (*)(void))(uintptr_t)code);
    if (trap_expect(TRAP_PF, &r) == 0) {
        fn();
        trap_expect_cancel();
        return "executing the stack did not fault";
    }
    return check_fault(&r, TRAP_PF, PF_PRESENT | PF_FETCH, (uintptr_t)code);
}

static const char *test_null_page_and_image_mapping(void)
{
    if (paging_is_mapped(0) || paging_is_mapped(4095))
        return "the NULL page is mapped";
    if (!paging_is_mapped((uintptr_t)_text_start) || !paging_is_mapped((uintptr_t)_ebss - 1))
        return "the image is not mapped";
    if (paging_is_mapped((uintptr_t)boot_stack_guard))
        return "the boot stack's guard page is mapped";
    return NULL;
}

/* ---- Interrupt entry preserves the interrupted context ---- */
#define TEST_VECTOR 0xd0
static volatile unsigned test_interrupts;

/* Runs inside the interrupt: wipes registers the interrupted code relies on. */
static void clobbering_handler(unsigned vector)
{
    test_interrupts++;
    __asm__ volatile("pxor %%xmm5, %%xmm5\n\t"
                     "pcmpeqd %%xmm9, %%xmm9\n\t"
                     "xor %%r8d, %%r8d\n\t"
                     "xor %%r11d, %%r11d\n\t"
                     "xor %%esi, %%esi\n\t"
                     : : : "xmm5", "xmm9", "r8", "r11", "rsi");
}

static const char *test_interrupt_preserves_registers(void)
{
    if (irq_set_handler(TEST_VECTOR, clobbering_handler) != 0)
        return "cannot install the test handler";
    uint64_t xmm5_out, xmm9_out, r8_out, r11_out, rsi_out;
    __asm__ volatile("movabs $0x1122334455667788, %%rax\n\t"
                     "movq %%rax, %%xmm5\n\t"
                     "movabs $0x0123456789abcdef, %%rax\n\t"
                     "movq %%rax, %%xmm9\n\t"
                     "movabs $0x8888888888888888, %%r8\n\t"
                     "movabs $0xbbbbbbbbbbbbbbbb, %%r11\n\t"
                     "movabs $0x5151515151515151, %%rsi\n\t"
                     "int $0xd0\n\t"
                     "movq %%xmm5, %0\n\t"
                     "movq %%xmm9, %1\n\t"
                     "movq %%r8, %2\n\t"
                     "movq %%r11, %3\n\t"
                     "movq %%rsi, %4\n\t"
                     : "=m"(xmm5_out), "=m"(xmm9_out), "=m"(r8_out), "=m"(r11_out),
                       "=m"(rsi_out)
                     : : "rax", "r8", "r11", "rsi", "xmm5", "xmm9", "memory");
    irq_set_handler(TEST_VECTOR, NULL);
    if (test_interrupts != 1)
        return boot_fail("handler ran %u times, expected once", test_interrupts);
    if (xmm5_out != 0x1122334455667788ull || xmm9_out != 0x0123456789abcdefull)
        return "SSE registers changed across an interrupt";
    if (r8_out != 0x8888888888888888ull || r11_out != 0xbbbbbbbbbbbbbbbbull ||
        rsi_out != 0x5151515151515151ull)
        return "general registers changed across an interrupt";
    return NULL;
}

static const char *test_guard_pages(void)
{
    uint8_t *page = page_alloc(0);
    if (!page)
        return "no page";
    const char *why = NULL;
    struct trap_recovery r;
    volatile uint8_t *p = OPAQUE((volatile uint8_t *)page);
    if (platform_guard_pages(page, PAGE_SIZE, true) != 0) {
        why = "guarding a heap page failed";
    } else if (trap_expect(TRAP_PF, &r) == 0) {
        p[100] = 1;
        trap_expect_cancel();
        why = "writing a guard page did not fault";
    } else {
        why = check_fault(&r, TRAP_PF, PF_WRITE, (uintptr_t)page + 100);
    }
    if (platform_guard_pages(page, PAGE_SIZE, false) != 0 && !why)
        why = "unguarding failed";
    if (!why) {
        p[100] = 42; /* must not fault any more */
        if (p[100] != 42)
            why = "the unguarded page does not hold data";
    }
    if (!why && platform_guard_pages(page + 1, PAGE_SIZE, true) != -EINVAL)
        why = "an unaligned guard request was accepted";
    if (!why && platform_guard_pages(_text_start, PAGE_SIZE, true) != -EPERM)
        why = "guarding the kernel image was accepted";
    page_free(page, 0);
    return why;
}

static const char *test_symbol_table(void)
{
    uintptr_t offset = 0;
    const char *name = ksym_lookup((uintptr_t)test_symbol_table + 3, &offset);
    if (!name || strcmp(name, "test_symbol_table") != 0 || offset != 3)
        return boot_fail("looked up '%s'+%#lx", name ? name : "(none)", (unsigned long)offset);
    name = ksym_lookup((uintptr_t)trap_dispatch, &offset);
    if (!name || strcmp(name, "trap_dispatch") != 0 || offset != 0)
        return "trap_dispatch is not in the symbol table";
    if (ksym_lookup((uintptr_t)data_code, &offset))
        return "a data address was symbolized as code";
    return NULL;
}

const struct boot_test boot_tests_traps[] = {
    { "ud2 raises #UD", test_ud2_is_invalid_opcode },
    { "division by zero raises #DE", test_divide_by_zero },
    { "int3 raises #BP", test_breakpoint },
    { "non-canonical access raises #GP(0)", test_noncanonical_is_general_protection },
    { "NULL read raises #PF (not present)", test_null_read_faults },
    { "write to .text raises #PF (protection, write)", test_text_is_read_only },
    { "write to .rodata raises #PF", test_rodata_is_read_only },
    { "executing .data raises #PF (NX fetch)", test_data_is_not_executable },
    { "executing .rodata raises #PF (NX fetch)", test_rodata_is_not_executable },
    { "executing the stack raises #PF (NX fetch)", test_stack_is_not_executable },
    { "NULL page and guard unmapped, image mapped", test_null_page_and_image_mapping },
    { "interrupt entry preserves GPRs and SSE", test_interrupt_preserves_registers },
    { "guard pages toggle", test_guard_pages },
    { "symbol table names functions", test_symbol_table },
};
const size_t boot_tests_traps_count = sizeof(boot_tests_traps) / sizeof(boot_tests_traps[0]);
