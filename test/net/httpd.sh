#!/bin/sh
# test/net/httpd.sh HTTPD_BINARY SITE_IMAGE SITE_DIR: the httpd appliance's integration tests
# (part of make test-net). One network namespace with one TAP link (test/net/lib.sh), the
# appliance at 10.77.0.2 serving the sample site's disk image, Linux clients on the other side:
#   files        curl fetches every file of the site (and "/", "/docs/", "/docs" redirect): bytes
#                equal the site's, Content-Type, Content-Length, ETag, Last-Modified; HEAD too
#   conditional  If-None-Match and If-Modified-Since give 304, a stale tag or date gives 200,
#                If-Match failing gives 412
#   range        206 with Content-Range for first-last, suffix and open ranges (bytes checked),
#                416 past the end, If-Range with an old tag gives 200
#   pipelined    five requests in one segment answered in order (httpd_raw.py)
#   malformed    each malformed request gets its status (400/405/413/414/431/501/505)
#   slowloris    40 clients trickling heads are cut off at the head timeout while curl is served
#   idle         a silent kept-alive connection is closed at the idle timeout
#   http10       HTTP/1.0 persistence: "Connection: keep-alive" confirmed and the connection kept,
#                "Connection: close" (and the close) otherwise; HTTP/1.1 likewise (httpd_raw.py)
#   ab           Apache Bench with HTTP/1.0 keep-alive (ab -k) and with a new connection per
#                request (the server closes first): every request answered, none failed
#   overload     a second appliance with 4 client slots: idle keep-alive connections are evicted
#                for a new client, then the oldest slow head (503); a new client is refused only
#                while every slot sends to a slow reader, and those are cut after the send grace
#   wrk          30 s at 100 connections with no socket error and no non-2xx response
#   pressure     on 16 MiB of RAM with a cache bound of 1 GiB, a site of 24 MiB is served whole,
#                twice round: the file cache gives memory back whenever an allocation would fail
#   no-disk      without disk= the built-in page is served; a malformed archive is refused
#   make-run     `make run` (scripts/run.sh) with RUN_SECONDS serves the site on its own TAP and
#                removes it at the end
# HTTPD_SKIP_WRK=1 skips the 30 s load. Prints PASS/FAIL per case and "httpd: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
. test/net/lib.sh

HTTPD_BIN=${1:-build/hosted/httpd}
SITE_IMG=${2:-build/httpd/site.img}
SITE_DIR=${3:-build/httpd/site.img.stage}
IP=10.77.0.2
URL=http://$IP
HEAD_TIMEOUT=3
IDLE_TIMEOUT=4

if [ "$(id -u)" -ne 0 ]; then
    echo "test-net httpd: needs root"; echo "httpd: 0 passed, 1 failed"; exit 1
fi
for tool in ip curl wrk ab "$PY" timeout; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "test-net httpd: $tool is missing (scripts/deps.sh installs it)"
        echo "httpd: 0 passed, 1 failed"; exit 1; }
done
for f in "$HTTPD_BIN" "$SITE_IMG"; do
    [ -e "$f" ] || { echo "test-net httpd: $f is not built"; echo "httpd: 0 passed, 1 failed"; exit 1; }
done

trap 'net_cleanup' EXIT
trap 'net_cleanup; exit 130' INT
trap 'net_cleanup; exit 143' TERM
NET_TMP=$(mktemp -d /tmp/xenolith-test-httpd.XXXXXX)
[ -n "${NET_KEEP:-}" ] && net_log "logs in $NET_TMP"
LOG=$NET_TMP/httpd.log

start_httpd() {
    net_spawn "$LOG" env XENOLITH_HOSTED_MEM_MB=256 "$HTTPD_BIN" "tap=$NET_TAP" "$@"
    ECHO_PID=$NET_LAST_PID
}

alive() { kill -0 "$ECHO_PID" 2>/dev/null || { tail -n 20 "$LOG"; return 1; }; }

# ---- files: every file of the site, bytes and headers ----
# The media type the server must give each extension of the sample site.
type_of() {
    case $1 in
        *.html) echo "text/html; charset=utf-8" ;;
        *.css) echo "text/css; charset=utf-8" ;;
        *.txt) echo "text/plain; charset=utf-8" ;;
        *.png) echo "image/png" ;;
        *) echo "application/octet-stream" ;;
    esac
}

