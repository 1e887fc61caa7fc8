# bench/lib.sh: what the benches that run servers in network namespaces share (sourced).
# The caller keeps the PIDs it started in $PIDS and its two namespaces in $NS and $PEER.

# Stops every process in $PIDS (TERM, then KILL after 0.3 s) and deletes the namespaces $NS and
# $PEER with anything still running in them. Safe to call twice and on any exit path.
bench_stop_servers() {
    local pid ns
    for pid in $PIDS; do kill -TERM "$pid" 2>/dev/null; done
    sleep 0.3
    for pid in $PIDS; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
    PIDS=""
    for ns in "$NS" "$PEER"; do
        if [ -n "$ns" ] && ip netns list | grep -qw "$ns"; then
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
            ip netns del "$ns" 2>/dev/null
        fi
    done
}
