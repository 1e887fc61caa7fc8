#!/bin/bash
# bench/ops/breakdown.sh OUTDIR NAME REPETITIONS PROFILE: where one operation's instructions go.
# Runs callgrind_annotate on the operation's profile (one dump of bench/ops/callgrind-ops.sh) and
# writes OUTDIR/breakdown-NAME.txt: the top 15 functions by self cost, then the top 15 by
# inclusive cost, each as "self|incl INSTRUCTIONS_PER_OP PERCENT FUNCTION FILE" (per operation:
# the profile's count divided by the repetitions). The harness's own frames (main, the libc and
# loader entry) are left out of the inclusive list: they hold everything. bench/ops/breakdown-table.sh
# turns the files of both stacks into the tables of docs/BENCHMARKS.md.
#
# Inclusive costs of our stack are approximate where fibers switch: callgrind charges the work a
# fiber does after a switch to the caller of sched_context_switch, so waitq_wait and the API calls
# that block appear to contain what other fibers did meanwhile. Self costs are exact.
set -euo pipefail
out=$1 name=$2 reps=$3 profile=$4
TOP=15
dest=$out/breakdown-$name.txt

# callgrind_annotate's lines: "  1,234 (12.34%)  file:function [object]"
listing() {
    callgrind_annotate --inclusive="$1" --threshold=100 "$profile" 2>/dev/null |
        awk -v kind="$2" -v reps="$reps" -v top="$TOP" '
            /PROGRAM TOTALS/ { started = 1; next }
            !started { next }
            match($0, /^ *[0-9,]+ \( *[0-9.]+%\) +/) {
                head = substr($0, 1, RLENGTH); rest = substr($0, RLENGTH + 1)
                count = head; sub(/\(.*/, "", count); gsub(/[ ,]/, "", count)
                pct = head; sub(/^[^(]*\( */, "", pct); sub(/%.*/, "", pct)
                obj = ""
                if (match(rest, / \[[^]]*\]$/)) {
                    obj = substr(rest, RSTART + 2, RLENGTH - 3); rest = substr(rest, 1, RSTART - 1)
                }
                colon = index(rest, ":")
                file = substr(rest, 1, colon - 1); fn = substr(rest, colon + 1)
                sub(/^.*\//, "", file)
                if (file == "???") { file = obj; sub(/^.*\//, "", file) }
                # The program entry frames contain everything; they say nothing about the stack.
                if (fn == "main" || fn == "(below main)" || fn ~ /^__libc_start/ ||
                    obj ~ /ld-linux/ || fn == "sched_run" || fn == "bench_fiber" ||
                    (file ~ /^ops_/ && fn ~ /^op_/))
                    next
                key = fn " " file
                if (seen[key]++)
                    next
                gsub(/ /, "_", fn); sub(/@@.*/, "", fn)
                if (n++ < top)
                    printf "%s %.0f %s %s %s\n", kind, count / reps, pct, fn, file
            }'
}
{
    echo "# $name: instructions per operation by function ($reps repetitions; callgrind_annotate)"
    listing no self
    listing yes incl
} > "$dest"
