#!/bin/bash
# bench/run.sh: what `make bench` runs after building. Measures, prints a table and writes
# docs/BENCHMARKS.md (what, how, on what machine, the numbers). Parts, each in its own script:
#   sizes   the stripped PVH image of every application, per section (size -A)
#   ops     instructions per network operation, ours against lwIP (bench/ops/, callgrind)
#   boot    instructions from kernel_start to "ready", hosted (bench/boot.sh, callgrind)
#   pvh     instructions from the PVH entry to app_main on bare QEMU (bench/pvh-boot.sh, -icount)
#   xen     in the real-Xen test bed: xl create to first HTTP answer, httpd beside a minimal Linux
#           guest; netfront notifications, events and grant operations per 1000 frames
#           (bench/xen.sh; BENCH_XEN=0 leaves it out, BENCH_XEN_REPS sets the boots per guest)
#   hosted  wrk and iperf3: our httpd on TAP, lwIP on TAP, Linux over a veth (bench/hosted.sh)
#   load    ab with and without -k, wrk -c 50 and slowloris availability: our httpd on TAP beside
#           Debian's nginx over a veth (bench/load.sh; BENCH_LOAD=0 leaves it out,
#           BENCH_LOAD_SECONDS sets its wrk run, default 30 s)
#   dns     dnsperf queries per second: our DNS appliance on TAP beside Debian's NSD over a veth,
#           the same zones (bench/dns.sh; BENCH_DNS=0 leaves it out, BENCH_DNS_SECONDS sets each
#           run, default 10 s)
# Results and raw outputs go to build/bench/results/. BENCH_SECONDS sets each wrk run (10 s);
# BENCH_DOC=path writes the document elsewhere (BENCH_DOC=- not at all).
set -u
cd "$(dirname "$0")/.."
R=build/bench/results
DOC=${BENCH_DOC:-docs/BENCHMARKS.md}
rm -rf "$R" && mkdir -p "$R"
fail() { echo "bench: $*" >&2; exit 1; }
started=$(date +%s)

# ---- image sizes ----
apps=$(ls app | while read -r a; do [ -f "app/$a/main.c" ] && echo "$a"; done)
: > "$R/sizes.txt"
for a in $apps; do
    img=build/xen/$a
    [ -f "$img" ] || fail "$img is not built"
    size -A "$img.debug" | awk -v app="$a" -v file="$(stat -c %s "$img")" '
        $1 ~ /^\./ { s[$1] = $2 }
        END { printf "%s %d %d %d %d %d %d\n", app, file, s[".text"], s[".rodata"], s[".data"],
              s[".bss"], s[".ksyms"] }' >> "$R/sizes.txt"
done
bench/size-modules.sh httpd > "$R/size-modules.txt" || fail "the size table by module failed"
echo "bench: sizes done"

# ---- instructions per operation ----
bench/ops/callgrind-ops.sh build/bench/ops_xenolith "$R/ops-xenolith" > "$R/ops-xenolith.txt" ||
    fail "the Xenolith per-operation harness failed"
bench/ops/callgrind-ops.sh build/bench/ops_lwip "$R/ops-lwip" > "$R/ops-lwip.txt" ||
    fail "the lwIP per-operation harness failed"
echo "bench: ops done"

# ---- boot cost ----
bench/boot.sh "$R" > /dev/null || fail "boot cost failed"
echo "bench: boot done"

# ---- PVH boot cost on bare QEMU ----
bench/pvh-boot.sh "$R" > "$R/pvh-boot.log" 2>&1 || { tail -5 "$R/pvh-boot.log"; fail "PVH boot cost failed"; }
echo "bench: pvh boot done"

# ---- the real-Xen test bed ----
if [ "${BENCH_XEN:-1}" != 0 ]; then
    # One test bed user at a time on this machine (the make test-xen tiers take the same lock).
    flock /tmp/xenolith-xen.lock bench/xen.sh "$R" > "$R/xen-summary.log" 2>&1 || { tail -20 "$R/xen-summary.log"; fail "the Xen test bed part failed"; }
    echo "bench: xen done"
fi

