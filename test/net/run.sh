#!/bin/sh
# test/net/run.sh ECHO_BINARY: the hosted network integration tests (make test-net).
#
# Two scenarios, each in a fresh network namespace with one TAP link (test/net/lib.sh):
#   static  the appliance at 10.77.0.2/24: ping (also 4000-byte, fragmenting both ways), arping,
#           UDP echo (small and fragmented) and discard, scapy's hostile frames after which it must
#           still answer, tshark over the whole capture, clean exit on SIGTERM
#   dhcp    dnsmasq serves the link: lease obtained, ping on the leased address, renewal at a
#           shortened T1, release at shutdown, tshark over the capture
#   tcp, tcp_netem   TCP echo and discard against Linux's TCP, on a clean link and on a bad one
#           (test/net/tcp_cases.sh says what each checks)
# NET_SCENARIOS="tcp tcp_netem" runs only the named scenarios (default: all four).
# Prints PASS/FAIL per case and ends with "N passed, M failed"; exit status 1 on any failure.
# Needs root (namespaces, TAP). NET_KEEP=1 keeps the logs and captures (the path is printed).
set -u
cd "$(dirname "$0")/../.."
. test/net/lib.sh
. test/net/tcp_cases.sh

ECHO_BIN=${1:-build/hosted/echo}
STATIC_IP=10.77.0.2

if [ "$(id -u)" -ne 0 ]; then
    echo "test-net: needs root (network namespaces and TAP devices)"
    echo "0 passed, 1 failed"
    exit 1
fi
for tool in ip ping arping dnsmasq tshark "$PY" socat nc hping3 ethtool tc; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "test-net: $tool is missing (scripts/deps.sh installs it)"
        echo "0 passed, 1 failed"
        exit 1
    fi
done
if [ ! -x "$ECHO_BIN" ]; then
    echo "test-net: $ECHO_BIN is not built"
    echo "0 passed, 1 failed"
    exit 1
fi

trap 'tcp_link_teardown; net_cleanup' EXIT
trap 'tcp_link_teardown; net_cleanup; exit 130' INT
trap 'tcp_link_teardown; net_cleanup; exit 143' TERM

NET_TMP=$(mktemp -d /tmp/xenolith-test-net.XXXXXX)
[ -n "${NET_KEEP:-}" ] && net_log "logs and captures in $NET_TMP"

# Stops the appliance with SIGTERM and checks it exits 0 (kernel/kernel.h lifecycle).
stop_echo_checked() {
    net_stop "$ECHO_PID" 10
    ECHO_PID=""
    [ "$NET_EXIT_STATUS" -eq 0 ] || { echo "exit status $NET_EXIT_STATUS"; tail -n 20 "$NET_TMP/echo.log"; return 1; }
}

echo_alive() { kill -0 "$ECHO_PID" 2>/dev/null || { tail -n 20 "$NET_TMP/echo.log"; return 1; }; }

appliance_answers() {
    nsx ping -c 2 -W 2 "$1" && nsx "$PY" test/net/udp_echo.py echo "$1" 64 3
}

# ---------------------------------------------------------------- static configuration
scenario_static() {
    net_log "scenario: static ${STATIC_IP}/24"
    if ! net_setup; then net_fail static.setup "cannot create the namespace"; return; fi
    start_capture static || { net_fail static.capture "tshark did not start"; }
    start_echo "ip=$STATIC_IP/24" "gw=$NET_HOST_IP"
    if ! wait_for_line "$NET_TMP/echo.log" "echo: serving" 10; then
        net_fail static.start "$(tail -n 5 "$NET_TMP/echo.log" | tr '\n' ' ')"
        return
    fi
    net_pass static.start
    check static.log_configuration grep -q "configured $STATIC_IP/24" "$NET_TMP/echo.log"
    check static.ping nsx ping -c 3 -W 2 "$STATIC_IP"
    check static.ping_4000_fragmented nsx ping -c 3 -W 3 -s 4000 "$STATIC_IP"
    check static.arping nsx arping -c 2 -w 5 -I "$NET_TAP" "$STATIC_IP"
    check static.udp_echo nsx "$PY" test/net/udp_echo.py echo "$STATIC_IP" 100 10
    check static.udp_echo_empty nsx "$PY" test/net/udp_echo.py echo "$STATIC_IP" 0 2
    check static.udp_echo_fragmented nsx "$PY" test/net/udp_echo.py echo "$STATIC_IP" 6000 3
    check static.udp_discard nsx "$PY" test/net/udp_echo.py discard "$STATIC_IP" 200 5
    mac=$(echo_mac)
    check static.hostile_frames nsx "$PY" test/net/hostile.py "$NET_TAP" "$STATIC_IP" "$mac" "$NET_HOST_IP"
    check static.survives_hostile_frames appliance_answers "$STATIC_IP"
    check static.still_running echo_alive
    check static.clean_exit_on_sigterm stop_echo_checked
    check static.discard_counted grep -qE "echo.discard datagrams [1-9]" "$NET_TMP/echo.log"
    stop_capture
    check static.capture_checksums check_capture_clean "$NET_TMP/static.pcap" "$mac"
    check static.fragmented_replies_seen \
        test "$(capture_count "$NET_TMP/static.pcap" "eth.src == $mac && ip.flags.mf == 1")" -gt 0
    net_teardown
}

