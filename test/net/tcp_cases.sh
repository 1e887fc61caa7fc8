# test/net/tcp_cases.sh: the TCP scenarios of the hosted network integration tests (sourced by
# run.sh after lib.sh). The appliance's TCP echo (port 7) and discard (port 9) against Linux's TCP:
#
#   tcp        one TAP link as in lib.sh, appliance at 10.77.0.2: socat and nc clients, a refused
#              port, the appliance's active open (connect=) and TCP_BULK_MB both ways, echo and
#              discard of TCP_BULK_MB, TCP_MANY concurrent connections (tcp_many.py), an hping3
#              SYN flood during which an established client completes a transfer, Linux's own
#              checksum-error counter, tshark over the capture, clean exit, the appliance's counters
#   tcp_netem  the same link made bad (5% loss, 5% duplication, 25% reordering on TCP frames, both
#              directions): active open and echo of TCP_NETEM_MB, SHA-256 checked
#
# The bad link: the TAP lives in a second namespace of its own ("link", no addresses) with one end
# of a veth pair; the other end, 10.77.0.1/24, is in the test namespace where the Linux tools run.
# Between the TAP and the veth, tc netem on both egress sides of a bridge when the kernel has
# netem, otherwise test/net/tcp_impair.py relays frames with the same impairments. Both
# namespaces are deleted by tcp_link_teardown, which run.sh's exit trap calls.

TCP_BULK_MB=${TCP_BULK_MB:-100}
TCP_NETEM_MB=${TCP_NETEM_MB:-100}
TCP_FLOOD_MB=${TCP_FLOOD_MB:-20}
TCP_MANY=${TCP_MANY:-1000}
TCP_ACTIVE_PORT=7700
TCP_MEM_MB=${TCP_MEM_MB:-1024}      # appliance arena: 1000 sessions and their buffers
LINK_NS=""

mb() { echo $(($1 * 1024 * 1024)); }

# Starts the appliance with a larger arena, in the test namespace (or in $2's namespace).
tcp_start_echo() {
    ns=$1; shift
    NET_NS_SAVED=$NET_NS; NET_NS=$ns
    net_spawn "$NET_TMP/echo.log" env XENOLITH_HOSTED_MEM_MB="$TCP_MEM_MB" "$ECHO_BIN" \
        "tap=$NET_TAP" "$@"
    NET_NS=$NET_NS_SAVED
    ECHO_PID=$NET_LAST_PID
}

# Waits for a background pid (from net_spawn) up to secs; its exit status in NET_EXIT_STATUS
# (124 when it had to be stopped). Prints the last lines of its log.
tcp_wait_pid() {
    pid=$1; secs=$2; log=$3
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt $((secs * 10)) ]; do sleep 0.1; i=$((i + 1)); done
    net_stop "$pid" 2
    tail -n 3 "$log"
    [ "$NET_EXIT_STATUS" -eq 0 ]
}

tcp_socat_echo() {
    out=$(printf 'hello over tcp\n' | nsx socat -t 5 -T 10 - "TCP:$1:7") || return 1
    echo "socat got: $out"
    [ "$out" = "hello over tcp" ]
}

tcp_nc_echo() {
    out=$(head -c 3000 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 5000)
    got=$(printf '%s' "$out" | nsx nc -N -w 10 "$1" 7) || return 1
    echo "nc sent ${#out} bytes, got ${#got} back"
    [ "$got" = "$out" ]
}

tcp_nc_discard() {
    got=$(head -c 20000 /dev/urandom | nsx nc -N -w 10 "$1" 9 | wc -c) || return 1
    echo "discard answered with $got bytes"
    [ "$got" -eq 0 ]
}

# The appliance logs each discard connection's byte count; one must be exactly $1 bytes.
tcp_discard_logged() {
    grep -E "tcp_discard: 10\.77\.0\.1:[0-9]+: $1 bytes, closed by the peer" "$NET_TMP/echo.log"
}

