# xen-libvirt: the operator's libvirt path (docs/DEPLOY.md) with the domain `make run PLATFORM=xen`
# writes for httpd (build/xen/httpd.libvirt.xml, its paths made dom0's by the runner): libvirtd's
# libxl driver serves xen:///system; `virsh define` and `virsh start` boot the appliance with its
# site disk and a vif on xenbr0; curl in dom0 fetches the index page and checks its bytes against
# the site disk; `virsh shutdown` must end it cleanly (the guest prints its clean-exit line and
# its counters, libvirt says "shut off (shutdown)", not destroyed, within 60 s, and Xen no longer
# has the domain 30 s later); `virsh undefine` removes it.
# images: httpd
# config: httpd ip=10.0.0.14/24 gw=10.0.0.1
# timeout: 240
xml=/xenolith/configs/xen-libvirt/httpd.libvirt.xml
dom=xenolith-httpd
v() { virsh -q -c xen:///system "$@"; }
[ -f "$xml" ] || xt_fail "the runner did not ship $xml"
echo "xt: the domain, as make run wrote it (paths made dom0's):"
sed 's/^/xt:   /' "$xml"
site=$(sed -n "s|.*<source file='\(.*\)'/>.*|\1|p" "$xml")
[ -f "$site" ] || xt_fail "the site disk '$site' named in the domain is not in dom0"

xt_libvirtd
echo "$dom" >>"$XT_OUT/tests/$XT_TEST.domains"
# Whatever happens, libvirt forgets the domain at the end (the runner's xl destroy does not).
trap 'v destroy "$dom" >/dev/null 2>&1; v undefine "$dom" >/dev/null 2>&1' EXIT
rm -f "$(xt_console "$dom")"
out=$(v define "$xml" 2>&1) || xt_fail "virsh define: $out"
out=$(v start "$dom" 2>&1) || xt_fail "virsh start: $out
$(tail -n 20 "/var/log/libvirt/libxl/$dom.log" 2>/dev/null)"
[ "$(v domstate "$dom")" = running ] || xt_fail "after virsh start the domain is '$(v domstate "$dom")'"
for _ in $(seq 300); do
    xt_console_has "$dom" "httpd: listening on port 80" && break
    xt_console_has "$dom" "xenolith: shutdown" && xt_fail "httpd ended at start: \"$(xt_console_last "$dom")\""
    sleep 0.2
done
xt_console_has "$dom" "httpd: listening on port 80" ||
    xt_fail "httpd did not start (last line: \"$(xt_console_last "$dom")\")"
# The MAC the generated domain gave the vif is the one the guest uses.
mac=$(sed -n "s|.*<mac address='\(.*\)'/>.*|\1|p" "$xml")
v domiflist "$dom" | grep -q "$mac" || xt_fail "virsh domiflist does not show the MAC $mac: $(v domiflist "$dom")"

mkdir -p /tmp/xen-libvirt/site
tar -xf "$site" -C /tmp/xen-libvirt/site ./index.html 2>/dev/null || tar -xf "$site" -C /tmp/xen-libvirt/site index.html ||
    xt_fail "cannot read index.html from the site disk"
curl -sS --max-time 30 -o /tmp/xen-libvirt/got http://10.0.0.14/ || xt_fail "curl http://10.0.0.14/ failed"
cmp -s /tmp/xen-libvirt/got /tmp/xen-libvirt/site/index.html || xt_fail "the index page differs from the site disk's"

out=$(v shutdown "$dom" 2>&1) || xt_fail "virsh shutdown: $out"
state=""
for _ in $(seq 300); do
    state=$(v domstate --reason "$dom" 2>&1)
    case $state in "shut off"*) break ;; esac
    sleep 0.2
done
case $state in
    "shut off (shutdown)") ;;
    *) xt_fail "60 s after virsh shutdown the domain is '$state', not 'shut off (shutdown)'" ;;
esac
# libvirt reports the state first and destroys the domain after (on_poweroff): its devices'
# hot-unplug scripts take a while here.
for _ in $(seq 150); do
    xl domid "$dom" >/dev/null 2>&1 || break
    sleep 0.2
done
xl domid "$dom" >/dev/null 2>&1 &&
    xt_fail "libvirt says shut off but 30 s later Xen still has $dom ($(xl list "$dom" | awk 'NR == 2 { print $5 }'))"
xt_console_settle "$dom"
xt_expect_console "$dom" "the toolstack asks for poweroff"
xt_expect_console "$dom" "xenolith: shutdown: success"
xt_expect_console "$dom" '"GET / HTTP/1.1" 200'
xt_expect_console "$dom" "httpd.status 2xx"
out=$(v undefine "$dom" 2>&1) || xt_fail "virsh undefine: $out"
v list --all --name | grep -qx "$dom" && xt_fail "the domain is still defined after virsh undefine"
trap - EXIT
xt_pass "virsh define, start, a page over xenbr0, virsh shutdown (clean), undefine"
