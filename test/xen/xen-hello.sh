# xen-hello: the hello appliance runs as a PVH domU under real Xen: its greeting reaches the
# PV console ring (read by xenconsoled into the guest's console log) and it ends by itself
# with a clean poweroff after reporting success.
# images: hello
# timeout: 90
xt_create hello "kernel = \"$(xt_image hello)\"" 'extra = "log=debug"'
xt_expect_end hello poweroff 60
xt_expect_console hello "Hello from Xenolith"
xt_expect_console hello "xenolith: shutdown: success"
xt_pass
