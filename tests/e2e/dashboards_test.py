#!/usr/bin/env python3
"""The dashboards and Prometheus rules against the real thing (issue 11).

A scenario on loopback: the correlator with the sample province's inventory, baseline and rule
pack (examples/, rules/); the real sensors feeding it (soc-log-sensor following the sample logs
as they grow, with its syslog and journal inputs open; soc-packet-sensor replaying the sample
captures; soc-collector reading a real TLS certificate from `openssl s_server` and probing two
TCP ports); soc-packet-sensor capturing live on a veth pair of its own while stopped, so that the
kernel drops packets; a sensor whose link loses and repeats events (troubled_sensor.cpp); a key
the inventory does not know; a rule file and the inventory broken while it runs. A real
Prometheus (Debian's) scrapes it every second and evaluates dashboards/prometheus/*.rules.yml.

Then:
- every family the correlator exports matches docs/metrics.md, both ways (name, type, labels),
  and the scrape passes `promtool check metrics`;
- every query of every dashboard panel, with its variables at "All", is sent to Prometheus's
  query API and must return data, unless the panel's noValue says why it may be empty or the
  query waits for another branch (soc_dashboards.PENDING); every variable resolves to values;
  table columns the panels rename exist in the results;
- every recording and alerting rule's expression returns data, except the alerts the scenario
  cannot cause in minutes (QUIET below, each with why and a query that must return data);
  Prometheus evaluates every rule without error, and the alerts the scenario causes are pending
  or firing;
- every metric a dashboard or rule reads is in the correlator's output;
- the correlator is stopped: SocCorrelatorDown follows.
Finally the panels are drawn from the results (dashboards/draw_panels.py) into the work folder,
or into $SOC_DASHBOARD_PICTURES (docs/img to refresh the pictures of docs/dashboards.md).
Needs root (the veth pair and the live capture); skips (77) otherwise or when a tool is missing.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import soc_dashboards as sd  # noqa: E402
from ports import free_port  # noqa: E402

BUILD = Path(os.environ["BUILD"])
SRC = sd.SRC
CORRELATOR = BUILD / "daemon" / "soc-correlator"
SOCCTL = BUILD / "socctl" / "socctl"
LOG_SENSOR = BUILD / "sensors" / "log" / "soc-log-sensor"
PACKET_SENSOR = BUILD / "sensors" / "packet" / "soc-packet-sensor"
COLLECTOR = BUILD / "collectors" / "soc-collector"
TROUBLED = Path(os.environ.get("TROUBLED_SENSOR", BUILD / "tests" / "e2e" / "troubled_sensor"))
EXAMPLES = SRC / "examples"

# Alerts the scenario cannot cause in its few minutes: why, and a query on the same metrics that
# must return data (so the rule reads series that exist).
QUIET = {
    "SocSensorSilent": ("fires after 15 minutes without a message; every sensor of the scenario is heard within "
                        "seconds, or never (SocSensorDown covers that one)",
                        "time() - soc_sensor_last_seen_timestamp_seconds"),
    "SocCorrelatorDown": ("the correlator is up while the queries run; the test stops it at the end and checks "
                          "the alert then", 'up{job="soc-correlator"}'),
    "SocSensorDroppingEvents": ("senders drop events only when their spool is full (--spool-full drop-oldest), too "
                                "old (--spool-max-age) or its disk fails; the scenario's correlator is up, so no "
                                "spool fills (e2e-spool_outage, e2e-spool_link and e2e-spool_disk_full cause drops)",
                                "sensor:soc_sensor_events_dropped:increase15m"),
    "SocSensorSpoolFilling": ("a spool fills only while the correlator or the link is away or too slow; the "
                              "scenario's correlator keeps up, so log-dc-hatinh's spool holds a few batches at most "
                              "(e2e-spool_outage and e2e-spool_link fill one on purpose)",
                              "sensor:soc_sensor_spool_fill:ratio"),
    "SocAlertDeliveryStuck": ("fires after a sink's queue held more than 100 notices for 10 minutes; the scenario's "
                              "dead webhook holds its queue's 5 (--alert-queue-size 5) for minutes",
                              "soc_alert_queue_depth > 0"),
    "SocWriteErrors": ("the scenario's disk does not fail; tests/e2e/delivery_disk_full_test.sh "
                       "fills a disk on purpose", "soc_write_errors_total"),
}
# The alerts the scenario causes, with a label that identifies the cause.
EXPECTED_ALERTS = {
    "SocSensorDown": ("sensor", "log-xa-kyanh"),            # in the inventory, never started
    "SocEventsLost": ("sensor", "log-xa-thachha"),          # troubled_sensor's gap
    "SocCaptureDropsHigh": ("sensor", "pkt-dc-mirror"),     # the stopped live capture
    "SocMessagesRejected": ("reason", "unknown_key"),       # the stranger
    "SocRuleReloadFailing": (None, None),                   # the broken rule file
    "SocInventoryReloadFailing": (None, None),              # the broken inventory and SIGHUP
    "SocLicenseExpired": ("asset", "fw-nghixuan"),          # examples: expired 2026-08-15
    "SocLicenseExpiring": ("asset", "sw-dc-core"),          # added here: 20 days from now
    "SocCertificateExpiring": ("site", "dc-hatinh"),        # the s_server's 10-day certificate
    "SocRuleStateEvicted": (None, None),                    # --max-rule-state 20
    # SocAlertDeliveryFailing: the webhook where nothing listens (its sink label is set with its port)
}

FAILS = []
PROCS = []
WORK = Path(tempfile.mkdtemp(prefix="soc-dashboards."))
VETH = f"sd{os.getpid() % 100000}"


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok or not detail else "\n    " + str(detail).replace("\n", "\n    ")))
    if not ok:
        FAILS.append(what)
    return ok


def skip(why):
    print("SKIP: " + why)
    sys.exit(77)



def wait_port(port, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def start(name, args, **kw):
    log = open(WORK / f"{name}.log", "wb")
    p = subprocess.Popen([str(a) for a in args], stdout=kw.pop("stdout", log), stderr=log, stdin=subprocess.DEVNULL, **kw)
    p.name = name
    PROCS.append(p)
    return p


def stop(p, sig=signal.SIGTERM):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def cleanup():
    for p in reversed(PROCS):
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
            stop(p)
    subprocess.run(["ip", "link", "del", VETH + "t"], capture_output=True)
    if FAILS:
        print(f"work folder kept: {WORK}")
    else:
        shutil.rmtree(WORK, ignore_errors=True)


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8")


class Prometheus:
    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"

    def api(self, path, **params):
        url = f"{self.base}/api/v1/{path}?" + urllib.parse.urlencode(params, doseq=True)
        try:
            return json.loads(http_get(url, 30))
        except urllib.error.HTTPError as e:
            return json.loads(e.read().decode("utf-8"))

    def query(self, expr):
        return self.api("query", query=expr)

    def query_range(self, expr, start, end, step):
        return self.api("query_range", query=expr, start=f"{start:.3f}", end=f"{end:.3f}", step=step)


# --- the scenario --------------------------------------------------------------------------------

def keygen(name):
    subprocess.run([SOCCTL, "keygen", "--out", WORK / name], check=True, capture_output=True)
    return (WORK / f"{name}.pub").read_text().strip()


def write_inventory(keys, tls_port, closed_port):
    """examples/inventory.yaml with this run's keys, the portal and the log store on loopback ports
    (so the collector's readings match inventory assets), one more switch whose support ends in
    20 days (an expiring license whatever today's date), and the scenario's extra sensors."""
    text = (EXAMPLES / "inventory.yaml").read_text(encoding="utf-8")
    for sensor, key in keys.items():
        text = re.sub(r'(\{id: %s,[^\n]*public_key: )"[^"]*"' % re.escape(sensor), lambda m: f'{m.group(1)}"{key}"',
                      text)
    text = text.replace('address: "dichvucong.hatinh.gov.vn:443"', f'address: "127.0.0.1:{tls_port}"')
    text = re.sub(r"(\{id: log-dc-1, [^\n]*address: )[0-9.]+", lambda m: f"{m.group(1)}127.0.0.1:{closed_port}", text)
    expiring = (datetime.now(timezone.utc) + timedelta(days=20)).strftime("%Y-%m-%d")
    text = text.replace("\nsensors:\n", "\n  - {id: sw-dc-core, site: dc-hatinh, kind: switch, vendor: Cisco, model: C9300, "
                        f"address: 10.10.0.2, licenses: [{{kind: support, expires: {expiring}}}]}}\n\nsensors:\n", 1)
    extra = [("col-dc-hatinh", "dc-hatinh", "collector"), ("pkt-dc-mirror", "dc-hatinh", "packet"),
             ("log-xa-thachha", "xa-thachha", "log")]
    lines = "".join(f'  - {{id: {i}, site: {s}, kind: {k}, public_key: "{keys[i]}"}}\n' for i, s, k in extra)
    text = re.sub(r"(\n  - \{id: log-xa-kyanh,[^\n]*\n)", lambda m: m.group(1) + lines, text, count=1)
    path = WORK / "inventory.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class LogFeeder(threading.Thread):
    """Appends the sample log lines of one sensor to its followed copies, `rate` lines a second,
    file by file in turn, again from the start when all were written (as `socctl demo` does)."""

    def __init__(self, sensor, rate):
        super().__init__(daemon=True)
        self.dest = WORK / "logs" / sensor
        self.dest.mkdir(parents=True)
        self.files = sorted((EXAMPLES / "logs" / sensor).glob("*.log"))
        self.lines = {f.name: f.read_text(encoding="utf-8").splitlines(keepends=True) for f in self.files}
        for f in self.files:
            (self.dest / f.name).write_text("")
        self.rate = rate
        self.stopped = threading.Event()

    def run(self):
        pos = {name: 0 for name in self.lines}
        while not self.stopped.is_set():
            for name, lines in self.lines.items():
                chunk = lines[pos[name]:pos[name] + max(1, self.rate // (2 * len(self.lines)))]
                pos[name] = (pos[name] + len(chunk)) % len(lines)
                with open(self.dest / name, "a", encoding="utf-8") as out:
                    out.writelines(chunk)
            self.stopped.wait(0.5)


class PacketLoop(threading.Thread):
    """soc-packet-sensor --read CAPTURE --replay-speed S --connect, again each time it ends."""

    def __init__(self, name, args):
        super().__init__(daemon=True)
        self.name_, self.args = name, args
        self.stopped = threading.Event()
        self.runs = 0

    def run(self):
        while not self.stopped.is_set():
            p = start(f"{self.name_}-{self.runs}", [PACKET_SENSOR] + self.args)
            self.runs += 1
            while p.poll() is None and not self.stopped.is_set():
                time.sleep(0.2)
            stop(p)
            self.stopped.wait(1)


def main():
    if os.geteuid() != 0:
        skip("the live capture on a veth pair needs root")
    for tool in ("prometheus", "promtool", "openssl", "ip", "tcpreplay", "logger"):
        if shutil.which(tool) is None:
            skip(f"{tool} is not installed (scripts/setup.sh installs it)")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        skip("python3-matplotlib is not installed (scripts/setup.sh installs it)")
    os.chmod(WORK, 0o711)  # the live packet sensor runs as nobody once its capture is open

    print("== the scenario")
    names = ["server", "pkt-dc-hatinh", "log-dc-hatinh", "log-xa-camxuyen", "pkt-xa-thachha", "col-dc-hatinh",
             "pkt-dc-mirror", "log-xa-thachha", "stranger"]
    keys = {n: keygen(n) for n in names}
    # It reads its key as root before dropping to nobody: the key stays 0600.
    os.chmod(WORK / "server.pub", 0o644)
    tls_port, closed_port = free_port(), free_port()
    inventory = write_inventory(keys, tls_port, closed_port)
    baseline = EXAMPLES / "baseline.yaml"
    r = subprocess.run([SOCCTL, "inventory", "check", inventory, "--baseline", baseline], capture_output=True, text=True)
    check("the scenario's inventory is valid", r.returncode == 0, r.stdout + r.stderr)
    rules = WORK / "rules"
    shutil.copytree(SRC / "rules", rules)

    # A certificate that expires in 10 days, served on loopback.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "10",
                    "-subj", "/CN=dichvucong.hatinh.gov.vn",
                    "-addext", "subjectAltName=DNS:dichvucong.hatinh.gov.vn,IP:127.0.0.1",
                    "-keyout", WORK / "tls.key", "-out", WORK / "tls.crt"], check=True, capture_output=True)
    start("s_server", ["openssl", "s_server", "-accept", f"127.0.0.1:{tls_port}", "-cert", WORK / "tls.crt",
                       "-key", WORK / "tls.key", "-www", "-quiet"])

    listen, metrics_port, publish, dead_hook_port = free_port(), free_port(), free_port(), free_port()
    EXPECTED_ALERTS["SocAlertDeliveryFailing"] = ("sink", f"webhook:127.0.0.1:{dead_hook_port}")
    endpoint = f"tcp://127.0.0.1:{listen}"
    correlator = start("correlator", [
        CORRELATOR, "--listen", endpoint, "--metrics", f"127.0.0.1:{metrics_port}",
        "--publish", f"tcp://127.0.0.1:{publish}", "--server-key", WORK / "server.key",
        "--inventory", inventory, "--baseline", baseline, "--rules", rules, "--tick", "1",
        "--alerts-out", WORK / "alerts.jsonl", "--state-dir", WORK / "state",
        # A bound the sample traffic's scans exceed, so that evictions are counted and shown.
        "--max-rule-state", "20",
        # A webhook where nothing listens, with a small queue: its notices wait (soc_alert_queue_depth),
        # the oldest are dropped (soc_alert_deliveries_total{result="dropped"}) and
        # SocAlertDeliveryFailing fires for it.
        "--webhook", f"http://127.0.0.1:{dead_hook_port}/hook", "--alert-queue-size", "5"])
    if not check("the correlator listens", wait_port(metrics_port) and wait_port(listen),
                 (WORK / "correlator.log").read_text(errors="replace")[-3000:]):
        return

    prom_port = free_port()
    (WORK / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: [{', '.join(json.dumps(str(f)) for f in sd.RULE_FILES)}]\n"
        "scrape_configs:\n"
        f"  - job_name: soc-correlator\n    static_configs: [{{targets: ['127.0.0.1:{metrics_port}']}}]\n")
    start("prometheus", ["prometheus", f"--config.file={WORK / 'prometheus.yml'}",
                         f"--storage.tsdb.path={WORK / 'prometheus-data'}",
                         f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=warn"])
    prom = Prometheus(prom_port)
    ready = False
    for _ in range(200):
        try:
            ready = http_get(f"{prom.base}/-/ready", 2) is not None
            break
        except OSError:
            time.sleep(0.1)
    if not check("Prometheus is ready", ready, (WORK / "prometheus.log").read_text(errors="replace")[-2000:]):
        return
    # The scenario starts once Prometheus has the correlator's counters at their first values.
    for _ in range(100):
        if prom.query('up{job="soc-correlator"} == 1').get("data", {}).get("result"):
            break
        time.sleep(0.2)
    t0 = time.time()

    def sender(sensor, site):
        return ["--connect", endpoint, "--server-pub", WORK / "server.pub", "--key", WORK / f"{sensor}.key",
                "--sensor-id", sensor, "--site", site]

    # Log sensors: the sample logs as they grow; log-xa-camxuyen also listens for syslog and reads a
    # (new, empty) journal folder, so that every input's counters are exported.
    feeders = [LogFeeder("log-dc-hatinh", 40), LogFeeder("log-xa-camxuyen", 40)]
    for f in feeders:
        f.start()
    syslog_udp, syslog_tcp = free_port(), free_port()
    (WORK / "journal").mkdir()
    start("log-dc-hatinh", [LOG_SENSOR, "--file", WORK / "logs" / "log-dc-hatinh" / "*.log", "--file-start", "beginning",
                            "--timezone", "+07:00", "--checkpoint", WORK / "log-dc-hatinh.checkpoint",
                            "--spool", WORK / "spool-log-dc-hatinh", "--spool-max-bytes", "67108864",
                            "--heartbeat", "1"] + sender("log-dc-hatinh", "dc-hatinh"))
    start("log-xa-camxuyen", [LOG_SENSOR, "--file", WORK / "logs" / "log-xa-camxuyen" / "*.log",
                              "--file-start", "beginning", "--timezone", "+07:00",
                              "--checkpoint", WORK / "log-xa-camxuyen.checkpoint",
                              "--syslog-udp", f"127.0.0.1:{syslog_udp}", "--syslog-tcp", f"127.0.0.1:{syslog_tcp}",
                              "--journal", "--journal-dir", WORK / "journal",
                              "--heartbeat", "1"] + sender("log-xa-camxuyen", "xa-camxuyen"))
    # Packet sensors: the sample captures, an hour each, replayed 60 times faster, again and again.
    loops = [PacketLoop(s, ["--read", EXAMPLES / "pcap" / f"{s}.pcap", "--replay-speed", "60", "--heartbeat", "1"]
                        + sender(s, site))
             for s, site in (("pkt-dc-hatinh", "dc-hatinh"), ("pkt-xa-thachha", "xa-thachha"))]
    for lp in loops:
        lp.start()
    # The collector: the portal's certificate, the portal's port (open) and the log store's (closed).
    start("collector", [COLLECTOR, "--tls", f"127.0.0.1:{tls_port}/dichvucong.hatinh.gov.vn",
                        "--tcp", f"127.0.0.1:{tls_port}", "--tcp", f"127.0.0.1:{closed_port}",
                        "--interval", "2", "--timeout", "1", "--heartbeat", "1"] + sender("col-dc-hatinh", "dc-hatinh"))

    # A live capture that drops: the sensor on a veth pair of its own with a small buffer, stopped
    # while a capture is sent into the pair at top speed, so the kernel drops what does not fit.
    tx, rx = VETH + "t", VETH + "r"
    r = subprocess.run(["ip", "link", "add", tx, "type", "veth", "peer", "name", rx], capture_output=True, text=True)
    if r.returncode != 0:
        skip("cannot create a veth pair here: " + r.stderr.strip())
    for dev in (tx, rx):
        Path(f"/proc/sys/net/ipv6/conf/{dev}/disable_ipv6").write_text("1")
        subprocess.run(["ip", "link", "set", dev, "up"], check=True)
    mirror = start("pkt-dc-mirror", [PACKET_SENSOR, "--interface", rx, "--buffer", "1048576",
                                     "--heartbeat", "1"] + sender("pkt-dc-mirror", "dc-hatinh"))
    for _ in range(100):
        if f"capturing on {rx}" in (WORK / "pkt-dc-mirror.log").read_text(errors="replace"):
            break
        time.sleep(0.1)
    check("the live sensor captures on the veth pair", f"capturing on {rx}" in
          (WORK / "pkt-dc-mirror.log").read_text(errors="replace"))
    time.sleep(2)
    os.kill(mirror.pid, signal.SIGSTOP)
    r = subprocess.run(["tcpreplay", "-i", tx, "--topspeed", "--loop", "12", EXAMPLES / "pcap" / "pkt-dc-hatinh.pcap"],
                       capture_output=True, text=True)
    check("tcpreplay sent the capture into the pair", r.returncode == 0, r.stdout + r.stderr)
    os.kill(mirror.pid, signal.SIGCONT)
    # Then a trickle, so that it keeps seeing packets.
    start("tcpreplay-trickle", ["tcpreplay", "-i", tx, "--pps", "50", "--loop", "0",
                                EXAMPLES / "pcap" / "pkt-xa-thachha.pcap"])

    # A sensor whose link loses and repeats events; a key the inventory does not know.
    r = subprocess.run([TROUBLED, endpoint, WORK / "server.pub", WORK / "log-xa-thachha.key", "log-xa-thachha",
                        "xa-thachha"], capture_output=True, text=True, timeout=60)
    check("the troubled sensor's messages were processed", r.returncode == 0, r.stdout + r.stderr)
    troubled = dict((k, int(v)) for k, v in (line.split() for line in r.stdout.split("\n") if line.strip()))
    (WORK / "one.jsonl").write_text(json.dumps({"@timestamp": "2026-11-20T08:00:00.000000Z", "event.kind": "event",
                                                "event.dataset": "flow", "event.category": ["network"]}) + "\n")
    r = subprocess.run([SOCCTL, "send", "--timeout", "2", "--quiet"] + sender("stranger", "dc-hatinh") +
                       [WORK / "one.jsonl"], capture_output=True, text=True)
    check("a key the inventory does not know is refused", r.returncode != 0, r.stdout + r.stderr)
    for _ in range(3):
        subprocess.run(["logger", "-n", "127.0.0.1", "-P", str(syslog_udp), "-d", "-t", "sshd",
                        "Failed password for root from 203.0.113.50 port 4242 ssh2"], check=True)
        subprocess.run(["logger", "-n", "127.0.0.1", "-P", str(syslog_tcp), "-T", "-t", "sshd",
                        "Failed password for root from 203.0.113.51 port 4243 ssh2"], check=True)

    # Half a minute in: an edit breaks a rule file (reloaded within two seconds, refused), and a
    # broken inventory is refused on SIGHUP. The running rules and inventory stay.
    time.sleep(max(0.0, t0 + 30 - time.time()))
    victim = sorted(rules.rglob("*.yml"))[0]
    victim.write_text(victim.read_text() + "\n---\ntitle: broken by the test\ndetection:\n  sel: {x|nope: 1}\n"
                      "  condition: sel\n")
    inventory.write_text(inventory.read_text().replace("kind: commune}", "kind: comune}", 1))
    time.sleep(3)
    os.kill(correlator.pid, signal.SIGHUP)

    # Let rates and the recording rules settle over a minute and a half of data.
    time.sleep(max(0.0, t0 + 100 - time.time()))
    if not check("the correlator is still running", correlator.poll() is None,
                 (WORK / "correlator.log").read_text(errors="replace")[-3000:]):
        return
    t_end = time.time()

    print("== the sensors export nothing themselves (docs/metrics.md)")
    listening = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout
    for p in PROCS:
        if p.name in ("log-dc-hatinh", "collector", "pkt-dc-mirror") and p.poll() is None:
            check(f"{p.name} listens on no TCP port", f"pid={p.pid}," not in listening,
                  [line for line in listening.splitlines() if f"pid={p.pid}," in line])
    for binary in (LOG_SENSOR, PACKET_SENSOR, COLLECTOR):
        h = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
        check(f"{binary.name} has no --metrics option: its counters travel in its heartbeats",
              "--heartbeat" in h and "--metrics" not in h)

    print("== /metrics against docs/metrics.md")
    scrape = http_get(f"http://127.0.0.1:{metrics_port}/metrics")
    (WORK / "metrics.txt").write_text(scrape)
    r = subprocess.run(["promtool", "check", "metrics"], input=scrape, capture_output=True, text=True)
    check("promtool check metrics finds nothing to fix", r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr)
    exported = exported_families(scrape)
    documented = sd.documented_metrics()
    missing = sorted(set(documented) - set(exported))
    undocumented = sorted(set(exported) - set(documented))
    check(f"every documented family is exported ({len(documented)})", not missing, missing)
    check(f"every exported family is documented ({len(exported)})", not undocumented, undocumented)
    for name in sorted(set(documented) & set(exported)):
        dtype, dlabels = documented[name]
        etype, elabels = exported[name]
        check(f"{name}: {etype}, labels {sorted(elabels)}", (dtype, dlabels) == (etype, elabels),
              f"docs/metrics.md says {dtype} {sorted(dlabels)}")
    for label in ("ip", "address", "source_ip", "destination_ip", "user"):
        check(f"no label named {label}", not re.search(r"[{,]%s=" % label, scrape))
    values_ok = not re.search(r'="(\d{1,3}\.){3}\d{1,3}"', scrape)
    check("no label value is a bare IP address", values_ok)

    print("== the panels' queries")
    results = {"prometheus": {"start": t0, "end": t_end}, "dashboards": {}}
    used = set()
    for file, d in sd.load_dashboards():
        out = results["dashboards"][file] = {"title": d["title"], "panels": {}}
        for v in d["templating"]["list"]:
            if v["type"] != "query":
                continue
            selector, label = sd.label_values_query(v["query"]["query"])
            answer = prom.api("series", **{"match[]": sd.substitute(selector), "start": f"{t0:.0f}", "end": f"{t_end:.0f}"})
            values = sorted({s.get(label) for s in answer.get("data", []) if s.get(label)})
            check(f"{file}: variable {v['name']} resolves ({', '.join(values[:6])}{'...' if len(values) > 6 else ''})",
                  answer.get("status") == "success" and values, answer)
        for p in sd.panels(d):
            if p["type"] == "row":
                continue
            no_value = p["fieldConfig"]["defaults"].get("noValue")
            presults = out["panels"][str(p["id"])] = {}
            for t in p["targets"]:
                expr = sd.substitute(t["expr"])
                used |= sd.metric_names(expr)
                answer = prom.query(expr)
                where = f"{file}: '{p['title']}' {t['refId']}"
                if not check(f"{where} runs", answer.get("status") == "success", f"{expr}\n{answer}"):
                    continue
                series = answer["data"]["result"]
                pend = sd.pending_for(t["expr"])
                if series or not (no_value or pend):
                    check(f"{where} shows data ({len(series)} series)", bool(series), expr)
                elif pend:
                    print(f"pending: {where} is empty until {' and '.join(x.branch for x in pend)} land "
                          f"({'; '.join(x.what for x in pend)})")
                else:
                    print(f"empty as documented: {where}: \"{no_value}\"")
                entry = presults[t["refId"]] = {"expr": expr, "instant": series}
                if pend and not series:
                    entry["pending"] = "; ".join(f"{x.branch}: {x.what}" for x in pend)
                if p["type"] in ("timeseries", "state-timeline"):
                    rng = prom.query_range(expr, t0, t_end, "2")
                    entry["range"] = rng.get("data", {}).get("result", [])
            check_columns(file, p, presults)

    print("== the rules")
    for rule in sd.load_rules():
        name = rule.get("alert") or rule.get("record")
        used |= sd.metric_names(rule["expr"])
        answer = prom.query(rule["expr"])
        if not check(f"{name} runs", answer.get("status") == "success", answer):
            continue
        series = answer["data"]["result"]
        pend = sd.pending_for(rule["expr"])
        if series:
            check(f"{name} returns data ({len(series)} series)", True)
        elif pend:
            print(f"pending: {name} is empty until {' and '.join(x.branch for x in pend)} land "
                  f"({'; '.join(x.what for x in pend)})")
        elif name in QUIET:
            why, probe = QUIET[name]
            a = prom.query(probe)
            check(f"{name} is quiet in this scenario ({why}); its metrics are there: {probe}",
                  a.get("status") == "success" and a["data"]["result"], a)
        else:
            check(f"{name} returns data", False, rule["expr"])
    groups = prom.api("rules").get("data", {}).get("groups", [])
    evaluated = [r for g in groups for r in g["rules"]]
    check(f"Prometheus loaded every rule ({len(evaluated)})", len(evaluated) == len(sd.load_rules()))
    bad = [(r["name"], r.get("lastError")) for r in evaluated if r.get("health") != "ok"]
    check("Prometheus evaluates every rule without error", not bad, bad)
    active = prom.api("alerts").get("data", {}).get("alerts", [])
    for alert, (label, value) in EXPECTED_ALERTS.items():
        hit = [a for a in active if a["labels"].get("alertname") == alert and
               (label is None or a["labels"].get(label) == value)]
        check(f"{alert} is {hit[0]['state'] if hit else 'absent'}" + (f" for {label}={value}" if label else ""),
              bool(hit) and hit[0]["state"] in ("pending", "firing"), [a["labels"] for a in active])
    alerts_fired = sorted({a["labels"]["alertname"] for a in active})
    results["alerts"] = [{"labels": a["labels"], "state": a["state"]} for a in active]

    print("== what the panels and rules say")
    at = f"{time.time():.3f}"

    def value(expr, **labels):
        a = prom.api("query", query=expr, time=at)
        for series in a.get("data", {}).get("result", []):
            if all(series["metric"].get(k) == v for k, v in labels.items()):
                return float(series["value"][1])
        return None

    overview = dict(sd.load_dashboards())["soc-overview.json"]
    by_title = {p["title"]: p for p in overview["panels"]}
    # Alerts raised since Prometheus first scraped the correlator: the total now less the total then.
    first = prom.query_range("sum(soc_alerts_total)", t0 - 30, t0 + 30, "1")["data"]["result"]
    raised = value("sum(soc_alerts_total)") - float(first[0]["values"][0][1]) if first else None
    shown = value(sd.substitute(by_title["Alerts, last hour"]["targets"][0]["expr"]))
    # Exact for the series that appeared since; increase() extrapolates those older by a fraction.
    check(f"'Alerts, last hour' counts every alert raised while Prometheus watched ({shown} ~ {raised}), the "
          "first of each rule at each site included", raised and shown is not None and abs(shown - raised) < 1)
    naive = value('sum(increase(soc_alerts_total[1h]))')
    print(f"(increase() alone would show {naive})")
    lost = next(r for r in sd.load_rules() if r.get("alert") == "SocEventsLost")["expr"]
    check(f"SocEventsLost counts the {troubled['lost']} events troubled_sensor's link lost",
          value(lost, sensor="log-xa-thachha") == troubled["lost"], value(lost, sensor="log-xa-thachha"))
    check(f"and no loss for the real sensors", value(lost, sensor="pkt-dc-hatinh") is None)
    trouble = by_title["Sites in trouble now"]
    down = value(sd.substitute(trouble["targets"][1]["expr"]), site="xa-kyanh")
    check("'Sites in trouble now' has xa-kyanh's silent sensor", down == 1, down)
    days = value("(soc_license_expiry_timestamp_seconds - time()) / 86400", asset="sw-dc-core")
    check(f"the switch added with 20 days of support shows {days} days left", days is not None and 19 < days <= 21)
    drops = value("sensor:soc_sensor_capture_drop_ratio:rate5m", sensor="pkt-dc-mirror")
    check(f"the stopped live capture dropped packets (ratio {drops})", drops is not None and drops > 0.01)

    print("== metric names against the correlator's output")
    recorded = {r["record"] for r in sd.load_rules() if "record" in r}
    for name in sorted(used):
        if name in sd.PROMETHEUS_OWN or name in recorded or sd.is_pending_name(name):
            continue
        check(f"{name} is in the correlator's /metrics", sd.family_of(name) in exported)
    for p in sd.PENDING:
        answer = prom.query(p.probe)
        landed = answer.get("status") == "success" and answer["data"]["result"]
        check(f"still pending on {p.branch}: {p.probe}", not landed,
              "it returns data now: delete this entry of soc_dashboards.PENDING")

    print("== the correlator stops")
    stop(correlator)
    expr = next(r["expr"] for r in sd.load_rules() if r.get("alert") == "SocCorrelatorDown")
    down = None
    for _ in range(30):
        down = prom.query(expr)
        alerts = prom.api("alerts").get("data", {}).get("alerts", [])
        if down["data"]["result"] and any(a["labels"]["alertname"] == "SocCorrelatorDown" for a in alerts):
            break
        time.sleep(0.5)
    check("SocCorrelatorDown's expression returns the stopped correlator", bool(down and down["data"]["result"]), down)
    check("and the alert is pending", any(a["labels"]["alertname"] == "SocCorrelatorDown" and a["state"] == "pending"
                                          for a in prom.api("alerts")["data"]["alerts"]))

    print("== the pictures")
    (WORK / "results.json").write_text(json.dumps(results))
    out_dir = Path(os.environ.get("SOC_DASHBOARD_PICTURES") or WORK / "img")
    if not out_dir.is_absolute():
        out_dir = SRC / out_dir
    r = subprocess.run([sys.executable, SRC / "dashboards" / "draw_panels.py", WORK / "results.json", out_dir],
                       capture_output=True, text=True)
    check("draw_panels.py draws every dashboard", r.returncode == 0, r.stdout + r.stderr)
    for file, _ in sd.load_dashboards():
        png = out_dir / f"dashboard-{Path(file).stem}.png"
        check(f"{png.name} is a picture", png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
              and png.stat().st_size > 20000)
    print(f"alerts pending or firing in Prometheus: {', '.join(alerts_fired)}")


def exported_families(text):
    """{family: (type, frozenset(labels))} of a text exposition."""
    types, labels = {}, {}
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            types[m.group(1)] = m.group(2)
            labels.setdefault(m.group(1), set())
            continue
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ", line)
        if not m:
            continue
        family = m.group(1)
        if family not in types:
            family = sd.family_of(family)
        names = set(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="', m.group(2) or "")) - {"le"}
        labels.setdefault(family, set()).update(names)
    return {f: (types.get(f, "untyped"), frozenset(labels.get(f, ()))) for f in types}


def check_columns(file, panel, presults):
    """The columns a table panel renames must come out of its queries' results."""
    if panel["type"] != "table" or not all(presults.get(t["refId"], {}).get("instant") for t in panel["targets"]):
        return
    produced = set()
    for ref, entry in presults.items():
        if entry["instant"]:
            produced.add(f"Value #{ref}" if len(panel["targets"]) > 1 else "Value")
            for s in entry["instant"]:
                produced |= set(s["metric"])
    if not produced:
        return
    for tr in panel.get("transformations", []):
        if tr["id"] == "organize":
            for field in tr["options"].get("renameByName", {}):
                check(f"{file}: '{panel['title']}' column {field} comes out of its queries", field in produced,
                      sorted(produced))


if __name__ == "__main__":
    try:
        main()
    finally:
        cleanup()
    if FAILS:
        print(f"{len(FAILS)} checks failed")
        sys.exit(1)
    print("all checks passed")
