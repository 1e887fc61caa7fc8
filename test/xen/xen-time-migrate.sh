# xen-time-migrate: timers stay accurate while the guest's vCPU moves between physical CPUs.
# The guest sleeps for 15 s in sleeps of 3 ms to 1.5 s (xentest "soak") while dom0 re-pins its
# vCPU to CPU 0 and CPU 1 in turn every 0.3 s: each move brings another CPU's time record and
# TSC, which a deadline converted to Xen's time must survive. Every sleep must end on its own
# timer (not the LAPIC backstop 250 ms later) and on time, allowing for time Xen kept the vCPU
# runnable; a miss prints the guest's block log (xen-block lines) in its console.
# images: xentest
# timeout: 90
xt_create xtmig "kernel = \"$(xt_image xentest)\"" 'extra = "-- soak"'
moves=0
for _ in $(seq 200); do
    xt_console_has xtmig " passed, " && break
    xl vcpu-pin xtmig 0 $((moves % 2)) >/dev/null 2>&1 || break
    moves=$((moves + 1))
    sleep 0.3
done
echo "xt: moved the vCPU $moves times"
xt_expect_end xtmig poweroff 40
log=$(xt_console xtmig)
summary=$(grep -m1 -E '^xentest: [0-9]+ passed, [0-9]+ failed' "$log")
case "$summary" in
    *", 0 failed") ;;
    "") xt_fail "no summary (last line: \"$(xt_console_last xtmig)\")" ;;
    *) xt_fail "$summary: $(grep '^xentest: FAIL' "$log" | sed 's/^xentest: FAIL //' | paste -sd ';' | cut -c1-300)" ;;
esac
[ "$moves" -ge 10 ] || xt_fail "only $moves vCPU moves happened while the guest slept"
xt_pass "$moves moves; $(grep -m1 'sleeps end on their timer' "$log" | sed 's/^xentest: ok *//')"
