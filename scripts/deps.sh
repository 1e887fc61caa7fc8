#!/bin/sh
# Installs the Debian packages one use of Xenolith needs, by profile; only what is missing is
# installed (apt-get update first), nothing else on the machine is touched, nothing is asked.
# Usage: scripts/deps.sh [run|test|bench|all]   (default: all)
#   run    make run: build the appliances and run the default one hosted on a TAP device
#   test   make test: everything every test tier needs (run's packages included)
#   bench  make bench: the test packages and the benchmarks' reference peers
#   all    everything (the same as bench today)
set -eu

# make run: the compiler and linker, Xen's public headers (the PVH image includes them), and
# `ip` for the TAP device scripts/run.sh creates (tar, awk and timeout are in every Debian).
run_pkgs="gcc make binutils libc6-dev libxen-dev iproute2"
# make test-unit: Check, found through pkg-config; make test-layers: Python's standard library.
unit_pkgs="check pkg-config python3"
boot_pkgs="qemu-system-x86"
fuzz_pkgs="clang libclang-rt-14-dev llvm"
net_pkgs="iproute2 iputils-ping iputils-arping dnsmasq-base tshark python3-scapy netcat-openbsd curl socat hping3 wrk ethtool apache2-utils slowhttptest bind9-dnsutils knot-dnsutils nmap"
xen_pkgs="debootstrap cpio gzip dpkg"
# make test-run-config: virt-xml-validate, libvirt's own schema check of the domain make run writes.
runconfig_pkgs="libvirt-clients"
# make test-load: the world's HTTP clients and attackers and a port scanner.
load_pkgs="apache2-utils wrk slowhttptest nmap curl"
# make bench: callgrind, the lwIP reference stack, bulk TCP reference, the Linux guest's
# busybox, and nginx as the reference web server (the bench starts its own nginx in a
# namespace; the package's service is kept from starting, below); dnsperf and NSD as the reference
# authoritative DNS server (its service is kept from starting the same way).
bench_pkgs="valgrind liblwip-dev iperf3 busybox-static nginx-light dnsperf nsd"

test_pkgs="$run_pkgs $unit_pkgs $boot_pkgs $fuzz_pkgs $net_pkgs $xen_pkgs $runconfig_pkgs $load_pkgs"
case "${1:-all}" in
    run) want="$run_pkgs" ;;
    test) want="$test_pkgs" ;;
    bench|all) want="$test_pkgs $bench_pkgs" ;;
    *) echo "deps.sh: unknown profile '$1' (run, test, bench or all)" >&2; exit 2 ;;
esac

missing=""
for p in $(printf '%s\n' $want | sort -u); do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "deps.sh: installing needs root or sudo" >&2; exit 1; }
    SUDO="sudo env DEBIAN_FRONTEND=noninteractive"   # sudo resets the environment
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q < /dev/null
# tshark asks whether non-root users may capture; answer it ahead of time.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
# No package service is started by the install (nginx-light's would listen on port 80 of the
# machine): a policy-rc.d that refuses every start, only for this install and only if the machine
# has none of its own.
policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null && $SUDO chmod 755 "$policy" && own_policy=1
fi
status=0
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing < /dev/null || status=$?
[ "$own_policy" -eq 1 ] && $SUDO rm -f "$policy"
exit "$status"
