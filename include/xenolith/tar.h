/*
 * xenolith/tar.h: a read-only file tree from a tar archive on a block device, for appliances
 * that serve files (the web server reads its site this way; scripts/mkdisk.sh makes the disk).
 *
 * Formats: POSIX ustar (prefix + name), GNU (`tar cf` on Debian: 'L' long names, 'K' long link
 * names, base-256 numbers) and pax ('x' extended headers: path, size, linkpath and mtime are
 * honoured, other keys ignored; 'g' global headers are checked and skipped).
 *
 * tar_mount reads every header once and keeps an index in memory (path -> type, data offset,
 * size, mtime, mode); the archive is trusted no further than that: a malformed one is refused
 * with a message naming the entry (or its offset) and the problem:
 *   - header checksum wrong (both the unsigned and the historical signed sums are accepted)
 *   - a numeric field that is not strict octal (leading spaces, digits, then only NUL/space),
 *     or base-256 that is negative or too large
 *   - no ustar magic (old v7 archives are not accepted)
 *   - an entry's data running past the end of the device (a truncated archive)
 *   - an absolute name, a ".." component, a control character, an empty name, a name longer
 *     than TAR_PATH_MAX after normalization, more than max_entries entries
 *   - a malformed pax record, an extended header larger than TAR_EXT_MAX, an extended header
 *     with no entry after it, a hard link to an entry not earlier in the archive, a path under
 *     something that is not a directory, a GNU multi-volume entry.
 * End of archive: two zero blocks (anything after them, such as padding to a whole MiB, is
 * ignored). The device ending exactly on a header boundary -- after a complete entry, or after
 * one zero block -- is accepted as the end too (GNU tar does the same); ending anywhere else,
 * inside an entry's data, is a truncated archive. A lone zero block followed by a header is
 * refused as malformed.
 *
 * Names are normalized: "./" prefixes, empty and "." components and trailing slashes go, so
 * "./a//b/./c/" is "a/b/c"; the archive root ("." or "./") is "". Directories implied by a path
 * but missing from the archive are added (implicit), so every parent of an entry is a directory
 * and tar_lookup(a, "") is the root. A later entry with the same path replaces an earlier one, as
 * extraction would. Hard links become files sharing their target's data; symbolic links,
 * devices and other special files are indexed with their type but have no data to read.
 *
 * Concurrency: any number of fibers may call tar_read at once (a small block cache shared
 * between them). tar_mount and tar_read block the calling fiber (context: fiber only); the
 * other calls do not block (context: fiber or loop).
 */
#ifndef XENOLITH_PUBLIC_TAR_H
#define XENOLITH_PUBLIC_TAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xenolith/blk.h"
#include "xenolith/time.h"

#define TAR_BLOCK_SIZE 512
#define TAR_PATH_MAX 1024                /* bytes of a normalized path */
#define TAR_EXT_MAX (64 * 1024)          /* bytes of one pax or GNU long-name extension */
#define TAR_DEFAULT_MAX_ENTRIES 65536
#define TAR_CACHE_BLOCKS 16              /* blocks of TAR_CACHE_BLOCK_SIZE kept for tar_read */
#define TAR_CACHE_BLOCK_SIZE 4096
#define TAR_ERROR_MAX 256                /* a mount error message fits in this */
/* While mounting, a device read not done in this time means a dead disk. Longer than
 * blkfront's default request deadline (blk_timeout=30), so that on Xen the device fails its
 * own requests first and none is left in flight. */
#define TAR_DEFAULT_READ_TIMEOUT_NS (60ull * 1000000000ull)

enum tar_type {
    TAR_FILE,                            /* regular file (or hard link to one) */
    TAR_DIR,
    TAR_SYMLINK,                         /* indexed, no data */
    TAR_OTHER,                           /* device, FIFO, sparse or unknown type: no data */
};

struct tar_entry {
    const char *path;                    /* normalized, see above; "" is the root */
    enum tar_type type;
    uint64_t size;                       /* bytes (0 unless TAR_FILE) */
    uint64_t offset;                     /* byte offset of the data on the device */
    int64_t mtime;                       /* seconds since the epoch */
    uint32_t mode;                       /* permission bits (07777) */
    bool implicit;                       /* a directory implied by its children */
};

struct tar_options {
    uint32_t max_entries;                /* 0: TAR_DEFAULT_MAX_ENTRIES (implicit ones count) */
    uint64_t read_timeout_ns;            /* 0: TAR_DEFAULT_READ_TIMEOUT_NS */
};

struct tar_stats {
    uint64_t cache_hits;
    uint64_t cache_misses;
    uint64_t direct_reads;               /* whole-block runs read straight into the caller's buffer */
    uint64_t read_errors;
};

struct tar_archive;

/* Indexes the archive on dev (options may be NULL). Returns 0 and *out, or a negative errno
 * (-EBADMSG malformed, -E2BIG over a limit, -EIO and other device errors, -ETIMEDOUT when a
 * read is not done within read_timeout_ns -- a dead disk --, -ENOMEM) with the message in
 * err[err_size] (also logged), e.g.
 *   "disk0: entry 'site/../etc' at offset 1536: '..' component in the name"
 *   "disk0: header at offset 0: the disk did not answer a read in time (dead disk?)".
 * After -ETIMEDOUT requests may still be in flight: blk_close then leaves the device. */
int tar_mount(struct blkdev *dev, const struct tar_options *options, struct tar_archive **out,
              char *err, size_t err_size);
/* Frees the index and the cache. No tar_read may be in progress. */
void tar_unmount(struct tar_archive *archive);

/* The entry at `path`, or NULL. The path is normalized as names are, except that leading
 * slashes are allowed (a URL path: "/docs/" finds "docs"); a ".." component finds nothing. */
const struct tar_entry *tar_lookup(const struct tar_archive *archive, const char *path);
const struct tar_entry *tar_lookup_n(const struct tar_archive *archive, const char *path,
                                     size_t len);

/* Copies up to len bytes of entry's data from `offset` into buf. Returns the bytes copied
 * (fewer than len only at the end of the file, 0 at or past it), or -EINVAL for an entry that
 * is not a TAR_FILE (directory, symlink, other), -EIO or -ETIMEDOUT from the device. */
int64_t tar_read(struct tar_archive *archive, const struct tar_entry *entry, uint64_t offset,
                 void *buf, size_t len, uint64_t deadline_ns);

/* Entries in archive order (implicit directories after the others). */
size_t tar_entry_count(const struct tar_archive *archive);
const struct tar_entry *tar_entry_at(const struct tar_archive *archive, size_t index);

/* Whether entry lies directly inside directory dir (dir's path a prefix and no deeper '/'). */
bool tar_entry_in_dir(const struct tar_entry *dir, const struct tar_entry *entry);

struct blkdev *tar_device(const struct tar_archive *archive);
void tar_get_stats(const struct tar_archive *archive, struct tar_stats *out);

#endif
