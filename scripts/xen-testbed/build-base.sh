#!/bin/bash
# scripts/xen-testbed/build-base.sh: builds (or finds in the cache) the parts of the real-Xen test
# bed that do not change between runs, all from Debian packages, installing nothing into the host:
#   xen.elf      the Xen 4.17 hypervisor (xen-hypervisor-4.17-amd64), a multiboot ELF for QEMU -kernel
#   vmlinuz      the Debian 6.1 kernel (what linux-image-amd64 depends on), booted as dom0
#   dom0.cpio    a debootstrap'd bookworm root with the Xen tools and the tests' peers, as one
#                uncompressed newc cpio that is dom0's initramfs (the per-run payload is appended)
# The cache directory is keyed by the package versions in this machine's apt lists and by this
# script's own text, so an apt update or an edit here rebuilds it; anything else reuses it.
# Prints the directory holding the three files on stdout.
# Usage: scripts/xen-testbed/build-base.sh [--force]
set -euo pipefail
. "$(dirname "$0")/common.sh"

force=0
[ "${1:-}" = "--force" ] && force=1

[ "$(id -u)" -eq 0 ] || tb_die "building the dom0 root needs root (debootstrap and chroot)"
for tool in debootstrap cpio dpkg apt-get gunzip chroot flock sha256sum; do
    command -v "$tool" >/dev/null || tb_die "$tool is missing: run scripts/deps.sh"
done

# Packages installed into dom0: the Xen tools, what dom0's init needs, and the peers that guest
# tests talk to (DHCP/DNS server, HTTP clients (curl, ApacheBench), UDP/TCP clients, python for
# ad-hoc peers, dig for the DNS appliance), and libvirt's libxl driver with virsh (the
# operator's path of docs/DEPLOY.md).
DOM0_PACKAGES="xen-utils-4.17 xenstore-utils iproute2 bridge-utils kmod iputils-ping procps
util-linux curl dnsmasq-base netcat-openbsd socat python3 e2fsprogs iputils-arping tcpdump
apache2-utils bind9-dnsutils libvirt-daemon-driver-xen libvirt-clients"
# Kernel modules dom0 loads (with their dependencies): Xen back ends and device files, bridging,
# loop devices for file-backed guest disks, TAP, and virtio-blk for the results disk.
DOM0_MODULES="xen-evtchn xen-gntdev xen-gntalloc xenfs xen-privcmd xen-netback xen-blkback
bridge loop tun virtio_pci virtio_blk"

mirror=$(tb_debian_mirror)
[ -n "$mirror" ] || tb_die "no Debian bookworm source in /etc/apt/sources.list{,.d}: cannot debootstrap"
kernel_pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-6\.1\./ { print $2; exit }')
[ -n "$kernel_pkg" ] || tb_die "cannot find the linux-image-6.1.*-amd64 that linux-image-amd64 depends on (apt-get update?)"
xen_pkg=xen-hypervisor-4.17-amd64

# shellcheck disable=SC2086
versions=$(tb_candidates $xen_pkg "$kernel_pkg" $(echo $DOM0_PACKAGES | tr ' ' '\n' | sort -u))
unknown=$(echo "$versions" | sed -n 's/=(none)$//p' | tr '\n' ' ')
[ -z "$unknown" ] || tb_die "no candidate version for: $unknown(apt-get update?)"
key=$( { echo "$versions"; tb_apt_sources; cat "$0" "$XEN_TESTBED_DIR/common.sh"; } |
    sha256sum | cut -c1-16)
out="$XEN_TESTBED_CACHE/base-$key"

mkdir -p "$XEN_TESTBED_CACHE"
exec 9>"$XEN_TESTBED_CACHE/lock"
flock 9
if [ "$force" -eq 0 ] && [ -f "$out/ready" ]; then
    echo "$out"
    exit 0
fi

