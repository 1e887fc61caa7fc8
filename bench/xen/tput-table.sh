#!/bin/bash
# bench/xen/tput-table.sh XEN_TXT: the Xen throughput table of BENCHMARKS.md from bench/xen.sh's
# summary (tput.KIND.RUN.* and httpd's netfront counters under that workload, nf.tput.*).
set -u
x=$1
val() { awk -v k="$1" '$1 == k { print $2; exit }' "$x"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }'; }
grep -q '^tput\.' "$x" || exit 0
echo "### Throughput on Xen, side by side (test bed, ab from dom0, one guest at a time)"
echo
echo "| guest | requests/s, keep-alive (index.html, 10 conns) | new connections/s (index.html, 10 at once) | bulk MB/s (big.txt 1 MiB, 2 conns) | failed requests (all runs) |"
echo "| --- | ---: | ---: | ---: | ---: |"
for k in httpd linux; do
    case $k in httpd) label="Xenolith httpd (64 MB)" ;; linux) label="Linux 6.1 + nginx (128 MB)" ;; esac
    bulk=$(awk -v kb="$(val tput.$k.bulk.kb_s)" 'BEGIN { if (kb != "") printf "%.2f", kb / 1024; else print "-" }')
    failed=$(( $(val tput.$k.keepalive.failed) + $(val tput.$k.newconn.failed) + $(val tput.$k.bulk.failed) ))
    echo "| $label | $(val tput.$k.keepalive.req_s) | $(val tput.$k.newconn.req_s) | $bulk | $failed |"
done
echo "| httpd / Linux | $(ratio "$(val tput.httpd.keepalive.req_s)" "$(val tput.linux.keepalive.req_s)") | $(ratio "$(val tput.httpd.newconn.req_s)" "$(val tput.linux.newconn.req_s)") | $(ratio "$(val tput.httpd.bulk.kb_s)" "$(val tput.linux.bulk.kb_s)") | |"
echo
f=$(val rate.tput.frames)
if [ -n "$f" ]; then
    req=$(( $(val tput.httpd.keepalive.complete) + $(val tput.httpd.newconn.complete) + $(val tput.httpd.bulk.complete) ))
    echo "httpd's netfront over the three runs: $f frames (tx + rx, a TSO frame counted once) for $req requests;"
    echo "per 1000 frames $(val rate.tput.notify_per_1000) notifications sent to netback, $(val rate.tput.events_per_1000) events received, $(val rate.tput.grant_ops_per_1000) grant operations."
    if [ -n "$(val rate.tput.tx_segments_per_frame)" ]; then
        echo "Transmit: $(val nf.tput.tx_segments) segments in $(val nf.tput.tx_frames) frames, $(val nf.tput.tx_gso_frames) of them TSO frames (each of"
        echo "a TSO frame's TCP segments counts, any other frame is one): $(val rate.tput.tx_segments_per_frame) segments per frame, $(val rate.tput.tx_segments_per_tso_frame) per TSO frame."
    fi
    echo
fi
