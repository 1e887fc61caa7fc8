# The hosted platform: every app as a Linux executable (build/hosted/<app>).
HOSTED_ASFLAGS := -DXENOLITH_HOSTED -D__ASSEMBLY__ -iquote . -MMD -MP -g
# -rdynamic: crash backtraces name functions through dladdr (platform/hosted/crash.c).
HOSTED_LDFLAGS += -rdynamic
$(eval $(call flavour_rules,hosted,HOSTED_CFLAGS,HOSTED_ASFLAGS))
$(foreach m,$(PORTABLE_MODULES) $(HOSTED_MODULES),$(eval $(call archive_rule,hosted,$(m))))

HOSTED_ARCHIVES  := $(call module_archives,hosted,$(PORTABLE_MODULES) $(HOSTED_MODULES))

# An application links the platform's entry (main.o) and the rest of the platform as an archive,
# so the TAP and disk back-ends (and the net/dev and blk code they need) come in only when the
# application opens a device: hello links no network code.
HOSTED_PLATFORM_MAIN    := build/hosted/obj/platform/hosted/main.o
HOSTED_PLATFORM_ARCHIVE := $(call module_archives,hosted,platform/hosted)
$(eval $(call archive_rule,hosted,platform/hosted))

# $(1) application (mk/app.mk): its objects, the platform, and the archives of its modules only.
define hosted_app_rule
build/hosted/$(1): $(call app_objs,hosted,$(1)) $(HOSTED_PLATFORM_MAIN) $(HOSTED_PLATFORM_ARCHIVE) \
		$(call module_archives,hosted,$(call app_modules,$(1)) $(HOSTED_MODULES))
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  LD [hosted] $$@")
	$$(Q)$$(CC) $$(HOSTED_LDFLAGS) -Wl,--gc-sections -o $$@ $$(filter %.o,$$^) \
		-Wl,--start-group $$(filter %.a,$$^) -Wl,--end-group
endef
$(foreach a,$(DEFINED_APPS),$(eval $(call hosted_app_rule,$(a))))
