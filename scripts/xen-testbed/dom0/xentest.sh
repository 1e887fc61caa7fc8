# scripts/xen-testbed/dom0/xentest.sh: the helpers a real-Xen test (test/xen/<name>.sh) uses in
# dom0, and the loop that runs the tests. Sourced by dom0's init, by each test, and by hand in
# the interactive shell (. /xenolith/xentest.sh).
#
# A test is a shell fragment run with bash in its own process, with XT_TEST set to its name.
# It creates domains, waits for them and checks their console logs, and ends with exactly one
# verdict: xt_pass, or xt_fail "reason" (which also records every console log of the test's
# domains and the tail of `xl dmesg`). Header comments in the test file:
#   # images: hello boottest    guest images the runner ships (build/xen/<name>)
#   # timeout: 120              seconds the whole test may take (default 120)
#   # config: httpd ARGS...     the xl config and libvirt domain `make run PLATFORM=xen` writes
#                               for httpd and ARGS, in /xenolith/configs/<test>/ (paths dom0's)

XT_OUT=${XT_OUT:-/run/xt/out}
XT_IMAGES=/xenolith/images
XT_TESTS_DIR=/xenolith/tests
XT_CFG_DIR=/run/xt/cfg
XT_DEFAULT_TIMEOUT=120
XT_DIAG_LINES=200

# ---- for tests ----

# The path of a shipped guest image.
xt_image() {
    local path="$XT_IMAGES/$1"
    [ -f "$path" ] || xt_fail "guest image '$1' was not shipped (add it to the test's '# images:' line)"
    echo "$path"
}

# The path of a domain's console log (xenconsoled writes it as the guest prints).
xt_console() {
    echo "$XT_OUT/console/guest-$1.log"
}

# Creates domain NAME from xl config lines given as arguments ('kernel="/path"', 'extra="..."',
# 'memory=64', 'vif=[...]', ...). Defaults for keys not given: a PVH guest, 32 MB, one vCPU,
# tsc_mode="native" (no RDTSCP under TCG), and "preserve" on poweroff, reboot, crash and watchdog so the
# domain stays to be examined until the test (or the runner) destroys it.
xt_create() {
    local name=$1
    shift
    mkdir -p "$XT_CFG_DIR"
    local cfg="$XT_CFG_DIR/$name.cfg" key line
    {
        echo "name = \"$name\""
        for line in 'type = "pvh"' 'memory = 32' 'vcpus = 1' 'tsc_mode = "native"' \
                    'on_poweroff = "preserve"' 'on_reboot = "preserve"' 'on_crash = "preserve"' \
                    'on_watchdog = "preserve"'; do
            key=${line%% *}
            printf '%s\n' "$@" | grep -q "^[[:space:]]*$key[[:space:]]*=" || echo "$line"
        done
        printf '%s\n' "$@"
    } >"$cfg"
    [ -n "${XT_TEST:-}" ] && echo "$name" >>"$XT_OUT/tests/$XT_TEST.domains"
    rm -f "$(xt_console "$name")" "/var/log/xen/xl-$name.log"
    echo "xt: creating domain $name:"
    sed 's/^/xt:   /' "$cfg"
    if ! xl create "$cfg" >"$XT_CFG_DIR/$name.create.log" 2>&1; then
        cat "$XT_CFG_DIR/$name.create.log"
        # The first error names the cause; later ones are libxl cleaning up after it.
        local why
        why=$(grep -m1 -i 'error' "$XT_CFG_DIR/$name.create.log" | sed 's/^.*error: *//')
        [ -n "$why" ] || why=$(grep -v '^Parsing config' "$XT_CFG_DIR/$name.create.log" | tail -1)
        xt_fail "xl create $name failed: $why"
    fi
}

# How a domain ended, from the xl daemon's log ("... has shut down, reason code N ...").
xt_shutdown_reason() {
    local code
    code=$(sed -n 's/.*has shut down, reason code \([0-9]*\).*/\1/p' "/var/log/xen/xl-$1.log" 2>/dev/null | tail -1)
    case "$code" in
        0) echo poweroff ;; 1) echo reboot ;; 2) echo suspend ;; 3) echo crash ;;
        4) echo watchdog ;; 5) echo soft_reset ;; *) echo "" ;;
    esac
}

