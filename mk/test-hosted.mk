# Hosted smoke tier: the real hosted programs as Linux processes (test/hosted/run.sh).
# It runs build/hosted/hello and the test programs built here from test/hosted/<name>.c,
# each linked exactly like an application (platform/hosted objects + module archives):
# build/hosted/test/<name>.
# `make test-hosted-asan` runs the same cases against an optional ASan/UBSan build of the
# hosted platform (build/hosted-asan/...); it is not part of `make test`.
HOSTED_TEST_NAMES := $(basename $(notdir $(wildcard test/hosted/*.c)))

# $(1) flavour directory (hosted, hosted-asan), $(2) its LDFLAGS variable
define hosted_test_rule
build/$(1)/test/%: build/$(1)/obj/test/hosted/%.o $(call module_objs,$(1),platform/hosted) \
		$(call module_archives,$(1),$(PORTABLE_MODULES) $(HOSTED_MODULES))
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  LD [$(1)] $$@")
	$$(Q)$$(CC) $$($(2)) -Wl,--gc-sections -o $$@ $$(filter %.o,$$^) \
		-Wl,--start-group $$(filter %.a,$$^) -Wl,--end-group
endef
$(eval $(call hosted_test_rule,hosted,HOSTED_LDFLAGS))

.PHONY: test-hosted
test-hosted: build/hosted/hello $(addprefix build/hosted/test/,$(HOSTED_TEST_NAMES))
	@test/hosted/run.sh build/hosted

# The optional sanitizer build of the hosted platform.
HOSTED_ASAN_CFLAGS  := $(HOSTED_CFLAGS) $(SAN_FLAGS)
HOSTED_ASAN_LDFLAGS := $(HOSTED_LDFLAGS) $(SAN_FLAGS)
$(eval $(call flavour_rules,hosted-asan,HOSTED_ASAN_CFLAGS,HOSTED_ASFLAGS))
$(foreach m,$(PORTABLE_MODULES) $(HOSTED_MODULES),$(eval $(call archive_rule,hosted-asan,$(m))))
$(eval $(call hosted_test_rule,hosted-asan,HOSTED_ASAN_LDFLAGS))

# Applications link the platform as build/hosted links them (mk/hosted.mk): main.o and an archive.
$(eval $(call archive_rule,hosted-asan,platform/hosted))
define hosted_asan_app_rule
build/hosted-asan/$(1): $(call app_objs,hosted-asan,$(1)) build/hosted-asan/obj/platform/hosted/main.o \
		$(call module_archives,hosted-asan,platform/hosted $(call app_modules,$(1)) $(HOSTED_MODULES))
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  LD [hosted-asan] $$@")
	$$(Q)$$(CC) $$(HOSTED_ASAN_LDFLAGS) -Wl,--gc-sections -o $$@ $$(filter %.o,$$^) \
		-Wl,--start-group $$(filter %.a,$$^) -Wl,--end-group
endef
$(foreach a,$(DEFINED_APPS),$(eval $(call hosted_asan_app_rule,$(a))))

.PHONY: test-hosted-asan
test-hosted-asan: build/hosted-asan/hello $(addprefix build/hosted-asan/test/,$(HOSTED_TEST_NAMES))
	@test/hosted/run.sh build/hosted-asan
