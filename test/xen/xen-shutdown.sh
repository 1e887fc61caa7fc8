# xen-shutdown: the toolstack's lifecycle commands. Three guests wait after booting: `xl
# shutdown` must end the first with SHUTDOWN_poweroff after its shutdown hook ran, `xl reboot`
# the second with SHUTDOWN_reboot, and `xl destroy` must remove the third. The guests announce
# control/feature-poweroff and feature-reboot.
# images: xentest
# timeout: 120
for d in xoff xreboot xkill; do
    xt_create $d "kernel = \"$(xt_image xentest)\"" 'extra = "-- wait"'
done
for d in xoff xreboot xkill; do
    for _ in $(seq 150); do
        xt_console_has $d "xentest: waiting for the toolstack" && break
        sleep 0.2
    done
    xt_console_has $d "xentest: waiting for the toolstack" || xt_fail "$d never got ready"
done
id=$(xl domid xoff)
for _ in $(seq 50); do
    [ "$(xenstore-read "/local/domain/$id/control/feature-reboot" 2>/dev/null)" = 1 ] && break
    sleep 0.1
done
for f in feature-poweroff feature-reboot; do
    [ "$(xenstore-read "/local/domain/$id/control/$f" 2>/dev/null)" = 1 ] ||
        xt_fail "control/$f is not 1"
done
xl shutdown xoff || xt_fail "xl shutdown failed"
xl reboot xreboot || xt_fail "xl reboot failed"
xl destroy xkill || xt_fail "xl destroy failed"
xt_expect_end xoff poweroff 30
xt_expect_console xoff "the toolstack asks for poweroff"
xt_expect_console xoff "xentest: shutdown hook ran"
xt_expect_console xoff "xenolith: shutdown: success"
xt_expect_end xreboot reboot 30
xt_expect_console xreboot "the toolstack asks for reboot"
xt_expect_console xreboot "xenolith: shutdown: reboot"
xt_expect_end xkill gone 10
xt_pass "poweroff, reboot and destroy as asked"
