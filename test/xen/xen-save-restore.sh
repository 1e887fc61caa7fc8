# xen-save-restore: `xl save` and `xl restore` of the echo appliance and of httpd. Each is saved
# to a file in dom0 (the domain is gone), then restored as a new domain, which resumes (its
# SCHEDOP_shutdown(SHUTDOWN_suspend) returns 0 there) and must rebuild what the new domain has
# fresh: shared_info, event channels, grant table, console and xenstore, and reconnect netfront
# (and httpd's blkfront) to new backends. Checks: a TCP connection to the echo service opened
# before the save carries 512 KB checked end to end after the restore; ping answers; httpd
# serves every file of its site (read through the reconnected blkfront) with curl; the uptime
# each guest printed at the resume is
# not below the one at the suspend; both still power off cleanly on `xl shutdown`.
# images: echo httpd
# timeout: 420
xt_create ssave "kernel = \"$(xt_image echo)\"" 'extra = "ip=10.0.0.32/24 gw=10.0.0.1"' \
    "vif = ['mac=00:16:3e:00:00:32,bridge=xenbr0']"
xt_wait_console ssave "serving UDP and TCP echo" 60
ping -c 2 -i 0.3 -W 3 10.0.0.32 >/dev/null || xt_fail "no answer to ping before the save"
xt_tcp_stream_start 10.0.0.32
rm -f /tmp/ssave.save
xl save ssave /tmp/ssave.save || xt_fail "xl save failed"
xl domid ssave >/dev/null 2>&1 && xt_fail "the domain is still there after xl save"
xl restore /tmp/ssave.save || xt_fail "xl restore failed"
rm -f /tmp/ssave.save
xt_wait_console ssave "ms continues" 60
xt_wait_console ssave "netfront: vif0: reconnected after the resume" 60
xt_expect_console ssave "gratuitous ARP for 1 addresses"
ok=0
for _ in $(seq 10); do
    ping -c 1 -W 2 10.0.0.32 >/dev/null && { ok=1; break; }
done
[ $ok = 1 ] || xt_fail "no answer to ping after the restore"
xt_tcp_stream_finish
echo_stream=$XT_STREAM
echo_uptimes=$(xt_uptime_continues ssave)
xl shutdown ssave || xt_fail "xl shutdown of the echo appliance failed"
xt_expect_poweroff_after_suspend ssave
xt_expect_console ssave "xenolith: shutdown: success"

# httpd, with its site on a read-only disk.
site=/tmp/ssave-httpd/site
rm -rf /tmp/ssave-httpd && mkdir -p "$site/sub"
printf '<!DOCTYPE html>\n<title>saved and restored</title>\n' >"$site/index.html"
printf '<!DOCTYPE html>\n<title>sub</title>\n' >"$site/sub/index.html"
head -c 200000 /dev/urandom >"$site/big.bin"
tar --format=ustar --owner=0 --group=0 --numeric-owner -C "$site" -cf /tmp/ssave-httpd/site.img . ||
    xt_fail "cannot pack the site"
truncate -s 1M /tmp/ssave-httpd/site.img
xt_create shttpd "kernel = \"$(xt_image httpd)\"" 'memory = 64' \
    'extra = "ip=10.0.0.33/24 gw=10.0.0.1"' "vif = ['mac=00:16:3e:00:00:33,bridge=xenbr0']" \
    "disk = ['format=raw,vdev=xvda,access=ro,target=/tmp/ssave-httpd/site.img']"
xt_wait_console shttpd "httpd: listening on port 80" 60
curl -sS --max-time 20 -o /tmp/ssave-httpd/got http://10.0.0.33/big.bin &&
    cmp -s /tmp/ssave-httpd/got "$site/big.bin" || xt_fail "httpd: big.bin differs before the save"
rm -f /tmp/shttpd.save
xl save shttpd /tmp/shttpd.save || xt_fail "xl save of httpd failed"
xl restore /tmp/shttpd.save || xt_fail "xl restore of httpd failed"
rm -f /tmp/shttpd.save
xt_wait_console shttpd "ms continues" 60
xt_wait_console shttpd "netfront: vif0: reconnected after the resume" 60
for _ in $(seq 120); do
    grep -q "blkfront: .*: reconnected after the resume" "$(xt_console shttpd)" && break
    sleep 0.5
done
grep -q "blkfront: .*: reconnected after the resume" "$(xt_console shttpd)" ||
    xt_fail "blkfront did not reconnect (last line: \"$(xt_console_last shttpd)\")"
for f in index.html sub/index.html big.bin; do
    curl -sS --max-time 30 --retry 5 --retry-connrefused -o /tmp/ssave-httpd/got "http://10.0.0.33/$f" ||
        xt_fail "curl $f after the restore failed"
    cmp -s /tmp/ssave-httpd/got "$site/$f" || xt_fail "$f: the bytes differ after the restore"
done
httpd_uptimes=$(xt_uptime_continues shttpd)
xl shutdown shttpd || xt_fail "xl shutdown of httpd failed"
xt_expect_poweroff_after_suspend shttpd
xt_pass "echo: $echo_stream, uptime ${echo_uptimes% *} -> ${echo_uptimes#* } ms; httpd: 3 files after the restore, uptime ${httpd_uptimes% *} -> ${httpd_uptimes#* } ms"
