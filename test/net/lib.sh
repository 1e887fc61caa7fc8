# test/net/lib.sh: helpers for the hosted network integration tests (sourced by run.sh).
#
# Every test runs inside a network namespace of its own that holds one TAP interface and nothing
# else (plus lo): the appliance attaches to the TAP, Linux tools on the other side talk to it.
# No traffic can leave the namespace. Everything started is recorded and stopped by net_cleanup,
# which the EXIT/INT/TERM trap runs on every exit path, and the namespace is deleted there.
#
# Addresses: the Linux side of the link is 10.77.0.1/24; a static appliance is 10.77.0.2;
# dnsmasq leases 10.77.0.50-10.77.0.60.

NET_NS=""
NET_TAP=xtap0
NET_HOST_IP=10.77.0.1
NET_PREFIX=24
NET_TMP=""
NET_PIDS=""
NET_PASSED=0
NET_FAILED=0
NET_FAILED_NAMES=""
PY=/usr/bin/python3

net_log() { echo "test-net: $*"; }

# Runs a command inside the namespace.
nsx() { ip netns exec "$NET_NS" "$@"; }

net_pass() { NET_PASSED=$((NET_PASSED + 1)); echo "PASS $1"; }
net_fail() {
    NET_FAILED=$((NET_FAILED + 1)); NET_FAILED_NAMES="$NET_FAILED_NAMES $1"
    echo "FAIL $1${2:+: $2}"
}
# check NAME COMMAND...: PASS when the command succeeds.
check() {
    name=$1; shift
    if "$@" > "$NET_TMP/check.out" 2>&1; then
        net_pass "$name"
    else
        net_fail "$name" "$(tail -n 3 "$NET_TMP/check.out" | tr '\n' ' ')"
    fi
}

# Starts a background command (inside the namespace) and remembers its pid for cleanup.
# Output goes to the given log file.
net_spawn() {
    log=$1; shift
    ip netns exec "$NET_NS" "$@" > "$log" 2>&1 &
    NET_PIDS="$NET_PIDS $!"
    NET_LAST_PID=$!
}