# Waits up to TIMEOUT seconds for domain NAME to end. Sets XT_END to poweroff, reboot, crash,
# suspend, watchdog, soft_reset, shutdown (reason unknown), gone (destroyed) or timeout, and
# XT_END_STATE to the last `xl list` state. Returns 0 if the domain ended, 1 on timeout.
xt_wait_end() {
    local name=$1 timeout=${2:-60} state="" reason="" deadline
    deadline=$(( $(date +%s%N) / 1000000 + timeout * 1000 ))
    XT_END=timeout
    while [ $(( $(date +%s%N) / 1000000 )) -lt "$deadline" ]; do
        state=$(xl list "$name" 2>/dev/null | awk 'NR == 2 { print $5 }')
        if [ -z "$state" ]; then
            XT_END=gone
            break
        fi
        case "$state" in
            *c*) XT_END=crash; break ;;
            *s*)
                reason=$(xt_shutdown_reason "$name")
                # The xl daemon logs the reason a moment after the state changes.
                [ -n "$reason" ] && { XT_END=$reason; break; }
                ;;
        esac
        sleep 0.2
    done
    [ "$XT_END" = timeout ] && [ "$state" != "${state/s/}" ] && XT_END=shutdown
    XT_END_STATE=$state
    echo "xt: domain $name: $(xt_describe_end)"
    [ "$XT_END" = timeout ] && return 1
    xt_console_settle "$name"
    return 0
}

# Lets xenconsoled copy the rest of a finished guest's ring: waits until the log stops growing.
xt_console_settle() {
    local log stable=0 last=-1 size
    log=$(xt_console "$1")
    for _ in $(seq 20); do
        size=$(stat -c %s "$log" 2>/dev/null || echo 0)
        if [ "$size" = "$last" ]; then
            stable=$((stable + 1))
            [ $stable -ge 2 ] && return 0
        else
            stable=0
        fi
        last=$size
        sleep 0.1
    done
}

# A phrase for how the last waited-for domain ended.
xt_describe_end() {
    case "$XT_END" in
        poweroff) echo "powered off (SHUTDOWN_poweroff)" ;;
        reboot) echo "asked to reboot (SHUTDOWN_reboot)" ;;
        crash) echo "crashed (SHUTDOWN_crash)" ;;
        gone) echo "was destroyed" ;;
        timeout) echo "did not end in time (state ${XT_END_STATE:-unknown})" ;;
        shutdown) echo "shut down for an unknown reason" ;;
        *) echo "shut down ($XT_END)" ;;
    esac
}

# True if the domain's console log holds TEXT (a fixed string).
xt_console_has() {
    grep -qF -- "$2" "$(xt_console "$1")" 2>/dev/null
}

# The last non-empty console line of a domain, for failure reasons.
xt_console_last() {
    grep -v '^[[:space:]]*$' "$(xt_console "$1")" 2>/dev/null | tail -1 | cut -c1-160
}

# The console line that best says why a domain ended: after a crash the first line of the
# crash report (panic, exception, failed assertion, stack overflow), otherwise the last line.
xt_console_reason() {
    local line=""
    if [ "${XT_END:-}" = crash ]; then
        line=$(grep -m1 -iE 'panic|exception|fault|assert|overflow' "$(xt_console "$1")" 2>/dev/null |
            cut -c1-160)
    fi
    [ -n "$line" ] || line=$(xt_console_last "$1")
    echo "$line"
}

# Waits up to SECONDS for the console of NAME to hold TEXT; fails the test if the time runs
# out or the domain goes away first.
xt_wait_console() {
    local name=$1 text=$2 deadline=$(( $(date +%s) + $3 ))
    while ! xt_console_has "$name" "$text"; do
        if [ "$(date +%s)" -ge "$deadline" ] || ! xl domid "$name" >/dev/null 2>&1; then
            xt_fail "no \"$text\" from $name (last line: \"$(xt_console_last "$name")\")"
        fi
        sleep 0.5
    done
}

