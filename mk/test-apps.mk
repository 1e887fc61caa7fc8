# An application's own tests, and the tier that proves applications can live outside the tree.
#
# For one application (APP_DIR=/path, or APP=<name> in the tree; mk/app.mk):
#   make APP_DIR=DIR app-unit   every DIR/test_<x>.c is a Check program, build/test/app/<name>/test_<x>,
#                               linked with the application's sources (as an archive: a test
#                               pulls in what it calls), every portable module and the simulated
#                               platform (test/unit/sim: a clock that jumps to the next deadline),
#                               all with ASan/UBSan; then run.
#   make APP_DIR=DIR app-fuzz   every DIR/fuzz_<x>.c is a libFuzzer harness, build/fuzz/app/<name>/fuzz_<x>,
#                               built like test/fuzz's (clang, ASan/UBSan, the simulated platform),
#                               run for FUZZ_RUNS inputs from the seed corpus DIR/corpus/<x>/.
#   make APP_DIR=DIR app-test   builds build/hosted/<name> and runs DIR/test.sh with its path:
#                               the application's smoke test (scripts/new-app.sh writes one).
# The application's sources compile with its public include path (mk/app.mk) in these flavours
# too; the test and harness files themselves may also reach the simulated platform
# (xenolith/testing.h, public) and the rest of the repository, as the project's own tests do.
#
# make test-apps (part of make test): test/apps/run.sh generates an application with
# scripts/new-app.sh outside the repository and goes through docs/APPLICATIONS.md's steps with it.
TEST_APP := $(firstword $(APPS))

APP_TEST_SIM_OBJS  := $(call module_objs,test,test/unit/sim)
APP_TEST_ARCHIVES  := $(call module_archives,test,$(PORTABLE_MODULES))
APP_FUZZ_SIM_OBJS  := $(call module_objs,fuzz,test/unit/sim)
APP_FUZZ_ARCHIVES  := $(call module_archives,fuzz,$(PORTABLE_MODULES))
# Test and harness files: the flavour's own flags (the repository reachable), the public folders
# as an application sees them, and Check for the unit tests.
APP_TEST_FILE_CFLAGS = $(TEST_CFLAGS) -iquote $(SDK_INCLUDE) $(CHECK_CFLAGS)
APP_FUZZ_FILE_CFLAGS = $(FUZZ_CFLAGS) -iquote $(SDK_INCLUDE)

# $(1) application: its unit tests and harnesses.
app_unit_bins = $(patsubst $(app_dir_$(1))/%.c,build/test/app/$(1)/%,$(wildcard $(app_dir_$(1))/test_*.c))
app_fuzz_bins = $(patsubst $(app_dir_$(1))/%.c,build/fuzz/app/$(1)/%,$(wildcard $(app_dir_$(1))/fuzz_*.c))

# $(1) application
define app_test_rules
$(foreach f,test fuzz,$(eval $(call app_compile_rules,$(f),$(1))))
# The application's own objects as an archive, so a test links only what it reaches (and the
# application's app_main only if it calls into main.c).
build/test/app/$(1)/libapp.a: $(call app_objs,test,$(1))
	$$(Q)rm -f $$@ && $$(AR) rcsD $$@ $$^
build/fuzz/app/$(1)/libapp.a: $(call app_objs,fuzz,$(1))
	$$(Q)rm -f $$@ && $$(AR) rcsD $$@ $$^
build/test/app/$(1)/test_%.t.o: $(app_dir_$(1))/test_%.c $(app_dir_$(1))/app.mk mk/test-apps.mk | $(SDK_LINKS)
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  CC [test] $(1)/test_$$*.c")
	$$(Q)$$(CC) $$(APP_TEST_FILE_CFLAGS) -c $$< -o $$@
build/test/app/$(1)/test_%: build/test/app/$(1)/test_%.t.o build/test/app/$(1)/libapp.a \
		$(APP_TEST_SIM_OBJS) $(APP_TEST_ARCHIVES)
	$$(if $$(Q),@echo "  LD [test] $$@")
	$$(Q)$$(CC) $$(TEST_LDFLAGS) -o $$@ $$(filter %.o,$$^) -Wl,--start-group $$(filter %.a,$$^) \
		-Wl,--end-group $$(CHECK_LIBS)
build/fuzz/app/$(1)/fuzz_%.f.o: $(app_dir_$(1))/fuzz_%.c $(app_dir_$(1))/app.mk mk/test-apps.mk | $(SDK_LINKS)
	$$(Q)mkdir -p $$(@D)
	$$(if $$(Q),@echo "  CC [fuzz] $(1)/fuzz_$$*.c")
	$$(Q)$$(FUZZ_CC) $$(APP_FUZZ_FILE_CFLAGS) -c $$< -o $$@
build/fuzz/app/$(1)/fuzz_%: build/fuzz/app/$(1)/fuzz_%.f.o build/fuzz/app/$(1)/libapp.a \
		$(APP_FUZZ_SIM_OBJS) $(APP_FUZZ_ARCHIVES)
	$$(if $$(Q),@echo "  LD [fuzz] $$@")
	$$(Q)$$(FUZZ_CC) $$(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$(filter %.o,$$^) \
		-Wl,--start-group $$(filter %.a,$$^) -Wl,--end-group
endef
$(foreach a,$(DEFINED_APPS),$(eval $(call app_test_rules,$(a))))

.PHONY: app-unit app-fuzz app-test app-check-one
# The application the app-* targets are about: exactly one must be named.
APP_NAMED := $(strip $(APP_DIR)$(APP))
app-check-one:
	@if [ -z "$(APP_NAMED)" ]; then \
		echo "make $(MAKECMDGOALS): name the application: APP_DIR=/path (or APP=name)" >&2; exit 2; fi

app-unit: app-check-one $(if $(APP_NAMED),$(call app_unit_bins,$(TEST_APP)))
	@if [ -z "$(call app_unit_bins,$(TEST_APP))" ]; then \
		echo "app-unit: $(app_dir_$(TEST_APP)) has no test_*.c" >&2; exit 1; fi
	@scripts/run-unit-tests.sh $(call app_unit_bins,$(TEST_APP))

app-fuzz: app-check-one $(if $(APP_NAMED),$(call app_fuzz_bins,$(TEST_APP)))
	@if [ -z "$(call app_fuzz_bins,$(TEST_APP))" ]; then \
		echo "app-fuzz: $(app_dir_$(TEST_APP)) has no fuzz_*.c" >&2; exit 1; fi
	@FUZZ_CORPUS_DIR="$(app_dir_$(TEST_APP))/corpus" test/fuzz/run.sh runs $(FUZZ_RUNS) \
		$(call app_fuzz_bins,$(TEST_APP))

app-test: app-check-one $(if $(APP_NAMED),build/hosted/$(TEST_APP))
	@if [ ! -x "$(app_dir_$(TEST_APP))/test.sh" ]; then \
		echo "app-test: $(app_dir_$(TEST_APP))/test.sh is missing or not executable" >&2; exit 1; fi
	@"$(app_dir_$(TEST_APP))/test.sh" "$(CURDIR)/build/hosted/$(TEST_APP)"

# ---- the tier ----
.PHONY: test-apps
test-apps:
	@test/apps/run.sh
