#!/bin/sh
# Runs one application (used by `make run`): scripts/run.sh PLATFORM APP [ARGS...]
#   hosted  runs build/hosted/APP as a Linux process, ARGS as its command line
#           (the kernel command-line syntax: key=value words, app arguments after --)
#   xen     boots build/xen/APP as a PVH guest with xl, ARGS as its command line (extra=)
# Per-application set-up (a TAP device for a network appliance, a disk image) goes in the
# hooks below: hosted_prepare_APP runs before the program and may add arguments to
# HOSTED_ARGS; hosted_cleanup_APP runs after it, whatever the outcome (Ctrl-C included).
# xen_prepare_APP may set XEN_MEMORY (MiB), XEN_VIF_BRIDGE (a vif), XEN_DISK and XEN_DISK_ACCESS (xvda):
# scripts/xen-config.sh writes both the xl config and the libvirt domain from these values.
#
# Environment:
#   RUN_SECONDS=N   hosted: stop the program with SIGTERM after N seconds (non-interactive runs,
#                   smoke tests); the exit status is the program's own
#   httpd: HTTPD_TAP (xhttpd0), HTTPD_HOST_IP (10.78.0.1), HTTPD_IP (10.78.0.2), HTTPD_PREFIX (24),
#          HTTPD_DISK (build/httpd/site.img, packed from app/httpd/site by app/httpd/mksite.sh);
#          on Xen: XEN_BRIDGE (xenbr0), HTTPD_XEN_MEMORY (64, MiB)
#   other applications (`make run APP=name` or `APP_DIR=/path`): RUN_APP_LIBS (set by make: the
#          app.mk's APP_LIBS); with net: APP_TAP (xapp0), APP_HOST_IP (10.79.0.1), APP_IP
#          (10.79.0.2), APP_PREFIX (24), on Xen a vif on XEN_BRIDGE; APP_DISK=PATH: its disk
#          (on Xen read-only when RUN_APP_XEN_WITHOUT, set by make, names blkfront_write)
#   XEN_WATCHDOG=SECONDS   xen: Xen's domain watchdog (watchdog= in extra, default 30; 0 for
#                   none); the config restarts a guest whose event loop stops petting it
#   XEN_MAC=MAC     xen: the vif's MAC address (default: one drawn at random the first time and
#                   kept in build/xen/APP.mac (XEN_CONFIG_OUT), so every run of APP has the same)
#   XEN_TSC_MODE=MODE  xen: tsc_mode for hosts whose TSC Xen would emulate (default: Xen's own)
#   XEN_CONFIG_OUT=DIR xen: where the configs go (default build/xen)
#   XEN_CONFIG_ONLY=1  xen: write build/xen/APP.xl and build/xen/APP.libvirt.xml, start nothing
set -eu
cd "$(dirname "$0")/.."

usage() {
    echo "usage: scripts/run.sh hosted|xen APP [ARGS...]" >&2
    exit 2
}
[ $# -ge 2 ] || usage
platform=$1
app=$2
shift 2
case $app in
    *[!A-Za-z0-9_-]*|'') echo "run.sh: '$app' is not an application name" >&2; exit 2 ;;
esac

# ---- per-application hooks ----
# HOSTED_ARGS holds extra words (no spaces inside a word) to put before the user's ARGS.
HOSTED_ARGS=""

# The TAP device of a hosted run: made here (needs root), with the host's address on it, and
# removed when the run ends. TAP_MADE names it once made.
TAP_MADE=""
tap_need_root() { # WHAT (the words before "runs on a TAP device")
    if [ "$(id -u)" -ne 0 ]; then
        echo "run.sh: $1 runs on a TAP device, which needs root (sudo make run)" >&2
        exit 1
    fi
}
tap_up() { # DEVICE HOST_IP PREFIX WHAT
    tap_need_root "$4"
    if ip link show "$1" >/dev/null 2>&1; then
        echo "run.sh: $1 already exists (another run?); remove it with: ip link del $1" >&2
        exit 1
    fi
    ip tuntap add dev "$1" mode tap
    TAP_MADE=$1
    ip addr add "$2/$3" dev "$1"
    ip link set "$1" up
}
tap_cleanup() {
    if [ -n "$TAP_MADE" ]; then
        ip link del "$TAP_MADE" 2>/dev/null || true
        echo "run.sh: removed $TAP_MADE"
        TAP_MADE=""
    fi
}

