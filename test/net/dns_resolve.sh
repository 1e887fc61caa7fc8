#!/bin/sh
# test/net/dns_resolve.sh ECHO_BINARY: the stub resolver (xenolith/dns.h, docs/DNS.md "Resolver")
# against dnsmasq as the recursive server, in a network namespace with one TAP link
# (test/net/lib.sh). The echo appliance's resolve=NAME[/TYPE] arguments make it look names up and
# log the answers. Two scenarios:
#   static  servers from the dns= option: A, AAAA, a CNAME, MX, TXT, NXDOMAIN, a 60-record answer
#           that dnsmasq truncates over UDP (TC, --edns-packet-max=512) and so comes over TCP, a
#           repeated name answered from the cache; dnsmasq's log shows each query, tshark shows
#           a distinct source port per query and nothing malformed
#   dhcp    servers from the DHCP lease (option 6, dnsmasq's own address): the same name resolves
# Prints PASS/FAIL per case, ends with "N passed, M failed"; exit status 1 on any failure.
# Needs root. NET_KEEP=1 keeps the logs and captures.
set -u
cd "$(dirname "$0")/../.."
. test/net/lib.sh

ECHO_BIN=${1:-build/hosted/echo}
STATIC_IP=10.77.0.2
ZONE=xenolith.test

if [ "$(id -u)" -ne 0 ]; then
    echo "dns_resolve: needs root (network namespaces and TAP devices)"; echo "0 passed, 1 failed"; exit 1
