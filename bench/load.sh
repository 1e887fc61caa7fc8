#!/bin/bash
# bench/load.sh OUTDIR: the load figures, Xenolith's httpd and nginx side by side in the same run,
# one server at a time, with the clients and commands of the load tier (test/load/lib.sh):
#   xenolith  build/hosted/httpd on TAP xltap0 (10.79.4.2), the sample site on its disk image,
#             its default limits (access log off)
#   nginx     Debian's nginx-light in a peer namespace over a veth (10.79.5.2): one worker process,
#             1024 connections, the same files unpacked from the disk image into a temporary
#             directory, keep-alive and head timeouts set to httpd's defaults (15 s, 10 s), access
#             log off; the configuration is written here, the server started and stopped here
# Measured against each: ab -k -n 20000 -c 20 (requests/s with HTTP/1.0 keep-alive), ab -n 20000
# -c 20 (new connections/s), wrk -c 50 for BENCH_LOAD_SECONDS (30 s: requests/s, p50, p99), and
# availability under slowloris (slowhttptest -H -c 600 -r 100 -i 10 -l 40, a curl every 0.5 s).
# Each load meets a freshly started server. A client that gave up is recorded with how far it got.
# The clients run in namespace
# xbload-<pid>, nginx in xbload-peer-<pid>; the trap stops everything and deletes both on every
# exit path. Writes OUTDIR/load.txt ("SERVER.METRIC VALUE" lines; a value may hold spaces) and each client's report in
# OUTDIR/load/.
set -u
cd "$(dirname "$0")/.." || exit 1
. test/load/lib.sh
out=$1
secs=${BENCH_LOAD_SECONDS:-30}
HTTPD=build/hosted/httpd
SITE_IMG=build/httpd/site.img
NS=xbload-$$
PEER=xbload-peer-$$
PIDS=""
LOAD_OUT=$out/load
mkdir -p "$LOAD_OUT"
: > "$out/load.txt"
NGINX_DIR=""

. bench/lib.sh
cleanup() {
    [ -n "$PROBE_PID" ] && { touch "$LOAD_OUT/probe.stop"; wait "$PROBE_PID" 2>/dev/null; }
    bench_stop_servers
    [ -n "$NGINX_DIR" ] && rm -rf "$NGINX_DIR"
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

fail() { echo "bench load: $*" >&2; exit 1; }
load_nsx() { ip netns exec "$NS" "$@"; }
[ "$(id -u)" -eq 0 ] || fail "needs root (network namespaces, TAP devices)"
for t in ab wrk slowhttptest curl ip nginx; do command -v $t >/dev/null || fail "$t missing (scripts/deps.sh)"; done
for f in "$HTTPD" "$SITE_IMG"; do [ -e "$f" ] || fail "$f not built"; done

# nginx's files and configuration, readable by its worker (which drops to nobody).
NGINX_DIR=$(mktemp -d /tmp/xenolith-bench-nginx.XXXXXX)
chmod 755 "$NGINX_DIR"
mkdir -p "$NGINX_DIR/site" "$NGINX_DIR/temp"
tar -xf "$SITE_IMG" -C "$NGINX_DIR/site" 2>/dev/null
[ -f "$NGINX_DIR/site/index.html" ] || fail "cannot unpack $SITE_IMG"
chmod -R a+rX "$NGINX_DIR/site"
cat > "$NGINX_DIR/nginx.conf" <<EOF
# Written by bench/load.sh: Debian's nginx, one worker, 1024 connections, the sample site.
worker_processes 1;
daemon off;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    keepalive_timeout 15s;
    client_header_timeout 10s;
    client_body_temp_path $NGINX_DIR/temp/body;
    proxy_temp_path $NGINX_DIR/temp/proxy;
    fastcgi_temp_path $NGINX_DIR/temp/fastcgi;
    uwsgi_temp_path $NGINX_DIR/temp/uwsgi;
    scgi_temp_path $NGINX_DIR/temp/scgi;
    server {
        listen 10.79.5.2:80;
        root $NGINX_DIR/site;
        index index.html;
    }
}
EOF

ip netns add "$NS" && ip netns add "$PEER" || fail "cannot create namespaces"
for ns in "$NS" "$PEER"; do
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 >/dev/null 2>&1
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="10000 65000" >/dev/null 2>&1
done
# nginx's side: a backlog and SYN queue as large as its connection limit (Linux's defaults are
# smaller than ab's and slowhttptest's bursts; the appliance's listen backlog is 512).
ip netns exec "$PEER" sysctl -qw net.core.somaxconn=1024 >/dev/null 2>&1
load_nsx ip tuntap add dev xltap0 mode tap && load_nsx ip addr add 10.79.4.1/24 dev xltap0 && load_nsx ip link set xltap0 up
load_nsx ip link add xlveth0 type veth peer name xlveth1 netns "$PEER"
load_nsx ip addr add 10.79.5.1/24 dev xlveth0 && load_nsx ip link set xlveth0 up
ip netns exec "$PEER" ip addr add 10.79.5.2/24 dev xlveth1
ip netns exec "$PEER" ip link set xlveth1 up
ulimit -n "$(ulimit -Hn)" 2>/dev/null   # as many descriptors as allowed (600 attackers and their probes)
# (nginx -t binds the listening address, so it runs where that address is)
ip netns exec "$PEER" nginx -t -q -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf" ||
    fail "nginx refuses the configuration: $(tail -3 "$NGINX_DIR/error.log")"

