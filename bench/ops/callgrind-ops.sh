#!/bin/bash
# bench/ops/callgrind-ops.sh PROGRAM OUTDIR: runs a per-operation harness (bench/ops/*.c) under
# callgrind with collection off at start (the harness turns it on around the stack's work) and
# prints one line per operation: "NAME INSTRUCTIONS_PER_OP REPETITIONS TOTAL". Extra lines the
# harness prints ("segment NAME BYTES") are passed through. Each operation's profile is also broken
# down by function into OUTDIR/breakdown-NAME.txt (bench/ops/breakdown.sh). Exit status non-zero if
# the harness failed or an operation has no profile.
set -euo pipefail
prog=$1 out=$2
rm -rf "$out" && mkdir -p "$out"
if ! valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file="$out/callgrind.out" \
        "$prog" > "$out/stdout" 2> "$out/valgrind.log"; then
    echo "callgrind-ops: $prog failed:" >&2
    tail -20 "$out/stdout" "$out/valgrind.log" >&2
    exit 1
fi
status=0
while read -r kind name value; do
    case $kind in
    op)
        file=$(grep -l "^desc: Trigger: Client Request: $name\$" "$out"/callgrind.out.* 2>/dev/null | head -1 || true)
        if [ -z "$file" ]; then
            echo "callgrind-ops: no profile for $name" >&2
            status=1
            continue
        fi
        total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$file" | head -1)
        echo "$name $(( (total + value / 2) / value )) $value $total"
        "$(dirname "$0")/breakdown.sh" "$out" "$name" "$value" "$file" || status=1
        ;;
    segment) echo "segment $name $value" ;;
    esac
done < "$out/stdout"
exit $status
