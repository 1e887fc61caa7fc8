#!/bin/sh
# test/net/dns.sh DNS_BINARY ZONES_IMAGE: the DNS server appliance's integration tests (part of
# make test-net; docs/DNS.md "Server appliance"). One network namespace with one TAP link
# (test/net/lib.sh), the appliance at 10.77.0.2 serving the sample zones (app/dns/disk), and the
# world's DNS clients on the Linux side: dig (BIND) and kdig (Knot).
#   answers     every answer kind, with dig over UDP and kdig over TCP: A, AAAA, MX (with the
#               exchange's addresses), TXT, SRV, NS, SOA, PTR in the reverse zone, a CNAME chain,
#               NODATA and NXDOMAIN (the SOA in authority with the negative TTL), a wildcard, an empty
#               non-terminal, a referral (no AA, NS in authority, glue), names in any case,
#               REFUSED outside the zones
#   edns        a 711-byte answer: truncated (TC) without EDNS and dig's retry over TCP gets it
#               whole; with +bufsize=4096 it comes whole over UDP; our OPT says 1232
#   tcp         several queries on one connection (kdig +keepopen), pipelined ones in one segment
#               answered in order, a silent connection closed at the idle timeout
#   errors      FORMERR for malformed queries (two questions, bytes after the end, two OPT
#               records: Python), NOTIMP for another opcode (dig +opcode=status), BADVERS for
#               EDNS version 1 (dig +edns=1)
#   rrl         a burst of identical queries from one client: a limited number answered, the
#               rest dropped or slipped (TC=1), counters at shutdown
#   zone-error  a zone with an error is refused at start-up with file and line; no disk likewise
#   shutdown    SIGTERM: exit status 0 and the counters
#   nmap        a fresh appliance (default options) under nmap (test/load/nmap.sh reads its
#               report): FIN/NULL/Xmas/ACK/Window/Maimon scans on 53 and 54 (RFC 9293 3.10.7),
#               OS detection (each probe's answer as RFC 9293, 792 and 3168 dictate; none to the
#               closed UDP port: no ICMP errors in this image), a UDP scan (53 open, 54
#               open|filtered), version detection (domain on TCP and UDP), 8-byte fragments
#               (dropped: no reassembly in this image, so filtered), bad checksums (no
#               answer, RFC 9293 3.10.7, RFC 1122 4.1.3.4), and the NSE scripts
#               dns-recursion (not enabled: RD copied, RA clear, RFC 1035 4.1.1), dns-nsid and
#               dns-zone-transfer (AXFR refused over TCP and the connection still answers); dig
#               answers after each, and at the exit the fragments, the bad checksums and the
#               datagrams to port 54 are counted as dropped
# Prints PASS/FAIL per case and "dns: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
. test/net/lib.sh
. test/load/nmap.sh

DNS_BIN=${1:-build/hosted/dns}
ZONES_IMG=${2:-build/dns/zones.img}
IP=10.77.0.2
IDLE=2
RATE=20

fail_all() { echo "test-net dns: $1"; echo "dns: 0 passed, 1 failed"; exit 1; }
[ "$(id -u)" -eq 0 ] || fail_all "needs root"
for tool in ip dig kdig nmap "$PY" timeout; do
    command -v "$tool" >/dev/null 2>&1 || fail_all "$tool is missing (scripts/deps.sh installs it)"
done
for f in "$DNS_BIN" "$ZONES_IMG"; do
    [ -e "$f" ] || fail_all "$f is not built"
done

trap 'net_cleanup' EXIT
trap 'net_cleanup; exit 130' INT
trap 'net_cleanup; exit 143' TERM
NET_TMP=$(mktemp -d /tmp/xenolith-test-dns.XXXXXX)
[ -n "${NET_KEEP:-}" ] && net_log "logs in $NET_TMP"
LOG=$NET_TMP/dns.log
OUT=$NET_TMP/out

start_dns() {
    net_spawn "$LOG" "$DNS_BIN" "tap=$NET_TAP" "ip=$IP/24" "$@"
    ECHO_PID=$NET_LAST_PID
}

