#!/usr/bin/python3
"""test/net/tcp_transfer.py: bulk TCP transfers against the echo appliance, checked by SHA-256.

    tcp_transfer.py echo HOST PORT BYTES       connect, send BYTES of random data while reading the
                                               echo back; both streams' SHA-256 must match
    tcp_transfer.py discard HOST PORT BYTES    connect, send BYTES, half-close; the appliance must
                                               send nothing and close after our FIN
    tcp_transfer.py refused HOST PORT 0        connecting must be refused at once (RST), not time out
    tcp_transfer.py serve ADDR PORT BYTES      listen (prints "listening" when ready), accept one
                                               connection (the appliance's active open), then the
                                               same as echo over it

--delay S waits S seconds between connecting and sending (the SYN-flood test starts the flood in
between, so the connection is established before it and the transfer runs during it).
The data is fresh random bytes (never a repeated block, so data delivered at a wrong offset is
caught). A transfer that makes no progress for --stall seconds fails with the byte counts so far.
Exit status 0 when every check held, 1 with a reason otherwise.
"""
import argparse
import hashlib
import os
import socket
import sys
import threading
import time

CHUNK = 64 * 1024


class Stream:
    """The sending side: random chunks, hashed as they go."""

    def __init__(self, total):
        self.total = total
        self.sent = 0
        self.hash = hashlib.sha256()
        self.error = None

    def run(self, sock):
        try:
            while self.sent < self.total:
                chunk = os.urandom(min(CHUNK, self.total - self.sent))
                self.hash.update(chunk)
                sock.sendall(chunk)
                self.sent += len(chunk)
            sock.shutdown(socket.SHUT_WR)
        except OSError as e:
            self.error = f"send failed after {self.sent} bytes: {e}"


def receive_all(sock, expect, stall_s, progress):
    """Reads until EOF; returns (bytes, sha256 hexdigest, error or None)."""
    h = hashlib.sha256()
    got = 0
    sock.settimeout(stall_s)
    while True:
        try:
            data = sock.recv(1 << 20)
        except socket.timeout:
            return got, h.hexdigest(), f"no data for {stall_s} s ({progress()})"
        except OSError as e:
            return got, h.hexdigest(), f"receive failed: {e} ({progress()})"
        if not data:
            return got, h.hexdigest(), None
        got += len(data)
        h.update(data)
        if got > expect:
            return got, h.hexdigest(), f"received {got} bytes, more than the {expect} sent"


def echo_over(sock, total, stall_s, label):
    start = time.monotonic()
    stream = Stream(total)
    sender = threading.Thread(target=stream.run, args=(sock,), daemon=True)
    sender.start()

    def progress():
        return f"sent {stream.sent} of {total}"

    got, digest, err = receive_all(sock, total, stall_s, progress)
    sender.join(stall_s)
    elapsed = time.monotonic() - start
    if stream.error:
        print(stream.error)
        return 1
    if err:
        print(f"{label}: {err}; received {got}")
        return 1
    sent_digest = stream.hash.hexdigest()
    if got != total or digest != sent_digest:
        print(f"{label}: sent {total} bytes sha256 {sent_digest}, "
              f"received {got} bytes sha256 {digest}")
        return 1
    rate = 2 * total / elapsed / 1e6 if elapsed > 0 else 0
    print(f"{label}: {total} bytes each way in {elapsed:.1f} s ({rate:.1f} MB/s both ways), "
          f"sha256 {digest} matches")
    return 0


def connect(host, port, timeout):
    s = socket.create_connection((host, port), timeout=timeout)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    return s


def cmd_echo(a):
    with connect(a.host, a.port, a.stall) as s:
        print("connected", flush=True)
        time.sleep(a.delay)
        return echo_over(s, a.bytes, a.stall, f"echo to {a.host}:{a.port}")


def cmd_discard(a):
    start = time.monotonic()
    with connect(a.host, a.port, a.stall) as s:
        stream = Stream(a.bytes)
        stream.run(s)
        if stream.error:
            print(stream.error)
            return 1
        got, _, err = receive_all(s, 0, a.stall, lambda: f"sent {stream.sent}")
        if err or got:
            print(f"discard: {err or f'answered with {got} bytes'}")
            return 1
    elapsed = time.monotonic() - start
    print(f"discard to {a.host}:{a.port}: {a.bytes} bytes in {elapsed:.1f} s, sha256 "
          f"{stream.hash.hexdigest()}, closed by the appliance after our FIN")
    return 0


def cmd_refused(a):
    start = time.monotonic()
    try:
        with connect(a.host, a.port, 5.0):
            print(f"port {a.port}: connection accepted, expected a refusal")
            return 1
    except ConnectionRefusedError:
        print(f"port {a.port}: refused (RST) after {time.monotonic() - start:.3f} s")
        return 0
    except OSError as e:
        print(f"port {a.port}: {e}, expected a refusal")
        return 1


def cmd_serve(a):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as ls:
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((a.host, a.port))
        ls.listen(1)
        ls.settimeout(a.accept_timeout)
        print("listening", flush=True)
        try:
            s, peer = ls.accept()
        except socket.timeout:
            print(f"no connection within {a.accept_timeout} s")
            return 1
    with s:
        print(f"accepted {peer[0]}:{peer[1]}", flush=True)
        return echo_over(s, a.bytes, a.stall, f"active open from {peer[0]}:{peer[1]}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("mode", choices=("echo", "discard", "refused", "serve"))
    p.add_argument("host")
    p.add_argument("port", type=int)
    p.add_argument("bytes", type=int)
    p.add_argument("--stall", type=float, default=30.0, help="seconds without progress")
    p.add_argument("--accept-timeout", type=float, default=60.0)
    p.add_argument("--delay", type=float, default=0.0, help="seconds between connect and send")
    a = p.parse_args()
    return {"echo": cmd_echo, "discard": cmd_discard, "refused": cmd_refused,
            "serve": cmd_serve}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
