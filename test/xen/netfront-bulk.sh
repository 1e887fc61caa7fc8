# netfront-bulk: bulk transfer out of netfront: the httpd appliance serves a 1 MiB file, dom0
# fetches it XN_BULK_GETS times with curl (each on a new connection) while tcpdump captures the
# guest's vif in dom0 (headers only, $XT_OUT/netfront-bulk.pcap). Every transfer must bring the
# exact bytes within 20 s (a sanity bound, not a benchmark: the figure is printed, bench/xen
# compares it with a Linux guest). The capture is summarised (largest gaps between the guest's
# data frames, retransmissions, zero windows, frame sizes) and netfront's counters are read from
# the console at `xl shutdown`; a bad response fails the test.
# images: httpd
# timeout: 300
XN_BULK_GETS=${XN_BULK_GETS:-4}
work=/tmp/netfront-bulk
site=$work/site
rm -rf "$work" && mkdir -p "$site"
printf '<!DOCTYPE html>\n<title>bulk</title>\n' >"$site/index.html"
head -c 1048576 /dev/urandom >"$site/big.bin"
tar --format=ustar --owner=0 --group=0 --numeric-owner -C "$site" -cf "$work/site.img" . ||
    xt_fail "cannot pack the site"
size=$(stat -c %s "$work/site.img")
truncate -s $(( (size + 1048575) / 1048576 * 1048576 )) "$work/site.img"
xt_create bulk "kernel = \"$(xt_image httpd)\"" 'memory = 64' \
    'extra = "ip=10.0.0.15/24 gw=10.0.0.1"' "vif = ['mac=00:16:3e:00:00:15,bridge=xenbr0']" \
    "disk = ['format=raw,vdev=xvda,access=ro,target=$work/site.img']"
for _ in $(seq 300); do
    xt_console_has bulk "httpd: listening on port 80" && break
    xt_console_has bulk "xenolith: shutdown" && xt_fail "httpd ended at start: \"$(xt_console_last bulk)\""
    sleep 0.2
done
xt_console_has bulk "httpd: listening on port 80" ||
    xt_fail "httpd did not start (last line: \"$(xt_console_last bulk)\")"
vif="vif$(xl domid bulk).0"
pcap=$XT_OUT/netfront-bulk.pcap
tcpdump -i "$vif" -s 128 -w "$pcap" -U 'tcp port 80' 2>"$work/tcpdump.err" &
dump=$!
sleep 1
url=http://10.0.0.15/big.bin
curl -sS --max-time 20 -o /dev/null "$url" || xt_fail "the warm-up GET failed"
rates=
for i in $(seq "$XN_BULK_GETS"); do
    out=$(curl -sS --max-time 20 -o "$work/got" -w '%{time_total} %{speed_download}' "$url") ||
        xt_fail "GET $i of 1 MiB did not complete within 20 s"
    cmp -s "$work/got" "$site/big.bin" || xt_fail "GET $i: the bytes differ"
    set -- $out
    mbs=$(awk -v b="$2" 'BEGIN { printf "%.2f", b / 1048576 }')
    echo "xt: GET $i: 1 MiB in $1 s ($mbs MB/s)"
    rates="$rates $mbs"
done
sleep 0.5
kill "$dump"
wait "$dump" 2>/dev/null
cat "$work/tcpdump.err"
/usr/bin/python3 - "$pcap" <<'PYEOF' || true
# A summary of the capture: the guest (10.0.0.15:80) sends data, dom0 acknowledges.
import struct, sys
data = open(sys.argv[1], "rb").read()
magic = struct.unpack("<I", data[:4])[0]
end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
nano = magic in (0xa1b23c4d, 0x4d3cb2a1)
pos, pkts = 24, []
while pos + 16 <= len(data):
    s, frac, incl, orig = struct.unpack(end + "IIII", data[pos:pos + 16])
    pkts.append((s + frac / (1e9 if nano else 1e6), data[pos + 16:pos + 16 + incl], orig))
    pos += 16 + incl
t0 = pkts[0][0] if pkts else 0
flows = {}
for t, b, orig in pkts:
    if len(b) < 54 or b[12:14] != b"\x08\x00":
        continue
    ihl = (b[14] & 15) * 4
    iplen = struct.unpack(">H", b[16:18])[0]
    tcp = b[14 + ihl:]
    sp, dp, seq, ack = struct.unpack(">HHII", tcp[:12])
    doff = (tcp[12] >> 4) * 4
    flags, win = tcp[13], struct.unpack(">H", tcp[14:16])[0]
    payload = iplen - ihl - doff
    out = sp == 80
    port = dp if out else sp
    flows.setdefault(port, []).append((t - t0, out, seq, ack, flags, win, payload))
for port, f in sorted(flows.items()):
    data_pkts = [p for p in f if p[1] and p[6] > 0]
    if not data_pkts:
        continue
    total = sum(p[6] for p in data_pkts)
    span = data_pkts[-1][0] - data_pkts[0][0]
    hi, retrans = None, 0
    for p in data_pkts:
        if hi is not None and (p[2] - hi) & 0x80000000:
            retrans += 1
        e = (p[2] + p[6]) & 0xffffffff
        if hi is None or not ((e - hi) & 0x80000000):
            hi = e
    zero = sum(1 for p in f if not p[1] and p[5] == 0 and not p[4] & 4)
    sizes = sorted(p[6] for p in data_pkts)
    print(f"flow :{port}: {len(data_pkts)} data frames, {total} bytes in {span*1000:.1f} ms, "
          f"{retrans} retransmitted, {zero} zero windows from dom0, frame payload "
          f"min {sizes[0]} median {sizes[len(sizes)//2]} max {sizes[-1]}, "
          f"{sum(1 for p in f if not p[1])} packets from dom0")
    gaps = sorted(((f[i][0] - f[i - 1][0], i) for i in range(1, len(f))), reverse=True)[:5]
    for g, i in gaps:
        a, b = f[i - 1], f[i]
        desc = lambda p: (f"{'guest' if p[1] else 'dom0 '} {p[0]*1000:9.2f} ms seq {p[2]} "
                          f"ack {p[3]} flags {p[4]:#04x} win {p[5]} len {p[6]}")
        print(f"  gap {g*1000:7.2f} ms: {desc(a)}\n                   -> {desc(b)}")
PYEOF
xl shutdown bulk || xt_fail "xl shutdown failed"
xt_expect_end bulk poweroff 60
xt_expect_console bulk "netfront.vif0.bad_responses 0"
grep -E "netfront\.vif0\.(tx_|rx_|events|bad)|per 1000 frames|dev\.vif0\.tx_(gso|frames|segments)|tcp\." \
    "$(xt_console bulk)" | tail -n 60
xt_pass "1 MiB x $XN_BULK_GETS in MB/s:$rates"
