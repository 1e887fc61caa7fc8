#!/bin/bash
# bench/load-table.sh LOAD_TXT: the side-by-side load table (markdown) from bench/load.sh's
# "SERVER.METRIC VALUE" lines. A client that gave up shows how far it got and why instead of a
# rate; a ratio is given only where both servers finished.
set -u
f=$1
val() { awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print; exit }' "$f"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else print "-" }'; }
# ab_cell SERVER PREFIX: requests/s when ab finished with none failed, else what happened.
ab_cell() {
    local rps complete failed err
    rps=$(val "$1.$2_rps"); complete=$(val "$1.$2_complete"); failed=$(val "$1.$2_failed")
    err=$(val "$1.$2_error"); [ "$err" = - ] && err=""
    if [ "$complete" = 20000 ] && [ "$failed" = 0 ] && [ "$rps" != - ]; then
        echo "$rps"
    elif [ "$complete" = 20000 ]; then
        echo "$rps, $failed failed"
    else
        echo "gave up after $complete of 20000${err:+ (\`$err\`)}"
    fi
}
ab_rate() {   # the rate for a ratio, or - when the run did not finish cleanly
    [ "$(val "$1.$2_complete")" = 20000 ] && [ "$(val "$1.$2_failed")" = 0 ] && val "$1.$2_rps" || echo -
}
wrk_errs() { local e; e=$(val "$1.wrk_errors"); [ "$e" = none ] && echo 0 || echo "$e"; }
wrk_lat() { [ "$(val "$1.wrk_requests")" -gt 0 ] 2>/dev/null && echo "$(val "$1.wrk_p50_us") / $(val "$1.wrk_p99_us")" || echo "no request answered"; }
# Probes answered, and how long the attack lasted and how it ended in slowhttptest's words ("No
# open connections left": the server closed every attack connection before the time limit).
slow_cell() {
    echo "$(val "$1.slowloris_ok") of $(val "$1.slowloris_probes") ($(val "$1.slowloris_pct") %) in $(val "$1.slowloris_seconds") s; $(val "$1.slowloris_end" | sed 's/^Exit status: //')"
}

echo "### Load: Xenolith httpd and nginx $(val nginx.version), side by side (same run, one server at a time)"
echo
echo "| load | nginx | Xenolith httpd | httpd / nginx |"
echo "| --- | ---: | ---: | ---: |"
echo "| \`ab -k -n 20000 -c 20\`: requests/s (HTTP/1.0 keep-alive) | $(ab_cell nginx ab_k) | $(ab_cell xenolith ab_k) | $(ratio "$(ab_rate xenolith ab_k)" "$(ab_rate nginx ab_k)") |"
echo "| \`ab -n 20000 -c 20\`: new connections/s | $(ab_cell nginx ab) | $(ab_cell xenolith ab) | $(ratio "$(ab_rate xenolith ab)" "$(ab_rate nginx ab)") |"
echo "| \`wrk -c 50\`: requests/s | $(val nginx.wrk_rps) | $(val xenolith.wrk_rps) | $(ratio "$(val xenolith.wrk_rps)" "$(val nginx.wrk_rps)") |"
echo "| \`wrk -c 50\`: latency p50 / p99 µs | $(wrk_lat nginx) | $(wrk_lat xenolith) | |"
echo "| \`wrk -c 50\`: socket errors | $(wrk_errs nginx) | $(wrk_errs xenolith) | |"
echo "| slowloris (600 clients): probes answered | $(slow_cell nginx) | $(slow_cell xenolith) | |"
