# dns-xen: the authoritative DNS appliance as a PVH domU on real Xen: dom0 packs a zone into a
# ustar disk image, attaches it read-only as xvda with a vif on xenbr0; from dom0, dig (BIND)
# queries it over netfront: an answer with a CNAME over UDP and over TCP, NXDOMAIN with the SOA,
# NODATA, a referral with glue (AA clear), REFUSED outside the zone, and an RRset too large for
# 512 bytes truncated over UDP and fetched whole by dig's TCP retry. Then `xl shutdown` must end
# the appliance cleanly (poweroff) with its counters on the console.
# images: dns
# timeout: 240
d=/tmp/dns-xen
rm -rf "$d" && mkdir -p "$d/disk/zones"
command -v dig >/dev/null || xt_fail "dig is missing in dom0 (bind9-dnsutils, DOM0_PACKAGES)"
long=0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
{
    printf '$TTL 300\n@ SOA ns1 hostmaster ( 1 3600 900 604800 60 )\n  NS ns1\n  MX 10 mail\n'
    printf 'ns1 A 10.0.0.13\nmail A 10.0.0.25\nwww CNAME web\nweb A 10.0.0.80\n  AAAA 2001:db8::80\n'
    printf 'sub NS ns.sub\nns.sub A 10.0.0.99\n'
    for i in 1 2 3 4 5 6; do printf 'big TXT "%s%s"\n' "$i" "$long"; done
} >"$d/disk/zones/xen.test.zone"
tar --format=ustar --owner=0 --group=0 --numeric-owner -C "$d/disk" -cf "$d/zones.img" . ||
    xt_fail "cannot pack the zones"
size=$(stat -c %s "$d/zones.img")
truncate -s $(( (size + 1048575) / 1048576 * 1048576 )) "$d/zones.img"
xt_create dns "kernel = \"$(xt_image dns)\"" 'memory = 32' \
    'extra = "ip=10.0.0.13/24 gw=10.0.0.1"' "vif = ['mac=00:16:3e:00:00:13,bridge=xenbr0']" \
    "disk = ['format=raw,vdev=xvda,access=ro,target=$d/zones.img']"
for _ in $(seq 300); do
    xt_console_has dns "dns: listening on port 53" && break
    xt_console_has dns "xenolith: shutdown" && xt_fail "dns ended at start: \"$(xt_console_last dns)\""
    sleep 0.2
done
xt_console_has dns "dns: listening on port 53" ||
    xt_fail "dns did not start (last line: \"$(xt_console_last dns)\")"
xt_expect_console dns "dns: zone xen.test: 16 records from zones/xen.test.zone"
q() { dig @10.0.0.13 +norec +time=5 +tries=2 "$@" >"$d/out" 2>&1 || xt_fail "dig $*: $(tail -3 "$d/out")"; }
has() { grep -qE "$1" "$d/out" || xt_fail "dig: no /$1/ in: $(tr '\n' ' ' <"$d/out")"; }
q www.xen.test A
has "status: NOERROR" && has "flags: qr aa;" && has "CNAME[[:space:]]+web.xen.test" && has "A[[:space:]]+10.0.0.80"
q +tcp web.xen.test AAAA
has "status: NOERROR" && has "AAAA[[:space:]]+2001:db8::80" && has "\(TCP\)"
q xen.test MX
has "MX[[:space:]]+10 mail.xen.test" && has "mail.xen.test.*A[[:space:]]+10.0.0.25"
q nothere.xen.test A
has "status: NXDOMAIN" && has "xen.test\.[[:space:]]+60[[:space:]]+IN[[:space:]]+SOA"
q web.xen.test MX
has "status: NOERROR" && has "ANSWER: 0" && has "SOA"
q host.sub.xen.test A
has "flags: qr;" && has "sub.xen.test.*NS[[:space:]]+ns.sub.xen.test" && has "ns.sub.xen.test.*A[[:space:]]+10.0.0.99"
q www.example.org A
has "status: REFUSED"
q +noedns +ignore big.xen.test TXT
has "flags: qr aa tc;"
q +noedns big.xen.test TXT
has "Truncated, retrying in TCP mode" && has "ANSWER: 6"
xl shutdown dns || xt_fail "xl shutdown failed"
xt_expect_end dns poweroff 60
grep -qE "dns.udp_queries [1-9]" "$(xt_console dns)" && grep -qE "dns.tcp_queries [1-9]" "$(xt_console dns)" ||
    xt_fail "no query counters on the console (last line: \"$(xt_console_last dns)\")"
xt_pass "zones over blkfront, answered over netfront: CNAME, UDP and TCP, NXDOMAIN, NODATA, referral, REFUSED, TC and TCP retry"
