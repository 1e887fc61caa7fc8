# The PVH kernel images: build/xen/<app> for every app, plus build/xen/boottest (test/boot).
# Each image links the arch objects directly, the module archives in one group (so only what
# the app reaches is pulled in) and libgcc, in two passes: the first pass's text symbols
# become the in-image symbol table (scripts/gen-ksyms.sh) that the second pass links after
# text and rodata, and the build fails if any text symbol moved between the passes.
# Debug info stays out of the image: build/xen/<app>.debug holds it for symbolizing.
$(eval $(call flavour_rules,xen,KERNEL_CFLAGS,KERNEL_ASFLAGS))
$(foreach m,$(PORTABLE_MODULES) $(KERNEL_MODULES),$(eval $(call archive_rule,xen,$(m))))

KERNEL_LDS       := arch/x86_64/kernel.ld
KERNEL_ARCH_OBJS := $(call module_objs,xen,arch/x86_64)
KERNEL_ARCHIVES  := $(call module_archives,xen,$(PORTABLE_MODULES) $(KERNEL_MODULES))
KERNEL_LIBGCC    := $(shell $(CC) -print-libgcc-file-name)
KERNEL_LDFLAGS   := -nostdlib -static -T $(KERNEL_LDS) --gc-sections -z max-page-size=4096 \
                    -z noexecstack --build-id=none
GEN_KSYMS        := scripts/gen-ksyms.sh

build/xen/link/ksyms-empty.S: $(GEN_KSYMS)
	$(Q)mkdir -p $(@D)
	$(Q)NM=$(NM) $(GEN_KSYMS) > $@
build/xen/link/%.o: build/xen/link/%.S
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $< -o $@

# $(1) image name, $(2) the image's own objects (its app_main)
define kernel_image_rule
build/xen/$(1): $(2) $$(KERNEL_ARCH_OBJS) $$(KERNEL_ARCHIVES) $$(KERNEL_LDS) \
		build/xen/link/ksyms-empty.o $$(GEN_KSYMS) mk/kernel.mk
	$$(Q)mkdir -p build/xen/link
	$$(if $$(Q),@echo "  LD [xen] $$@")
	$$(Q)$$(LD) $$(KERNEL_LDFLAGS) -o build/xen/link/$(1).pass1 $(2) $$(KERNEL_ARCH_OBJS) \
		build/xen/link/ksyms-empty.o --start-group $$(KERNEL_ARCHIVES) --end-group $$(KERNEL_LIBGCC)
	$$(Q)NM=$$(NM) $$(GEN_KSYMS) build/xen/link/$(1).pass1 > build/xen/link/$(1).ksyms.S
	$$(Q)$$(CC) $$(KERNEL_ASFLAGS) -c build/xen/link/$(1).ksyms.S -o build/xen/link/$(1).ksyms.o
	$$(Q)$$(LD) $$(KERNEL_LDFLAGS) -o build/xen/link/$(1).full $(2) $$(KERNEL_ARCH_OBJS) \
		build/xen/link/$(1).ksyms.o --start-group $$(KERNEL_ARCHIVES) --end-group $$(KERNEL_LIBGCC)
	$$(Q)NM=$$(NM) $$(GEN_KSYMS) --text-symbols build/xen/link/$(1).pass1 > build/xen/link/$(1).text1
	$$(Q)NM=$$(NM) $$(GEN_KSYMS) --text-symbols build/xen/link/$(1).full > build/xen/link/$(1).text2
	$$(Q)cmp -s build/xen/link/$(1).text1 build/xen/link/$(1).text2 || \
		{ echo "$$@: text symbols moved between link passes (see build/xen/link/$(1).text*)" >&2; exit 1; }
	$$(Q)$$(OBJCOPY) --only-keep-debug build/xen/link/$(1).full $$@.debug
	$$(Q)$$(OBJCOPY) --strip-all build/xen/link/$(1).full $$@
endef

$(foreach a,$(ALL_APPS),$(eval $(call kernel_image_rule,$(a),$(call module_objs,xen,app/$(a)))))
$(eval $(call kernel_image_rule,boottest,$(call module_objs,xen,test/boot)))
