#!/bin/bash
# The applications tier (make test-apps): an application written outside the repository goes
# through the steps docs/APPLICATIONS.md gives, so the guide cannot rot:
#   1. scripts/new-app.sh demo $TMP/demo writes the skeleton (and refuses bad names and directories);
#   2. make APP_DIR=$TMP/demo builds build/xen/demo (a PVH ELF: Xen's PHYS32_ENTRY note) and
#      build/hosted/demo, linking only what its app.mk names (net: no HTTP, no block code); the
#      same sources with APP_NET_WITHOUT naming every optional network feature leave their code
#      out of the xen image, answer with ip= and refuse to start without it;
#   3. the hosted image answers a real client on a TAP in a network namespace (test/net/lib.sh's),
#      and stops cleanly on SIGTERM;
#   4. the skeleton's own tests: make APP_DIR=... app-test (its test.sh: a namespace of its own),
#      app-unit (Check on the simulated platform), app-fuzz (libFuzzer over its seeds);
#   5. make run APP_DIR=... (hosted, inside a namespace: run.sh's TAP xapp0) answers, and
#      make run PLATFORM=xen APP_DIR=... writes the xl config the guide shows, which boots the xen
#      image under real Xen (the make test-xen test bed; APPS_XEN=0 leaves it out) where it
#      answers a client in dom0; on bare QEMU the image starts and finds no network device;
#   6. every C example of docs/APPLICATIONS.md compiles and links as an application;
#   7. an application including an internal header ("net/stack.h") or a host C library header
#      (<stdio.h>) does not compile, and the error says what an application may include.
# Needs root (namespaces, TAP devices, the Xen test bed). Prints PASS/FAIL per case, ends "apps: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
. test/net/lib.sh

if [ "$(id -u)" -ne 0 ]; then
    echo "test-apps: needs root (network namespaces and TAP devices)" >&2
    exit 1
fi
NET_TMP=$(mktemp -d /tmp/xenolith-apps.XXXXXX)
trap 'net_cleanup' EXIT
trap 'exit 130' INT TERM
T=$NET_TMP
MAKE="make --no-print-directory"
PY=/usr/bin/python3
APP=demo
DIR=$T/$APP
PORT=7000

# client IP PORT LINE EXPECTED: one line sent from the namespace, one line expected back.
client() {
    nsx timeout 20 "$PY" - "$1" "$2" "$3" "$4" <<'PY'
import socket, sys, time
addr, port, line, expected = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
for attempt in range(50):          # the appliance may still be answering ARP or starting
    try:
        s = socket.create_connection((addr, port), timeout=5)
        break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit("cannot connect to %s:%d" % (addr, port))
s.sendall(line.encode() + b"\n")
got = s.makefile("rb").readline().decode().rstrip("\n")
s.close()
print(got)
sys.exit(0 if got == expected else "expected %r, got %r" % (expected, got))
PY
}

# ---- 1. the skeleton ----
refuses() {
    # refuses CASE NAME DIR TEXT: new-app.sh exits 2 naming the problem, and writes nothing
    out=$(scripts/new-app.sh "$2" "$3" 2>&1); rc=$?
    if [ $rc -eq 2 ] && printf '%s' "$out" | grep -q "$4"; then net_pass "$1"
    else net_fail "$1" "status $rc: $out"; fi
}
mkdir -p "$T/full" && touch "$T/full/x"
refuses new_app_refuses_bad_characters 'de mo' "$T/x1" "may hold only letters"
refuses new_app_refuses_a_leading_digit 9demo "$T/x2" "must start with a letter"
refuses new_app_refuses_an_app_of_the_tree echo "$T/x3" "already an application"
refuses new_app_refuses_a_non_empty_dir demo "$T/full" "not empty"
refuses new_app_refuses_a_path_with_spaces demo "$T/a b" "directory path may hold only"
refuses new_app_refuses_a_missing_argument demo "" "usage\|empty"
[ ! -e "$T/x1" ] && [ ! -e "$T/x2" ] && [ ! -e "$T/x3" ] && net_pass new_app_refusals_write_nothing ||
    net_fail new_app_refusals_write_nothing "a directory was created"

