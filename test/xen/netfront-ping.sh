# netfront-ping: dom0 pings the echo appliance through netfront (small, full-MTU and fragmented
# sizes) and gets UDP echo back, also for datagrams IP must fragment. The guest (static address
# 10.0.0.2) is created with two netback queues offered, so multi-queue is negotiated; it is
# left running for netfront-tcp, which shuts it down.
# images: echo
# timeout: 150
xt_netfront_static_domain
xt_expect_console nfstatic "netfront: vif0: connected"
queues=$(sed -n 's/.*netfront: vif0: connected.*: \([0-9]*\) queue.*/\1/p' "$(xt_console nfstatic)" | head -1)
ping -c 5 -i 0.2 -W 2 10.0.0.2 || xt_fail "no answer to ping"
ping -c 3 -i 0.2 -W 2 -s 1472 -M do 10.0.0.2 || xt_fail "no answer to full-MTU pings"
ping -c 3 -i 0.3 -W 3 -s 4000 10.0.0.2 || xt_fail "no answer to fragmented pings (-s 4000)"
ping -c 2 -i 0.5 -W 3 -s 20000 10.0.0.2 || xt_fail "no answer to fragmented pings (-s 20000)"
/usr/bin/python3 - <<'PYEOF' || xt_fail "UDP echo failed"
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for size in (1, 100, 1472, 4000, 9000):
    payload = os.urandom(size)
    for attempt in range(3):
        s.sendto(payload, ("10.0.0.2", 7))
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        break
    else:
        sys.exit(f"no UDP echo of {size} bytes")
    if data != payload:
        sys.exit(f"UDP echo of {size} bytes came back different ({len(data)} bytes)")
    print(f"UDP echo of {size} bytes from {peer}")
PYEOF
xt_pass "ping (56, 1472, 4000, 20000 bytes) and UDP echo (1..9000 bytes) over $queues queue(s)"
