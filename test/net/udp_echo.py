#!/usr/bin/python3
"""test/net/udp_echo.py: UDP client for the echo appliance (RFC 862 echo, RFC 863 discard).

    udp_echo.py echo HOST SIZE [COUNT]     each datagram of SIZE random bytes comes back identical
    udp_echo.py discard HOST SIZE [COUNT]  datagrams to port 9 get no answer
Exit status 0 on success, 1 with a message otherwise.
"""
import os
import socket
import sys

TIMEOUT_S = 2.0
TRIES = 3


def echo(host, size, count):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(TIMEOUT_S)
        for i in range(count):
            payload = os.urandom(size)
            for attempt in range(TRIES):
                s.sendto(payload, (host, 7))
                try:
                    data, addr = s.recvfrom(65535)
                except socket.timeout:
                    continue
                if addr[0] != host or addr[1] != 7:
                    print(f"reply from unexpected {addr}")
                    return 1
                if data != payload:
                    print(f"datagram {i}: {len(data)} bytes back, differ from the {size} sent")
                    return 1
                break
            else:
                print(f"datagram {i} of {size} bytes: no echo after {TRIES} tries")
                return 1
    print(f"{count} datagrams of {size} bytes echoed")
    return 0


def discard(host, size, count):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        for _ in range(count):
            s.sendto(os.urandom(size), (host, 9))
        try:
            data, addr = s.recvfrom(65535)
            print(f"discard answered with {len(data)} bytes from {addr}")
            return 1
        except socket.timeout:
            pass
    print(f"{count} datagrams of {size} bytes discarded silently")
    return 0


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("echo", "discard"):
        print(__doc__)
        return 2
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    fn = echo if sys.argv[1] == "echo" else discard
    return fn(sys.argv[2], int(sys.argv[3]), count)


if __name__ == "__main__":
    sys.exit(main())