# fetch_check URL_PATH FILE: GET and HEAD, compare bytes and headers.
fetch_check() {
    path=$1; file=$2
    nsx curl -sS --max-time 20 -D "$NET_TMP/h" -o "$NET_TMP/b" "$URL$path" || return 1
    cmp "$NET_TMP/b" "$file" || { echo "$path: bytes differ"; return 1; }
    tr -d '\r' < "$NET_TMP/h" > "$NET_TMP/hh"
    size=$(stat -c %s "$file")
    mtime=$(LC_ALL=C TZ=GMT date -d "@$(stat -c %Y "$file")" '+%a, %d %b %Y %H:%M:%S GMT')
    grep -qx "HTTP/1.1 200 OK" "$NET_TMP/hh" || { echo "$path: $(head -n 1 "$NET_TMP/hh")"; return 1; }
    grep -qx "Content-Length: $size" "$NET_TMP/hh" || { echo "$path: length"; return 1; }
    grep -qx "Content-Type: $(type_of "$file")" "$NET_TMP/hh" || { echo "$path: type"; return 1; }
    grep -qx "Last-Modified: $mtime" "$NET_TMP/hh" || { echo "$path: Last-Modified, want $mtime"; return 1; }
    grep -qE '^ETag: "[0-9a-f-]+"$' "$NET_TMP/hh" || { echo "$path: ETag"; return 1; }
    grep -qx "Accept-Ranges: bytes" "$NET_TMP/hh" || { echo "$path: Accept-Ranges"; return 1; }
    # HEAD: the same fields, no body.
    nsx curl -sS --max-time 10 -I -o "$NET_TMP/hd" "$URL$path" || return 1
    tr -d '\r' < "$NET_TMP/hd" | grep -v '^Date:' > "$NET_TMP/hd2"
    grep -v '^Date:' "$NET_TMP/hh" | diff - "$NET_TMP/hd2" || { echo "$path: HEAD differs"; return 1; }
}

check_all_files() {
    n=0
    for file in $(cd "$SITE_DIR" && find . -type f | sort); do
        fetch_check "${file#.}" "$SITE_DIR/${file#./}" || return 1
        n=$((n + 1))
    done
    fetch_check / "$SITE_DIR/index.html" || return 1
    fetch_check /docs/ "$SITE_DIR/docs/index.html" || return 1
    echo "$n files and 2 directory indexes fetched"
}

