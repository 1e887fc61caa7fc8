# Applications: what an application is to the build, wherever its directory lives.
#
# An application is a directory holding its C sources and an app.mk:
#     NAME     := demo          # optional; the directory's name by default
#     APP_LIBS := net http blk  # the libraries it links, beyond the base (see LIB_MODULES_*)
#     APP_NET_WITHOUT := dhcp   # optional network features its image leaves out (see below)
#     APP_XEN_WITHOUT := suspend  # optional parts of the Xen drivers its xen image leaves out
# The in-tree applications are app/<name>/ (every app/*/app.mk). One more may live anywhere:
# `make APP_DIR=/path/to/myapp` builds build/xen/<name> and build/hosted/<name> from it.
#
# Its sources are the directory's *.c and *.S files, except test_*.c (unit tests, `make app-unit`)
# and fuzz_*.c (fuzz harnesses, `make app-fuzz`). They are compiled with an include path that
# reaches only the public API (build/sdk/include: "xenolith/x.h" and "lib/x.h", see below) and
# gcc's freestanding headers (<stdint.h>, <stddef.h>, <stdbool.h>, <stdarg.h>): an internal
# header ("net/stack.h") or a host C library header (<stdio.h>) is a compile error, on every
# platform alike. A header of the application's own sits beside its sources and is included as
# "name.h" (the including file's directory is searched first).

# ---- the public include path ----
# build/sdk/include holds only symbolic links to the two public folders, so the application's
# -iquote reaches them and nothing else of the repository.
SDK_INCLUDE := build/sdk/include
SDK_LINKS   := $(SDK_INCLUDE)/xenolith $(SDK_INCLUDE)/lib
$(SDK_INCLUDE)/xenolith $(SDK_INCLUDE)/lib:
	$(Q)mkdir -p $(@D)
	$(Q)ln -sfn ../../../$(if $(filter %/lib,$@),lib,include/xenolith) $@

# What every application object is compiled with, on top of its flavour's code generation:
# no system include directory but gcc's own freestanding headers, no -iquote of the repository.
APP_INCLUDES := -nostdinc -isystem $(GCC_INCLUDE) -ffreestanding -D_LIBC_LIMITS_H_ -iquote $(SDK_INCLUDE)
APP_COMMON   := -std=gnu11 -g $(WARN) -MMD -MP -ffile-prefix-map=$(CURDIR)=. -fno-common \
                -ffunction-sections -fdata-sections $(APP_INCLUDES)
# Per flavour: the compiler and its flags. The hosted program is optimized like the rest of the
# hosted build; the kernel image like the kernel (size, LTO); test and fuzz as their tiers.
# -ffreestanding (for gcc's own <stdint.h>) also turns off the builtins (memcpy of 4 bytes
# becoming a load); the Linux flavours turn them back on, as the rest of their code has them.
APP_CC_xen            = $(CC)
APP_CFLAGS_xen        = $(APP_COMMON) $(KERNEL_CODEGEN) -frandom-seed=$@ -DXENOLITH_KERNEL
APP_CC_hosted         = $(CC)
APP_CFLAGS_hosted     = $(APP_COMMON) -fbuiltin -O2 -DXENOLITH_HOSTED -fno-omit-frame-pointer
APP_CC_hosted-asan    = $(CC)
APP_CFLAGS_hosted-asan = $(APP_CFLAGS_hosted) $(SAN_FLAGS)
APP_CC_test           = $(CC)
APP_CFLAGS_test       = $(APP_COMMON) -fbuiltin -O1 -DXENOLITH_HOSTED -DXENOLITH_TEST -fno-omit-frame-pointer $(SAN_FLAGS)
APP_CC_fuzz           = $(FUZZ_CC)
APP_CFLAGS_fuzz       = $(APP_COMMON) -fbuiltin -O1 -DXENOLITH_HOSTED -DXENOLITH_TEST -DXENOLITH_FUZZ \
                        -fno-omit-frame-pointer $(FUZZ_SAN) -fsanitize=fuzzer-no-link
