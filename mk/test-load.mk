# Tier: real-world load (test/load/run.sh). The hosted httpd appliance with the sample site on a TAP
# device in a network namespace the test creates (root needed), against ab (with and without -k),
# wrk, slowhttptest (slowloris, slow body, slow read) and nmap -sS, each passing or failing on the
# client's own report, then the appliance's heap back to its idle value (docs/TESTING.md, "Load").
# Under 3 minutes. LOAD_HTTPD=build/hosted-asan/httpd runs it against the sanitizer build;
# LOAD_WRK_SECONDS=30 gives wrk the issue's full 30 s; LOAD_HTTPD_ARGS adds httpd options.
LOAD_HTTPD ?= build/hosted/httpd
# The sample site (its rule is in mk/test-net.mk, read after this file).
LOAD_SITE_IMG := build/httpd/site.img

.PHONY: test-load
test-load: $(LOAD_HTTPD) $(LOAD_SITE_IMG)
	@test/load/run.sh $(LOAD_HTTPD) $(LOAD_SITE_IMG)
