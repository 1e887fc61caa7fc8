# scripts/xen-config.sh: writes a Xen guest's two configs from one set of values, so the xl
# config and the libvirt domain cannot say different things: xen_write_xl FILE for `xl create`,
# xen_write_libvirt FILE for `virsh -c xen:///system define` (libvirt's libxl driver, a PVH
# domain). Sourced by scripts/run.sh (make run PLATFORM=xen) and by its check
# (test/run/xen-config.sh); never run. docs/DEPLOY.md explains both files.
#
# The values (shell variables, set by the caller):
#   XEN_NAME         domain name
#   XEN_KERNEL       absolute path of the PVH image
#   XEN_EXTRA        the image's command line (boot options, then -- and the app's words)
#   XEN_MEMORY       MiB
#   XEN_VCPUS        virtual CPUs
#   XEN_VIF_BRIDGE   a vif on this bridge ("" for none), with MAC address XEN_MAC
#   XEN_DISK         absolute path of a raw disk image, attached as xvda ("" for none),
#                    XEN_DISK_ACCESS ro or rw
#   XEN_ON_POWEROFF, XEN_ON_REBOOT, XEN_ON_CRASH   what the toolstack does when the guest
#                    powers off, asks to reboot, crashes (destroy, restart, preserve)
#   XEN_ON_WATCHDOG  the same when Xen's domain watchdog fires (xl only: libvirt's libxl driver
#                    has no such setting and leaves such a domain shut down)
#   XEN_TSC_MODE     "" (Xen's default) or native, always_emulate, native_paravirt

# A value inside an xl config string: backslashes and double quotes escaped.
xen_quote() {
    printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'
}

# A value inside an XML attribute or element: the five predefined entities.
xen_xml_escape() {
    printf '%s' "$1" | sed "s/&/\\&amp;/g; s/</\\&lt;/g; s/>/\\&gt;/g; s/'/\\&apos;/g; s/\"/\\&quot;/g"
}

# Refuses values the writers cannot express (a caller's mistake, not the operator's).
xen_config_check() {
    local v
    for v in XEN_NAME XEN_KERNEL XEN_MEMORY XEN_VCPUS XEN_ON_POWEROFF XEN_ON_REBOOT XEN_ON_CRASH \
             XEN_ON_WATCHDOG; do
        if [ -z "$(eval "printf '%s' \"\${$v:-}\"")" ]; then
            echo "xen-config: $v is not set" >&2
            return 1
        fi
    done
    case $XEN_MEMORY$XEN_VCPUS in
        *[!0-9]*) echo "xen-config: XEN_MEMORY and XEN_VCPUS are whole numbers" >&2; return 1 ;;
    esac
    case $XEN_NAME in
        *[!A-Za-z0-9_.-]*) echo "xen-config: domain name '$XEN_NAME' has characters a toolstack refuses" >&2; return 1 ;;
    esac
    case ${XEN_DISK_ACCESS:-ro} in ro|rw) ;; *) echo "xen-config: XEN_DISK_ACCESS is ro or rw" >&2; return 1 ;; esac
    case ${XEN_TSC_MODE:-} in
        ''|native|always_emulate|native_paravirt) ;;
        *) echo "xen-config: XEN_TSC_MODE '$XEN_TSC_MODE' is not a Xen tsc_mode" >&2; return 1 ;;
    esac
    if [ -n "${XEN_VIF_BRIDGE:-}" ]; then
        case $XEN_VIF_BRIDGE in
            *[!A-Za-z0-9_.-]*) echo "xen-config: bridge name '$XEN_VIF_BRIDGE' has characters libvirt refuses" >&2; return 1 ;;
        esac
        case ${XEN_MAC:-} in
            [0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]) ;;
            *) echo "xen-config: XEN_MAC '${XEN_MAC:-}' is not a MAC address (lower-case hex)" >&2; return 1 ;;
        esac
    fi
}

# A MAC address in Xen's range (00:16:3e), random: the caller keeps it so the guest's address
# stays the same from run to run (a DHCP server's lease, a switch's table).
xen_random_mac() {
    od -An -N3 -tx1 /dev/urandom | awk '{ printf "00:16:3e:%s:%s:%s\n", $1, $2, $3 }'
}

