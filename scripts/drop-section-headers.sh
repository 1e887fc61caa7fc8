#!/bin/sh
# Writes IN (a stripped, statically linked ELF64 image) to OUT without its section headers and
# section name table: the file ends with the last byte a program header loads, and the ELF
# header says there are no sections. The PVH loaders (Xen's libelf, QEMU's) place the image
# and find its notes by the program headers alone, so the image boots the same, about 570
# bytes smaller. Tools that want sections (size -A, nm, the symbolizer) read
# build/xen/<app>.debug, which keeps them.
#   scripts/drop-section-headers.sh IN OUT
set -eu
in=$1 out=$2

# An unsigned little-endian integer of $2 bytes at offset $1 of the input.
field() { od -An -tu"$2" -j "$1" -N "$2" "$in" | tr -d ' '; }

magic=$(od -An -tx1 -N 6 "$in" | tr -d ' ')
[ "$magic" = 7f454c460201 ] || { echo "drop-section-headers: $in is not a little-endian ELF64 file" >&2; exit 1; }

phoff=$(field 32 8)
phentsize=$(field 54 2)
phnum=$(field 56 2)
[ "$phentsize" -eq 56 ] && [ "$phnum" -gt 0 ] ||
    { echo "drop-section-headers: $in has no usable program headers" >&2; exit 1; }

# The file must keep the headers themselves and every segment's bytes.
end=$((phoff + phentsize * phnum))
i=0
while [ "$i" -lt "$phnum" ]; do
    ph=$((phoff + i * phentsize))
    offset=$(field $((ph + 8)) 8)
    filesz=$(field $((ph + 32)) 8)
    if [ "$filesz" -gt 0 ] && [ $((offset + filesz)) -gt "$end" ]; then
        end=$((offset + filesz))
    fi
    i=$((i + 1))
done

tmp=$out.tmp
head -c "$end" "$in" > "$tmp"
# e_shoff (8 bytes at 40) zero; e_shentsize, e_shnum and e_shstrndx (2 bytes each at 58) zero.
printf '\000\000\000\000\000\000\000\000' | dd of="$tmp" bs=1 seek=40 conv=notrunc status=none
printf '\000\000\000\000\000\000' | dd of="$tmp" bs=1 seek=58 conv=notrunc status=none
chmod +x "$tmp"
mv "$tmp" "$out"
