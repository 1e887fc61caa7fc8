/*
 * lib/byteorder: conversions between CPU and wire byte order, and loads/stores of multi-byte
 * fields at any alignment (packet headers are rarely aligned). Names are explicit about the
 * order (be = big-endian = network order) so they never collide with a host's htons().
 */
#ifndef XENOLITH_LIB_BYTEORDER_H
#define XENOLITH_LIB_BYTEORDER_H

#include <stdint.h>

#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__)
#error "byteorder.h needs gcc's __BYTE_ORDER__"
#endif
#define CPU_LITTLE_ENDIAN (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)

static inline uint16_t bswap16(uint16_t v) { return __builtin_bswap16(v); }
static inline uint32_t bswap32(uint32_t v) { return __builtin_bswap32(v); }
static inline uint64_t bswap64(uint64_t v) { return __builtin_bswap64(v); }

#if CPU_LITTLE_ENDIAN
#define BYTEORDER_BE(bits, v) bswap##bits(v)
#define BYTEORDER_LE(bits, v) (v)
#else
#define BYTEORDER_BE(bits, v) (v)
#define BYTEORDER_LE(bits, v) bswap##bits(v)
#endif

static inline uint16_t cpu_to_be16(uint16_t v) { return BYTEORDER_BE(16, v); }
static inline uint32_t cpu_to_be32(uint32_t v) { return BYTEORDER_BE(32, v); }
static inline uint64_t cpu_to_be64(uint64_t v) { return BYTEORDER_BE(64, v); }
static inline uint16_t be16_to_cpu(uint16_t v) { return BYTEORDER_BE(16, v); }
static inline uint32_t be32_to_cpu(uint32_t v) { return BYTEORDER_BE(32, v); }
static inline uint64_t be64_to_cpu(uint64_t v) { return BYTEORDER_BE(64, v); }
static inline uint16_t cpu_to_le16(uint16_t v) { return BYTEORDER_LE(16, v); }
static inline uint32_t cpu_to_le32(uint32_t v) { return BYTEORDER_LE(32, v); }
static inline uint64_t cpu_to_le64(uint64_t v) { return BYTEORDER_LE(64, v); }
static inline uint16_t le16_to_cpu(uint16_t v) { return BYTEORDER_LE(16, v); }
static inline uint32_t le32_to_cpu(uint32_t v) { return BYTEORDER_LE(32, v); }
static inline uint64_t le64_to_cpu(uint64_t v) { return BYTEORDER_LE(64, v); }

/* Accesses through a packed struct compile to plain moves on x86 and are well-defined for the
 * compiler (and UBSan) at any address, unlike casting the pointer to uint32_t *. */
struct byteorder_u16 { uint16_t v; } __attribute__((packed, may_alias));
struct byteorder_u32 { uint32_t v; } __attribute__((packed, may_alias));
struct byteorder_u64 { uint64_t v; } __attribute__((packed, may_alias));

static inline uint16_t load_u16(const void *p) { return ((const struct byteorder_u16 *)p)->v; }
static inline uint32_t load_u32(const void *p) { return ((const struct byteorder_u32 *)p)->v; }
static inline uint64_t load_u64(const void *p) { return ((const struct byteorder_u64 *)p)->v; }
static inline void store_u16(void *p, uint16_t v) { ((struct byteorder_u16 *)p)->v = v; }
static inline void store_u32(void *p, uint32_t v) { ((struct byteorder_u32 *)p)->v = v; }
static inline void store_u64(void *p, uint64_t v) { ((struct byteorder_u64 *)p)->v = v; }

static inline uint16_t load_be16(const void *p) { return be16_to_cpu(load_u16(p)); }
static inline uint32_t load_be32(const void *p) { return be32_to_cpu(load_u32(p)); }
static inline uint64_t load_be64(const void *p) { return be64_to_cpu(load_u64(p)); }
static inline uint16_t load_le16(const void *p) { return le16_to_cpu(load_u16(p)); }
static inline uint32_t load_le32(const void *p) { return le32_to_cpu(load_u32(p)); }
static inline uint64_t load_le64(const void *p) { return le64_to_cpu(load_u64(p)); }
static inline void store_be16(void *p, uint16_t v) { store_u16(p, cpu_to_be16(v)); }
static inline void store_be32(void *p, uint32_t v) { store_u32(p, cpu_to_be32(v)); }
static inline void store_be64(void *p, uint64_t v) { store_u64(p, cpu_to_be64(v)); }
static inline void store_le16(void *p, uint16_t v) { store_u16(p, cpu_to_le16(v)); }
static inline void store_le32(void *p, uint32_t v) { store_u32(p, cpu_to_le32(v)); }
static inline void store_le64(void *p, uint64_t v) { store_u64(p, cpu_to_le64(v)); }

#endif
