# Run-config tier: the xl config and the libvirt domain `make run PLATFORM=xen` writes
# (scripts/xen-config.sh) describe the same domain, the libvirt one valid for libvirt's schema
# (virt-xml-validate, libvirt-clients). test/run/xen-config.sh; no root, no Xen.
.PHONY: test-run-config
test-run-config: build/xen/httpd build/xen/hello build/xen/dns build/xen/echo
	@test/run/xen-config.sh
