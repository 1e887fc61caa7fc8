#!/usr/bin/python3
"""test/net/httpd_raw.py: raw-socket checks of the httpd appliance that curl cannot make.

  httpd_raw.py pipeline HOST PORT SITE_DIR        three requests in one segment, answered in order
  httpd_raw.py malformed HOST PORT                each malformed request gets its status (and a close)
  httpd_raw.py slowloris HOST PORT N TIMEOUT      N clients trickle a head; each must be cut off
                                                  (408 or close) within TIMEOUT + 4 s
  httpd_raw.py idle HOST PORT TIMEOUT             a silent kept-alive connection is closed in time
Exit status 0 when every check holds; what failed is printed.
"""
import os
import socket
import sys
import time


def connect(host, port, timeout=10):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def read_all(s, limit=4 << 20):
    data = b""
    while len(data) < limit:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
    return data


def parse_responses(data, head_only_flags):
    """Splits a byte stream into (status, headers, body) using Content-Length."""
    out = []
    for head_only in head_only_flags:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            raise ValueError("incomplete response head after %d responses" % len(out))
        lines = data[:end].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers = {}
        for line in lines[1:]:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
        data = data[end + 4:]
        length = 0 if head_only or status == 304 else int(headers.get("content-length", "0"))
        if len(data) < length:
            raise ValueError("short body")
        out.append((status, headers, data[:length]))
        data = data[length:]
    return out, data