# Fails the test unless the console of NAME holds TEXT.
xt_expect_console() {
    xt_console_has "$1" "$2" ||
        xt_fail "console of $1 lacks \"$2\" (last line: \"$(xt_console_last "$1")\")"
}

# Waits for NAME to end and fails the test unless it ended as EXPECTED (see xt_wait_end).
xt_expect_end() {
    local name=$1 expected=$2 timeout=${3:-60}
    xt_wait_end "$name" "$timeout"
    [ "$XT_END" = "$expected" ] ||
        xt_fail "domain $name $(xt_describe_end), expected $expected; console: \"$(xt_console_reason "$name")\""
}

xt_destroy() {
    xl destroy "$1" >/dev/null 2>&1 || true
}

xt_verdict_file() {
    echo "$XT_OUT/tests/${XT_TEST:?xt_pass/xt_fail outside a test}.verdict"
}

# Ends the test with success.
xt_pass() {
    local verdict
    verdict=$(xt_verdict_file)
    # A failure recorded earlier (say, inside a command substitution) stands.
    [ -s "$verdict" ] && { echo "xt: not passing $XT_TEST: $(cat "$verdict")" >&2; exit 1; }
    echo "PASS $XT_TEST" >"$verdict"
    echo "xt: PASS $XT_TEST${1:+ ($1)}"
    exit 0
}

# Ends the test with a failure and its reason; records the diagnostics in the test's log
# (on stderr, so a failure inside a command substitution still reaches the log).
xt_fail() {
    local verdict
    verdict=$(xt_verdict_file)
    # Only the first verdict counts (a helper may fail while reporting another failure).
    [ -s "$verdict" ] || echo "FAIL $XT_TEST: $*" >"$verdict"
    {
        echo "xt: FAIL $XT_TEST: $*"
        xt_diagnostics
    } >&2
    exit 1
}

# Every console log of the test's domains and the tail of the hypervisor's log.
xt_diagnostics() {
    local name log state poked=""
    if [ -n "${XT_TEST:-}" ] && [ -f "$XT_OUT/tests/$XT_TEST.domains" ]; then
        # A domain still running or blocked may be stuck: first Xen's view of every vCPU
        # (debug key q: pause flags, upcall pending/mask) and of the timer queues (key a:
        # the one-shot timers' expiry), then `xl sysrq b`, which wakes a Xenolith guest and
        # has it print its log of idle blocks (xen/events_log.h) on its console.
        for name in $(sort -u "$XT_OUT/tests/$XT_TEST.domains"); do
            state=$(xl list "$name" 2>/dev/null | awk 'NR == 2 { print $5 }')
            case "$state" in
                ""|*s*|*c*|*d*) continue ;;
            esac
            [ -n "$poked" ] || { xl debug-keys q; xl debug-keys a; } >/dev/null 2>&1
            xl sysrq "$name" b >/dev/null 2>&1
            poked="$poked $name"
        done
        if [ -n "$poked" ]; then
            echo "---- asked Xen for vCPU and timer state and$poked for its block log ----"
            sleep 2
        fi
        for name in $(sort -u "$XT_OUT/tests/$XT_TEST.domains"); do
            log=$(xt_console "$name")
            echo "---- console of $name ($log, last $XT_DIAG_LINES lines) ----"
            if [ -s "$log" ]; then tail -n "$XT_DIAG_LINES" "$log"; else echo "(empty)"; fi
            echo "---- xl list $name ----"
            xl list "$name" 2>&1
        done
    fi
    echo "---- xl dmesg (last $((XT_DIAG_LINES * 2)) lines) ----"
    xl dmesg 2>&1 | tail -n "$((XT_DIAG_LINES * 2))"
    echo "---- end of diagnostics ----"
}

# ---- shared by the netfront tests ----

