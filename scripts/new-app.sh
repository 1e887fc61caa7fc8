#!/bin/sh
# scripts/new-app.sh NAME DIR: writes a working Xenolith application into DIR (anywhere; usually
# outside this repository): a TCP line service taking one word after "--" (port=N), its app.mk,
# unit tests on the simulated platform, a fuzz harness with seeds, and a smoke test that runs it
# hosted on a TAP in a network namespace. The files come from scripts/app-skeleton/, with the
# name filled in. docs/APPLICATIONS.md walks through them.
#
#   scripts/new-app.sh demo ~/src/demo
#   make APP_DIR=~/src/demo                 build/xen/demo, build/hosted/demo
#   make APP_DIR=~/src/demo app-test        its smoke test (root)
#
# NAME: a letter, then letters, digits or '_' (at most 32), not the name of an application in
# app/ or of a test image. DIR: must not exist, or be an empty directory; no spaces or shell
# special characters in its path (make cannot carry them).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
skeleton=$root/scripts/app-skeleton

die() {
    echo "new-app.sh: $*" >&2
    exit 2
}
[ $# -eq 2 ] || die "usage: scripts/new-app.sh NAME DIR"
name=$1
dir=$2

case $name in
    '') die "the name is empty" ;;
    [!A-Za-z]*) die "'$name' must start with a letter" ;;
    *[!A-Za-z0-9_]*) die "'$name' may hold only letters, digits and '_'" ;;
esac
[ ${#name} -le 32 ] || die "'$name' is longer than 32 characters"
case $name in
    boottest|xentest|blktest) die "'$name' is the name of a test image; choose another" ;;
esac
if [ -f "$root/app/$name/app.mk" ]; then
    die "'$name' is already an application in app/$name; choose another"
fi

case $dir in
    '') die "the directory is empty" ;;
    *[!A-Za-z0-9_./+~-]*) die "'$dir': a directory path may hold only letters, digits and _ . / + ~ - (make cannot carry spaces or shell characters)" ;;
esac
if [ -e "$dir" ] || [ -L "$dir" ]; then
    [ -d "$dir" ] || die "'$dir' exists and is not a directory"
    [ -z "$(ls -A "$dir")" ] || die "'$dir' exists and is not empty; give a new or empty directory"
fi

guard=$(printf '%s' "$name" | tr 'a-z' 'A-Z')
mkdir -p "$dir"
absdir=$(cd "$dir" && pwd)
(cd "$skeleton" && find . -mindepth 1 -type d) | while read -r sub; do mkdir -p "$absdir/$sub"; done
# A value for sed's replacement: &, | and backslash escaped.
esc() { printf '%s' "$1" | sed 's/[&|\\]/\\&/g'; }
# Fill the name in (@NAME@), the include guard (@GUARD@), the repository (@XENOLITH@) and the
# application's directory (@DIR@) in every file of the skeleton.
for src in $(cd "$skeleton" && find . -type f | sort); do
    src=${src#./}
    sed -e "s|@NAME@|$name|g" -e "s|@GUARD@|$guard|g" -e "s|@XENOLITH@|$(esc "$root")|g" \
        -e "s|@DIR@|$(esc "$absdir")|g" \
        "$skeleton/$src" >"$absdir/$src"
done
chmod +x "$absdir/test.sh"

cat <<MSG
new-app.sh: wrote $name in $absdir:
$(cd "$absdir" && find . -type f | sort | sed 's|^\./|    |')
Next, from $root:
    make APP_DIR=$absdir                  # build/xen/$name and build/hosted/$name
    sudo make APP_DIR=$absdir app-test    # runs it hosted on a TAP and talks to it
    sudo make run APP_DIR=$absdir RUN_ARGS="-- port=7000"
docs/APPLICATIONS.md is the guide.
MSG