# Any other application (app/<name> or APP_DIR=/path; `make run` says which libraries its app.mk
# links in RUN_APP_LIBS): one that links net gets a TAP device with the host's side of a small
# link and a static address on the other side; APP_DISK=PATH becomes its disk (disk=PATH).
APP_TAP=${APP_TAP:-xapp0}
APP_HOST_IP=${APP_HOST_IP:-10.79.0.1}
APP_IP=${APP_IP:-10.79.0.2}
APP_PREFIX=${APP_PREFIX:-24}
APP_DISK=${APP_DISK:-}
app_links_net() {
    case " ${RUN_APP_LIBS:-} " in *" net "*) return 0 ;; *) return 1 ;; esac
}
app_check_disk() {
    if [ -n "$APP_DISK" ] && [ ! -f "$APP_DISK" ]; then
        echo "run.sh: APP_DISK=$APP_DISK does not exist" >&2
        exit 1
    fi
}
hosted_prepare_default() {
    app_check_disk
    [ -z "$APP_DISK" ] || HOSTED_ARGS="disk=$APP_DISK"
    app_links_net || return 0
    tap_up "$APP_TAP" "$APP_HOST_IP" "$APP_PREFIX" "$app links the network and"
    HOSTED_ARGS="tap=$APP_TAP ip=$APP_IP/$APP_PREFIX gw=$APP_HOST_IP${HOSTED_ARGS:+ $HOSTED_ARGS}"
    cat <<MSG
run.sh: $app on TAP $APP_TAP: host side $APP_HOST_IP/$APP_PREFIX, appliance $APP_IP
run.sh: Ctrl-C stops it and removes $APP_TAP
MSG
}
hosted_cleanup_default() {
    tap_cleanup
}

# httpd: a TAP device with the host's side of a small link, the appliance on the other side,
# serving the sample site from a disk image packed here.
HTTPD_TAP=${HTTPD_TAP:-xhttpd0}
HTTPD_HOST_IP=${HTTPD_HOST_IP:-10.78.0.1}
HTTPD_IP=${HTTPD_IP:-10.78.0.2}
HTTPD_PREFIX=${HTTPD_PREFIX:-24}
HTTPD_DISK=${HTTPD_DISK:-build/httpd/site.img}

httpd_pack_site() {
    if [ "$HTTPD_DISK" = build/httpd/site.img ]; then
        app/httpd/mksite.sh "$HTTPD_DISK" >/dev/null
    elif [ ! -f "$HTTPD_DISK" ]; then
        echo "run.sh: HTTPD_DISK=$HTTPD_DISK does not exist" >&2
        exit 1
    fi
}

hosted_prepare_httpd() {
    tap_need_root httpd
    httpd_pack_site
    tap_up "$HTTPD_TAP" "$HTTPD_HOST_IP" "$HTTPD_PREFIX" httpd
    HOSTED_ARGS="tap=$HTTPD_TAP disk=$HTTPD_DISK ip=$HTTPD_IP/$HTTPD_PREFIX gw=$HTTPD_HOST_IP"
    # An app port given after "--" changes the URL to try.
    port=80
    for word in "$@"; do
        case $word in port=*) port=${word#port=} ;; esac
    done
    url=http://$HTTPD_IP/
    [ "$port" = 80 ] || url=http://$HTTPD_IP:$port/
    cat <<MSG
run.sh: httpd on TAP $HTTPD_TAP: host side $HTTPD_HOST_IP/$HTTPD_PREFIX, appliance $HTTPD_IP
run.sh: serving $HTTPD_DISK; try:  curl -v $url
run.sh: Ctrl-C stops it and removes $HTTPD_TAP
MSG
}

hosted_cleanup_httpd() {
    tap_cleanup
}

# Xen: the image, the disk image and a vif on the default bridge (the values scripts/xen-config.sh
# turns into the configs).
XEN_MEMORY=32
XEN_VIF_BRIDGE=""
XEN_DISK=""
XEN_DISK_ACCESS=ro
xen_prepare_default() {
    app_check_disk
    if app_links_net; then
        XEN_VIF_BRIDGE=${XEN_BRIDGE:-xenbr0}
    fi
    if [ -n "$APP_DISK" ]; then
        XEN_DISK="$(cd "$(dirname "$APP_DISK")" && pwd)/$(basename "$APP_DISK")"
        # Writable unless the image leaves blkfront's writes out (APP_XEN_WITHOUT, set by make
        # in RUN_APP_XEN_WITHOUT): such an image refuses a disk attached writable.
        case " ${RUN_APP_XEN_WITHOUT:-} " in
        *" blkfront_write "*) XEN_DISK_ACCESS=ro ;;
        *) XEN_DISK_ACCESS=rw ;;
        esac
    fi
}
xen_prepare_httpd() {
    httpd_pack_site
    XEN_VIF_BRIDGE=${XEN_BRIDGE:-xenbr0}
    XEN_MEMORY=${HTTPD_XEN_MEMORY:-64}
    XEN_DISK="$(cd "$(dirname "$HTTPD_DISK")" && pwd)/$(basename "$HTTPD_DISK")"
    XEN_DISK_ACCESS=ro
}

