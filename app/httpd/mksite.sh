#!/bin/sh
# Builds the sample site's disk image: app/httpd/site/ plus big.txt (16384 numbered 64-byte lines
# and a closing line, 1 MiB + 15 bytes, generated here so the repository stays small), packed by
# scripts/mkdisk.sh. The same inputs give the same image when SOURCE_DATE_EPOCH is set
# (mkdisk.sh caps every time at it); big.txt takes index.html's time.
#
# Usage: app/httpd/mksite.sh OUT [STAGING_DIR]   (staging defaults to OUT.stage)
set -eu
cd "$(dirname "$0")/../.."
[ $# -ge 1 ] || { echo "usage: $0 OUT [STAGING_DIR]" >&2; exit 2; }
out=$1
stage=${2:-$out.stage}
rm -rf "$stage"
mkdir -p "$stage" "$(dirname "$out")"
cp -pR app/httpd/site/. "$stage/"
awk 'BEGIN { for (i = 0; i < 16384; i++) printf "%08d %-54s\n", i, "xenolith httpd sample data, line " i }' \
    > "$stage/big.txt"
printf 'end of big.txt\n' >> "$stage/big.txt"
touch -r app/httpd/site/index.html "$stage/big.txt"
scripts/mkdisk.sh "$stage" "$out"