check new_app_writes_the_skeleton scripts/new-app.sh "$APP" "$DIR"

# ---- 2. the build, from outside the repository ----
check build_out_of_tree $MAKE APP_DIR="$DIR"
check both_images_exist test -x build/hosted/$APP -a -f build/xen/$APP
# The PVH entry point: Xen's ELF note XEN_ELFNOTE_PHYS32_ENTRY (18 = 0x12), the note xl and QEMU
# boot a PVH kernel by.
check xen_image_is_pvh_elf sh -c "readelf -h build/xen/$APP | grep -q 'ELF64' &&
    readelf -n build/xen/$APP | grep -A1 '^  Xen' | grep -q '0x00000012'"
# Only the libraries of app.mk (APP_LIBS := net): TCP in, HTTP and the tar reader out.
check image_links_only_app_libs sh -c "nm build/hosted/$APP | grep -qw tcp_listen &&
    ! nm build/hosted/$APP | grep -qw http_parse_request && ! nm build/hosted/$APP | grep -qw tar_mount"
check xen_image_links_only_app_libs sh -c "nm build/xen/$APP.debug | grep -qw tcp_listen &&
    ! nm build/xen/$APP.debug | grep -qw http_parse_request && ! nm build/xen/$APP.debug | grep -qw tar_mount"

# The in-tree applications are built the same way: hello (APP_LIBS empty) carries no network code.
check hello_links_no_network_code sh -c "$MAKE APP=hello >/dev/null && nm build/hosted/hello | grep -qw app_main &&
    ! nm build/hosted/hello | grep -qw tcp_listen && ! nm build/hosted/hello | grep -qw netdev_init"
# A bad app.mk or APP_DIR is refused with a message naming the problem.
mkdir -p "$T/badlib" "$T/taken" "$T/nomk"
echo 'APP_LIBS := net tls' >"$T/badlib/app.mk"; cp "$DIR/main.c" "$T/badlib/"
printf 'NAME := echo\nAPP_LIBS := net\n' >"$T/taken/app.mk"; cp "$DIR/main.c" "$T/taken/"
cp "$DIR/main.c" "$T/nomk/"
refused_app() {
    # refused_app CASE DIR TEXT
    out=$($MAKE APP_DIR="$2" 2>&1); rc=$?
    if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q "$3"; then net_pass "$1"
    else net_fail "$1" "status $rc: $(printf '%s' "$out" | tail -n 2 | tr '\n' ' ')"; fi
}
refused_app unknown_library_refused "$T/badlib" "APP_LIBS names unknown libraries 'tls'"
mkdir -p "$T/badfeature"; cp "$DIR/main.c" "$T/badfeature/"
printf 'APP_LIBS := net\nAPP_NET_WITHOUT := dhcp ipv6\n' >"$T/badfeature/app.mk"
refused_app unknown_net_feature_refused "$T/badfeature" "APP_NET_WITHOUT names unknown network features 'ipv6'"
mkdir -p "$T/badxen"; cp "$DIR/main.c" "$T/badxen/"
printf 'APP_LIBS := net\nAPP_XEN_WITHOUT := suspend sriov\n' >"$T/badxen/app.mk"
refused_app unknown_xen_part_refused "$T/badxen" "APP_XEN_WITHOUT names unknown Xen driver parts 'sriov'"

