#!/usr/bin/python3
"""test/net/hostile.py: malformed and hostile frames against the appliance (run with scapy).

    hostile.py IFACE TARGET_IP TARGET_MAC OUR_IP

Sends, on IFACE (the Linux side of the TAP link), every kind of broken or abusive frame the stack
must survive: runts, truncated and inconsistent Ethernet/ARP/IPv4/UDP/ICMP headers, bad
checksums, hostile sources, broken IP options, overlapping/tiny/oversized fragments and a fragment
flood, junk DHCP. Where the right behaviour is silence (a bad checksum, an overlapping fragment
pair) it also checks that nothing came back; where it is an answer (a fragmented echo request
reassembled while spoofed sparse fragments arrive) that the answer came. Prints one line per
group; exit status 0 when every check held, 1 otherwise. Whether the appliance still works afterwards is run.sh's check.
"""
import random
import sys
import time

from scapy.all import (ARP, ICMP, IP, UDP, AsyncSniffer, Ether, Raw, checksum, conf, raw, sendp)

conf.verb = 0


def with_header_checksum(b):
    """Recomputes the IPv4 header checksum so that only the field under test is wrong."""
    b = bytearray(b)
    ihl = (b[0] & 0x0f) * 4
    if len(b) >= 20 and ihl >= 20 and len(b) >= ihl:
        b[10:12] = b"\0\0"
        b[10:12] = checksum(bytes(b[:ihl])).to_bytes(2, "big")
    return bytes(b)


