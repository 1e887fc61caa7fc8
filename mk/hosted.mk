# The hosted platform: every app as a Linux executable (build/hosted/<app>).
HOSTED_ASFLAGS := -DXENOLITH_HOSTED -D__ASSEMBLY__ -iquote . -MMD -MP -g
# -rdynamic: crash backtraces name functions through dladdr (platform/hosted/crash.c).
HOSTED_LDFLAGS += -rdynamic
$(eval $(call flavour_rules,hosted,HOSTED_CFLAGS,HOSTED_ASFLAGS))
$(foreach m,$(PORTABLE_MODULES) $(HOSTED_MODULES),$(eval $(call archive_rule,hosted,$(m))))

HOSTED_ARCH_OBJS := $(call module_objs,hosted,platform/hosted)
HOSTED_ARCHIVES  := $(call module_archives,hosted,$(PORTABLE_MODULES) $(HOSTED_MODULES))

define hosted_app_rule
build/hosted/$(1): $(call module_objs,hosted,app/$(1)) $(HOSTED_ARCH_OBJS) $(HOSTED_ARCHIVES)
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  LD [hosted] $$@")
	$$(Q)$$(CC) $$(HOSTED_LDFLAGS) -Wl,--gc-sections -o $$@ $$(filter %.o,$$^) \
		-Wl,--start-group $$(filter %.a,$$^) -Wl,--end-group
endef
$(foreach a,$(ALL_APPS),$(eval $(call hosted_app_rule,$(a))))
