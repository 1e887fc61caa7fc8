#!/bin/sh
# `make test`: runs each test tier (make test-<tier>) in turn, keeps going after a failure so one
# run shows everything, and ends with one line "N passed, M failed" counting the tiers.
set -u
cd "$(dirname "$0")/.."
passed=0
failed=0
failed_tiers=""
for tier in "$@"; do
    echo "=== $tier"
    start=$(date +%s)
    if make --no-print-directory "$tier"; then
        passed=$((passed + 1)); verdict=PASS
    else
        failed=$((failed + 1)); verdict=FAIL; failed_tiers="$failed_tiers $tier"
    fi
    echo "=== $verdict $tier ($(( $(date +%s) - start )) s)"
done
[ -n "$failed_tiers" ] && echo "failed tiers:$failed_tiers"
echo "tiers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
