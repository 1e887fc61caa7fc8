# Xenolith top-level build. Every application in app/ is built for both platforms:
#   build/xen/<app>     the PVH ELF image (boots on Xen and on bare QEMU)
#   build/hosted/<app>  the same application as a Linux executable
# The pieces live in mk/: config (flags), modules (what each library holds),
# one fragment per platform, and one per test tier. docs/ARCHITECTURE.md explains the layout.
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
# Objects built through pattern-rule chains are kept, so a second build does not redo them.
.SECONDARY:

include mk/config.mk
include mk/modules.mk
include mk/kernel.mk
include mk/hosted.mk
include $(sort $(wildcard mk/test-*.mk))
# make bench (not a test tier): mk/bench.mk
-include mk/bench.mk

.PHONY: all deps deps-run deps-test deps-bench run test clean help
all: $(foreach a,$(APPS),build/xen/$(a) build/hosted/$(a))

# Install whatever Debian packages are missing (apt-get update first; only what is missing),
# by profile: make run needs the run profile only, make test the test one, make bench the bench one.
deps:
	@scripts/deps.sh all
deps-run deps-test deps-bench:
	@scripts/deps.sh $(patsubst deps-%,%,$@)

# The default appliance, hosted. PLATFORM=xen runs it on a Xen host instead (see README.md).
DEFAULT_APP := $(if $(wildcard app/httpd),httpd,hello)
run: deps-run
	@$(MAKE) --no-print-directory APP=$(DEFAULT_APP) build/$(PLATFORM)/$(DEFAULT_APP)
	@scripts/run.sh $(PLATFORM) $(DEFAULT_APP) $(RUN_ARGS)

# Every test tier that exists; each tier is a test-<tier> target defined in mk/test-<tier>.mk.
TEST_TIERS := $(patsubst mk/test-%.mk,test-%,$(sort $(wildcard mk/test-*.mk)))
test: deps-test
	@scripts/run-tests.sh $(TEST_TIERS)

clean:
	rm -rf build

help:
	@echo "make [APP=name]      build every app (or one) for xen and hosted"
	@echo "make run             build and run the default appliance ($(DEFAULT_APP))"
	@echo "make test            install what is missing and run every test tier: $(TEST_TIERS)"
	@echo "make <tier>          run one tier"