# ---------------------------------------------------------------- DHCP from dnsmasq
dhcp_leased_ip() { sed -nE 's/.*echo: configured ([0-9.]+)\/[0-9]+ .*lease.*/\1/p' "$NET_TMP/echo.log" | tail -n 1; }

scenario_dhcp() {
    net_log "scenario: dhcp from dnsmasq (lease 2 min, T1 15 s, T2 90 s)"
    if ! net_setup; then net_fail dhcp.setup "cannot create the namespace"; return; fi
    start_capture dhcp || { net_fail dhcp.capture "tshark did not start"; }
    if ! start_dnsmasq --dhcp-range=10.77.0.50,10.77.0.60,255.255.255.0,2m \
            --dhcp-option=option:router,$NET_HOST_IP --dhcp-option=option:dns-server,$NET_HOST_IP \
            --dhcp-option=option:T1,15 --dhcp-option=option:T2,90; then
        net_fail dhcp.server "dnsmasq did not start: $(tail -n 3 "$NET_TMP/dnsmasq.out" | tr '\n' ' ')"
        return
    fi
    start_echo "ip=dhcp"
    # DISCOVER, OFFER, REQUEST, ACK, then the RFC 5227 probe (up to ~7 s).
    if wait_for_line "$NET_TMP/echo.log" "echo: configured 10\.77\.0\.(5[0-9]|60)/24" 30; then
        net_pass dhcp.lease_obtained
    else
        net_fail dhcp.lease_obtained "$(tail -n 5 "$NET_TMP/echo.log" | tr '\n' ' ')"
        return
    fi
    ip=$(dhcp_leased_ip)
    check dhcp.lease_logged_with_gateway grep -qE "configured $ip/24 gateway $NET_HOST_IP dns $NET_HOST_IP lease 120 s" "$NET_TMP/echo.log"
    check dhcp.server_acked grep -q "DHCPACK(xtap0) $ip" "$NET_TMP/dnsmasq.log"
    check dhcp.ping_leased_address nsx ping -c 3 -W 2 "$ip"
    check dhcp.udp_echo nsx "$PY" test/net/udp_echo.py echo "$ip" 100 3
    # Renewal at T1 (15 s after the REQUEST): unicast DHCPREQUEST, ACK, lease extended.
    check dhcp.renewal_at_t1 wait_for_line "$NET_TMP/echo.log" "lease of $ip extended" 30
    check dhcp.renewal_seen_by_server test "$(grep -c "DHCPACK(xtap0) $ip" "$NET_TMP/dnsmasq.log")" -ge 2
    check dhcp.still_answers_after_renewal appliance_answers "$ip"
    mac=$(echo_mac)
    check dhcp.clean_exit_on_sigterm stop_echo_checked
    check dhcp.release_at_shutdown wait_for_line "$NET_TMP/dnsmasq.log" "DHCPRELEASE\(xtap0\) $ip" 5
    stop_capture
    check dhcp.capture_checksums check_capture_clean "$NET_TMP/dhcp.pcap" "$mac"
    check dhcp.renewal_was_unicast \
        test "$(capture_count "$NET_TMP/dhcp.pcap" "eth.src == $mac && dhcp.option.dhcp == 3 && ip.dst == $NET_HOST_IP && dhcp.ip.client == $ip")" -ge 1
    net_teardown
}

for scenario in ${NET_SCENARIOS:-static dhcp tcp tcp_netem}; do
    case "$scenario" in
        static|dhcp|tcp|tcp_netem) "scenario_$scenario" ;;
        *) net_fail "scenario.$scenario" "unknown scenario (static, dhcp, tcp, tcp_netem)" ;;
    esac
done

[ -n "$NET_FAILED_NAMES" ] && echo "failed:$NET_FAILED_NAMES"
echo "net: $NET_PASSED passed, $NET_FAILED failed"
[ "$NET_FAILED" -eq 0 ]
