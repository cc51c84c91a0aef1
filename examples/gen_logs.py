#!/usr/bin/env python3
"""Generates the sample province's raw logs: examples/logs/<sensor-id>/*.log.

These are the lines soc-log-sensor reads (`soc-log-sensor --read FILE`, or `--file GLOB` when
`socctl demo` appends them to files it follows), in the formats of the programs that write them:
BSD syslog (auth.log, kern.log) in local time (+07:00, Vietnam), nginx's combined access log,
and FortiGate's key=value syslog. One hour, 2026-11-20 08:00-09:00 UTC, the same story as
examples/generate.py tells in ready-made events:

  * log-dc-hatinh (the data center): the portal's nginx access log with citizens, a SQL
    injection, a path traversal and a scanner (sqlmap, then Nikto); the jump host's auth.log
    with key logins, sudo and an SSH password-guessing burst that never succeeds; the
    FortiGate FG-200F's traffic log with deny bursts (a port scan of the portal) and a refused
    administrator login.
  * log-xa-camxuyen (a commune): the file server's auth.log with an SSH brute force from
    203.0.113.77 that ends with an accepted password, sudo to a root shell, a new account
    (useradd) put in the sudo group (usermod -aG sudo); the commune router's iptables drops
    (kern.log), with a burst from one scanner.

Synthetic, from a fixed seed: every run writes the same bytes. Standard library only:

    python3 examples/gen_logs.py [--out DIR]     # default DIR: examples/logs
"""

from __future__ import annotations

import argparse
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20261120
START = datetime(2026, 11, 20, 8, 0, 0, tzinfo=timezone.utc)
LOCAL_TZ = timezone(timedelta(hours=7))
SPAN = 3600.0  # seconds

CITIZENS = [f"198.51.100.{i}" for i in range(10, 90)]
NOISE = [f"203.0.113.{i}" for i in (150, 151, 160, 171, 180, 190, 199, 210, 222, 240)]
DC_ADMINS = {"lan.tt": "10.10.9.21", "hung.nv": "10.10.9.22", "minh.pq": "10.10.9.23"}
CAMXUYEN_ADMINS = {"thao.lt": "10.20.1.5", "it.tinh": "10.10.9.22"}

SQLMAP = "sqlmap/1.7.2#stable (https://sqlmap.org)"
NIKTO = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000001)"
BROWSERS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
            "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"]
PAGES = [("GET", "/", 200), ("GET", "/dvc/thu-tuc-hanh-chinh", 200), ("GET", "/dvc/tra-cuu-ho-so", 200),
         ("POST", "/dvc/tra-cuu-ho-so", 200), ("GET", "/dvc/nop-ho-so", 302), ("POST", "/dvc/nop-ho-so", 200),
         ("GET", "/static/app.js", 304), ("GET", "/static/site.css", 304), ("GET", "/dvc/thong-bao", 200),
         ("GET", "/favicon.ico", 404)]


