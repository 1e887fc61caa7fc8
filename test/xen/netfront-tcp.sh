# netfront-tcp: TCP echo through netfront: dom0 sends 2 MB over one connection and 64 KB over
# each of 8 concurrent ones to the echo appliance (port 7) and checks every byte comes back; then
# `xl shutdown` must close the vif cleanly, and the counters must show no bad response,
# batched notifications and TSO frames (netback offers feature-gso-tcpv4 and feature-sg), and
# the large receives netback sent handed up as page chains.
# images: echo
# timeout: 180
xt_netfront_static_domain
# This test ends the shared domain (and shows its console if it fails).
grep -qx nfstatic "$XT_OUT/tests/$XT_TEST.domains" 2>/dev/null ||
    echo nfstatic >>"$XT_OUT/tests/$XT_TEST.domains"
ping -c 2 -i 0.3 -W 3 10.0.0.2 >/dev/null || xt_fail "the guest does not answer ping"
/usr/bin/python3 - <<'PYEOF' || xt_fail "TCP echo failed"
import os, socket, sys, threading, time
def echo(size, results, i):
    payload = os.urandom(size)
    s = socket.create_connection(("10.0.0.2", 7), timeout=20)
    got = bytearray()
    def reader():
        while len(got) < size:
            chunk = s.recv(65536)
            if not chunk:
                break
            got.extend(chunk)
    t = threading.Thread(target=reader)
    t.start()
    s.sendall(payload)
    t.join(60)
    s.close()
    results[i] = bytes(got) == payload
started = time.time()
results = [None]
echo(2 * 1024 * 1024, results, 0)
if not results[0]:
    sys.exit("2 MB did not come back intact")
took = time.time() - started
print(f"2 MB echoed in {took:.2f} s ({2 * 8 / took:.1f} Mbit/s each way)")
results = [None] * 8
threads = [threading.Thread(target=echo, args=(64 * 1024, results, i)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join(90)
if not all(results):
    sys.exit(f"concurrent echoes failed: {results}")
print("8 concurrent connections echoed 64 KB each")
PYEOF
xl shutdown nfstatic || xt_fail "xl shutdown failed"
[ -f /run/xt/nf-max-queues ] && cat /run/xt/nf-max-queues >/sys/module/xen_netback/parameters/max_queues
xt_expect_end nfstatic poweroff 60
xt_expect_console nfstatic "netfront: vif0: disconnecting: closing"
xt_expect_console nfstatic "netfront: vif0: disconnected"
xt_expect_console nfstatic "netfront.vif0.bad_responses 0"
rate=$(grep -m1 "per 1000 frames" "$(xt_console nfstatic)" | sed 's/^.*netfront\.vif0: //')
# TSO: netback offers feature-gso-tcpv4 and feature-sg, so the echoes leave as multi-slot frames
# with the GSO extra (netdev counters printed at shutdown).
counter() { grep -oE "dev\.vif0\.$1 [0-9]+" "$(xt_console nfstatic)" | tail -n 1 | awk '{ print $2 }'; }
gso=$(counter tx_gso_frames) frames=$(counter tx_frames) segments=$(counter tx_segments)
[ "${gso:-0}" -gt 0 ] || xt_fail "no TSO frame went out (dev.vif0.tx_gso_frames ${gso:-missing})"
# Large receives: dom0's TCP sends GSO frames, which netback passes on with the GSO extra (the
# guest offers feature-gso-tcpv4), those over a page as multi-slot frames (NETRXF_more_data); on
# this test bed it sends both kinds (a run: 304 large receives, 120 of them multi-slot). Each
# multi-slot frame must go up as a chain of its slots' pages, not copied (xen/README.md), unless
# the page pool ran dry or a grant would not end.
nf() { grep -oE "netfront\.vif0\.$1 [0-9]+" "$(xt_console nfstatic)" | tail -n 1 | awk '{ print $2 }'; }
rx_gso=$(nf rx_gso) multi_up=$(nf rx_multi_handed_up) multi_copied=$(nf rx_multi_copied)
no_page=$(nf rx_copy_no_page) end_busy=$(nf rx_copy_end_busy)
[ -n "$rx_gso" ] && [ -n "$multi_up" ] && [ -n "$multi_copied" ] ||
    xt_fail "netfront's rx counters are missing"
echo "xt: large receives $rx_gso; multi-slot frames handed up $multi_up, copied $multi_copied" \
     "(no fresh page $no_page, grant busy $end_busy)"
[ "$multi_up" -gt 0 ] || xt_fail "no multi-slot frame was handed up as a page chain"
[ "$multi_copied" -le $(( no_page + end_busy )) ] ||
    xt_fail "$multi_copied multi-slot frames copied with pages and grants to spare"
xt_pass "2 MB + 8 x 64 KB echoed; $rate; $segments segments in $frames frames, $gso TSO; $multi_up multi-slot frames handed up as page chains, $multi_copied copied"
