# make bench: the performance figures (bench/run.sh; docs/BENCHMARKS.md says what and how).
# Not a test tier (the name is not test-*), so make test does not run it. It needs root (network
# namespaces, TAP, the Xen test bed) and valgrind, wrk, iperf3, liblwip-dev, busybox-static,
# dnsperf and nsd (scripts/deps.sh bench installs them). BENCH_XEN=0 leaves out the test bed part (bench/xen.sh).
#
# The per-operation harnesses are built here, optimized like the hosted programs and without
# sanitizers: bench/ops/ops_xenolith.c on the hosted archives and the simulated platform
# (test/unit/sim), bench/ops/ops_lwip.c and bench/lwip/httpd_lwip.c against Debian's liblwip.
BENCH_CFLAGS := $(HOSTED_CFLAGS)
LWIP_CFLAGS  := $(shell pkg-config --cflags lwip 2>/dev/null || echo -I/usr/include/lwip)
LWIP_LIBS    := $(shell pkg-config --libs lwip 2>/dev/null || echo -llwip)

build/bench/obj/%.o: %.c mk/config.mk mk/bench.mk
	$(Q)mkdir -p $(@D)
	$(if $(Q),@echo "  CC [bench] $<")
	$(Q)$(CC) $(BENCH_CFLAGS) -c $< -o $@

build/bench/ops_xenolith: build/bench/obj/bench/ops/ops_xenolith.o build/bench/obj/test/unit/sim/sim.o \
		$(HOSTED_ARCHIVES)
	$(Q)mkdir -p $(@D)
	$(if $(Q),@echo "  LD [bench] $@")
	$(Q)$(CC) -o $@ $(filter %.o,$^) -Wl,--start-group $(filter %.a,$^) -Wl,--end-group

# lwIP's headers are not ours: compile its harnesses with the project's warnings where they hold
# for lwIP's own headers (no -Werror on lwIP's casts, strict prototypes kept for our code).
LWIP_BENCH_CFLAGS := -std=gnu11 -g -O2 -Wall -Wextra -Werror -Wno-unused-parameter -iquote . -iquote include $(LWIP_CFLAGS) -MMD -MP
build/bench/lwip/%.o: bench/%.c mk/bench.mk
	$(Q)mkdir -p $(@D)
	$(if $(Q),@echo "  CC [bench/lwip] $<")
	$(Q)$(CC) $(LWIP_BENCH_CFLAGS) -c $< -o $@
build/bench/ops_lwip: build/bench/lwip/ops/ops_lwip.o
	$(Q)$(CC) -o $@ $^ $(LWIP_LIBS)
build/bench/httpd_lwip: build/bench/lwip/lwip/httpd_lwip.o
	$(Q)$(CC) -o $@ $^ $(LWIP_LIBS) -lpthread

# The Linux reference server is an ordinary Linux program.
build/bench/static_server: bench/linux/static_server.c mk/bench.mk
	$(Q)mkdir -p $(@D)
	$(if $(Q),@echo "  CC [bench] $<")
	$(Q)$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -o $@ $<

BENCH_PROGRAMS := build/bench/ops_xenolith build/bench/ops_lwip build/bench/httpd_lwip \
                  build/bench/static_server
BENCH_APPS     := $(foreach a,$(ALL_APPS),build/xen/$(a) build/hosted/$(a))

.PHONY: bench
bench: deps-bench
	@$(MAKE) --no-print-directory $(BENCH_PROGRAMS) $(BENCH_APPS) $(HTTPD_SITE_IMG) $(DNS_ZONES_IMG)
	@bench/run.sh $(BENCH_ARGS)
