# blkfront-rw: blkfront against Linux blkback on loop-mounted files. dom0 writes generation 1
# of the sector pattern (test/xen/blk/pattern.h) into two disks; the guest checks every sector
# of both (xvda with every feature blkback offers: multi-page ring, indirect descriptors,
# persistent grants; xvdb with none of them), writes generation 2, flushes and reads it back,
# and must see writes refused on the read-only xvdc. Then dom0 finds generation 2 in every
# sector of both files.
# images: blktest
# timeout: 300
dir=/tmp/blkfront-rw
mkdir -p "$dir"
cat >"$dir/pattern.py" <<'PYEOF'
# The pattern of test/xen/blk/pattern.h. make PATH SECTORS GEN | check PATH GEN
import struct, sys
M = (1 << 64) - 1
def sector(s, g):
    v = (s * 0x9E3779B97F4A7C15 + g * 0xC2B2AE3D27D4EB4F) & M
    v ^= v >> 29
    return b"XNLB" + struct.pack("<IQ", g, s) + struct.pack("<Q", v) * 62
if sys.argv[1] == "make":
    with open(sys.argv[2], "wb") as f:
        f.write(b"".join(sector(s, int(sys.argv[4])) for s in range(int(sys.argv[3]))))
else:
    data, g = open(sys.argv[2], "rb").read(), int(sys.argv[3])
    bad = [s for s in range(len(data) // 512) if data[s * 512:(s + 1) * 512] != sector(s, g)]
    print(f"{sys.argv[2]}: {len(data) // 512} sectors, {len(bad)} not generation {g}"
          + (f" (first {bad[0]})" if bad else ""))
    sys.exit(1 if bad else 0)
PYEOF
python3 "$dir/pattern.py" make "$dir/a.img" 8192 1
python3 "$dir/pattern.py" make "$dir/b.img" 4096 1
python3 "$dir/pattern.py" make "$dir/c.img" 2048 1
start=$(date +%s)
xt_create blkrw "kernel = \"$(xt_image blktest)\"" 'memory = 64' 'extra = "-- rw"' \
    "disk = ['format=raw,vdev=xvda,access=rw,target=$dir/a.img', 'format=raw,vdev=xvdb,access=rw,target=$dir/b.img', 'format=raw,vdev=xvdc,access=ro,target=$dir/c.img']"
xt_expect_end blkrw poweroff 240
took=$(( $(date +%s) - start ))
log=$(xt_console blkrw)
grep -E '^blktest: (features|stats|ok|FAIL)' "$log" | sed 's/^/xt: /'
summary=$(grep -m1 -E '^blktest: [0-9]+ passed, [0-9]+ failed' "$log")
case "$summary" in
    *", 0 failed") ;;
    "") xt_fail "no summary (last line: \"$(xt_console_last blkrw)\")" ;;
    *) xt_fail "$summary: $(grep '^blktest: FAIL' "$log" | sed 's/^blktest: FAIL //' | paste -sd ';' | cut -c1-300)" ;;
esac
xt_destroy blkrw
# The block script detaches the loop devices when the domain goes; wait for that before reading.
for i in $(seq 50); do losetup -a | grep -q "$dir/" || break; sleep 0.2; done
check_a=$(python3 "$dir/pattern.py" check "$dir/a.img" 2) || xt_fail "dom0: $check_a"
check_b=$(python3 "$dir/pattern.py" check "$dir/b.img" 2) || xt_fail "dom0: $check_b"
check_c=$(python3 "$dir/pattern.py" check "$dir/c.img" 1) || xt_fail "dom0: read-only disk changed: $check_c"
echo "xt: $check_a; $check_b; $check_c"
rm -rf "$dir"
xt_pass "$summary; domain ${took} s; $(grep -m1 '^blktest: ok   read dom0' "$log" | sed 's/.*with 1 fibers: //')"
