/*
 * test/xen/blk/pattern: the sector pattern shared by the blktest guest and the dom0 checks in
 * test/xen/blkfront-*.sh (which compute the same bytes in Python: keep both in step).
 * A 512-byte sector s of generation g holds "XNLB", g (u32 LE), s (u64 LE), then the u64 LE
 * value pattern_word(s, g) repeated 62 times. The header catches misplaced and stale sectors,
 * the filler any damaged byte.
 */
#ifndef XENOLITH_TEST_XEN_BLK_PATTERN_H
#define XENOLITH_TEST_XEN_BLK_PATTERN_H

#include <stdint.h>

#define PATTERN_SECTOR 512u

static inline uint64_t pattern_word(uint64_t sector, uint32_t gen)
{
    uint64_t v = sector * 0x9E3779B97F4A7C15ull + (uint64_t)gen * 0xC2B2AE3D27D4EB4Full;
    return v ^ (v >> 29);
}

static inline void pattern_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void pattern_fill(uint8_t *sector_buf, uint64_t sector, uint32_t gen)
{
    sector_buf[0] = 'X';
    sector_buf[1] = 'N';
    sector_buf[2] = 'L';
    sector_buf[3] = 'B';
    for (int i = 0; i < 4; i++)
        sector_buf[4 + i] = (uint8_t)(gen >> (8 * i));
    pattern_put64(sector_buf + 8, sector);
    uint64_t w = pattern_word(sector, gen);
    for (unsigned off = 16; off < PATTERN_SECTOR; off += 8)
        pattern_put64(sector_buf + off, w);
}

/* The first byte offset where sector_buf differs from the pattern, or -1. */
static inline int pattern_mismatch(const uint8_t *sector_buf, uint64_t sector, uint32_t gen)
{
    uint8_t want[PATTERN_SECTOR];
    pattern_fill(want, sector, gen);
    for (unsigned i = 0; i < PATTERN_SECTOR; i++)
        if (sector_buf[i] != want[i])
            return (int)i;
    return -1;
}

#endif