# Assembly (*.S) goes through the preprocessor with the same include path.
APP_ASCOMMON          = -D__ASSEMBLY__ -MMD -MP -g $(APP_INCLUDES)
APP_ASFLAGS_xen       = $(APP_ASCOMMON) -DXENOLITH_KERNEL
APP_ASFLAGS_hosted    = $(APP_ASCOMMON) -DXENOLITH_HOSTED
APP_ASFLAGS_hosted-asan = $(APP_ASFLAGS_hosted)
APP_ASFLAGS_test      = $(APP_ASFLAGS_hosted)
APP_ASFLAGS_fuzz      = $(APP_ASFLAGS_hosted)

# ---- network features ----
# An application that links net may leave optional features out of its image: APP_NET_WITHOUT
# names them (net/wire/features.h; each one's fallback in docs/TCP.md). Its image then links its
# own copy of net/wire/features.c compiled with NET_FEATURES_LEFT_OUT, a constant that
# link-time optimization folds, so the code behind those features is not in the image; the
# hosted program tests the same constant at run time. Nothing named: every feature.
APP_NET_FEATURE_NAMES := dhcp cubic rack syncookies tso pmtu reassembly sack timestamps wscale ooo icmp_errors keepalive rx_by_reference
# $(1) application: the -D that sets its left-out mask (NET_FEATURE_<NAME> of each name).
app_net_define = $(call left_out_define,NET_FEATURES_LEFT_OUT,NET_FEATURE_,$(app_net_without_$(1)))
# $(1) macro, $(2) enum prefix, $(3) app.mk names: -D'MACRO=(0u|PREFIX_NAME|...)', the mask of
# what an image leaves out (shared by network features and Xen driver parts).
left_out_define = -D'$(1)=(0u$(foreach f,$(3),|$(2)$(call upper_case,$(f))))'
upper_case = $(shell printf '%s' '$(1)' | tr a-z A-Z)
# The flavour's module compiler and flags (features.c is stack code, not application code).
NET_FEATURES_CC_xen         = $(CC) $(KERNEL_CFLAGS)
NET_FEATURES_CC_hosted      = $(CC) $(HOSTED_CFLAGS)
NET_FEATURES_CC_hosted-asan = $(CC) $(HOSTED_CFLAGS) $(SAN_FLAGS)
NET_FEATURES_CC_test        = $(CC) $(TEST_CFLAGS)
NET_FEATURES_CC_fuzz        = $(FUZZ_CC) $(FUZZ_CFLAGS)

# ---- optional parts of the Xen drivers ----
# APP_XEN_WITHOUT names parts of the Xen drivers a lean appliance does without (xen/optional.h;
# docs/APPLICATIONS.md): its xen image links its own copy of xen/optional.c compiled with
# XEN_OPTIONALS_LEFT_OUT, a constant link-time optimization folds. Only the xen image has Xen
# drivers; the hosted program is unaffected. Nothing named: every part.
APP_XEN_OPTIONAL_NAMES := suspend netfront_offload blkfront_write
app_xen_define = $(call left_out_define,XEN_OPTIONALS_LEFT_OUT,XEN_OPTIONAL_,$(app_xen_without_$(1)))

