#!/bin/sh
# Runs every Check unit-test program given, then prints the totals as "N passed, M failed".
# Check prints "NN%: Checks: C, Failures: F, Errors: E" per program; a program that dies
# without that line counts as one failure.
set -u
passed=0
failed=0
bad=""
for prog in "$@"; do
    out=$("$prog" 2>&1)
    rc=$?
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: [0-9]+' | tail -n 1)
    if [ -z "$line" ]; then
        printf '%s\n' "$out"
        echo "FAIL $(basename "$prog"): exited $rc without a Check summary"
        failed=$((failed + 1)); bad="$bad $(basename "$prog")"
        continue
    fi
    checks=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
    fails=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
    errs=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
    nbad=$((fails + errs))
    if [ "$nbad" -ne 0 ] || [ "$rc" -ne 0 ]; then
        printf '%s\n' "$out" | grep -vE ':P:|^Running suite' || true
        bad="$bad $(basename "$prog")"
        [ "$nbad" -eq 0 ] && nbad=1
    fi
    echo "$(basename "$prog"): $line"
    passed=$((passed + checks - nbad))
    failed=$((failed + nbad))
done
[ -n "$bad" ] && echo "failing programs:$bad"
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