# The same application with every optional network feature left out (APP_NET_WITHOUT): the xen
# image carries none of their code (what the full one has), and is smaller.
LEAN=$T/lean
mkdir -p "$LEAN" && cp "$DIR"/main.c "$DIR"/service.c "$DIR"/service.h "$LEAN"/
printf 'NAME := demolean\nAPP_LIBS := net\nAPP_NET_WITHOUT := dhcp cubic rack syncookies tso pmtu reassembly sack\n' >"$LEAN/app.mk"
FEATURE_SYMS='cubic_on_ack|cookie_mac|dhcp_client_probe_done|tcp_rack_on_send|ip_reass_expire|reass_expired|tcp_scoreboard_'
check lean_app_builds $MAKE APP_DIR="$LEAN"
check lean_xen_image_leaves_the_features_out sh -c "
    [ \$(nm build/xen/$APP.debug | grep -cE ' ($FEATURE_SYMS)') -ge 6 ] &&
    ! nm build/xen/demolean.debug | grep -qE ' ($FEATURE_SYMS)' &&
    [ \$(stat -c %s build/xen/demolean) -lt \$(stat -c %s build/xen/$APP) ]"
refused_app taken_name_refused "$T/taken" "the name 'echo' is already taken by app/echo"
refused_app missing_app_mk_refused "$T/nomk" "no app.mk there"

# ---- 3. the hosted image on a TAP ----
# answers_on_tap CASE PROGRAM LOG: PROGRAM at 10.77.0.2 on the namespace's TAP answers a line,
# then is stopped (its exit status in NET_EXIT_STATUS).
answers_on_tap() {
    net_spawn "$3" "$2" tap=$NET_TAP ip=10.77.0.2/24 gw=$NET_HOST_IP -- port=$PORT
    local pid=$NET_LAST_PID
    if wait_for_line "$3" "listening on TCP port $PORT" 10; then
        check "$1" client 10.77.0.2 $PORT hello "$APP: hello"
    else
        net_fail "$1" "no 'listening' line: $(tail -n 3 "$3" | tr '\n' ' ')"
    fi
    net_stop "$pid" 5
}
if net_setup; then
    answers_on_tap hosted_answers_on_tap build/hosted/$APP "$T/demo.log"
    if [ "$NET_EXIT_STATUS" -eq 0 ] && grep -q "shutdown: success" "$T/demo.log"; then
        net_pass hosted_stops_cleanly
    else
        net_fail hosted_stops_cleanly "exit status $NET_EXIT_STATUS"
    fi
    # The lean application (no DHCP): answers with ip=; without it, refuses to start, saying why.
    answers_on_tap lean_hosted_answers_on_tap build/hosted/demolean "$T/lean.log"
    nsx timeout 10 build/hosted/demolean tap=$NET_TAP -- port=$PORT >"$T/lean-nodhcp.log" 2>&1; rc=$?
    if [ $rc -ne 0 ] && grep -q "no DHCP client.*give ip=" "$T/lean-nodhcp.log" &&
        grep -q "shutdown: failure" "$T/lean-nodhcp.log"; then
        net_pass lean_without_ip_refuses_clearly
    else
        net_fail lean_without_ip_refuses_clearly "status $rc: $(tail -n 3 "$T/lean-nodhcp.log" | tr '\n' ' ')"
    fi
    net_teardown
else
    net_fail hosted_answers_on_tap "cannot create the namespace and TAP"
fi

# ---- 4. the application's own tests, as the guide runs them ----
check app_test_smoke $MAKE APP_DIR="$DIR" app-test
check app_unit $MAKE APP_DIR="$DIR" app-unit
check app_fuzz $MAKE APP_DIR="$DIR" app-fuzz FUZZ_RUNS=5000

