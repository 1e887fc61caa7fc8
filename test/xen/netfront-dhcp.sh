# netfront-dhcp: the echo appliance on Xen takes a DHCP lease through netfront from a dnsmasq
# in dom0 on xenbr0, answers ping at the leased address, and at `xl shutdown` releases the
# lease and closes the vif cleanly (Closing, Closed) before powering off.
# images: echo
# timeout: 150
lease_dir=/run/xt/netfront-dhcp
mkdir -p "$lease_dir"
dnsmasq --no-ping --interface=xenbr0 --bind-interfaces --port=0 --no-resolv --no-hosts \
    --dhcp-range=10.0.0.50,10.0.0.99,255.255.255.0,10m --dhcp-option=option:router,10.0.0.1 \
    --dhcp-leasefile="$lease_dir/leases" --pid-file="$lease_dir/dnsmasq.pid" --log-dhcp \
    --log-facility="$XT_OUT/tests/$XT_TEST.dnsmasq.log" || xt_fail "dnsmasq did not start"
trap 'kill "$(cat "$lease_dir/dnsmasq.pid" 2>/dev/null)" 2>/dev/null' EXIT
xt_create nfdhcp "kernel = \"$(xt_image echo)\"" 'memory = 64' 'extra = "ip=dhcp"' \
    "vif = ['mac=00:16:3e:00:00:10,bridge=xenbr0']"
started=$(date +%s%N)
addr=""
for _ in $(seq 300); do
    addr=$(sed -n 's/.*configured \(10\.0\.0\.[0-9]*\)\/24 .* from 10\.0\.0\.1.*/\1/p' \
        "$(xt_console nfdhcp)" 2>/dev/null | head -1)
    [ -n "$addr" ] && break
    xt_console_has nfdhcp "xenolith: shutdown" && break
    sleep 0.2
done
[ -n "$addr" ] || xt_fail "no DHCP lease configured (last line: \"$(xt_console_last nfdhcp)\")"
took=$(( ($(date +%s%N) - started) / 1000000 ))
echo "xt: leased $addr in $took ms after xl create"
grep -q "00:16:3e:00:00:10" "$lease_dir/leases" || xt_fail "dnsmasq has no lease for the vif's MAC"
xt_expect_console nfdhcp "netfront: vif0: connected"
ping -c 3 -i 0.3 -W 2 "$addr" || xt_fail "no answer to ping at the leased address $addr"
xl shutdown nfdhcp || xt_fail "xl shutdown failed"
xt_expect_end nfdhcp poweroff 60
xt_expect_console nfdhcp "netfront: vif0: disconnecting: closing"
xt_expect_console nfdhcp "netfront: vif0: disconnected"
xt_expect_console nfdhcp "netfront.vif0.bad_responses 0"
for _ in $(seq 20); do
    grep -q "DHCPRELEASE" "$XT_OUT/tests/$XT_TEST.dnsmasq.log" && break
    sleep 0.1
done
grep -q "DHCPRELEASE" "$XT_OUT/tests/$XT_TEST.dnsmasq.log" || xt_fail "the lease was not released"
xt_pass "lease $addr $took ms after xl create; released at shutdown"