# The echo appliance "nfstatic" at 10.0.0.2, created once and shared by netfront-ping,
# netfront-reconnect and netfront-tcp (whichever runs first creates it; netfront-tcp ends it).
# netback offers two queues so multi-queue is negotiated; netback checks the count again at
# every (re)connection, so the limit stays raised until netfront-tcp ends the guest.
xt_netfront_static_domain() {
    xl domid nfstatic >/dev/null 2>&1 && return 0
    local mq=/sys/module/xen_netback/parameters/max_queues
    if [ -w "$mq" ]; then
        [ -f /run/xt/nf-max-queues ] || cat "$mq" >/run/xt/nf-max-queues
        echo 2 >"$mq"
    fi
    xt_create nfstatic "kernel = \"$(xt_image echo)\"" 'memory = 64' \
        'extra = "ip=10.0.0.2/24 gw=10.0.0.1"' "vif = ['mac=00:16:3e:00:00:02,bridge=xenbr0']"
    # Shared with the next netfront tests: not destroyed when this one ends.
    sed -i '/^nfstatic$/d' "$XT_OUT/tests/$XT_TEST.domains"
    for _ in $(seq 300); do
        xt_console_has nfstatic "serving UDP and TCP echo" && return 0
        xt_console_has nfstatic "xenolith: shutdown" && break
        sleep 0.2
    done
    xt_fail "the echo appliance did not start (last line: \"$(xt_console_last nfstatic)\")"
}

# ---- shared by the suspend tests (xen-save-restore, xen-migrate, xen-suspend-cancel) ----

# Opens one TCP connection to the echo service at IP port 7 in the background and checks
# 64 KB echoed over it, in 8 KB exchanges; then waits until xt_tcp_stream_finish lets it send
# 512 KB more over the same connection, each byte checked. Returns once the first part passed.
xt_tcp_stream_start() {
    local ip=$1 dir=/run/xt/stream-$XT_TEST
    rm -rf "$dir" && mkdir -p "$dir"
    /usr/bin/python3 - "$ip" "$dir" >"$dir/log" 2>&1 <<'PYEOF' &
import os, socket, sys, time
ip, d = sys.argv[1], sys.argv[2]
def exchange(s, chunks):
    for _ in range(chunks):
        payload = os.urandom(8192)
        s.sendall(payload)
        got = bytearray()
        while len(got) < len(payload):
            part = s.recv(len(payload) - len(got))
            if not part:
                sys.exit("the connection was closed by the guest")
            got.extend(part)
        if bytes(got) != payload:
            sys.exit("the echoed bytes differ")
s = socket.create_connection((ip, 7), timeout=20)
exchange(s, 8)
open(d + "/ready", "w").close()
while not os.path.exists(d + "/go"):
    time.sleep(0.1)
s.settimeout(120)
started = time.time()
exchange(s, 64)
s.close()
print(f"512 KB echoed over the old connection in {time.time() - started:.1f} s")
PYEOF
    echo $! >"$dir/pid"
    for _ in $(seq 100); do
        [ -e "$dir/ready" ] && return 0
        kill -0 "$(cat "$dir/pid")" 2>/dev/null || break
        sleep 0.2
    done
    xt_fail "the TCP stream to $ip did not start: $(tail -1 "$dir/log")"
}

# Lets the stream go on and waits for its verdict; XT_STREAM gets what it reported. Not in a
# command substitution: only the shell that started the stream can wait for it.
xt_tcp_stream_finish() {
    local dir=/run/xt/stream-$XT_TEST
    touch "$dir/go"
    wait "$(cat "$dir/pid")" ||
        xt_fail "the TCP connection opened before did not survive: $(tail -3 "$dir/log" | tr '\n' ' ')"
    XT_STREAM=$(tail -1 "$dir/log")
}

# Waits for NAME to power off after an earlier suspend. The xl daemon that created a domain
# exits once it has suspended ("Domain has suspended", after logging reason code 2), so a
# later poweroff is not in its log: the domain's shut-down state and the guest's own last line
# say it instead.
xt_expect_poweroff_after_suspend() {
    local name=$1 state
    for _ in $(seq 300); do
        state=$(xl list "$name" 2>/dev/null | awk 'NR == 2 { print $5 }')
        case "$state" in
            *c*) xt_fail "$name crashed" ;;
            *s*) xt_console_settle "$name"
                 xt_expect_console "$name" "xenolith: shutdown: success"
                 return 0 ;;
            "") xt_console_has "$name" "xenolith: shutdown: success" && return 0
                xt_fail "$name is gone" ;;
        esac
        sleep 0.2
    done
    xt_fail "$name did not power off (xl list: $(xl list "$name" 2>&1 | tail -1))"
}