# ---- 5. make run, hosted and xen ----
if net_setup; then
    # make run creates its TAP (xapp0, 10.79.0.1/24, the appliance at 10.79.0.2) inside this
    # namespace; RUN_SECONDS stops the appliance, and run.sh then removes its TAP.
    net_spawn "$T/run.log" env RUN_SECONDS=10 $MAKE run APP_DIR="$DIR" RUN_ARGS="-- port=$PORT"
    pid=$NET_LAST_PID
    if wait_for_line "$T/run.log" "listening on TCP port $PORT" 60; then
        check make_run_answers client 10.79.0.2 $PORT hello "$APP: hello"
    else
        net_fail make_run_answers "no 'listening' line: $(tail -n 5 "$T/run.log" | tr '\n' ' ')"
    fi
    if wait_for_line "$T/run.log" "removed xapp0" 30 && grep -q "shutdown: success" "$T/run.log"; then
        net_pass make_run_stops_and_removes_its_tap
    else
        net_fail make_run_stops_and_removes_its_tap "$(tail -n 3 "$T/run.log" | tr '\n' ' ')"
    fi
    net_stop "$pid" 10
    net_teardown
else
    net_fail make_run_answers "cannot create the namespace"
fi
rm -f build/xen/$APP.xl
$MAKE run PLATFORM=xen APP_DIR="$DIR" RUN_ARGS="ip=10.0.0.2/24 gw=10.0.0.1 -- port=$PORT" >"$T/xen-run.log" 2>&1
cfg=build/xen/$APP.xl
if [ -f "$cfg" ] && grep -q '^type = "pvh"' "$cfg" && grep -q "^kernel = \"$(pwd)/build/xen/$APP\"" "$cfg" &&
    grep -q "^vif = \[ 'bridge=xenbr0,mac=00:16:3e:[0-9a-f:]*' \]" "$cfg" && grep -q '^extra = ".*ip=10.0.0.2/24 gw=10.0.0.1 -- port=7000"' "$cfg"; then
    net_pass make_run_xen_writes_the_xl_config
else
    net_fail make_run_xen_writes_the_xl_config "$(cat "$cfg" "$T/xen-run.log" 2>&1 | tr '\n' ' ')"
fi
# The same config under real Xen (the test bed of make test-xen, docs/TESTING.md): every line
# make run wrote, but the name and the kernel's path, which are dom0's, and on_poweroff (the test
# keeps the powered-off domain to read how it ended). APPS_XEN=0 leaves it out.
if [ "${APPS_XEN:-1}" != 0 ] && [ -f "$cfg" ]; then
    {
        echo "# app-$APP: build/xen/$APP booted with the xl config make run PLATFORM=xen wrote; a client"
        echo "# in dom0 talks to it over xenbr0, then xl shutdown ends it cleanly."
        echo "# images: $APP"
        echo "# timeout: 150"
        echo "cfg_lines=()"
        echo "while IFS= read -r line; do cfg_lines+=(\"\$line\"); done <<'CFG'"
        grep -v '^#\|^name = \|^kernel = \|^on_poweroff = ' "$cfg"
        echo "CFG"
        echo "xt_create app$APP \"kernel = \\\"\$(xt_image $APP)\\\"\" \"\${cfg_lines[@]}\""
        echo "xt_wait_console app$APP 'listening on TCP port $PORT' 60"
        cat <<'XT'
/usr/bin/python3 - <<'PY' || xt_fail "no answer over xenbr0"
import socket, sys, time
for attempt in range(50):
    try:
        s = socket.create_connection(("10.0.0.2", 7000), timeout=5)
        break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit("cannot connect")
s.sendall(b"hello\n")
got = s.makefile("rb").readline().decode().rstrip("\n")
s.close()
sys.exit(0 if got.endswith(": hello") else "got %r" % got)
PY
XT
        echo "xl shutdown app$APP || xt_fail 'xl shutdown failed'"
        echo "xt_expect_end app$APP poweroff 60"
        echo "xt_expect_console app$APP 'served 1 connections'"
        echo "xt_expect_console app$APP 'xenolith: shutdown: success'"
        echo "xt_pass"
    } >"$T/app-$APP.sh"
    if flock /tmp/xenolith-xen.lock scripts/xen-testbed/run.sh --out "$T/test-xen" \
        --test "$T/app-$APP.sh" --image "$APP=build/xen/$APP" >"$T/xen.log" 2>&1; then
        net_pass xen_image_runs_under_xen_with_the_xl_config
    else
        net_fail xen_image_runs_under_xen_with_the_xl_config "$(tail -n 30 "$T/xen.log")"
    fi
