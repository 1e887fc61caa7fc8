#!/usr/bin/python3
"""test/net/tcp_impair.py: a bad network between two interfaces, for kernels without tc netem.

    tcp_impair.py IFACE_A IFACE_B [--loss P] [--duplicate P] [--reorder P] [--hold-ms MS] [--seed N]

Relays every Ethernet frame received on one interface out of the other (AF_PACKET, both
directions), like a bridge. TCP frames (IPv4, protocol 6) are impaired independently in each
direction, as tc netem would on both egress sides: dropped with probability --loss, sent twice
with --duplicate, or held back with --reorder and released after the next frame in that
direction (or after --hold-ms when none follows). Other frames (ARP, ICMP) pass unharmed so the
link comes up the same way every time. The PRNG is seeded, so the pattern repeats for a given
traffic sequence. Prints "relaying" when ready and its counters on SIGTERM/SIGINT.

The appliance's TAP offloads checksums and TCP segmentation (IFF_VNET_HDR), so frames read from
IFACE_A come with a virtio_net_hdr (PACKET_VNET_HDR): the relay does what a NIC would before the
wire, completing a checksum left partial and cutting a TSO frame into its segments, so that
every impairment applies to a segment as it would be on a real link.
"""
import argparse
import random
import struct
import select
import signal
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_VNET_HDR = 15
VNET_HDR = struct.Struct("=BBHHHH")   # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
VIRTIO_NET_HDR_F_NEEDS_CSUM = 1
VIRTIO_NET_HDR_GSO_TCPV4 = 1


def open_iface(name, vnet_hdr=False):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)
    if vnet_hdr:
        s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind((name, 0))
    s.setblocking(False)
    return s


def ones_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def complete(frame, start, offset, pseudo):
    field = start + offset
    frame[field:field + 2] = b"\0\0"
    total = ones_sum(bytes(frame[start:])) + pseudo
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    frame[field:field + 2] = struct.pack("!H", (~total & 0xFFFF) or 0xFFFF)


def wire_frames(data):
    """The frames on the wire for one frame read with its virtio_net_hdr: checksum completed and
    a TSO frame cut into gso_size segments (IPv4 id + 1 each, sequence numbers advanced,
    FIN/PSH only on the last)."""
    flags, gso_type, _, gso_size, csum_start, csum_offset = VNET_HDR.unpack_from(data)
    frame = bytearray(data[VNET_HDR.size:])
    if gso_type != VIRTIO_NET_HDR_GSO_TCPV4:
        if flags & VIRTIO_NET_HDR_F_NEEDS_CSUM:
            field = csum_start + csum_offset
            pseudo = struct.unpack_from("!H", frame, field)[0]
            complete(frame, csum_start, csum_offset, pseudo)
        return [bytes(frame)]
    ip, tcp = 14, csum_start
    thl = (frame[tcp + 12] >> 4) * 4
    headers, payload = frame[:tcp + thl], frame[tcp + thl:]
    ip_id, seq = struct.unpack_from("!H", frame, ip + 4)[0], struct.unpack_from("!I", frame, tcp + 4)[0]
    tcp_flags = frame[tcp + 13]
    out = []
    for n, at in enumerate(range(0, len(payload), gso_size)):
        piece = payload[at:at + gso_size]
        seg = bytearray(headers) + piece
        last = at + gso_size >= len(payload)
        struct.pack_into("!H", seg, ip + 2, len(seg) - ip)
        struct.pack_into("!H", seg, ip + 4, (ip_id + n) & 0xFFFF)
        seg[ip + 10:ip + 12] = b"\0\0"
        ihl = (seg[ip] & 15) * 4
        struct.pack_into("!H", seg, ip + 10, ~ones_sum(bytes(seg[ip:ip + ihl])) & 0xFFFF)
        struct.pack_into("!I", seg, tcp + 4, (seq + at) & 0xFFFFFFFF)
        seg[tcp + 13] = tcp_flags if last else tcp_flags & ~0x09   # FIN and PSH on the last only
        pseudo = ones_sum(bytes(seg[ip + 12:ip + 20]) + struct.pack("!HH", 6, len(seg) - tcp))
        complete(seg, tcp, 16, pseudo)
        out.append(bytes(seg))
    return out


def is_tcp(frame):
    return len(frame) >= 34 and frame[12:14] == b"\x08\x00" and frame[23] == 6


class Direction:
    def __init__(self, name, out, args, rng, out_prefix=b""):
        self.name, self.out, self.args, self.rng = name, out, args, rng
        self.out_prefix = out_prefix   # an empty virtio_net_hdr towards the TAP
        self.held = None          # (frame, release time)
        self.counts = {"frames": 0, "dropped": 0, "duplicated": 0, "reordered": 0, "send_errors": 0}

    def send(self, frame):
        try:
            self.out.send(self.out_prefix + frame)
        except OSError:
            self.counts["send_errors"] += 1

    def release(self, now=None):
        if self.held and (now is None or now >= self.held[1]):
            frame, self.held = self.held[0], None
            self.send(frame)

    def forward(self, frame):
        self.counts["frames"] += 1
        a, rng = self.args, self.rng
        if is_tcp(frame):
            if rng.random() < a.loss:
                self.counts["dropped"] += 1
                return
            if self.held is None and rng.random() < a.reorder:
                self.counts["reordered"] += 1
                self.held = (frame, time.monotonic() + a.hold_ms / 1000.0)
                return
            if rng.random() < a.duplicate:
                self.counts["duplicated"] += 1
                self.send(frame)
        self.send(frame)
        self.release()            # a held frame goes right after the one that overtook it


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--loss", type=float, default=0.0)
    p.add_argument("--duplicate", type=float, default=0.0)
    p.add_argument("--reorder", type=float, default=0.0)
    p.add_argument("--hold-ms", type=float, default=2.0)
    p.add_argument("--seed", type=int, default=9438)
    args = p.parse_args()
    sa, sb = open_iface(args.a, vnet_hdr=True), open_iface(args.b)
    rng = random.Random(args.seed)
    a_to_b = Direction(f"{args.a}->{args.b}", sb, args, rng)
    b_to_a = Direction(f"{args.b}->{args.a}", sa, args, rng, out_prefix=bytes(VNET_HDR.size))
    route = {sa.fileno(): (sa, a_to_b), sb.fileno(): (sb, b_to_a)}
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
    poller = select.poll()
    poller.register(sa, select.POLLIN)
    poller.register(sb, select.POLLIN)
    print("relaying", flush=True)
    while not stopping:
        timeout_ms = 1 if (a_to_b.held or b_to_a.held) else 200
        try:
            ready = poller.poll(timeout_ms)
        except InterruptedError:
            continue
        for fd, _ in ready:
            sock, direction = route[fd]
            for _ in range(256):            # drain a burst before polling again
                try:
                    frame, addr = sock.recvfrom(VNET_HDR.size + 65536)
                except (BlockingIOError, InterruptedError):
                    break
                if addr[2] == PACKET_OUTGOING:
                    continue               # our own transmission seen on the way out
                if sock is sa:
                    for wire_frame in wire_frames(frame):
                        direction.forward(wire_frame)
                else:
                    direction.forward(frame)
        now = time.monotonic()
        a_to_b.release(now)
        b_to_a.release(now)
    for d in (a_to_b, b_to_a):
        print(d.name, " ".join(f"{k} {v}" for k, v in d.counts.items()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
