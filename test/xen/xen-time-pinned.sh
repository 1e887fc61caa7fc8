# xen-time-pinned: xen-time's checks with the guest's vCPU pinned to each physical CPU in turn
# (cpus = "0", then "1"): Xen's time record and calibration are per CPU, and dom0 shares CPU 0,
# so the first timer after boot must be accurate on either (it once ran 228 ms early on CPU 0).
# images: xentest
# timeout: 120
notes=()
for cpu in 0 1; do
    dom=xtimepin$cpu
    before=$(date +%s)
    xt_create $dom "kernel = \"$(xt_image xentest)\"" "cpus = \"$cpu\"" 'extra = "-- time"'
    xt_expect_end $dom poweroff 50
    after=$(date +%s)
    log=$(xt_console $dom)
    summary=$(grep -m1 -E '^xentest: [0-9]+ passed, [0-9]+ failed' "$log")
    case "$summary" in
        *", 0 failed") ;;
        "") xt_fail "CPU $cpu: no summary (last line: \"$(xt_console_last $dom)\")" ;;
        *) xt_fail "CPU $cpu: $summary: $(grep '^xentest: FAIL' "$log" | sed 's/^xentest: FAIL //' | paste -sd ';' | cut -c1-300)" ;;
    esac
    wall=$(sed -n 's/^xentest: wallclock \([0-9]*\)\..*/\1/p' "$log" | head -1)
    [ -n "$wall" ] || xt_fail "CPU $cpu: no wall clock line"
    [ "$wall" -ge $((before - 2)) ] && [ "$wall" -le $((after + 2)) ] ||
        xt_fail "CPU $cpu: guest wall clock $wall s is outside dom0's [$before, $after] (+-2 s)"
    notes+=("CPU $cpu: $summary")
    xt_destroy $dom
done
xt_pass "$(IFS=';'; echo "${notes[*]}")"
