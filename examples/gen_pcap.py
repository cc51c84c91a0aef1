#!/usr/bin/env python3
"""Generates the sample province's captures: examples/pcap/<sensor-id>.pcap.

Classic pcap files (Ethernet, IPv4, TCP/UDP with correct checksums), written with struct, for
`soc-packet-sensor --read` and `ndpiReader -i`. Every TCP session has a handshake, payloads with
consistent sequence numbers and a FIN close, so the sensor ends each flow at its close and nDPI
sees real protocol payloads. One hour, 2026-11-20 08:00-09:00 UTC, the story of
examples/generate.py:

  * pkt-dc-hatinh (the data center uplink): citizens on the portal over TLS (client hello with
    SNI dichvucong.hatinh.gov.vn), DNS lookups, HTTP requests with Basic credentials and an FTP
    login (USER/PASS): both raise nDPI's "Clear-Text Credentials" risk, a port scan of the portal
    from 203.0.113.45 (SYNs to 141 ports), and 30 short SSH connections from 203.0.113.12 to the
    jump host (banners exchanged, then closed: the shape of password guessing).
  * pkt-xa-thachha (a commune office): DNS, TLS to the province's applications and the
    internet, an office PC 10.30.1.66 resolving DGA-like names then sweeping the LAN on port 445.

Synthetic, from a fixed seed: every run writes the same bytes. Standard library only:

    python3 examples/gen_pcap.py [--out DIR]     # default DIR: examples/pcap
"""

from __future__ import annotations

import argparse
import base64
import random
import struct
from datetime import datetime, timezone
from pathlib import Path

SEED = 20261120
T0 = datetime(2026, 11, 20, 8, 0, 0, tzinfo=timezone.utc).timestamp()
SPAN = 3600.0

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a: str) -> bytes:
    return bytes(int(x) for x in a.split("."))


