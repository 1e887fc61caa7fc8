#!/bin/bash
# scripts/xen-testbed/run.sh: runs guest tests under real Xen. Boots Xen 4.17 with a Linux dom0
# in QEMU (TCG), with a per-run payload (dom0's init, the test helpers, the tests, the guest
# images) appended to the cached dom0 initramfs; dom0 runs the tests and hands back a tar of
# its logs on a small results disk, and its overall status through isa-debug-exit.
#
# Usage: scripts/xen-testbed/run.sh [options]
#   --test NAME|FILE     run test/xen/NAME.sh, or a test file elsewhere (repeatable; default:
#                        every test in test/xen)
#   --image [NAME=]PATH  use PATH as guest image NAME (default build/xen/NAME); without NAME=,
#                        replaces "hello" and, unless --test is given, runs only xen-hello
#   --shell              interactive: dom0 set up as for tests, then a root shell on this
#                        terminal (QEMU's serial on stdio; Ctrl-a x quits QEMU)
#   --timeout SECONDS    limit for the whole QEMU run (default: 60 + the tests' own limits)
#   --out DIR            where logs and results go (default build/test-xen)
#   -v, --verbose        show the serial log (Xen, dom0, guest debug port) while it runs
# Output: DIR/results.txt (one line per test, "PASS name" or "FAIL name: reason"), the serial
# log, each guest's console log, xl dmesg, per-test logs; the last line printed is
# "N passed, M failed". Exit status 0 only if every test passed.
set -uo pipefail
. "$(dirname "$0")/common.sh"
repo=$(cd "$XEN_TESTBED_DIR/../.." && pwd)
cd "$repo" || exit 2

tests=()
declare -A image_override=()
mode=tests
limit=""
out=build/test-xen
verbose=0
usage() { sed -n '/^# Usage:/,/^# "N passed/p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --test) [ $# -ge 2 ] || usage; tests+=("$2"); shift ;;
        --image)
            [ $# -ge 2 ] || usage
            case "$2" in
                *=*) image_override[${2%%=*}]=${2#*=} ;;
                *) image_override[hello]=$2; image_only_hello=1 ;;
            esac
            shift ;;
        --shell) mode=shell ;;
        --timeout) [ $# -ge 2 ] || usage; limit=$2; shift ;;
        --out) [ $# -ge 2 ] || usage; out=$2; shift ;;
        -v|--verbose) verbose=1 ;;
        -h|--help) usage ;;
        *) echo "run.sh: unknown option '$1'" >&2; usage ;;
    esac
    shift
done
for name in "${!image_override[@]}"; do
    [ -f "${image_override[$name]}" ] || tb_die "--image: ${image_override[$name]} is not a file"
    image_override[$name]=$(realpath "${image_override[$name]}")
done
if [ ${#tests[@]} -eq 0 ]; then
    if [ "${image_only_hello:-0}" = 1 ]; then
        tests=(xen-hello)
    else
        for f in test/xen/*.sh; do
            [ -f "$f" ] && tests+=("$(basename "$f" .sh)")
        done
    fi
fi
declare -A test_file=()
for i in "${!tests[@]}"; do
    t=${tests[$i]}
    case "$t" in
        */*|*.sh) [ -f "$t" ] || tb_die "no such test file: $t"
                  tests[$i]=$(basename "$t" .sh); test_file[${tests[$i]}]=$t ;;
        *) [ -f "test/xen/$t.sh" ] || tb_die "no such test: test/xen/$t.sh"
           test_file[$t]=test/xen/$t.sh ;;
    esac
done
command -v qemu-system-x86_64 >/dev/null || tb_die "qemu-system-x86_64 is missing: run scripts/deps.sh"

base=$(scripts/xen-testbed/build-base.sh) || base=""

header() { sed -n "s/^#[[:space:]]*$2:[[:space:]]*//p" "$1" | head -1; }
image_path() { echo "${image_override[$1]:-build/xen/$1}"; }

rm -rf "$out" && mkdir -p "$out/payload/xenolith/images" "$out/payload/xenolith/tests" "$out/payload/xenolith/files" ||
    tb_die "cannot create $out"
payload=$out/payload
cp scripts/xen-testbed/dom0/init "$payload/init"
cp scripts/xen-testbed/dom0/xentest.sh "$payload/xenolith/"
chmod 755 "$payload/init"

