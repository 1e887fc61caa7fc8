# What each library holds. A module is a directory; its library is every .c/.S file in it.
# Portable modules are built for every platform (and for the unit tests and fuzzers);
# the others belong to one platform. Apps link against archives, so an image only
# carries the objects its application reaches, and --gc-sections trims what is left.
PORTABLE_MODULES := lib kernel mm sched blk net net/wire net/link net/ip net/udp net/tcp net/dhcp net/dev http dns
KERNEL_MODULES   := lib/libc xen
HOSTED_MODULES   :=

# What an application links (mk/app.mk): the base modules always, plus the libraries its app.mk
# names in APP_LIBS, each a set of modules. The platform's own (KERNEL_MODULES, HOSTED_MODULES
# and the platform objects) come with every image.
BASE_MODULES     := lib kernel mm sched
LIB_MODULES_net  := net net/wire net/link net/ip net/udp net/tcp net/dhcp net/dev
LIB_MODULES_http := http
LIB_MODULES_blk  := blk
LIB_MODULES_dns  := dns
APP_LIB_NAMES    := net http blk dns

module_srcs = $(sort $(wildcard $(1)/*.c $(1)/*.S))
module_lib  = $(subst /,_,$(1))

# Object and archive rules, instantiated once per build flavour.
#   $(1) flavour directory under build/ (xen, hosted, test)
#   $(2) compiler flags variable name, $(3) assembler flags variable name
define flavour_rules
build/$(1)/obj/%.o: %.c mk/config.mk | $(if $(filter xen,$(1)),build/xen/include/xen)
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  CC [$(1)] $$<")
	$$(Q)$$(CC) $$($(2)) -c $$< -o $$@
build/$(1)/obj/%.o: %.S mk/config.mk | $(if $(filter xen,$(1)),build/xen/include/xen)
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  AS [$(1)] $$<")
	$$(Q)$$(CC) $$($(3)) -c $$< -o $$@
endef

# $(1) flavour, $(2) module directory
module_objs = $(patsubst %,build/$(1)/obj/%.o,$(basename $(call module_srcs,$(2))))
define archive_rule
build/$(1)/lib$(call module_lib,$(2)).a: $(call module_objs,$(1),$(2))
	$$(Q)mkdir -p $$(@D)
	$$(Q)rm -f $$@ && $$(AR) rcsD $$@ $$^
endef
# The archive paths of a list of modules, for one flavour.
module_archives = $(foreach m,$(2),build/$(1)/lib$(call module_lib,$(m)).a)

# The Xen public headers come from libxen-dev; the kernel sees only them, never /usr/include.
build/xen/include/xen:
	$(Q)mkdir -p $(@D)
	$(Q)ln -sfn /usr/include/xen $@

# Dependency files; an application's own are read by mk/app.mk (its directory may move).
-include $(shell find build -name '*.d' -type f -not -path 'build/*/app/*' 2>/dev/null)
