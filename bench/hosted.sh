#!/bin/bash
# bench/hosted.sh OUTDIR: hosted throughput and latency of three servers in the same run, each
# serving the sample site's index.html and big.txt (1 MiB) to wrk:
#   xenolith  build/hosted/httpd on TAP xbtap0 (10.79.0.2), its site on the disk image
#   lwip      build/bench/httpd_lwip (lwIP 2.1.3 on its tapif) on TAP xbtap1 (10.79.2.2)
#   linux     build/bench/static_server on Linux's stack, in a peer namespace over a veth (10.79.1.2)
# plus iperf3 over the same veth (Linux to Linux, the link's ceiling). wrk and the hosts' sides live
# in a namespace this script creates (xbench-<pid>, the Linux server in xbench-peer-<pid>); no
# traffic leaves them; the trap stops every process and deletes both namespaces on every exit path.
#
# The three servers run side by side (idle but for the one measured) and wrk measures one at a time:
# first a warm-up run per server (2 s, discarded: the first connections, fiber stacks and buffers
# of a fresh process), then BENCH_ROUNDS rounds (default 3) of the index.html run over all three,
# in an order that rotates each round, so no server always comes first after whatever ran before
# the bench (the Xen test bed's teardown, say) and a passing stall of the machine hits one round of
# one server rather than its only figure. Each figure is the median over the rounds; every round's
# p99 is kept beside it. wrk corrects its latencies for coordinated omission (a response late by T
# adds samples at T - i * interval, the interval being the mean time between a connection's
# requests), so at tens of thousands of requests a second one stall of tens of milliseconds fills a
# percent of the samples: p99 is a measure of the rarest stalls, and one round's figure is noise.
# Then the bulk run (big.txt, 2 connections) once per server.
# Writes OUTDIR/hosted.txt: "SERVER.METRIC VALUE" lines (req_s, small_p50_us, small_p99_us,
# small_p99_us_rounds, bulk_MB_s), and each tool's output beside it. BENCH_SECONDS (default 10)
# per wrk run.
set -u
out=$1
secs=${BENCH_SECONDS:-10}
rounds=${BENCH_ROUNDS:-3}
HTTPD=build/hosted/httpd
LWIP=build/bench/httpd_lwip
STATIC=build/bench/static_server
SITE_IMG=build/httpd/site.img
NS=xbench-$$
PEER=xbench-peer-$$
PIDS=""
mkdir -p "$out"
: > "$out/hosted.txt"