fi
# Bare QEMU has no network device: the application starts, and says so (status 3: failure).
scripts/qemu-boot.sh -t 60 -l "$T/qemu.log" build/xen/$APP "-- port=$PORT" >/dev/null 2>&1; rc=$?
if [ $rc -eq 3 ] && grep -q "no network device" "$T/qemu.log" && grep -q "shutdown: failure" "$T/qemu.log"; then
    net_pass xen_image_boots_into_the_app
else
    net_fail xen_image_boots_into_the_app "qemu status $rc: $(tail -n 5 "$T/qemu.log" | tr '\n' ' ')"
fi

# ---- 6. the guide's examples: each C block of docs/APPLICATIONS.md is a whole application ----
rm -rf "$T/guide"; mkdir -p "$T/guide"
awk -v dir="$T/guide" '
    /^```c$/ { n++; app = dir "/guide" n; system("mkdir -p " app); out = app "/main.c"; next }
    /^```/   { out = ""; next }
    out != "" { print > out }
' docs/APPLICATIONS.md
examples=$(ls "$T/guide" | sort -V)
if [ -z "$examples" ]; then
    net_fail guide_examples "no C example found in docs/APPLICATIONS.md"
fi
for ex in $examples; do
    printf 'APP_LIBS := net http blk\n' >"$T/guide/$ex/app.mk"
    check "${ex}_compiles_and_links" $MAKE APP_DIR="$T/guide/$ex" build/hosted/$ex
done

# Two of them run without a network: the ticker ends by itself, the counter on SIGTERM (its
# shutdown hook speaks last).
for ex in $examples; do
    if grep -q '"ticker"' "$T/guide/$ex/main.c"; then
        check guide_ticker_runs sh -c "timeout 20 build/hosted/$ex >'$T/ticker.out' 2>&1 &&
            grep -q 'ticker: 5 ticks' '$T/ticker.out'"
    fi
    if grep -q '"count"' "$T/guide/$ex/main.c"; then
        check guide_counter_runs_and_stops sh -c "timeout -s TERM 2 build/hosted/$ex -- count=2 >'$T/count.out' 2>&1;
            grep -q 'count: 1' '$T/count.out' && grep -q 'count: stopped' '$T/count.out' &&
            grep -q 'shutdown: success' '$T/count.out'"
    fi
done

# ---- 7. only the public API ----
mkdir -p "$T/internal" "$T/hostlib"
echo 'APP_LIBS := net' >"$T/internal/app.mk"
printf '#include "net/stack.h"\nint app_main(int argc, char **argv) { return 0; }\n' >"$T/internal/main.c"
echo 'APP_LIBS :=' >"$T/hostlib/app.mk"
printf '#include <stdio.h>\nint app_main(int argc, char **argv) { return 0; }\n' >"$T/hostlib/main.c"
refused_header() {
    # refused_header CASE DIR HEADER
    out=$($MAKE APP_DIR="$2" 2>&1); rc=$?
    if [ $rc -ne 0 ] && printf '%s' "$out" | grep -q "$3: No such file or directory" &&
        printf '%s' "$out" | grep -q 'an application includes only "xenolith/<x>.h"'; then
        net_pass "$1"
    else
        net_fail "$1" "status $rc: $(printf '%s' "$out" | tail -n 4 | tr '\n' ' ')"
    fi
}
refused_header internal_header_does_not_compile "$T/internal" net/stack.h
refused_header host_header_does_not_compile "$T/hostlib" stdio.h

echo "apps: $NET_PASSED passed, $NET_FAILED failed${NET_FAILED_NAMES:+ (failed:$NET_FAILED_NAMES)}"
[ "$NET_FAILED" -eq 0 ]
