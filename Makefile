# Xenolith top-level build. Every application in app/ (or the one in APP_DIR=/path, anywhere)
# is built for both platforms:
#   build/xen/<app>     the PVH ELF image (boots on Xen and on bare QEMU)
#   build/hosted/<app>  the same application as a Linux executable
# mk/app.mk says what an application is (its directory, its app.mk, its include path).
# The pieces live in mk/: config (flags), modules (what each library holds),
# one fragment per platform, and one per test tier. docs/ARCHITECTURE.md explains the layout.
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:
# Objects built through pattern-rule chains are kept, so a second build does not redo them.
.SECONDARY:

include mk/config.mk
include mk/modules.mk
include mk/app.mk
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

# The default appliance, hosted. PLATFORM=xen runs it on a Xen host instead (see README.md);
# APP=name or APP_DIR=/path runs another (docs/APPLICATIONS.md). run.sh gives an application whose
# app.mk links net a TAP device (hosted) or a vif (Xen).
DEFAULT_APP := $(if $(wildcard app/httpd),httpd,hello)
RUN_APP     := $(or $(APP_DIR_NAME),$(APP),$(DEFAULT_APP))
run: deps-run
	@$(MAKE) --no-print-directory $(if $(APP_DIR),APP_DIR=$(APP_DIR),APP=$(RUN_APP)) build/$(PLATFORM)/$(RUN_APP)
	@RUN_APP_LIBS="$(app_libs_$(RUN_APP))" RUN_APP_XEN_WITHOUT="$(app_xen_without_$(RUN_APP))" scripts/run.sh $(PLATFORM) $(RUN_APP) $(RUN_ARGS)

# Every test tier that exists; each tier is a test-<tier> target defined in mk/test-<tier>.mk.
TEST_TIERS := $(patsubst mk/test-%.mk,test-%,$(sort $(wildcard mk/test-*.mk)))
test: deps-test
	@scripts/run-tests.sh $(TEST_TIERS)

clean:
	rm -rf build

help:
	@echo "make [APP=name]      build every app (or one) for xen and hosted"
	@echo "make APP_DIR=/path   build the application in /path (its app.mk; docs/APPLICATIONS.md)"
	@echo "make run [APP=name|APP_DIR=/path] [PLATFORM=xen] [RUN_ARGS='...']"
	@echo "                     build and run an appliance (default $(DEFAULT_APP))"
	@echo "make APP_DIR=/path app-test|app-unit|app-fuzz   the application's own tests"
	@echo "make test            install what is missing and run every test tier: $(TEST_TIERS)"
	@echo "make <tier>          run one tier"
