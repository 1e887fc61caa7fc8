# Tier 5: real Xen. Each test/xen/<name>.sh runs in dom0 of a Xen 4.17 + Linux test bed booted
# in QEMU (scripts/xen-testbed/, docs/TESTING.md). The guest images a test needs are named on
# its "# images:" line and built here first; a test whose image does not build fails by name.
XEN_TEST_FILES  := $(sort $(wildcard test/xen/*.sh))
XEN_TEST_IMAGES := $(sort $(foreach f,$(XEN_TEST_FILES),\
                     $(shell sed -n 's/^#[[:space:]]*images:[[:space:]]*//p' $(f))))

.PHONY: test-xen xen-shell
test-xen:
	@$(MAKE) --no-print-directory -k $(addprefix build/xen/,$(XEN_TEST_IMAGES)) || \
		echo "test-xen: some guest images did not build; the tests needing them will fail"
	@scripts/xen-testbed/test-xen.sh $(XEN_TEST_ARGS)

# An interactive dom0 in the same test bed, with every built image in /xenolith/images.
xen-shell:
	@scripts/xen-testbed/run.sh --shell $(XEN_TEST_ARGS)

# build/xen/xentest: the in-kernel half of the Xen platform tests (test/xen/guest).
$(eval $(call kernel_image_rule,xentest,$(call module_objs,xen,test/xen/guest)))

# build/xen/blktest: the guest half of the blkfront tests (test/xen/blk).
$(eval $(call kernel_image_rule,blktest,$(call module_objs,xen,test/xen/blk)))
