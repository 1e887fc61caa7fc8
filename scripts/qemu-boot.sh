#!/bin/sh
# Boots a Xenolith PVH image on bare QEMU (TCG), with the serial console and the
# isa-debug-exit device the kernel's shutdown uses, and exits with QEMU's status:
#   1 success, 3 failure, 5 crash, 7 reboot; 0 a triple fault or QEMU error; 124 timeout.
# Usage: scripts/qemu-boot.sh [-m microvm|pc] [-c CPU] [-t SECONDS] [-l LOGFILE] IMAGE [CMDLINE]
# Without -l the console goes to stdout.
set -u
machine=microvm cpu="" timeout_s=60 log=""
while getopts m:c:t:l: opt; do
    case $opt in
        m) machine=$OPTARG ;;
        c) cpu=$OPTARG ;;
        t) timeout_s=$OPTARG ;;
        l) log=$OPTARG ;;
        *) echo "usage: $0 [-m machine] [-c cpu] [-t seconds] [-l logfile] IMAGE [CMDLINE]" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || { echo "usage: $0 [-m machine] [-c cpu] [-t seconds] [-l logfile] IMAGE [CMDLINE]" >&2; exit 2; }
image=$1
cmdline=${2:-}
[ -f "$image" ] || { echo "$0: no image $image" >&2; exit 2; }

set -- -machine "$machine" -accel tcg -m 128 -kernel "$image" -display none -monitor none \
    -no-reboot -nic none -device isa-debug-exit,iobase=0xf4,iosize=0x04
[ -n "$cpu" ] && set -- "$@" -cpu "$cpu"
[ -n "$cmdline" ] && set -- "$@" -append "$cmdline"
if [ -n "$log" ]; then
    set -- "$@" -serial "file:$log"
else
    set -- "$@" -serial stdio
fi
timeout --kill-after=5 "$timeout_s" qemu-system-x86_64 "$@" < /dev/null
