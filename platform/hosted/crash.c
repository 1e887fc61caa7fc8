/*
 * platform/hosted/crash: crash reports for the hosted platform. SIGSEGV, SIGBUS, SIGILL and SIGFPE
 * are caught on an alternate signal stack (a fiber that overflowed has no stack left to run a
 * handler on); the report names the fiber whose guard page was hit, or the signal, the fault
 * address and the instruction pointer, then a backtrace, and the process ends with
 * HOSTED_EXIT_CRASH. platform_backtrace prints the same backtrace for panics.
 *
 * The backtrace follows the frame-pointer chain (everything is built with
 * -fno-omit-frame-pointer), checking that each frame is readable before touching it, and
 * names frames with dladdr (hosted programs are linked with -rdynamic). Functions that are
 * not exported are shown as an offset into their file, for addr2line.
 */
#define _GNU_SOURCE
#include "platform/hosted/hosted.h"
#include "platform/hosted/internal.h"
#include "platform/platform.h"
#include "sched/sched.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define CRASH_STACK_BYTES (128u * 1024)
#define BACKTRACE_MAX_LINES 48
/* Deep recursion (the usual stack overflow) repeats one frame: those are counted, not printed,
 * so the walk may go further than it prints. */
#define BACKTRACE_MAX_FRAMES 4096
/* A caller's frame lies above its callee's, and not absurdly far: anything else is a broken
 * chain (code without frame pointers, or a corrupted stack), and the walk stops there. */
#define FRAME_MAX_DISTANCE (8u * 1024 * 1024)

static volatile sig_atomic_t scheduler_ready;
static volatile sig_atomic_t crashing;
static int probe_pipe[2] = { -1, -1 };

void hosted_mark_scheduler_ready(void)
{
    scheduler_ready = 1;
}

/* Whether len bytes at addr can be read, asked of the kernel: writing them into a pipe fails
 * with EFAULT instead of faulting. A raw syscall keeps sanitizer interceptors out of it. */
static bool readable(uintptr_t addr, size_t len)
{
    if (probe_pipe[1] < 0 || addr == 0)
        return false;
    long n = syscall(SYS_write, probe_pipe[1], (const void *)addr, len);
    if (n > 0) {
        char sink[32];
        while (syscall(SYS_read, probe_pipe[0], sink, sizeof(sink)) > 0) {
        }
    }
    return n == (long)len;
}

/* The file of the last frame dladdr could not name, for the addr2line hint. */
static const char *unnamed_file;

static void print_frame(unsigned index, uintptr_t pc, bool is_return_address)
{
    /* A return address points after the call; look up the call itself so the frame is named
     * after the caller even when the call was its last instruction. */
    uintptr_t lookup = is_return_address ? pc - 1 : pc;
    Dl_info info;
    if (dladdr((void *)lookup, &info) && info.dli_fname) {
        const char *file = strrchr(info.dli_fname, '/');
        file = file ? file + 1 : info.dli_fname;
        uintptr_t offset = pc - (uintptr_t)info.dli_fbase;
        if (info.dli_sname && info.dli_saddr)
            hosted_console_printf("  #%-2u %#018lx %s+%#lx (%s+%#lx)\n", index, (unsigned long)pc,
                                  info.dli_sname, (unsigned long)(pc - (uintptr_t)info.dli_saddr),
                                  file, (unsigned long)offset);
        else {
            hosted_console_printf("  #%-2u %#018lx (%s+%#lx)\n", index, (unsigned long)pc, file,
                                  (unsigned long)offset);
            unnamed_file = info.dli_fname;
        }
        return;
    }
    hosted_console_printf("  #%-2u %#018lx\n", index, (unsigned long)pc);
}

/* Whether the bytes just before addr are a call instruction of one of the forms compilers
 * emit (call rel32, call *disp32(%rip), call *%reg), i.e. addr looks like a return address. */
static bool follows_call(uintptr_t addr)
{
    uint8_t b[7];
    if (addr < sizeof(b) || !readable(addr - sizeof(b), sizeof(b)))
        return false;
    memcpy(b, (const void *)(addr - sizeof(b)), sizeof(b));
    bool rel32 = b[2] == 0xe8;
    bool rip_indirect = b[1] == 0xff && b[2] == 0x15;
    bool reg_indirect = b[5] == 0xff && (b[6] & 0xf8) == 0xd0;
    bool rex_reg_indirect = b[4] == 0x41 && b[5] == 0xff && (b[6] & 0xf8) == 0xd0;
    Dl_info info;
    return (rel32 || rip_indirect || reg_indirect || rex_reg_indirect) &&
           dladdr((void *)addr, &info) && info.dli_fname;
}

