# xen-time: the PV clock under real Xen. The guest reports Xen's version, its monotonic clock
# never goes back, one-shot timers (VCPUOP_set_singleshot_timer -> VIRQ_TIMER) end sleeps of
# 1-100 ms within tolerance and in deadline order while the vCPU blocks, and its wall clock
# (shared_info) agrees with dom0's clock to a couple of seconds.
# images: xentest
# timeout: 90
before=$(date +%s)
xt_create xtime "kernel = \"$(xt_image xentest)\"" 'extra = "-- time"'
xt_expect_end xtime poweroff 60
after=$(date +%s)
log=$(xt_console xtime)
grep -q '^xentest: Xen 4\.' "$log" || xt_fail "the guest did not report Xen's version"
summary=$(grep -m1 -E '^xentest: [0-9]+ passed, [0-9]+ failed' "$log")
case "$summary" in
    *", 0 failed") ;;
    "") xt_fail "no summary (last line: \"$(xt_console_last xtime)\")" ;;
    *) xt_fail "$summary: $(grep '^xentest: FAIL' "$log" | sed 's/^xentest: FAIL //' | paste -sd ';' | cut -c1-300)" ;;
esac
wall=$(sed -n 's/^xentest: wallclock \([0-9]*\)\..*/\1/p' "$log" | head -1)
[ -n "$wall" ] || xt_fail "no wall clock line"
[ "$wall" -ge $((before - 2)) ] && [ "$wall" -le $((after + 2)) ] ||
    xt_fail "guest wall clock $wall s is outside dom0's [$before, $after] (+-2 s)"
echo "xt: guest wall clock $wall, dom0 $before..$after"
xt_pass "$summary; wall clock within dom0's window; $(grep -m1 '^xentest: timer via' "$log" | sed 's/^xentest: //')"