# dig over UDP (no retries, so a lost answer shows) and kdig over TCP, into $OUT.
qd() { nsx dig @"$IP" +norec +time=2 +tries=1 "$@" > "$OUT" 2>&1; }
qk() { nsx kdig @"$IP" +tcp +norec +time=2 +retry=0 "$@" > "$OUT" 2>&1; }
# Case-insensitive: dig says "flags: qr aa; QUERY: 1, ANSWER: 3", kdig "Flags: qr aa; QUERY: 1;
# ANSWER: 3" (and "status: X," against "status: X;").
has() { grep -qiE "$1" "$OUT" || { echo "no /$1/ in:"; cat "$OUT"; return 1; }; }
hasnt() { ! grep -qiE "$1" "$OUT" || { echo "unexpected /$1/ in:"; cat "$OUT"; return 1; }; }
status() { has "status: $1[,;]"; }
aa() { has "flags: qr aa"; }
not_aa() { has "flags: qr;" && hasnt "flags: qr aa"; }

# ---- answers, over UDP (dig) and TCP (kdig) ----
answer_cases() {
    q=$1
    $q www.example.com A && status NOERROR && aa && has "www.example.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+CNAME[[:space:]]+web.example.com" &&
        has "web.example.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192.0.2.80" || return 1
    $q example.com AAAA && status NOERROR && has "IN[[:space:]]+AAAA[[:space:]]+2001:db8::1" || return 1
    $q example.com MX && has "MX[[:space:]]+10 mail.example.com" && has "MX[[:space:]]+20 mail2.example.net" &&
        has "mail.example.com\.[[:space:]]+600[[:space:]]+IN[[:space:]]+A[[:space:]]+192.0.2.25" || return 1
    $q txt.example.com TXT && has 'TXT[[:space:]]+"two" "strings" "with \\"quotes\\" and ; a semicolon"' || return 1
    $q _sip._tcp.example.com SRV && has "SRV[[:space:]]+10 60 5060 sip.example.com" && has "sip.example.com.*192.0.2.60" || return 1
    $q example.com NS && aa && has "NS[[:space:]]+ns1.example.com" && has "NS[[:space:]]+ns2.example.com" || return 1
    $q example.com SOA && has "SOA[[:space:]]+ns1.example.com. hostmaster.example.com. 2026120601 7200 900 1209600 300" || return 1
    $q -x 192.0.2.53 && status NOERROR && aa && has "53.2.0.192.in-addr.arpa\.[[:space:]]+86400[[:space:]]+IN[[:space:]]+PTR[[:space:]]+ns1.example.com" || return 1
    $q alias.example.com A && has "alias.example.com.*CNAME.*www.example.com" && has "www.example.com.*CNAME.*web.example.com" &&
        has "web.example.com.*A[[:space:]]+192.0.2.81" || return 1
    # NODATA and NXDOMAIN: the SOA in authority with min(SOA TTL, MINIMUM) = 300 (RFC 2308).
    $q web.example.com AAAA && status NOERROR && aa && has "ANSWER: 0" &&
        has "example.com\.[[:space:]]+300[[:space:]]+IN[[:space:]]+SOA" || return 1
    $q nothere.example.com A && status NXDOMAIN && aa && has "example.com\.[[:space:]]+300[[:space:]]+IN[[:space:]]+SOA" || return 1
    $q dangling.example.com A && status NXDOMAIN && has "CNAME[[:space:]]+nowhere.example.com" || return 1
    $q b.c.example.com A && status NOERROR && has "ANSWER: 0" || return 1
    # A wildcard (RFC 4592 3.3.1): synthesized under the name asked, NODATA without the type,
    # NXDOMAIN below an existing name (host.wild).
    $q any.thing.wild.example.com A && status NOERROR && aa &&
        has "any.thing.wild.example.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192.0.2.90" || return 1
    $q any.wild.example.com MX && status NOERROR && has "ANSWER: 0" && has "IN[[:space:]]+SOA" || return 1
    $q x.host.wild.example.com A && status NXDOMAIN || return 1
    # A referral: AA clear, NS in authority, glue in additional.
    $q www.sub.example.com A && status NOERROR && not_aa && has "ANSWER: 0" &&
        has "sub.example.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+NS[[:space:]]+ns.sub.example.com" &&
        has "ns.sub.example.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192.0.2.99" &&
        has "ns.sub.example.com\.[[:space:]]+3600[[:space:]]+IN[[:space:]]+AAAA[[:space:]]+2001:db8::99" || return 1
    $q WwW.ExAmPlE.cOm A && status NOERROR && has "192.0.2.80" || return 1
    $q www.example.org A && status REFUSED && has "ANSWER: 0" || return 1
    $q example.com AXFR > /dev/null 2>&1; true
}

