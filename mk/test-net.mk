# Tier 3: hosted network integration (test/net/run.sh). The real build/hosted/echo on a TAP device
# in a network namespace the test creates (root needed), against Linux's ping, arping, dnsmasq,
# tshark and scapy. docs/NETWORK.md says what each case checks.
# NET_ECHO=build/hosted-asan/echo runs the same cases against the sanitizer build.
NET_ECHO ?= build/hosted/echo

.PHONY: test-net
test-net: $(NET_ECHO)
	@test/net/run.sh $(NET_ECHO)
