# httpd-load: ApacheBench from dom0 against the web server appliance on real Xen (PVH domU,
# netfront, its site on a read-only blkfront disk): `ab -k -n 300 -c 4` (HTTP/1.0 keep-alive) and
# `ab -n 300 -c 4` (a new connection per request, the server closing first) must each finish with
# 300 complete requests, 0 failed and no non-2xx answer; the appliance must still serve a page
# afterwards and end cleanly on `xl shutdown`. The hosted load tier (make test-load) runs the same
# clients at full size; the runs here are short because the test bed is Xen nested in TCG.
# images: httpd
# timeout: 300
dir=/tmp/httpd-load
site=$dir/site
rm -rf "$dir" && mkdir -p "$site"
printf '<!DOCTYPE html>\n<title>Xenolith under ab</title>\n<p>load over netfront</p>\n' >"$site/index.html"
tar --format=ustar --owner=0 --group=0 --numeric-owner -C "$site" -cf "$dir/site.img" . ||
    xt_fail "cannot pack the site"
truncate -s 1M "$dir/site.img"
xt_create httpdload "kernel = \"$(xt_image httpd)\"" 'memory = 64' \
    'extra = "ip=10.0.0.13/24 gw=10.0.0.1 -- access-log=off"' \
    "vif = ['mac=00:16:3e:00:00:13,bridge=xenbr0']" \
    "disk = ['format=raw,vdev=xvda,access=ro,target=$dir/site.img']"
for _ in $(seq 300); do
    xt_console_has httpdload "httpd: listening on port 80" && break
    xt_console_has httpdload "xenolith: shutdown" && xt_fail "httpd ended at start: \"$(xt_console_last httpdload)\""
    sleep 0.2
done
xt_console_has httpdload "httpd: listening on port 80" ||
    xt_fail "httpd did not start (last line: \"$(xt_console_last httpdload)\")"
url=http://10.0.0.13/index.html
curl -sS --max-time 30 -o "$dir/got" "$url" && cmp -s "$dir/got" "$site/index.html" ||
    xt_fail "the first GET failed"

# ab_check NAME OPTION...: ab's own report must say 300 complete, 0 failed, no non-2xx. -s 10: a
# response that does not come within 10 s makes ab give up (a stall, not slowness: a request
# takes milliseconds here); timeout 120 bounds the whole run. Both runs are made whatever the first
# gives (a boot of the test bed is expensive); their failures are the verdict together.
problems=""
ab_check() {
    local name=$1 out=$dir/$1.txt
    shift
    timeout 120 ab -s 10 "$@" "$url" >"$out" 2>&1
    local rc=$? complete failed non2xx rps
    complete=$(sed -nE 's/^Complete requests: +([0-9]+).*/\1/p' "$out")
    failed=$(sed -nE 's/^Failed requests: +([0-9]+).*/\1/p' "$out")
    non2xx=$(sed -nE 's/^Non-2xx responses: +([0-9]+).*/\1/p' "$out")
    rps=$(sed -nE 's/^Requests per second: +([0-9.]+).*/\1/p' "$out")
    [ -n "$complete" ] || complete=$(sed -nE 's/^Total of ([0-9]+) requests completed.*/\1/p' "$out")
    echo "$name: ab exit $rc, complete ${complete:-0} of 300, failed ${failed:-?}, non-2xx ${non2xx:-0}, ${rps:-?} requests/s"
    if [ "$rc" -ne 0 ] || [ "${complete:-0}" != 300 ] || [ "$failed" != 0 ] || [ -n "$non2xx" ]; then
        cat "$out"
        problems="$problems${problems:+; }$name: $(grep -m1 -E '^apr_|^Failed|^Non-2xx' "$out" || echo "ab exit $rc") (complete ${complete:-0} of 300)"
    fi
}
ab_check "ab -k" -k -n 300 -c 4
ab_check "ab" -n 300 -c 4
curl -sS --max-time 30 -o "$dir/got" "$url" && cmp -s "$dir/got" "$site/index.html" ||
    problems="$problems${problems:+; }no answer after the load"
[ -z "$problems" ] || xt_fail "$problems"
xl shutdown httpdload || xt_fail "xl shutdown failed"
xt_expect_end httpdload poweroff 60
xt_expect_console httpdload "httpd.connections"
xt_pass "ab -k and ab, 300 requests each at 4 connections, none failed"
