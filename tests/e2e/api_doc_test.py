#!/usr/bin/env python3
"""The examples of docs/api.md against a real correlator's answers.

Every JSON example marked `<!-- example: REQUEST -->` in docs/api.md is compared with the answer
of a real soc-correlator (started here on loopback, with the inventory, rules, an alert store and
alerts in each state): the same members at every level, each of the same JSON type. Members
whose content depends on the event (`group`, `fields`, the evidence events) are compared by type
only. An example that no longer matches what the code answers fails this test: the document and
the code stay one.
"""
import json
import os
import re
import signal
from ports import free_port
import subprocess
import sys
import tempfile
import time
import urllib.request

BUILD = os.environ["BUILD"]
SRC = os.environ["SRC"]
SOCCTL = os.path.join(BUILD, "socctl", "socctl")
CORRELATOR = os.path.join(BUILD, "daemon", "soc-correlator")
FAILS = 0
FREE_FORM = {"group", "fields", "evidence"}


def check(what, ok, detail=""):
    global FAILS
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok else "\n    " + detail))
    if not ok:
        FAILS += 1



def kind(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def compare(doc, real, path, problems, free=False):
    """Appends to `problems` where `real` differs in shape from the documented `doc`."""
    if kind(doc) != kind(real):
        problems.append(f"{path}: documented {kind(doc)}, answered {kind(real)} ({json.dumps(real)[:80]})")
        return
    if isinstance(doc, dict) and not free:
        missing = [k for k in doc if k not in real]
        extra = [k for k in real if k not in doc]
        if missing:
            problems.append(f"{path}: documented members not answered: {missing}")
        if extra:
            problems.append(f"{path}: answered members not documented: {extra}")
        for k in doc:
            if k in real:
                compare(doc[k], real[k], f"{path}.{k}", problems, k in FREE_FORM)
    elif isinstance(doc, list):
        if doc and not real:
            problems.append(f"{path}: documented a non-empty list, answered an empty one")
        for i, item in enumerate(doc):
            if real:
                compare(item, real[min(i, len(real) - 1)], f"{path}[{i}]", problems, free)


def examples():
    text = open(os.path.join(SRC, "docs", "api.md"), encoding="utf-8").read()
    for m in re.finditer(r"<!-- example: (.*?) -->\n```json\n(.*?)```", text, re.S):
        yield m.group(1), json.loads(m.group(2))


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
        return json.load(r)


def main():
    work = tempfile.mkdtemp(prefix="soc-apidoc.")
    for name in ("server", "log1"):
        subprocess.run([SOCCTL, "keygen", "--out", f"{work}/{name}"], check=True, stdout=subprocess.DEVNULL)
    pub = open(f"{work}/log1.pub").read().strip()
    with open(f"{work}/inventory.yaml", "w") as f:
        f.write('timezone: "+07:00"\nsites:\n  - {id: xa-thach-ha, name: "UBND xã Thạch Hà", kind: commune}\n'
                'systems:\n  - {id: wan, name: "Mạng WAN tỉnh", level: 3, sites: [xa-thach-ha]}\n'
                'assets:\n  - {id: fw-1, site: xa-thach-ha, kind: firewall, vendor: Fortinet, model: FG-60F,'
                ' address: 10.1.2.1, licenses: [{kind: support, expires: 2020-09-30}]}\n'
                f'sensors:\n  - {{id: log1, site: xa-thach-ha, kind: log, public_key: "{pub}"}}\n')
    # Two requirements for the sites' examples: a firewall (present) and a WAF (a gap).
    with open(f"{work}/baseline.yaml", "w") as f:
        f.write("baseline: {id: doc, version: '1'}\nrequirements:\n"
                "  - {id: AST-01, title: {vi: Tường lửa, en: Firewall}, reference: r, levels: [3],"
                " check: {kind: asset_present, asset_kind: firewall}}\n"
                "  - {id: AST-02, title: {vi: WAF, en: WAF}, reference: r, levels: [3],"
                " check: {kind: asset_present, asset_kind: waf}}\n")
    os.makedirs(f"{work}/rules")
    # The shipped brute force, and a copy that resolves 2 s after its last repeat.
    shipped = open(os.path.join(SRC, "rules", "linux", "ssh_bruteforce.yml"), encoding="utf-8").read()
    open(f"{work}/rules/ssh.yml", "w").write(shipped)
    open(f"{work}/rules/quick.yml", "w").write("""title: SSH failures (quick)
id: 22222222-3333-4444-8555-666666666666
level: high
suppress: 2s
tags: [attack.t1110.001]
correlation:
  type: event_count
  rules: [ssh_login_failure]
  group-by: [source.ip]
  timespan: 1m
  condition: {gte: 10}
""")
    open(f"{work}/token", "w").write("doc-token\n")
    os.chmod(f"{work}/token", 0o600)
    listen, metrics = free_port(), free_port()
    log = open(f"{work}/correlator.log", "w")
    correlator = subprocess.Popen(
        [CORRELATOR, "--listen", f"tcp://127.0.0.1:{listen}", "--metrics", f"127.0.0.1:{metrics}", "--publish", "",
         "--server-key", f"{work}/server.key", "--inventory", f"{work}/inventory.yaml",
         "--baseline", f"{work}/baseline.yaml", "--tick", "0.5", "--rules", f"{work}/rules",
         "--state-dir", f"{work}/state", "--api-token", f"{work}/token"], stdout=log, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            try:
                get(metrics, "/api/v1/status")
                break
            except OSError:
                time.sleep(0.05)
        events = []
        # 203.0.113.7 twice ten failures: its alerts repeat (a history with 'repeated').
        for ip, first, n in (("203.0.113.7", 0, 20), ("203.0.113.8", 20, 10), ("203.0.113.9", 40, 10)):
            for i in range(n):
                events.append({"@timestamp": f"2026-12-04T09:00:{first + i:02d}.000000Z", "event.kind": "event",
                               "event.dataset": "sshd", "event.category": ["authentication"],
                               "event.outcome": "failure", "source.ip": ip, "user.name": f"u{i}"})
        with open(f"{work}/events.jsonl", "w") as f:
            for e in events:
                f.write(json.dumps(e) + "\n")
        subprocess.run([SOCCTL, "send", "--connect", f"tcp://127.0.0.1:{listen}", "--server-pub",
                        f"{work}/server.pub", "--key", f"{work}/log1.key", "--sensor-id", "log1", "--site",
                        "xa-thach-ha", "--quiet", f"{work}/events.jsonl"], check=True)
        alerts = get(metrics, "/api/v1/alerts?limit=1000")["alerts"]
        brute = [a for a in alerts if a["rule"]["name"] == "SSH brute force from one address"]
        quick = [a for a in alerts if a["rule"]["name"] == "SSH failures (quick)"]
        check("the scenario raised the alerts the examples need", len(brute) == 3 and len(quick) == 3,
              json.dumps(alerts)[:300])
        acked = brute[-1]["id"]
        subprocess.run([SOCCTL, "alerts", "ack", str(acked), "--api", f"http://127.0.0.1:{metrics}",
                        "--token-file", f"{work}/token", "--by", "lan", "--comment", "blocked"], check=True,
                       stdout=subprocess.DEVNULL)
        # The baseline's alerts (the expired license, the missing WAF) carry no MITRE technique:
        # acknowledged, they leave the open example to a rule's alert.
        for a in alerts:
            if a["rule"]["id"].startswith("soc."):
                subprocess.run([SOCCTL, "alerts", "ack", str(a["id"]), "--api", f"http://127.0.0.1:{metrics}",
                                "--token-file", f"{work}/token", "--by", "doc", "--comment", ""], check=True,
                               stdout=subprocess.DEVNULL)
        resolved = quick[-1]["id"]
        for _ in range(100):
            if get(metrics, f"/api/v1/alerts/{resolved}")["state"] == "resolved":
                break
            time.sleep(0.2)
        # The sites are a view of the latest evaluation (every --tick): wait for the one after the send.
        for _ in range(100):
            if get(metrics, "/api/v1/sites")["sites"][0]["sensors"][0]["last_seen"]:
                break
            time.sleep(0.1)
        requests = {
            "GET /api/v1/status": lambda: get(metrics, "/api/v1/status"),
            "GET /api/v1/alerts/ID of an acknowledged alert, without evidence and history":
                lambda: {k: v for k, v in get(metrics, f"/api/v1/alerts/{acked}").items()
                         if k not in ("evidence", "history")},
            "GET /api/v1/alerts?state=open&limit=1": lambda: get(metrics, "/api/v1/alerts?state=open&limit=1"),
            "GET /api/v1/alerts/ID of a resolved alert": lambda: get(metrics, f"/api/v1/alerts/{resolved}"),
            # The baseline's rules (soc.*, listed first) cite no MITRE technique: the example is a Sigma rule.
            "GET /api/v1/rules": lambda: {"rules": [r for r in get(metrics, "/api/v1/rules")["rules"]
                                                    if not r["id"].startswith("soc.")]},
            "GET /api/v1/sites": lambda: get(metrics, "/api/v1/sites"),
            "GET /api/v1/sites/ID": lambda: get(metrics, "/api/v1/sites/xa-thach-ha"),
        }
        seen = 0
        for request, documented in examples():
            seen += 1
            if request not in requests:
                check(f"docs/api.md example '{request}' is one this test knows", False)
                continue
            problems = []
            real = requests[request]()
            compare(documented, real, "$", problems)
            check(f"docs/api.md: {request}", not problems, "\n    ".join(problems) + "\n    answer: " +
                  json.dumps(real, ensure_ascii=False)[:600])
        check("docs/api.md has every example this test checks", seen == len(requests), f"{seen} examples found")
    finally:
        correlator.send_signal(signal.SIGTERM)
        correlator.wait(timeout=30)
    if FAILS:
        print(open(f"{work}/correlator.log").read()[-3000:])
        print(f"{FAILS} checks failed (work folder kept: {work})")
        sys.exit(1)
    subprocess.run(["rm", "-rf", work])
    print("all checks passed")


if __name__ == "__main__":
    main()
