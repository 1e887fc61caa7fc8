# xen-crash-detected: proves the test bed fails a crashing guest and says why. The boot-test
# image is told to panic; the domain must end as crashed (SHUTDOWN_crash, kept by
# on_crash="preserve"), its console must show the panic and the crash report line, and the
# verdict the helpers give a test that expected a clean poweroff from it must be a FAIL that
# names the crash and the panic message.
# images: boottest
# timeout: 90
xt_create crasher "kernel = \"$(xt_image boottest)\"" 'extra = "-- panic"'
xt_expect_end crasher crash 60
xt_expect_console crasher "boottest: requested panic"
xt_expect_console crasher "xenolith: shutdown: crash"

# The harness's own verdict, as a test expecting poweroff (xen-hello's check) would get it.
inner=$XT_TEST.expect-poweroff
(XT_TEST=$inner; xt_expect_end crasher poweroff 10) >/dev/null 2>&1
verdict=$(cat "$XT_OUT/tests/$inner.verdict" 2>/dev/null)
rm -f "$XT_OUT/tests/$inner.verdict"
echo "xt: verdict for a test expecting poweroff: $verdict"
case "$verdict" in
    "FAIL $inner: "*"crashed (SHUTDOWN_crash)"*"boottest: requested panic"*) ;;
    *) xt_fail "the harness did not fail a crashed guest with its reason (got: \"$verdict\")" ;;
esac
xt_pass "$(xt_describe_end); console: $(xt_console_reason crasher)"
