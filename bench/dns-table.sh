#!/bin/bash
# bench/dns-table.sh DNS_TXT: the markdown table of bench/dns.sh's figures (bench/run.sh puts it
# in docs/BENCHMARKS.md): queries per second of the DNS appliance and NSD in the same run, and the
# appliance's image beside IncludeOS's published DNS demo image.
set -u
f=$1
val() { awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print; exit }' "$f"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo "### Authoritative DNS, queries per second (dnsperf $(val dnsperf.version), same run, one server at a time)"
echo
echo "| server | queries/s | average latency µs | completed / sent | lost | response codes |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
for s in xenolith nsd; do
    label=$s
    [ "$s" = nsd ] && label="NSD $(val nsd.version) (Linux, one server process)"
    [ "$s" = xenolith ] && label="Xenolith dns (hosted, TAP)"
    echo "| $label | $(val $s.qps) | $(val $s.latency_us) | $(val $s.completed) / $(val $s.sent) | $(val $s.lost) | $(val $s.rcodes) |"
done
echo
echo "Xenolith / NSD queries per second: $(ratio "$(val xenolith.qps)" "$(val nsd.qps)") ($(val seconds) s each)."
echo
echo "| DNS appliance image | bytes |"
echo "| --- | ---: |"
echo "| Xenolith build/xen/dns (stripped PVH image: Xen drivers, IPv4, UDP, TCP without the features its app.mk leaves out, block device, tar reader, codec, zones, RRL) | $(val xenolith.image_bytes) |"
echo "| IncludeOS DNS demo (published figure, not measured here) | 158 KB |"
