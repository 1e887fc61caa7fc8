#!/bin/bash
# bench/pvh-boot.sh OUTDIR: boot cost of the PVH images in instructions, deterministically, on bare
# QEMU (TCG). QEMU runs with -icount (the virtual clock, and so the TSC and the PIT, advance by
# instructions executed, never by host time: every run executes the same instructions) and with
# one instruction per translation block and chaining off, logging each block it executes
# (-d exec,nochain): one log line per instruction executed. An awk reading the log through a FIFO
# counts lines from the first instruction of the PVH entry (pvh_start32) to the first execution
# of each marker function, taken from the image's symbols (build/xen/APP.debug):
#   pvh_main      the 64-bit C entry (after the assembly: start-info check, .bss clear, page tables)
#   kernel_start  the portable boot (after the console, memory map, traps, clock)
#   app_main      the application's main (after heap, scheduler, options, late init)
#   platform_blkdev_open  httpd only: its first look for a device (on bare QEMU there is none,
#                 so this is as far as httpd gets toward "listening")
# and, apart, the instructions from clock_init's entry to its return into pvh_main: on bare QEMU
# the TSC rate is measured against the PIT, a busy wait of 3 x 10 ms of virtual time whose length
# depends only on -icount's rate (on Xen the rate is read from Xen's CPUID leaf instead).
# Each image is booted twice; the counts must agree. QEMU is stopped at the last marker.
# Writes OUTDIR/pvh-boot.txt: "APP.MARKER N" (instructions from the PVH entry), "APP.clock_init N"
# and "APP.deterministic yes|no".
set -u
out=$1
mkdir -p "$out"
cd "$(dirname "$0")/.."
ICOUNT_SHIFT=6       # one instruction = 64 ns of virtual time: the PIT busy wait stays short
res=$out/pvh-boot.txt
: > "$res"
fail() { echo "bench pvh-boot: $*" >&2; exit 1; }
QPID="" DIR=""
cleanup() {
    [ -n "$QPID" ] && { kill -KILL "$QPID" 2>/dev/null; wait "$QPID" 2>/dev/null; }
    [ -n "$DIR" ] && rm -f "$DIR/exec.fifo"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

sym() { nm "$1" | awk -v s="$2" '$3 == s { print $1; exit }'; }

# count APP RUN MARKERS...: one boot; prints "MARKER N" for each marker and "clock_init N".
count() {
    local app=$1 run=$2
    shift 2
    local dbg=build/xen/$app.debug
    [ -f "$dbg" ] || fail "$dbg is missing (make build/xen/$app)"
    local entry pcs="" m a
    entry=$(sym "$dbg" pvh_start32)
    for m in "$@"; do
        a=$(sym "$dbg" "$m")
        # Link-time optimization may inline a marker: app_main then starts inside run_app_main
        # (the kernel's fiber that calls it); a device lookup inlined away is left out.
        [ -z "$a" ] && [ "$m" = app_main ] && a=$(sym "$dbg" run_app_main)
        [ -z "$a" ] && [ "$m" = platform_blkdev_open ] && continue
        [ -n "$a" ] || fail "$app has no symbol $m"
        pcs="$pcs $m=$a"
    done
    # clock_init's return address: the instruction after pvh_main's call to it.
    local clk clk_ret=""
    clk=$(sym "$dbg" clock_init)
    # (APP.debug carries symbols but no code; build/xen/link/APP.stripped is the image with its
    # section headers, which the image itself leaves out.)
    local am_start am_size
    [ -n "$clk" ] && read -r am_start am_size < <(nm -S "$dbg" | awk '$4 == "pvh_main" { print $1, $2; exit }')
    [ -n "$clk" ] && clk_ret=$(objdump -d --no-show-raw-insn --start-address=$((16#$am_start)) \
            --stop-address=$((16#$am_start + 16#$am_size)) "build/xen/link/$app.stripped" |
        awk -v c="$(echo "$clk" | sed 's/^0*//')" '
            found && /^ *[0-9a-f]+:/ { sub(":", "", $1); print $1; exit }
            $2 == "call" && ($3 == c || $3 == "0x" c) { found = 1 }')
    # clock_init inlined into pvh_main (link-time optimization): its wait cannot be separated.
    [ -n "$clk" ] && [ -n "$clk_ret" ] || { clk=none; clk_ret=none; }
    DIR=$out/pvh-boot-$app.$run
    rm -rf "$DIR" && mkdir -p "$DIR"
    mkfifo "$DIR/exec.fifo"
    timeout --kill-after=5 300 qemu-system-x86_64 -machine microvm -accel tcg -m 128 \
        -kernel "build/xen/$app" -display none -monitor none -no-reboot -nic none \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial "file:$DIR/console.log" \
        -icount "shift=$ICOUNT_SHIFT,sleep=off" -singlestep -d exec,nochain -D "$DIR/exec.fifo" \
        < /dev/null > "$DIR/qemu.log" 2>&1 &
    QPID=$!
    # Log lines: "Trace 0: HOSTPTR [CS_BASE/PC/FLAGS/CFLAGS] ...", one per instruction executed.
    awk -v entry="$entry" -v marks="$pcs" -v clk="$clk" -v clk_ret="$clk_ret" '
        function strip(a) { sub(/^0+/, "", a); return a }
        BEGIN {
            n = split(marks, m, " ")
            for (i = 1; i <= n; i++) { split(m[i], kv, "="); name[strip(kv[2])] = kv[1]; left++ }
            entry = strip(entry); clk = strip(clk); clk_ret = strip(clk_ret)
        }
        {
            split($4, f, "/"); pc = strip(f[2])
            if (!started) { if (pc != entry) next; started = 1 }
            count++
            if (pc == clk && !clk_in) clk_in = count
            else if (pc == clk_ret && clk_in && !clk_out) clk_out = count
            if ((pc in name) && !(pc in seen)) {
                seen[pc] = 1; print name[pc], count - 1; fflush()
                if (--left == 0) { print "clock_init", (clk_out ? clk_out - clk_in : "n/a"); exit }
            }
        }' < "$DIR/exec.fifo" > "$DIR/counts.txt"
    kill -KILL "$QPID" 2>/dev/null
    wait "$QPID" 2>/dev/null
    QPID=""
    rm -f "$DIR/exec.fifo"
    grep -q '^clock_init ' "$DIR/counts.txt" ||
        fail "$app did not reach every marker ($*): $(tail -3 "$DIR/console.log" 2>/dev/null)"
    cat "$DIR/counts.txt"
}

measure() {
    local app=$1
    shift
    local first second
    first=$(count "$app" 1 "$@") || exit 1
    second=$(count "$app" 2 "$@") || exit 1
    echo "$first" | sed "s/^/$app./" >> "$res"
    if [ "$first" = "$second" ]; then
        echo "$app.deterministic yes" >> "$res"
    else
        echo "$app.deterministic no" >> "$res"
        echo "$second" | sed "s/^/$app.second./" >> "$res"
    fi
}

measure hello pvh_main kernel_start app_main
measure echo pvh_main kernel_start app_main
measure httpd pvh_main kernel_start app_main platform_blkdev_open
cat "$res"
