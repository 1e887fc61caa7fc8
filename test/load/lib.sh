# shellcheck shell=bash
# test/load/lib.sh: the load clients and how their own reports are read, shared by the load tier
# (test/load/run.sh) and the load part of make bench (bench/load.sh), so both run the same
# commands and apply the same reading. Sourced; the caller defines:
#   load_nsx COMMAND...   runs a client where the server is reachable (inside its namespace)
#   LOAD_OUT              a directory for the clients' reports
# shellcheck disable=SC2034  # the variables set here are read by the caller
# Every function writes the client's full report to $LOAD_OUT/<name>.txt and leaves what it read
# in shell variables, so the caller decides what passes.

# ab_run NAME URL AB_OPTION...: ApacheBench with the given options (-n, -c, -k).
# Sets AB_STATUS (ab's exit status), AB_COMPLETE, AB_FAILED, AB_NON2XX, AB_KEEPALIVE, AB_RPS and
# AB_ERROR (ab's own error line when it gave up, such as "apr_socket_recv: Connection reset by
# peer (104)"). -s 10: a connection without progress for 10 s makes ab give up (its default, 30 s,
# would only make a stall longer, not different).
ab_run() {
    local name=$1 url=$2 f; shift 2
    load_nsx ab -s 10 "$@" "$url" > "$LOAD_OUT/$name.txt" 2>&1
    AB_STATUS=$?
    f=$LOAD_OUT/$name.txt
    AB_COMPLETE=$(sed -nE 's/^Complete requests: +([0-9]+).*/\1/p' "$f")
    AB_FAILED=$(sed -nE 's/^Failed requests: +([0-9]+).*/\1/p' "$f")
    AB_NON2XX=$(sed -nE 's/^Non-2xx responses: +([0-9]+).*/\1/p' "$f")
    AB_KEEPALIVE=$(sed -nE 's/^Keep-Alive requests: +([0-9]+).*/\1/p' "$f")
    AB_RPS=$(sed -nE 's/^Requests per second: +([0-9]+)(\.[0-9]+)? .*/\1/p' "$f")
    AB_ERROR=$(grep -E '^apr_|^Test aborted|error' "$f" | head -n 1)
    # ab that gave up prints how far it got instead of the report.
    [ -n "$AB_COMPLETE" ] || AB_COMPLETE=$(sed -nE 's/^Total of ([0-9]+) requests completed.*/\1/p' "$f")
    : "${AB_COMPLETE:=0}" "${AB_NON2XX:=0}" "${AB_KEEPALIVE:=0}"
}

# ab_verdict WANT: the tier's criterion on ab's report: ab finished (status 0), WANT requests
# complete, "Failed requests: 0" and no non-2xx response. Prints what ab said either way.
ab_verdict() {
    local want=$1
    echo "ab: complete $AB_COMPLETE of $want, failed ${AB_FAILED:-?}, non-2xx $AB_NON2XX, keep-alive $AB_KEEPALIVE, ${AB_RPS:-?} requests/s${AB_ERROR:+; ab: $AB_ERROR}"
    [ "$AB_STATUS" -eq 0 ] && [ "$AB_COMPLETE" = "$want" ] && [ "$AB_FAILED" = 0 ] && [ "$AB_NON2XX" = 0 ]
}

# wrk_run NAME URL SECONDS CONNECTIONS: wrk (2 threads, 5 s timeout per request).
# Sets WRK_STATUS, WRK_REQUESTS, WRK_RPS, WRK_P50_US, WRK_P99_US, WRK_SOCKET_ERRORS (wrk's
# "Socket errors: connect N, read N, write N, timeout N" line, empty when there were none) and
# WRK_NON2XX (its "Non-2xx or 3xx responses" count, 0 when absent).
wrk_run() {
    local name=$1 url=$2 secs=$3 conns=$4 f
    load_nsx wrk -t 2 -c "$conns" -d "${secs}s" --timeout 5s --latency "$url" > "$LOAD_OUT/$name.txt" 2>&1
    WRK_STATUS=$?
    f=$LOAD_OUT/$name.txt
    WRK_REQUESTS=$(sed -nE 's/^ *([0-9]+) requests in .*/\1/p' "$f")
    WRK_RPS=$(awk '$1 == "Requests/sec:" { printf "%d\n", $2 }' "$f")
    WRK_P50_US=$(wrk_pct_us "$f" 50%)
    WRK_P99_US=$(wrk_pct_us "$f" 99%)
    WRK_SOCKET_ERRORS=$(grep -E '^ *Socket errors:' "$f" | sed 's/^ *//')
    WRK_NON2XX=$(sed -nE 's/^ *Non-2xx or 3xx responses: +([0-9]+).*/\1/p' "$f")
    : "${WRK_REQUESTS:=0}" "${WRK_NON2XX:=0}"
}