# ---- EDNS sizes and truncation ----
edns_case() {
    nsx dig @"$IP" +norec +time=2 +tries=1 +noedns +ignore big.example.com TXT > "$OUT" 2>&1 &&
        has "flags: qr aa tc" && has "ANSWER: 0" || return 1
    # Without +ignore dig retries over TCP (RFC 7766 and RFC 1035 4.2.1) and gets all 6.
    nsx dig @"$IP" +norec +time=2 +tries=1 +noedns big.example.com TXT > "$OUT" 2>&1 &&
        has "Truncated, retrying in TCP mode" && has "ANSWER: 6" && has "\(TCP\)" || return 1
    nsx dig @"$IP" +norec +time=2 +tries=1 +bufsize=4096 big.example.com TXT > "$OUT" 2>&1 &&
        has "ANSWER: 6" && has "\(UDP\)" && has "udp: 1232" && has "MSG SIZE  rcvd: 7[0-9][0-9]" || return 1
    nsx kdig @"$IP" +norec +bufsize=512 +ignore big.example.com TXT > "$OUT" 2>&1 && has "flags: qr aa tc" || return 1
    nsx kdig @"$IP" +norec +bufsize=512 big.example.com TXT > "$OUT" 2>&1 && has "ANSWER: 6" && has "\(TCP\)" || return 1
}

# ---- TCP: one connection, several queries; pipelined; idle timeout ----
tcp_keepopen_case() {
    nsx kdig @"$IP" +tcp +keepopen +norec www.example.com A example.com MX nothere.example.com A \
        _sip._tcp.example.com SRV > "$OUT" 2>&1 || return 1
    [ "$(grep -c 'status: NOERROR' "$OUT")" -eq 3 ] && [ "$(grep -c 'status: NXDOMAIN' "$OUT")" -eq 1 ] || { cat "$OUT"; return 1; }
}

