#!/bin/sh
# Turns the addresses of a crash report into function names, files and lines with addr2line.
#
# Usage: scripts/symbolize.sh [--app NAME] [--platform xen|hosted] [--binary PATH] [REPORT]
#   REPORT    the console text of the crash (a file; standard input when absent or "-")
#   --app     the application whose image crashed (default: the name in the hosted frames
#             "(NAME+0xOFFSET)", else httpd)
#   --platform  which build to read: xen (build/xen/APP.debug, the kernel image's debug info) or
#             hosted (build/hosted/APP); default: hosted when the report has hosted frames
#   --binary  a binary with debug info to use instead (e.g. a copy kept with a released image)
#
# Every line of the report is printed as it is; after a line holding addresses, one line per
# address says where it is ("    0x... = function at file:line", inlined callers below it).
# Hosted frames are mapped by their offset in the executable (the program is position
# independent, so the absolute address differs per run); kernel frames by their address (the
# image is linked at a fixed address). Backtrace frames #1 and beyond are return addresses: the
# call is the byte before, so that byte is what gets looked up.
set -eu
cd "$(dirname "$0")/.."

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

app=""; platform=""; binary=""; report="-"
while [ $# -gt 0 ]; do
    case $1 in
        --app) [ $# -ge 2 ] || usage; app=$2; shift ;;
        --app=*) app=${1#--app=} ;;
        --platform) [ $# -ge 2 ] || usage; platform=$2; shift ;;
        --platform=*) platform=${1#--platform=} ;;
        --binary) [ $# -ge 2 ] || usage; binary=$2; shift ;;
        --binary=*) binary=${1#--binary=} ;;
        -h|--help) usage ;;
        -*) [ "$1" = - ] && report=- || { echo "symbolize.sh: unknown option $1" >&2; usage; } ;;
        *) report=$1 ;;
    esac
    shift
done
command -v addr2line >/dev/null 2>&1 || { echo "symbolize.sh: addr2line (binutils) is missing" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
if [ "$report" = - ]; then cat > "$tmp/report"; else
    [ -r "$report" ] || { echo "symbolize.sh: cannot read $report" >&2; exit 1; }
    cat "$report" > "$tmp/report"
fi

hosted_name=$(sed -nE 's/.*\(([A-Za-z0-9_.-]+)\+0x[0-9a-fA-F]+\).*/\1/p' "$tmp/report" | head -n 1)
if [ -z "$platform" ]; then
    if [ -n "$hosted_name" ]; then platform=hosted; else platform=xen; fi
fi
[ -n "$app" ] || app=${hosted_name:-httpd}
case $app in *[!A-Za-z0-9_.-]*) echo "symbolize.sh: '$app' is not an application name" >&2; exit 2 ;; esac
if [ -z "$binary" ]; then
    case $platform in
        xen) binary=build/xen/$app.debug ;;
        hosted) binary=build/hosted/$app ;;
        *) echo "symbolize.sh: --platform is xen or hosted, not '$platform'" >&2; exit 2 ;;
    esac
fi
[ -r "$binary" ] || { echo "symbolize.sh: $binary is missing (build it: make APP=$app build/$platform/$app)" >&2; exit 1; }
echo "symbolize.sh: $platform addresses against $binary" >&2

# Where one address is, as "function at file:line" lines (inlining shown as extra lines).
where() {
    addr2line -f -i -C -p -e "$binary" "$1" 2>/dev/null | sed 's/ (inlined by) /(inlined by) /'
}

while IFS= read -r line || [ -n "$line" ]; do
    printf '%s\n' "$line"
    # A backtrace frame "#N": return addresses from N = 1 on.
    frame=$(printf '%s\n' "$line" | sed -nE 's/^[[:space:]]*#([0-9]+)[[:space:]].*/\1/p')
    if [ "$platform" = hosted ]; then
        addrs=$(printf '%s\n' "$line" | grep -oE "\($app\+0x[0-9a-fA-F]+\)" | grep -oE '0x[0-9a-fA-F]+' || true)
    else
        addrs=$(printf '%s\n' "$line" | grep -oE '0x[0-9a-fA-F]{6,16}' || true)
    fi
    for a in $addrs; do
        look=$a
        if [ -n "$frame" ] && [ "$frame" -gt 0 ]; then
            look=$(printf '%#x' $(( a - 1 )))
        fi
        result=$(where "$look")
        case $result in
            ''|'?? ??:0'|'?? at ??:0'|'??'*) continue ;;
        esac
        printf '%s\n' "$result" | sed "s|^|    $a = |"
    done
done < "$tmp/report"