spawn() {                               # spawn LOG NAMESPACE COMMAND...
    local log=$1 ns=$2; shift 2
    ip netns exec "$ns" "$@" > "$log" 2>&1 &
    PIDS="$PIDS $!"
    LAST=$!
}
stop() {
    kill -TERM "$1" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null
    PIDS=$(echo "$PIDS" | tr ' ' '\n' | grep -vx "$1" | tr '\n' ' ')
}
ready() {
    for _ in $(seq 100); do
        load_nsx curl -s -o /dev/null -m 1 "$1" && return 0
        sleep 0.1
    done
    return 1
}
rec() { echo "$1 $2" >> "$out/load.txt"; }

# start_server NAME LOAD: starts a fresh server (its log load-NAME-LOAD.log) and waits for its
# first answer; sets SERVER_PID and SERVER_URL. The clients' neighbour entries are flushed first: a
# new appliance process may come up with another MAC address.
start_server() {
    load_nsx ip neigh flush all
    case $1 in
        xenolith)
            spawn "$out/load-xenolith-$2.log" "$NS" env XENOLITH_HOSTED_MEM_MB=256 "$HTTPD" tap=xltap0 \
                disk="$SITE_IMG" ip=10.79.4.2/24 -- access-log=off
            SERVER_URL=http://10.79.4.2 ;;
        nginx)
            spawn "$out/load-nginx-$2.log" "$PEER" nginx -e "$NGINX_DIR/error.log" -c "$NGINX_DIR/nginx.conf"
            SERVER_URL=http://10.79.5.2 ;;
    esac
    SERVER_PID=$LAST
    ready "$SERVER_URL/index.html" ||
        fail "$1 did not answer: $(tail -5 "$out/load-$1-$2.log" "$NGINX_DIR/error.log" 2>/dev/null)"
}

# measure NAME: the four loads, each against a freshly started server (so one load's aftermath,
# such as connections in TIME_WAIT, is not measured as the next one's figure).
measure() {
    local name=$1 url
    start_server "$name" ab-keepalive; url=$SERVER_URL
    ab_run "$name-ab-keepalive" "$url/index.html" -k -n 20000 -c 20
    rec "$name.ab_k_rps" "${AB_RPS:--}"; rec "$name.ab_k_complete" "$AB_COMPLETE"
    rec "$name.ab_k_failed" "${AB_FAILED:--}"; rec "$name.ab_k_error" "${AB_ERROR:--}"
    stop "$SERVER_PID"
    start_server "$name" ab-new
    ab_run "$name-ab-new" "$url/index.html" -n 20000 -c 20
    rec "$name.ab_rps" "${AB_RPS:--}"; rec "$name.ab_complete" "$AB_COMPLETE"
    rec "$name.ab_failed" "${AB_FAILED:--}"; rec "$name.ab_error" "${AB_ERROR:--}"
    stop "$SERVER_PID"
    start_server "$name" wrk
    wrk_run "$name-wrk" "$url/index.html" "$secs" 50
    rec "$name.wrk_rps" "${WRK_RPS:--}"; rec "$name.wrk_p50_us" "${WRK_P50_US:--}"
    rec "$name.wrk_p99_us" "${WRK_P99_US:--}"; rec "$name.wrk_requests" "$WRK_REQUESTS"
    rec "$name.wrk_errors" "$(echo "${WRK_SOCKET_ERRORS:-none}" | sed 's/^Socket errors: //')"
    stop "$SERVER_PID"
    start_server "$name" slowloris
    slow_run "$name-slowloris" "$url/index.html" "$url/index.html" -H -c 600 -r 100 -i 10 -l 40
    rec "$name.slowloris_probes" "$PROBE_TOTAL"; rec "$name.slowloris_ok" "$PROBE_OK"
    rec "$name.slowloris_pct" "$(probe_percent)"; rec "$name.slowloris_max_connected" "$SLOW_MAX_CONNECTED"
    rec "$name.slowloris_seconds" "$(awk -F, 'NR > 1 { s = $1 } END { print s + 0 }' "$LOAD_OUT/$name-slowloris.csv" 2>/dev/null)"
    rec "$name.slowloris_end" "${SLOW_EXIT:--}"
    stop "$SERVER_PID"
    echo "bench load: $name done"
}

measure xenolith
measure nginx
cp "$NGINX_DIR/nginx.conf" "$out/load-nginx.conf"
echo "nginx.version $(nginx -v 2>&1 | sed 's/.*nginx\///')" >> "$out/load.txt"
cat "$out/load.txt"
