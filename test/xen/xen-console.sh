# xen-console: the PV console both ways. Boot lines reach xenconsoled's log through the ring
# (including Xen's version and how early output left the guest: Debian's Xen refuses
# CONSOLEIO_write to a domU, which the guest must detect), and a line written to the
# console's pty in dom0 arrives in the guest through the "in" ring and its event channel.
# images: xentest
# timeout: 90
xt_create xcons "kernel = \"$(xt_image xentest)\"" 'extra = "log=info -- console"'
id=$(xl domid xcons)
for _ in $(seq 150); do
    xt_console_has xcons "xentest: console: type a line" && break
    sleep 0.2
done
xt_console_has xcons "xentest: console: type a line" || xt_fail "the guest never prompted"
tty=$(xenstore-read "/local/domain/$id/console/tty")
[ -n "$tty" ] || xt_fail "no console/tty for domain $id"
printf 'ping from dom0\n' >"$tty"
xt_expect_end xcons poweroff 60
xt_expect_console xcons "xenolith: Xen 4."
xt_expect_console xcons "CONSOLEIO_write"
xt_expect_console xcons 'xentest: console input: "ping from dom0"'
xt_expect_console xcons "xentest: 1 passed, 0 failed"
xt_expect_console xcons "xenolith: shutdown: success"
xt_pass "$(grep -m1 'CONSOLEIO_write' "$(xt_console xcons)" | sed 's/^xenolith: //')"
