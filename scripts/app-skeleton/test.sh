#!/bin/sh
# Smoke test of @NAME@ as it really runs: the hosted program on a TAP device, in a network
# namespace of its own (created here and deleted on every exit path, so nothing leaves it),
# answered by a real client (Python's socket module on the Linux side of the link). Needs root.
#
#   make APP_DIR=<this directory> app-test     (from the Xenolith repository: builds, then runs this)
#   ./test.sh [PATH/TO/build/hosted/@NAME@]    (without a path: builds it with $XENOLITH's make)
#
# Prints PASS or FAIL per check and exits non-zero if any failed; the appliance's log is shown on
# a failure.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
XENOLITH=${XENOLITH:-@XENOLITH@}
bin=${1:-}
if [ -z "$bin" ]; then
    make -C "$XENOLITH" --no-print-directory APP_DIR="$here" "build/hosted/@NAME@"
    bin=$XENOLITH/build/hosted/@NAME@
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "test.sh: needs root (a network namespace and a TAP device)" >&2
    exit 1
fi

NS=@NAME@-test-$$
HOST_IP=10.81.0.1
APP_IP=10.81.0.2
PORT=7000
tmp=$(mktemp -d)
pid=""
failed=0
cleanup() {
    if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    ip netns del "$NS" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); sed 's/^/    | /' "$tmp/app.log" | tail -n 30; }

ip netns add "$NS"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1 || true
ip netns exec "$NS" ip tuntap add dev tap0 mode tap
ip netns exec "$NS" ip addr add "$HOST_IP/24" dev tap0
ip netns exec "$NS" ip link set tap0 up

# The appliance: the boot options (TAP, static address), then its own word after "--".
ip netns exec "$NS" "$bin" tap=tap0 "ip=$APP_IP/24" "gw=$HOST_IP" -- "port=$PORT" >"$tmp/app.log" 2>&1 &
pid=$!
i=0
until grep -q "listening on TCP port $PORT" "$tmp/app.log"; do
    i=$((i + 1))
    if [ $i -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
        fail starts "no 'listening on TCP port $PORT' within 10 s"
        exit 1
    fi
    sleep 0.1
done
pass starts

# A client: two lines on one connection, each answered with one line.
if ip netns exec "$NS" timeout 20 /usr/bin/python3 - "$APP_IP" "$PORT" >"$tmp/client.out" 2>&1 <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
f = s.makefile("rb")
s.sendall(b"hello\r\n")
print(f.readline().decode().rstrip("\n"))
s.sendall(b"time\n")
print(f.readline().decode().rstrip("\n"))
s.close()
PY
then
    first=$(sed -n 1p "$tmp/client.out")
    second=$(sed -n 2p "$tmp/client.out")
    if [ "$first" = "@NAME@: hello" ]; then pass answers; else fail answers "got '$first'"; fi
    case $second in
        "up "*" s") pass time ;;
        *) fail time "got '$second'" ;;
    esac
else
    fail answers "the client failed: $(tail -n 2 "$tmp/client.out" | tr '\n' ' ')"
fi

# A clean stop: SIGTERM is the machine's shutdown request; the appliance exits with success.
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
if [ "$status" -eq 0 ] && grep -q "xenolith: shutdown: success" "$tmp/app.log"; then
    pass stops
else
    fail stops "exit status $status"
fi

echo "@NAME@: $((4 - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
