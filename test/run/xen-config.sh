#!/bin/bash
# test/run/xen-config.sh (make test-run-config): the two configs `make run PLATFORM=xen` writes
# (scripts/xen-config.sh) say the same thing. For values with every character XML and xl quote
# (& < > ' " \ and spaces) the libvirt domain validates against libvirt's own schema
# (virt-xml-validate, libvirt-clients) and, parsed back, gives the values it was written from;
# the xl config holds them quoted; bad values are refused. Then scripts/run.sh itself, for httpd
# (vif, read-only disk, 64 MiB) and hello (neither): both files written, with the same MAC in
# both, kept from run to run.
# Usage: test/run/xen-config.sh   (needs build/xen/httpd and build/xen/hello)
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d /tmp/xenolith-xen-config.XXXXXX)
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

command -v virt-xml-validate >/dev/null ||
    { echo "test-run-config: virt-xml-validate is missing: run scripts/deps.sh test" >&2; exit 2; }

# Prints "field=value" lines for a libvirt domain file: what libvirt reads from it.
libvirt_fields() {
    /usr/bin/python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
d = ET.parse(sys.argv[1]).getroot()
def text(path):
    e = d.find(path)
    return "" if e is None else (e.text or "")
def attr(path, name):
    e = d.find(path)
    return "" if e is None else e.get(name, "")
mem = d.find("memory")
print("type=" + d.get("type"))
print("name=" + text("name"))
print("memory=%s %s" % (mem.text, mem.get("unit")))
print("vcpu=" + text("vcpu"))
print("os=%s %s" % (text("os/type"), attr("os/type", "machine")))
print("kernel=" + text("os/kernel"))
print("cmdline=" + text("os/cmdline"))
print("tsc=" + attr("clock/timer[@name='tsc']", "mode"))
for ev in ("on_poweroff", "on_reboot", "on_crash"):
    print("%s=%s" % (ev, text(ev)))
print("disk=" + attr("devices/disk/source", "file"))
print("disk_target=%s %s" % (attr("devices/disk/target", "dev"), attr("devices/disk/target", "bus")))
print("disk_readonly=%s" % (d.find("devices/disk/readonly") is not None))
print("bridge=" + attr("devices/interface[@type='bridge']/source", "bridge"))
print("mac=" + attr("devices/interface/mac", "address"))
print("console=" + attr("devices/console/target", "type"))
PY
}

# expect FILE FIELD VALUE: the libvirt domain's field is VALUE.
expect_field() {
    local got
    got=$(libvirt_fields "$1" | sed -n "s/^$2=//p")
    [ "$got" = "$3" ] || { echo "    $2: got '$got', wanted '$3'"; return 1; }
}

# ---- the writers, with awkward values ----
. scripts/xen-config.sh
set_values() {
    XEN_NAME=xenolith-check
    XEN_KERNEL="$T/dir with 'quotes' & <angles>/img\"x\\y"
    XEN_EXTRA="watchdog=30 ip=10.0.0.2/24 -- say \"a & b\" <c> it's \\n"
    XEN_MEMORY=48
    XEN_VCPUS=1
    XEN_VIF_BRIDGE=br-0.a_1
    XEN_MAC=00:16:3e:01:02:03
    XEN_DISK="$T/site & co.img"
    XEN_DISK_ACCESS=ro
    XEN_ON_POWEROFF=destroy
    XEN_ON_REBOOT=restart
    XEN_ON_CRASH=preserve
    XEN_ON_WATCHDOG=restart
    XEN_TSC_MODE=native
}
set_values
if xen_write_libvirt "$T/a.xml" && xen_write_xl "$T/a.xl"; then
    pass writers_accept_valid_values
else
    fail writers_accept_valid_values "a writer refused them"
fi
if out=$(virt-xml-validate "$T/a.xml" domain 2>&1); then
    pass libvirt_domain_validates_against_libvirts_schema
else
    fail libvirt_domain_validates_against_libvirts_schema "$out"
fi
ok=1
expect_field "$T/a.xml" type xen || ok=0
expect_field "$T/a.xml" name "$XEN_NAME" || ok=0
expect_field "$T/a.xml" memory "48 MiB" || ok=0
expect_field "$T/a.xml" vcpu 1 || ok=0
expect_field "$T/a.xml" os "xenpvh xenpvh" || ok=0
expect_field "$T/a.xml" kernel "$XEN_KERNEL" || ok=0
expect_field "$T/a.xml" cmdline "$XEN_EXTRA" || ok=0
expect_field "$T/a.xml" tsc native || ok=0
expect_field "$T/a.xml" on_poweroff destroy || ok=0
expect_field "$T/a.xml" on_reboot restart || ok=0
expect_field "$T/a.xml" on_crash preserve || ok=0
expect_field "$T/a.xml" disk "$XEN_DISK" || ok=0
expect_field "$T/a.xml" disk_target "xvda xen" || ok=0
expect_field "$T/a.xml" disk_readonly True || ok=0
expect_field "$T/a.xml" bridge br-0.a_1 || ok=0
expect_field "$T/a.xml" mac 00:16:3e:01:02:03 || ok=0
expect_field "$T/a.xml" console xen || ok=0
[ $ok = 1 ] && pass libvirt_domain_reads_back_as_written || fail libvirt_domain_reads_back_as_written "see above"