# The uptime (ms) the guest printed when it suspended and when it came back, in the order
# "SUSPENDED RESUMED" for the last suspend; fails unless the second is not below the first.
xt_uptime_continues() {
    local name=$1 before after
    before=$(sed -n 's/.*suspending at uptime \([0-9]*\) ms.*/\1/p' "$(xt_console "$name")" \
             "$(xt_console "$name").before-migration" 2>/dev/null | tail -1)
    after=$(sed -n 's/.*uptime \([0-9]*\) ms continues.*/\1/p' "$(xt_console "$name")" | tail -1)
    [ -n "$before" ] && [ -n "$after" ] || xt_fail "$name printed no uptime around the suspend"
    [ "$after" -ge "$before" ] || xt_fail "$name's uptime went backwards: $before ms, then $after ms"
    echo "$before $after"
}

# The echo appliance NAME at 10.0.0.N (MAC 00:16:3e:00:00:N), answering ping, with the TCP
# stream of xt_tcp_stream_start open: ready to be moved.
xt_suspend_echo_start() {
    local name=$1 ip=10.0.0.$2
    xt_create "$name" "kernel = \"$(xt_image echo)\"" "extra = \"ip=$ip/24 gw=10.0.0.1\"" \
        "vif = ['mac=00:16:3e:00:00:$2,bridge=xenbr0']"
    xt_wait_console "$name" "serving UDP and TCP echo" 60
    ping -c 2 -i 0.3 -W 3 "$ip" >/dev/null || xt_fail "$name does not answer ping before the move"
    xt_tcp_stream_start "$ip"
}

# After the echo appliance NAME (10.0.0.N) was moved: it resumed, netfront reconnected, its
# address was announced, ping answers, the stream opened before passes, the uptime went on,
# and it powers off cleanly. XT_MOVED gets a summary.
xt_suspend_echo_check() {
    local name=$1 ip=10.0.0.$2 uptimes ok=0
    xt_wait_console "$name" "ms continues" 60
    xt_wait_console "$name" "netfront: vif0: reconnected after the resume" 60
    xt_expect_console "$name" "gratuitous ARP for 1 addresses"
    for _ in $(seq 10); do
        ping -c 1 -W 2 "$ip" >/dev/null && { ok=1; break; }
    done
    [ $ok = 1 ] || xt_fail "$name does not answer ping after the move"
    xt_tcp_stream_finish
    uptimes=$(xt_uptime_continues "$name")
    xl shutdown "$name" || xt_fail "xl shutdown $name failed"
    xt_expect_poweroff_after_suspend "$name"
    xt_expect_console "$name" "xenolith: shutdown: success"
    XT_MOVED="$name: $XT_STREAM, uptime ${uptimes% *} -> ${uptimes#* } ms"
}

# httpd NAME at 10.0.0.N with a small site (two pages, 200 KB of random bytes) on a read-only
# disk, serving: ready to be moved.
xt_suspend_httpd_start() {
    local name=$1 ip=10.0.0.$2 dir=/tmp/$1
    rm -rf "$dir" && mkdir -p "$dir/site/sub"
    printf '<!DOCTYPE html>\n<title>%s</title>\n' "$name" >"$dir/site/index.html"
    printf '<!DOCTYPE html>\n<title>sub</title>\n' >"$dir/site/sub/index.html"
    head -c 200000 /dev/urandom >"$dir/site/big.bin"
    tar --format=ustar --owner=0 --group=0 --numeric-owner -C "$dir/site" -cf "$dir/site.img" . ||
        xt_fail "cannot pack the site"
    truncate -s 1M "$dir/site.img"
    xt_create "$name" "kernel = \"$(xt_image httpd)\"" 'memory = 64' \
        "extra = \"ip=$ip/24 gw=10.0.0.1\"" "vif = ['mac=00:16:3e:00:00:$2,bridge=xenbr0']" \
        "disk = ['format=raw,vdev=xvda,access=ro,target=$dir/site.img']"
    xt_wait_console "$name" "httpd: listening on port 80" 60
    curl -sS --max-time 20 -o "$dir/got" "http://$ip/big.bin" && cmp -s "$dir/got" "$dir/site/big.bin" ||
        xt_fail "$name: big.bin differs before the move"
}

