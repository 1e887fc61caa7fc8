# bench-xen: make bench's measurements in the real-Xen test bed (run by bench/xen.sh, never by
# make test-xen: it lives outside test/xen). Writes "key value" lines to $XT_OUT/bench-xen.txt.
#  1. Boot to first HTTP answer, XB_REPS times each, one guest at a time, the same xl config shape
#     (PVH, 1 vCPU, a vif on xenbr0, the site disk read-only as xvda): httpd (64 MB) and a minimal
#     Linux guest (the test bed's own Debian kernel, 128 MB, an initramfs of busybox that loads
#     xen-netfront and xen-blkfront, unpacks the same site disk and runs busybox httpd). A poller
#     in dom0 tries a GET every 20 ms from before `xl create`; recorded: from `xl create` to the
#     first 200 answer, and from `xl create` returning (devices attached, domain unpaused) to it.
#  2. Netfront's counters for known traffic, read from the console at `xl shutdown`:
#     http: XB_HTTP_REQUESTS GETs of /index.html over one keep-alive connection to httpd (after
#     its last timed boot); udp: XB_UDP_DATAGRAMS 64-byte datagrams echoed one at a time by the
#     echo appliance; tcp: XB_TCP_KB KiB echoed over one connection by a fresh echo appliance.
#  3. Throughput side by side, one fresh guest at a time in the same shape: httpd, then the Linux
#     guest serving the same files from a tmpfs with nginx (xb_server=nginx, bench/xen/nginx.conf).
#     ab from dom0, XB_TPUT_SECONDS each: index.html with keep-alive (10 connections), index.html
#     with a new connection per request (10 at once), big.txt (1 MiB) with keep-alive (2
#     connections); httpd's netfront counters at its shutdown (workload "tput").
#     Each file is fetched once first: nginx serves from a tmpfs, httpd from its file cache
#     (docs/HTTPD.md "File cache"), which the first request fills from xvda; without the cache
#     httpd read big.txt through blkfront for every request (16 KiB per read, one at a time,
#     between its TCP writes: about 90% of a 1 MiB answer's time). test/xen/netfront-bulk.sh
#     captures the network side on the vif.
# images: httpd echo linux-vmlinuz linux-initrd httpd-site
# timeout: 720
XB_REPS=${XB_REPS:-3}
XB_HTTP_REQUESTS=${XB_HTTP_REQUESTS:-500}
XB_UDP_DATAGRAMS=${XB_UDP_DATAGRAMS:-1000}
XB_TCP_KB=${XB_TCP_KB:-1024}
XB_TPUT_SECONDS=${XB_TPUT_SECONDS:-10}
res=$XT_OUT/bench-xen.txt
work=/tmp/bench-xen
rm -rf "$work" && mkdir -p "$work"
: >"$res"
# The site disk is attached read-only to each guest in turn.
cp "$(xt_image httpd-site)" "$work/site.img"
# ARP probes every 50 ms, so the first answer is not held back by a 1 s probe interval.
old_retrans=$(sysctl -n net.ipv4.neigh.xenbr0.retrans_time_ms)
sysctl -qw net.ipv4.neigh.xenbr0.retrans_time_ms=50
trap 'sysctl -qw net.ipv4.neigh.xenbr0.retrans_time_ms=$old_retrans' EXIT

# poll_first_answer IP FILE: in the background, GETs / every 20 ms until a 200 answer; writes the
# CLOCK_REALTIME nanoseconds of that answer to FILE ("none" after 180 s). Returns when polling.
poll_first_answer() {
    rm -f "$2" "$2.ready"
    /usr/bin/python3 - "$1" "$2" <<'PYEOF' &
import socket, sys, time
ip, out = sys.argv[1], sys.argv[2]
open(out + ".ready", "w").close()
deadline = time.time() + 180
while time.time() < deadline:
    try:
        s = socket.create_connection((ip, 80), timeout=0.25)
        s.settimeout(5)
        s.sendall(b"GET /index.html HTTP/1.0\r\nHost: bench\r\n\r\n")
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        s.close()
        if data.startswith(b"HTTP/1.") and data.split(b"\r\n")[0].split(b" ")[1] == b"200":
            open(out, "w").write("%d\n" % time.time_ns())
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.02)
open(out, "w").write("none\n")
PYEOF
    XB_POLLER=$!
    for _ in $(seq 100); do [ -e "$2.ready" ] && return 0; sleep 0.05; done
}