# The xl config: each value once, quoted as xl's parser reads it (\" and \\ in strings).
ok=1
for line in 'name = "xenolith-check"' 'type = "pvh"' "kernel = \"$T/dir with 'quotes' & <angles>/img\\\"x\\\\y\"" \
    'memory = 48' 'vcpus = 1' 'tsc_mode = "native"' 'on_poweroff = "destroy"' 'on_reboot = "restart"' \
    'on_crash = "preserve"' 'on_watchdog = "restart"' \
    "extra = \"watchdog=30 ip=10.0.0.2/24 -- say \\\"a & b\\\" <c> it's \\\\n\"" \
    "vif = [ 'bridge=br-0.a_1,mac=00:16:3e:01:02:03' ]" \
    "disk = [ 'format=raw,vdev=xvda,access=ro,target=$T/site & co.img' ]"; do
    grep -qxF -- "$line" "$T/a.xl" || { echo "    missing: $line"; ok=0; }
done
[ $ok = 1 ] && pass xl_config_holds_the_same_values || fail xl_config_holds_the_same_values "$(cat "$T/a.xl")"

# Without a vif, a disk or a tsc mode: none of their elements; read-write disk: no <readonly/>.
set_values
XEN_VIF_BRIDGE=""; XEN_TSC_MODE=""; XEN_DISK_ACCESS=rw
xen_write_libvirt "$T/b.xml" && xen_write_xl "$T/b.xl"
if virt-xml-validate "$T/b.xml" domain >/dev/null 2>&1 && expect_field "$T/b.xml" bridge "" &&
    expect_field "$T/b.xml" tsc "" && expect_field "$T/b.xml" disk_readonly False &&
    ! grep -q '^vif\|^tsc_mode' "$T/b.xl" && grep -q 'access=rw' "$T/b.xl"; then
    pass optional_devices_left_out_when_not_asked
else
    fail optional_devices_left_out_when_not_asked "$(cat "$T/b.xml" "$T/b.xl")"
fi

# Bad values: refused with a message, nothing written.
ok=1
for bad in XEN_MEMORY=64M XEN_VCPUS= XEN_MAC=00:16:3E:01:02:03 XEN_MAC=00:16:3e:01:02 \
    XEN_TSC_MODE=fast XEN_DISK_ACCESS=w XEN_NAME="a b" XEN_ON_CRASH= "XEN_VIF_BRIDGE=br&0"; do
    set_values
    eval "${bad%%=*}=\"\${bad#*=}\""
    rm -f "$T/c.xml"
    if msg=$(xen_write_libvirt "$T/c.xml" 2>&1) || [ -s "$T/c.xml" ] || [ -z "$msg" ]; then
        echo "    $bad was not refused"; ok=0
    fi
done
[ $ok = 1 ] && pass bad_values_refused || fail bad_values_refused "see above"

# ---- scripts/run.sh: both files from one run, the same values in both ----
if [ ! -f build/xen/httpd ] || [ ! -f build/xen/hello ]; then
    echo "test-run-config: build/xen/httpd and build/xen/hello are needed (make build/xen/httpd build/xen/hello)" >&2
    exit 2
fi
if XEN_CONFIG_ONLY=1 XEN_CONFIG_OUT="$T/run" scripts/run.sh xen httpd ip=10.0.0.13/24 >"$T/run.log" 2>&1 &&
    [ -f "$T/run/httpd.xl" ] && [ -f "$T/run/httpd.libvirt.xml" ]; then
    pass run_writes_both_configs
else
    fail run_writes_both_configs "$(cat "$T/run.log")"