# Linux's TCP counts segments with a bad checksum (Tcp InCsumErrors) and other receive errors
# (InErrs). With "dup-syn-ok" as $1 the link duplicates and delays frames, so a copy of the
# appliance's SYN or SYN-ACK can reach an established Linux socket; Linux answers it with a
# challenge ACK (RFC 5961 4.2) and counts it in InErrs as well as TcpExt TCPSYNChallenge. Those
# are the link's doing, so they are subtracted; every other receive error still fails.
tcp_linux_no_bad_segments() {
    line=$(nsx awk '/^Tcp:/ { n++; if (n == 1) { for (i = 1; i <= NF; i++) h[i] = $i } else { for (i = 1; i <= NF; i++) print h[i] "=" $i } }' /proc/net/snmp | tr '\n' ' ')
    ext=$(nsx awk '/^TcpExt:/ { n++; if (n == 1) { for (i = 1; i <= NF; i++) h[i] = $i } else { for (i = 1; i <= NF; i++) print h[i] "=" $i } }' /proc/net/netstat | tr '\n' ' ')
    errs=$(echo "$line" | tr ' ' '\n' | sed -n 's/^InErrs=//p')
    csum=$(echo "$line" | tr ' ' '\n' | sed -n 's/^InCsumErrors=//p')
    challenges=$(echo "$ext" | tr ' ' '\n' | sed -n 's/^TCPSYNChallenge=//p')
    echo "$line" | tr ' ' '\n' | grep -E "^(InErrs|InCsumErrors|OutRsts)="
    echo "TCPSYNChallenge=${challenges:-?}"
    [ -n "$errs" ] && [ "$csum" = 0 ] || return 1
    if [ "${1:-}" = dup-syn-ok ]; then
        [ "$errs" -le "${challenges:-0}" ]
    else
        [ "$errs" -eq 0 ]
    fi
}

# An established connection transfers TCP_FLOOD_MB while hping3 floods port 7 with SYNs from
# random sources; the transfer must complete. The flood starts after the client is connected.
tcp_flood_transfer() {
    ip=$1
    net_spawn "$NET_TMP/flood_transfer.log" "$PY" test/net/tcp_transfer.py echo "$ip" 7 \
        "$(mb "$TCP_FLOOD_MB")" --delay 2 --stall 60
    tpid=$NET_LAST_PID
    wait_for_line "$NET_TMP/flood_transfer.log" "^connected" 10 || { cat "$NET_TMP/flood_transfer.log"; return 1; }
    net_spawn "$NET_TMP/hping3.log" hping3 -S -p 7 --flood --rand-source "$ip"
    hpid=$NET_LAST_PID
    sleep 1
    kill -0 "$hpid" 2>/dev/null || { echo "hping3 did not run:"; cat "$NET_TMP/hping3.log"; return 1; }
    kill -0 "$tpid" 2>/dev/null || { echo "the transfer ended before the flood began"; cat "$NET_TMP/flood_transfer.log"; return 1; }
    tcp_wait_pid "$tpid" 120 "$NET_TMP/flood_transfer.log"; status=$NET_EXIT_STATUS
    still_flooding=0
    kill -0 "$hpid" 2>/dev/null && still_flooding=1
    kill -INT "$hpid" 2>/dev/null        # hping3 prints its statistics on SIGINT
    sleep 0.5
    net_stop "$hpid" 2
    grep -E "packets transmitted" "$NET_TMP/hping3.log"
    [ "$status" -eq 0 ] && [ "$still_flooding" -eq 1 ]
}

# tshark over a capture: the appliance's frames must have correct IPv4/TCP/UDP/ICMP checksums and
# nothing malformed or error-level (run.sh's audit, with TCP included).
tcp_check_capture() {
    pcap=$1; mac=$2
    [ -s "$pcap" ] || { echo "empty capture $pcap"; return 1; }
    sent=$(tshark -n -r "$pcap" -Y "eth.src == $mac && tcp" 2>/dev/null | wc -l)
    [ "$sent" -gt 0 ] || { echo "no TCP segment from $mac in the capture"; return 1; }
    # TCP checksums the TAP's offload left for the host are audited apart (csum_audit.py).
    # shellcheck disable=SC2086
    bad=$(tshark -n -r "$pcap" $TSHARK_NO_GUESSING -o ip.check_checksum:TRUE -o tcp.check_checksum:FALSE \
              -o udp.check_checksum:FALSE \
              -Y "eth.src == $mac && (_ws.malformed || _ws.expert.severity == error || ip.checksum.status == \"Bad\" || udp.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\")" 2>"$NET_TMP/tshark.err") || { cat "$NET_TMP/tshark.err"; return 1; }
    if [ -n "$bad" ]; then
        echo "$bad" | head -n 20
        return 1
    fi
    "$PY" test/net/csum_audit.py "$pcap" "$mac" || return 1
    echo "$sent TCP segments from the appliance, all clean"
}

