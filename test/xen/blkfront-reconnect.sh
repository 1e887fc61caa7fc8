# blkfront-reconnect: the backend closes under a reading guest and comes back. dom0 sets the
# backend's state to Closing (what a restarting backend announces); blkfront must fail the read
# in flight with EIO, close its side, and -- blkback offering InitWait again once the frontend
# goes Initialising -- reconnect on its own, after which reads work again.
# images: blktest
# timeout: 240
dir=/tmp/blkfront-reconnect
mkdir -p "$dir"
dd if=/dev/zero of="$dir/x.img" bs=1M count=4 status=none
xt_create blkrec "kernel = \"$(xt_image blktest)\"" 'memory = 64' 'extra = "-- reconnect"' \
    "disk = ['format=raw,vdev=xvda,access=ro,target=$dir/x.img']"
xt_wait_console blkrec "blktest: reading" 120
sleep 2
domid=$(xl domid blkrec)
xenstore-write "/local/domain/0/backend/vbd/$domid/51712/state" 5 ||
    xt_fail "cannot set the backend's state"
xt_expect_end blkrec poweroff 150
log=$(xt_console blkrec)
grep -E '^blktest: (ok|FAIL)' "$log" | sed 's/^/xt: /'
grep -E 'blkfront: xvda' "$log" | tail -n 8 | sed 's/^/xt: /'
summary=$(grep -m1 -E '^blktest: [0-9]+ passed, [0-9]+ failed' "$log")
case "$summary" in
    *", 0 failed") ;;
    "") xt_fail "no summary (last line: \"$(xt_console_last blkrec)\")" ;;
    *) xt_fail "$summary: $(grep '^blktest: FAIL' "$log" | sed 's/^blktest: FAIL //' | paste -sd ';' | cut -c1-300)" ;;
esac
xt_destroy blkrec
rm -rf "$dir"
xt_pass "$summary; $(grep -m1 'ok   reconnects' "$log" | sed 's/.*reconnects: //')"
