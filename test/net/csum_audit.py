#!/usr/bin/python3
"""test/net/csum_audit.py PCAP MAC: audits the TCP and UDP checksums of every datagram MAC sent.

The appliance's TAP runs with checksum offload (IFF_VNET_HDR, VIRTIO_NET_HDR_F_NEEDS_CSUM): a
capture on the TAP sees such a datagram before the host completes it, so its checksum field holds
the folded pseudo-header sum (source, destination, protocol and length: RFC 9293 3.1, RFC 768)
that the host completes over the segment. Every TCP segment and UDP datagram (not fragmented) must
carry either a correct checksum or exactly that sum (UDP also 0: no checksum); anything else is
printed and the exit status is 1. tshark audits the rest (IPv4 and ICMP checksums, malformed).
"""
import sys

from scapy.all import IP, Ether, PcapReader

PROTOCOLS = {6: ("TCP", 20, 16), 17: ("UDP", 8, 6)}   # name, header length, checksum offset


def fold(total):
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def ones_sum(data):
    if len(data) % 2:
        data += b"\0"
    total = 0
    for i in range(0, len(data), 2):
        total += (data[i] << 8) | data[i + 1]
    return fold(total)


def main():
    pcap, mac = sys.argv[1], sys.argv[2].lower()
    audited = partial = bad = 0
    with PcapReader(pcap) as reader:
        for number, frame in enumerate(reader, 1):
            if not frame.haslayer(Ether) or frame[Ether].src.lower() != mac or not frame.haslayer(IP):
                continue
            ip = frame[IP]
            if ip.proto not in PROTOCOLS or ip.frag != 0 or ip.flags.MF:
                continue
            name, header_len, field_at = PROTOCOLS[ip.proto]
            raw_ip = bytes(ip)
            data = raw_ip[ip.ihl * 4:ip.len]
            if len(data) < header_len:
                continue
            audited += 1
            field = (data[field_at] << 8) | data[field_at + 1]
            if ip.proto == 17 and field == 0:
                continue
            pseudo = ones_sum(raw_ip[12:20] + bytes([0, ip.proto]) + len(data).to_bytes(2, "big"))
            if fold(pseudo + ones_sum(data)) == 0xFFFF:
                continue
            if field == pseudo:
                partial += 1
                continue
            bad += 1
            if bad <= 20:
                print(f"frame {number}: {name} {ip.src} -> {ip.dst}: checksum {field:#06x} is "
                      f"neither correct nor the pseudo-header sum {pseudo:#06x}")
    print(f"{audited} TCP/UDP datagrams audited, {partial} left for the host to complete, {bad} bad")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
