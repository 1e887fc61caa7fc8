/*
 * mm/ram: how much RAM the machine gave the allocator (xenolith/mem.h, mem_ram_bytes), from the
 * platform's memory regions.
 */
#include "mm/mm.h"

uint64_t mem_ram_bytes(void)
{
    const struct mem_region *regions;
    size_t count = platform_memory(&regions);
    uint64_t total = 0;
    for (size_t i = 0; i < count; i++)
        total += regions[i].length;
    return total;
}