class Log:
    """Lines of one file, each with its time in seconds after START; sorted when written."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: list[tuple[float, str]] = []
        self.pids: dict[str, int] = {}

    def pid(self, program: str) -> int:
        self.pids[program] = self.pids.get(program, self.rng.randint(800, 3000)) + self.rng.randint(1, 40)
        return self.pids[program]

    def syslog(self, t: float, host: str, program: str, text: str, pid: int | None = None) -> None:
        local = (START + timedelta(seconds=t)).astimezone(LOCAL_TZ)
        stamp = f"{local.strftime('%b')} {local.day:2d} {local.strftime('%H:%M:%S')}"
        tag = program if pid is None else f"{program}[{pid}]"
        self.lines.append((t, f"{stamp} {host} {tag}: {text}"))

    def raw(self, t: float, line: str) -> None:
        self.lines.append((t, line))

    def text(self) -> str:
        self.lines.sort(key=lambda x: x[0])
        return "".join(line + "\n" for _, line in self.lines)


def times(rng: random.Random, n: int, start: float = 0.0, span: float = SPAN) -> list[float]:
    return sorted(start + rng.uniform(0, span) for _ in range(n))


def spread(rng: random.Random, start: float, n: int, seconds: float) -> list[float]:
    step = seconds / n
    return [start + i * step + rng.uniform(0, step * 0.8) for i in range(n)]


def sshd_fail(log: Log, t: float, host: str, user: str, ip: str, invalid: bool) -> None:
    pid = log.pid("sshd")
    port = log.rng.randint(32768, 60999)
    if invalid:
        log.syslog(t - 0.4, host, "sshd", f"Invalid user {user} from {ip} port {port}", pid)
    who = f"invalid user {user}" if invalid else user
    log.syslog(t, host, "sshd", f"Failed password for {who} from {ip} port {port} ssh2", pid)
    log.syslog(t + 0.6, host, "sshd", f"Connection closed by {'invalid user ' if invalid else 'authenticating user '}"
               f"{user} {ip} port {port} [preauth]", pid)


def sshd_accept(log: Log, t: float, host: str, user: str, ip: str, method: str, uid: int) -> None:
    pid = log.pid("sshd")
    port = log.rng.randint(32768, 60999)
    if method == "publickey":
        how = f"publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:{log.rng.randbytes(32).hex()[:43]}"
    else:
        how = f"password for {user} from {ip} port {port} ssh2"
    log.syslog(t, host, "sshd", f"Accepted {how}", pid)
    log.syslog(t + 0.01, host, "sshd", f"pam_unix(sshd:session): session opened for user {user}(uid={uid}) by (uid=0)", pid)


def sudo(log: Log, t: float, host: str, user: str, command: str, pwd: str) -> None:
    log.syslog(t, host, "sudo", f"{user:>8} : TTY=pts/{log.rng.randint(0, 3)} ; PWD={pwd} ; USER=root ; COMMAND={command}")
    log.syslog(t + 0.01, host, "sudo", f"pam_unix(sudo:session): session opened for user root(uid=0) by {user}(uid=1000)")


def cron(log: Log, t: float, host: str) -> None:
    pid = log.pid("CRON")
    log.syslog(t, host, "CRON", "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)", pid)
    log.syslog(t + 0.2, host, "CRON", "pam_unix(cron:session): session closed for user root", pid)


def nginx(log: Log, t: float, src: str, method: str, path: str, status: int, size: int, agent: str,
          referrer: str = "-") -> None:
    local = (START + timedelta(seconds=t)).astimezone(LOCAL_TZ)
    stamp = local.strftime("%d/%b/%Y:%H:%M:%S %z")
    log.raw(t, f'{src} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {size} "{referrer}" "{agent}"')


def fortigate(log: Log, t: float, src: str, sport: int, dst: str, dport: int, action: str, service: str,
              proto: int = 6, policy: int = 0, sent: int = 0, rcvd: int = 0) -> None:
    when = START + timedelta(seconds=t)
    local = when.astimezone(LOCAL_TZ)
    ns = int(when.timestamp() * 1_000_000) * 1000
    session = log.pid("session")
    srcintf, dstintf = ("port1", "port2") if not src.startswith("10.") else ("port2", "port1")
    log.raw(t, f'date={local:%Y-%m-%d} time={local:%H:%M:%S} devname="FG200F-DC" devid="FG200FT921900411" '
               f'eventtime={ns} tz="+0700" logid="0000000013" type="traffic" subtype="forward" level="notice" '
               f'vd="root" srcip={src} srcport={sport} srcintf="{srcintf}" dstip={dst} dstport={dport} '
               f'dstintf="{dstintf}" sessionid={session} proto={proto} action="{action}" policyid={policy} '
               f'service="{service}" trandisp="noop" duration=0 sentbyte={sent} rcvdbyte={rcvd}')


def fortigate_admin_fail(log: Log, t: float, src: str, user: str) -> None:
    when = START + timedelta(seconds=t)
    local = when.astimezone(LOCAL_TZ)
    ns = int(when.timestamp() * 1_000_000) * 1000
    log.raw(t, f'date={local:%Y-%m-%d} time={local:%H:%M:%S} devname="FG200F-DC" devid="FG200FT921900411" '
               f'eventtime={ns} tz="+0700" logid="0100032002" type="event" subtype="system" level="alert" '
               f'vd="root" logdesc="Admin login failed" sn="0" user="{user}" ui="https({src})" method="https" '
               f'srcip={src} dstip=10.10.0.1 action="login" status="failed" reason="passwd_invalid" '
               f'msg="Administrator {user} login failed from https({src}) because of invalid password"')


def iptables(log: Log, t: float, host: str, chain: str, src: str, dst: str, dport: int, proto: str = "TCP") -> None:
    rng = log.rng
    uptime = 873412.0 + t
    length = 44 if proto == "TCP" else 60
    tail = f"SPT={rng.randint(1024, 65535)} DPT={dport}"
    tail += f" WINDOW=1024 RES=0x00 SYN URGP=0" if proto == "TCP" else f" LEN={length - 28}"
    log.syslog(t, host, "kernel",
               f"[{uptime:12.6f}] {chain}-DROP: IN=ppp0 OUT= MAC= SRC={src} DST={dst} LEN={length} "
               f"TOS=0x00 PREC=0x00 TTL={rng.randint(40, 60)} ID={rng.randint(1, 65535)} PROTO={proto} {tail}")


# --- the sensors --------------------------------------------------------------------------------


def log_dc_hatinh(rng: random.Random) -> dict[str, Log]:
    web, auth, fw = Log(rng), Log(rng), Log(rng)
    # Citizens on the portal all hour.
    for t in times(rng, 420):
        method, path, status = rng.choice(PAGES)
        nginx(web, t, rng.choice(CITIZENS), method, path, status, 0 if status == 304 else rng.randint(400, 48000),
              rng.choice(BROWSERS))
    # 08:14 a citizen's address tries SQL injection by hand, then runs sqlmap.
    sqli = "198.51.100.93"
    for i, q in enumerate(["id=1%27", "id=1%27%20OR%20%271%27=%271", "id=1%20UNION%20SELECT%20NULL,NULL--",
                           "id=1%20UNION%20SELECT%20username,password%20FROM%20users--"]):
        nginx(web, 14 * 60 + 5 + i * 7.3, sqli, "GET", f"/dvc/tra-cuu-ho-so?{q}", 500 if i else 200, 612,
              BROWSERS[0])
    for t in spread(rng, 15 * 60, 30, 40):
        q = rng.choice(["id=1%20AND%20SLEEP(5)", "id=1%20UNION%20ALL%20SELECT%20NULL,CONCAT(0x71,0x6a)--",
                        "id=1)%20AND%201=1%20AND%20(4512=4512", "id=1%27%20AND%20EXTRACTVALUE(1,CONCAT(0x5c))--"])
        nginx(web, t, sqli, "GET", f"/dvc/tra-cuu-ho-so?{q}", rng.choice([200, 500]), rng.randint(500, 900), SQLMAP)
    # 08:31 path traversal attempts, then a Nikto scan, from 203.0.113.45.
    scanner = "203.0.113.45"
    for i, path in enumerate(["/static/../../../../etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd",
                              "/dvc/tai-lieu?file=../../../../etc/shadow", "/download?f=%2e%2e%2f%2e%2e%2fetc/passwd"]):
        nginx(web, 31 * 60 + i * 2.1, scanner, "GET", path, 400 if i % 2 else 404, 166, BROWSERS[3])
    for t, path in zip(spread(rng, 32 * 60, 40, 60), [
            "/.env", "/.git/config", "/wp-login.php", "/phpmyadmin/", "/admin/", "/config.php.bak", "/server-status",
            "/cgi-bin/test.cgi", "/backup.zip", "/.aws/credentials", "/console/", "/xmlrpc.php", "/HNAP1/",
            "/actuator/env", "/solr/admin/info/system", "/owa/auth/logon.aspx", "/boaform/admin/formLogin",
            "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/login.action", "/api/v1/users"] * 2):
        nginx(web, t, scanner, "GET", path, 404, 153, NIKTO)

    # The jump host: key logins, sudo, cron, and a guessing burst at 08:09:40 that fails.
    for t in times(rng, 40):
        user = rng.choice(list(DC_ADMINS))
        sshd_accept(auth, t, "jump01", user, DC_ADMINS[user], "publickey", 1000 + list(DC_ADMINS).index(user))
    for t in times(rng, 30):
        user = rng.choice(list(DC_ADMINS))
        sudo(auth, t, "jump01", user, rng.choice(["/usr/bin/apt-get upgrade -y", "/usr/bin/systemctl status nginx",
                                                 "/usr/bin/journalctl -u ssh --since today"]), f"/home/{user}")
    for t in times(rng, 12):
        cron(auth, t, "jump01")
    for t in spread(rng, 9 * 60 + 40, 26, 47):
        user = rng.choice(["root", "admin", "oracle", "ubuntu", "test", "git"])
        sshd_fail(auth, t, "jump01", user, "203.0.113.12", invalid=user not in ("root",))

    # The FortiGate: traffic to the portal accepted, internet noise denied, a port scan at
    # 08:21:10 (SYNs to 140 ports of the portal in 40 s), a refused administrator login.
    for t in times(rng, 120):
        fortigate(fw, t, rng.choice(CITIZENS), rng.randint(32768, 60999), "10.10.1.10", 443, "accept", "HTTPS",
                  policy=12, sent=rng.randint(1500, 9000), rcvd=rng.randint(8000, 240000))
    for t in times(rng, 120):
        dport, service = rng.choice([(23, "TELNET"), (445, "SMB"), (3389, "RDP"), (8080, "HTTP-8080"),
                                     (5555, "tcp/5555"), (6379, "tcp/6379"), (1433, "MS-SQL")])
        fortigate(fw, t, rng.choice(NOISE), rng.randint(1024, 65535), "10.10.1.10", dport, "deny", service)
    ports = sorted(set([21, 22, 23, 25, 53, 110, 111, 135, 139, 143, 445, 993, 995, 1433, 1521, 2049, 3306, 3389,
                        5432, 5900, 6379, 8080, 8443, 9200, 27017] + list(range(1, 1025, 9))))
    for t, dport in zip(spread(rng, 21 * 60 + 10, len(ports), 40), ports):
        fortigate(fw, t, scanner, rng.choice([40123, 40124]), "10.10.1.10", dport, "deny", f"tcp/{dport}")
    for t in spread(rng, 47 * 60, 6, 30):
        fortigate_admin_fail(fw, t, "203.0.113.201", rng.choice(["admin", "fortinet"]))
    return {"nginx-access.log": web, "auth.log": auth, "fortigate.log": fw}


def log_xa_camxuyen(rng: random.Random) -> dict[str, Log]:
    auth, kern = Log(rng), Log(rng)
    srv, fw = "camxuyen-srv01", "camxuyen-fw"
    for t in times(rng, 30):
        user = rng.choice(list(CAMXUYEN_ADMINS))
        sshd_accept(auth, t, srv, user, CAMXUYEN_ADMINS[user], "publickey", 1000 + list(CAMXUYEN_ADMINS).index(user))
    for t in times(rng, 20):
        user = rng.choice(list(CAMXUYEN_ADMINS))
        sudo(auth, t, srv, user, rng.choice(["/usr/bin/systemctl restart smbd", "/usr/bin/df -h",
                                              "/usr/bin/apt-get update"]), f"/home/{user}")
    for t in times(rng, 12):
        cron(auth, t, srv)
    # 08:05:20 a guessing burst that fails.
    for t in spread(rng, 5 * 60 + 20, 22, 46):
        user = rng.choice(["root", "admin", "user", "test"])
        sshd_fail(auth, t, srv, user, "203.0.113.140", invalid=user not in ("root", "admin"))
    # 08:37:12 the brute force that succeeds: 46 failures within 55 s, then the password.
    intruder = "203.0.113.77"
    for i, t in enumerate(spread(rng, 37 * 60 + 12, 46, 55)):
        sshd_fail(auth, t, srv, "root" if i % 9 == 4 else "admin", intruder, invalid=False)
    won = 37 * 60 + 12 + 58.4
    sshd_accept(auth, won, srv, "admin", intruder, "password", 1001)
    sudo(auth, won + 41.7, srv, "admin", "/bin/bash", "/home/admin")
    pid = auth.pid("useradd")
    auth.syslog(won + 115.2, srv, "useradd", "new group: name=backup2, GID=1003", pid)
    auth.syslog(won + 115.2, srv, "useradd", "new user: name=backup2, UID=1003, GID=1003, home=/home/backup2, "
                "shell=/bin/bash, from=/dev/pts/1", pid)
    auth.syslog(won + 131.9, srv, "usermod", "add 'backup2' to group 'sudo'", auth.pid("usermod"))
    auth.syslog(won + 131.9, srv, "usermod", "add 'backup2' to shadow group 'sudo'", auth.pids["usermod"])
    # The commune router drops internet noise all hour, and a scanner's burst at 08:26.
    wan = "10.20.0.2"  # the router's outside address as its firewall logs it (as in generate.py)
    for t in times(rng, 260):
        dport, proto = rng.choice([(23, "TCP"), (445, "TCP"), (3389, "TCP"), (8080, "TCP"), (7547, "TCP"),
                                   (5060, "UDP"), (1900, "UDP"), (123, "UDP")])
        iptables(kern, t, fw, "INPUT", rng.choice(NOISE), wan, dport, proto)
    for t, dport in zip(spread(rng, 26 * 60, 60, 25), sorted(rng.sample(range(1, 10000), 60))):
        iptables(kern, t, fw, "INPUT", "203.0.113.155", wan, dport)
    return {"auth.log": auth, "kern.log": kern}


SENSORS = {"log-dc-hatinh": log_dc_hatinh, "log-xa-camxuyen": log_xa_camxuyen}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "logs")
    args = parser.parse_args()
    total = 0
    for index, (sensor, make) in enumerate(SENSORS.items()):
        rng = random.Random(SEED * 10 + index)  # one stream per sensor: changing one leaves the other
        folder = args.out / sensor
        folder.mkdir(parents=True, exist_ok=True)
        for name, log in make(rng).items():
            data = log.text().encode("utf-8")
            (folder / name).write_bytes(data)
            total += len(data)
            print(f"{sensor}/{name}: {len(log.lines)} lines, {len(data)} bytes")
    print(f"total: {total} bytes")


if __name__ == "__main__":
    main()