# timed_boot KIND REP IP MAC CONFIG...: creates the domain with the poller running; records
# KIND.create_ms.REP and KIND.running_ms.REP.
timed_boot() {
    local kind=$1 rep=$2 ip=$3 mac=$4 dom=xb$1$2
    shift 4
    ip neigh flush dev xenbr0 2>/dev/null
    poll_first_answer "$ip" "$work/answer.$dom"
    local t0 t1 t2
    t0=$(date +%s%N)
    xt_create "$dom" "$@" "vif = ['mac=$mac,bridge=xenbr0']" \
        "disk = ['format=raw,vdev=xvda,access=ro,target=$work/site.img']" >"$work/create.$dom.log"
    t1=$(date +%s%N)
    wait "$XB_POLLER"
    t2=$(cat "$work/answer.$dom")
    [ "$t2" != none ] || xt_fail "$dom gave no HTTP answer within 180 s (last console line: \"$(xt_console_last "$dom")\")"
    echo "$kind.create_ms.$rep $(( (t2 - t0) / 1000000 ))" >>"$res"
    echo "$kind.running_ms.$rep $(( (t2 - t1) / 1000000 ))" >>"$res"
    echo "xt: $dom answered $(( (t2 - t0) / 1000000 )) ms after xl create ($(( (t1 - t0) / 1000000 )) ms in xl create)"
}

# counters KIND DOMAIN: netfront's counters from the console of a domain that has shut down.
counters() {
    local log
    log=$(xt_console "$2")
    for c in tx_frames rx_frames tx_notify rx_notify events bad_responses; do
        echo "nf.$1.$c $(sed -n "s/^.*netfront\.vif0\.$c \([0-9]*\).*$/\1/p" "$log" | tail -1)" >>"$res"
    done
    # The TCP segments the device carried and its TSO frames (the device's own counters): a TSO
    # frame carries several segments, so segments per frame says how much TSO is used.
    for c in tx_segments tx_gso_frames; do
        echo "nf.$1.$c $(sed -n "s/^.*dev\.vif0\.$c \([0-9]*\).*$/\1/p" "$log" | tail -1)" >>"$res"
    done
    sed -n 's/^.*netfront\.vif0: grant table (whole guest): \([0-9]*\) granted, \([0-9]*\) ended.*$/\1 \2/p' \
        "$log" | tail -1 | { read -r g e; echo "nf.$1.granted $g"; echo "nf.$1.ended $e"; } >>"$res"
    grep -q "nf.$1.tx_frames [0-9]" "$res" || xt_fail "no netfront counters on $2's console"
}

shutdown_dom() {
    xl shutdown "$1" >/dev/null 2>&1 || xt_fail "xl shutdown $1 failed"
    xt_expect_end "$1" poweroff 90
    xt_destroy "$1"
}

http_workload() {
    /usr/bin/python3 - "$XB_HTTP_REQUESTS" <<'PYEOF' || xt_fail "the HTTP workload failed"
import socket, sys
n = int(sys.argv[1])
s = socket.create_connection(("10.0.0.12", 80), timeout=20)
f = s.makefile("rb")
for i in range(n):
    close = i == n - 1
    s.sendall(b"GET /index.html HTTP/1.1\r\nHost: bench\r\n" +
              (b"Connection: close\r\n" if close else b"") + b"\r\n")
    status = f.readline()
    length = None
    while True:
        line = f.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    if not status.startswith(b"HTTP/1.1 200") or length is None or len(f.read(length)) != length:
        sys.exit(f"request {i}: {status!r}")
print(f"{n} requests answered")
PYEOF
}

# ---- 1. boot to first HTTP answer (and, after the last httpd boot, the HTTP workload) ----
for rep in $(seq "$XB_REPS"); do
    timed_boot httpd "$rep" 10.0.0.12 00:16:3e:00:00:12 "kernel = \"$(xt_image httpd)\"" \
        'memory = 64' 'extra = "ip=10.0.0.12/24 gw=10.0.0.1"'
    [ "$rep" -eq "$XB_REPS" ] && http_workload
    shutdown_dom "xbhttpd$rep"
    [ "$rep" -eq "$XB_REPS" ] && counters http "xbhttpd$rep"
    timed_boot linux "$rep" 10.0.0.13 00:16:3e:00:00:13 "kernel = \"$(xt_image linux-vmlinuz)\"" \
        "ramdisk = \"$(xt_image linux-initrd)\"" 'memory = 128' 'cmdline = "console=hvc0 quiet"'
    xt_destroy "xblinux$rep"
done

