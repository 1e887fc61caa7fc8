#!/bin/sh
# Captures the seed corpus of fuzz_dns (test/fuzz/corpus/dns/): real queries from dig and real
# answers from dnsmasq, over UDP and TCP, in a private network namespace (loopback only).
# Run as root from the repository's top directory:  unshare -n test/fuzz/capture-dns-corpus.sh
# Needs dnsmasq, dig (bind9-dnsutils) and tshark. Each message becomes one file, named after the
# query that produced it (q- for the query, r- for the answer); TCP frames lose their 2-byte length.
set -eu
out=test/fuzz/corpus/dns
work=$(mktemp -d)
ip link set lo up
big=""
for i in $(seq 1 40); do big="$big --host-record=big.example.test,10.1.0.$i"; done
# shellcheck disable=SC2086
dnsmasq --no-daemon --no-resolv --no-hosts --no-ping --port=53 --listen-address=127.0.0.1 \
    --bind-interfaces --local=/example.test/ --domain-needed \
    --host-record=www.example.test,10.0.0.1,fd00::1 --host-record=Mixed.Example.Test,10.0.0.2 \
    --address=/wild.test/10.9.9.9 --cname=alias.example.test,www.example.test \
    --mx-host=example.test,mail.example.test,10 \
    --srv-host=_sip._udp.example.test,sip.example.test,5060,1,2 \
    --txt-record=txt.example.test,"v=spf1 -all","second string" \
    --ptr-record=1.0.0.10.in-addr.arpa,www.example.test \
    --auth-server=ns.example.test,lo --auth-zone=example.test \
    --auth-soa=2026120601,hostmaster.example.test $big >"$work/dnsmasq.log" 2>&1 &
dnsmasq_pid=$!
tshark -i lo -w "$work/cap.pcap" -f "port 53" >"$work/tshark.log" 2>&1 &
tshark_pid=$!
sleep 2
n=0
query() {
    n=$((n + 1))
    dig @127.0.0.1 "$@" >/dev/null || true
    echo "$n $*" >>"$work/names"
}
query www.example.test A +noedns
query www.example.test AAAA
query WWW.EXAMPLE.TEST A +dnssec
query alias.example.test A
query example.test MX
query _sip._udp.example.test SRV
query txt.example.test TXT
query -x 10.0.0.1
query nonexistent.example.test A
query www.example.test TXT
query a.wild.test A +cookie
query example.test SOA
query example.test NS
query example.test ANY
query www.example.test A +tcp
query Mixed.Example.Test A +bufsize=1232
query outside.invalid A
query big.example.test A +noedns +ignore
query big.example.test A +tcp
sleep 1
kill "$tshark_pid" "$dnsmasq_pid"
wait "$tshark_pid" "$dnsmasq_pid" 2>/dev/null || true
mkdir -p "$out"
# one message per line: hex of the UDP payload, or of the TCP payload without its length prefix
tshark -r "$work/cap.pcap" -T fields -e udp.payload -e tcp.payload 2>/dev/null |
    tr -d '\t' | awk 'length($0) > 24' | /usr/bin/python3 -c '
import sys
seen = set()
for i, line in enumerate(sys.stdin):
    data = bytes.fromhex(line.strip())
    if len(data) >= 2 and (data[0] << 8 | data[1]) == len(data) - 2:
        data = data[2:]   # a TCP frame: RFC 1035 4.2.2 length prefix
    if data in seen:
        continue
    seen.add(data)
    kind = "r" if data[2] & 0x80 else "q"
    open("'"$out"'/%s-%03d" % (kind, i), "wb").write(data)
'
rm -rf "$work"
ls "$out" | wc -l
