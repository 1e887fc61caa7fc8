#!/bin/sh
# make test-layers: the unit tests of the two tree checks (test_checks.py, fake trees), then
# the checks on this tree: every #include points down the layer order of docs/ARCHITECTURE.md
# (scripts/check-layers.py), every document the project mentions is in the repository
# (scripts/check-doc-refs.py), and no unit test program has a main() of its own. Ends with
# "N passed, M failed" and fails if anything failed.
set -u
cd "$(dirname "$0")/../.."
passed=0
failed=0
verdict() {  # $1 name, $2 exit status
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); echo "PASS $1"
    else failed=$((failed + 1)); echo "FAIL $1"; fi
}
/usr/bin/python3 test/layers/test_checks.py
verdict checker_unit_tests $?
/usr/bin/python3 scripts/check-layers.py
verdict layer_order $?
/usr/bin/python3 scripts/check-doc-refs.py
verdict document_references $?
# Every unit test program ends with TEST_MAIN (xenolith/test_main.h) rather than a copy of
# the Check runner: the files that define a main() of their own are listed.
! grep -l '^int main' test/unit/test_*.c app/*/test_*.c scripts/app-skeleton/test_*.c
verdict unit_tests_share_one_main $?
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
