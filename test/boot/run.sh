#!/bin/sh
# make test-boot: boots build/xen/boottest and build/xen/hello under QEMU (TCG, microvm and
# pc machines) and judges each case by QEMU's exit status alone (isa-debug-exit: 1 success,
# 5 crash; a triple fault gives 0 and fails), plus the console lines the case must print.
# Prints PASS/FAIL per case and "N passed, M failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/../.."
out=build/test-boot
mkdir -p "$out"
passed=0 failed=0

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); [ -f "$3" ] && sed 's/^/    | /' "$3" | tail -n 40; }

# case NAME EXPECTED_STATUS "PATTERN|PATTERN..." -- qemu-boot.sh arguments
boot_case() {
    name=$1 want=$2 patterns=$3
    shift 4
    log="$out/$(echo "$name" | tr ' /' '__').log"
    rm -f "$log"
    scripts/qemu-boot.sh -l "$log" "$@"
    status=$?
    check_result "$name" "$want" "$patterns" "$status" "$log"
}

check_result() {
    name=$1 want=$2 patterns=$3 status=$4 log=$5
    if [ "$status" -ne "$want" ]; then
        fail "$name" "QEMU exit status $status, expected $want" "$log"
        return
    fi
    old_ifs=$IFS
    IFS='|'
    for p in $patterns; do
        if ! grep -q -- "$p" "$log"; then
            IFS=$old_ifs
            fail "$name" "console lacks \"$p\"" "$log"
            return
        fi
    done
    IFS=$old_ifs
    pass "$name"
}

for m in microvm pc; do
    boot_case "boottest $m" 1 "boottest: [0-9]* passed, 0 failed|xenolith: shutdown: success" -- \
        -m "$m" build/xen/boottest
    boot_case "hello $m" 1 "Hello from Xenolith|xenolith: shutdown: success" -- \
        -m "$m" build/xen/hello
done
boot_case "boottest microvm -cpu max" 1 "boottest: [0-9]* passed, 0 failed" -- \
    -m microvm -c max,-rdtscp build/xen/boottest
boot_case "boottest panic" 5 \
    "boottest: requested panic|backtrace:|app_main+0x|xenolith: shutdown: crash" -- \
    build/xen/boottest "-- panic"
boot_case "boottest overflow" 5 \
    "stack overflow in fiber 'overflow'|backtrace:|recurse_deeply+0x|xenolith: shutdown: crash" -- \
    build/xen/boottest "-- overflow"
boot_case "hello pc with arguments" 1 "argument 0: one|argument 1: two" -- \
    -m pc build/xen/hello "log=info -- one two"
boot_case "bad option refused" 3 "command line refused: unknown option|xenolith: shutdown: failure" -- \
    build/xen/hello "no-such-option=1"

# The issue's command line. Verbatim ("-nographic -serial stdio") QEMU 7.2 refuses it:
# -nographic already puts the monitor on stdio ("cannot use stdio by multiple character
# devices") and exits with status 1, which is why every case also requires console lines.
# Its working forms: -nographic alone (serial multiplexed on stdio), or -monitor none added.
issue_case() {
    name=$1
    shift
    log="$out/$(echo "$name" | tr ' /(),' '_____').log"
    timeout --kill-after=5 60 qemu-system-x86_64 -machine microvm -kernel build/xen/hello \
        -nographic "$@" -device isa-debug-exit,iobase=0xf4,iosize=0x04 < /dev/null > "$log" 2>&1
    check_result "$name" 1 "Hello from Xenolith|xenolith: shutdown: success" $? "$log"
}
issue_case "issue command, -nographic (qemu64 CPU)"
issue_case "issue command, -nographic -monitor none -serial stdio" -monitor none -serial stdio

# Reproducible images: archiving, both link passes and stripping again give the same bytes.
cp build/xen/hello "$out/hello.first"
rm -f build/xen/hello build/xen/hello.debug build/xen/link/hello.* build/xen/*.a
if ! make --no-print-directory -s build/xen/hello > "$out/relink.log" 2>&1; then
    fail "hello relinks" "make failed" "$out/relink.log"
elif cmp -s "$out/hello.first" build/xen/hello; then
    pass "hello relinks to the same bytes"
else
    fail "hello relinks to the same bytes" "the images differ" /dev/null
fi

# The image budgets (docs/DESIGN.md), stripped: hello <= 64 KB. httpd's design target is 150 KB and
# dns's 100 KB; neither is met, so their checks hold each image at today's size with 1 KB of margin,
# to catch growth (docs/BENCHMARKS.md has their bytes by module).
budget_case() {
    size=$(stat -c %s "build/xen/$1" 2>/dev/null || echo 0)
    if [ "$size" -gt 0 ] && [ "$size" -le "$2" ]; then
        pass "$1 image size $size <= $2"
    else
        fail "$1 image size" "$size bytes, budget $2" /dev/null
    fi
}
budget_case hello 65536
# httpd: 185,890 bytes with every feature (receive by reference with large receives as page
# chains, the file cache's memory-pressure hook, 4 KiB xenstore requests, the PIT measurement that
# survives a loaded host).
budget_case httpd 186914
# The DNS appliance: 155,298 bytes with DHCP, CUBIC, RACK, SYN cookies, TSO, path MTU discovery,
# IPv4 reassembly, SACK, timestamps, window scaling, the out-of-order queue, ICMP errors,
# keep-alives and receive by reference left out, and on Xen save/restore, netfront offloads and
# blkfront writes: the Xen drivers (~31 KB), TCP (which DNS over TCP needs, RFC 7766; ~18 KB),
# IPv4/ARP/UDP and the base make most of it, the server, codec, zones and tar reader the rest.
budget_case dns 156322

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