check_redirect() {
    out=$(nsx curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' "$URL/docs") || return 1
    echo "$out"
    [ "$out" = "301 $URL/docs/" ]
}

# ---- conditional ----
code() { nsx curl -sS -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
etag_of() { nsx curl -sSI "$URL$1" | tr -d '\r' | sed -n 's/^ETag: //p'; }
lastmod_of() { nsx curl -sSI "$URL$1" | tr -d '\r' | sed -n 's/^Last-Modified: //p'; }

check_conditional() {
    tag=$(etag_of /index.html); lm=$(lastmod_of /index.html)
    [ -n "$tag" ] && [ -n "$lm" ] || { echo "no validators"; return 1; }
    c1=$(code -H "If-None-Match: $tag" "$URL/index.html")
    c2=$(code -H "If-None-Match: \"stale\", W/$tag" "$URL/index.html")
    c3=$(code -H "If-None-Match: \"stale\"" "$URL/index.html")
    c4=$(code -H "If-Modified-Since: $lm" "$URL/index.html")
    c5=$(code -H "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT" "$URL/index.html")
    c6=$(code -H "If-None-Match: \"stale\"" -H "If-Modified-Since: $lm" "$URL/index.html")
    c7=$(code -H "If-Match: \"stale\"" "$URL/index.html")
    echo "INM $c1, weak INM $c2, stale INM $c3, IMS $c4, old IMS $c5, INM over IMS $c6, If-Match $c7"
    [ "$c1 $c2 $c3 $c4 $c5 $c6 $c7" = "304 304 200 304 200 200 412" ]
    # A 304 has no body and carries the ETag.
    nsx curl -sS -D - -o "$NET_TMP/nm" -H "If-None-Match: $tag" "$URL/index.html" | tr -d '\r' |
        grep -qx "ETag: $tag" && [ ! -s "$NET_TMP/nm" ]
}

# ---- range ----
check_range() {
    big=$SITE_DIR/big.txt
    size=$(stat -c %s "$big")
    nsx curl -sS -D "$NET_TMP/rh" -o "$NET_TMP/r1" -r 1000-1999 "$URL/big.txt" || return 1
    tr -d '\r' < "$NET_TMP/rh" | grep -qx "Content-Range: bytes 1000-1999/$size" || { cat "$NET_TMP/rh"; return 1; }
    grep -q "^HTTP/1.1 206" "$NET_TMP/rh" || return 1
    dd if="$big" bs=1000 skip=1 count=1 status=none | cmp - "$NET_TMP/r1" || return 1
    nsx curl -sS -o "$NET_TMP/r2" -r -100 "$URL/big.txt" || return 1
    tail -c 100 "$big" | cmp - "$NET_TMP/r2" || return 1
    nsx curl -sS -o "$NET_TMP/r3" -r 1048000- "$URL/big.txt" || return 1
    tail -c $((size - 1048000)) "$big" | cmp - "$NET_TMP/r3" || return 1
    c416=$(code -r "$size-" "$URL/big.txt")
    nsx curl -sS -D - -o /dev/null -r "$size-" "$URL/big.txt" | tr -d '\r' |
        grep -qx "Content-Range: bytes \*/$size" || { echo "416 without Content-Range"; return 1; }
    cif=$(code -r 0-9 -H 'If-Range: "old"' "$URL/big.txt")
    tag=$(etag_of /big.txt)
    cif2=$(code -r 0-9 -H "If-Range: $tag" "$URL/big.txt")
    cmulti=$(code -r 0-9,20-29 "$URL/big.txt")
    echo "416 past the end: $c416, stale If-Range: $cif, current If-Range: $cif2, two ranges: $cmulti"
    [ "$c416 $cif $cif2 $cmulti" = "416 200 206 200" ]
}

# ---- slowloris while a normal client is served ----
check_slowloris() {
    nsx "$PY" test/net/httpd_raw.py slowloris "$IP" 80 40 "$HEAD_TIMEOUT" > "$NET_TMP/slow.out" 2>&1 &
    slow=$!
    sleep 1
    t0=$(date +%s%N)
    nsx curl -sS --max-time 5 -o "$NET_TMP/normal" "$URL/index.html" || { kill $slow; return 1; }
    t1=$(date +%s%N)
    cmp "$NET_TMP/normal" "$SITE_DIR/index.html" || { kill $slow; return 1; }
    echo "normal client served in $(( (t1 - t0) / 1000000 )) ms during the attack"
    wait $slow; rc=$?
    cat "$NET_TMP/slow.out"
    [ $rc -eq 0 ]
}

# ab_check NAME ARGS...: ab's own report must say every request completed, none failed.
ab_check() {
    n=$1; shift
    nsx timeout 120 ab -s 10 -n "$n" "$@" "$URL/index.html" > "$NET_TMP/ab.out" 2>&1
    grep -E "^(Complete|Failed|Keep-Alive) requests|^Requests per second|^apr_" "$NET_TMP/ab.out"
    grep -qE "^Complete requests: +$n$" "$NET_TMP/ab.out" &&
        grep -qE "^Failed requests: +0$" "$NET_TMP/ab.out" || return 1
    case " $* " in
        *" -k "*) grep -qE "^Keep-Alive requests: +$n$" "$NET_TMP/ab.out" ;;
    esac
}

check_wrk() {
    nsx wrk -t 2 -c 100 -d 30s --timeout 5s "$URL/index.html" > "$NET_TMP/wrk.out" 2>&1 || { cat "$NET_TMP/wrk.out"; return 1; }
    cat "$NET_TMP/wrk.out"
    grep -q "Socket errors" "$NET_TMP/wrk.out" && return 1
    grep -q "Non-2xx or 3xx" "$NET_TMP/wrk.out" && return 1
    reqs=$(sed -nE 's/^ *([0-9]+) requests in .*/\1/p' "$NET_TMP/wrk.out")
    [ -n "$reqs" ] && [ "$reqs" -gt 1000 ]
}

stop_checked() {
    net_stop "$ECHO_PID" 10
    [ "$NET_EXIT_STATUS" -eq 0 ] || { echo "exit status $NET_EXIT_STATUS"; tail -n 20 "$LOG"; return 1; }
}

access_logged() {
    grep -qE "httpd: 10\.77\.0\.1:[0-9]+ \"GET /big.txt HTTP/1.1\" 206 1000$" "$LOG" &&
    grep -qE "httpd: 10\.77\.0\.1:[0-9]+ \"GET /nope.html HTTP/1.1\" 404 [0-9]+$" "$LOG"
}

# ---------------------------------------------------------------- the site
net_log "httpd: site from $SITE_IMG"
if net_setup; then
    start_httpd disk="$SITE_IMG" "ip=$IP/24" -- port=80 header-timeout=$HEAD_TIMEOUT idle-timeout=$IDLE_TIMEOUT
    if wait_for_line "$LOG" "httpd: listening on port 80" 10; then
        net_pass httpd.start
        check httpd.files check_all_files
        check httpd.directory_redirect check_redirect
        check httpd.conditional check_conditional
        check httpd.range check_range
        check httpd.pipelined nsx "$PY" test/net/httpd_raw.py pipeline "$IP" 80 "$SITE_DIR"
        check httpd.malformed nsx "$PY" test/net/httpd_raw.py malformed "$IP" 80
        check httpd.slowloris_cut_off_normal_served check_slowloris
        check httpd.idle_timeout nsx "$PY" test/net/httpd_raw.py idle "$IP" 80 "$IDLE_TIMEOUT"
        check httpd.http10_persistence nsx "$PY" test/net/httpd_raw.py http10 "$IP" 80
        check httpd.ab_keepalive_http10 ab_check 5000 -k -c 20
        check httpd.ab_new_connection_per_request ab_check 1000 -c 20
        if [ -z "${HTTPD_SKIP_WRK:-}" ]; then
            check httpd.wrk_30s_100_connections check_wrk
        fi
        check httpd.still_running alive
        check httpd.access_log access_logged
        check httpd.clean_exit_on_sigterm stop_checked
        check httpd.counters_printed grep -qE "httpd.connections [1-9][0-9]* refused 0 requests [1-9]" "$LOG"
    else
        net_fail httpd.start "$(tail -n 5 "$LOG" | tr '\n' ' ')"
    fi
else
    net_fail httpd.setup "cannot create the namespace"
fi
net_teardown

# ---------------------------------------------------------------- overload
# 4 client slots; heads may take 30 s (so only eviction ends them); a response has a 3 s grace at
# a minimum rate no reader of nothing keeps up with.
OVERLOAD_SEND_TIMEOUT=3
overload_counted() {
    for c in "refused_busy [1-9]" "evicted_idle [1-9]" "evicted_heads [1-9]" "send_timeouts [1-9]"; do
        grep -qE "httpd\..*$c" "$LOG" || { echo "no '$c' in:"; grep -E "^httpd\." "$LOG"; return 1; }
    done
    grep -E "^httpd\.(refused_|evicted_|body_)" "$LOG"
}
LOG=$NET_TMP/httpd-overload.log
if net_setup; then
    start_httpd disk="$SITE_IMG" "ip=$IP/24" -- port=80 max-conns=4 header-timeout=30 \
        send-timeout=$OVERLOAD_SEND_TIMEOUT send-min-rate=1000000
    if wait_for_line "$LOG" "httpd: listening on port 80" 10; then
        check httpd.overload_policy nsx "$PY" test/net/httpd_raw.py overload "$IP" 80 4 \
            "$OVERLOAD_SEND_TIMEOUT"
        check httpd.overload_clean_exit stop_checked
        check httpd.overload_counted overload_counted
    else
        net_fail httpd.overload_start "$(tail -n 5 "$LOG" | tr '\n' ' ')"
    fi
fi
net_teardown

# ---------------------------------------------------------------- memory pressure
# A site larger than the machine's memory (24 files of 1 MiB on 16 MiB of RAM) and a cache
# bound far above it: the file cache fills memory, and every allocation that would fail makes it
# give files back (mem_reclaim_register), so every file is still served, byte for byte, twice
# round, no client refused, and the counters show files given back.
PRESSURE_MEM_MB=16
PRESSURE_FILES=24
pressure_serves_all() {
    for round in 1 2; do
        i=0
        while [ $i -lt $PRESSURE_FILES ]; do
            nsx curl -sS --max-time 20 -o "$NET_TMP/p.out" "$URL/f$i.bin" || { echo "round $round f$i.bin"; return 1; }
            cmp "$NET_TMP/p.out" "$NET_TMP/pressure/f$i.bin" || return 1
            i=$((i + 1))
        done
    done
    echo "$PRESSURE_FILES files of 1 MiB served twice round on $PRESSURE_MEM_MB MiB of RAM"
}
pressure_counted() {
    grep -E "^httpd\.(connections|cache_)" "$LOG"
    grep -qE "httpd\.connections [1-9][0-9]* refused 0 " "$LOG" &&
        grep -qE "httpd\.cache_.* cache_reclaimed [1-9]" "$LOG"
}
LOG=$NET_TMP/httpd-pressure.log
mkdir -p "$NET_TMP/pressure"
i=0
while [ $i -lt $PRESSURE_FILES ]; do
    head -c 1048576 /dev/urandom > "$NET_TMP/pressure/f$i.bin"
    i=$((i + 1))
done
scripts/mkdisk.sh "$NET_TMP/pressure" "$NET_TMP/pressure.img" >/dev/null
if net_setup; then
    net_spawn "$LOG" env XENOLITH_HOSTED_MEM_MB=$PRESSURE_MEM_MB "$HTTPD_BIN" "tap=$NET_TAP" \
        disk="$NET_TMP/pressure.img" "ip=$IP/24" -- port=80 cache=1073741824
    ECHO_PID=$NET_LAST_PID
    if wait_for_line "$LOG" "httpd: listening on port 80" 10; then
        check httpd.pressure_site_larger_than_memory pressure_serves_all
        check httpd.pressure_clean_exit stop_checked
        check httpd.pressure_cache_gave_memory_back pressure_counted
    else
        net_fail httpd.pressure_start "$(tail -n 5 "$LOG" | tr '\n' ' ')"
    fi
fi
net_teardown

# ---------------------------------------------------------------- no disk, bad disk
builtin_page() {
    out=$(nsx curl -sS --max-time 5 "$URL/") || return 1
    echo "$out" | grep -q "no site disk" && [ "$(code "$URL/other.html")" = 404 ]
}
LOG=$NET_TMP/httpd-builtin.log
if net_setup; then
    start_httpd "ip=$IP/24"
    if wait_for_line "$LOG" "httpd: listening" 10; then
        check httpd.builtin_page builtin_page
        check httpd.builtin_clean_exit stop_checked
    else
        net_fail httpd.builtin_start "$(tail -n 5 "$LOG" | tr '\n' ' ')"
    fi
    # A disk whose archive is corrupt: refused at start with a message, exit status 1.
    cp "$SITE_IMG" "$NET_TMP/bad.img"
    printf 'X' | dd of="$NET_TMP/bad.img" bs=1 seek=148 conv=notrunc status=none   # checksum field
    LOG=$NET_TMP/httpd-bad-disk.log
    start_httpd disk="$NET_TMP/bad.img" "ip=$IP/24"
    refused() {
        net_stop "$ECHO_PID" 10
        grep -q "httpd: the site disk was refused: disk0: " "$LOG" && [ "$NET_EXIT_STATUS" -eq 1 ] ||
            { tail -n 5 "$LOG"; echo "exit $NET_EXIT_STATUS"; return 1; }
        grep "refused" "$LOG"
    }
    sleep 1
    check httpd.malformed_archive_refused refused
fi
net_teardown

# ---------------------------------------------------------------- make run, non-interactive
make_run_serves() {
    nsx env RUN_SECONDS=8 make --no-print-directory run > "$NET_TMP/run.log" 2>&1 &
    runpid=$!
    wait_for_line "$NET_TMP/run.log" "httpd: listening" 60 || { kill $runpid; cat "$NET_TMP/run.log"; return 1; }
    nsx curl -sS --max-time 5 -o "$NET_TMP/run.html" http://10.78.0.2/ || { wait $runpid; return 1; }
    wait $runpid; rc=$?
    cmp "$NET_TMP/run.html" app/httpd/site/index.html || return 1
    grep -E "^run.sh: (httpd on TAP|serving|removed)" "$NET_TMP/run.log"
    grep -q "curl -v http://10.78.0.2/" "$NET_TMP/run.log" || return 1
    grep -q "run.sh: removed xhttpd0" "$NET_TMP/run.log" || return 1
    ! nsx ip link show xhttpd0 >/dev/null 2>&1 || { echo "xhttpd0 left behind"; return 1; }
    [ $rc -eq 0 ] || { echo "make run exited $rc"; tail -n 5 "$NET_TMP/run.log"; return 1; }
}
if net_setup; then
    check httpd.make_run make_run_serves
fi
net_teardown

[ -n "$NET_FAILED_NAMES" ] && echo "failed:$NET_FAILED_NAMES"
echo "httpd: $NET_PASSED passed, $NET_FAILED failed"
[ "$NET_FAILED" -eq 0 ]
