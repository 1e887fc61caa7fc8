# Toolchain and flags shared by every platform.
CC        := gcc
LD        := ld
AR        := ar
OBJCOPY   := objcopy
NM        := nm
PLATFORM  ?= hosted
V         ?= 0
Q         := $(if $(filter 1,$(V)),,@)

# The applications (ALL_APPS, APPS, APP=, APP_DIR=) are mk/app.mk's.

# Warnings and language for everything we compile.
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
COMMON_CFLAGS := -std=gnu11 -g -O2 $(WARN) -iquote . -iquote include -MMD -MP \
                 -ffile-prefix-map=$(CURDIR)=. -fno-common -ffunction-sections -fdata-sections

# The kernel image: freestanding, no host headers but gcc's own and Xen's public interface.
# Built for size (the image budget, docs/DESIGN.md): -Oz (gcc 12; measured no slower than -Os on a
# bulk TCP transfer), with mk/kernel.mk giving the few per-byte loops -O2; no partial inlining
# and no jump tables (each smaller here). Link-time optimization: objects hold GIMPLE and
# mk/kernel.mk links with the same code generation flags; -frandom-seed per object keeps them
# reproducible. Frame pointers stay: crash backtraces walk them. -fipa-pta (points-to analysis
# across the whole image at the link) lets the optimizer drop loads and stores it otherwise
# keeps: 160 bytes off hello, 540-740 off echo, httpd and dns. Measured and left out:
# -fno-inline-small-functions (0.5-0.7 KB larger but for hello), -momit-leaf-frame-pointer
# (larger, and a fault in a leaf would lose its caller from the backtrace), -fmerge-all-constants,
# -fno-ident, -fno-unwind-tables, -z noseparate-code (no change: .comment and .eh_frame are
# discarded, -n packs the file).
GCC_INCLUDE   := $(shell $(CC) -print-file-name=include)
KERNEL_CODEGEN := -Oz -flto -fipa-pta -fno-partial-inlining -fno-jump-tables -ffreestanding -fno-pie -mno-red-zone \
                  -mcmodel=small -fno-omit-frame-pointer -fno-stack-protector -fno-asynchronous-unwind-tables
KERNEL_CFLAGS = $(COMMON_CFLAGS) $(KERNEL_CODEGEN) -frandom-seed=$@ -DXENOLITH_KERNEL -D_LIBC_LIMITS_H_ \
                -nostdinc -isystem $(GCC_INCLUDE) -isystem build/xen/include
KERNEL_ASFLAGS := -DXENOLITH_KERNEL -D__ASSEMBLY__ -iquote . -MMD -MP -nostdinc -isystem build/xen/include

# The hosted platform: an ordinary Linux program.
HOSTED_CFLAGS := $(COMMON_CFLAGS) -DXENOLITH_HOSTED -fno-omit-frame-pointer
HOSTED_LDFLAGS :=

# Unit tests: hosted code again, with AddressSanitizer and UndefinedBehaviorSanitizer.
SAN_FLAGS     := -fsanitize=address,undefined -fno-sanitize-recover=all
TEST_CFLAGS   := $(HOSTED_CFLAGS) -O1 $(SAN_FLAGS) -DXENOLITH_TEST
TEST_LDFLAGS  := $(SAN_FLAGS)