tb_say "building the test bed base in $out (a few minutes; cached afterwards)"
start=$(date +%s)
work="$XEN_TESTBED_CACHE/build.$$"
root="$work/root"
cleanup() {
    mountpoint -q "$root/proc" 2>/dev/null && umount -l "$root/proc"
    # Never delete through a mount that is still there.
    if grep -q " $work/" /proc/mounts; then
        tb_say "leaving $work in place: something is still mounted under it"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
rm -rf "$work" && mkdir -p "$work/debs" "$work/x"

# Hypervisor and dom0 kernel: downloaded and unpacked, never installed.
(cd "$work/debs" && apt-get -q -o APT::Sandbox::User=root download "$xen_pkg" "$kernel_pkg" >/dev/null)
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/x"; done
xen_gz=$(ls "$work"/x/boot/xen-4.17-amd64.gz 2>/dev/null || true)
[ -f "$xen_gz" ] || tb_die "$xen_pkg has no /boot/xen-4.17-amd64.gz"
kver=${kernel_pkg#linux-image-}
[ -f "$work/x/boot/vmlinuz-$kver" ] || tb_die "$kernel_pkg has no /boot/vmlinuz-$kver"

# dom0 root: minimal bookworm, then the packages through apt inside it, using this machine's
# own Debian sources (so security updates match the hypervisor just downloaded).
tb_say "debootstrap bookworm from $mirror"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -20 "$work/debootstrap.log" >&2; tb_die "debootstrap failed"; }
tb_apt_sources | awk '{ printf "deb [trusted=yes] %s", $1; for (i = 2; i <= NF; i++) printf " %s", $i; printf "\n" }' \
    >"$root/etc/apt/sources.list"
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
tb_say "installing dom0 packages"
# shellcheck disable=SC2086
chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get -q update && apt-get -q install -y --no-install-recommends $(echo $DOM0_PACKAGES)" \
    >"$work/apt.log" 2>&1 < /dev/null ||
    { tail -30 "$work/apt.log" >&2; tb_die "installing dom0 packages failed"; }
umount "$root/proc"
rm -f "$root/usr/sbin/policy-rc.d"
chroot "$root" dpkg-query -W -f='${Package}=${Version}\n' >"$work/dom0-packages.txt"

# Only the modules dom0 loads, resolved with the root's own modprobe against the unpacked kernel.
mkdir -p "$root/tmp/kmods/lib/modules"
cp -a "$work/x/lib/modules/$kver" "$root/tmp/kmods/lib/modules/"
chroot "$root" depmod -b /tmp/kmods "$kver"
# shellcheck disable=SC2086
chroot "$root" modprobe -a -d /tmp/kmods -S "$kver" --show-depends $(echo $DOM0_MODULES) |
    awk '$1 == "insmod" { print $2 }' | sort -u >"$work/modules.txt"
mkdir -p "$root/lib/modules/$kver"
while read -r ko; do
    rel=${ko#/tmp/kmods/lib/modules/$kver/}
    mkdir -p "$root/lib/modules/$kver/$(dirname "$rel")"
    cp "$root$ko" "$root/lib/modules/$kver/$rel"
done <"$work/modules.txt"
cp "$root/tmp/kmods/lib/modules/$kver"/modules.{order,builtin,builtin.modinfo} "$root/lib/modules/$kver/"
rm -rf "$root/tmp/kmods"
chroot "$root" depmod "$kver"

# What a RAM-only dom0 never reads (udev's hardware database and iconv's legacy charsets are a
# fifth of the root, and every run unpacks the root under emulation).
rm -rf "$root"/usr/share/{doc,man,info,locale,lintian,bash-completion} "$root"/var/lib/apt/lists/* \
    "$root"/var/cache/apt/* "$root"/var/cache/debconf/*-old "$root"/var/log/* "$root"/boot/* \
    "$root"/usr/lib/python3/dist-packages/*/tests "$root"/usr/lib/udev/hwdb.bin "$root"/usr/lib/udev/hwdb.d \
    "$root"/usr/lib/x86_64-linux-gnu/gconv
# libvirtd loads every connection driver it finds and stops if one fails to start (QEMU's wants
# its libvirt-qemu user, which only libvirt-daemon-system makes): dom0 keeps the libxl driver only.
find "$root/usr/lib/x86_64-linux-gnu/libvirt/connection-driver" -name 'libvirt_driver_*.so' \
    ! -name libvirt_driver_libxl.so -delete
mkdir -p "$root/var/log/xen" "$root/var/lib/xen" "$root/var/run/xen"
echo "$kver" >"$root/etc/xenolith-dom0-kernel"

mkdir -p "$work/out"
gunzip -c "$xen_gz" >"$work/out/xen.elf"
cp "$work/x/boot/vmlinuz-$kver" "$work/out/vmlinuz"
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$work/out/dom0.cpio"
{ printf 'mirror=%s\n' "$mirror"; echo "$versions"; echo "# dom0 packages:"; cat "$work/dom0-packages.txt"; } \
    >"$work/out/versions.txt"
cp "$work/modules.txt" "$work/out/modules.txt"
date -u +%FT%TZ >"$work/out/ready"

rm -rf "$out" && mv "$work/out" "$out"
# Older bases are stale by construction (their key no longer matches).
for old in "$XEN_TESTBED_CACHE"/base-*; do
    [ "$old" = "$out" ] || rm -rf "$old"
done
tb_say "base built in $(( $(date +%s) - start )) s: dom0.cpio $(du -m "$out/dom0.cpio" | cut -f1) MB"
echo "$out"