void hosted_backtrace_from(uintptr_t ip, uintptr_t sp, uintptr_t fp)
{
    hosted_console_printf("backtrace:\n");
    unnamed_file = NULL;
    unsigned index = 0;
    if (ip)
        print_frame(index++, ip, false);
    /* A fault in a leaf function without a frame of its own, or in a prologue before the
     * frame pointer moved, leaves its caller's return address on top of the stack rather
     * than in the frame chain: show it, marked as a guess. */
    if (sp && !(sp & 7) && readable(sp, sizeof(uintptr_t)) && readable(fp, 2 * sizeof(uintptr_t))) {
        uintptr_t top = *(const uintptr_t *)sp;
        if (top != ((const uintptr_t *)fp)[1] && follows_call(top)) {
            hosted_console_printf("  (from the top of the stack, the frame was not set up:)\n");
            print_frame(index++, top, true);
        }
    }
    uintptr_t previous = 0;
    unsigned repeats = 0, lines = index;
    for (; index < BACKTRACE_MAX_FRAMES; index++) {
        if ((fp & 7) || !readable(fp, 2 * sizeof(uintptr_t)))
            break;
        const uintptr_t *frame = (const uintptr_t *)fp;
        uintptr_t caller_fp = frame[0];
        uintptr_t return_address = frame[1];
        if (return_address == 0)
            break;
        if (return_address == previous) {
            repeats++;
        } else {
            if (repeats)
                hosted_console_printf("      (the frame above %u more times)\n", repeats);
            repeats = 0;
            if (lines++ == BACKTRACE_MAX_LINES) {
                hosted_console_printf("      (more frames not shown)\n");
                break;
            }
            print_frame(index, return_address, true);
            previous = return_address;
        }
        if (caller_fp <= fp || caller_fp - fp > FRAME_MAX_DISTANCE)
            break;
        fp = caller_fp;
    }
    if (repeats)
        hosted_console_printf("      (the frame above %u more times)\n", repeats);
    if (unnamed_file)
        hosted_console_printf("  (to name the others: addr2line -f -i -e %s <offset>...)\n",
                              unnamed_file);
    unnamed_file = NULL;
}

void platform_backtrace(void)
{
    hosted_backtrace_from(0, 0, (uintptr_t)__builtin_frame_address(0));
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGILL: return "SIGILL";
    case SIGFPE: return "SIGFPE";
    default: return "signal";
    }
}

static const char *fault_kind(int sig, int code)
{
    if (code <= 0)
        return "sent by a process"; /* SI_USER, SI_QUEUE, SI_TKILL: not a real fault */
    switch (sig) {
    case SIGSEGV:
        return code == SEGV_MAPERR ? "address not mapped" :
               code == SEGV_ACCERR ? "access not permitted" : "invalid memory access";
    case SIGBUS:
        return code == BUS_ADRALN ? "misaligned address" :
               code == BUS_ADRERR ? "address beyond its object" : "bus error";
    case SIGILL:
        return code == ILL_ILLOPC ? "illegal opcode" :
               code == ILL_PRVOPC ? "privileged instruction" : "illegal instruction";
    case SIGFPE:
        return code == FPE_INTDIV ? "integer divide by zero" :
               code == FPE_INTOVF ? "integer overflow" : "arithmetic exception";
    default:
        return "fault";
    }
}

static void on_crash_signal(int sig, siginfo_t *info, void *context)
{
    if (crashing) {
        static const char msg[] = "xenolith: fault inside the crash report\n";
        platform_console_write(msg, sizeof(msg) - 1);
        _exit(HOSTED_EXIT_CRASH);
    }
    crashing = 1;

    const ucontext_t *uc = context;
    uintptr_t ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
    uintptr_t fp = (uintptr_t)uc->uc_mcontext.gregs[REG_RBP];
    uintptr_t addr = (uintptr_t)info->si_addr;

    struct fiber *overflowed = NULL;
    const char *running = NULL;
    if (scheduler_ready) {
        if (sig == SIGSEGV || sig == SIGBUS)
            overflowed = fiber_by_guard_address(addr);
        struct fiber *current = fiber_current();
        running = current ? fiber_name(current) : NULL;
    }
    if (overflowed) {
        hosted_console_printf("xenolith: stack overflow in fiber '%s'\n", fiber_name(overflowed));
        hosted_console_printf("xenolith: guard page hit at %#lx, ip %#lx\n",
                              (unsigned long)addr, (unsigned long)ip);
    } else {
        hosted_console_printf("xenolith: %s (%s) at address %#lx, ip %#lx, in %s%s%s\n",
                              signal_name(sig), fault_kind(sig, info->si_code),
                              (unsigned long)addr, (unsigned long)ip,
                              running ? "fiber '" : "loop context",
                              running ? running : "", running ? "'" : "");
    }
    hosted_backtrace_from(ip, sp, fp);
    platform_shutdown(SHUTDOWN_CRASH);
}

void hosted_install_crash_handlers(void)
{
    if (pipe2(probe_pipe, O_NONBLOCK | O_CLOEXEC) != 0)
        probe_pipe[0] = probe_pipe[1] = -1; /* backtraces then stop at the first frame */

    /* The handler's stack, with a guard page below it like any fiber stack. */
    size_t len = CRASH_STACK_BYTES + 4096;
    void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* SA_NODEFER: a fault inside the report re-enters the handler, which then gives up at once,
     * instead of the kernel killing the process with the signal blocked. */
    int flags = SA_SIGINFO | SA_NODEFER;
    if (mem != MAP_FAILED && mprotect(mem, 4096, PROT_NONE) == 0) {
        stack_t ss = { .ss_sp = (char *)mem + 4096, .ss_size = CRASH_STACK_BYTES, .ss_flags = 0 };
        if (sigaltstack(&ss, NULL) == 0)
            flags |= SA_ONSTACK;
    }
    if (!(flags & SA_ONSTACK))
        hosted_early_error("no alternate signal stack: stack overflows will not be reported\n");

    static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE };
    for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_sigaction = on_crash_signal;
        sigemptyset(&sa.sa_mask);
        /* Block the other shutdown paths while the report is written. */
        sigaddset(&sa.sa_mask, SIGINT);
        sigaddset(&sa.sa_mask, SIGTERM);
        sa.sa_flags = flags;
        if (sigaction(crash_signals[i], &sa, NULL) != 0)
            hosted_early_error("cannot catch %s: crashes will not be reported\n",
                               signal_name(crash_signals[i]));
    }
}