# ---- hosted throughput ----
bench/hosted.sh "$R" > "$R/hosted.log" 2>&1 || { tail -5 "$R/hosted.log"; fail "hosted throughput failed"; }
echo "bench: hosted done"

# ---- load: httpd beside nginx ----
if [ "${BENCH_LOAD:-1}" != 0 ]; then
    bench/load.sh "$R" > "$R/load.log" 2>&1 || { tail -5 "$R/load.log"; fail "the load part failed"; }
    echo "bench: load done"
fi

# ---- dns: the DNS appliance beside NSD ----
if [ "${BENCH_DNS:-1}" != 0 ]; then
    bench/dns.sh "$R" > "$R/dns.log" 2>&1 || { tail -5 "$R/dns.log"; fail "the DNS part failed"; }
    echo "bench: dns done"
fi

# ---- the table ----
val() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }
op() { awk -v k="$2" '$1 == k { print $2; exit }' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
X=$R/ops-xenolith.txt L=$R/ops-lwip.txt H=$R/hosted.txt B=$R/boot.txt P=$R/pvh-boot.txt XN=$R/xen.txt

table=$R/table.md
{
    echo "### Image size (stripped PVH image, bytes)"
    echo
    echo "| application | image | .text | .rodata | .data | .bss | .ksyms |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    while read -r a f t r d b k; do echo "| $a | $f | $t | $r | $d | $b | $k |"; done < "$R/sizes.txt"
    echo
    echo "### httpd by module (bytes; bench/size-modules.sh)"
    echo
    cat "$R/size-modules.txt"
    echo
    echo "### Instructions per operation (callgrind; lower is better)"
    echo
    echo "| operation | Xenolith | lwIP 2.1.3 | Xenolith / lwIP |"
    echo "| --- | ---: | ---: | ---: |"
    for o in tcp_recv_ack tcp_send http_exchange tcp_connect_close arp_resolution udp_echo udp_oneway; do
        if [ "$o" = arp_resolution ]; then
            x=$(( $(op "$X" arp) - $(op "$X" udp_oneway) )); l=$(( $(op "$L" arp) - $(op "$L" udp_oneway) ))
        else
            x=$(op "$X" "$o"); l=$(op "$L" "$o")
        fi
        echo "| $o | $x | $l | $(ratio "$x" "$l") |"
    done
    echo
    echo "Full-sized segment payload: Xenolith $(awk '$1 == "segment" && $2 == "tcp_send" { print $3 }' "$X") bytes (timestamps negotiated), lwIP $(awk '$1 == "segment" && $2 == "tcp_send" { print $3 }' "$L") bytes."
    echo
    echo "### Boot cost, hosted (instructions, callgrind)"
    echo
    echo "| application | Linux process start-up (loader, libc) | kernel_start to ready |"
    echo "| --- | ---: | ---: |"
    for a in httpd echo; do echo "| $a | $(val "$B" "$a.startup") | $(val "$B" "$a.boot") |"; done
    echo
    echo "### Boot cost, PVH image on bare QEMU (instructions from the PVH entry, -icount)"
    echo
    echo "| application | entry assembly (to pvh_main) | arch set-up (to kernel_start) | of which clock_init (PIT wait) | portable boot (kernel_start to app_main) | entry to app_main | the same without clock_init | two runs agree |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    for a in hello echo httpd; do
        am=$(val "$P" "$a.pvh_main"); ks=$(val "$P" "$a.kernel_start"); ap=$(val "$P" "$a.app_main")
        ck=$(val "$P" "$a.clock_init")
        case $ck in ''|n/a) ck=n/a; wo=n/a ;; *) wo=$((ap - ck)) ;; esac
        echo "| $a | $am | $((ks - am)) | $ck | $((ap - ks)) | $ap | $wo | $(val "$P" "$a.deterministic") |"
    done
    echo
    bo=$(val "$P" httpd.platform_blkdev_open)
    [ -n "$bo" ] && echo "httpd from app_main to its first look for a device (platform_blkdev_open): $((bo - $(val "$P" httpd.app_main))) instructions."
    [ -n "$bo" ] || echo "httpd's first look for a device (platform_blkdev_open) is inlined in this build: no separate figure."
    grep -q 'clock_init n/a' "$P" && echo "clock_init is inlined into pvh_main in this build (link-time optimization): the PIT wait is inside the arch set-up and entry-to-app_main figures."
    echo
    if [ -s "$XN" ]; then
        echo "### Boot to the first HTTP answer on Xen (test bed, wall time in ms, $(val "$XN" httpd.create_ms.n) boots each)"
        echo
        echo "| guest | memory | xl create to answer: median | min | max | xl create returned to answer: median | min | max |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        for k in httpd linux; do
            case $k in httpd) label="Xenolith httpd"; mem=64 ;; linux) label="Linux 6.1 + busybox httpd"; mem=128 ;; esac
            echo "| $label | $mem MB | $(val "$XN" $k.create_ms.median) | $(val "$XN" $k.create_ms.min) | $(val "$XN" $k.create_ms.max) | $(val "$XN" $k.running_ms.median) | $(val "$XN" $k.running_ms.min) | $(val "$XN" $k.running_ms.max) |"
        done
        echo "| Linux / httpd (medians) | | $(ratio "$(val "$XN" linux.create_ms.median)" "$(val "$XN" httpd.create_ms.median)") | | | $(ratio "$(val "$XN" linux.running_ms.median)" "$(val "$XN" httpd.running_ms.median)") | | |"
        echo
        echo "### Netfront in the test bed (counters at xl shutdown)"
        echo
        echo "| workload | frames tx + rx | notifications sent | events received | grants granted + ended | notifications / 1000 frames | events / 1000 frames | grant operations / 1000 frames |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        for w in http udp tcp tput; do
            [ -n "$(val "$XN" nf.$w.tx_frames)" ] || continue
            echo "| $w | $(val "$XN" nf.$w.tx_frames) + $(val "$XN" nf.$w.rx_frames) | $(( $(val "$XN" nf.$w.tx_notify) + $(val "$XN" nf.$w.rx_notify) )) | $(val "$XN" nf.$w.events) | $(val "$XN" nf.$w.granted) + $(val "$XN" nf.$w.ended) | $(val "$XN" rate.$w.notify_per_1000) | $(val "$XN" rate.$w.events_per_1000) | $(val "$XN" rate.$w.grant_ops_per_1000) |"
        done
        echo
        bench/xen/tput-table.sh "$XN"
    fi
    echo "### Hosted throughput and latency (wrk, same run, one server at a time)"
    echo
    echo "| server | requests/s (index.html, 10 conns) | p50 µs | p99 µs | bulk MB/s (big.txt, 2 conns) | req/s vs Linux | bulk vs Linux |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    lr=$(val "$H" linux.req_s); lb=$(val "$H" linux.bulk_MB_s)
    for s in xenolith lwip linux; do
        r=$(val "$H" "$s.req_s"); b=$(val "$H" "$s.bulk_MB_s")
        echo "| $s | $r | $(val "$H" "$s.small_p50_us") | $(val "$H" "$s.small_p99_us") | $b | $(ratio "$r" "$lr") | $(ratio "$b" "$lb") |"
    done
    echo
    echo "iperf3 over the same veth, Linux to Linux: $(val "$H" linux.iperf3_MB_s) MB/s."
    errs=$(grep "_errors" "$H" || true)
    [ -n "$errs" ] && { echo; echo "wrk reported errors: $errs"; }
    [ -s "$R/load.txt" ] && { echo; bench/load-table.sh "$R/load.txt"; }
    [ -s "$R/dns.txt" ] && { echo; bench/dns-table.sh "$R/dns.txt"; }
} > "$table"
echo
cat "$table"
elapsed=$(( $(date +%s) - started ))

[ "$DOC" = "-" ] && exit 0
machine_cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
machine_mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
bench/doc.sh "$table" "$(nproc)" "$machine_cpu" "$machine_mem" "$(uname -r)" \
    "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes in the tree)')" "$elapsed" > "$DOC"
echo "bench: wrote $DOC (${elapsed} s)"
