/*
 * arch/x86_64/entropy: seed material (platform_entropy, for lib/random). RDSEED, else RDRAND, when CPUID
 * offers them (QEMU's default qemu64 model has neither), always mixed with TSC jitter
 * from timing memory accesses, so the seed is never only as good as one source.
 */
#include "arch/x86_64/arch.h"
#include "arch/x86_64/cpu.h"

#define HW_RETRIES 32

static bool has_rdseed(void)
{
    return cpuid_has_leaf(7) && (cpuid(7, 0).ebx & (1u << 18));
}

static bool has_rdrand(void)
{
    return cpuid(1, 0).ecx & (1u << 30);
}

static bool rdseed64(uint64_t *out)
{
    for (int i = 0; i < HW_RETRIES; i++) {
        unsigned char ok;
        __asm__ volatile("rdseed %0; setc %1" : "=r"(*out), "=qm"(ok));
        if (ok)
            return true;
        cpu_relax();
    }
    return false;
}

static bool rdrand64(uint64_t *out)
{
    for (int i = 0; i < HW_RETRIES; i++) {
        unsigned char ok;
        __asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok));
        if (ok)
            return true;
    }
    return false;
}

/* A bijective 64-bit mixer: every input bit affects every output bit. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* The low bits of TSC deltas around memory accesses vary with caches, the host and
 * emulation; many samples are folded in because each carries little entropy. */
static uint64_t tsc_jitter64(void)
{
    static volatile uint8_t scratch[4096];
    uint64_t acc = rdtsc();
    for (unsigned i = 0; i < 64; i++) {
        uint64_t t0 = rdtsc();
        scratch[(t0 * 67 + i * 131) % sizeof(scratch)] += (uint8_t)t0;
        uint64_t t1 = rdtsc();
        acc = mix64(acc ^ (t1 - t0) ^ (t1 << 32));
    }
    return acc;
}

void entropy_fill(void *buf, size_t len)
{
    bool seed = has_rdseed(), rand = has_rdrand();
    uint8_t *out = buf;
    while (len > 0) {
        uint64_t word = tsc_jitter64(), hw;
        if ((seed && rdseed64(&hw)) || (rand && rdrand64(&hw)))
            word = mix64(word ^ hw);
        size_t n = len < sizeof(word) ? len : sizeof(word);
        for (size_t i = 0; i < n; i++)
            out[i] = (uint8_t)(word >> (8 * i));
        out += n;
        len -= n;
    }
}