# Stops one process started by net_spawn: SIGTERM, then SIGKILL after `grace` seconds.
# Leaves its exit status in NET_EXIT_STATUS (or 124 when it had to be killed).
net_stop() {
    pid=$1; grace=${2:-5}
    NET_EXIT_STATUS=0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt $((grace * 10)) ]; do
            sleep 0.1; i=$((i + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            NET_EXIT_STATUS=124
        else
            wait "$pid" 2>/dev/null; NET_EXIT_STATUS=$?
        fi
    else
        wait "$pid" 2>/dev/null; NET_EXIT_STATUS=$?
    fi
    NET_PIDS=$(echo "$NET_PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
}

# Stops everything started and deletes the namespace (between scenarios and at exit).
net_teardown() {
    for pid in $NET_PIDS; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    NET_PIDS=""
    if [ -n "$NET_NS" ] && ip netns list | grep -qw "$NET_NS"; then
        # Anything still running in the namespace was started by this test.
        for pid in $(ip netns pids "$NET_NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$NET_NS" 2>/dev/null
    fi
    NET_NS=""
    ECHO_PID=""; CAPTURE_PID=""; DNSMASQ_PID=""
}

# The exit trap: teardown, then the temporary directory (kept with NET_KEEP=1).
net_cleanup() {
    net_teardown
    if [ -n "$NET_TMP" ] && [ -z "${NET_KEEP:-}" ]; then rm -rf "$NET_TMP"; fi
}

# Creates the namespace and the TAP interface (persistent, so the appliance can attach to it).
net_setup() {
    net_teardown
    NET_NS="xenolith-net-$$"
    ip netns add "$NET_NS" || return 1
    nsx ip link set lo up || return 1
    nsx ip tuntap add dev "$NET_TAP" mode tap || return 1
    nsx ip addr add "$NET_HOST_IP/$NET_PREFIX" dev "$NET_TAP" || return 1
    nsx ip link set "$NET_TAP" up || return 1
    # Silence IPv6 on the link: only the traffic the tests make.
    nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1 || true
}

# Waits up to `secs` for a pattern to appear in a file. Returns 1 on timeout.
wait_for_line() {
    file=$1; pattern=$2; secs=$3
    i=0
    while [ $i -lt $((secs * 10)) ]; do
        grep -qE "$pattern" "$file" 2>/dev/null && return 0
        sleep 0.1; i=$((i + 1))
    done
    return 1
}

# Starts the appliance in the namespace with the given options; its log is $NET_TMP/echo.log.
ECHO_PID=""
start_echo() {
    net_spawn "$NET_TMP/echo.log" "$ECHO_BIN" "tap=$NET_TAP" "$@"
    ECHO_PID=$NET_LAST_PID
}

# The appliance's MAC, from its "device <name> <mac>" log line.
echo_mac() { sed -nE 's/.*echo: device [^ ]+ ([0-9a-f:]{17}).*/\1/p' "$NET_TMP/echo.log" | head -n 1; }

# Captures the link into $NET_TMP/<name>.pcap until stop_capture.
CAPTURE_PID=""
start_capture() {
    net_spawn "$NET_TMP/$1.tshark.log" tshark -q -n -i "$NET_TAP" -w "$NET_TMP/$1.pcap"
    CAPTURE_PID=$NET_LAST_PID
    # tshark says "Capturing on" once it is ready.
    wait_for_line "$NET_TMP/$1.tshark.log" "Capturing on" 10
}
stop_capture() {
    [ -n "$CAPTURE_PID" ] && net_stop "$CAPTURE_PID" 5
    CAPTURE_PID=""
}

# Application dissectors that guess from payload bytes (tshark's heuristics: Thrift, ...) read
# the random bytes of echo and discard traffic as broken application messages and flag them
# malformed. The audits are about the appliance's own layers (Ethernet to TCP/UDP), so those
# protocols are switched off for them.
TSHARK_NO_GUESSING=$(tshark -G heuristic-decodes 2>/dev/null |
    awk -F'\t' '($1 == "tcp" || $1 == "udp") { print "--disable-protocol " $2 }' | sort -u | tr '\n' ' ')

# tshark over a capture: the frames the appliance sent (eth.src == its MAC) must have correct
# IPv4/ICMP checksums and nothing malformed or in error; TCP and UDP checksums, which the TAP's
# offload may leave for the host to complete, are audited by csum_audit.py. Prints the offending
# frames.
check_capture_clean() {
    pcap=$1; mac=$2
    [ -s "$pcap" ] || { echo "empty capture $pcap"; return 1; }
    sent=$(tshark -n -r "$pcap" -Y "eth.src == $mac" 2>/dev/null | wc -l)
    [ "$sent" -gt 0 ] || { echo "no frame from $mac in the capture"; return 1; }
    # shellcheck disable=SC2086
    bad=$(tshark -n -r "$pcap" $TSHARK_NO_GUESSING -o ip.check_checksum:TRUE -o udp.check_checksum:FALSE \
              -o tcp.check_checksum:FALSE \
              -Y "eth.src == $mac && (_ws.malformed || _ws.expert.severity == error || ip.checksum.status == \"Bad\" || icmp.checksum.status == \"Bad\")" 2>"$NET_TMP/tshark.err") || { cat "$NET_TMP/tshark.err"; return 1; }
    if [ -n "$bad" ]; then
        echo "$bad" | head -n 20
        return 1
    fi
    "$PY" test/net/csum_audit.py "$pcap" "$mac" || return 1
    echo "$sent frames from the appliance, all clean"
}

# Counts frames in a capture matching a display filter.
capture_count() { tshark -n -r "$1" -Y "$2" 2>/dev/null | wc -l; }

# Starts dnsmasq as the link's DHCP server (no DNS). Extra arguments are passed on.
DNSMASQ_PID=""
start_dnsmasq() {
    net_spawn "$NET_TMP/dnsmasq.out" dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
        --user=root --group=root --interface="$NET_TAP" --bind-interfaces --dhcp-authoritative \
        --dhcp-leasefile="$NET_TMP/dnsmasq.leases" --log-dhcp \
        --log-facility="$NET_TMP/dnsmasq.log" "$@"
    DNSMASQ_PID=$NET_LAST_PID
    sleep 0.5
    kill -0 "$DNSMASQ_PID" 2>/dev/null
}
