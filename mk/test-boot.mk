# Tier 4, boot tests: the real PVH images boot under QEMU (TCG) with the in-kernel tests of
# test/boot; pass/fail comes from QEMU's exit status (isa-debug-exit). See test/boot/run.sh.
# It also checks the image budgets (hello, httpd, dns), hence httpd and dns here.
.PHONY: test-boot
test-boot: build/xen/boottest build/xen/hello build/xen/httpd build/xen/dns
	@test/boot/run.sh
