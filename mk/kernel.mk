# The PVH kernel images: build/xen/<app> for every app, plus build/xen/boottest (test/boot).
# Each image links the PVH entry and the arch objects directly, the platform and module
# archives in one group (so only what the app reaches is pulled in) and libgcc, in two
# passes: the first pass's text symbols become the in-image symbol table
# (scripts/gen-ksyms.sh) that the second pass links after text and rodata, and the build
# fails if any text symbol moved between the passes.
# Objects hold GIMPLE (-flto, mk/config.mk): each pass links through gcc, which optimizes the
# whole image at once, so a text symbol's place is fixed only by the link; the comparison of
# the passes' text symbols is what guarantees the table describes the final image.
# Debug info stays out of the image: build/xen/<app>.debug holds it for symbolizing, and the
# sections (the image itself has only program headers).
$(eval $(call flavour_rules,xen,KERNEL_CFLAGS,KERNEL_ASFLAGS))
$(foreach m,$(PORTABLE_MODULES) $(KERNEL_MODULES),$(eval $(call archive_rule,xen,$(m))))

# The PVH platform is an archive like the modules (its entry is linked directly), so an image
# carries a device seam (platform/pvh/devices.c, and with it a Xen driver) only if it opens a
# device; arch/x86_64's CPU mechanisms are linked directly.
$(eval $(call archive_rule,xen,platform/pvh))
KERNEL_LDS       := platform/pvh/kernel.ld
KERNEL_ARCH_OBJS := build/xen/obj/platform/pvh/entry.o $(call module_objs,xen,arch/x86_64)
KERNEL_ARCHIVES  := $(call module_archives,xen,platform/pvh $(PORTABLE_MODULES) $(KERNEL_MODULES))
KERNEL_LIBGCC    := $(shell $(CC) -print-libgcc-file-name)
# Linked through gcc: link-time optimization (one partition: smallest and deterministic) sees
# the whole image. -n packs the segments in the file without page padding (the PVH loaders copy
# each PT_LOAD by its offset; addresses stay 4 KiB aligned for paging.c).
KERNEL_LDFLAGS   := $(KERNEL_CODEGEN) -g $(WARN) -ffunction-sections -fdata-sections \
                    -ffile-prefix-map=$(CURDIR)=. -flto-partition=one -nostdlib -static -no-pie \
                    -Wl,-T,$(KERNEL_LDS) -Wl,--gc-sections -Wl,-n -Wl,-z,noexecstack -Wl,--build-id=none
# Per-byte loops keep -O2 (memcpy/memset and the Internet checksum run over every payload byte;
# -Os costs them more than the ~0.5 KB it saves). Measured with a hosted bulk TCP transfer.
KERNEL_HOT_SRCS  := lib/checksum.c lib/libc/string.c
$(patsubst %.c,build/xen/obj/%.o,$(KERNEL_HOT_SRCS)): KERNEL_CFLAGS += -O2
$(patsubst %.c,build/xen/obj/%.o,$(KERNEL_HOT_SRCS)): mk/kernel.mk
GEN_KSYMS        := scripts/gen-ksyms.sh
# The image leaves out its section headers (nothing that loads it reads them; about 570 bytes):
# size -A, nm and the symbolizer read build/xen/<app>.debug, which keeps them.
DROP_SECTION_HEADERS := scripts/drop-section-headers.sh

build/xen/link/ksyms-empty.S: $(GEN_KSYMS)
	$(Q)mkdir -p $(@D)
	$(Q)NM=$(NM) $(GEN_KSYMS) > $@
build/xen/link/%.o: build/xen/link/%.S
	$(Q)$(CC) $(KERNEL_ASFLAGS) -c $< -o $@

# $(1) image name, $(2) the image's own objects (its app_main), $(3) the archives it links
# (every module's when empty; an application's are its app.mk's choice, mk/app.mk)
define kernel_image_rule
build/xen/$(1): $(2) $$(KERNEL_ARCH_OBJS) $(or $(3),$$(KERNEL_ARCHIVES)) $$(KERNEL_LDS) \
		build/xen/link/ksyms-empty.o $$(GEN_KSYMS) $$(DROP_SECTION_HEADERS) mk/kernel.mk
	$$(Q)mkdir -p build/xen/link
	$$(if $$(Q),@echo "  LD [xen] $$@")
	$$(Q)$$(CC) $$(KERNEL_LDFLAGS) -o build/xen/link/$(1).pass1 $(2) $$(KERNEL_ARCH_OBJS) \
		build/xen/link/ksyms-empty.o -Wl,--start-group $(or $(3),$$(KERNEL_ARCHIVES)) -Wl,--end-group $$(KERNEL_LIBGCC)
	$$(Q)NM=$$(NM) $$(GEN_KSYMS) build/xen/link/$(1).pass1 > build/xen/link/$(1).ksyms.S
	$$(Q)$$(CC) $$(KERNEL_ASFLAGS) -c build/xen/link/$(1).ksyms.S -o build/xen/link/$(1).ksyms.o
	$$(Q)$$(CC) $$(KERNEL_LDFLAGS) -o build/xen/link/$(1).full $(2) $$(KERNEL_ARCH_OBJS) \
		build/xen/link/$(1).ksyms.o -Wl,--start-group $(or $(3),$$(KERNEL_ARCHIVES)) -Wl,--end-group $$(KERNEL_LIBGCC)
	$$(Q)NM=$$(NM) $$(GEN_KSYMS) --text-symbols build/xen/link/$(1).pass1 > build/xen/link/$(1).text1
	$$(Q)NM=$$(NM) $$(GEN_KSYMS) --text-symbols build/xen/link/$(1).full > build/xen/link/$(1).text2
	$$(Q)cmp -s build/xen/link/$(1).text1 build/xen/link/$(1).text2 || \
		{ echo "$$@: text symbols moved between link passes (see build/xen/link/$(1).text*)" >&2; exit 1; }
	$$(Q)$$(OBJCOPY) --only-keep-debug build/xen/link/$(1).full $$@.debug
	$$(Q)$$(OBJCOPY) --strip-all build/xen/link/$(1).full build/xen/link/$(1).stripped
	$$(Q)$$(DROP_SECTION_HEADERS) build/xen/link/$(1).stripped $$@
endef

$(foreach a,$(DEFINED_APPS),$(eval $(call kernel_image_rule,$(a),$(call app_objs,xen,$(a)),\
    $(call module_archives,xen,platform/pvh $(call app_modules,$(a)) $(KERNEL_MODULES)))))
$(eval $(call kernel_image_rule,boottest,$(call module_objs,xen,test/boot)))