# ---- reading an application's app.mk ----
APP_NAME_RESERVED := boottest xentest blktest
# $(1) directory (absolute for APP_DIR, app/<x> in the tree). Defines app_dir_<name>,
# app_libs_<name>, app_srcs_<name> and appends <name> to DEFINED_APPS; leaves the name in APP_LOADED.
define load_app
NAME :=
APP_LIBS :=
APP_NET_WITHOUT :=
APP_XEN_WITHOUT :=
include $(1)/app.mk
APP_LOADED := $$(strip $$(if $$(strip $$(NAME)),$$(NAME),$$(notdir $(1))))
ifneq ($$(words $$(APP_LOADED)),1)
$$(error $(1)/app.mk: NAME must be one word)
endif
ifneq ($$(shell printf '%s' '$$(APP_LOADED)' | tr -d 'A-Za-z0-9_-'),)
$$(error $(1): the application name '$$(APP_LOADED)' may hold only letters, digits, '_' and '-' (set NAME in app.mk))
endif
ifneq ($$(filter $$(APP_LOADED),$$(APP_NAME_RESERVED)),)
$$(error $(1): '$$(APP_LOADED)' is the name of a test image; choose another NAME in app.mk)
endif
ifneq ($$(app_dir_$$(APP_LOADED)),)
$$(error $(1): the name '$$(APP_LOADED)' is already taken by $$(app_dir_$$(APP_LOADED)); set NAME in $(1)/app.mk)
endif
ifneq ($$(filter-out $$(APP_LIB_NAMES),$$(APP_LIBS)),)
$$(error $(1)/app.mk: APP_LIBS names unknown libraries '$$(filter-out $$(APP_LIB_NAMES),$$(APP_LIBS))' (known: $$(APP_LIB_NAMES)))
endif
ifneq ($$(filter-out $$(APP_NET_FEATURE_NAMES),$$(APP_NET_WITHOUT)),)
$$(error $(1)/app.mk: APP_NET_WITHOUT names unknown network features '$$(filter-out $$(APP_NET_FEATURE_NAMES),$$(APP_NET_WITHOUT))' (known: $$(APP_NET_FEATURE_NAMES)))
endif
ifneq ($$(strip $$(APP_NET_WITHOUT)),)
ifeq ($$(filter net,$$(APP_LIBS)),)
$$(error $(1)/app.mk: APP_NET_WITHOUT needs net in APP_LIBS (an image without the network has no network features))
endif
endif
ifneq ($$(filter-out $$(APP_XEN_OPTIONAL_NAMES),$$(APP_XEN_WITHOUT)),)
$$(error $(1)/app.mk: APP_XEN_WITHOUT names unknown Xen driver parts '$$(filter-out $$(APP_XEN_OPTIONAL_NAMES),$$(APP_XEN_WITHOUT))' (known: $$(APP_XEN_OPTIONAL_NAMES)))
endif
app_xen_without_$$(APP_LOADED) := $$(sort $$(APP_XEN_WITHOUT))
app_dir_$$(APP_LOADED)  := $(1)
app_libs_$$(APP_LOADED) := $$(sort $$(APP_LIBS))
app_net_without_$$(APP_LOADED) := $$(sort $$(APP_NET_WITHOUT))
app_srcs_$$(APP_LOADED) := $$(filter-out $(1)/test_%.c $(1)/fuzz_%.c,$$(sort $$(wildcard $(1)/*.c $(1)/*.S)))
ifeq ($$(app_srcs_$$(APP_LOADED)),)
$$(error $(1): no .c source files (an application defines int app_main(int argc, char **argv)))
endif
DEFINED_APPS += $$(APP_LOADED)
endef

DEFINED_APPS :=
ALL_APPS_DIRS := $(patsubst %/app.mk,%,$(sort $(wildcard app/*/app.mk)))
$(foreach d,$(ALL_APPS_DIRS),$(eval $(call load_app,$(d))))
# The in-tree applications (make with neither APP nor APP_DIR builds them all).
ALL_APPS := $(DEFINED_APPS)

# One application from outside the tree (or app/<x> named by its path: the same application).
ifneq ($(strip $(APP_DIR)),)
APP_DIR_ABS := $(abspath $(patsubst ~/%,$(HOME)/%,$(APP_DIR)))
ifeq ($(wildcard $(APP_DIR_ABS)/app.mk),)
$(error APP_DIR=$(APP_DIR): no app.mk there (scripts/new-app.sh NAME DIR writes a skeleton; docs/APPLICATIONS.md))
endif
ifneq ($(words $(APP_DIR_ABS)),1)
$(error APP_DIR=$(APP_DIR): the path may not contain spaces)
endif
APP_DIR_INTREE := $(filter $(patsubst $(CURDIR)/%,%,$(APP_DIR_ABS)),$(ALL_APPS_DIRS))
ifneq ($(APP_DIR_INTREE),)
APP_DIR_NAME := $(notdir $(APP_DIR_INTREE))
else
$(eval $(call load_app,$(APP_DIR_ABS)))
APP_DIR_NAME := $(APP_LOADED)
endif
endif

# What `make` builds: APP_DIR's application, or APP=<name>, or every in-tree one.
ifneq ($(APP),)
ifeq ($(filter $(APP),$(DEFINED_APPS)),)
$(error APP=$(APP) is not an application; choose one of: $(DEFINED_APPS))
endif
endif
APPS := $(or $(APP_DIR_NAME),$(APP),$(ALL_APPS))