hook() {
    # $1 prepare|cleanup: the app's own hook if it defines one, else the default
    step=$1
    shift
    if command -v "hosted_${step}_$app" >/dev/null 2>&1; then
        "hosted_${step}_$app" "$@"
    else
        "hosted_${step}_default" "$@"
    fi
}

run_hosted() {
    bin=build/hosted/$app
    if [ ! -x "$bin" ]; then
        echo "run.sh: $bin is missing; build it with: make APP=$app (or APP_DIR=/path) build/hosted/$app" >&2
        exit 1
    fi
    # The clean-up must run however the program ends: Ctrl-C reaches the whole foreground group,
    # so this shell ignores it while the program handles it (and exits) on its own.
    trap 'hook cleanup' EXIT
    trap 'hook cleanup; exit 143' TERM
    hook prepare "$@"
    status=0
    trap '' INT
    if [ -n "${RUN_SECONDS:-}" ]; then
        case $RUN_SECONDS in
            ''|*[!0-9]*) echo "run.sh: RUN_SECONDS wants whole seconds, not '$RUN_SECONDS'" >&2; exit 2 ;;
        esac
        # shellcheck disable=SC2086 # HOSTED_ARGS is a list of words by design
        timeout --preserve-status -s TERM "$RUN_SECONDS" "$bin" $HOSTED_ARGS "$@" || status=$?
    else
        # shellcheck disable=SC2086
        "$bin" $HOSTED_ARGS "$@" || status=$?
    fi
    trap - INT
    hook cleanup
    trap - EXIT TERM
    # 0 success, 1 failure, 2 crash, 3 reboot, 130 interrupted (platform/hosted/hosted.h)
    exit "$status"
}

# ---- xen ----
. scripts/xen-config.sh

run_xen() {
    image=build/xen/$app
    if [ ! -f "$image" ]; then
        echo "run.sh: $image is missing; build it with: make APP=$app (or APP_DIR=/path) build/xen/$app" >&2
        exit 1
    fi
    extra="$*"
    watchdog=${XEN_WATCHDOG:-30}
    case " $extra " in
        *" watchdog="*) ;;   # the caller's own wins
        *) [ "$watchdog" = 0 ] || extra="watchdog=$watchdog${extra:+ $extra}" ;;
    esac
    if command -v "xen_prepare_$app" >/dev/null 2>&1; then
        "xen_prepare_$app"
    else
        xen_prepare_default
    fi
    out=${XEN_CONFIG_OUT:-build/xen}
    mkdir -p "$out"
    cfg=$out/$app.xl
    xml=$out/$app.libvirt.xml
    # The vif's MAC: the caller's, else the one this tree drew for the app the first time.
    if [ -n "$XEN_VIF_BRIDGE" ] && [ -z "${XEN_MAC:-}" ]; then
        macfile=$out/$app.mac
        [ -s "$macfile" ] || xen_random_mac >"$macfile"
        XEN_MAC=$(cat "$macfile")
    fi
    XEN_NAME=xenolith-$app
    XEN_KERNEL=$(pwd)/$image
    XEN_EXTRA=$extra
    XEN_VCPUS=1
    XEN_ON_POWEROFF=destroy
    XEN_ON_REBOOT=restart
    XEN_ON_CRASH=preserve
    XEN_ON_WATCHDOG=restart
    xen_write_xl "$cfg" && xen_write_libvirt "$xml" || exit 1
    echo "run.sh: wrote $cfg and $xml"
    [ "${XEN_CONFIG_ONLY:-0}" = 0 ] || exit 0
    if ! command -v xl >/dev/null 2>&1; then
        cat >&2 <<MSG
run.sh: 'xl' was not found: running $app on Xen needs a Xen host (dom0 with the xl toolstack),
where this runs:  xl create -c $cfg
The same PVH image also boots on bare QEMU, without Xen (no network or disk there):
  scripts/qemu-boot.sh $image "$extra"
which runs:
  qemu-system-x86_64 -machine microvm -accel tcg -m 128 -kernel $image \\
      -display none -monitor none -no-reboot -nic none \\
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial stdio -append "$extra"
MSG
        exit 1
    fi
    echo "run.sh: starting $cfg (detach from the console with Ctrl-])"
    exec xl create -c "$cfg"
}

case $platform in
    hosted) run_hosted "$@" ;;
    xen) run_xen "$@" ;;
    *) echo "run.sh: unknown platform '$platform' (hosted or xen)" >&2; usage ;;
esac
