/*
 * lib/parse: strict parsers for numbers and addresses in text (command line, DHCP-free
 * configuration, HTTP). Strict means: no leading or trailing spaces, no sign, no empty
 * fields, overflow is an error rather than a wrap. Inputs are (pointer, length): the text
 * need not be NUL-terminated. All return 0, -EINVAL (malformed) or -ERANGE (out of range),
 * and leave *out untouched on error.
 */
#ifndef XENOLITH_LIB_PARSE_H
#define XENOLITH_LIB_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* base 10 or 16 (digits only, either case), or 0: "0x"/"0X" selects hex, else decimal.
 * The _prefix form reads the longest run of digits at the start of s, needs at least one,
 * and says how many bytes it used (prefix included); the plain form needs all of s. */
int parse_u64_prefix(const char *s, size_t len, unsigned base, uint64_t *out, size_t *used);
int parse_u64(const char *s, size_t len, unsigned base, uint64_t *out);
int parse_u32(const char *s, size_t len, unsigned base, uint32_t *out);
/* Decimal with an optional leading '-'. */
int parse_i64(const char *s, size_t len, int64_t *out);

/* "A.B.C.D": exactly four decimal octets 0..255; a leading zero ("010") is refused as
 * ambiguous (octal in some parsers). out is in network order. */
int parse_ipv4(const char *s, size_t len, uint8_t out[4]);
/* "A.B.C.D/N" with N in 0..32 (no leading zeros). */
int parse_ipv4_cidr(const char *s, size_t len, uint8_t addr[4], uint8_t *prefix_len);
/* "52:54:00:12:34:56" (or with '-'): six pairs of hex digits, one separator throughout. */
int parse_mac(const char *s, size_t len, uint8_t out[6]);

#endif
