#!/bin/sh
# Runs one application (used by `make run`): scripts/run.sh PLATFORM APP [ARGS...]
#   hosted  runs build/hosted/APP as a Linux process, ARGS as its command line
#           (the kernel command-line syntax: key=value words, app arguments after --)
#   xen     boots build/xen/APP as a PVH guest with xl, ARGS as its command line (extra=)
# Per-application set-up (a TAP device for a network appliance, a disk image) goes in the
# hooks below: hosted_prepare_APP runs before the program and may add arguments to
# HOSTED_ARGS; hosted_cleanup_APP runs after it, whatever the outcome.
set -eu
cd "$(dirname "$0")/.."

usage() {
    echo "usage: scripts/run.sh hosted|xen APP [ARGS...]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
platform=$1
app=$2
shift 2
case $app in
    *[!A-Za-z0-9_-]*|'') echo "run.sh: '$app' is not an application name" >&2; exit 2 ;;
esac

# ---- per-application hooks ----
# HOSTED_ARGS holds extra words (no spaces inside a word) to put before the user's ARGS.
HOSTED_ARGS=""
hosted_prepare_default() { :; }
hosted_cleanup_default() { :; }

hook() {
    # $1 prepare|cleanup: the app's own hook if it defines one, else the default
    if command -v "hosted_$1_$app" >/dev/null 2>&1; then
        "hosted_$1_$app"
    else
        "hosted_$1_default"
    fi
}

run_hosted() {
    bin=build/hosted/$app
    if [ ! -x "$bin" ]; then
        echo "run.sh: $bin is missing; build it with: make APP=$app build/hosted/$app" >&2
        exit 1
    fi
    hook prepare
    status=0
    # shellcheck disable=SC2086 # HOSTED_ARGS is a list of words by design
    "$bin" $HOSTED_ARGS "$@" || status=$?
    hook cleanup
    # 0 success, 1 failure, 2 crash, 3 reboot, 130 interrupted (arch/hosted/hosted.h)
    exit "$status"
}

# ---- xen ----
xen_quote() {
    # a value for an xl config string: backslashes and double quotes escaped
    printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'
}

run_xen() {
    image=build/xen/$app
    if [ ! -f "$image" ]; then
        echo "run.sh: $image is missing; build it with: make APP=$app build/xen/$app" >&2
        exit 1
    fi
    extra="$*"
    if ! command -v xl >/dev/null 2>&1; then
        cat >&2 <<MSG
run.sh: 'xl' was not found: running $app on Xen needs a Xen host (dom0 with the xl toolstack).
The same PVH image also boots on bare QEMU, without Xen (no network or disk there):
  scripts/qemu-boot.sh $image "$extra"
which runs:
  qemu-system-x86_64 -machine microvm -accel tcg -m 128 -kernel $image \\
      -display none -monitor none -no-reboot -nic none \\
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial stdio -append "$extra"
MSG
        exit 1
    fi
    cfg=build/xen/$app.xl
    cat >"$cfg" <<CFG
# Written by scripts/run.sh: boots $image as a PVH guest.
name = "xenolith-$app"
type = "pvh"
kernel = "$(xen_quote "$(pwd)/$image")"
memory = 32
vcpus = 1
on_crash = "preserve"
extra = "$(xen_quote "$extra")"
CFG
    echo "run.sh: starting $cfg (detach from the console with Ctrl-])"
    exec xl create -c "$cfg"
}

case $platform in
    hosted) run_hosted "$@" ;;
    xen) run_xen "$@" ;;
    *) echo "run.sh: unknown platform '$platform' (hosted or xen)" >&2; usage ;;
esac