# A latency percentile of wrk's --latency table, in microseconds.
wrk_pct_us() {
    awk -v p="$2" '$1 == p {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
        if (u == "us") m = 1; else if (u == "ms") m = 1000; else if (u == "s") m = 1000000; else m = 60000000
        printf "%d\n", v * m }' "$1"
}

wrk_verdict() {
    echo "wrk: $WRK_REQUESTS requests, ${WRK_RPS:-?} requests/s, p50 ${WRK_P50_US:-?} us, p99 ${WRK_P99_US:-?} us, non-2xx $WRK_NON2XX${WRK_SOCKET_ERRORS:+, $WRK_SOCKET_ERRORS}"
    [ "$WRK_STATUS" -eq 0 ] && [ "$WRK_REQUESTS" -gt 0 ] && [ -z "$WRK_SOCKET_ERRORS" ] && [ "$WRK_NON2XX" = 0 ]
}

# Availability of a probing client: one `curl` every 0.5 s, each on a new connection, each given
# 3 s to answer, while an attack runs. probe_start NAME URL begins; probe_stop ends it, waits for
# the probes still out and sets PROBE_TOTAL and PROBE_OK (answers with status 200).
PROBE_PID=""
probe_start() {
    PROBE_FILE=$LOAD_OUT/$1.probes
    : > "$PROBE_FILE"
    rm -f "$LOAD_OUT/probe.stop"
    (
        while [ ! -e "$LOAD_OUT/probe.stop" ]; do
            ( code=$(load_nsx curl -s -o /dev/null -m 3 -w '%{http_code}' "$2" 2>/dev/null)
              echo "$(date +%s.%N | cut -c1-14) ${code:-000}" >> "$PROBE_FILE" ) &
            sleep 0.5
        done
        wait
    ) &
    PROBE_PID=$!
}
probe_stop() {
    touch "$LOAD_OUT/probe.stop"
    [ -n "$PROBE_PID" ] && wait "$PROBE_PID" 2>/dev/null
    PROBE_PID=""
    PROBE_TOTAL=$(wc -l < "$PROBE_FILE")
    PROBE_OK=$(awk '$2 == 200' "$PROBE_FILE" | wc -l)
}
# At least 99% of the probes answered (and at least one probe made).
probe_verdict() {
    echo "probing client: $PROBE_OK of $PROBE_TOTAL answered ($(probe_percent) %)"
    [ "$PROBE_TOTAL" -gt 0 ] && [ $((PROBE_OK * 100)) -ge $((PROBE_TOTAL * 99)) ]
}
probe_percent() { awk -v a="$PROBE_OK" -v t="$PROBE_TOTAL" 'BEGIN { if (t > 0) printf "%.1f", 100 * a / t; else print "-" }'; }

# slow_run NAME URL PROBE_URL SLOWHTTPTEST_OPTION...: slowhttptest against URL with a probing client
# fetching PROBE_URL beside it for the whole attack. slowhttptest's per-second statistics go to $LOAD_OUT/NAME.csv (-g -o); SLOW_MAX_CONNECTED
# is the most attack connections it had open at once (so a run whose attack never got through
# is seen as such), SLOW_STATUS its exit status and SLOW_EXIT its own closing line.
slow_run() {
    local name=$1 url=$2 probe_url=$3; shift 3
    probe_start "$name" "$probe_url"
    load_nsx slowhttptest "$@" -u "$url" -p 3 -g -o "$LOAD_OUT/$name" > "$LOAD_OUT/$name.txt" 2>&1
    SLOW_STATUS=$?
    SLOW_EXIT=$(grep -a 'Exit status' "$LOAD_OUT/$name.txt" | sed 's/\x1b\[[0-9;]*m//g; s/^ *//')
    probe_stop
    # CSV: Seconds,Closed,Pending,Connected,Service Available
    SLOW_MAX_CONNECTED=$(awk -F, 'NR > 1 && $4 + 0 > m { m = $4 + 0 } END { print m + 0 }' "$LOAD_OUT/$name.csv" 2>/dev/null)
    : "${SLOW_MAX_CONNECTED:=0}"
}