# After httpd NAME (10.0.0.N) was moved: it resumed, netfront and blkfront reconnected, every
# file comes back intact through curl, the uptime went on, it powers off. XT_MOVED as above.
xt_suspend_httpd_check() {
    local name=$1 ip=10.0.0.$2 dir=/tmp/$1 f uptimes
    xt_wait_console "$name" "ms continues" 60
    xt_wait_console "$name" "netfront: vif0: reconnected after the resume" 60
    for _ in $(seq 120); do
        grep -q "blkfront: .*: reconnected after the resume" "$(xt_console "$name")" && break
        sleep 0.5
    done
    grep -q "blkfront: .*: reconnected after the resume" "$(xt_console "$name")" ||
        xt_fail "$name: blkfront did not reconnect (last line: \"$(xt_console_last "$name")\")"
    for f in index.html sub/index.html big.bin; do
        curl -sS --max-time 30 --retry 5 --retry-connrefused -o "$dir/got" "http://$ip/$f" ||
            xt_fail "$name: curl $f after the move failed"
        cmp -s "$dir/got" "$dir/site/$f" || xt_fail "$name: $f differs after the move"
    done
    uptimes=$(xt_uptime_continues "$name")
    xl shutdown "$name" || xt_fail "xl shutdown $name failed"
    xt_expect_poweroff_after_suspend "$name"
    XT_MOVED="$name: 3 files intact, uptime ${uptimes% *} -> ${uptimes#* } ms"
}

# Migrates NAME to this host (xl runs the receiving side itself: no ssh). The new domain is
# created as NAME--incoming and renamed, and xenconsoled keeps logging it under the first
# name: NAME's console log becomes that one, the old domain's is kept as
# <log>.before-migration.
xt_migrate_local() {
    local name=$1 old log
    old=$(xl domid "$name")
    log=$(xt_console "$name")
    xl migrate -s "" "$name" "xl migrate-receive" || xt_fail "xl migrate $name failed"
    [ "$(xl domid "$name" 2>/dev/null)" != "$old" ] || xt_fail "$name is still domain $old"
    mv "$log" "$log.before-migration"
    ln -s "$(basename "$(xt_console "$name--incoming")")" "$log"
}

# ---- libvirt ----

