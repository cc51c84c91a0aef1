#!/usr/bin/env python3
"""External oracles for soc-log-sensor (issues 4 and 15): fail2ban's annotated sample logs and
CrowdSec's parser.assert files from ../shared/testdata/logs/ (relative to the repository root),
and our own samples of the services' documented formats (tests/e2e/log_samples/).

fail2ban, per filter, what "caught" means for a line annotated
`# failJSON: {"match": true, "host": H}`:
  - login filters (sshd, dropbear, pam-generic, nginx-http-auth, apache-auth, vsftpd, proftpd,
    xrdp, and postfix's SASL lines): the line decodes to an authentication failure
    (event.category contains authentication, event.outcome is failure) whose source.ip (or
    source.domain, for names) is H; the lines these filters ban that are not logins (Apache's
    "client denied by server configuration", authorization refusals, SNI mismatches, nginx's TLS
    handshake failures) must decode to a refusal naming H (event.outcome failure or event.type
    denied), which rules/network/refused_requests.yml counts;
  - the other filters that ban on a refusal (postfix's rejects and protocol abuse, BIND's
    refused queries, nginx's rate limits, portsentry, fail2ban's own bans for recidive): an
    event naming H with event.outcome failure or event.type denied;
  - the web attack filters (apache-badbots, nginx-botsearch, apache-noscript,
    apache-shellshock): one of the rule pack's per-request web rules (rules/web/) matches the
    event, with H as its source.
A line annotated "match": false must not be caught in that sense (the login filters: no
authentication failure naming an address), unless the line really records a failed login that
fail2ban skips by design (listed as `by-design` in the gaps file).

Recall is printed per filter on the "match": true lines that name an address, and must be at
least 95% for each; our own samples (log_samples/*.log, `# sample: {...}`) must all agree. For
firewall.log and accounts.log "match" means a firewall denial / an account change instead of an
authentication failure, "alert" whether the pack's rule on that family alerts on the line alone,
and their recall counts every sample line (see FAMILIES).

CrowdSec: for each line its parsers handled (Success == true), the fields it extracted that have
an ECS counterpart here (source IP, user, program, pid, HTTP method/status/URL/agent, iptables
addresses, ports and protocol) must be equal in our event.

Every check that is not met must be listed in tests/e2e/log_oracle_gaps.txt with the reason, and
every listed gap must still be a gap (so the list stays exact). Exit 77 when the test data is
absent.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

SRC = os.environ.get("SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(SRC, "build"))
SENSOR = os.path.join(BUILD, "sensors", "log", "soc-log-sensor")
SOCCTL = os.path.join(BUILD, "socctl", "socctl")
DATA = os.path.normpath(os.path.join(SRC, "..", "shared", "testdata", "logs"))
GAPS = os.path.join(SRC, "tests", "e2e", "log_oracle_gaps.txt")
SAMPLES = os.path.join(SRC, "tests", "e2e", "log_samples")

LOGIN_FILTERS = ["sshd", "dropbear", "pam-generic", "nginx-http-auth", "apache-auth", "vsftpd", "proftpd", "xrdp"]
REFUSAL_FILTERS = ["postfix", "named-refused", "nginx-limit-req", "portsentry", "recidive"]
WEB_FILTERS = ["apache-badbots", "nginx-botsearch", "apache-noscript", "apache-shellshock"]
# fail2ban's own test of its line prefixes (an invented program "test-demo" logging "F2B:
# failure from ..."), and a folder of BSD samples without annotations: not services.
NOT_SERVICES = ["zzz-generic-example", "bsd"]
CROWDSEC_TESTS = ["sshd-logs", "opnsense-sshd", "ssh-bf", "ssh-slow-bf", "nginx_http-logs", "apache2-logs",
                  "iptables-logs", "syslog-logs", "pf-logs"]
MIN_RECALL = 0.95


def decode(path):
    """Runs the sensor on a file; returns (raw lines, {line number: event})."""
    out = subprocess.run([SENSOR, "--read", path], check=True, capture_output=True).stdout
    events = [json.loads(l) for l in out.decode("utf-8").splitlines()]
    with open(path, "rb") as f:
        raw = f.read().decode("utf-8", "replace").split("\n")
    if raw and raw[-1] == "":
        raw.pop()
    informative = [(i + 1, l) for i, l in enumerate(raw) if l.strip(" \t\r") and not l.lstrip(" \t\r").startswith("#")]
    if len(informative) != len(events):
        sys.exit(f"{path}: {len(informative)} informative lines but {len(events)} events")
    return raw, dict(zip([n for n, _ in informative], events))


def is_auth_failure(e):
    return "authentication" in e.get("event.category", []) and e.get("event.outcome") == "failure"


def is_refusal(e):
    return e.get("event.outcome") == "failure" or "denied" in e.get("event.type", [])


def address(e):
    return e.get("source.ip") or e.get("source.domain")


def load_gaps():
    gaps = {}
    if os.path.exists(GAPS):
        for line in open(GAPS, encoding="utf-8"):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            key, _, reason = line.partition(" | ")
            gaps[key.strip()] = reason.strip()
    return gaps


class WebRules:
    """The rule pack's per-request web rules, each made to alert on its own (the pack's
    correlations only count them), run with `socctl replay` on decoded events."""

    def __init__(self, work):
        self.dir = os.path.join(work, "web-rules")
        os.makedirs(self.dir, exist_ok=True)
        docs = []
        for path in sorted(glob.glob(os.path.join(SRC, "rules", "web", "*.yml"))):
            for d in yaml.safe_load_all(open(path, encoding="utf-8")):
                if isinstance(d, dict) and "detection" in d:
                    d.pop("suppress", None)
                    d.pop("tests", None)
                    docs.append(d)
        with open(os.path.join(self.dir, "plain.yml"), "w", encoding="utf-8") as f:
            yaml.safe_dump_all(docs, f)
        self.work = work

    def hits(self, events):
        """{line number: set of rule names} for the events (line number -> event)."""
        path = os.path.join(self.work, "web-events.jsonl")
        order = sorted(events)
        with open(path, "w", encoding="utf-8") as f:
            for n in order:
                e = dict(events[n])
                e["event.id"] = f"line:{n}"
                f.write(json.dumps(e) + "\n")
        out = subprocess.run([SOCCTL, "replay", "--rules", self.dir, path], check=True, capture_output=True).stdout
        hits = {}
        for line in out.decode().splitlines():
            a = json.loads(line)
            for ev in a.get("soc.evidence", []):
                if ev.startswith("line:"):
                    hits.setdefault(int(ev[5:]), set()).add(a.get("rule.name"))
        return hits


def fail2ban(results, recall, work):
    web = WebRules(work)
    for name in sorted(os.listdir(os.path.join(DATA, "fail2ban"))):
        path = os.path.join(DATA, "fail2ban", name)
        if name in NOT_SERVICES or not os.path.isfile(path):
            continue
        if name not in LOGIN_FILTERS + REFUSAL_FILTERS + WEB_FILTERS:
            results.append((f"fail2ban/{name}", False, "a fail2ban filter this test does not classify"))
            continue
        raw, events = decode(path)
        web_hits = web.hits(events) if name in WEB_FILTERS else {}
        for i, line in enumerate(raw):
            if not line.startswith("# failJSON:"):
                continue
            spec = json.loads(line[len("# failJSON:"):])
            n = i + 2  # the annotated line, 1-based
            e = events.get(n)
            key = f"fail2ban/{name}:{n}"
            if e is None:
                results.append((key, False, "no event"))
                continue
            host = spec.get("host")
            login = name in LOGIN_FILTERS or (name == "postfix" and "SASL" in raw[n - 1])
            if name in WEB_FILTERS:
                rules = web_hits.get(n, set())
                caught = bool(rules) and address(e) is not None
                caught_as = lambda: caught and (host is None or address(e) == host)
                what = f"web rules {sorted(rules)} on {address(e)}"
            elif login:
                # A login filter's line is caught as a refused login, or, for the lines that are
                # not logins (Apache's access-control refusals, TLS handshake failures; ADR 0007
                # point 5), as a refusal naming the address (rules/network/refused_requests.yml).
                caught_as = lambda: (is_auth_failure(e) or is_refusal(e)) and (host is None or address(e) == host)
                what = f"{e.get('event.category')} {e.get('event.type')} {e.get('event.outcome')} {address(e)}"
            else:
                caught_as = lambda: is_refusal(e) and (host is None or address(e) == host)
                what = f"{e.get('event.type')} {e.get('event.outcome')} {address(e)}"
            if spec.get("match"):
                ok = caught_as()
                results.append((key, ok, f"expected {host} caught, got {what}"))
                if host:
                    r = recall.setdefault(f"fail2ban/{name}", [0, 0])
                    r[0] += ok
                    r[1] += 1
            else:
                if name in WEB_FILTERS:
                    ok = not web_hits.get(n)
                elif login:
                    ok = not (is_auth_failure(e) and address(e))
                else:
                    ok = not (is_refusal(e) and address(e))
                results.append((key, ok, f"expected nothing caught, got {what}"))


def is_firewall_denial(e):
    return "denied" in e.get("event.type", []) and e.get("event.outcome") == "failure" and bool(e.get("source.ip"))


def is_account_change(e):
    return "iam" in e.get("event.category", []) and e.get("event.outcome") == "success" and bool(e.get("event.action"))


# Sample files whose "match" is not an authentication failure: file name -> (what "match": true
# means, its description, the rule pack's rule whose alert "alert": true/false expects, or None).
FAMILIES = {
    "firewall": (is_firewall_denial, "a firewall denial naming source.ip", None),
    "accounts": (is_account_change, "an account change", "New administrator account"),
}


class RuleHits:
    """One rule of the pack (by title), made to alert on its own, run with `socctl replay` on a
    file's decoded events: {line number: alerted}."""

    def __init__(self, work, title):
        self.dir = os.path.join(work, "rule-" + re.sub(r"\W+", "-", title))
        os.makedirs(self.dir, exist_ok=True)
        docs = []
        for path in sorted(glob.glob(os.path.join(SRC, "rules", "**", "*.yml"), recursive=True)):
            for d in yaml.safe_load_all(open(path, encoding="utf-8")):
                if isinstance(d, dict) and d.get("title") == title and "detection" in d:
                    d.pop("suppress", None)
                    d.pop("tests", None)
                    docs.append(d)
        if len(docs) != 1:
            sys.exit(f"rule {title!r}: {len(docs)} rules with that title in rules/")
        with open(os.path.join(self.dir, "rule.yml"), "w", encoding="utf-8") as f:
            yaml.safe_dump_all(docs, f)
        self.work = work

    def hits(self, events):
        path = os.path.join(self.dir, "events.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for n in sorted(events):
                e = dict(events[n])
                e["event.id"] = f"line:{n}"
                f.write(json.dumps(e) + "\n")
        out = subprocess.run([SOCCTL, "replay", "--rules", self.dir, path], check=True, capture_output=True).stdout
        hit = set()
        for line in out.decode().splitlines():
            for ev in json.loads(line).get("soc.evidence", []):
                if ev.startswith("line:"):
                    hit.add(int(ev[5:]))
        return hit


def own_samples(results, recall, work):
    for path in sorted(glob.glob(os.path.join(SAMPLES, "*.log"))):
        name = os.path.basename(path)[:-4]
        raw, events = decode(path)
        family = FAMILIES.get(name)
        alerted = RuleHits(work, family[2]).hits(events) if family and family[2] else set()
        for i, line in enumerate(raw):
            if not line.startswith("# sample:"):
                continue
            spec = json.loads(line[len("# sample:"):])
            n = i + 2
            e = events.get(n)
            key = f"samples/{name}:{n}"
            if e is None:
                results.append((key, False, "no event"))
                continue
            problems = []
            if family:
                caught, what, rule = family
                if spec.get("match") and not caught(e):
                    problems.append(f"not {what}: {e.get('event.category')} {e.get('event.type')} {e.get('event.outcome')}")
                elif not spec.get("match") and caught(e):
                    problems.append(f"{what}: {e.get('event.action')} {e.get('event.type')}")
                if "alert" in spec and (n in alerted) != spec["alert"]:
                    problems.append(f"rule {rule!r} {'did not alert' if spec['alert'] else 'alerted'}")
            elif spec.get("match"):
                if not is_auth_failure(e):
                    problems.append(f"not an authentication failure: {e.get('event.category')} {e.get('event.outcome')}")
                if spec.get("host") and address(e) != spec["host"]:
                    problems.append(f"address {address(e)}, expected {spec['host']}")
                if spec.get("user") and e.get("user.name") != spec["user"]:
                    problems.append(f"user {e.get('user.name')!r}, expected {spec['user']!r}")
            elif is_auth_failure(e) and address(e):
                problems.append(f"an authentication failure from {address(e)}")
            for field, want in spec.get("fields", {}).items():
                if e.get(field) != want:
                    problems.append(f"{field}={e.get(field)!r}, expected {want!r}")
            ok = not problems
            results.append((key, ok, "; ".join(problems)))
            if spec.get("match") or family:
                r = recall.setdefault(f"samples/{name}", [0, 0])
                r[0] += ok
                r[1] += 1


# CrowdSec key -> (our field, normaliser)
def lower(v):
    return str(v).lower()


CS_MAP = {
    'Parsed["program"]': ("process.name", str),
    'Parsed["pid"]': ("process.pid", str),
    'Meta["machine"]': ("host.hostname", str),
    'Meta["source_ip"]': ("source.ip", str),
    'Parsed["sshd_client_ip"]': ("source.ip", str),
    'Parsed["sshd_invalid_user"]': ("user.name", str),
    'Meta["target_user"]': ("user.name", str),
    'Parsed["remote_addr"]': ("source.ip", str),
    'Parsed["verb"]': ("http.request.method", str),
    'Meta["http_verb"]': ("http.request.method", str),
    'Parsed["status"]': ("http.response.status_code", str),
    'Meta["http_status"]': ("http.response.status_code", str),
    'Parsed["request"]': ("url.original", str),
    'Parsed["http_user_agent"]': ("user_agent.original", str),
    'Parsed["http_referer"]': ("http.request.referrer", str),
    'Parsed["body_bytes_sent"]': ("http.response.body.bytes", str),
    'Parsed["http_version"]': ("http.version", str),
    'Unmarshaled["iptables"]["SRC"]': ("source.ip", str),
    'Unmarshaled["iptables"]["DST"]': ("destination.ip", str),
    'Unmarshaled["iptables"]["SPT"]': ("source.port", str),
    'Unmarshaled["iptables"]["DPT"]': ("destination.port", str),
    'Unmarshaled["iptables"]["PROTO"]': ("network.transport", lower),
    'Unmarshaled["iptables"]["IN"]': ("observer.ingress.interface.name", str),
    'Unmarshaled["iptables"]["OUT"]': ("observer.egress.interface.name", str),
    # iptables (its s01 parser) and pfSense/OPNsense filterlog.
    'Parsed["src_ip"]': ("source.ip", str),
    'Parsed["dst_ip"]': ("destination.ip", str),
    'Parsed["src_port"]': ("source.port", str),
    'Parsed["dst_port"]': ("destination.port", str),
    'Parsed["length"]': ("network.bytes", str),
    'Parsed["action"]': ("event.action", str),
    'Parsed["iface"]': ("observer.ingress.interface.name", str),
    'Parsed["ip4_proto"]': ("network.transport", lower),
    'Parsed["ip6_proto"]': ("network.transport", lower),
}
ASSERT_RE = re.compile(r'^results\["([^"]+)"\]\["([^"]+)"\]\[(\d+)\]\.(?:Evt\.)?(.*?) == (.*)$')


def crowdsec(results):
    for test in CROWDSEC_TESTS:
        d = os.path.join(DATA, "crowdsec", test)
        log = os.path.join(d, test + ".log")
        asserts = os.path.join(d, "parser.assert")
        if not (os.path.exists(log) and os.path.exists(asserts)) or os.path.getsize(asserts) == 0:
            continue
        raw, events = decode(log)
        by_message = {}
        for e in events.values():
            by_message.setdefault(e.get("message"), e)

        def find(msg):
            # CrowdSec's message is the syslog message, or for some formats a part of the line.
            if msg in by_message:
                return by_message[msg]
            return next((e for e in events.values() if msg in (e.get("message") or "")), None)
        groups = {}
        for line in open(asserts, encoding="utf-8"):
            m = ASSERT_RE.match(line.strip())
            if not m:
                continue
            stage, parser, idx, key, value = m.groups()
            try:
                value = json.loads(value)
            except ValueError:
                continue
            groups.setdefault((stage, parser, idx), {})[key] = value
        seen = set()
        for (stage, parser, idx), g in sorted(groups.items()):
            if g.get("Success") is not True or 'Parsed["message"]' not in g:
                continue
            msg = g['Parsed["message"]']
            e = find(msg)
            for key, value in g.items():
                if key not in CS_MAP or value in ("", None):
                    continue
                field, norm = CS_MAP[key]
                # http-logs (enrich stage) rewrites "request" to the path without the query.
                if parser == "crowdsecurity/http-logs" and key == 'Parsed["request"]':
                    field = "url.path"
                # Outside syslog, CrowdSec's program comes from its acquisition label, not the line.
                if field == "process.name" and e is not None and "log.syslog.appname" not in e:
                    continue
                check = (test, msg, field, str(value))
                if check in seen:
                    continue
                seen.add(check)
                short = msg[:60].replace("|", "/")
                ck = f"crowdsec/{test}: {field}={value} on \"{short}\""
                if e is None:
                    results.append((ck, False, "no event with that message"))
                    continue
                got = e.get(field)
                ok = got is not None and norm(got) == norm(value)
                results.append((ck, ok, f"got {got!r}"))


def main():
    if not os.path.isdir(DATA):
        print(f"SKIP: the shared test data is absent ({DATA})")
        return 77
    for binary in (SENSOR, SOCCTL):
        if not os.path.exists(binary):
            print(f"SKIP: {binary} is not built")
            return 77
    results = []
    recall = {}
    with tempfile.TemporaryDirectory() as work:
        fail2ban(results, recall, work)
        own_samples(results, recall, work)
    crowdsec(results)
    gaps = load_gaps()
    failed = 0
    met = sum(1 for _, ok, _ in results if ok)
    for kind in ("fail2ban", "samples", "crowdsec"):
        part = [r for r in results if r[0].startswith(kind)]
        print(f"{kind}: {sum(1 for r in part if r[1])} of {len(part)} checks agree")
    print(f"agreement: {met} of {len(results)} ({100.0 * met / max(1, len(results)):.1f}%)")
    print("recall on lines that must be caught (with an address), per service:")
    for service in sorted(recall):
        got, total = recall[service]
        share = got / total if total else 1.0
        low = share < MIN_RECALL
        print(f"  {service}: {got}/{total} = {100.0 * share:.1f}%{'  BELOW ' + str(int(MIN_RECALL * 100)) + '%' if low else ''}")
        failed += low
    listed = 0
    for key, ok, why in results:
        if ok:
            if key in gaps:
                print(f"STALE GAP (now met, remove it from {os.path.basename(GAPS)}): {key}")
                failed += 1
        elif key in gaps and not key.startswith("samples/"):
            listed += 1
        else:
            print(f"NOT MET and not listed: {key}: {why}")
            failed += 1
    print(f"{listed} unmet checks are listed with their reason in {os.path.relpath(GAPS, SRC)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
