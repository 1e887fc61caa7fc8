/*
 * blk/tar_format: the pure parsing half of the tar reader (blk/tar_format.c): one 512-byte
 * header, numeric fields, pax extended records and name normalization. No I/O, no allocation,
 * so unit tests and the fuzzer call it directly. blk/tar.c walks an archive with it.
 * Each parser returns 0 or -EBADMSG (-ENAMETOOLONG for names) and, on error, points *problem
 * at a description ("bad octal digit in the size field") or writes it to a caller buffer.
 */
#ifndef XENOLITH_BLK_TAR_FORMAT_H
#define XENOLITH_BLK_TAR_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "blk/tar.h"

/* Field offsets and lengths in a header block (POSIX.1-1988 ustar). */
#define TAR_NAME_OFF 0
#define TAR_NAME_LEN 100
#define TAR_MODE_OFF 100
#define TAR_MODE_LEN 8
#define TAR_SIZE_OFF 124
#define TAR_SIZE_LEN 12
#define TAR_MTIME_OFF 136
#define TAR_MTIME_LEN 12
#define TAR_CHKSUM_OFF 148
#define TAR_CHKSUM_LEN 8
#define TAR_TYPE_OFF 156
#define TAR_LINKNAME_OFF 157
#define TAR_LINKNAME_LEN 100
#define TAR_MAGIC_OFF 257
#define TAR_VERSION_OFF 263
#define TAR_PREFIX_OFF 345
#define TAR_PREFIX_LEN 155

/* A header as read, before extensions ('x', 'L', 'K') and normalization apply. */
struct tar_header {
    char name[TAR_PREFIX_LEN + 1 + TAR_NAME_LEN + 1];   /* prefix "/" name, NUL-terminated */
    char linkname[TAR_LINKNAME_LEN + 1];
    uint64_t size;
    int64_t mtime;
    uint32_t mode;
    char typeflag;                       /* '\0' is reported as '0' */
    bool gnu;                            /* GNU magic ("ustar  "), else POSIX ("ustar\0" "00") */
};

/* What an 'x' extended header says about the next entry. Unset fields are not present (an
 * empty value, which pax uses to delete a keyword, also leaves the field unset). */
struct tar_pax {
    bool has_path, has_size, has_linkpath, has_mtime;
    const char *path;                    /* into the record data (not NUL-terminated) */
    size_t path_len;
    const char *linkpath;
    size_t linkpath_len;
    uint64_t size;
    int64_t mtime;                       /* whole seconds (a fraction is dropped) */
};

bool tar_block_is_zero(const uint8_t block[TAR_BLOCK_SIZE]);

/* Sums of the block with the checksum field counted as spaces, bytes taken as unsigned (the
 * POSIX rule) and as signed (what some old tars wrote). */
void tar_checksums(const uint8_t block[TAR_BLOCK_SIZE], uint32_t *unsigned_sum, int32_t *signed_sum);

/* Strict octal: optional leading spaces, at least one digit 0-7, then only NUL or space to the
 * end of the field (a field full of digits is fine). No overflow past 2^63 - 1. */
int tar_parse_octal(const uint8_t *field, size_t len, uint64_t *out, const char **problem);
/* Octal, or GNU base-256 when the first byte has its top bit set (bit 6 is the sign; a
 * negative value is refused). */
int tar_parse_number(const uint8_t *field, size_t len, uint64_t *out, const char **problem);

/* Checks the checksum and magic and parses the fields. problem[problem_size] gets the reason. */
int tar_parse_header(const uint8_t block[TAR_BLOCK_SIZE], struct tar_header *out, char *problem,
                     size_t problem_size);

/* Parses pax records "<len> <key>=<value>\n" covering data[len] exactly (trailing NUL padding
 * after the last record is allowed). Values may not contain NUL. */
int tar_parse_pax(const uint8_t *data, size_t len, struct tar_pax *out, const char **problem);

/* Normalizes a member name (see tar.h) into out[out_size] (NUL-terminated). Refuses an absolute
 * name, "..", control characters and DEL; the empty result "" is allowed (the root). */
int tar_normalize_path(const char *in, size_t len, char *out, size_t out_size,
                       const char **problem);

#endif
