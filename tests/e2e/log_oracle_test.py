#!/usr/bin/env python3
"""External oracles for soc-log-sensor (issue 4): fail2ban's annotated sample logs and CrowdSec's
parser.assert files, from ../shared/testdata/logs/ (relative to the repository root).

fail2ban: for the filters below, a line annotated `# failJSON: {"match": true, "host": H}` must
decode to an authentication failure (event.category contains authentication, event.outcome is
failure) whose source.ip (or source.domain, for names) is H; a line annotated "match": false
must not decode to an authentication failure that names an address, unless the line really
records a failed login that fail2ban skips by design (listed as `by-design` in the gaps file).

CrowdSec: for each line its parsers handled (Success == true), the fields it extracted that have
an ECS counterpart here (source IP, user, program, pid, HTTP method/status/URL/agent, iptables
addresses, ports and protocol) must be equal in our event.

Every check that is not met must be listed in tests/e2e/log_oracle_gaps.txt with the reason, and
every listed gap must still be a gap (so the list stays exact). Prints the agreement. Exit 77 when
the test data is absent.
"""
import json
import os
import re
import subprocess
import sys

SRC = os.environ.get("SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("BUILD", os.path.join(SRC, "build"))
SENSOR = os.path.join(BUILD, "sensors", "log", "soc-log-sensor")
DATA = os.path.normpath(os.path.join(SRC, "..", "shared", "testdata", "logs"))
GAPS = os.path.join(SRC, "tests", "e2e", "log_oracle_gaps.txt")

# The filters the issue names (sshd, dropbear, PAM, web authentication), and the FTP servers'.
F2B_FILTERS = ["sshd", "dropbear", "pam-generic", "nginx-http-auth", "apache-auth", "vsftpd", "proftpd", "xrdp"]
CROWDSEC_TESTS = ["sshd-logs", "opnsense-sshd", "ssh-bf", "ssh-slow-bf", "nginx_http-logs", "apache2-logs",
                  "iptables-logs", "syslog-logs", "pf-logs"]


def decode(path):
    """Runs the sensor on a file; returns (lines that carry information, events), one per line."""
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


def fail2ban(results):
    for name in F2B_FILTERS:
        path = os.path.join(DATA, "fail2ban", name)
        if not os.path.exists(path):
            continue
        raw, events = decode(path)
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
            if spec.get("match"):
                ok = is_auth_failure(e) and (host is None or address(e) == host)
                why = f"expected failure from {host}, got {e.get('event.category')} {e.get('event.outcome')} {address(e)}"
            else:
                ok = not (is_auth_failure(e) and address(e))
                why = f"expected no failure with an address, got failure from {address(e)}"
            results.append((key, ok, why))


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
    if not os.path.exists(SENSOR):
        print(f"SKIP: {SENSOR} is not built")
        return 77
    results = []
    fail2ban(results)
    crowdsec(results)
    gaps = load_gaps()
    failed = 0
    met = sum(1 for _, ok, _ in results if ok)
    for kind in ("fail2ban", "crowdsec"):
        part = [r for r in results if r[0].startswith(kind)]
        print(f"{kind}: {sum(1 for r in part if r[1])} of {len(part)} checks agree")
    print(f"agreement: {met} of {len(results)} ({100.0 * met / max(1, len(results)):.1f}%)")
    listed = 0
    for key, ok, why in results:
        if ok:
            if key in gaps:
                print(f"STALE GAP (now met, remove it from {os.path.basename(GAPS)}): {key}")
                failed += 1
        elif key in gaps:
            listed += 1
        else:
            print(f"NOT MET and not listed: {key}: {why}")
            failed += 1
    print(f"{listed} unmet checks are listed with their reason in {os.path.relpath(GAPS, SRC)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
