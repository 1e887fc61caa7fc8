# Tier 3: hosted network integration (test/net/run.sh). The real build/hosted/echo on a TAP device
# in a network namespace the test creates (root needed), against Linux's ping, arping, dnsmasq,
# tshark and scapy. docs/NETWORK.md says what each case checks. Then the httpd appliance's cases
# (test/net/httpd.sh), the DNS appliance's against dig and kdig (test/net/dns.sh), below, and the
# stub resolver against dnsmasq through the echo appliance's resolve= option
# (test/net/dns_resolve.sh). test-net-echo, test-net-httpd, test-net-dns and test-net-dns-resolve
# run one part.
# NET_ECHO=build/hosted-asan/echo runs the same cases against the sanitizer build.
NET_ECHO ?= build/hosted/echo
NET_HTTPD ?= build/hosted/httpd
HTTPD_SITE_IMG := build/httpd/site.img
NET_DNS ?= build/hosted/dns
DNS_ZONES_IMG := build/dns/zones.img

.PHONY: test-net test-net-echo test-net-httpd test-net-dns test-net-dns-resolve
test-net: $(NET_ECHO) $(NET_HTTPD) $(HTTPD_SITE_IMG) $(NET_DNS) $(DNS_ZONES_IMG)
	@status=0; test/net/run.sh $(NET_ECHO) || status=1; \
	test/net/httpd.sh $(NET_HTTPD) $(HTTPD_SITE_IMG) $(HTTPD_SITE_IMG).stage || status=1; \
	test/net/dns.sh $(NET_DNS) $(DNS_ZONES_IMG) || status=1; \
	test/net/dns_resolve.sh $(NET_ECHO) || status=1; \
	exit $$status
test-net-echo: $(NET_ECHO)
	@test/net/run.sh $(NET_ECHO)
test-net-dns-resolve: $(NET_ECHO)
	@test/net/dns_resolve.sh $(NET_ECHO)

# ---- httpd: the web server appliance (test/net/httpd.sh; docs/HTTPD.md) ----
# The sample site's disk image: app/httpd/site plus a generated 1 MiB file, packed by
# scripts/mkdisk.sh (app/httpd/mksite.sh). make run packs it the same way (scripts/run.sh).
# NET_HTTPD=build/hosted-asan/httpd runs the httpd cases against the sanitizer build;
# HTTPD_SKIP_WRK=1 leaves out the 30 s load.
$(HTTPD_SITE_IMG): app/httpd/mksite.sh scripts/mkdisk.sh $(shell find app/httpd/site -type f 2>/dev/null)
	$(Q)app/httpd/mksite.sh $@ >/dev/null
test-net-httpd: $(NET_HTTPD) $(HTTPD_SITE_IMG)
	@test/net/httpd.sh $(NET_HTTPD) $(HTTPD_SITE_IMG) $(HTTPD_SITE_IMG).stage

# ---- dns: the authoritative DNS server appliance (test/net/dns.sh; docs/DNS.md) ----
# The sample zones' disk image: app/dns/disk packed by scripts/mkdisk.sh (app/dns/mkzones.sh).
# NET_DNS=build/hosted-asan/dns runs the cases against the sanitizer build.
$(DNS_ZONES_IMG): app/dns/mkzones.sh scripts/mkdisk.sh $(shell find app/dns/disk -type f 2>/dev/null)
	$(Q)app/dns/mkzones.sh $@ >/dev/null
test-net-dns: $(NET_DNS) $(DNS_ZONES_IMG)
	@test/net/dns.sh $(NET_DNS) $(DNS_ZONES_IMG)
