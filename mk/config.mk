# Toolchain and flags shared by every platform.
CC        := gcc
LD        := ld
AR        := ar
OBJCOPY   := objcopy
NM        := nm
PLATFORM  ?= hosted
V         ?= 0
Q         := $(if $(filter 1,$(V)),,@)

ALL_APPS  := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard app/*/main.c)))))
APPS      := $(if $(APP),$(APP),$(ALL_APPS))
ifneq ($(APP),)
ifeq ($(filter $(APP),$(ALL_APPS)),)
$(error APP=$(APP) is not an application; choose one of: $(ALL_APPS))
endif
endif

# Warnings and language for everything we compile.
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
COMMON_CFLAGS := -std=gnu11 -g -O2 $(WARN) -iquote . -MMD -MP \
                 -ffile-prefix-map=$(CURDIR)=. -fno-common -ffunction-sections -fdata-sections

# The kernel image: freestanding, no host headers but gcc's own and Xen's public interface.
GCC_INCLUDE   := $(shell $(CC) -print-file-name=include)
KERNEL_CFLAGS := $(COMMON_CFLAGS) -DXENOLITH_KERNEL -D_LIBC_LIMITS_H_ -ffreestanding -fno-pie -mno-red-zone \
                 -fno-omit-frame-pointer -fno-stack-protector -fno-asynchronous-unwind-tables \
                 -mcmodel=small -nostdinc -isystem $(GCC_INCLUDE) -isystem build/xen/include
KERNEL_ASFLAGS := -DXENOLITH_KERNEL -D__ASSEMBLY__ -iquote . -MMD -MP -nostdinc -isystem build/xen/include

# The hosted platform: an ordinary Linux program.
HOSTED_CFLAGS := $(COMMON_CFLAGS) -DXENOLITH_HOSTED -fno-omit-frame-pointer
HOSTED_LDFLAGS :=

# Unit tests: hosted code again, with AddressSanitizer and UndefinedBehaviorSanitizer.
SAN_FLAGS     := -fsanitize=address,undefined -fno-sanitize-recover=all
TEST_CFLAGS   := $(HOSTED_CFLAGS) -O1 $(SAN_FLAGS) -DXENOLITH_TEST
TEST_LDFLAGS  := $(SAN_FLAGS)