xen_write_xl() {
    xen_config_check || return 1
    {
        echo "# Written by scripts/run.sh: boots $XEN_KERNEL as a PVH guest (docs/DEPLOY.md)."
        echo "name = \"$(xen_quote "$XEN_NAME")\""
        echo 'type = "pvh"'
        echo "kernel = \"$(xen_quote "$XEN_KERNEL")\""
        echo "memory = $XEN_MEMORY"
        echo "vcpus = $XEN_VCPUS"
        [ -z "${XEN_TSC_MODE:-}" ] || echo "tsc_mode = \"$XEN_TSC_MODE\""
        echo "on_poweroff = \"$XEN_ON_POWEROFF\""
        echo "on_reboot = \"$XEN_ON_REBOOT\""
        echo "on_crash = \"$XEN_ON_CRASH\""
        echo "# A guest whose event loop stops petting Xen's watchdog (watchdog= in extra) is ended"
        echo "# by Xen; then this:"
        echo "on_watchdog = \"$XEN_ON_WATCHDOG\""
        echo "extra = \"$(xen_quote "$XEN_EXTRA")\""
        [ -z "${XEN_VIF_BRIDGE:-}" ] ||
            echo "vif = [ 'bridge=$(xen_quote "$XEN_VIF_BRIDGE"),mac=$XEN_MAC' ]"
        [ -z "${XEN_DISK:-}" ] ||
            echo "disk = [ 'format=raw,vdev=xvda,access=${XEN_DISK_ACCESS:-ro},target=$(xen_quote "$XEN_DISK")' ]"
    } >"$1"
}

xen_write_libvirt() {
    xen_config_check || return 1
    local tsc=""
    # libvirt's names for Xen's tsc_mode values (<timer name='tsc' mode=...>)
    case ${XEN_TSC_MODE:-} in
        native) tsc=native ;;
        always_emulate) tsc=emulate ;;
        native_paravirt) tsc=paravirt ;;
    esac
    {
        echo "<!-- Written by scripts/run.sh: a PVH guest for libvirt's libxl driver;"
        echo "     virsh -c xen:///system define THIS_FILE, then start (docs/DEPLOY.md). -->"
        echo "<domain type='xen'>"
        echo "  <name>$(xen_xml_escape "$XEN_NAME")</name>"
        echo "  <memory unit='MiB'>$XEN_MEMORY</memory>"
        echo "  <currentMemory unit='MiB'>$XEN_MEMORY</currentMemory>"
        echo "  <vcpu>$XEN_VCPUS</vcpu>"
        echo "  <os>"
        echo "    <type arch='x86_64' machine='xenpvh'>xenpvh</type>"
        echo "    <kernel>$(xen_xml_escape "$XEN_KERNEL")</kernel>"
        echo "    <cmdline>$(xen_xml_escape "$XEN_EXTRA")</cmdline>"
        echo "  </os>"
        if [ -n "$tsc" ]; then
            echo "  <clock offset='utc'>"
            echo "    <timer name='tsc' mode='$tsc'/>"
            echo "  </clock>"
        else
            echo "  <clock offset='utc'/>"
        fi
        echo "  <on_poweroff>$XEN_ON_POWEROFF</on_poweroff>"
        echo "  <on_reboot>$XEN_ON_REBOOT</on_reboot>"
        echo "  <on_crash>$XEN_ON_CRASH</on_crash>"
        echo "  <devices>"
        if [ -n "${XEN_DISK:-}" ]; then
            echo "    <disk type='file' device='disk'>"
            echo "      <source file='$(xen_xml_escape "$XEN_DISK")'/>"
            echo "      <target dev='xvda' bus='xen'/>"
            [ "${XEN_DISK_ACCESS:-ro}" = rw ] || echo "      <readonly/>"
            echo "    </disk>"
        fi
        if [ -n "${XEN_VIF_BRIDGE:-}" ]; then
            echo "    <interface type='bridge'>"
            echo "      <mac address='$XEN_MAC'/>"
            echo "      <source bridge='$(xen_xml_escape "$XEN_VIF_BRIDGE")'/>"
            echo "    </interface>"
        fi
        echo "    <console type='pty'>"
        echo "      <target type='xen' port='0'/>"
        echo "    </console>"
        echo "  </devices>"
        echo "</domain>"
    } >"$1"
}
