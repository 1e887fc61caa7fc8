#!/bin/sh
# Packs a directory into a disk image the tar reader (blk/tar.h) mounts: a POSIX ustar archive
# of the directory's contents (names "./...", sorted, owner and group 0, no user names), then
# zeros up to a whole MiB (a whole number of 512-byte sectors, and what Xen's loop devices like).
#
# Usage: scripts/mkdisk.sh [--mtime=SECONDS] DIR OUT
#   --mtime=SECONDS  every entry gets this modification time (seconds since the epoch), for
#                    byte-identical images; otherwise SOURCE_DATE_EPOCH, when set, caps the
#                    files' own times; otherwise the files' own times are kept.
# ustar limits apply and tar refuses what does not fit (names over 255 bytes, files of 8 GiB or
# more); the script then fails with tar's message. Symbolic links are stored as links (the
# reader indexes them but serves no data); hard links are stored once and linked.
set -eu

usage() {
    echo "usage: $0 [--mtime=SECONDS] DIR OUT" >&2
    exit 2
}

mtime=""
while [ $# -gt 0 ]; do
    case "$1" in
        --mtime=*) mtime=${1#--mtime=} ;;
        -h|--help) usage ;;
        -*) echo "mkdisk.sh: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
    shift
done
[ $# -eq 2 ] || usage
dir=$1
out=$2
[ -d "$dir" ] || { echo "mkdisk.sh: $dir is not a directory" >&2; exit 2; }
case "$mtime" in
    "") ;;
    *[!0-9]*) echo "mkdisk.sh: --mtime wants decimal seconds, not '$mtime'" >&2; exit 2 ;;
esac

set -- --format=ustar --sort=name --owner=0 --group=0 --numeric-owner
if [ -n "$mtime" ]; then
    set -- "$@" --mtime="@$mtime"
elif [ -n "${SOURCE_DATE_EPOCH:-}" ]; then
    set -- "$@" --mtime="@$SOURCE_DATE_EPOCH" --clamp-mtime
fi

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT INT TERM
tar "$@" -C "$dir" -cf "$tmp" .
size=$(stat -c %s "$tmp")
mib=1048576
truncate -s $(( (size + mib - 1) / mib * mib )) "$tmp"
mv "$tmp" "$out"
trap - EXIT INT TERM