# Starts libvirtd unless it already runs, and waits until `virsh -c xen:///system` gets an answer.
# Debian 12's libvirt 9.0 has no modular virtxend: the monolithic libvirtd serves xen:///system
# through its libxl driver. Started only by the tests that use libvirt (it costs dom0 time and
# memory the other tests need not pay); its own configuration lets root in on the local socket
# without polkit (dom0 runs no polkitd), its warnings go to libvirtd.log among the results.
# Prints how long it took to answer; fails the test if it does not within 60 s.
xt_libvirtd() {
    virsh -q -c xen:///system version >/dev/null 2>&1 && return 0
    mkdir -p /run/libvirt /var/lib/libvirt /var/log/libvirt/libxl /var/cache/libvirt /etc/libvirt
    printf '%s\n' 'auth_unix_ro = "none"' 'auth_unix_rw = "none"' 'unix_sock_rw_perms = "0700"' \
        >/run/xt/libvirtd.conf
    # libvirt's libxl driver names the host CPU after the first model of its CPU map whose
    # features the host has all of, and will not start without one. The CPU QEMU emulates here
    # (TCG) fits none of them (QEMU 7.2's TCG lacks VME, for one, which every model built on 486
    # asks for):
    # the test bed adds a model that asks for an FPU only. It names the host CPU in
    # `virsh capabilities`; a PVH domain has no <cpu> to compare with it.
    local map=/usr/share/libvirt/cpu_map
    if [ -f "$map/index.xml" ] && [ ! -f "$map/x86_xenolith-testbed.xml" ]; then
        printf '%s\n' '<cpus>' "  <model name='xenolith-testbed'>" "    <decode host='on' guest='off'/>" \
            "    <feature name='fpu'/>" '  </model>' '</cpus>' >"$map/x86_xenolith-testbed.xml"
        sed -i "s|^\( *\)<include filename='x86_486.xml'/>|&\n\1<include filename='x86_xenolith-testbed.xml'/>|" \
            "$map/index.xml"
    fi
    local started
    started=$(date +%s%N)
    # libvirtd --daemon returns once its drivers are up; when one fails it may never return.
    if ! LIBVIRT_LOG_OUTPUTS="3:file:$XT_OUT/libvirtd.log" timeout 90 \
        libvirtd --daemon --config /run/xt/libvirtd.conf --pid-file /run/libvirtd.pid; then
        echo "xt: libvirtd's log:"
        sed 's/^/xt:   /' "$XT_OUT/libvirtd.log" 2>/dev/null
        echo "xt: Xen's host CPU features, which libvirt's libxl driver decodes: $(xl info | grep '^hw_caps')"
        xt_fail "libvirtd did not start: $(grep -m1 ' error : ' "$XT_OUT/libvirtd.log" | sed 's/.* error : //' | cut -c1-200)"
    fi
    for _ in $(seq 300); do
        if virsh -q -c xen:///system version >/dev/null 2>&1; then
            echo "xt: libvirtd answers on xen:///system after $(( ($(date +%s%N) - started) / 1000000 )) ms"
            return 0
        fi
        sleep 0.2
    done
    xt_fail "libvirtd does not answer on xen:///system: $(virsh -c xen:///system version 2>&1 | tail -1)"
}

# ---- for the runner (dom0 init) ----

xt_test_header() {   # xt_test_header FILE KEY
    sed -n "s/^#[[:space:]]*$2:[[:space:]]*//p" "$1" | head -1
}

xt_destroy_test_domains() {
    local name
    [ -f "$XT_OUT/tests/$1.domains" ] || return 0
    for name in $(sort -u "$XT_OUT/tests/$1.domains"); do
        xt_destroy "$name"
    done
}

# Runs each named test in its own bash under a time limit, appends one line per test to
# results.txt and shows it on the console (with the test's log if it failed).
# Returns 0 if every test passed.
xt_run_tests() {
    local name file log verdict limit rc started took failed=0
    mkdir -p "$XT_OUT/tests"
    : >"$XT_OUT/results.txt"
    for name in "$@"; do
        file="$XT_TESTS_DIR/$name.sh"
        log="$XT_OUT/tests/$name.log"
        verdict="$XT_OUT/tests/$name.verdict"
        limit=$(xt_test_header "$file" timeout)
        limit=${limit:-$XT_DEFAULT_TIMEOUT}
        echo "xt: ==== $name (limit ${limit} s)"
        rc=0
        started=$(date +%s%N)
        XT_TEST=$name timeout -k 5 "$limit" bash -c '. /xenolith/xentest.sh && . "$1"' _ "$file" \
            >"$log" 2>&1 </dev/null || rc=$?
        if [ ! -s "$verdict" ]; then
            if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
                echo "FAIL $name: the test did not finish within $limit s" >"$verdict"
            else
                echo "FAIL $name: the test ended without a verdict (exit status $rc)" >"$verdict"
            fi
            (XT_TEST=$name; xt_diagnostics) >>"$log" 2>&1
        fi
        xt_destroy_test_domains "$name"
        cat "$verdict" >>"$XT_OUT/results.txt"
        took=$(( ($(date +%s%N) - started) / 1000000 ))
        echo "$name $took" >>"$XT_OUT/durations-ms.txt"
        if ! grep -q '^PASS' "$verdict"; then
            failed=1
            sed 's/^/    | /' "$log"
        fi
        echo "xt: $(cat "$verdict") ($((took / 1000)).$(printf %03d $((took % 1000))) s)"
    done
    return $failed
}
