# blkfront-detach: the backend goes away while the guest reads. The guest reads its disk in a
# loop; dom0 runs xl block-detach. blkfront must see the backend close, fail the read in flight
# with EIO (no hang), close its side so that the detach completes, fail later reads at once and
# not reconnect to a backend that is gone.
# images: blktest
# timeout: 240
dir=/tmp/blkfront-detach
mkdir -p "$dir"
dd if=/dev/zero of="$dir/x.img" bs=1M count=4 status=none
xt_create blkdet "kernel = \"$(xt_image blktest)\"" 'memory = 64' 'extra = "-- detach"' \
    "disk = ['format=raw,vdev=xvda,access=ro,target=$dir/x.img']"
xt_wait_console blkdet "blktest: reading" 120
sleep 2
start=$(date +%s)
timeout 60 xl block-detach blkdet xvda || xt_fail "xl block-detach failed or hung"
detach_s=$(( $(date +%s) - start ))
xt_expect_end blkdet poweroff 120
log=$(xt_console blkdet)
grep -E '^blktest: (ok|FAIL)' "$log" | sed 's/^/xt: /'
grep -E '^blkfront|blkfront:' "$log" | tail -n 8 | sed 's/^/xt: /'
summary=$(grep -m1 -E '^blktest: [0-9]+ passed, [0-9]+ failed' "$log")
case "$summary" in
    *", 0 failed") ;;
    "") xt_fail "no summary (last line: \"$(xt_console_last blkdet)\")" ;;
    *) xt_fail "$summary: $(grep '^blktest: FAIL' "$log" | sed 's/^blktest: FAIL //' | paste -sd ';' | cut -c1-300)" ;;
esac
xt_destroy blkdet
rm -rf "$dir"
xt_pass "$summary; xl block-detach took ${detach_s} s"