def main():
    if len(sys.argv) != 5:
        print(__doc__)
        return 2
    iface, target, target_mac, ours = sys.argv[1:5]
    our_mac = open(f"/sys/class/net/{iface}/address").read().strip()
    eth = Ether(src=our_mac, dst=target_mac)
    eth_ip = Ether(src=our_mac, dst=target_mac, type=0x0800)   # for raw IPv4 bytes
    rng = random.Random(862)
    failures = []

    def send(frames):
        sendp(frames, iface=iface)

    def expect_silence(name, frames, bpf):
        """Sends frames and fails if the appliance sends anything matching bpf within 1.5 s."""
        sniffer = AsyncSniffer(iface=iface, filter=f"ether src {target_mac} and ({bpf})")
        sniffer.start()
        time.sleep(0.3)
        send(frames)
        time.sleep(1.5)
        got = sniffer.stop()
        if got:
            failures.append(name)
            print(f"  {name}: answered ({got[0].summary()})")
        else:
            print(f"  {name}: silent, as required")

    def expect_answer(name, frames, bpf):
        """Sends frames and fails unless the appliance sends something matching bpf within 2 s."""
        sniffer = AsyncSniffer(iface=iface, filter=f"ether src {target_mac} and ({bpf})")
        sniffer.start()
        time.sleep(0.3)
        send(frames)
        time.sleep(2)
        got = sniffer.stop()
        if got:
            print(f"  {name}: answered, as required")
        else:
            failures.append(name)
            print(f"  {name}: no answer")

    def ip_bytes(pkt):
        return raw(pkt)

    # ---- Ethernet and ARP ----
    send([Raw(bytes(rng.randrange(256) for _ in range(n))) for n in range(1, 14)])
    send(Ether(src=our_mac, dst=target_mac, type=0x88b5) / Raw(b"x" * 50))                       # unknown EtherType
    arp_ok = raw(ARP(op=1, hwsrc=our_mac, psrc=ours, pdst=target))
    send([Ether(src=our_mac, dst="ff:ff:ff:ff:ff:ff", type=0x0806) / Raw(arp_ok[:n])
          for n in range(0, 28)])                                  # truncated ARP
    send(Ether(src=our_mac, dst=target_mac) / ARP(hwlen=8, op=1, psrc=ours, pdst=target))
    send(Ether(src=our_mac, dst=target_mac) / ARP(op=7, psrc=ours, pdst=target))
    send(Ether(src=our_mac, dst=target_mac) /
         ARP(op=1, hwsrc="ff:ff:ff:ff:ff:ff", psrc=ours, pdst=target))
    print("ethernet/arp: runts, unknown type, truncated and inconsistent ARP sent")

    # ---- IPv4 headers ----
    good = ip_bytes(IP(src=ours, dst=target) / ICMP(id=1, seq=1) / Raw(b"p" * 32))
    frames = [eth_ip / Raw(good[:n]) for n in range(0, 20)]           # truncated headers
    for version in (0, 4 << 4 | 4, 6 << 4 | 5):                    # bad version / IHL < 5
        b = bytearray(good)
        b[0] = version
        frames.append(eth_ip / Raw(with_header_checksum(b)))
    b = bytearray(good)
    b[0] = 0x4f                                                    # IHL 60 > datagram
    frames.append(eth_ip / Raw(bytes(b[:40])))
    for total in (0, 19, 21, len(good) + 1, 65535):                # total length lies
        b = bytearray(good)
        b[2:4] = total.to_bytes(2, "big")
        frames.append(eth_ip / Raw(with_header_checksum(b)))
    for src in ("255.255.255.255", target, "224.0.0.5", "127.0.0.1", "0.0.0.0", "10.77.0.255"):
        frames.append(eth / IP(src=src, dst=target) / ICMP() / Raw(b"s" * 8))
    # broken options: length 0, length past the header, unterminated
    for opts in (b"\x07\x00\x00\x00", b"\x07\x28\x04\x00", b"\x83\x03\x00\x00" * 2):
        b = bytearray(raw(IP(src=ours, dst=target) / ICMP()))
        b = b[:20] + opts + b[20:]
        b[0] = 0x40 | (5 + len(opts) // 4)
        b[2:4] = len(b).to_bytes(2, "big")
        frames.append(eth_ip / Raw(with_header_checksum(b)))
    frames.append(eth / IP(src=ours, dst=target, proto=253) / Raw(b"unknown protocol"))
    send(frames)
    print(f"ipv4: {len(frames)} malformed or hostile headers sent")

    expect_silence("ip bad header checksum",
                   eth / IP(src=ours, dst=target, chksum=0x1234) / ICMP(id=7, seq=1),
                   "icmp")

    # ---- UDP ----
    frames = []
    udp = raw(UDP(sport=40000, dport=7) / Raw(b"u" * 16))
    for n in range(0, 8):                                          # truncated header
        frames.append(eth / IP(src=ours, dst=target, proto=17) / Raw(udp[:n]))
    for length in (0, 7, 200):                                     # length field lies
        frames.append(eth / IP(src=ours, dst=target) / UDP(sport=40000, dport=7, len=length) /
                      Raw(b"u" * 16))
    frames.append(eth / IP(src=ours, dst=target) / UDP(sport=0, dport=9) / Raw(b"zero port"))
    send(frames)
    print(f"udp: {len(frames)} truncated or inconsistent datagrams sent")
    expect_silence("udp bad checksum to echo",
                   eth / IP(src=ours, dst=target) / UDP(sport=40001, dport=7, chksum=0x4321) /
                   Raw(b"must not come back"), "udp and src port 7")

    # ---- ICMP ----
    send([eth / IP(src=ours, dst=target, proto=1) / Raw(b"\x08\x00\x00"),
          eth / IP(src=ours, dst=target) / ICMP(type=3, code=3) / Raw(b"\x45" + b"\x00" * 3),
          eth / IP(src=ours, dst=target) / ICMP(type=3, code=4, nexthopmtu=10) /
          IP(src=target, dst=ours) / UDP(sport=7, dport=1)])
    expect_silence("icmp echo with bad checksum",
                   eth / IP(src=ours, dst=target) / ICMP(id=9, seq=1, chksum=0xbeef) / Raw(b"x" * 8),
                   "icmp")
    print("icmp: truncated messages and errors sent")

    # ---- Fragments ----
    # Overlap: RFC 5722's rule applied to IPv4 -> the whole datagram is discarded, no reply.
    echo = raw(ICMP(id=0x5722, seq=1) / Raw(b"A" * 24))
    first = IP(src=ours, dst=target, id=4242, flags="MF", frag=0, proto=1) / Raw(echo[:16])
    overlap = IP(src=ours, dst=target, id=4242, frag=1, proto=1) / Raw(b"B" * 24)
    expect_silence("overlapping fragments", [eth / first, eth / overlap], "icmp")
    # Tiny fragments: 8 bytes each (legal, hostile); nothing is asserted about the answer.
    big = raw(ICMP(id=0x7777, seq=1) / Raw(b"t" * 64))
    tiny = []
    for off in range(0, len(big), 8):
        more = "MF" if off + 8 < len(big) else 0
        tiny.append(eth / IP(src=ours, dst=target, id=777, flags=more, frag=off // 8, proto=1) /
                    Raw(big[off:off + 8]))
    send(tiny)
    # Oversize: fragments that would reassemble beyond 65535 bytes.
    pod = [eth / IP(src=ours, dst=target, id=6553, flags="MF", frag=0, proto=1) /
           Raw(raw(ICMP(id=1, seq=1)) + b"d" * 1472),
           eth / IP(src=ours, dst=target, id=6553, frag=8189, proto=1) / Raw(b"d" * 1000)]
    expect_silence("fragments beyond 65535 bytes", pod, "icmp and icmp[0] == 0")
    # Sparse spoofed fragments (RFC 815 / the resource bound of RFC 1122 3.3.2): 8 bytes each at
    # offset 65000 from 40 spoofed sources, sent between the two halves of a real fragmented echo
    # request. Each costs the 8 bytes it carries, not the 64 KiB its offset reaches, and none may
    # evict the reassembly in progress: the echo request completes and is answered.
    request = raw(ICMP(id=0x0815, seq=1) / Raw(b"r" * 2952))
    halves = [eth / IP(src=ours, dst=target, id=815, flags="MF", frag=0, proto=1) /
              Raw(request[:1480]),
              eth / IP(src=ours, dst=target, id=815, frag=185, proto=1) / Raw(request[1480:])]
    sparse = [eth / IP(src=f"10.77.0.{100 + i}", dst=target, id=30000 + i, flags="MF",
                       frag=65000 // 8, proto=17) / Raw(b"s" * 8) for i in range(40)]
    expect_answer("echo reassembled among sparse spoofed fragments",
                  [halves[0]] + sparse + [halves[1]],
                  "icmp and icmp[0] == 0 and icmp[4:2] == 0x0815")
    # Flood: many first fragments that never complete, to exhaust reassembly if unbounded.
    flood = [eth / IP(src=ours, dst=target, id=10000 + i, flags="MF", frag=0, proto=17) /
             Raw(b"f" * 64) for i in range(2000)]
    send(flood)
    print(f"fragments: overlap, {len(tiny)} tiny, oversize, {len(sparse)} sparse and a flood of "
          f"{len(flood)} sent")

    # ---- DHCP junk to the client port ----
    send([eth / IP(src=ours, dst=target) / UDP(sport=67, dport=68) /
          Raw(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 600))))
          for _ in range(50)])
    # ---- Random bytes after a valid Ethernet header ----
    send([eth_ip / Raw(bytes(rng.randrange(256) for _ in range(rng.randrange(0, 1400))))
          for _ in range(300)])
    print("dhcp junk and 300 random IPv4 payloads sent")

    if failures:
        print("hostile: failed: " + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