# A counter the appliance printed at exit (`tcp.name value`, or `echo.svc field value`) >= min.
tcp_counter_at_least() {
    v=$(grep -oE "(^|[^a-z_.])$1 [0-9]+" "$NET_TMP/echo.log" | tail -n 1 | awk '{ print $NF }')
    echo "$1 = ${v:-missing}"
    [ -n "$v" ] && [ "$v" -ge "$2" ]
}
# TSO over the TAP (IFF_VNET_HDR): the appliance's frames carried more than one TCP segment each
# on average, and the host handed it large receives (netdev counters printed at exit).
tcp_segments_per_frame_above_one() {
    dev="dev.$NET_TAP"
    tcp_counter_at_least "$dev.tx_gso_frames" 1 || return 1
    tcp_counter_at_least "$dev.rx_gso_frames" 1 || return 1
    frames=$(grep -oE "$dev.tx_frames [0-9]+" "$NET_TMP/echo.log" | tail -n 1 | awk '{ print $NF }')
    segments=$(grep -oE "$dev.tx_segments [0-9]+" "$NET_TMP/echo.log" | tail -n 1 | awk '{ print $NF }')
    echo "$segments segments in $frames frames"
    [ -n "$frames" ] && [ -n "$segments" ] && [ "$segments" -gt "$frames" ]
}
tcp_any_counter_positive() {
    for counter in "$@"; do tcp_counter_at_least "$counter" 1 && return 0; done
    return 1
}

