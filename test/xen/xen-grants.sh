# xen-grants: the grant table under real Xen. The guest checks its entries and free list
# (exhaustion and refill, double and reserved ends refused), then grants dom0 a page: dom0
# maps it through /dev/xen/gntdev, checks the guest's pattern and writes an answer; while
# dom0 holds the mapping the guest's end-access must be refused, and after dom0 unmaps it
# must succeed.
# images: xentest
# timeout: 120
xt_create xgrant "kernel = \"$(xt_image xentest)\"" 'extra = "-- grants"'
id=$(xl domid xgrant)
python3 - "$id" >"$XT_OUT/tests/$XT_TEST.gntmap.log" 2>&1 <<'PYEOF' &
# dom0's side: map the granted page with gntdev (ioctl numbers from linux/xen/gntdev.h:
# _IOC(_IOC_NONE, 'G', 0, 24) maps, _IOC(_IOC_NONE, 'G', 1, 16) unmaps).
import fcntl, mmap, os, struct, subprocess, sys, time
domid = int(sys.argv[1])
base = f"/local/domain/{domid}/data/xentest"
def read(node):
    r = subprocess.run(["xenstore-read", f"{base}/{node}"], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None
def wait(node):
    deadline = time.time() + 60
    while time.time() < deadline:
        v = read(node)
        if v is not None:
            return v
        time.sleep(0.1)
    sys.exit(f"gave up waiting for {node}")
ref = int(wait("grant-ref"))
fd = os.open("/dev/xen/gntdev", os.O_RDWR)
arg = bytearray(struct.pack("IIQII", 1, 0, 0, domid, ref))
fcntl.ioctl(fd, 0x00184700, arg)
index = struct.unpack("IIQII", arg)[2]
page = mmap.mmap(fd, 4096, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE, offset=index)
seen = bytes(page[:19])
print(f"mapped ref {ref} of domain {domid}: {seen!r}")
page[2048:2048 + 14] = b"dom0 was here\0"
subprocess.run(["xenstore-write", f"{base}/grant-mapped",
                "ok" if seen == b"xenolith grant page" else "bad"], check=True)
wait("grant-release")
page.close()
fcntl.ioctl(fd, 0x00104701, bytearray(struct.pack("QII", index, 1, 0)))
os.close(fd)
print("unmapped")
subprocess.run(["xenstore-write", f"{base}/grant-unmapped", "1"], check=True)
PYEOF
helper=$!
xt_expect_end xgrant poweroff 90
wait $helper
sed 's/^/xt: gntmap: /' "$XT_OUT/tests/$XT_TEST.gntmap.log"
log=$(xt_console xgrant)
summary=$(grep -m1 -E '^xentest: [0-9]+ passed, [0-9]+ failed' "$log")
case "$summary" in
    *", 0 failed") ;;
    "") xt_fail "no summary (last line: \"$(xt_console_last xgrant)\")" ;;
    *) xt_fail "$summary: $(grep '^xentest: FAIL' "$log" | sed 's/^xentest: FAIL //' | paste -sd ';' | cut -c1-300)" ;;
esac
xt_pass "$summary; $(grep -m1 '^xentest: grants:' "$log" | sed 's/^xentest: //')"
