# Tier 2: libFuzzer harnesses. Every test/fuzz/fuzz_<name>.c is one fuzzer, build/fuzz/fuzz_<name>,
# linked against the portable modules compiled by clang with ASan/UBSan and fuzzer coverage
# (the build/fuzz flavour) and the simulated platform (test/unit/sim). Seed corpora live in
# test/fuzz/corpus/<name>/ and are only read: new inputs go to a scratch directory.
#   make test-fuzz   each harness for FUZZ_RUNS inputs (part of `make test`)
#   make fuzz        each harness for FUZZ_SECONDS of wall time
FUZZ_CC      := clang
FUZZ_RUNS    ?= 20000
FUZZ_SECONDS ?= 60
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter -iquote . -iquote include -MMD -MP \
                -DXENOLITH_HOSTED -DXENOLITH_TEST -DXENOLITH_FUZZ -fno-omit-frame-pointer \
                $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_ASFLAGS := $(HOSTED_ASFLAGS)

build/fuzz/obj/%.o: %.c mk/config.mk mk/test-fuzz.mk
	$(Q)mkdir -p $(@D)
	$(if $(Q),@echo "  CC [fuzz] $<")
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@
build/fuzz/obj/%.o: %.S mk/config.mk
	$(Q)mkdir -p $(@D)
	$(if $(Q),@echo "  AS [fuzz] $<")
	$(Q)$(FUZZ_CC) $(FUZZ_ASFLAGS) -c $< -o $@
$(foreach m,$(PORTABLE_MODULES),$(eval $(call archive_rule,fuzz,$(m))))

FUZZ_NAMES    := $(patsubst fuzz_%,%,$(basename $(notdir $(wildcard test/fuzz/fuzz_*.c))))
FUZZ_BINS     := $(addprefix build/fuzz/fuzz_,$(FUZZ_NAMES))
FUZZ_ARCHIVES := $(call module_archives,fuzz,$(PORTABLE_MODULES))
FUZZ_SIM_OBJS := $(call module_objs,fuzz,test/unit/sim)

build/fuzz/fuzz_%: build/fuzz/obj/test/fuzz/fuzz_%.o $(FUZZ_SIM_OBJS) $(FUZZ_ARCHIVES)
	$(Q)mkdir -p $(@D)
	$(if $(Q),@echo "  LD [fuzz] $@")
	$(Q)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $(filter %.o,$^) \
		-Wl,--start-group $(filter %.a,$^) -Wl,--end-group

# The in-tree applications' own harnesses (app/<name>/fuzz_*.c over app/<name>/corpus/,
# mk/test-apps.mk) run with them.
APP_FUZZ_INTREE := $(foreach a,$(ALL_APPS),$(if $(call app_fuzz_bins,$(a)),$(a)))
app_fuzz_run = $(foreach a,$(APP_FUZZ_INTREE),FUZZ_CORPUS_DIR=$(app_dir_$(a))/corpus \
    test/fuzz/run.sh $(1) $(2) $(call app_fuzz_bins,$(a)) || status=1;)

.PHONY: test-fuzz fuzz
test-fuzz: $(FUZZ_BINS) $(foreach a,$(APP_FUZZ_INTREE),$(call app_fuzz_bins,$(a)))
	@status=0; test/fuzz/run.sh runs $(FUZZ_RUNS) $(FUZZ_BINS) || status=1; \
	$(call app_fuzz_run,runs,$(FUZZ_RUNS)) exit $$status
fuzz: $(FUZZ_BINS) $(foreach a,$(APP_FUZZ_INTREE),$(call app_fuzz_bins,$(a)))
	@status=0; test/fuzz/run.sh seconds $(FUZZ_SECONDS) $(FUZZ_BINS) || status=1; \
	$(call app_fuzz_run,seconds,$(FUZZ_SECONDS)) exit $$status

# The xenstore harnesses also link the portable xenstore codec from xen/ (pure: no hypercalls).
$(filter build/fuzz/fuzz_xenstore%,$(FUZZ_BINS)): build/fuzz/obj/xen/xenstore_codec.o

# The hostile-backend harness links the netfront ring and connection rules and the grant table
# core from xen/ (pure: no hypercalls).
build/fuzz/fuzz_netif: build/fuzz/obj/xen/netfront_ring.o build/fuzz/obj/xen/netfront_ring_tx.o \
    build/fuzz/obj/xen/netfront_conn.o \
    build/fuzz/obj/xen/grants_core.o build/fuzz/obj/xen/optional.o
# The blkif harness drives the blkfront core from xen/ (pure ring code) against a fake backend.
$(filter build/fuzz/fuzz_blkif%,$(FUZZ_BINS)): build/fuzz/obj/xen/blkfront_core.o build/fuzz/obj/xen/optional.o
