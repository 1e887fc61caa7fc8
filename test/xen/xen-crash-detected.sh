# xen-crash-detected: proves the test bed fails a crashing guest and says why. The boot-test
# image is told to panic; the domain must end as crashed (SHUTDOWN_crash, kept by
# on_crash="preserve") and its console must show the panic message and the crash report line.
# images: boottest
# timeout: 90
xt_create crasher "kernel = \"$(xt_image boottest)\"" 'extra = "-- panic"'
xt_expect_end crasher crash 60
xt_expect_console crasher "boottest: requested panic"
xt_expect_console crasher "xenolith: shutdown: crash"
xt_pass "crash detected: $(xt_console_last crasher)"