class Capture:
    """Frames with their times; written sorted by time."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.frames: list[tuple[float, int, bytes]] = []
        self.ip_id = rng.randint(1, 60000)
        self.macs: dict[str, bytes] = {}

    def mac(self, addr: str) -> bytes:
        # Outside addresses sit behind the gateway: one MAC for all of them.
        key = addr if addr.startswith("10.") else "gateway"
        if key not in self.macs:
            self.macs[key] = bytes([0x02, 0x00]) + self.rng.randbytes(4)
        return self.macs[key]

    def frame(self, t: float, src: str, dst: str, proto: int, l4: bytes, ttl: int = 64) -> None:
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), self.ip_id, 0x4000, ttl, proto, 0,
                             ip4(src), ip4(dst))
        header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
        eth = self.mac(dst) + self.mac(src) + b"\x08\x00"
        self.frames.append((t, len(self.frames), eth + header + l4))

    def udp(self, t: float, src: str, sport: int, dst: str, dport: int, payload: bytes) -> None:
        seg = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, len(seg))
        seg = seg[:6] + struct.pack("!H", checksum(pseudo + seg) or 0xFFFF) + seg[8:]
        self.frame(t, src, dst, 17, seg)

    def tcp(self, t: float, src: str, sport: int, dst: str, dport: int, seq: int, ack: int, flags: int,
            payload: bytes = b"", ttl: int = 64) -> None:
        seg = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                          64240, 0, 0) + payload
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 6, len(seg))
        seg = seg[:16] + struct.pack("!H", checksum(pseudo + seg)) + seg[18:]
        self.frame(t, src, dst, 6, seg, ttl)

    def session(self, t: float, client: str, server: str, dport: int, turns: list[tuple[str, bytes]],
                rtt: float = 0.02, sport: int | None = None) -> float:
        """A whole TCP session: handshake, the turns ('c' or 's', payload), FIN close. Returns its end."""
        rng = self.rng
        sport = sport or rng.randint(32768, 60999)
        cseq, sseq = rng.getrandbits(32), rng.getrandbits(32)
        self.tcp(t, client, sport, server, dport, cseq, 0, SYN)
        self.tcp(t + rtt / 2, server, dport, client, sport, sseq, cseq + 1, SYN | ACK)
        t += rtt
        self.tcp(t, client, sport, server, dport, cseq + 1, sseq + 1, ACK)
        cseq, sseq = cseq + 1, sseq + 1
        for who, data in turns:
            t += rng.uniform(0.001, 0.05)
            for i in range(0, len(data), 1400):
                chunk = data[i:i + 1400]
                if who == "c":
                    self.tcp(t, client, sport, server, dport, cseq, sseq, PSH | ACK, chunk)
                    cseq += len(chunk)
                    self.tcp(t + rtt / 2, server, dport, client, sport, sseq, cseq, ACK)
                else:
                    self.tcp(t, server, dport, client, sport, sseq, cseq, PSH | ACK, chunk)
                    sseq += len(chunk)
                    self.tcp(t + rtt / 2, client, sport, server, dport, cseq, sseq, ACK)
                t += 0.0005
            t += rtt / 2
        t += rng.uniform(0.01, 0.2)
        self.tcp(t, client, sport, server, dport, cseq, sseq, FIN | ACK)
        self.tcp(t + rtt / 2, server, dport, client, sport, sseq, cseq + 1, FIN | ACK)
        self.tcp(t + rtt, client, sport, server, dport, cseq + 1, sseq + 1, ACK)
        return t + rtt

    def write(self, path: Path) -> int:
        self.frames.sort(key=lambda f: (f[0], f[1]))
        out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
        for t, _, data in self.frames:
            us = round((T0 + t) * 1_000_000)
            out.append(struct.pack("<IIII", us // 1_000_000, us % 1_000_000, len(data), len(data)) + data)
        blob = b"".join(out)
        path.write_bytes(blob)
        return len(blob)


# --- application payloads -----------------------------------------------------------------------


def dns_name(name: str) -> bytes:
    return b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"


def dns_query(qid: int, name: str) -> bytes:
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", 1, 1)


def dns_answer(qid: int, name: str, addr: str | None) -> bytes:
    if addr is None:  # NXDOMAIN
        return struct.pack("!HHHHHH", qid, 0x8183, 1, 0, 0, 0) + dns_name(name) + struct.pack("!HH", 1, 1)
    return (struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + dns_name(name) + struct.pack("!HH", 1, 1)
            + struct.pack("!HHHIH", 0xC00C, 1, 1, 300, 4) + ip4(addr))


def tls_ext(kind: int, body: bytes) -> bytes:
    return struct.pack("!HH", kind, len(body)) + body


def client_hello(rng: random.Random, sni: str) -> bytes:
    name = sni.encode()
    exts = b"".join([
        tls_ext(0, struct.pack("!HBH", len(name) + 3, 0, len(name)) + name),      # server_name
        tls_ext(23, b""),                                                      # extended_master_secret
        tls_ext(65281, b"\0"),                                                 # renegotiation_info
        tls_ext(10, struct.pack("!HHHH", 6, 0x001D, 0x0017, 0x0018)),           # supported_groups
        tls_ext(11, b"\x01\x00"),                                              # ec_point_formats
        tls_ext(16, b"\x00\x0c\x02h2\x08http/1.1"),                             # ALPN
        tls_ext(13, struct.pack("!H", 8) + struct.pack("!HHHH", 0x0403, 0x0804, 0x0401, 0x0503)),
        tls_ext(43, b"\x04\x03\x04\x03\x03"),                                   # supported_versions
        tls_ext(51, struct.pack("!HHH", 36, 0x001D, 32) + rng.randbytes(32)),   # key_share
    ])
    ciphers = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D]
    body = (b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32)
            + struct.pack("!H", 2 * len(ciphers)) + b"".join(struct.pack("!H", c) for c in ciphers)
            + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def server_hello(rng: random.Random) -> bytes:
    exts = tls_ext(43, b"\x03\x04") + tls_ext(51, struct.pack("!HH", 0x001D, 32) + rng.randbytes(32))
    body = b"\x03\x03" + rng.randbytes(32) + b"\x20" + rng.randbytes(32) + b"\x13\x01\x00" + struct.pack("!H", len(exts)) + exts
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    record = b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs
    ccs = b"\x14\x03\x03\x00\x01\x01"
    app = rng.randbytes(rng.randint(400, 1200))
    return record + ccs + b"\x17\x03\x03" + struct.pack("!H", len(app)) + app


def app_data(rng: random.Random, low: int, high: int) -> bytes:
    data = rng.randbytes(rng.randint(low, high))
    return b"\x17\x03\x03" + struct.pack("!H", len(data)) + data


def tls_session(cap: Capture, t: float, client: str, server: str, sni: str) -> None:
    rng = cap.rng
    turns = [("c", client_hello(rng, sni)), ("s", server_hello(rng)),
             ("c", b"\x14\x03\x03\x00\x01\x01" + app_data(rng, 60, 90))]
    for _ in range(rng.randint(1, 2)):
        turns += [("c", app_data(rng, 200, 600)), ("s", app_data(rng, 500, 2000))]
    cap.session(t, client, server, 443, turns, rtt=rng.uniform(0.01, 0.06))


def dns_lookup(cap: Capture, t: float, client: str, resolver: str, name: str, addr: str | None) -> None:
    rng = cap.rng
    qid, sport = rng.getrandbits(16), rng.randint(32768, 60999)
    cap.udp(t, client, sport, resolver, 53, dns_query(qid, name))
    cap.udp(t + rng.uniform(0.001, 0.03), resolver, 53, client, sport, dns_answer(qid, name, addr))


def syn_probe(cap: Capture, t: float, src: str, sport: int, dst: str, dport: int, open_: bool) -> None:
    rng = cap.rng
    seq = rng.getrandbits(32)
    cap.tcp(t, src, sport, dst, dport, seq, 0, SYN, ttl=rng.randint(40, 60))
    if open_:
        sseq = rng.getrandbits(32)
        cap.tcp(t + 0.0004, dst, dport, src, sport, sseq, seq + 1, SYN | ACK)
        cap.tcp(t + 0.0008, src, sport, dst, dport, seq + 1, 0, RST, ttl=rng.randint(40, 60))
    else:
        cap.tcp(t + 0.0004, dst, dport, src, sport, 0, seq + 1, RST | ACK)


# --- the sites ----------------------------------------------------------------------------------

PORTAL, JUMP, DC_DNS, FTP_SRV, INTRANET = "10.10.1.10", "10.10.1.5", "10.10.1.53", "10.10.1.21", "10.10.1.30"
PORTAL_SNI = "dichvucong.hatinh.gov.vn"
CITIZENS = [f"198.51.100.{i}" for i in range(10, 90)]
DC_STAFF = [f"10.10.9.{i}" for i in range(21, 40)]
NAMES = [("www.google.com", "192.0.2.10"), ("update.microsoft.com", "192.0.2.20"), ("zalo.me", "192.0.2.30"),
         ("dichvucong.gov.vn", "192.0.2.40"), ("mail.hatinh.gov.vn", "10.10.1.25"),
         ("motcua.hatinh.gov.vn", "10.10.1.20"), ("deb.debian.org", "192.0.2.50"), ("www.facebook.com", "192.0.2.60")]
INTERNET_TLS = [("192.0.2.10", "www.google.com"), ("192.0.2.30", "chat.zalo.me"),
                ("192.0.2.60", "www.facebook.com"), ("192.0.2.40", "dichvucong.gov.vn")]
SCANNED_PORTS = sorted(set([21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995, 1433, 1521, 2049,
                            3306, 3389, 5432, 5900, 6379, 8080, 8443, 9200, 27017] + list(range(1, 1025, 9))))


def pkt_dc_hatinh(rng: random.Random) -> Capture:
    cap = Capture(rng)
    for _ in range(40):
        tls_session(cap, rng.uniform(0, SPAN), rng.choice(CITIZENS), PORTAL, PORTAL_SNI)
    for _ in range(15):
        server, sni = rng.choice(INTERNET_TLS)
        tls_session(cap, rng.uniform(0, SPAN), rng.choice(DC_STAFF), server, sni)
    for _ in range(60):
        name, addr = rng.choice(NAMES)
        dns_lookup(cap, rng.uniform(0, SPAN), rng.choice(DC_STAFF), DC_DNS, name, addr)
    # 08:12 a staff PC opens the intranet's admin page with Basic credentials, in clear.
    auth = base64.b64encode(b"quantri:HaTinh@2026").decode()
    for i, path in enumerate(["/quan-tri/", "/quan-tri/bao-cao?thang=11"]):
        request = (f"GET {path} HTTP/1.1\r\nHost: intranet.hatinh.gov.vn\r\nUser-Agent: Mozilla/5.0 (Windows NT "
                   f"10.0; Win64; x64) Chrome/131.0\r\nAuthorization: Basic {auth}\r\nAccept: */*\r\n\r\n").encode()
        body = b"<html><body>Bao cao</body></html>"
        response = (b"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: "
                    + str(len(body)).encode() + b"\r\n\r\n" + body)
        cap.session(12 * 60 + i * 4.2, "10.10.9.31", INTRANET, 80, [("c", request), ("s", response)])
    # 08:16 the scanner of the archive uploads over FTP, password in clear.
    cap.session(16 * 60, "10.10.9.35", FTP_SRV, 21, [
        ("s", b"220 (vsFTPd 3.0.3)\r\n"), ("c", b"USER scan01\r\n"), ("s", b"331 Please specify the password.\r\n"),
        ("c", b"PASS Scan#2024\r\n"), ("s", b"230 Login successful.\r\n"), ("c", b"SYST\r\n"),
        ("s", b"215 UNIX Type: L8\r\n"), ("c", b"QUIT\r\n"), ("s", b"221 Goodbye.\r\n")])
    # 08:09:40 password guessing against the jump host: many short SSH connections.
    t = 9 * 60 + 40
    for _ in range(30):
        kex = rng.randbytes(rng.randint(300, 500))
        cap.session(t, "203.0.113.12", JUMP, 22, [
            ("s", b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), ("c", b"SSH-2.0-libssh_0.9.6\r\n"),
            ("c", struct.pack("!IB", len(kex) + 1, 4) + kex), ("s", rng.randbytes(rng.randint(400, 600))),
            ("c", rng.randbytes(rng.randint(300, 400))), ("s", rng.randbytes(rng.randint(300, 500)))],
            rtt=0.04)
        t += rng.uniform(1.0, 2.0)
    # 08:21:10 port scan of the portal: one SYN per port; 80 and 443 answer.
    for i, port in enumerate(SCANNED_PORTS):
        syn_probe(cap, 21 * 60 + 10 + i * 40 / len(SCANNED_PORTS), "203.0.113.45", rng.choice([40123, 40124]),
                  PORTAL, port, port in (80, 443))
    return cap


THACHHA_PCS = [f"10.30.1.{i}" for i in range(20, 40)]
THACHHA_GW, INFECTED = "10.30.0.1", "10.30.1.66"


def pkt_xa_thachha(rng: random.Random) -> Capture:
    cap = Capture(rng)
    for _ in range(70):
        name, addr = rng.choice(NAMES)
        dns_lookup(cap, rng.uniform(0, SPAN), rng.choice(THACHHA_PCS), THACHHA_GW, name, addr)
    for _ in range(20):
        server, sni = rng.choice(INTERNET_TLS + [("10.10.1.20", "motcua.hatinh.gov.vn")] * 2)
        tls_session(cap, rng.uniform(0, SPAN), rng.choice(THACHHA_PCS), server, sni)
    # 08:29:45 the infected PC resolves generated names (no answers), then sweeps the LAN on 445.
    t = 29 * 60 + 45
    for _ in range(24):
        label = "".join(rng.choice("bcdfghjklmnpqrstvwxz0123456789") for _ in range(rng.randint(14, 20)))
        dns_lookup(cap, t, INFECTED, THACHHA_GW, f"{label}.{rng.choice(['com', 'net', 'info', 'top'])}", None)
        t += rng.uniform(1.0, 3.0)
    t += 10
    for host in range(2, 82):
        dst = f"10.30.1.{host}"
        syn_probe(cap, t, INFECTED, rng.randint(49152, 65535), dst, 445, dst in THACHHA_PCS[:4])
        t += rng.uniform(0.5, 2.0)
    return cap


SENSORS = {"pkt-dc-hatinh": pkt_dc_hatinh, "pkt-xa-thachha": pkt_xa_thachha}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "pcap")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    total = 0
    for index, (sensor, make) in enumerate(SENSORS.items()):
        cap = make(random.Random(SEED * 100 + index))
        size = cap.write(args.out / f"{sensor}.pcap")
        total += size
        print(f"{sensor}.pcap: {len(cap.frames)} frames, {size} bytes")
    print(f"total: {total} bytes")


if __name__ == "__main__":
    main()