fi
mac=$(cat "$T/run/httpd.mac" 2>/dev/null)
ok=1
virt-xml-validate "$T/run/httpd.libvirt.xml" domain >/dev/null 2>&1 || { echo "    does not validate"; ok=0; }
expect_field "$T/run/httpd.libvirt.xml" name xenolith-httpd || ok=0
expect_field "$T/run/httpd.libvirt.xml" kernel "$(pwd)/build/xen/httpd" || ok=0
expect_field "$T/run/httpd.libvirt.xml" cmdline "watchdog=30 ip=10.0.0.13/24" || ok=0
expect_field "$T/run/httpd.libvirt.xml" memory "64 MiB" || ok=0
expect_field "$T/run/httpd.libvirt.xml" disk "$(pwd)/build/httpd/site.img" || ok=0
expect_field "$T/run/httpd.libvirt.xml" disk_readonly True || ok=0
expect_field "$T/run/httpd.libvirt.xml" bridge xenbr0 || ok=0
expect_field "$T/run/httpd.libvirt.xml" mac "$mac" || ok=0
grep -qxF "vif = [ 'bridge=xenbr0,mac=$mac' ]" "$T/run/httpd.xl" || { echo "    xl vif"; ok=0; }
grep -qxF 'memory = 64' "$T/run/httpd.xl" || { echo "    xl memory"; ok=0; }
grep -qxF "disk = [ 'format=raw,vdev=xvda,access=ro,target=$(pwd)/build/httpd/site.img' ]" "$T/run/httpd.xl" ||
    { echo "    xl disk"; ok=0; }
grep -qxF 'extra = "watchdog=30 ip=10.0.0.13/24"' "$T/run/httpd.xl" || { echo "    xl extra"; ok=0; }
[ $ok = 1 ] && pass run_httpd_configs_agree || fail run_httpd_configs_agree "$(cat "$T/run/httpd.xl" "$T/run/httpd.libvirt.xml")"

XEN_CONFIG_ONLY=1 XEN_CONFIG_OUT="$T/run" scripts/run.sh xen httpd >/dev/null 2>&1
XEN_CONFIG_ONLY=1 XEN_CONFIG_OUT="$T/run3" XEN_MAC=00:16:3e:aa:bb:cc scripts/run.sh xen httpd >/dev/null 2>&1
if [ -n "$mac" ] && expect_field "$T/run/httpd.libvirt.xml" mac "$mac" &&
    expect_field "$T/run3/httpd.libvirt.xml" mac 00:16:3e:aa:bb:cc &&
    grep -qF 'mac=00:16:3e:aa:bb:cc' "$T/run3/httpd.xl"; then
    pass mac_kept_between_runs_and_overridable
else
    fail mac_kept_between_runs_and_overridable "first '$mac'"
fi

XEN_CONFIG_ONLY=1 XEN_CONFIG_OUT="$T/run" XEN_WATCHDOG=0 scripts/run.sh xen hello >/dev/null 2>&1
if virt-xml-validate "$T/run/hello.libvirt.xml" domain >/dev/null 2>&1 &&
    expect_field "$T/run/hello.libvirt.xml" bridge "" && expect_field "$T/run/hello.libvirt.xml" disk "" &&
    expect_field "$T/run/hello.libvirt.xml" cmdline "" && expect_field "$T/run/hello.libvirt.xml" memory "32 MiB" &&
    ! grep -q '^vif\|^disk' "$T/run/hello.xl"; then
    pass run_hello_has_no_devices
else
    fail run_hello_has_no_devices "$(cat "$T/run/hello.libvirt.xml" "$T/run/hello.xl" 2>&1)"
fi

# An application's disk (APP_DISK) is attached writable, unless its image leaves blkfront's writes
# out (APP_XEN_WITHOUT blkfront_write, which make passes as RUN_APP_XEN_WITHOUT): such an image
# refuses a writable disk, so run.sh attaches it read-only.
touch "$T/app.img"
RUN_APP_LIBS="blk dns net" RUN_APP_XEN_WITHOUT="blkfront_write suspend" APP_DISK="$T/app.img" \
    XEN_CONFIG_ONLY=1 XEN_CONFIG_OUT="$T/run4" scripts/run.sh xen dns >/dev/null 2>&1
RUN_APP_LIBS="blk net" APP_DISK="$T/app.img" \
    XEN_CONFIG_ONLY=1 XEN_CONFIG_OUT="$T/run5" scripts/run.sh xen echo >/dev/null 2>&1
if grep -qxF "disk = [ 'format=raw,vdev=xvda,access=ro,target=$T/app.img' ]" "$T/run4/dns.xl" &&
    expect_field "$T/run4/dns.libvirt.xml" disk_readonly True &&
    grep -qxF "disk = [ 'format=raw,vdev=xvda,access=rw,target=$T/app.img' ]" "$T/run5/echo.xl"; then
    pass run_disk_readonly_when_image_only_reads
else
    fail run_disk_readonly_when_image_only_reads "$(cat "$T/run4/dns.xl" "$T/run5/echo.xl" 2>&1)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
