# xen-watchdog: Xen's domain watchdog as a net under a stuck guest. With watchdog=4 the guest
# arms SCHEDOP_watchdog and its event loop re-arms it; it idles 8 s (twice the timeout: the idle
# loop must keep petting), then stops its loop on purpose (xentest "stall": a fiber spinning with
# interrupts off). Xen must end it as `watchdog` within the timeout (on_watchdog="preserve" so
# it can be seen); then the same guest with on_watchdog="restart" is restarted by xl.
# images: xentest
# timeout: 110
TIMEOUT_S=4

# Waits up to $2 tenths of a second for the console of $1 to hold "$3".
wait_console() {
    for _ in $(seq "$2"); do
        xt_console_has "$1" "$3" && return 0
        xt_console_has "$1" "xenolith: shutdown" && return 1
        sleep 0.1
    done
    return 1
}

xt_create xwd "kernel = \"$(xt_image xentest)\"" "extra = \"watchdog=$TIMEOUT_S -- stall\"" \
    'on_watchdog = "preserve"'
wait_console xwd 300 "xentest: idling" ||
    xt_fail "the guest did not start idling (last line: \"$(xt_console_last xwd)\")"
xt_console_has xwd "Xen watchdog" || xt_fail "the guest did not arm the watchdog"
wait_console xwd 200 "xentest: stalling the loop" ||
    xt_fail "the guest did not reach its stall after idling (last line: \"$(xt_console_last xwd)\"; state $(xl list xwd 2>/dev/null | awk 'NR == 2 { print $5 }'))"
stalled=$(date +%s%N)
xt_wait_end xwd 30
took=$(( ($(date +%s%N) - stalled) / 1000000 ))
[ "$XT_END" = watchdog ] ||
    xt_fail "domain xwd $(xt_describe_end) after the stall, expected watchdog; console: \"$(xt_console_last xwd)\""
# The last pet came at most half the timeout before the stall, so Xen ends the domain between
# 2 and 4 s after it; the bound allows for xenconsoled's and `xl list`'s delays.
[ "$took" -le $((TIMEOUT_S * 1000 + 3000)) ] ||
    xt_fail "Xen's watchdog ended the domain $took ms after the stall (timeout $TIMEOUT_S s)"
echo "xt: watchdog ended the stalled guest $took ms after its stall"
xt_destroy xwd

# The same with xl restarting it: a new domain with the same name, booting again.
xt_create xwdr "kernel = \"$(xt_image xentest)\"" "extra = \"watchdog=$TIMEOUT_S -- stall\"" \
    'on_watchdog = "restart"'
first=$(xl domid xwdr)
restarted=no
for _ in $(seq 300); do
    id=$(xl domid xwdr 2>/dev/null || true)
    [ -n "$id" ] && [ "$id" != "$first" ] && { restarted=yes; break; }
    sleep 0.1
done
[ "$restarted" = yes ] || xt_fail "xl did not restart the guest after its watchdog fired (domid $first)"
grep -q 'shut down, reason code 4' "/var/log/xen/xl-xwdr.log" 2>/dev/null ||
    xt_fail "xl's log does not name the watchdog as the reason for the restart"
echo "xt: xl restarted xwdr as domain $id after the watchdog ended domain $first"
xt_destroy xwdr
xt_pass "watchdog after $took ms; restarted by xl"
