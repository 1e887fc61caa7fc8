# Tier 1: Check unit tests, hosted, with ASan and UBSan, on the simulated platform (test/unit/sim).
# Every test/unit/test_<name>.c is one test program: build/test/unit/test_<name>.
$(eval $(call flavour_rules,test,TEST_CFLAGS,HOSTED_ASFLAGS))
$(foreach m,$(PORTABLE_MODULES),$(eval $(call archive_rule,test,$(m))))

CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null || echo -lcheck -lsubunit -lm -lrt -lpthread)
TEST_ARCHIVES := $(call module_archives,test,$(PORTABLE_MODULES))
SIM_OBJS      := $(call module_objs,test,test/unit/sim)
UNIT_TESTS    := $(basename $(notdir $(wildcard test/unit/test_*.c)))
UNIT_BINS     := $(addprefix build/test/unit/,$(UNIT_TESTS))

build/test/obj/test/unit/%.o: TEST_CFLAGS += $(CHECK_CFLAGS)
build/test/unit/%: build/test/obj/test/unit/%.o $(SIM_OBJS) $(TEST_ARCHIVES)
	$(Q)mkdir -p $(@D)
	$(if $(Q),@echo "  LD [test] $@")
	$(Q)$(CC) $(TEST_LDFLAGS) -o $@ $(filter %.o,$^) -Wl,--start-group $(filter %.a,$^) -Wl,--end-group $(CHECK_LIBS)

# The in-tree applications' own unit tests (app/<name>/test_*.c, mk/test-apps.mk) run with them.
APP_UNIT_BINS := $(foreach a,$(ALL_APPS),$(call app_unit_bins,$(a)))

.PHONY: test-unit
test-unit: $(UNIT_BINS) $(APP_UNIT_BINS)
	@scripts/run-unit-tests.sh $(UNIT_BINS) $(APP_UNIT_BINS)

# Xen's pure pieces (ring and table rules, no hypercalls) are unit-tested against fakes:
# every test_xen_* program links them.
XEN_PURE_SRCS      := xen/events_core.c xen/grants_core.c xen/xenstore_codec.c
XEN_PURE_TEST_OBJS := $(patsubst %.c,build/test/obj/%.o,$(XEN_PURE_SRCS))
$(filter build/test/unit/test_xen_%,$(UNIT_BINS)): $(XEN_PURE_TEST_OBJS)
# The xenstore client itself (xen/xenstore.c) against a fake shared page and event channel.
build/test/unit/test_xen_xenstore_client: build/test/obj/xen/xenstore.o

# The netfront ring and connection rules (xen/netfront_ring.c, xen/netfront_conn.c, pure)
# against a fake backend and the pure grant table.
$(filter build/test/unit/test_netfront%,$(UNIT_BINS)): build/test/obj/xen/netfront_ring.o \
    build/test/obj/xen/netfront_ring_tx.o build/test/obj/xen/netfront_conn.o \
    build/test/obj/xen/grants_core.o
# The receive page pool (xen/netfront_rxpool.c) over fake grant calls of the test's own.
build/test/unit/test_netfront_rxpool: build/test/obj/xen/netfront_rxpool.o
# The frontends' shared xenbus life (xen/xenbus_frontend.c over xen/xenbus_client.c) against a
# fake xenstore.
build/test/unit/test_xen_xenbus_frontend: build/test/obj/xen/xenbus_frontend.o \
    build/test/obj/xen/xenbus_client.o
# The blkfront core (pure ring code from xen/) is tested against a fake backend.
$(filter build/test/unit/test_blkfront%,$(UNIT_BINS)): build/test/obj/xen/blkfront_core.o
# Every part of the Xen drivers (xen/optional.c), except in the programs that define their own
# xen_optionals to test an image that leaves parts out.
XEN_OPTIONAL_TESTS := build/test/unit/test_blkfront_readonly build/test/unit/test_netfront_no_offload
$(filter-out $(XEN_OPTIONAL_TESTS),$(filter build/test/unit/test_blkfront% \
    build/test/unit/test_netfront%,$(UNIT_BINS))): build/test/obj/xen/optional.o

# The CPUID decoding of the TSC rate (arch/x86_64/tsc_cpuid.c, pure) against fake leaves.
build/test/unit/test_arch_tsc_cpuid: build/test/obj/arch/x86_64/tsc_cpuid.o
# The judging of TSC samples against a reference clock (arch/x86_64/tsc_calibrate.c, pure).
build/test/unit/test_arch_tsc_calibrate: build/test/obj/arch/x86_64/tsc_calibrate.o
