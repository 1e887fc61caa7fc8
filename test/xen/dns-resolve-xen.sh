# dns-resolve-xen: the stub resolver on Xen. The echo appliance takes a DHCP lease through
# netfront from a dnsmasq in dom0 on xenbr0 whose option 6 names dom0 itself as the DNS server,
# and (resolve= arguments) looks up a name that dnsmasq serves and one it does not: the answer and
# the NXDOMAIN are on the guest's console, the queries in dnsmasq's log.
# images: echo
# timeout: 150
run_dir=/run/xt/dns-resolve-xen
mkdir -p "$run_dir"
log="$XT_OUT/tests/$XT_TEST.dnsmasq.log"
dnsmasq --no-ping --interface=xenbr0 --bind-interfaces --port=53 --no-resolv --no-hosts \
    --local=/xenolith.test/ --local-ttl=60 --host-record=www.xenolith.test,10.0.0.200 --log-queries \
    --dhcp-range=10.0.0.50,10.0.0.99,255.255.255.0,10m --dhcp-option=option:router,10.0.0.1 \
    --dhcp-leasefile="$run_dir/leases" --pid-file="$run_dir/dnsmasq.pid" --log-dhcp \
    --log-facility="$log" || xt_fail "dnsmasq did not start"
trap 'kill "$(cat "$run_dir/dnsmasq.pid" 2>/dev/null)" 2>/dev/null' EXIT
xt_create dnsres "kernel = \"$(xt_image echo)\"" 'memory = 64' \
    'extra = "ip=dhcp -- resolve=www.xenolith.test resolve=missing.xenolith.test"' \
    "vif = ['mac=00:16:3e:00:00:17,bridge=xenbr0']"
xt_wait_console dnsres "echo: resolve: done" 60
xt_expect_console dnsres "dns 10.0.0.1 lease"
xt_expect_console dnsres "echo: resolve www.xenolith.test A: 10.0.0.200 (1 records, ttl 60"
xt_expect_console dnsres "echo: resolve missing.xenolith.test A: NXDOMAIN"
addr=$(sed -n 's/.*configured \(10\.0\.0\.[0-9]*\)\/24 .*/\1/p' "$(xt_console dnsres)" | head -1)
grep -q "query\[A\] www.xenolith.test from $addr" "$log" || xt_fail "dnsmasq saw no query from $addr"
xl shutdown dnsres || xt_fail "xl shutdown failed"
xt_expect_end dnsres poweroff 60
xt_expect_console dnsres "dns.answers 2"
xt_expect_console dnsres "dns.spoofed 0"
xt_pass "www.xenolith.test resolved through the DHCP-provided server $(sed -n 's/.*dns \(10\.0\.0\.1\) lease.*/\1/p' "$(xt_console dnsres)" | head -1) from $addr"
