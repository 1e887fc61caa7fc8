#!/bin/bash
# bench/dns.sh OUTDIR: authoritative DNS queries per second, Xenolith's DNS appliance and NSD side
# by side in the same run, one server at a time, the same zones (app/dns/disk/zones), the same
# query mix, the same client: Debian's dnsperf.
#   xenolith  build/hosted/dns on TAP xdtap0 (10.79.6.2) with the zones' disk image
#             (build/dns/zones.img), rate limiting off (rrl=0: the bench is one client)
#   nsd       Debian's nsd in a peer namespace over a veth (10.79.7.2): one server process
#             (server-count 1, as ours is one CPU), rate limiting off, the same zone files; its
#             configuration is written here and kept in OUTDIR/dns/nsd.conf
# dnsperf runs for BENCH_DNS_SECONDS (10) against each: 4 clients, at most 100 queries
# outstanding, over UDP, cycling through bench/dns-queries.txt (answers, a CNAME, NODATA,
# NXDOMAIN, a referral, SRV and MX with additional records, PTR in the reverse zone).
# The namespaces are xbdns-<pid> (client, TAP) and xbdns-peer-<pid> (nsd); the trap stops
# everything and deletes both on every exit path. Writes OUTDIR/dns.txt ("SERVER.METRIC VALUE"
# lines) and dnsperf's reports in OUTDIR/dns/.
set -u
cd "$(dirname "$0")/.." || exit 1
out=$1
secs=${BENCH_DNS_SECONDS:-10}
DNS=build/hosted/dns
ZONES_IMG=build/dns/zones.img
QUERIES=bench/dns-queries.txt
NS=xbdns-$$
PEER=xbdns-peer-$$
PIDS=""
D=$out/dns
mkdir -p "$D"
: > "$out/dns.txt"
NSD_DIR=""

. bench/lib.sh
cleanup() {
    bench_stop_servers
    [ -n "$NSD_DIR" ] && rm -rf "$NSD_DIR"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

fail() { echo "bench dns: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces, TAP devices)"
for t in dnsperf nsd dig ip; do command -v $t >/dev/null || fail "$t missing (scripts/deps.sh bench)"; done
for f in "$DNS" "$ZONES_IMG" "$QUERIES"; do [ -e "$f" ] || fail "$f not built"; done

# NSD's zone files and configuration: the appliance's own zones, copied.
NSD_DIR=$(mktemp -d /tmp/xenolith-bench-nsd.XXXXXX)
cp app/dns/disk/zones/*.zone "$NSD_DIR/"
{
    echo "# Written by bench/dns.sh: Debian's NSD, one server process, no rate limiting."
    echo "server:"
    echo "    ip-address: 10.79.7.2"
    echo "    port: 53"
    echo "    server-count: 1"
    echo "    username: \"\""
    echo "    chroot: \"\""
    echo "    zonesdir: \"$NSD_DIR\""
    echo "    database: \"\""
    echo "    zonelistfile: \"$NSD_DIR/zone.list\""
    echo "    xfrdfile: \"$NSD_DIR/xfrd.state\""
    echo "    xfrdir: \"$NSD_DIR\""
    echo "    pidfile: \"$NSD_DIR/nsd.pid\""
    echo "    logfile: \"$NSD_DIR/nsd.log\""
    echo "    verbosity: 1"
    echo "    rrl-ratelimit: 0"
    echo "    rrl-whitelist-ratelimit: 0"
    echo "remote-control:"
    echo "    control-enable: no"
    for f in app/dns/disk/zones/*.zone; do
        z=$(basename "$f" .zone)
        printf 'zone:\n    name: "%s"\n    zonefile: "%s"\n' "$z" "$NSD_DIR/$z.zone"
    done
} > "$NSD_DIR/nsd.conf"
cp "$NSD_DIR/nsd.conf" "$D/nsd.conf"
nsd-checkconf "$NSD_DIR/nsd.conf" || fail "nsd refuses the configuration"

ip netns add "$NS" && ip netns add "$PEER" || fail "cannot create namespaces"
for ns in "$NS" "$PEER"; do
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1
done
ip netns exec "$NS" ip tuntap add dev xdtap0 mode tap && ip netns exec "$NS" ip addr add 10.79.6.1/24 dev xdtap0 &&
    ip netns exec "$NS" ip link set xdtap0 up || fail "cannot create the TAP device"
ip netns exec "$NS" ip link add xdveth0 type veth peer name xdveth1 netns "$PEER" &&
    ip netns exec "$NS" ip addr add 10.79.7.1/24 dev xdveth0 && ip netns exec "$NS" ip link set xdveth0 up &&
    ip netns exec "$PEER" ip addr add 10.79.7.2/24 dev xdveth1 && ip netns exec "$PEER" ip link set xdveth1 up ||
    fail "cannot create the veth pair"

spawn() {
    ns=$1 log=$2; shift 2
    ip netns exec "$ns" "$@" > "$log" 2>&1 &
    PIDS="$PIDS $!"
    LAST=$!
}
stop() {
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
# Waits until the server answers a query for the zone's SOA.
ready() {
    for _ in $(seq 50); do
        ip netns exec "$NS" dig @"$1" +time=1 +tries=1 +short example.com SOA 2>/dev/null | grep -q hostmaster && return 0
        sleep 0.2
    done
    return 1
}
# dnsperf against $2, its report into $D/$1.txt, the figures into dns.txt.
measure() {
    name=$1 ip=$2
    ip netns exec "$NS" dnsperf -s "$ip" -d "$QUERIES" -l "$secs" -c 4 -q 100 -t 2 > "$D/$name.txt" 2>&1 ||
        fail "dnsperf against $name failed: $(tail -3 "$D/$name.txt")"
    awk -v s="$name" '
        /Queries sent:/ { print s ".sent " $3 }
        /Queries completed:/ { print s ".completed " $3 }
        /Queries lost:/ { print s ".lost " $3 }
        /Queries per second:/ { printf "%s.qps %d\n", s, $4 }
        /Average Latency/ { printf "%s.latency_us %d\n", s, $4 * 1000000 }
        /Response codes:/ { sub(/.*Response codes: */, ""); print s ".rcodes " $0 }' "$D/$name.txt" >> "$out/dns.txt"
}

# ---- ours ----
spawn "$NS" "$D/xenolith.log" "$DNS" tap=xdtap0 ip=10.79.6.2/24 "disk=$ZONES_IMG" log=warn -- rrl=0
XPID=$LAST
ready 10.79.6.2 || fail "the appliance does not answer: $(tail -5 "$D/xenolith.log")"
measure xenolith 10.79.6.2
stop "$XPID"

# ---- NSD ----
spawn "$PEER" "$D/nsd.log" nsd -d -c "$NSD_DIR/nsd.conf"
NPID=$LAST
ready 10.79.7.2 || fail "nsd does not answer: $(tail -5 "$D/nsd.log" "$NSD_DIR/nsd.log" 2>/dev/null)"
measure nsd 10.79.7.2
stop "$NPID"

echo "nsd.version $(nsd -v 2>&1 | head -1 | awk '{ print $NF }')" >> "$out/dns.txt"
echo "dnsperf.version $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }')" >> "$out/dns.txt"
echo "xenolith.image_bytes $(stat -c %s build/xen/dns 2>/dev/null || echo 0)" >> "$out/dns.txt"
echo "seconds $secs" >> "$out/dns.txt"
cat "$out/dns.txt"