raw() { nsx "$PY" - "$IP" "$@" > "$OUT" 2>&1 <<'EOF'
import socket, struct, sys, time
ip, case = sys.argv[1], sys.argv[2]
def q(name, qtype=1, qid=1, flags=0, qd=1, an=0, ar=0):
    wire = b"".join(bytes([len(l)]) + l.encode() for l in name.split(".")) + b"\0"
    return struct.pack(">HHHHHH", qid, flags, qd, an, 0, ar) + wire + struct.pack(">HH", qtype, 1)
def udp(msg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
    s.sendto(msg, (ip, 53)); return s.recv(65535)
def rcode(resp): return resp[3] & 15
if case == "pipelined":
    s = socket.create_connection((ip, 53), timeout=3)
    msgs = [q("www.example.com", 1, i + 1) for i in range(5)]
    s.sendall(b"".join(struct.pack(">H", len(m)) + m for m in msgs))  # one segment
    buf = b""
    ids = []
    while len(ids) < 5:
        while len(buf) < 2 or len(buf) < 2 + struct.unpack(">H", buf[:2])[0]:
            chunk = s.recv(65535)
            if not chunk: sys.exit("closed early after %s" % ids)
            buf += chunk
        n = struct.unpack(">H", buf[:2])[0]; m = buf[2:2 + n]; buf = buf[2 + n:]
        ids.append(struct.unpack(">H", m[:2])[0]); assert rcode(m) == 0
    assert ids == [1, 2, 3, 4, 5], ids
    print("in order", ids)
elif case == "idle":
    s = socket.create_connection((ip, 53), timeout=10)
    t = time.time(); data = s.recv(100); took = time.time() - t
    assert data == b"", data
    assert 1.5 < took < 6, took
    print("closed after %.1f s" % took)
elif case == "formerr":
    good = q("www.example.com")
    assert rcode(udp(good)) == 0
    two = q("www.example.com", qd=2)
    r = udp(two); assert rcode(r) == 1 and r[:2] == two[:2], r
    r = udp(good + b"\0\0"); assert rcode(r) == 1, r
    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
    r = udp(q("www.example.com", ar=2) + opt + opt); assert rcode(r) == 1, r
    r = udp(struct.pack(">HHHHHH", 7, 0, 1, 0, 0, 0) + b"\xc0\x0c\0\1\0\1"); assert rcode(r) == 1, r
    print("FORMERR x4")
elif case == "axfr":
    # AXFR over TCP is refused (no zone transfers, docs/DNS.md) and the connection stays open
    # for the next query (RFC 7766 6.2.1).
    s = socket.create_connection((ip, 53), timeout=3)
    def ask(m):
        s.sendall(struct.pack(">H", len(m)) + m)
        n = struct.unpack(">H", s.recv(2))[0]
        r = b""
        while len(r) < n: r += s.recv(n - len(r))
        return r
    axfr = q("example.com", 252, 9)
    r = ask(axfr)
    assert r[:2] == axfr[:2] and r[2] & 0x80 and rcode(r) == 5, r
    assert r[12:] == axfr[12:], r        # the question echoed, nothing else
    r = ask(q("www.example.com", 1, 10))
    assert r[:2] == b"\0\x0a" and rcode(r) == 0 and struct.unpack(">H", r[6:8])[0] > 0, r
    print("AXFR REFUSED, next query answered")
elif case == "burst":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
    n = int(sys.argv[3])
    for i in range(n):
        s.sendto(q("ns1.example.com", 1, i), (ip, 53))
    full = slips = 0
    try:
        while True:
            r = s.recv(65535)
            an = struct.unpack(">H", r[6:8])[0]
            if r[2] & 2 and an == 0: slips += 1
            elif an > 0: full += 1
    except socket.timeout:
        pass
    print("full %d slips %d dropped %d" % (full, slips, n - full - slips))
EOF
}

pipelined_case() { raw pipelined && has "in order"; }
idle_case() { raw idle && has "closed after"; }
formerr_case() { raw formerr && has "FORMERR x4"; }
notimp_case() { qd +opcode=status example.com SOA && status NOTIMP; }
badvers_case() { qd +edns=1 +noednsneg example.com SOA && status BADVERS; }

# 100 identical queries at once from one client: RATE answered whole, of the rest every 2nd
# slips (TC=1, so an honest client retries over TCP) and the others are dropped.
rrl_case() {
    raw burst 100 || return 1
    cat "$OUT"
    full=$(sed -nE 's/full ([0-9]+) .*/\1/p' "$OUT")
    slips=$(sed -nE 's/.*slips ([0-9]+) .*/\1/p' "$OUT")
    [ "$full" -ge "$RATE" ] && [ "$full" -le $((RATE + 5)) ] && [ "$slips" -ge 30 ] && [ "$slips" -le 45 ]
}

stop_case() {
    net_stop "$ECHO_PID" 10
    [ "$NET_EXIT_STATUS" -eq 0 ] || { echo "exit status $NET_EXIT_STATUS"; tail -n 20 "$LOG"; return 1; }
    grep -q "xenolith: shutdown: success" "$LOG" && grep -qE "^dns.rrl.slipped [1-9]" "$LOG" &&
        grep -qE "^dns.tcp_connections [1-9]" "$LOG" && grep -qE "^dns.formerr [4-9]" "$LOG" ||
        { grep "^dns\." "$LOG"; return 1; }
}

# A zone with an error: the appliance refuses to start and names the file and line.
zone_error_case() {
    stage=$NET_TMP/bad
    mkdir -p "$stage/zones"
    cp app/dns/disk/zones/example.com.zone "$stage/zones/"
    printf '$TTL 60\n@ SOA ns1.bad.test. h.bad.test. 1 2 3 4 5\n  NS ns1.bad.test.\nok A 192.0.2.1\nbroken A 192.0.2.256\n' \
        > "$stage/zones/bad.test.zone"
    scripts/mkdisk.sh "$stage" "$NET_TMP/bad.img" >/dev/null || return 1
    nsx timeout 10 "$DNS_BIN" "tap=$NET_TAP" "ip=$IP/24" "disk=$NET_TMP/bad.img" > "$OUT" 2>&1
    rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && has "zones/bad.test.zone:5: bad IPv4 address '192.0.2.256'" &&
        has "not starting" && hasnt "listening" || return 1
    nsx timeout 10 "$DNS_BIN" "tap=$NET_TAP" "ip=$IP/24" > "$OUT" 2>&1
    rc=$?
    [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && has "no zone disk"
}

# ---- nmap against a fresh appliance with the default options ----
NMAP_OUT=$NET_TMP
nmap_nsx() { nsx "$@"; }
dns_alive() { qd www.example.com A && status NOERROR && has "192.0.2.80"; }
# then_alive COMMAND...: the command passes and dig is answered afterwards.
then_alive() { "$@" && dns_alive; }
nmap_os_case() {
    nmap_run nmap-os -O --max-os-tries 1 -d -p 53,54 -T4 "$IP" &&
        nmap_os_verdicts nmap-os "$NMAP_OS_TCP_VERDICTS
U1\\(R=N\\)"
}
nmap_udp_case() {
    nmap_run nmap-udp -sU -p 53,54 -T4 "$IP" && nmap_port nmap-udp 53/udp open udp-response &&
        nmap_port nmap-udp 54/udp 'open|filtered' no-response
}
nmap_version_case() {
    nmap_run nmap-version -sV -sS -sU -p T:53,U:53 -T4 "$IP" &&
        grep -qE '^53/tcp +open +domain ' "$NMAP_OUT/nmap-version.txt" &&
        grep -qE '^53/udp +open +domain ' "$NMAP_OUT/nmap-version.txt"
}
nmap_fragments_case() {
    nmap_run nmap-frag -sS -f -p 53,54 -T4 --max-retries 1 "$IP" &&
        nmap_port nmap-frag 53/tcp filtered no-response && nmap_port nmap-frag 54/tcp filtered no-response
}
nmap_bad_checksums_case() {
    nmap_run nmap-badsum -sS -sU --badsum -p T:53,U:53 -T4 --max-retries 1 "$IP" &&
        nmap_port nmap-badsum 53/tcp filtered no-response && nmap_port nmap-badsum 53/udp 'open|filtered' no-response
}
nmap_scripts_case() {
    nmap_run nmap-dns -sS -sU -p T:53,U:53 -T4 --script dns-recursion,dns-nsid,dns-zone-transfer \
        --script-args dns-zone-transfer.domain=example.com "$IP" || return 1
    # Scripts print only what they found: neither recursion nor a transferred record.
    ! grep -qiE 'recursion appears to be enabled|dns-zone-transfer' "$NMAP_OUT/nmap-dns.txt" || return 1
    # RFC 1035 4.1.1: RD is copied into the response, RA clear (no recursion here).
    nsx dig @"$IP" +rec +time=2 +tries=1 www.example.com A > "$OUT" 2>&1 && has "flags: qr aa rd;" || return 1
    nsx dig @"$IP" +rec +time=2 +tries=1 www.example.org A > "$OUT" 2>&1 && status REFUSED &&
        has "flags: qr rd;" || return 1
    # RFC 6891 6.1.2: an option not understood (NSID) is ignored; the answer is the usual one.
    nsx dig @"$IP" +norec +nsid +time=2 +tries=1 www.example.com A > "$OUT" 2>&1 && status NOERROR &&
        hasnt "; NSID:" || return 1
    raw axfr && has "AXFR REFUSED, next query answered"
}
nmap_counted_case() {
    net_stop "$ECHO_PID" 10
    [ "$NET_EXIT_STATUS" -eq 0 ] || { echo "exit status $NET_EXIT_STATUS"; tail -n 20 "$LOG"; return 1; }
    grep -E '^ipv4\.rx_(fragments|reassembly_drops) |^udp\.rx_no_port |^icmp\.tx_dest_unreachable |^(tcp|udp)\.rx_bad_checksum ' "$LOG"
    grep -qE '^ipv4\.rx_reassembly_drops [1-9]' "$LOG" && grep -qE '^udp\.rx_no_port [1-9]' "$LOG" &&
        grep -qE '^icmp\.tx_dest_unreachable 0$' "$LOG" && grep -qE '^tcp\.rx_bad_checksum [1-9]' "$LOG" &&
        grep -qE '^udp\.rx_bad_checksum [1-9]' "$LOG"
}
nmap_cases() {
    start_dns "disk=$ZONES_IMG"
    wait_for_line "$LOG" "listening on port 53" 10 || { net_fail nmap-start "$(tail -n 5 "$LOG")"; return; }
    check nmap-odd-flags then_alive nmap_odd_flags "$IP" 53 54 nmap
    check nmap-os then_alive nmap_os_case
    check nmap-udp then_alive nmap_udp_case
    check nmap-version then_alive nmap_version_case
    check nmap-fragments then_alive nmap_fragments_case
    check nmap-bad-checksums then_alive nmap_bad_checksums_case
    check nmap-scripts then_alive nmap_scripts_case
    check nmap-counted nmap_counted_case
}

net_setup || fail_all "cannot create the namespace"
start_dns "disk=$ZONES_IMG" -- "tcp-idle=$IDLE" "rrl=$RATE"
if wait_for_line "$LOG" "listening on port 53" 10; then net_pass start; else net_fail start "$(tail -n 5 "$LOG")"; fi
check answers-udp-dig answer_cases qd
check answers-tcp-kdig answer_cases qk
check edns-tc-tcp-retry edns_case
check tcp-keepopen tcp_keepopen_case
check tcp-pipelined pipelined_case
check tcp-idle-timeout idle_case
check formerr formerr_case
check notimp notimp_case
check badvers badvers_case
check rrl-burst rrl_case
check shutdown stop_case
check zone-error zone_error_case
nmap_cases

echo "dns: $NET_PASSED passed, $NET_FAILED failed"
[ "$NET_FAILED" -eq 0 ]