fi
for tool in ip dnsmasq tshark; do
    command -v "$tool" >/dev/null 2>&1 || { echo "dns_resolve: $tool is missing (scripts/deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
done
[ -x "$ECHO_BIN" ] || { echo "dns_resolve: $ECHO_BIN is not built"; echo "0 passed, 1 failed"; exit 1; }

trap 'net_cleanup' EXIT
trap 'net_cleanup; exit 130' INT
trap 'net_cleanup; exit 143' TERM
NET_TMP=$(mktemp -d /tmp/xenolith-test-dns.XXXXXX)
[ -n "${NET_KEEP:-}" ] && net_log "logs and captures in $NET_TMP"

# dnsmasq as the link's DNS server (and DHCP server with extra arguments): the zone's names are
# its own (--local: anything else in the zone is NXDOMAIN), nothing is forwarded.
start_dns_server() {
    big=""
    for i in $(seq 1 60); do big="$big --host-record=big.$ZONE,10.77.2.$i"; done
    # shellcheck disable=SC2086
    net_spawn "$NET_TMP/dnsmasq.out" dnsmasq --no-daemon --conf-file=/dev/null --port=53 \
        --user=root --group=root --interface="$NET_TAP" --bind-interfaces --dhcp-authoritative \
        --dhcp-leasefile="$NET_TMP/dnsmasq.leases" --log-facility="$NET_TMP/dnsmasq.log" \
        --no-resolv --no-hosts --no-ping --log-queries --local=/$ZONE/ --local-ttl=60 --edns-packet-max=512 \
        --host-record=www.$ZONE,10.77.1.1,fd00::77:1 --cname=alias.$ZONE,www.$ZONE \
        --mx-host=$ZONE,mail.$ZONE,10 --txt-record=txt.$ZONE,"hello resolver" $big "$@"
    DNSMASQ_PID=$NET_LAST_PID
    sleep 0.5
    kill -0 "$DNSMASQ_PID" 2>/dev/null
}

stop_echo_checked() {
    net_stop "$ECHO_PID" 15
    ECHO_PID=""
    [ "$NET_EXIT_STATUS" -eq 0 ] || { echo "exit status $NET_EXIT_STATUS"; tail -n 20 "$NET_TMP/echo.log"; return 1; }
}

# resolved NAME TYPE PATTERN: the appliance logged an answer for NAME/TYPE matching PATTERN.
resolved() { grep -E "echo: resolve $1 $2: $3" "$NET_TMP/echo.log"; }
# The appliance's counter NAME is at least MIN.
counter_at_least() { v=$(sed -nE "s/^dns\.$1 ([0-9]+)$/\1/p" "$NET_TMP/echo.log" | tail -n 1); [ "${v:-0}" -ge "$2" ]; }

scenario_static() {
    net_log "scenario: dns= option, dnsmasq at $NET_HOST_IP"
    if ! net_setup; then net_fail dns_static.setup "cannot create the namespace"; return; fi
    start_capture dns_static || net_fail dns_static.capture "tshark did not start"
    if ! start_dns_server; then
        net_fail dns_static.server "dnsmasq did not start: $(tail -n 3 "$NET_TMP/dnsmasq.out" | tr '\n' ' ')"; return
    fi
    start_echo "ip=$STATIC_IP/24" "dns=$NET_HOST_IP" -- \
        "resolve=www.$ZONE" "resolve=www.$ZONE/AAAA" "resolve=alias.$ZONE" "resolve=$ZONE/MX" \
        "resolve=txt.$ZONE/TXT" "resolve=missing.$ZONE" "resolve=big.$ZONE" "resolve=WWW.$ZONE"
    if ! wait_for_line "$NET_TMP/echo.log" "echo: resolve: done" 60; then
        net_fail dns_static.done "$(tail -n 5 "$NET_TMP/echo.log" | tr '\n' ' ')"; return
    fi
    net_pass dns_static.done
    check dns_static.a resolved "www.$ZONE" A "10\.77\.1\.1 \(1 records, ttl 60"
    check dns_static.aaaa resolved "www.$ZONE" AAAA "fd00:0:0:0:0:0:77:1 "
    check dns_static.cname_followed resolved "alias.$ZONE" A "10\.77\.1\.1 .*canonical www\.$ZONE, cnames 1"
    check dns_static.mx resolved "$ZONE" MX "10 mail\.$ZONE "
    check dns_static.txt resolved "txt.$ZONE" TXT "\"hello resolver\""
    check dns_static.nxdomain resolved "missing.$ZONE" A "NXDOMAIN"
    check dns_static.truncated_answer_over_tcp resolved "big.$ZONE" A ".*\(60 records"
    check dns_static.server_saw_queries grep -q "query\[A\] www.$ZONE from $STATIC_IP" "$NET_TMP/dnsmasq.log"
    check dns_static.clean_exit stop_echo_checked
    check dns_static.tcp_fallback_counted counter_at_least tcp_fallbacks 1
    check dns_static.cache_hit_counted counter_at_least cache_hits 1
    check dns_static.no_spoofed counter_at_least queries 7
    stop_capture
    pcap="$NET_TMP/dns_static.pcap"
    check dns_static.tcp_seen test "$(capture_count "$pcap" "tcp.dstport == 53 && dns.flags.response == 0")" -ge 1
    check dns_static.distinct_source_ports test \
        "$(tshark -n -r "$pcap" -Y "udp.dstport == 53 && ip.src == $STATIC_IP" -T fields -e udp.srcport 2>/dev/null | sort | uniq -d | wc -l)" -eq 0
    check dns_static.queries_well_formed test "$(capture_count "$pcap" "ip.src == $STATIC_IP && dns && _ws.malformed")" -eq 0
    net_teardown
}

scenario_dhcp() {
    net_log "scenario: servers from the DHCP lease (option 6)"
    if ! net_setup; then net_fail dns_dhcp.setup "cannot create the namespace"; return; fi
    if ! start_dns_server --dhcp-range=10.77.0.50,10.77.0.60,255.255.255.0,2m \
            --dhcp-option=option:router,$NET_HOST_IP; then
        net_fail dns_dhcp.server "dnsmasq did not start: $(tail -n 3 "$NET_TMP/dnsmasq.out" | tr '\n' ' ')"; return
    fi
    start_echo "ip=dhcp" -- "resolve=www.$ZONE" "resolve=missing.$ZONE"
    check dns_dhcp.lease_with_dns wait_for_line "$NET_TMP/echo.log" "configured .* dns $NET_HOST_IP lease" 30
    check dns_dhcp.done wait_for_line "$NET_TMP/echo.log" "echo: resolve: done" 60
    check dns_dhcp.a resolved "www.$ZONE" A "10\.77\.1\.1 "
    check dns_dhcp.nxdomain resolved "missing.$ZONE" A "NXDOMAIN"
    check dns_dhcp.clean_exit stop_echo_checked
    net_teardown
}

scenario_static
scenario_dhcp
echo "$NET_PASSED passed, $NET_FAILED failed${NET_FAILED_NAMES:+ (failed:$NET_FAILED_NAMES)}"
[ "$NET_FAILED" -eq 0 ]
