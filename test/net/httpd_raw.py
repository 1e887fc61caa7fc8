#!/usr/bin/python3
"""test/net/httpd_raw.py: raw-socket checks of the httpd appliance that curl cannot make.

  httpd_raw.py pipeline HOST PORT SITE_DIR        three requests in one segment, answered in order
  httpd_raw.py malformed HOST PORT                each malformed request gets its status (and a close)
  httpd_raw.py slowloris HOST PORT N TIMEOUT      N clients trickle a head; each must be cut off
                                                  (408 or close) within TIMEOUT + 4 s
  httpd_raw.py idle HOST PORT TIMEOUT             a silent kept-alive connection is closed in time
  httpd_raw.py http10 HOST PORT                   HTTP/1.0 persistence (RFC 9112 9.3, C.2.2): keep-alive
                                                  confirmed and honoured, Connection: close otherwise
  httpd_raw.py overload HOST PORT SLOTS SEND_TIMEOUT   with every client slot taken: idle keep-alive
                                                  evicted first, then the oldest head (503), a new
                                                  client refused only while all slots send to slow
                                                  readers, who are cut after SEND_TIMEOUT
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


def read_response(s, head_only=False):
    """One response by its Content-Length: (status, headers, body), or None if the connection
    ended (closed or reset) first."""
    data = b""
    while True:
        try:
            (resp,), rest = parse_responses(data, [head_only])
            return resp
        except ValueError:
            pass
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            return None
        if not chunk:
            return None
        data += chunk


def closed_by_server(s, within):
    """True when the server ends the connection (FIN or RST) within `within` seconds."""
    s.settimeout(within)
    try:
        return s.recv(4096) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def http10(host, port):
    ok = True
    s = connect(host, port)
    s.sendall(b"GET /index.html HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")
    r = read_response(s)
    if not r or r[0] != 200 or r[1].get("connection", "").lower() != "keep-alive":
        print("HTTP/1.0 keep-alive request: %s" % (r[:2] if r else "no answer"))
        ok = False
    # The connection stays open: the next request is answered at once, on the same connection.
    start = time.monotonic()
    s.sendall(b"HEAD /style.css HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    r = read_response(s, head_only=True)
    took = time.monotonic() - start
    if not r or r[0] != 200 or r[1].get("connection", "").lower() != "keep-alive" or took > 1:
        print("second request on the kept connection: %s after %.2f s" % (r[:2] if r else "none", took))
        ok = False
    # Without keep-alive: "Connection: close" and the server closes.
    s.sendall(b"GET /style.css HTTP/1.0\r\n\r\n")
    r = read_response(s)
    if not r or r[1].get("connection", "").lower() != "close" or not closed_by_server(s, 3):
        print("HTTP/1.0 without keep-alive: %s, not closed" % (r[:2] if r else "none"))
        ok = False
    s.close()
    # HTTP/1.1 keeps without a Connection field; "close" is answered with close.
    s = connect(host, port)
    s.sendall(b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
    r = read_response(s)
    if not r or "connection" in r[1]:
        print("HTTP/1.1 default: %s" % (r[:2] if r else "none"))
        ok = False
    s.sendall(b"GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    r = read_response(s)
    if not r or r[1].get("connection") != "close" or not closed_by_server(s, 3):
        print("HTTP/1.1 close: %s" % (r[:2] if r else "none"))
        ok = False
    s.close()
    if ok:
        print("HTTP/1.0 keep-alive confirmed and kept, close said and done (1.0 and 1.1)")
    return ok


def fetch(host, port, path="/index.html"):
    """A new client's GET: the status, or None when it was refused (reset or closed)."""
    try:
        s = connect(host, port, timeout=5)
        s.sendall(("GET %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" % path).encode())
        r = read_response(s)
        s.close()
        return r[0] if r else None
    except OSError:
        return None


def overload(host, port, slots, send_timeout):
    ok = True
    # 1. Every slot an idle keep-alive connection: a new client takes the oldest one's slot.
    idle = []
    for _ in range(slots):
        s = connect(host, port)
        s.sendall(b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
        if not read_response(s):
            print("no answer while filling the slots")
            return False
        idle.append(s)
        time.sleep(0.05)
    status = fetch(host, port)
    first_closed = closed_by_server(idle[0], 2)
    print("all slots idle: new client got %s, the oldest idle connection %s" %
          (status, "was closed" if first_closed else "stayed open"))
    ok &= status == 200 and first_closed
    for s in idle:
        s.close()
    time.sleep(0.5)
    # 2. Every slot a slow head: the new client takes the slot of the head begun first (503).
    heads = []
    for _ in range(slots):
        s = connect(host, port)
        s.sendall(b"GET /index.html HTTP/1.1\r\nHost: t\r\n")
        heads.append(s)
        time.sleep(0.05)
    time.sleep(0.3)
    status = fetch(host, port)
    heads[0].settimeout(2)
    try:
        got = heads[0].recv(4096)
    except OSError:
        got = b""
    print("all slots slow heads: new client got %s, the oldest head got %r" % (status, got[:12]))
    ok &= status == 200 and got.startswith(b"HTTP/1.1 503")
    for s in heads:
        s.close()
    time.sleep(0.5)
    # 3. Every slot sending a large file to a reader that reads nothing: real work, so a new
    # client is refused; the readers fall behind the minimum rate and are cut after the grace.
    readers = []
    for _ in range(slots):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(10)
        s.connect((host, port))
        s.sendall(b"GET /big.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        readers.append(s)
    time.sleep(1)
    status = fetch(host, port)
    print("all slots sending to slow readers: new client got %s (refused: None)" % status)
    ok &= status is None
    time.sleep(send_timeout + 2)
    cut = 0
    for s in readers:
        s.settimeout(0.2)
        try:
            while s.recv(65536):
                pass
            cut += 1
        except ConnectionResetError:
            cut += 1
        except socket.timeout:
            pass
        s.close()
    status = fetch(host, port)
    print("after %d s: %d of %d slow readers cut, new client got %s" %
          (send_timeout + 2, cut, slots, status))
    ok &= cut == slots and status == 200
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
    elif cmd == "http10":
        ok = http10(host, port)
    elif cmd == "overload":
        ok = overload(host, port, int(sys.argv[4]), int(sys.argv[5]))
    else:
        print("unknown command " + cmd)
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
