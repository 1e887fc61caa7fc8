# netfront-reconnect: the backend closes under a connected netfront (dom0 sets the backend's
# state to Closing, as netback does when it goes away) and offers the device again: the frontend
# must close (Closing, Closed, rings and grants released), go Initialising so netback prepares a
# new connection, reconnect, and answer ping again. A second cycle right after the first must
# wait longer (the reconnect backoff: 1 s, then 2 s, logged as "attempt 2 of 6") and still come
# back. netback unmaps everything on close, so nothing may go to the grant quarantine, and no
# queue may break. Uses the echo guest netfront-ping started (or starts it) and leaves it for
# netfront-tcp.
# images: echo
# timeout: 120
xt_netfront_static_domain
sed -i '/^nfstatic$/d' "$XT_OUT/tests/$XT_TEST.domains" 2>/dev/null
id=$(xl domid nfstatic)
be=$(xenstore-read "/local/domain/$id/device/vif/0/backend") || xt_fail "no backend path for vif 0"
ping -c 2 -i 0.3 -W 3 10.0.0.2 >/dev/null || xt_fail "no answer to ping before the backend closes"
before=$(grep -c "netfront: vif0: connected" "$(xt_console nfstatic)")
xenstore-write "$be/state" 5 || xt_fail "cannot write the backend's state"
for _ in $(seq 150); do
    xt_console_has nfstatic "netfront: vif0: reconnected" && break
    sleep 0.2
done
xt_console_has nfstatic "netfront: vif0: reconnected" ||
    xt_fail "no reconnection (last line: \"$(xt_console_last nfstatic)\"; backend state $(xenstore-read "$be/state"))"
xt_expect_console nfstatic "netfront: vif0: disconnected (backend Closed)"
after=$(grep -c "netfront: vif0: connected" "$(xt_console nfstatic)")
[ "$after" -gt "$before" ] || xt_fail "no second connection logged"
ok=0
for _ in $(seq 10); do
    ping -c 1 -W 2 10.0.0.2 >/dev/null && { ok=1; break; }
done
[ $ok = 1 ] || xt_fail "no answer to ping after the reconnection"
ping -c 3 -i 0.3 -W 3 -s 4000 10.0.0.2 >/dev/null || xt_fail "no answer to fragmented pings after it"
# A second cycle at once: the backoff doubles, the device still comes back.
reconnects=$(grep -c "netfront: vif0: reconnected" "$(xt_console nfstatic)")
xenstore-write "$be/state" 5 || xt_fail "cannot write the backend's state a second time"
for _ in $(seq 150); do
    [ "$(grep -c "netfront: vif0: reconnected" "$(xt_console nfstatic)")" -gt "$reconnects" ] && break
    sleep 0.2
done
[ "$(grep -c "netfront: vif0: reconnected" "$(xt_console nfstatic)")" -gt "$reconnects" ] ||
    xt_fail "no second reconnection (last line: \"$(xt_console_last nfstatic)\")"
xt_expect_console nfstatic "(attempt 2 of 6)"
ok=0
for _ in $(seq 10); do
    ping -c 1 -W 2 10.0.0.2 >/dev/null && { ok=1; break; }
done
[ $ok = 1 ] || xt_fail "no answer to ping after the second reconnection"
! xt_console_has nfstatic "quarantined" || xt_fail "pages quarantined although netback unmapped them"
! xt_console_has nfstatic "broken (rule" || xt_fail "a queue broke: $(grep -m1 'broken (rule' "$(xt_console nfstatic)")"
xt_pass "closed, reconnected and answering (backend $(xenstore-read "$be/state"))"