# ---- objects, archives, images ----
# $(1) flavour, $(2) application: its object files, build/<flavour>/app/<name>/<file>.o.
# An application that links net also has its net_features (net/wire/features.c, compiled for it:
# a dot file, which no source of its directory can be).
app_objs = $(patsubst $(app_dir_$(2))/%,build/$(1)/app/$(2)/%.o,$(basename $(app_srcs_$(2)))) \
           $(if $(filter net,$(app_libs_$(2))),build/$(1)/app/$(2)/.net-features.o) \
           $(if $(filter xen,$(1)),build/xen/app/$(2)/.xen-optional.o)
# $(1) application: the modules it links (base + the libraries of its app.mk), in the order of
# PORTABLE_MODULES (the link order, which places code in the image).
app_modules = $(filter $(BASE_MODULES) $(foreach l,$(app_libs_$(1)),$(LIB_MODULES_$(l))),$(PORTABLE_MODULES))

# An application's objects live under build/<flavour>/app/<name>/ whatever its directory, so
# when the directory of a name changes (another APP_DIR, a new skeleton in a new place), its
# objects and dependency files are of the old sources: they are removed before anything is read.
# build/app-dirs/<name> remembers the directory they were built from.
APP_FLAVOURS := xen hosted hosted-asan test fuzz
define app_deps
ifneq ($$(shell cat build/app-dirs/$(1) 2>/dev/null),$(app_dir_$(1)))
$$(shell rm -rf $(foreach f,$(APP_FLAVOURS),build/$(f)/app/$(1)) && mkdir -p build/app-dirs && \
    printf '%s' '$(app_dir_$(1))' > build/app-dirs/$(1))
endif
-include $$(wildcard $(foreach f,$(APP_FLAVOURS),build/$(f)/app/$(1)/*.d))
endef
$(foreach a,$(DEFINED_APPS),$(eval $(call app_deps,$(a))))

# $(1) flavour, $(2) application: compile rules for its sources.
define app_compile_rules
build/$(1)/app/$(2)/%.o: $(app_dir_$(2))/%.c $(app_dir_$(2))/app.mk mk/app.mk mk/config.mk | $(SDK_LINKS)
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  CC [$(1)] $(2)/$$*.c")
	$$(Q)$$(APP_CC_$(1)) $$(APP_CFLAGS_$(1)) -c $$< -o $$@ || \
		{ echo "$$<: note: if a header was not found: an application includes only \"xenolith/<x>.h\", \"lib/<x>.h\", its own headers and <stdint.h>, <stddef.h>, <stdbool.h>, <stdarg.h> (docs/APPLICATIONS.md)" >&2; exit 1; }
build/$(1)/app/$(2)/%.o: $(app_dir_$(2))/%.S $(app_dir_$(2))/app.mk mk/app.mk mk/config.mk | $(SDK_LINKS)
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  AS [$(1)] $(2)/$$*.S")
	$$(Q)$$(APP_CC_$(1)) $$(APP_ASFLAGS_$(1)) -c $$< -o $$@
build/$(1)/app/$(2)/.net-features.o: net/wire/features.c net/wire/features.h $(app_dir_$(2))/app.mk \
		mk/app.mk mk/config.mk
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  CC [$(1)] $(2): net features$(if $(app_net_without_$(2)), without $(app_net_without_$(2)))")
	$$(Q)$$(NET_FEATURES_CC_$(1)) $(call app_net_define,$(2)) -c $$< -o $$@
endef
$(foreach f,xen hosted hosted-asan,$(foreach a,$(DEFINED_APPS),$(eval $(call app_compile_rules,$(f),$(a)))))
# $(1) application: its xen image's xen_optionals (xen/optional.c, compiled for it).
define app_xen_optional_rule
build/xen/app/$(1)/.xen-optional.o: xen/optional.c xen/optional.h $(app_dir_$(1))/app.mk mk/app.mk mk/config.mk
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  CC [xen] $(1): Xen drivers$(if $(app_xen_without_$(1)), without $(app_xen_without_$(1)))")
	$$(Q)$$(CC) $$(KERNEL_CFLAGS) $(call app_xen_define,$(1)) -c $$< -o $$@
endef
$(foreach a,$(DEFINED_APPS),$(eval $(call app_xen_optional_rule,$(a))))
