# httpd-xen: the web server appliance as a PVH domU on real Xen: dom0 packs a small site (an index
# page, a style sheet, a 300 KB file and a subdirectory) into a ustar disk image, attaches it
# read-only as xvda with a vif on xenbr0; from dom0, curl fetches every file and checks the
# bytes, a HEAD, a 304 on If-None-Match, a 206 range and the /sub redirect, and five requests
# pipelined in one segment are answered in order. Then `xl shutdown` must end the appliance
# cleanly (poweroff) with its access log and counters on the console.
# images: httpd
# timeout: 240
site=/tmp/httpd-xen/site
rm -rf /tmp/httpd-xen && mkdir -p "$site/sub"
printf '<!DOCTYPE html>\n<title>Xenolith on Xen</title>\n<p>served through blkfront and netfront</p>\n' >"$site/index.html"
printf 'body { margin: 2em; }\n' >"$site/style.css"
printf '<!DOCTYPE html>\n<title>sub</title>\n' >"$site/sub/index.html"
/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(300 * 1024 // 32):
        f.write("%08d xenolith on xen, line\n" % i)
' "$site/big.txt"
tar --format=ustar --owner=0 --group=0 --numeric-owner -C "$site" -cf /tmp/httpd-xen/site.img . ||
    xt_fail "cannot pack the site"
size=$(stat -c %s /tmp/httpd-xen/site.img)
truncate -s $(( (size + 1048575) / 1048576 * 1048576 )) /tmp/httpd-xen/site.img
xt_create httpd "kernel = \"$(xt_image httpd)\"" 'memory = 64' \
    'extra = "ip=10.0.0.12/24 gw=10.0.0.1"' "vif = ['mac=00:16:3e:00:00:12,bridge=xenbr0']" \
    "disk = ['format=raw,vdev=xvda,access=ro,target=/tmp/httpd-xen/site.img']"
for _ in $(seq 300); do
    xt_console_has httpd "httpd: listening on port 80" && break
    xt_console_has httpd "xenolith: shutdown" && xt_fail "httpd ended at start: \"$(xt_console_last httpd)\""
    sleep 0.2
done
xt_console_has httpd "httpd: listening on port 80" ||
    xt_fail "httpd did not start (last line: \"$(xt_console_last httpd)\")"
xt_expect_console httpd "httpd: site: 4 files"
url=http://10.0.0.12
for f in index.html style.css big.txt sub/index.html; do
    curl -sS --max-time 30 -o /tmp/httpd-xen/got "$url/$f" || xt_fail "curl $f failed"
    cmp -s /tmp/httpd-xen/got "$site/$f" || xt_fail "$f: the bytes differ"
done
curl -sS --max-time 10 -o /tmp/httpd-xen/got "$url/" && cmp -s /tmp/httpd-xen/got "$site/index.html" ||
    xt_fail "the directory index of / is wrong"
head=$(curl -sS --max-time 10 -I "$url/big.txt" | tr -d '\r')
echo "$head" | grep -qx "Content-Length: $(stat -c %s "$site/big.txt")" || xt_fail "HEAD: $head"
echo "$head" | grep -qx "Content-Type: text/plain; charset=utf-8" || xt_fail "HEAD: $head"
tag=$(echo "$head" | sed -n 's/^ETag: //p')
code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "If-None-Match: $tag" "$url/big.txt")
[ "$code" = 304 ] || xt_fail "If-None-Match gave $code, not 304"
curl -sS --max-time 10 -o /tmp/httpd-xen/range -r 1000-1999 "$url/big.txt" || xt_fail "range request failed"
dd if="$site/big.txt" bs=1000 skip=1 count=1 status=none | cmp -s - /tmp/httpd-xen/range ||
    xt_fail "the range bytes differ"
redir=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code} %{redirect_url}' "$url/sub")
[ "$redir" = "301 $url/sub/" ] || xt_fail "/sub gave '$redir'"
/usr/bin/python3 - <<'PYEOF' || xt_fail "pipelined requests failed"
import socket, sys
s = socket.create_connection(("10.0.0.12", 80), timeout=20)
s.sendall(b"".join(b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n" for _ in range(4)) +
          b"GET /style.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
n = data.count(b"HTTP/1.1 200 OK\r\n")
body = data.count(b"body { margin: 2em; }\n")
print(f"{n} responses, {body} bodies")
sys.exit(0 if n == 5 and body == 5 else 1)
PYEOF
xl shutdown httpd || xt_fail "xl shutdown failed"
xt_expect_end httpd poweroff 60
xt_expect_console httpd '"GET /big.txt HTTP/1.1" 206 1000'
xt_expect_console httpd "httpd.status 2xx"
xt_pass "site over blkfront, served over netfront: files, HEAD, 304, 206, redirect, pipelining"