def pipeline(host, port, site):
    style = open(os.path.join(site, "style.css"), "rb").read()
    index = open(os.path.join(site, "index.html"), "rb").read()
    docs = open(os.path.join(site, "docs", "index.html"), "rb").read()
    reqs = (b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n"
            b"HEAD /index.html HTTP/1.1\r\nHost: t\r\n\r\n"
            b"GET /docs/ HTTP/1.1\r\nHost: t\r\n\r\n"
            b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n"
            b"GET /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    s = connect(host, port)
    s.sendall(reqs)
    data = read_all(s)
    s.close()
    resp, rest = parse_responses(data, [False, True, False, False, False])
    want = [(200, style), (200, b""), (200, docs), (404, None), (200, index)]
    ok = True
    for i, ((status, headers, body), (wstatus, wbody)) in enumerate(zip(resp, want)):
        if status != wstatus or (wbody is not None and body != wbody):
            print("response %d: status %d (want %d), %d body bytes" % (i, status, wstatus, len(body)))
            ok = False
    if resp[1][1].get("content-length") != str(len(index)):
        print("HEAD content-length %s, want %d" % (resp[1][1].get("content-length"), len(index)))
        ok = False
    if resp[4][1].get("connection", "").lower() != "close":
        print("the last response does not say Connection: close")
        ok = False
    if rest:
        print("%d bytes after the last response" % len(rest))
        ok = False
    print("5 pipelined responses in order" if ok else "pipelining failed")
    return ok


MALFORMED = [
    ("bad request-line", b"GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400, True),
    ("missing Host on 1.1", b"GET / HTTP/1.1\r\n\r\n", 400, True),
    ("two Host fields", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, True),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n", 400, True),
    ("space before colon", b"GET / HTTP/1.1\r\nHost : t\r\n\r\n", 400, True),
    ("bare CR", b"GET / HTTP/1.1\r\nHost: t\rX: y\r\n\r\n", 400, True),
    ("HTTP/2.0", b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505, True),
    ("unknown method", b"BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n", 501, True),
    ("POST", b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 405, False),
    ("DELETE", b"DELETE /index.html HTTP/1.1\r\nHost: t\r\n\r\n", 405, False),
    ("chunked request", b"GET / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, True),
    ("CL and TE", b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", 400, True),
    ("bad Content-Length", b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1x\r\n\r\n", 400, True),
    ("content too large", b"GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n", 413, True),
    ("dot-dot escape", b"GET /../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", 400, False),
    ("encoded dot-dot escape", b"GET /docs/%2e%2e/%2E%2E/x HTTP/1.1\r\nHost: t\r\n\r\n", 400, False),
    ("bad escape", b"GET /a%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400, False),
    ("not found", b"GET /nope.html HTTP/1.1\r\nHost: t\r\n\r\n", 404, False),
    ("long target", b"GET /" + b"a" * 3000 + b" HTTP/1.1\r\nHost: t\r\n\r\n", 414, True),
    ("too many fields", b"GET / HTTP/1.1\r\nHost: t\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(100)) + b"\r\n", 431, True),
    ("huge head", b"GET / HTTP/1.1\r\nHost: t\r\nX: " + b"v" * 9000 + b"\r\n\r\n", 431, True),
    ("asterisk GET", b"GET * HTTP/1.1\r\nHost: t\r\n\r\n", 400, True),
]


def malformed(host, port):
    ok = True
    for name, req, want, closes in MALFORMED:
        s = connect(host, port)
        s.sendall(req)
        if closes:
            data = read_all(s)
        else:
            # The connection stays usable: a second request must be answered too.
            s.sendall(b"GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            data = read_all(s)
        s.close()
        try:
            status = int(data.split(b"\r\n", 1)[0].split(b" ")[1])
        except (IndexError, ValueError):
            status = None
        good = status == want
        if good and closes and b"connection: close" not in data.lower():
            print("%s: answered %d without Connection: close" % (name, want))
            good = False
        if good and not closes:
            rest = data[data.find(b"\r\n\r\n") + 4:]
            if b"HTTP/1.1 200 OK" not in rest:
                print("%s: the next request on the connection was not answered" % name)
                good = False
        if good and want == 405 and b"allow: get, head" not in data.lower():
            print("%s: 405 without Allow" % name)
            good = False
        print("%-24s %s (want %d) %s" % (name, status, want, "ok" if good else "WRONG"))
        ok &= good
    return ok


def slowloris(host, port, n, timeout):
    socks = []
    for i in range(n):
        s = connect(host, port)
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n")
        socks.append(s)
    start = time.monotonic()
    cut = {}
    deadline = start + timeout + 4
    while len(cut) < n and time.monotonic() < deadline:
        for i, s in enumerate(socks):
            if i in cut:
                continue
            try:
                s.sendall(b"X-a: b\r\n")           # one more field line, never the end
                s.settimeout(0.01)
                data = s.recv(4096)
                if data == b"" or data.startswith(b"HTTP/1.1 408"):
                    cut[i] = (time.monotonic() - start, data[:12])
            except socket.timeout:
                pass
            except OSError:
                cut[i] = (time.monotonic() - start, b"reset")
        time.sleep(0.5)
    for s in socks:
        s.close()
    if len(cut) < n:
        print("%d of %d slow clients still connected after %.1f s" % (n - len(cut), n, timeout + 4))
        return False
    early = [t for t, _ in cut.values() if t < timeout - 1]
    if early:
        print("%d slow clients were cut before the head timeout (at %.1f s)" % (len(early), min(early)))
        return False
    got408 = sum(1 for _, d in cut.values() if d.startswith(b"HTTP/1.1 408"))
    print("%d slow clients cut off between %.1f and %.1f s, %d with a 408" %
          (n, min(t for t, _ in cut.values()), max(t for t, _ in cut.values()), got408))
    return got408 > 0


def idle(host, port, timeout):
    s = connect(host, port, timeout=timeout + 5)
    s.sendall(b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
    start = time.monotonic()
    data = read_all(s)                       # the response, then the close at the idle limit
    took = time.monotonic() - start
    s.close()
    ok = data.startswith(b"HTTP/1.1 200") and timeout - 1 <= took <= timeout + 3
    print("idle connection closed after %.1f s (limit %d s)" % (took, timeout))
    return ok


def main():
    cmd, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if cmd == "pipeline":
        ok = pipeline(host, port, sys.argv[4])
    elif cmd == "malformed":
        ok = malformed(host, port)
    elif cmd == "slowloris":
        ok = slowloris(host, port, int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "idle":
        ok = idle(host, port, int(sys.argv[4]))
    else:
        print("unknown command " + cmd)
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