# ---------------------------------------------------------------- tcp: a clean link
scenario_tcp() {
    ip=10.77.0.2
    net_log "scenario: tcp (appliance at $ip, ${TCP_BULK_MB} MB transfers, $TCP_MANY connections, SYN flood)"
    if ! net_setup; then net_fail tcp.setup "cannot create the namespace"; return; fi
    net_spawn "$NET_TMP/active.log" "$PY" test/net/tcp_transfer.py serve "$NET_HOST_IP" \
        "$TCP_ACTIVE_PORT" "$(mb "$TCP_BULK_MB")" --accept-timeout 30 --stall 60
    active_pid=$NET_LAST_PID
    wait_for_line "$NET_TMP/active.log" "^listening" 10 || net_fail tcp.server "the Linux server did not start"
    tcp_start_echo "$NET_NS" "ip=$ip/24" "gw=$NET_HOST_IP" -- "connect=$NET_HOST_IP:$TCP_ACTIVE_PORT"
    if ! wait_for_line "$NET_TMP/echo.log" "echo: serving" 10; then
        net_fail tcp.start "$(tail -n 5 "$NET_TMP/echo.log" | tr '\n' ' ')"
        return
    fi
    net_pass tcp.start
    check tcp.active_open_${TCP_BULK_MB}MB_both_ways tcp_wait_pid "$active_pid" 600 "$NET_TMP/active.log"
    check tcp.active_open_logged grep -qE "tcp_echo: $NET_HOST_IP:$TCP_ACTIVE_PORT: $(mb "$TCP_BULK_MB") bytes, closed by the peer" "$NET_TMP/echo.log"
    check tcp.echo_${TCP_BULK_MB}MB_both_ways nsx "$PY" test/net/tcp_transfer.py echo "$ip" 7 "$(mb "$TCP_BULK_MB")" --stall 60
    check tcp.discard_${TCP_BULK_MB}MB nsx "$PY" test/net/tcp_transfer.py discard "$ip" 9 "$(mb "$TCP_BULK_MB")" --stall 60
    check tcp.discard_${TCP_BULK_MB}MB_counted tcp_discard_logged "$(mb "$TCP_BULK_MB")"
    # tshark audits everything from here on; the bulk transfers above (hundreds of MB) would take
    # it minutes, and Linux's checksum-error counter (linux_saw_no_bad_segment) covers them.
    linux_mac=$(nsx cat "/sys/class/net/$NET_TAP/address")
    # The flood's own SYNs would swamp the capture: leave out pure SYNs from the Linux side.
    net_spawn "$NET_TMP/tcp.tshark.log" tshark -q -n -i "$NET_TAP" -w "$NET_TMP/tcp.pcap" \
        -f "not (ether src $linux_mac and tcp[13] == 2)"
    CAPTURE_PID=$NET_LAST_PID
    wait_for_line "$NET_TMP/tcp.tshark.log" "Capturing on" 10 || net_fail tcp.capture "tshark did not start"
    check tcp.socat_echo tcp_socat_echo "$ip"
    check tcp.nc_echo tcp_nc_echo "$ip"
    check tcp.nc_discard_silent tcp_nc_discard "$ip"
    check tcp.closed_port_refused nsx "$PY" test/net/tcp_transfer.py refused "$ip" 5 0
    check tcp.concurrent_$TCP_MANY nsx "$PY" test/net/tcp_many.py "$ip" 7 "$TCP_MANY" --timeout 90
    check tcp.syn_flood_established_transfer_completes tcp_flood_transfer "$ip"
    check tcp.serves_after_flood tcp_socat_echo "$ip"
    check tcp.linux_saw_no_bad_segment tcp_linux_no_bad_segments
    mac=$(echo_mac)
    check tcp.clean_exit_on_sigterm stop_echo_checked
    check tcp.all_connections_served tcp_counter_at_least "echo.tcp_echo connections" "$((TCP_MANY + 3))"
    check tcp.flood_met_the_syn_defences tcp_any_counter_positive tcp.rx_syncookies_sent tcp.rx_half_open_full tcp.rx_listen_overflow
    check tcp.tso_segments_per_frame_above_one tcp_segments_per_frame_above_one
    stop_capture
    check tcp.capture_checksums tcp_check_capture "$NET_TMP/tcp.pcap" "$mac"
    net_teardown
}

