#!/bin/bash
# The hosted smoke tier (make test-hosted): runs hosted programs as ordinary processes and
# checks their output and exit status (platform/hosted/hosted.h lists the statuses).
# Usage: test/hosted/run.sh BUILD_DIR     (build/hosted, or build/hosted-asan)
# Prints PASS/FAIL per case and ends with "hosted: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
B=${1:-build/hosted}
TIMEOUT=20
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() {
    echo "FAIL $1: $2"
    sed 's/^/    | /' "$tmp/out" | tail -n 40
    failed=$((failed + 1))
}

# run CMD...: runs to completion (bounded by TIMEOUT); output in $tmp/out, status in RC.
run() {
    timeout -k 2 "$TIMEOUT" "$@" >"$tmp/out" 2>&1
    RC=$?
}

# expect NAME STATUS [TEXT...]: the last run ended with STATUS and printed every TEXT.
expect() {
    local name=$1 status=$2
    shift 2
    if [ "$RC" -ne "$status" ]; then
        fail "$name" "exit status $RC, expected $status"
        return
    fi
    local text
    for text in "$@"; do
        if ! grep -qF -- "$text" "$tmp/out"; then
            fail "$name" "output lacks \"$text\""
            return
        fi
    done
    pass "$name"
}

# start CMD...: runs in the background, output in $tmp/out, pid in PID; a watchdog kills it
# after TIMEOUT seconds.
start() {
    "$@" >"$tmp/out" 2>&1 &
    PID=$!
    (sleep "$TIMEOUT"; kill -KILL "$PID" 2>/dev/null) &
    WATCHDOG=$!
}

# wait_output TEXT: waits (up to 10 s) until the background program printed TEXT.
wait_output() {
    local i
    for i in $(seq 200); do
        grep -qF -- "$1" "$tmp/out" && return 0
        sleep 0.05
    done
    return 1
}

finish() {
    wait "$PID"
    RC=$?
    kill "$WATCHDOG" 2>/dev/null
    wait "$WATCHDOG" 2>/dev/null
}

# ---- hello ----
run "$B/hello"
expect hello-runs 0 "Hello from Xenolith" "hello: timer fiber slept" "hello: done" \
    "xenolith: shutdown: success"

run "$B/hello" log=debug -- one two
expect hello-command-line 0 'hello: command line: "log=debug -- one two"' \
    "hello: argument 0: one" "hello: argument 1: two"

run "$B/hello" bogus=1
expect unknown-option-refused 1 "unknown option 'bogus=1'" "xenolith: shutdown: failure"

long=$(printf 'x%.0s' $(seq 1100))
run "$B/hello" -- "$long"
expect command-line-too-long 2 "the command line is 1103 bytes long; at most 1023 are accepted"

XENOLITH_HOSTED_MEM_MB=16 run "$B/hello"
expect memory-from-environment 0 "hello: 16384 KiB of RAM for the allocator"

for bad in abc 0 3 65537 "" 12x -8 99999999999999999999; do
    XENOLITH_HOSTED_MEM_MB=$bad run "$B/hello"
    expect "memory-environment-refused[$bad]" 2 "XENOLITH_HOSTED_MEM_MB='$bad' is not a number"
done

# Console output is best effort: a closed or broken stdout must not change the outcome.
timeout "$TIMEOUT" "$B/hello" >&- 2>"$tmp/out"
RC=$?
expect stdout-closed 0
timeout "$TIMEOUT" "$B/hello" 2>"$tmp/out" | true
RC=${PIPESTATUS[0]}
expect stdout-broken-pipe 0

# ---- signals ----
for sig in TERM INT; do
    start "$B/test/signals" -- wait
    if wait_output "signals: waiting for shutdown"; then
        kill -"$sig" "$PID"
    fi
    finish
    expect "sig$(echo "$sig" | tr 'A-Z' 'a-z')-shuts-down" 0 "signals: shutdown requested (rc 0)" \
        "xenolith: shutdown: success"
done

start "$B/test/signals" -- stubborn
if wait_output "signals: waiting for shutdown"; then
    kill -INT "$PID"
    wait_output "signals: not returning" && kill -INT "$PID"
fi
finish
expect second-sigint-exits-at-once 130 "second SIGINT while shutting down"

# ---- crashes ----
run "$B/test/crash" -- overflow
expect stack-overflow-named 2 "stack overflow in fiber 'deep-recursion'" "backtrace:" \
    "crash_test_recurse+" "xenolith: shutdown: crash"

run "$B/test/crash" -- null
expect null-write-reported 2 "SIGSEGV (address not mapped) at address 0x10, ip 0x" \
    "in fiber 'main'" "crash_test_write+" "app_main+" "xenolith: shutdown: crash"

run "$B/test/crash" -- arena-end
addr=$(sed -n 's/^crash: writing at \(0x[0-9a-f]*\), the end of the arena$/\1/p' "$tmp/out")
expect arena-end-guarded 2 "SIGSEGV (access not permitted) at address ${addr:-?}," \
    "xenolith: shutdown: crash"

run "$B/test/crash" -- panic
expect panic-reported 2 "crash test panic 42" "app_main+" "xenolith: shutdown: crash"

# ---- the event loop, checked from inside (test/hosted/watch.c) ----
run "$B/test/watch"
while read -r verdict name rest; do
    case $verdict in
        PASS) pass "$name" ;;
        FAIL) echo "FAIL $name $rest"; failed=$((failed + 1)) ;;
    esac
done < <(grep -E '^(PASS|FAIL) ' "$tmp/out")
expect watch-program-exits-cleanly 0 "watch: 0 failed"

echo "hosted: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
