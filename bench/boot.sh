#!/bin/bash
# bench/boot.sh OUTDIR: boot cost of each hosted application in instructions, deterministically
# (valgrind callgrind): from the hosted platform's hand-over to the portable boot (kernel_start)
# up to "ready" (the application blocking in lifecycle_wait_shutdown: httpd listening, on its TAP
# with its site disk; echo serving), and, separately, the Linux process start-up before it
# (dynamic loader, libc). The process is stopped once ready. Writes OUTDIR/boot.txt:
# "APP.startup N" and "APP.boot N". Runs in a namespace of its own (xbboot-<pid>, TAP xbbtap0,
# 10.79.3.0/24), removed on every exit path.
set -u
out=$1
mkdir -p "$out"
: > "$out/boot.txt"
NS=xbboot-$$
PID=""
cleanup() {
    [ -n "$PID" ] && { kill -KILL "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
    if ip netns list | grep -qw "$NS"; then
        for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
        ip netns del "$NS"
    fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM
fail() { echo "bench boot: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root"
ip netns add "$NS" || fail "cannot create a namespace"
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip tuntap add dev xbbtap0 mode tap
ip netns exec "$NS" ip addr add 10.79.3.1/24 dev xbbtap0
ip netns exec "$NS" ip link set xbbtap0 up

# boot_cost APP ARGS...: two profile dumps, at kernel_start and at lifecycle_wait_shutdown.
boot_cost() {
    app=$1; shift
    dir=$out/boot-$app
    rm -rf "$dir" && mkdir -p "$dir"
    ip netns exec "$NS" env XENOLITH_HOSTED_MEM_MB=64 valgrind --tool=callgrind \
        --dump-before=kernel_start --dump-before=lifecycle_wait_shutdown \
        --callgrind-out-file="$dir/callgrind.out" "build/hosted/$app" "$@" > "$dir/log" 2>&1 &
    PID=$!
    for _ in $(seq 300); do
        [ -e "$dir/callgrind.out.2" ] && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -TERM "$PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$PID" 2>/dev/null; wait "$PID" 2>/dev/null
    PID=""
    [ -e "$dir/callgrind.out.2" ] || fail "$app never got ready under valgrind: $(tail -5 "$dir/log")"
    startup=$(sed -n 's/^totals: *//p' "$dir/callgrind.out.1")
    boot=$(sed -n 's/^totals: *//p' "$dir/callgrind.out.2")
    echo "$app.startup $startup" >> "$out/boot.txt"
    echo "$app.boot $boot" >> "$out/boot.txt"
}

boot_cost httpd tap=xbbtap0 disk=build/httpd/site.img ip=10.79.3.2/24 -- port=80
boot_cost echo tap=xbbtap0 ip=10.79.3.2/24
cat "$out/boot.txt"
