#!/bin/sh
# Runs libFuzzer harnesses over their committed seed corpus (test/fuzz/corpus/<name>/, or
# $FUZZ_CORPUS_DIR/<name>/ for an application's own harnesses; read only; new inputs go to a
# scratch directory that is removed afterwards).
#   run.sh runs N fuzzer...      each for N inputs
#   run.sh seconds S fuzzer...   each for S seconds
# A crash, timeout or leak leaves its input in build/fuzz/artifacts/<name>/. Ends with
# "N passed, M failed". For a longer campaign (docs/TESTING.md, "Fuzz campaigns"):
#   FUZZ_ARGS      more libFuzzer flags, after the defaults (a later flag wins), e.g.
#                  "-max_len=1500 -timeout=2 -rss_limit_mb=1024"
#   FUZZ_WORK_DIR  keep each harness's grown corpus in $FUZZ_WORK_DIR/<name>/ (a later run
#                  resumes from it) instead of a scratch directory removed at the end
set -u
mode=$1; amount=$2; shift 2
case "$mode" in
    runs) limit="-runs=$amount" ;;
    seconds) limit="-max_total_time=$amount" ;;
    *) echo "run.sh: mode must be runs or seconds" >&2; exit 2 ;;
esac
cd "$(dirname "$0")/../.."
passed=0
failed=0
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
work="${FUZZ_WORK_DIR:-$scratch}"
for bin in "$@"; do
    name=$(basename "$bin" | sed 's/^fuzz_//')
    corpus="${FUZZ_CORPUS_DIR:-test/fuzz/corpus}/$name"
    artifacts="build/fuzz/artifacts/$name/"
    mkdir -p "$work/$name" "$artifacts"
    [ -d "$corpus" ] || corpus=""
    log="$scratch/$name.log"
    start=$(date +%s)
    # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
    if "$bin" $limit -seed=1 -rss_limit_mb=2048 -max_len=4096 -timeout=60 -print_final_stats=0 \
        ${FUZZ_ARGS:-} -artifact_prefix="$artifacts" "$work/$name" $corpus >"$log" 2>&1; then
        passed=$((passed + 1))
        runs=$(tail -n 1 "$log" | sed -n 's/.*Done \([0-9]*\) runs.*/\1 runs/p')
        edges=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | sed 's/cov: //')
        echo "PASS fuzz_$name ($runs in $(( $(date +%s) - start )) s, ${edges:-?} edges)"
    else
        failed=$((failed + 1))
        tail -n 40 "$log"
        echo "FAIL fuzz_$name (input kept in $artifacts)"
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