. bench/lib.sh
cleanup() {
    bench_stop_servers
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

fail() { echo "bench hosted: $*" >&2; exit 1; }
nsx() { ip netns exec "$NS" "$@"; }
[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces, TAP devices)"
for t in wrk iperf3 curl ip; do command -v $t >/dev/null || fail "$t missing (scripts/deps.sh)"; done
for f in "$HTTPD" "$LWIP" "$STATIC" "$SITE_IMG"; do [ -e "$f" ] || fail "$f not built"; done

# The files the references serve: exactly the bytes on the appliance's disk.
files=$out/site
rm -rf "$files" && mkdir -p "$files"
tar -xf "$SITE_IMG" -C "$files" 2>/dev/null
[ -f "$files/index.html" ] && [ -f "$files/big.txt" ] || fail "cannot unpack $SITE_IMG"

ip netns add "$NS" && ip netns add "$PEER" || fail "cannot create namespaces"
nsx ip link set lo up
ip netns exec "$PEER" ip link set lo up
for ns in "$NS" "$PEER"; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1; done
nsx ip tuntap add dev xbtap0 mode tap && nsx ip addr add 10.79.0.1/24 dev xbtap0 && nsx ip link set xbtap0 up
nsx ip tuntap add dev xbtap1 mode tap && nsx ip addr add 10.79.2.1/24 dev xbtap1 && nsx ip link set xbtap1 up
nsx ip link add xbveth0 type veth peer name xbveth1 netns "$PEER"
nsx ip addr add 10.79.1.1/24 dev xbveth0 && nsx ip link set xbveth0 up
ip netns exec "$PEER" ip addr add 10.79.1.2/24 dev xbveth1
ip netns exec "$PEER" ip link set xbveth1 up

spawn() {                               # spawn LOG NAMESPACE COMMAND...
    log=$1 ns=$2; shift 2
    ip netns exec "$ns" "$@" > "$log" 2>&1 &
    PIDS="$PIDS $!"
    LAST=$!
}
stop() {
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null
    PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}
ready() {                               # ready URL: the first answer within 10 s
    for _ in $(seq 100); do nsx curl -sf -o /dev/null --max-time 1 "$1" && return 0; sleep 0.1; done
    return 1
}
# wrk's latency percentile ("50%" / "99%") in microseconds.
pct_us() {
    awk -v p="$2" '$1 == p { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        f = (u == "us") ? 1 : (u == "ms") ? 1000 : (u == "s") ? 1000000 : 0; printf "%d\n", v * f }' "$1"
}
# wrk's Transfer/sec in MB/s.
mb_s() {
    awk '$1 == "Transfer/sec:" { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[A-Za-z]+$/, "", v);
        f = (u == "KB") ? 1/1024 : (u == "MB") ? 1 : (u == "GB") ? 1024 : 1/1048576; printf "%.1f\n", v * f }' "$1"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
# One wrk run of index.html with 10 connections; its figures to OUTDIR/small-SERVER.rounds.
small_run() {                           # small_run NAME BASE_URL ROUND
    name=$1 url=$2 round=$3
    f=$out/wrk-$name-small-$round.txt
    nsx wrk -t 1 -c 10 -d "${secs}s" --latency "$url/index.html" > "$f" 2>&1 ||
        fail "wrk against $name failed: $(tail -3 "$f")"
    if grep -qE "Socket errors|Non-2xx" "$f"; then
        echo "$name.small_errors round $round: $(grep -E 'Socket errors|Non-2xx' "$f" | tr -s ' ' | tr '\n' ' ')" >> "$out/hosted.txt"
    fi
    echo "$(awk '$1 == "Requests/sec:" { printf "%d\n", $2 }' "$f") $(pct_us "$f" 50%) $(pct_us "$f" 99%) $round" >> "$out/small-$name.rounds"
    echo "bench hosted: $name round $round: $(tail -1 "$out/small-$name.rounds")"
}
small_summary() {                       # small_summary NAME: medians over the rounds
    name=$1 r=$out/small-$name.rounds
    {
        echo "$name.req_s $(awk '{ print $1 }' "$r" | median)"
        echo "$name.small_p50_us $(awk '{ print $2 }' "$r" | median)"
        echo "$name.small_p99_us $(awk '{ print $3 }' "$r" | median)"
        echo "$name.small_p99_us_rounds $(awk '{ printf "%s%s", sep, $3; sep = "," } END { print "" }' "$r")"
    } >> "$out/hosted.txt"
    # The round whose p99 is the median stands for the server in wrk-NAME-small.txt.
    mid=$(sort -k3,3n "$r" | awk '{ v[NR] = $4 } END { print v[int((NR + 1) / 2)] }')
    cp "$out/wrk-$name-small-$mid.txt" "$out/wrk-$name-small.txt"
}
bulk_run() {                            # bulk_run NAME BASE_URL
    name=$1 url=$2
    nsx wrk -t 1 -c 2 -d "${secs}s" "$url/big.txt" > "$out/wrk-$name-bulk.txt" 2>&1 ||
        fail "wrk (bulk) against $name failed"
    if grep -qE "Socket errors|Non-2xx" "$out/wrk-$name-bulk.txt"; then
        echo "$name.bulk_errors $(grep -E 'Socket errors|Non-2xx' "$out/wrk-$name-bulk.txt" | tr -s ' ' | tr '\n' ' ')" >> "$out/hosted.txt"
    fi
    echo "$name.bulk_MB_s $(mb_s "$out/wrk-$name-bulk.txt")" >> "$out/hosted.txt"
    echo "bench hosted: $name bulk done"
}

# Xenolith's appliance (no access log: the console would be measured, not the stack).
spawn "$out/httpd.log" "$NS" env XENOLITH_HOSTED_MEM_MB=256 "$HTTPD" tap=xbtap0 disk="$SITE_IMG" \
    ip=10.79.0.2/24 -- port=80 access-log=off
xen_pid=$LAST
spawn "$out/lwip.log" "$NS" env PRECONFIGURED_TAPIF=xbtap1 "$LWIP" 10.79.2.2/24 80 \
    "$files/index.html" "$files/big.txt"
lwip_pid=$LAST
spawn "$out/static.log" "$PEER" "$STATIC" 10.79.1.2 80 "$files/index.html" "$files/big.txt"
linux_pid=$LAST
ready http://10.79.0.2/index.html || fail "httpd did not answer: $(tail -5 "$out/httpd.log")"
ready http://10.79.2.2/index.html || fail "httpd_lwip did not answer: $(tail -5 "$out/lwip.log")"
ready http://10.79.1.2/index.html || fail "static_server did not answer: $(tail -5 "$out/static.log")"

servers="xenolith lwip linux"
url_of() { case $1 in xenolith) echo http://10.79.0.2 ;; lwip) echo http://10.79.2.2 ;; linux) echo http://10.79.1.2 ;; esac; }
for s in $servers; do
    rm -f "$out/small-$s.rounds"
    nsx wrk -t 1 -c 10 -d 2s "$(url_of "$s")/index.html" > "$out/wrk-$s-warmup.txt" 2>&1 ||
        fail "wrk (warm-up) against $s failed: $(tail -3 "$out/wrk-$s-warmup.txt")"
done
for round in $(seq "$rounds"); do
    # Round r starts with the r-th server: each comes first once in three rounds.
    order=$(echo $servers $servers | tr ' ' '\n' | tail -n +"$(( (round - 1) % 3 + 1 ))" | head -3)
    for s in $order; do small_run "$s" "$(url_of "$s")" "$round"; done
done
for s in $servers; do small_summary "$s"; done
for s in $servers; do bulk_run "$s" "$(url_of "$s")"; done
stop "$xen_pid"
stop "$lwip_pid"
stop "$linux_pid"

# The link's ceiling: Linux to Linux over the veth, bulk TCP for the same duration.
spawn "$out/iperf3-server.log" "$PEER" iperf3 -s -1 -B 10.79.1.2
pid=$LAST
sleep 0.5
nsx iperf3 -c 10.79.1.2 -t "$secs" -f m > "$out/iperf3.txt" 2>&1 || fail "iperf3 failed: $(tail -3 "$out/iperf3.txt")"
echo "linux.iperf3_MB_s $(awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") printf "%.1f\n", $(i-1) / 8 }' "$out/iperf3.txt")" >> "$out/hosted.txt"
stop "$pid"
cat "$out/hosted.txt"