# ---------------------------------------------------------------- tcp_netem: a bad link
tcp_link_teardown() {
    if [ -n "$LINK_NS" ] && ip netns list | grep -qw "$LINK_NS"; then
        for pid in $(ip netns pids "$LINK_NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$LINK_NS" 2>/dev/null
    fi
    LINK_NS=""
}

# Creates the two namespaces; sets LINK_KIND to "netem" or "relay". Returns 1 on failure.
tcp_bad_link_setup() {
    net_setup || return 1
    nsx ip link del "$NET_TAP" || return 1        # the TAP moves to the link namespace
    tcp_link_teardown
    LINK_NS="xenolith-link-$$"
    ip netns add "$LINK_NS" || return 1
    lx() { ip netns exec "$LINK_NS" "$@"; }
    lx ip link set lo up || return 1
    lx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1
    lx sysctl -qw net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1
    lx ip tuntap add dev "$NET_TAP" mode tap || return 1
    lx ip link add ximp0 type veth peer name ximp1 || return 1
    lx ip link set ximp1 netns "$NET_NS" || return 1
    nsx ip addr add "$NET_HOST_IP/$NET_PREFIX" dev ximp1 || return 1
    nsx ip link set ximp1 up || return 1
    lx ip link set "$NET_TAP" up || return 1
    lx ip link set ximp0 up || return 1
    # Frames must pass the link untouched by offloads (the veth would otherwise hand over TCP
    # segments with partial checksums or coalesced).
    nsx ethtool -K ximp1 tx off tso off gso off gro off >/dev/null 2>&1
    lx ethtool -K ximp0 tx off tso off gso off gro off >/dev/null 2>&1
    impair="loss 5% duplicate 5% delay 1ms reorder 75% 50%"
    if lx ip link add xbr0 type bridge 2>/dev/null && lx tc qdisc add dev ximp0 root netem $impair 2>/dev/null; then
        lx tc qdisc add dev "$NET_TAP" root netem $impair || return 1
        lx ip link set "$NET_TAP" master xbr0 || return 1
        lx ip link set ximp0 master xbr0 || return 1
        lx ip link set xbr0 up || return 1
        LINK_KIND=netem
    else
        lx ip link del xbr0 2>/dev/null
        NET_NS_SAVED=$NET_NS; NET_NS=$LINK_NS
        net_spawn "$NET_TMP/impair.log" "$PY" test/net/tcp_impair.py "$NET_TAP" ximp0 \
            --loss 0.05 --duplicate 0.05 --reorder 0.25
        NET_NS=$NET_NS_SAVED
        IMPAIR_PID=$NET_LAST_PID
        wait_for_line "$NET_TMP/impair.log" "^relaying" 10 || return 1
        LINK_KIND=relay
    fi
}

tcp_impairment_applied() {
    if [ "$LINK_KIND" = netem ]; then
        ip netns exec "$LINK_NS" tc -s qdisc show dev ximp0
        ip netns exec "$LINK_NS" tc -s qdisc show dev "$NET_TAP" | grep -qE "dropped [1-9]"
    else
        net_stop "$IMPAIR_PID" 5
        cat "$NET_TMP/impair.log"
        grep -qE "^$NET_TAP->ximp0 .*dropped [1-9][0-9]* duplicated [1-9][0-9]* reordered [1-9]" "$NET_TMP/impair.log" &&
            grep -qE "^ximp0->$NET_TAP .*dropped [1-9][0-9]* duplicated [1-9][0-9]* reordered [1-9]" "$NET_TMP/impair.log"
    fi
}

scenario_tcp_netem() {
    ip=10.77.0.2
    net_log "scenario: tcp_netem (5% loss, 5% duplication, reordering; ${TCP_NETEM_MB} MB transfers)"
    if ! tcp_bad_link_setup; then net_fail tcp_netem.setup "cannot create the bad link"; tcp_link_teardown; return; fi
    net_log "impairment by $LINK_KIND"
    net_spawn "$NET_TMP/active.log" "$PY" test/net/tcp_transfer.py serve "$NET_HOST_IP" \
        "$TCP_ACTIVE_PORT" "$(mb "$TCP_NETEM_MB")" --accept-timeout 30 --stall 60
    active_pid=$NET_LAST_PID
    wait_for_line "$NET_TMP/active.log" "^listening" 10 || net_fail tcp_netem.server "the Linux server did not start"
    tcp_start_echo "$LINK_NS" "ip=$ip/24" "gw=$NET_HOST_IP" -- "connect=$NET_HOST_IP:$TCP_ACTIVE_PORT"
    if ! wait_for_line "$NET_TMP/echo.log" "echo: serving" 10; then
        net_fail tcp_netem.start "$(tail -n 5 "$NET_TMP/echo.log" | tr '\n' ' ')"
        tcp_link_teardown; net_teardown
        return
    fi
    net_pass tcp_netem.start
    check tcp_netem.active_open_${TCP_NETEM_MB}MB_both_ways tcp_wait_pid "$active_pid" 600 "$NET_TMP/active.log"
    check tcp_netem.echo_${TCP_NETEM_MB}MB_both_ways nsx "$PY" test/net/tcp_transfer.py echo "$ip" 7 "$(mb "$TCP_NETEM_MB")" --stall 60
    check tcp_netem.linux_saw_no_bad_segment tcp_linux_no_bad_segments dup-syn-ok
    check tcp_netem.clean_exit_on_sigterm stop_echo_checked
    check tcp_netem.impairment_applied tcp_impairment_applied
    check tcp_netem.appliance_recovered_losses tcp_any_counter_positive tcp.fast_retransmits tcp.tx_retransmits
    check tcp_netem.appliance_saw_reordering tcp_counter_at_least tcp.rx_out_of_order 1
    tcp_link_teardown
    net_teardown
}
