#!/usr/bin/env python3
"""Generates the sample province's events: examples/events/<sensor>.jsonl.

The events are what the project's sensors would send during one hour (2026-11-20 08:00-09:00
UTC) in a sample province: a provincial data center (site dc-hatinh) and two commune offices
(xa-camxuyen, xa-thachha). They are synthetic, made here from a fixed seed, so every run writes
the same bytes. `socctl demo` replays them, and they hold attacks for the rules to find:

  * dc-hatinh: a port scan of the portal server from 203.0.113.45 (flows in pkt-dc-hatinh, the
    portal host's iptables denies in log-dc-hatinh), then a web scan from the same address
    (nginx 404s); SSH password-guessing bursts against the jump host, all failing.
  * xa-camxuyen: an SSH brute force from 203.0.113.77 (dozens of failed passwords for "admin"
    within a minute) that ends with an accepted password and a sudo to root.
  * xa-thachha: one office PC resolving DGA-like names and sweeping the LAN on port 445.

Addresses: 10.10.0.0/16 the data center, 10.20.0.0/16 Cam Xuyen, 10.30.0.0/16 and
2001:db8:30::/48 Thach Ha, 192.0.2.0/24 internet services, 198.51.100.0/24 citizens,
203.0.113.0/24 attackers: private and documentation ranges only (RFC 1918, 5737, 3849).

Events are flat ECS objects (dotted keys), one per line, with the field names and value types of
docs/fields.md (core/fields.cpp). Standard library only; run from anywhere:

    python3 examples/generate.py
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

SEED = 20261120
START = datetime(2026, 11, 20, 8, 0, 0, tzinfo=timezone.utc)
S = 1_000_000  # microseconds per second
SPAN_US = 3600 * S  # one hour of events
EVENTS_PER_SENSOR = 850  # ~570 bytes each: the four files stay under 2 MB
OUT_DIR = Path(__file__).resolve().parent / "events"
LOCAL_TZ = timezone(timedelta(hours=7))  # Vietnam: nginx writes local time in its lines

Event = tuple[int, dict]  # (microseconds after START, the event)


def at(minute: int, second: float = 0.0) -> int:
    """Microseconds after START."""
    return int((minute * 60 + second) * S)


def rfc3339(t_us: int) -> str:
    """'2026-11-20T08:00:00.000000Z': UTC, six fractional digits."""
    return (START + timedelta(microseconds=t_us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# --- the sample province ------------------------------------------------------------------------

PORTAL = "10.10.1.10"  # web01: the province's public service portal (reached through NAT)
PORTAL_SNI = "dichvucong.hatinh.gov.vn"
JUMP = "10.10.1.22"  # jump01: the SSH bastion, exposed to the internet on port 22
ONE_STOP = "10.10.1.30"  # app01: the one-stop-shop application the communes use over VPN
ONE_STOP_SNI = "motcua.hatinh.gov.vn"
DB = "10.10.1.40"  # db01
DC_DNS = "10.10.1.53"  # ns01
DC_HOSTS = {PORTAL: "web01", JUMP: "jump01", ONE_STOP: "app01", DB: "db01", DC_DNS: "ns01"}
DC_ADMINS = {"hung.nv": "10.10.20.11", "lan.tt": "10.10.20.15", "quang.pd": "10.10.20.23"}
DC_STAFF = [f"10.10.30.{i}" for i in range(10, 60)]

CAMXUYEN_SRV = "10.20.1.10"  # camxuyen-srv01: file server, SSH forwarded from the router
CAMXUYEN_WAN = "10.20.0.2"  # the router's outside address as the firewall logs it
CAMXUYEN_ADMINS = {"tuan.lv": "10.20.1.21", "hung.nv": "10.10.20.11"}  # local admin, province IT

THACHHA_GW = "10.30.1.1"  # router and DNS forwarder
THACHHA_NAS = "10.30.1.5"
THACHHA_PCS = [f"10.30.1.{i}" for i in range(20, 46)]
THACHHA_V6_GW = "2001:db8:30::1"
THACHHA_OLD_PC = "10.30.1.33"  # still on an old OS: obsolete TLS

UPSTREAM_DNS = "192.0.2.53"
NTP_SERVER = "192.0.2.123"
DEBIAN_MIRROR = "192.0.2.80"
WINDOWS_UPDATE = "192.0.2.90"
CITIZENS = [f"198.51.100.{i}" for i in range(1, 200)]

SCANNER = "203.0.113.45"  # port scan, then web scan, of the portal
SCAN_START = at(21, 10)
BRUTE_FORCER = "203.0.113.77"  # the brute force that succeeds at xa-camxuyen
BRUTE_START = at(37, 12)
BRUTE_FAILURES = 46
# (attacker, start, attempts, user names tried): password guessing that never succeeds
DC_SSH_GUESSERS = [
    ("203.0.113.12", at(9, 40), 26, ["root", "admin"]),
    ("203.0.113.99", at(44, 5), 18, ["oracle", "test", "ubuntu", "postgres", "git"]),
    ("203.0.113.201", at(52, 30), 12, ["root"]),
]
CAMXUYEN_SSH_GUESSERS = [
    ("203.0.113.140", at(5, 20), 22, ["root", "admin", "user"]),
    ("203.0.113.9", at(48, 0), 15, ["pi", "ubnt", "support"]),
]
NOISE_SOURCES = [f"203.0.113.{i}" for i in range(150, 200)]  # internet background scanning
INFECTED_PC = "10.30.1.66"  # xa-thachha: DGA lookups and an SMB sweep
INFECTED_START = at(29, 45)

# nDPI 4.2 protocol name -> (master protocol in lower case, nDPI category)
NDPI = {
    "DNS": ("dns", "Network"),
    "HTTP": ("http", "Web"),
    "HTTP.WindowsUpdate": ("http", "SoftwareUpdate"),
    "SSH": ("ssh", "RemoteAccess"),
    "NTP": ("ntp", "System"),
    "SMBv23": ("smbv23", "System"),
    "TLS": ("tls", "Web"),
    "TLS.Google": ("tls", "Web"),
    "TLS.YouTube": ("tls", "Media"),
    "TLS.Facebook": ("tls", "SocialNetwork"),
    "TLS.Microsoft365": ("tls", "Collaborative"),
    "Unknown": ("unknown", "Unspecified"),
}

# nDPI 4.2 risk names, exactly as `ndpiReader -a 2` lists them
RISK_OBSOLETE_TLS = "Obsolete TLS Version (1.1 or older)"
RISK_NON_STD_PORT = "Known Protocol on Non Standard Port"
RISK_DGA = "Suspicious DGA Domain name"

INTERNET_TLS = {  # ndpi.protocol -> (server addresses, server names)
    "TLS.Google": (["192.0.2.10", "192.0.2.11", "192.0.2.12"],
                   ["www.google.com", "fonts.googleapis.com", "mail.google.com",
                    "www.gstatic.com"]),
    "TLS.YouTube": (["192.0.2.30", "192.0.2.31"], ["www.youtube.com", "i.ytimg.com"]),
    "TLS.Facebook": (["192.0.2.35", "192.0.2.36"], ["www.facebook.com", "static.xx.fbcdn.net"]),
    "TLS.Microsoft365": (["192.0.2.20", "192.0.2.21"],
                         ["outlook.office365.com", "login.microsoftonline.com"]),
}
LOOKUP_NAMES = [
    PORTAL_SNI, ONE_STOP_SNI, "mail.hatinh.gov.vn", "www.google.com", "www.youtube.com",
    "www.facebook.com", "outlook.office365.com", "deb.debian.org", "vnexpress.net", "zalo.me",
    "ctldl.windowsupdate.com", "time.windows.com", "fonts.googleapis.com",
]


# --- event builders -----------------------------------------------------------------------------


class Gen:
    """Builds the events of one sensor, with its own random stream."""

    def __init__(self, sensor: str, site: str) -> None:
        self.sensor = sensor
        self.site = site
        # One stream per sensor: changing one sensor's story leaves the other files' bytes alone.
        self.rng = random.Random(SEED ^ zlib.crc32(sensor.encode()))
        self.events: list[Event] = []

    def emit(self, t_us: int, dataset: str, category: list[str], fields: dict) -> None:
        assert 0 <= t_us < SPAN_US, (self.sensor, t_us)
        ev = {
            "@timestamp": rfc3339(t_us),
            "event.kind": "event",
            "event.dataset": dataset,
            "event.category": category,
        }
        for k in ("event.type", "event.action", "event.outcome"):
            if k in fields:
                ev[k] = fields.pop(k)
        ev["observer.name"] = self.sensor
        ev["site.id"] = self.site
        ev.update(fields)
        self.events.append((t_us, ev))

    def times(self, n: int, lo: int = 0, hi: int = SPAN_US) -> list[int]:
        return sorted(self.rng.randrange(lo, hi) for _ in range(n))

    def port(self, windows: bool = False) -> int:
        return self.rng.randint(49152, 65535) if windows else self.rng.randint(32768, 60999)

    # flows ------------------------------------------------------------------------------------

    def flow(self, end_us: int, proto: str, src: str, dst: str, dport: int, transport: str,
             src_bytes: tuple[int, int], dst_bytes: tuple[int, int], *, seconds: float = 1.0,
             sport: int | None = None, risk: list[str] | None = None,
             app: dict | None = None) -> None:
        """A flow as the packet sensor exports it when it ends: @timestamp is event.end."""
        rng = self.rng
        master, category = NDPI[proto]
        start_us = max(0, end_us - int(rng.uniform(0.3, 1.7) * seconds * S))
        sb = rng.randint(*src_bytes)
        db = rng.randint(*dst_bytes)
        overhead = 3 if transport == "tcp" else 0  # handshake and teardown
        sp = max(1, -(-sb // 1200) + overhead)
        dp = 0 if db == 0 else max(1, -(-db // 1400) + overhead)
        fields = {
            "source.ip": src,
            "source.port": sport if sport is not None else self.port(),
            "destination.ip": dst,
            "destination.port": dport,
            "network.transport": transport,
            "network.protocol": master,
            "ndpi.protocol": proto,
            "ndpi.category": category,
            "ndpi.risk": risk or [],
            "source.bytes": sb,
            "source.packets": sp,
            "destination.bytes": db,
            "destination.packets": dp,
            "event.start": rfc3339(start_us),
            "event.end": rfc3339(end_us),
        }
        fields.update(app or {})
        self.emit(end_us, "flow", ["network"], fields)

    def dns_flow(self, t: int, src: str, resolver: str, name: str, risk: list[str] | None = None):
        self.flow(t, "DNS", src, resolver, 53, "udp", (60, 90), (0, 0) if risk else (90, 260),
                  seconds=0.05, risk=risk, app={"dns.question.name": name})

    def tls_flow(self, t: int, proto: str, src: str, dst: str, sni: str,
                 up: tuple[int, int], down: tuple[int, int], *, seconds: float = 8.0,
                 windows: bool = True, risk: list[str] | None = None) -> None:
        self.flow(t, proto, src, dst, 443, "tcp", up, down, seconds=seconds,
                  sport=self.port(windows), risk=risk, app={"tls.client.server_name": sni})

    # logs -------------------------------------------------------------------------------------

    def sshd(self, t: int, host: str, ok: bool, method: str, user: str, src: str,
             invalid: bool = False) -> None:
        port = self.port()
        if ok:
            msg = f"Accepted {method} for {user} from {src} port {port} ssh2"
            if method == "publickey":
                msg += ": ED25519 " + key_fingerprint(user)
        else:
            who = f"invalid user {user}" if invalid else user
            msg = f"Failed {method} for {who} from {src} port {port} ssh2"
        self.emit(t, "sshd", ["authentication"], {
            "event.action": "ssh_login", "event.outcome": "success" if ok else "failure",
            "source.ip": src, "source.port": port, "user.name": user, "host.hostname": host,
            "process.name": "sshd", "process.pid": self.rng.randint(1200, 64000), "message": msg})

    def sudo(self, t: int, host: str, user: str, command: str, ok: bool = True) -> None:
        what = "" if ok else "3 incorrect password attempts ; "
        tty = f"pts/{self.rng.randint(0, 3)}"
        msg = f"{user} : {what}TTY={tty} ; PWD=/home/{user} ; USER=root ; COMMAND={command}"
        self.emit(t, "sudo", ["process"], {
            "event.action": "sudo", "event.outcome": "success" if ok else "failure",
            "user.name": user, "user.target.name": "root", "process.command_line": command,
            "host.hostname": host, "process.name": "sudo", "message": msg})

    def iptables_deny(self, t: int, host: str, chain: str, src: str, dst: str, dport: int,
                      transport: str = "tcp") -> None:
        sport = self.port()
        length = 44 if transport == "tcp" else 60
        ttl = self.rng.randint(40, 60)
        msg = (f"{chain}-DROP: IN=eth0 OUT= SRC={src} DST={dst} LEN={length} TTL={ttl} "
               f"PROTO={transport.upper()} SPT={sport} DPT={dport}")
        if transport == "tcp":
            msg += " SYN"
        self.emit(t, "iptables", ["network"], {
            "event.type": ["connection", "denied"], "event.action": "deny",
            "event.outcome": "failure",
            "source.ip": src, "source.port": sport,
            "destination.ip": dst, "destination.port": dport,
            "network.transport": transport, "host.hostname": host, "process.name": "kernel",
            "message": msg})

    def nginx(self, t: int, host: str, src: str, method: str, path: str, status: int,
              size: int, agent: str) -> None:
        local = (START + timedelta(microseconds=t)).astimezone(LOCAL_TZ)
        stamp = local.strftime("%d/%b/%Y:%H:%M:%S %z")
        msg = f'{src} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {size} "-" "{agent}"'
        self.emit(t, "nginx.access", ["web"], {
            "event.action": "access", "event.outcome": "success" if status < 400 else "failure",
            "source.ip": src, "http.request.method": method, "url.path": path,
            "http.response.status_code": status, "host.hostname": host, "process.name": "nginx",
            "message": msg})

    def fill(self, n_total: int, background: Callable[[int], None]) -> None:
        """Adds background events at random times until the sensor has n_total."""
        for t in self.times(max(0, n_total - len(self.events))):
            background(t)

    def lines(self) -> list[str]:
        self.events.sort(key=lambda e: e[0])  # stable: equal times keep their order
        return [json.dumps(ev, ensure_ascii=False, separators=(",", ":")) for _, ev in self.events]


def key_fingerprint(user: str) -> str:
    digest = hashlib.sha256(("sample-key:" + user).encode()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def spread(start: int, n: int, seconds: float, rng: random.Random) -> list[int]:
    """n increasing times within `seconds` after start, with jitter."""
    step = seconds * S / n
    return [start + int(i * step + rng.uniform(0, step * 0.8)) for i in range(n)]


# --- the sensors --------------------------------------------------------------------------------

SCANNED_PORTS = sorted(set([21, 22, 23, 25, 53, 80, 110, 111, 135, 139, 143, 443, 445, 993, 995,
                            1433, 1521, 2049, 3306, 3389, 5432, 5900, 6379, 8080, 8443, 9200,
                            27017] + list(range(1, 1025, 9))))
PORTAL_OPEN_PORTS = {80, 443}
WEB_SCAN_PATHS = ["/.env", "/.git/config", "/wp-login.php", "/phpmyadmin/", "/admin/",
                  "/config.php.bak", "/server-status",
                  "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
                  "/cgi-bin/luci", "/boaform/admin/formLogin", "/actuator/env", "/api/v1/users",
                  "/backup.zip", "/.aws/credentials", "/owa/auth/logon.aspx",
                  "/solr/admin/info/system",
                  "/console/", "/login.action", "/HNAP1/", "/xmlrpc.php"]
BROWSERS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0",
            "Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Firefox/133.0"]
PORTAL_PAGES = [("GET", "/", 200), ("GET", "/dvc/thu-tuc-hanh-chinh", 200),
                ("GET", "/dvc/tra-cuu-ho-so", 200), ("POST", "/dvc/tra-cuu-ho-so", 200),
                ("GET", "/dvc/nop-ho-so", 302), ("POST", "/dvc/nop-ho-so", 200),
                ("GET", "/static/app.js", 304), ("GET", "/static/site.css", 304),
                ("GET", "/dvc/thong-bao", 200), ("GET", "/favicon.ico", 404)]


def pkt_dc_hatinh() -> Gen:
    g = Gen("pkt-dc-hatinh", "dc-hatinh")
    rng = g.rng
    # Port scan of the portal: one SYN per port over ~40 s; the host drops what it does not serve.
    for t, dport in zip(spread(SCAN_START, len(SCANNED_PORTS), 40, rng), SCANNED_PORTS):
        reply = (54, 66) if dport in PORTAL_OPEN_PORTS else (0, 0)
        g.flow(t, "Unknown", SCANNER, PORTAL, dport, "tcp", (58, 60), reply, seconds=0.001,
               sport=rng.choice([40123, 40124]))
    # The SSH guessing bursts against the jump host, seen as flows (a few attempts per connection).
    for src, start, attempts, _ in DC_SSH_GUESSERS:
        conns = -(-attempts // 3)
        for t in spread(start + 3 * S, conns, attempts * 1.8, rng):
            g.flow(t, "SSH", src, JUMP, 22, "tcp", (2200, 3600), (2600, 3900), seconds=5)
    # Web scan of the portal after the port scan (plain HTTP, so nDPI sees it as HTTP).
    for t in spread(SCAN_START + at(2), len(WEB_SCAN_PATHS), 90, rng):
        g.flow(t, "HTTP", SCANNER, PORTAL, 80, "tcp", (180, 320), (300, 700), seconds=0.2)

    def background(t: int) -> None:
        r = rng.random()
        if r < 0.36:  # citizens on the portal
            risk = [RISK_OBSOLETE_TLS] if rng.random() < 0.03 else None
            g.tls_flow(t, "TLS", rng.choice(CITIZENS), PORTAL, PORTAL_SNI, (1500, 9000),
                       (8000, 240000), seconds=20, risk=risk)
        elif r < 0.40:
            g.flow(t, "HTTP", rng.choice(CITIZENS), PORTAL, 80, "tcp", (300, 600), (350, 500),
                   seconds=0.3, sport=g.port(True))
        elif r < 0.58:  # staff and servers resolve through the DC resolver
            g.dns_flow(t, rng.choice(DC_STAFF + list(DC_HOSTS)), DC_DNS, rng.choice(LOOKUP_NAMES))
        elif r < 0.64:  # the resolver asks upstream
            g.dns_flow(t, DC_DNS, UPSTREAM_DNS, rng.choice(LOOKUP_NAMES))
        elif r < 0.76:  # staff on the internet
            proto = rng.choice(list(INTERNET_TLS))
            servers, names = INTERNET_TLS[proto]
            g.tls_flow(t, proto, rng.choice(DC_STAFF), rng.choice(servers), rng.choice(names),
                       (900, 6000), (4000, 400000), seconds=15)
        elif r < 0.84:  # communes use the one-stop-shop application over the VPN
            src = rng.choice(THACHHA_PCS + [f"10.20.1.{i}" for i in range(20, 40)])
            g.tls_flow(t, "TLS", src, ONE_STOP, ONE_STOP_SNI, (2000, 20000), (5000, 150000),
                       seconds=30)
        elif r < 0.87:  # app server -> database
            g.flow(t, "Unknown", ONE_STOP, DB, 5432, "tcp", (400, 8000), (600, 60000), seconds=2)
        elif r < 0.92:  # administrators on the servers
            user = rng.choice(list(DC_ADMINS))
            dst = rng.choice(list(DC_HOSTS))
            risk = [RISK_NON_STD_PORT] if dst == DB and rng.random() < 0.3 else None
            g.flow(t, "SSH", DC_ADMINS[user], dst, 2222 if risk else 22, "tcp", (3000, 90000),
                   (3000, 200000), seconds=300, risk=risk)
        elif r < 0.95:
            g.flow(t, "NTP", rng.choice(list(DC_HOSTS)), NTP_SERVER, 123, "udp", (90, 90),
                   (90, 90), seconds=0.05, sport=123)
        else:  # package updates
            g.flow(t, "HTTP", rng.choice(list(DC_HOSTS)), DEBIAN_MIRROR, 80, "tcp", (300, 900),
                   (2000, 900000), seconds=4)

    g.fill(EVENTS_PER_SENSOR, background)
    return g


def log_dc_hatinh() -> Gen:
    g = Gen("log-dc-hatinh", "dc-hatinh")
    rng = g.rng
    web = DC_HOSTS[PORTAL]
    # The portal host's firewall logs the scan's SYNs to ports it does not serve.
    for t, dport in zip(spread(SCAN_START, len(SCANNED_PORTS), 40, rng), SCANNED_PORTS):
        if dport not in PORTAL_OPEN_PORTS:
            g.iptables_deny(t + 200, web, "INPUT", SCANNER, PORTAL, dport)
    # ...and nginx the web scan that follows.
    for t, path in zip(spread(SCAN_START + at(2), len(WEB_SCAN_PATHS), 90, rng), WEB_SCAN_PATHS):
        g.nginx(t, web, SCANNER, "GET", path, 404, 153, "Mozilla/5.0 zgrab/0.x")
    # Password guessing against the jump host: bursts of failures, none succeeds.
    for src, start, attempts, users in DC_SSH_GUESSERS:
        for t in spread(start, attempts, attempts * 1.8, rng):
            user = rng.choice(users)
            g.sshd(t, "jump01", False, "password", user, src, invalid=user != "root")

    def background(t: int) -> None:
        r = rng.random()
        if r < 0.80:  # citizens on the portal
            method, path, status = rng.choice(PORTAL_PAGES)
            size = 0 if status == 304 else rng.randint(400, 48000)
            g.nginx(t, web, rng.choice(CITIZENS), method, path, status, size, rng.choice(BROWSERS))
        elif r < 0.86:  # administrators log in to the jump host with keys
            user = rng.choice(list(DC_ADMINS))
            g.sshd(t, "jump01", True, "publickey", user, DC_ADMINS[user])
        elif r < 0.91:
            user = rng.choice(list(DC_ADMINS))
            host, command = rng.choice([
                ("web01", "/usr/bin/systemctl reload nginx"),
                ("web01", "/usr/bin/tail -n 200 /var/log/nginx/error.log"),
                ("db01", "/usr/bin/pg_dump -Fc dvc"),
                ("app01", "/usr/bin/systemctl restart motcua"),
                ("jump01", "/usr/bin/apt-get upgrade -y"), ("ns01", "/usr/sbin/rndc reload")])
            g.sudo(t, host, user, command, ok=rng.random() > 0.02)
        else:  # background internet scanning dropped at the portal
            dport = rng.choice([23, 445, 3389, 8080, 5555, 6379, 2323, 1433])
            g.iptables_deny(t, web, "INPUT", rng.choice(NOISE_SOURCES), PORTAL, dport)

    g.fill(EVENTS_PER_SENSOR, background)
    return g


def log_xa_camxuyen() -> Gen:
    g = Gen("log-xa-camxuyen", "xa-camxuyen")
    rng = g.rng
    srv = "camxuyen-srv01"
    # The brute force: dozens of failures for admin (and a few for root) within a minute, then
    # the password is found, and the intruder becomes root.
    for i, t in enumerate(spread(BRUTE_START, BRUTE_FAILURES, 55, rng)):
        user = "root" if i % 9 == 4 else "admin"
        g.sshd(t, srv, False, "password", user, BRUTE_FORCER)
    success = BRUTE_START + at(0, 58.4)
    g.sshd(success, srv, True, "password", "admin", BRUTE_FORCER)
    g.sudo(success + at(0, 41.7), srv, "admin", "/bin/bash")
    g.sudo(success + at(1, 55.2), srv, "admin", "/usr/sbin/useradd -m -s /bin/bash backup2")
    # Other guessing bursts that fail.
    for src, start, attempts, users in CAMXUYEN_SSH_GUESSERS:
        for t in spread(start, attempts, attempts * 2.1, rng):
            user = rng.choice(users)
            g.sshd(t, srv, False, "password", user, src, invalid=user not in ("root", "admin"))

    def background(t: int) -> None:
        r = rng.random()
        if r < 0.90:  # the commune router drops internet background scanning
            dport, transport = rng.choice([(23, "tcp"), (445, "tcp"), (3389, "tcp"),
                                           (8080, "tcp"), (7547, "tcp"), (5060, "udp"),
                                           (1900, "udp"), (123, "udp")])
            g.iptables_deny(t, "camxuyen-fw", "FORWARD" if rng.random() < 0.2 else "INPUT",
                            rng.choice(NOISE_SOURCES), CAMXUYEN_WAN, dport, transport)
        elif r < 0.96:  # the local admin and the province's IT log in with keys
            user = rng.choice(list(CAMXUYEN_ADMINS))
            g.sshd(t, srv, True, "publickey", user, CAMXUYEN_ADMINS[user])
        else:
            user = rng.choice(list(CAMXUYEN_ADMINS))
            command = rng.choice(["/usr/bin/systemctl restart smbd", "/usr/bin/df -h",
                                  "/usr/bin/apt-get update", "/usr/bin/journalctl -u smbd"])
            g.sudo(t, srv, user, command)

    g.fill(EVENTS_PER_SENSOR, background)
    return g


def pkt_xa_thachha() -> Gen:
    g = Gen("pkt-xa-thachha", "xa-thachha")
    rng = g.rng
    # The infected PC: lookups of generated names (no answers), then an SMB sweep of the LAN.
    for t in spread(INFECTED_START, 24, 50, rng):
        length = rng.randint(14, 20)
        label = "".join(rng.choice("bcdfghjklmnpqrstvwxz0123456789") for _ in range(length))
        tld = rng.choice(["com", "net", "info", "top"])
        g.dns_flow(t, INFECTED_PC, THACHHA_GW, f"{label}.{tld}", risk=[RISK_DGA])
    for t, host in zip(spread(INFECTED_START + at(1, 10), 80, 120, rng), range(2, 82)):
        dst = f"10.30.1.{host}"
        open_ = dst == THACHHA_NAS or dst in THACHHA_PCS[:4]
        g.flow(t, "Unknown", INFECTED_PC, dst, 445, "tcp", (60, 66), (58, 66) if open_ else (0, 0),
               seconds=0.002, sport=g.port(True))

    def background(t: int) -> None:
        r = rng.random()
        pc = rng.choice(THACHHA_PCS)
        if r < 0.34:
            if rng.random() < 0.05:
                g.dns_flow(t, f"2001:db8:30::{rng.randint(0x20, 0x45):x}", THACHHA_V6_GW,
                           rng.choice(LOOKUP_NAMES))
            else:
                g.dns_flow(t, pc, THACHHA_GW, rng.choice(LOOKUP_NAMES))
        elif r < 0.66:  # the internet
            proto = rng.choice(list(INTERNET_TLS))
            servers, names = INTERNET_TLS[proto]
            risk = [RISK_OBSOLETE_TLS] if pc == THACHHA_OLD_PC else None
            g.tls_flow(t, proto, pc, rng.choice(servers), rng.choice(names), (900, 6000),
                       (4000, 600000), seconds=20, risk=risk)
        elif r < 0.82:  # the province's applications over the VPN
            dst, sni = rng.choice([(ONE_STOP, ONE_STOP_SNI), (PORTAL, PORTAL_SNI)])
            g.tls_flow(t, "TLS", pc, dst, sni, (2000, 20000), (5000, 150000), seconds=30)
        elif r < 0.90:  # files on the NAS
            g.flow(t, "SMBv23", pc, THACHHA_NAS, 445, "tcp", (800, 40000), (2000, 900000),
                   seconds=10, sport=g.port(True))
        elif r < 0.95:
            g.flow(t, "HTTP.WindowsUpdate", pc, WINDOWS_UPDATE, 80, "tcp", (400, 1200),
                   (3000, 2000000), seconds=12, sport=g.port(True),
                   app={"url.domain": "ctldl.windowsupdate.com"})
        else:
            g.flow(t, "NTP", pc, THACHHA_GW, 123, "udp", (90, 90), (90, 90), seconds=0.05,
                   sport=123)

    g.fill(EVENTS_PER_SENSOR, background)
    return g


SENSORS = [pkt_dc_hatinh, log_dc_hatinh, log_xa_camxuyen, pkt_xa_thachha]


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    total = 0
    for make in SENSORS:
        g = make()
        data = "".join(line + "\n" for line in g.lines()).encode("utf-8")
        path = OUT_DIR / f"{g.sensor}.jsonl"
        path.write_bytes(data)
        total += len(data)
        shown = path.relative_to(OUT_DIR.parent.parent)
        print(f"{shown}: {len(g.events)} events, {len(data)} bytes")
    print(f"total: {total} bytes")


if __name__ == "__main__":
    main()
