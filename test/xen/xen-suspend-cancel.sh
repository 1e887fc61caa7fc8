# xen-suspend-cancel: a suspend that the toolstack cancels. `xl save -c` (a checkpoint) writes
# "suspend" to control/shutdown, waits for the echo appliance to suspend itself
# (SCHEDOP_shutdown with SHUTDOWN_suspend), saves it and resumes it where it is through
# xc_domain_resume's fast path, which makes the guest's hypercall return 1: a cancelled suspend,
# the same domain with the same backends. The guest must carry on: it announces
# control/feature-suspend, logs the cancelled suspend, its uptime did not go backwards, a TCP
# connection opened before the checkpoint carries 512 KB checked end to end afterwards, ping
# answers, and `xl shutdown` still ends it cleanly.
# images: echo
# timeout: 240
xt_suspend_echo_start scancel 31
id=$(xl domid scancel)
[ "$(xenstore-read "/local/domain/$id/control/feature-suspend" 2>/dev/null)" = 1 ] ||
    xt_fail "control/feature-suspend is not 1"
rm -f /tmp/scancel.save
xl save -c scancel /tmp/scancel.save || xt_fail "xl save -c failed"
rm -f /tmp/scancel.save
xt_wait_console scancel "suspend cancelled; uptime" 30
[ "$(xl domid scancel 2>/dev/null)" = "$id" ] || xt_fail "the domain did not stay domain $id"
ping -c 3 -i 0.3 -W 3 10.0.0.31 >/dev/null || xt_fail "no answer to ping after the checkpoint"
xt_tcp_stream_finish
uptimes=$(xt_uptime_continues scancel)
xl shutdown scancel || xt_fail "xl shutdown failed"
xt_expect_poweroff_after_suspend scancel
xt_expect_console scancel "xenolith: shutdown: success"
xt_pass "$XT_STREAM; uptime ${uptimes% *} ms at the suspend, ${uptimes#* } ms after"
