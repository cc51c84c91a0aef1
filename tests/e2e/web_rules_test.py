#!/usr/bin/env python3
"""Web attacks written every way a client can spell them (issue 15), end to end: raw access-log
lines -> `soc-log-sensor --read` (url.original raw; url.path, url.query and soc.url.decoded
decoded and normalized) -> `socctl replay --rules rules/`. Each attacking address must get the
alert of its family however its requests are encoded; the citizens' requests, with escapes of
their own (Vietnamese in UTF-8, spaces, a literal "select" in a news path), must get none.
"""
import json
import os
import subprocess
import sys
import tempfile

SRC = os.environ.get("SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(SRC, "build"))
LOG_SENSOR = os.path.join(BUILD, "sensors", "log", "soc-log-sensor")
SOCCTL = os.path.join(BUILD, "socctl", "socctl")

AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"

# (address, path and query as written, status, rule the address must get)
ATTACKS = [
    ("198.51.100.21", "/static/..%2f..%2f..%2fetc/passwd", 404, "Path traversal attempt in a URL"),
    ("198.51.100.22", "/%2fetc%2fpasswd", 404, "Path traversal attempt in a URL"),
    ("198.51.100.23", "/images/%252e%252e/%252e%252e/%252e%252e/etc/shadow", 404, "Path traversal attempt in a URL"),
    ("198.51.100.24", "/download?file=..%5C..%5Cwindows%5Cwin.ini", 200, "Path traversal attempt in a URL"),
    ("198.51.100.25", "/cgi-bin/.%2e/.%2e/.%2e/bin/sh", 400, "Path traversal attempt in a URL"),
    ("198.51.100.31", "/tim-kiem?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E", 200,
     "Cross-site scripting probe in a request"),
    ("198.51.100.32", "/tim-kiem?q=%253Csvg%2520onload%253Dconfirm(1)%253E", 200, "Cross-site scripting probe in a request"),
    ("198.51.100.33", "/tim-kiem?q=%22%3E%3CIMG+SRC%3Dx+OnError%3Dprompt(1)%3E", 200,
     "Cross-site scripting probe in a request"),
    ("198.51.100.41", "/dvc/ho-so?id=1%20UNION%20ALL%20SELECT%20null,password%20FROM%20users", 500,
     "SQL injection attempt in a URL"),
    ("198.51.100.42", "/dvc/ho-so?id=1'%2bunion%2f**%2fselect%2bnull--", 500, "SQL injection attempt in a URL"),
    ("198.51.100.43", "/dvc/ho-so?id=1%2527%2520AND%2520SLEEP(5)--", 200, "SQL injection attempt in a URL"),
]
# Two sensitive files, encoded, from one address; two exploit paths from another.
PROBES = [
    ("198.51.100.51", "/%2e%65nv", 404), ("198.51.100.51", "/.git//config", 404),
    ("198.51.100.52", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", 404),
    ("198.51.100.52", "/%5fignition/execute-solution", 404),
]
PROBE_RULES = {"198.51.100.51": "Sensitive file probing from one address",
               "198.51.100.52": "Web vulnerability probing from one address"}
CITIZENS = [
    ("10.10.9.31", "/tin-tuc/cach-select-ho-so-truc-tuyen", 200),
    ("10.10.9.32", "/tim-kiem?q=th%E1%BB%A7+t%E1%BB%A5c+h%E1%BB%99+t%E1%BB%8Bch", 200),
    ("10.10.9.33", "/dvc/thu-tuc/../huong-dan.pdf", 200),
    ("10.10.9.34", "/tai-lieu/bao%20cao%202026.pdf", 200),
    ("10.10.9.35", "/api/hoso?ma=H27.45-261120-0001&trang=2", 200),
]

fails = 0


def check(what, ok, detail=""):
    global fails
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else "\n    " + detail))
    if not ok:
        fails += 1


def line(ip, url, status, second):
    return f'{ip} - - [20/Nov/2026:08:{second // 60:02d}:{second % 60:02d} +0700] "GET {url} HTTP/1.1" {status} 512 "-" "{AGENT}"'


def main():
    with tempfile.TemporaryDirectory() as work:
        log = os.path.join(work, "nginx-access.log")
        second = 0
        with open(log, "w") as f:
            for ip, url, status, _ in ATTACKS:
                f.write(line(ip, url, status, second) + "\n")
                second += 7
            for ip, url, status in PROBES + CITIZENS:
                f.write(line(ip, url, status, second) + "\n")
                second += 7
        events = os.path.join(work, "events.jsonl")
        with open(events, "w") as out:
            subprocess.run([LOG_SENSOR, "--read", log], stdout=out, check=True)
        decoded = [json.loads(l) for l in open(events)]
        check("every line is a web event with the raw URL kept",
              len(decoded) == len(ATTACKS) + len(PROBES) + len(CITIZENS) and
              all(e.get("event.dataset") == "nginx.access" and "url.original" in e for e in decoded))
        r = subprocess.run([SOCCTL, "replay", "--rules", os.path.join(SRC, "rules"), events], capture_output=True,
                           check=True)
        alerts = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
        by_ip = {}
        for a in alerts:
            by_ip.setdefault(a.get("source.ip"), []).append(a.get("rule.name"))
        for ip, url, _, rule in ATTACKS:
            check(f"{ip} {url} -> {rule}", rule in by_ip.get(ip, []), f"its alerts: {by_ip.get(ip)}")
        for ip, rule in PROBE_RULES.items():
            check(f"{ip}'s probes -> {rule}", rule in by_ip.get(ip, []), f"its alerts: {by_ip.get(ip)}")
        for ip, url, _ in CITIZENS:
            check(f"citizen {ip} {url} -> no alert", ip not in by_ip, f"its alerts: {by_ip.get(ip)}")
    print(f"{fails} failed")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
