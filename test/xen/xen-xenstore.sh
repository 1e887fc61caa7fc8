# xen-xenstore: the guest's xenstore client and xenbus handshake against the real xenstored:
# read/write/mkdir/directory/rm, permissions, watches delivered to the watching fiber,
# a transaction retried after a conflict (EAGAIN), 16 fibers with requests in flight. Then
# dom0 plays a device backend for device/xtest/0 (InitWait, a feature node), and the guest
# enumerates it, reads its backend, goes Initialised, waits for Connected and connects.
# images: xentest
# timeout: 120
xt_create xstore "kernel = \"$(xt_image xentest)\"" 'extra = "-- xenstore xenbus"'
id=$(xl domid xstore)
D=/local/domain/$id
B=/local/domain/0/backend/xtest/$id/0
xenstore-write "$B/frontend" "$D/device/xtest/0" "$B/frontend-id" "$id" "$B/state" 2 \
    "$B/feature-test" 1 || xt_fail "cannot write the backend nodes"
xenstore-chmod -r "$B" n0 "r$id"
xenstore-write "$D/device/xtest/0/backend" "$B" "$D/device/xtest/0/backend-id" 0 \
    "$D/device/xtest/0/state" 1 || xt_fail "cannot write the frontend nodes"
xenstore-chmod -r "$D/device/xtest" "n$id" r0
# The backend's half of the handshake: Connected once the frontend is Initialised.
connected=no
for _ in $(seq 300); do
    fs=$(xenstore-read "$D/device/xtest/0/state" 2>/dev/null)
    [ "$fs" = 3 ] && [ "$(xenstore-read "$B/state")" = 2 ] && xenstore-write "$B/state" 4
    [ "$fs" = 4 ] && { connected=yes; break; }
    sleep 0.2
done
echo "xt: frontend reached Connected: $connected"
xt_expect_end xstore poweroff 60
log=$(xt_console xstore)
summary=$(grep -m1 -E '^xentest: [0-9]+ passed, [0-9]+ failed' "$log")
case "$summary" in
    *", 0 failed") ;;
    "") xt_fail "no summary (last line: \"$(xt_console_last xstore)\")" ;;
    *) xt_fail "$summary: $(grep '^xentest: FAIL' "$log" | sed 's/^xentest: FAIL //' | paste -sd ';' | cut -c1-300)" ;;
esac
[ "$connected" = yes ] || xt_fail "dom0 never saw the frontend Connected"
xenstore-rm "/local/domain/0/backend/xtest" 2>/dev/null
xt_pass "$summary"
