#!/bin/sh
# Installs every Debian package that building, running and testing Xenolith needs.
# Only what is missing is installed; nothing else on the machine is touched.
# Usage: scripts/deps.sh [build|test|all]   (default: all)
set -eu

build_pkgs="gcc make binutils libc6-dev libxen-dev check pkg-config"
boot_pkgs="qemu-system-x86"
fuzz_pkgs="clang libclang-rt-14-dev llvm"
net_pkgs="iproute2 iputils-ping iputils-arping dnsmasq-base tshark python3-scapy netcat-openbsd curl socat hping3 wrk ethtool apache2-utils slowhttptest"
xen_pkgs="debootstrap cpio gzip dpkg"
# make test-load and the load part of make bench: the world's HTTP clients and attackers, a port
# scanner, and nginx as the reference server (the bench starts its own nginx in a namespace; the
# package's service is kept from starting, below).
load_pkgs="apache2-utils wrk slowhttptest nmap nginx-light curl"
# make bench: callgrind, the lwIP reference stack, bulk TCP reference, the Linux guest's busybox.
bench_pkgs="valgrind liblwip-dev iperf3 busybox-static"

case "${1:-all}" in
    build) want="$build_pkgs" ;;
    test|all) want="$build_pkgs $boot_pkgs $fuzz_pkgs $net_pkgs $xen_pkgs $load_pkgs $bench_pkgs" ;;
    *) echo "deps.sh: unknown set '$1' (build, test or all)" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer it ahead of time.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -q
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
