#!/bin/bash
# bench/ops/breakdown-table.sh RESULTS: the per-function breakdown of every operation, ours beside
# lwIP's, as Markdown for docs/BENCHMARKS.md. Reads RESULTS/ops-xenolith/breakdown-NAME.txt and
# RESULTS/ops-lwip/breakdown-NAME.txt (bench/ops/breakdown.sh; the top 15 by self and inclusive
# cost are there) and prints, per operation, the top ROWS functions by self cost of each stack and
# the top inclusive entries of each in one line. Nothing is printed when the files are missing.
set -u
R=$1
ROWS=${BREAKDOWN_ROWS:-8}
X=$R/ops-xenolith L=$R/ops-lwip
[ -f "$X/breakdown-tcp_connect_close.txt" ] && [ -f "$L/breakdown-tcp_connect_close.txt" ] || exit 0

rows() { awk -v k="$1" -v n="$ROWS" '$1 == k && c++ < n { sub(/\.part\.[0-9]+$|\.isra\.[0-9]+$|\.constprop\.[0-9]+$/, "", $4); printf "%s %s %s\n", $4, $5, $2 }' "$2"; }
incl() {
    awk -v n="${3:-6}" '$1 == "incl" && c++ < n { printf "%s%s %s", sep, $4, $2; sep = ", " }' "$1"
}

echo "### Where the instructions go, per operation (callgrind_annotate)"
echo
echo "Instructions per operation by function: the top $ROWS by self cost (the function's own"
echo "instructions) for each stack, from the profiles above; the top 15 by self and by inclusive cost"
echo "are in \`build/bench/results/ops-*/breakdown-*.txt\`. lwIP's static functions show as addresses"
echo "(Debian's library has no symbols for them). arp is the whole operation (the datagram included)."
echo "Inclusive costs of ours are approximate around fiber switches (callgrind charges what other"
echo "fibers do after a switch to the caller of \`sched_context_switch\`)."
for o in tcp_recv_ack tcp_send http_exchange tcp_connect_close arp udp_echo udp_oneway; do
    [ -f "$X/breakdown-$o.txt" ] && [ -f "$L/breakdown-$o.txt" ] || continue
    echo
    echo "**$o**"
    echo
    echo "| # | Xenolith: function (file) | self | lwIP: function (file) | self |"
    echo "| ---: | --- | ---: | --- | ---: |"
    paste -d' ' <(rows self "$X/breakdown-$o.txt") <(rows self "$L/breakdown-$o.txt") |
        awk '{ printf "| %d | `%s` (%s) | %s | `%s` (%s) | %s |\n", NR, $1, $2, $3, $4, $5, $6 }'
    echo
    echo "Inclusive, Xenolith: $(incl "$X/breakdown-$o.txt"). lwIP: $(incl "$L/breakdown-$o.txt")."
done
