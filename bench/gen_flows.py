#!/usr/bin/env python3
"""Writes a pcap of N distinct UDP flows, one DNS query packet each, 100 000 new flows per
second of packet time: the worst case for a flow table (every packet a new flow).

usage: gen_flows.py OUT.pcap N
"""
import struct, sys
n = int(sys.argv[2])
out = open(sys.argv[1], 'wb')
out.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
eth = bytes(12) + b'\x08\x00'
payload = b'\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00' + b'\x03www\x07example\x03com\x00\x00\x01\x00\x01'
buf = bytearray()
for i in range(n):
    src = 0x0A000000 | (i >> 8)  # 10.x.y.z
    ip = struct.pack('>BBHHHBBHII', 0x45, 0, 20 + 8 + len(payload), 0, 0, 64, 17, 0, src, 0xC0000201)
    udp = struct.pack('>HHHH', 1024 + (i & 0xFF), 53, 8 + len(payload), 0)
    frame = eth + ip + udp + payload
    t = 1700000000 * 1000000 + i * 10  # 100k new flows per second
    buf += struct.pack('<IIII', t // 1000000, t % 1000000, len(frame), len(frame)) + frame
    if len(buf) > 1 << 22:
        out.write(buf); buf.clear()
out.write(buf)
