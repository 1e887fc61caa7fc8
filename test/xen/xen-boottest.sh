# xen-boottest: the in-kernel boot tests (traps, paging, allocator, fibers, timers, clocks) run
# as a PVH domU under real Xen, where the clock comes from Xen's CPUID time leaf and idle
# blocks in the hypervisor, and all pass: the domain powers off after "0 failed" and success.
# images: boottest
# timeout: 90
xt_create boottest "kernel = \"$(xt_image boottest)\""
xt_expect_end boottest poweroff 60
summary=$(grep -m1 -E '^boottest: [0-9]+ passed, [0-9]+ failed' "$(xt_console boottest)")
[ -n "$summary" ] || xt_fail "boottest printed no summary line (last line: \"$(xt_console_last boottest)\")"
case "$summary" in
    *", 0 failed") ;;
    *) xt_fail "$summary: $(grep '^boottest: FAIL' "$(xt_console boottest)" | sed 's/^boottest: FAIL //' | paste -sd ';' | cut -c1-300)" ;;
esac
xt_expect_console boottest "xenolith: shutdown: success"
xt_pass "$summary"
