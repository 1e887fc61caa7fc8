#!/bin/bash
# bench/xen.sh OUTDIR: make bench's part in the real-Xen test bed. Prepares the minimal Linux
# guest (the test bed's own Debian kernel, from its cached base, and an initramfs of busybox-static,
# Debian's nginx with the libraries it links, bench/xen/linux-init and the kernel's xen-netfront
# and xen-blkfront modules, taken from the same linux-image package, downloaded once with apt-get
# into the cache), then runs bench/xen/bench-xen.sh
# in one boot of the test bed (scripts/xen-testbed/run.sh with its own --out) and summarizes.
# Writes OUTDIR/xen.txt: "KIND.create_ms.median/min/max", "KIND.running_ms...", the netfront
# counters "nf.WORKLOAD.COUNTER N", their rates per 1000 frames and the segments per transmitted
# frame (how much TSO is used), the throughput figures
# "tput.KIND.RUN.{req_s,kb_s,complete,failed}" (KIND httpd or linux; RUN keepalive, newconn, bulk). BENCH_XEN_REPS sets the
# repetitions (default 3).
set -u
out=$1
cd "$(dirname "$0")/.."
mkdir -p "$out"
fail() { echo "bench xen: $*" >&2; exit 1; }
work=build/bench/xen
rm -rf "$work" && mkdir -p "$work/initrd/lib" "$work/initrd/bin" "$work/test"

base=$(scripts/xen-testbed/build-base.sh) || fail "the test bed base could not be built"
kpkg=$(grep -m1 '^linux-image-[0-9]' "$base/versions.txt") || fail "no linux-image in $base/versions.txt"
kname=${kpkg%%=*} kversion=${kpkg#*=}
modcache=${XENOLITH_CACHE:-$HOME/.cache/xenolith}/bench/$kname-$kversion
if [ ! -f "$modcache/xen-netfront.ko" ] || [ ! -f "$modcache/xen-blkfront.ko" ]; then
    dl=$(mktemp -d)
    (cd "$dl" && apt-get -q -o APT::Sandbox::User=root download "$kname=$kversion" > /dev/null) ||
        { rm -rf "$dl"; fail "cannot download $kname=$kversion"; }
    mkdir -p "$modcache"
    dpkg-deb --fsys-tarfile "$dl"/*.deb | tar -x -C "$dl" --wildcards \
        '*/drivers/net/xen-netfront.ko' '*/drivers/block/xen-blkfront.ko' ||
        { rm -rf "$dl"; fail "no xen-netfront/xen-blkfront in $kname"; }
    find "$dl" -name 'xen-*front.ko' -exec cp {} "$modcache/" \;
    rm -rf "$dl"
fi
busybox=/bin/busybox
readelf -l "$busybox" 2>/dev/null | grep -q INTERP && fail "$busybox is not static (install busybox-static)"
cp "$busybox" "$work/initrd/bin/busybox"
cp "$modcache/xen-netfront.ko" "$modcache/xen-blkfront.ko" "$work/initrd/lib/"
cp bench/xen/linux-init "$work/initrd/init"
chmod 755 "$work/initrd/init"
# Debian's nginx (nginx-light's binary) with the libraries ldd names, at the same paths, and a
# configuration for the throughput comparison (bench/xen/nginx.conf).
nginx=/usr/sbin/nginx
[ -x "$nginx" ] || fail "$nginx is missing (install nginx-light)"
mkdir -p "$work/initrd/usr/sbin" "$work/initrd/etc/nginx"
cp "$nginx" "$work/initrd/usr/sbin/nginx"
for lib in $(ldd "$nginx" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
    mkdir -p "$work/initrd$(dirname "$lib")"
    cp -L "$lib" "$work/initrd$lib"
done
cp bench/xen/nginx.conf "$work/initrd/etc/nginx/nginx.conf"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$work/initrd/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$work/initrd/etc/group"
(cd "$work/initrd" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
    > "$work/linux-initrd.cpio" || fail "cannot pack the Linux guest's initramfs"

# The test with its parameters in front (run.sh ships test files as they are).
{
    echo "XB_REPS=${BENCH_XEN_REPS:-3}"
    cat bench/xen/bench-xen.sh
} > "$work/test/bench-xen.sh"
scripts/xen-testbed/run.sh --test "$work/test/bench-xen.sh" --out "$out/xen" \
    --image httpd-site=build/httpd/site.img --image "linux-vmlinuz=$base/vmlinuz" \
    --image "linux-initrd=$work/linux-initrd.cpio" > "$out/xen.log" 2>&1 ||
    { tail -40 "$out/xen.log"; fail "the test bed run failed (log: $out/xen.log)"; }
raw=$out/xen/bench-xen.txt
[ -s "$raw" ] || fail "no results from the test bed ($raw)"

{
    for kind in httpd linux; do
        for m in create_ms running_ms; do
            awk -v k="$kind.$m." 'index($1, k) == 1 { print $2 }' "$raw" | sort -n | awk -v k="$kind.$m" '
                { v[NR] = $1 }
                END { if (NR == 0) exit 1
                      med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                      printf "%s.median %d\n%s.min %d\n%s.max %d\n%s.n %d\n", k, med, k, v[1], k, v[NR], k, NR }'
        done
    done
    grep '^nf\.' "$raw"
    grep '^tput\.' "$raw"
    for w in http udp tcp tput; do
        awk -v w="$w" 'index($1, "nf." w ".") == 1 { sub("nf." w ".", "", $1); c[$1] = $2 }
            END { f = c["tx_frames"] + c["rx_frames"]
                  if (f == 0) exit
                  printf "%s.frames %d\n", w, f
                  printf "%s.notify_per_1000 %.1f\n", w, (c["tx_notify"] + c["rx_notify"]) * 1000 / f
                  printf "%s.events_per_1000 %.1f\n", w, c["events"] * 1000 / f
                  printf "%s.grant_ops_per_1000 %.1f\n", w, (c["granted"] + c["ended"]) * 1000 / f
                  if (c["tx_frames"] > 0 && c["tx_segments"] != "") {
                      printf "%s.tx_segments_per_frame %.2f\n", w, c["tx_segments"] / c["tx_frames"]
                      if (c["tx_gso_frames"] > 0)
                          printf "%s.tx_segments_per_tso_frame %.2f\n", w,
                              (c["tx_segments"] - (c["tx_frames"] - c["tx_gso_frames"])) / c["tx_gso_frames"] } }' "$raw" |
            sed 's/^/rate./'
    done
} > "$out/xen.txt"
cat "$out/xen.txt"
