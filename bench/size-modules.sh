#!/bin/bash
# bench/size-modules.sh APP: where the bytes of build/xen/APP go, by module, as a markdown table.
# Reads the symbols of build/xen/APP.debug with their sizes and source lines (nm -S -l; link-time
# optimization keeps each function's DWARF file): a module is the source directory (two levels for
# net/, app/ and platform/), "asm/libgcc" the functions without a source line (entry and trap
# assembly, libgcc's 128-bit division). Named read-only objects (tables) carry no source line
# after link-time optimization, so they are one row; what .rodata holds beyond them is string
# literals and unnamed constants. Symbols at one address (code the optimizer folded) count once.
# The ten largest functions follow.
set -eu
app=$1
dbg=build/xen/$app.debug
img=build/xen/$app
[ -f "$dbg" ] && [ -f "$img" ] || { echo "bench size-modules: build/xen/$app is not built" >&2; exit 1; }
read -r rodata rodata_at < <(size -A "$dbg" | awk '$1 == ".rodata" { print $2, $3 }')
nm -S -l --defined-only "$dbg" | /usr/bin/python3 -c '
import sys, collections
rodata, rodata_at = int(sys.argv[1]), int(sys.argv[2])
text = collections.Counter(); const = collections.Counter(); funcs = []
seen = set()
for line in sys.stdin:
    f = line.split()
    if len(f) < 4 or f[0] in seen:
        continue
    # The .debug file marks every data symbol NOBITS: constants are told by their address.
    is_text = f[2] in "tTwW"
    if not is_text and not rodata_at <= int(f[0], 16) < rodata_at + rodata:
        continue
    seen.add(f[0])   # aliases (identical code folded by the optimizer) count once
    size = int(f[1], 16)
    src = f[4].rsplit(":", 1)[0].removeprefix("./") if len(f) > 4 else ""
    src = src.removeprefix("build/sdk/include/")   # the headers applications see
    parts = src.split("/")
    if not src:
        mod = "asm/libgcc" if is_text else "named read-only tables"
    elif parts[0] in ("net", "app", "platform") and len(parts) > 2:
        mod = "/".join(parts[:2])
    else:
        mod = parts[0] if len(parts) > 1 else src
    if is_text:
        text[mod] += size
        funcs.append((size, f[3].split(".")[0], mod))
    else:
        const[mod] += size
mods = sorted(set(text) | set(const), key=lambda m: -(text[m] + const[m]))
print("| module | text | named constants | total |")
print("| --- | ---: | ---: | ---: |")
for m in mods:
    print(f"| {m} | {text[m]} | {const[m]} | {text[m] + const[m]} |")
named = sum(const.values())
print(f"| strings and unnamed constants | | {rodata - named} | {rodata - named} |")
print()
print("Largest functions (after inlining): " + ", ".join(
    f"{n} ({m}) {s}" for s, n, m in sorted(funcs, reverse=True)[:10]) + ".")
' "$rodata" "$rodata_at"