# A test's "# config: APP ARGS..." line: the configs `make run PLATFORM=xen APP` writes for ARGS
# (scripts/run.sh, the xl config and the libvirt domain), in dom0 as /xenolith/configs/TEST/,
# with every path of this tree in them made dom0's: guest images /xenolith/images/NAME, other
# files (a site disk) /xenolith/files/PATH, shipped with them. tsc_mode is native as for every
# test bed guest (xt_create: no RDTSCP under TCG).
ship_config() {   # ship_config TEST [APP ARGS...]
    local t=$1 app=${2:-} dir f ref rel dest
    [ -n "$app" ] || return 0
    shift 2
    dir=$out/configs/$t
    mkdir -p "$dir" "$payload/xenolith/configs/$t"
    XEN_CONFIG_ONLY=1 XEN_CONFIG_OUT="$dir" XEN_TSC_MODE=native scripts/run.sh xen "$app" "$@" \
        >"$out/configs/$t.log" 2>&1 || return 1
    for f in "$dir/$app.xl" "$dir/$app.libvirt.xml"; do
        for ref in $(grep -o "$repo/[^\"'<>, ]*" "$f" | sort -u); do
            rel=${ref#"$repo"/}
            case $rel in
                build/xen/*) dest=/xenolith/images/${rel#build/xen/}
                             cp "$(image_path "${rel#build/xen/}")" "$payload$dest" || return 1 ;;
                *) dest=/xenolith/files/$rel
                   mkdir -p "$(dirname "$payload$dest")" && cp "$ref" "$payload$dest" || return 1 ;;
            esac
            sed -i "s|$ref|$dest|g" "$f"
        done
        cp "$f" "$payload/xenolith/configs/$t/"
    done
}

# Tests whose images are missing fail here, without a boot; the rest go to dom0.
: >"$out/host-results.txt"
runnable=()
total_limit=0
for t in "${tests[@]}"; do
    missing=""
    for img in $(header "${test_file[$t]}" images); do
        src=$(image_path "$img")
        if [ -f "$src" ]; then
            cp "$src" "$payload/xenolith/images/$img"
        else
            missing="$missing $src"
        fi
    done
    if [ -n "$missing" ]; then
        echo "FAIL $t: guest image missing:$missing (build it with make, e.g. make build/xen/$(basename ${missing##* }))" \
            >>"$out/host-results.txt"
        continue
    fi
    if ! ship_config "$t" $(header "${test_file[$t]}" config); then
        echo "FAIL $t: scripts/run.sh could not write the configs of its '# config:' line (see $out/configs/$t.log)" \
            >>"$out/host-results.txt"
        continue
    fi
    cp "${test_file[$t]}" "$payload/xenolith/tests/$t.sh"
    runnable+=("$t")
    t_limit=$(header "${test_file[$t]}" timeout)
    total_limit=$((total_limit + ${t_limit:-120} + 10))
done
if [ "$mode" = shell ]; then
    # Every image there is, so the shell can start any of them.
    for img in build/xen/*; do
        case "$img" in *.debug) continue ;; esac
        [ -f "$img" ] && [ -x "$img" ] && cp -n "$img" "$payload/xenolith/images/"
    done
    for name in "${!image_override[@]}"; do cp "${image_override[$name]}" "$payload/xenolith/images/$name"; done
fi
{
    echo "XT_MODE=$mode"
    echo "XT_TESTS=\"${runnable[*]}\""
} >"$payload/xenolith/run.conf"

summarize() {   # prints the failed tests' logs, the results and the count; sets the exit status
    local results=$out/results.txt
    cat "$out/host-results.txt" "$out/dom0-results.txt" 2>/dev/null >"$results"
    # A test that dom0 never reported on failed with the machine's reason.
    for t in "${runnable[@]}"; do
        grep -q -e "^PASS $t\$" -e "^FAIL $t:" "$results" || echo "FAIL $t: ${machine_failure:-no result from dom0}" >>"$results"
    done
    while read -r verdict name _; do
        [ "$verdict" = FAIL ] || continue
        name=${name%:}
        if [ -s "$out/tests/$name.log" ]; then
            echo "---- $name: test log ($out/tests/$name.log) ----"
            cat "$out/tests/$name.log"
        fi
    done <"$results"
    if [ -n "${machine_failure:-}" ]; then
        echo "---- the test machine failed: $machine_failure; end of $out/serial.log ----"
        tail -n 60 "$out/serial.log"
    fi
    echo "---- results ($results) ----"
    cat "$results"
    local passed failed
    passed=$(grep -c '^PASS ' "$results")
    failed=$(grep -c '^FAIL ' "$results")
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && [ -z "${machine_failure:-}" ]
}

machine_failure=""
if [ -z "$base" ]; then
    [ "$mode" = shell ] && tb_die "cannot build the test bed base"
    machine_failure="the test bed base could not be built (see the messages above)"
    : >"$out/serial.log"
fi
if [ "$mode" = tests ] && { [ ${#runnable[@]} -eq 0 ] || [ -z "$base" ]; }; then
    summarize
    exit $?
fi

(cd "$payload" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out/payload.cpio"
cat "$base/dom0.cpio" "$out/payload.cpio" >"$out/initrd.cpio"
truncate -s 64M "$out/results.img"
[ -n "$limit" ] || limit=$((60 + total_limit))

qemu=(qemu-system-x86_64 -machine pc -accel tcg,thread=multi -cpu max,-smap,-pku,-rdtscp -smp 2 -m 2048
    -kernel "$base/xen.elf"
    -append "console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M dom0_max_vcpus=1 loglvl=all guest_loglvl=all"
    -initrd "$base/vmlinuz console=hvc0 earlyprintk=xen loglevel=4,$out/initrd.cpio"
    -drive "file=$out/results.img,format=raw,if=virtio"
    -display none -monitor none -nic none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04)

start=$(date +%s)
if [ "$mode" = shell ]; then
    tb_say "interactive dom0 (Ctrl-a x quits QEMU; Ctrl-a three times twice switches input to Xen)"
    "${qemu[@]}" -serial mon:stdio
    rc=$?
else
    tb_say "booting Xen and dom0 in QEMU for: ${runnable[*]} (limit $limit s; serial log $out/serial.log)"
    : >"$out/serial.log"
    if [ "$verbose" = 1 ]; then
        tail -n +1 -f "$out/serial.log" &
        tail_pid=$!
    fi
    timeout -k 10 "$limit" "${qemu[@]}" -serial "file:$out/serial.log" </dev/null
    rc=$?
    [ "$verbose" = 1 ] && { sleep 0.5; kill "$tail_pid" 2>/dev/null; }
fi
tb_say "QEMU ended with status $rc after $(( $(date +%s) - start )) s"

# The results disk holds a tar of dom0's /run/xt/out unless dom0 died before writing it.
if tar -tf "$out/results.img" >/dev/null 2>&1 && [ -n "$(tar -tf "$out/results.img" 2>/dev/null | head -1)" ]; then
    tar -xf "$out/results.img" -C "$out" 2>/dev/null
    [ -f "$out/results.txt" ] && mv "$out/results.txt" "$out/dom0-results.txt"
fi
rm -f "$out/initrd.cpio"
# Without the disk (dom0 died first), the verdicts dom0 printed as each test ended still count.
if [ ! -f "$out/dom0-results.txt" ] && [ -s "$out/serial.log" ]; then
    tr -d '\r' <"$out/serial.log" | sed -n 's/^xt: \(PASS [^ ]*\|FAIL [^:]*: .*\) ([0-9.]* s)$/\1/p' >"$out/dom0-results.txt"
fi

first_line() { grep -m1 -E "$1" "$out/serial.log" | cut -c1-200; }
case $rc in
    1|3) ;;   # dom0 finished: 0 every test passed, 1 some failed (their lines say which)
    5) machine_failure="dom0 set-up failed: $(first_line 'SETUP FAILED' | sed 's/.*SETUP FAILED: //')" ;;
    124|137) machine_failure="QEMU timed out after $limit s ($(grep -q 'dom0 ready' "$out/serial.log" && echo 'dom0 was running tests' || echo 'dom0 never became ready'))" ;;
    0)
        if grep -q 'Panic on CPU' "$out/serial.log"; then
            machine_failure="Xen crashed: $(grep -A2 'Panic on CPU' "$out/serial.log" | grep -v -e 'Panic on CPU' -e '\*\*\*\*' | head -1 | sed 's/^(XEN) *//')"
        elif grep -q 'Kernel panic' "$out/serial.log"; then
            machine_failure="dom0 crashed: $(first_line 'Kernel panic' | sed 's/.*Kernel panic - //')"
        else
            machine_failure="the machine reset (QEMU exited 0: Xen or dom0 crashed or rebooted)"
        fi ;;
    *) [ "$mode" = shell ] || machine_failure="QEMU failed with status $rc" ;;
esac
[ "$mode" = shell ] && exit 0
summarize
