# blkfront-durable: nothing the backend acknowledged is lost when the domain dies. The guest
# writes generation 3 of the sector pattern over its disk, flushes and says "flush done"; dom0
# destroys it at once (xl destroy) while it keeps writing generation 4 and printing each
# acknowledged range. Then every sector of the file must be an intact generation 3 or 4 sector,
# and every range the guest reported acknowledged must be generation 4.
# images: blktest
# timeout: 240
dir=/tmp/blkfront-durable
mkdir -p "$dir"
cat >"$dir/durable.py" <<'PYEOF'
# The pattern of test/xen/blk/pattern.h. make PATH SECTORS GEN | check PATH CONSOLE_LOG
import re, struct, sys
M = (1 << 64) - 1
def sector(s, g):
    v = (s * 0x9E3779B97F4A7C15 + g * 0xC2B2AE3D27D4EB4F) & M
    v ^= v >> 29
    return b"XNLB" + struct.pack("<IQ", g, s) + struct.pack("<Q", v) * 62
if sys.argv[1] == "make":
    with open(sys.argv[2], "wb") as f:
        f.write(b"".join(sector(s, int(sys.argv[4])) for s in range(int(sys.argv[3]))))
    sys.exit(0)
data = open(sys.argv[2], "rb").read()
acked = set()
for m in re.finditer(rb"^blktest: acked (\d+) (\d+)\r?\n", open(sys.argv[3], "rb").read(), re.M):
    acked.update(range(int(m[1]), int(m[1]) + int(m[2])))
torn, lost, gen4 = [], [], 0
for s in range(len(data) // 512):
    got = data[s * 512:(s + 1) * 512]
    if got == sector(s, 4):
        gen4 += 1
    elif got != sector(s, 3):
        torn.append(s)
    elif s in acked:
        lost.append(s)
print(f"{len(data) // 512} sectors: {len(acked)} reported acknowledged after the flush, "
      f"{gen4} of generation 4; {len(lost)} acknowledged but lost"
      + (f" (first {min(lost)})" if lost else "") + f", {len(torn)} neither generation"
      + (f" (first {torn[0]})" if torn else ""))
sys.exit(1 if lost or torn else 0)
PYEOF
python3 "$dir/durable.py" make "$dir/d.img" 8192 1
xt_create blkdur "kernel = \"$(xt_image blktest)\"" 'memory = 64' 'extra = "-- durable"' \
    "disk = ['format=raw,vdev=xvda,access=rw,target=$dir/d.img']"
log=$(xt_console blkdur)
deadline=$(( $(date +%s) + 180 ))
while ! xt_console_has blkdur "blktest: flush done"; do
    if [ "$(date +%s)" -ge "$deadline" ] || ! xl domid blkdur >/dev/null 2>&1 ||
       xt_console_has blkdur "blktest: FAIL"; then
        xt_fail "no \"flush done\" from the guest (last line: \"$(xt_console_last blkdur)\")"
    fi
    sleep 0.05
done
xl destroy blkdur
grep -E '^blktest: (features|ok|FAIL)' "$log" | sed 's/^/xt: /'
if grep -q '^blktest: FAIL' "$log"; then
    xt_fail "$(grep '^blktest: FAIL' "$log" | sed 's/^blktest: FAIL //' | paste -sd ';' | cut -c1-300)"
fi
for i in $(seq 50); do losetup -a | grep -q "$dir/" || break; sleep 0.2; done
# xenconsoled may still be writing the last lines it read before the domain went.
sleep 1
result=$(python3 "$dir/durable.py" check "$dir/d.img" "$log") || xt_fail "dom0: $result"
echo "xt: $result"
rm -rf "$dir"
xt_pass "$result"