# ---- 2. netfront per 1000 frames: udp and tcp on the echo appliance ----
echo_boot() {
    ip neigh flush dev xenbr0 2>/dev/null
    xt_create "$1" "kernel = \"$(xt_image echo)\"" 'memory = 64' \
        'extra = "ip=10.0.0.14/24 gw=10.0.0.1"' "vif = ['mac=00:16:3e:00:00:14,bridge=xenbr0']" \
        >"$work/create.$1.log"
    for _ in $(seq 300); do
        xt_console_has "$1" "serving UDP and TCP echo" && return 0
        xt_console_has "$1" "xenolith: shutdown" && break
        sleep 0.2
    done
    xt_fail "the echo appliance did not start (last line: \"$(xt_console_last "$1")\")"
}
echo_boot xbechoudp
/usr/bin/python3 - "$XB_UDP_DATAGRAMS" <<'PYEOF' || xt_fail "the UDP workload failed"
import os, socket, sys
n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
lost = 0
for i in range(n):
    payload = os.urandom(64)
    s.sendto(payload, ("10.0.0.14", 7))
    try:
        data, _ = s.recvfrom(2048)
    except socket.timeout:
        lost += 1
        continue
    if data != payload:
        sys.exit(f"datagram {i} came back different")
print(f"{n} datagrams, {lost} lost")
sys.exit(1 if lost > n // 100 else 0)
PYEOF
shutdown_dom xbechoudp
counters udp xbechoudp

echo_boot xbechotcp
/usr/bin/python3 - "$XB_TCP_KB" <<'PYEOF' || xt_fail "the TCP workload failed"
import os, socket, sys, threading
size = int(sys.argv[1]) * 1024
payload = os.urandom(size)
s = socket.create_connection(("10.0.0.14", 7), timeout=30)
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
t.join(120)
s.close()
sys.exit(0 if bytes(got) == payload else f"{len(got)} of {size} bytes came back")
PYEOF
shutdown_dom xbechotcp
counters tcp xbechotcp
# ---- 3. throughput side by side (ab from dom0) ----
# tput_ab KIND NAME AB-ARGS...: one ab run; records tput.KIND.NAME.{req_s,kb_s,complete,failed}.
tput_ab() {
    local kind=$1 name=$2 report
    shift 2
    report=$work/ab.$kind.$name.txt
    ab -q -s 20 -t "$XB_TPUT_SECONDS" -n 10000000 "$@" >"$report" 2>&1 ||
        xt_fail "ab $name against $kind failed: $(tail -1 "$report")"
    awk -v p="tput.$kind.$name" '
        /^Complete requests:/ { print p ".complete", $3 }
        /^Failed requests:/ { print p ".failed", $3 }
        /^Requests per second:/ { print p ".req_s", $4 }
        /^Transfer rate:/ { print p ".kb_s", $3 }' "$report" >>"$res"
    grep -q "^tput.$kind.$name.req_s " "$res" || xt_fail "no figures in ab's report ($report)"
    echo "xt: $kind $name: $(grep "^tput.$kind.$name\." "$res" | tr '\n' ' ')"
}
throughput() {
    # Each file once before the timed runs, so both servers serve from memory: nginx's tmpfs,
    # httpd's file cache (filled on a file's first request from xvda).
    for f in index.html big.txt; do
        ab -q -s 20 -n 1 "http://$2/$f" >/dev/null 2>&1 || xt_fail "warm-up GET /$f from $1 failed"
    done
    tput_ab "$1" keepalive -k -c 10 "http://$2/index.html"
    tput_ab "$1" newconn -c 10 "http://$2/index.html"
    tput_ab "$1" bulk -k -c 2 "http://$2/big.txt"
}
timed_boot thttpd 1 10.0.0.12 00:16:3e:00:00:12 "kernel = \"$(xt_image httpd)\"" \
    'memory = 64' 'extra = "ip=10.0.0.12/24 gw=10.0.0.1 -- access-log=off"'
throughput httpd 10.0.0.12
shutdown_dom xbthttpd1
counters tput xbthttpd1
timed_boot tlinux 1 10.0.0.13 00:16:3e:00:00:13 "kernel = \"$(xt_image linux-vmlinuz)\"" \
    "ramdisk = \"$(xt_image linux-initrd)\"" 'memory = 128' 'cmdline = "console=hvc0 quiet xb_server=nginx"'
throughput linux 10.0.0.13
xt_destroy xbtlinux1

echo "xt: results:"; sed 's/^/xt:   /' "$res"
xt_pass "$XB_REPS boots each of httpd and Linux; netfront counters for http, udp, tcp; throughput of httpd and nginx"
