# xen-boottest-pinned: the in-kernel boot tests (timers and clocks among them) pass with the
# guest's vCPU pinned to each physical CPU in turn (cpus = "0", then "1"; dom0 shares CPU 0).
# images: boottest
# timeout: 120
notes=()
for cpu in 0 1; do
    dom=bootpin$cpu
    xt_create $dom "kernel = \"$(xt_image boottest)\"" "cpus = \"$cpu\""
    xt_expect_end $dom poweroff 50
    summary=$(grep -m1 -E '^boottest: [0-9]+ passed, [0-9]+ failed' "$(xt_console $dom)")
    [ -n "$summary" ] || xt_fail "CPU $cpu: no summary line (last line: \"$(xt_console_last $dom)\")"
    case "$summary" in
        *", 0 failed") ;;
        *) xt_fail "CPU $cpu: $summary: $(grep '^boottest: FAIL' "$(xt_console $dom)" | sed 's/^boottest: FAIL //' | paste -sd ';' | cut -c1-300)" ;;
    esac
    xt_expect_console $dom "xenolith: shutdown: success"
    notes+=("CPU $cpu: $summary")
    xt_destroy $dom
done
xt_pass "$(IFS=';'; echo "${notes[*]}")"
