#!/usr/bin/env python3
"""The dashboards/ folder, checked alone (no correlator, no Prometheus server):

- the Grafana dashboards are what dashboards/grafana/generate.py writes, and each has what
  Grafana needs to import it (uid, title, a current schemaVersion, the datasource variable,
  panels with unique ids inside the 24 columns, targets on ${datasource}, defined variables);
- the Prometheus rules pass `promtool check rules` and their unit tests `promtool test rules`;
  every alert has a severity the Alertmanager example routes, its annotations and a runbook
  section in docs/dashboards.md, and a unit test where it fires and one where it does not;
  every recording rule has a unit test of its value;
- the example prometheus.yml passes `promtool check config`; the Alertmanager example passes
  `amtool check-config` and routes each kind of alert to the receivers it documents;
- every metric a dashboard or rule reads is listed in docs/metrics.md (or waits for another
  branch: soc_dashboards.PENDING);
- the provisioning files point Grafana at the dashboards and a Prometheus data source.
The end-to-end test (dashboards_test.py) runs every query against a real Prometheus.
"""
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import soc_dashboards as sd  # noqa: E402

FAILS = []


def check(what, ok, detail=""):
    print(("ok: " if ok else "FAIL: ") + what + ("" if ok or not detail else "\n    " + detail.replace("\n", "\n    ")))
    if not ok:
        FAILS.append(what)


def run(args, cwd=None):
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def need(*tools):
    for t in tools:
        if subprocess.run(["sh", "-c", f"command -v {t}"], capture_output=True).returncode != 0:
            print(f"SKIP: {t} is not installed (scripts/setup.sh installs it)")
            sys.exit(77)


need("promtool", "amtool")
PROM = sd.DASHBOARDS / "prometheus"

print("== Grafana dashboards")
rc, out = run([sys.executable, str(sd.GRAFANA / "generate.py"), "--check"])
check("the dashboards are what generate.py writes", rc == 0, out)
dashboards = sd.load_dashboards()
check("four dashboards", [f for f, _ in dashboards] ==
      ["soc-assets.json", "soc-correlator.json", "soc-overview.json", "soc-sensors.json"], str([f for f, _ in dashboards]))
for file, d in dashboards:
    problems = sd.static_problems(file, d)
    check(f"{file} ({d.get('title')}) has what Grafana needs to import it", not problems, "\n".join(problems))
uids = [d["uid"] for _, d in dashboards]
titles = [d["title"] for _, d in dashboards]
check("uids and titles are unique", len(set(uids)) == len(uids) and len(set(titles)) == len(titles))
for file, d in dashboards:
    variables = sd.variable_names(d)
    uses_site = any("$site" in t["expr"] for _, t in sd.panel_targets(d))
    check(f"{file}: a `site` variable when panels filter by site", not uses_site or "site" in variables)
    uses_severity = any("$severity" in t["expr"] for _, t in sd.panel_targets(d))
    check(f"{file}: a `severity` variable when panels filter by severity", not uses_severity or "severity" in variables)
    uuid_legends = [p["title"] for p, t in sd.panel_targets(d)
                    if "{{rule}}" in t.get("legendFormat", "")]
    check(f"{file}: no legend shows a rule id (rules are shown by name)", not uuid_legends, str(uuid_legends))

print("== the mutation a lint must catch")
broken = dict(dashboards[0][1])
broken["panels"] = [dict(p) for p in broken["panels"]]
broken["panels"][1] = dict(broken["panels"][1], id=broken["panels"][0]["id"],
                           gridPos=dict(broken["panels"][1]["gridPos"], x=20, w=8),
                           datasource={"type": "prometheus", "uid": "P1809F7CD0C75ACF3"})
problems = sd.static_problems("mutated", broken)
check("a repeated id, a panel beyond 24 columns and a fixed data source are each reported",
      any("ids repeat" in p for p in problems) and any("24 columns" in p for p in problems)
      and any("datasource is not" in p for p in problems), "\n".join(problems))

print("== Prometheus rules")
rc, out = run(["promtool", "check", "rules"] + [str(f) for f in sd.RULE_FILES])
check("promtool check rules", rc == 0, out)
tests = sorted((PROM / "tests").glob("*.yml"))
rc, out = run(["promtool", "test", "rules"] + [str(t) for t in tests])
check(f"promtool test rules ({', '.join(t.name for t in tests)})", rc == 0 and "SUCCESS" in out, out)
rc, out = run(["promtool", "check", "config", str(PROM / "prometheus.yml")])
check("promtool check config prometheus.yml (with its rule files)", rc == 0, out)

# A rule that breaks its own test must make promtool fail: the tests are not vacuous.
with tempfile.TemporaryDirectory() as tmp:
    t = Path(tmp)
    (t / "tests").mkdir()
    for f in sd.RULE_FILES:
        (t / f.name).write_text(f.read_text().replace("> 0.01", "> 0.5").replace("for: 5m", "for: 7m"))
    for f in tests:
        (t / "tests" / f.name).write_text(f.read_text())
    rc, out = run(["promtool", "test", "rules"] + [str(t / "tests" / f.name) for f in tests])
    check("the unit tests fail when a threshold or a `for` changes", rc != 0 and "SocCaptureDropsHigh" in out
          and "SocSensorDown" in out, out[-2000:])

rules = sd.load_rules()
alerts = [r for r in rules if "alert" in r]
records = [r for r in rules if "record" in r]
check("alerting rules for what must reach someone without a detection rule",
      {"SocCorrelatorDown", "SocSensorDown", "SocSensorSilent", "SocLicenseExpired", "SocLicenseExpiring",
       "SocCaptureDropsHigh", "SocEventsLost", "SocAlertDeliveryFailing", "SocRuleReloadFailing"}
      <= {a["alert"] for a in alerts}, str(sorted(a["alert"] for a in alerts)))
runbook = (sd.SRC / "docs" / "dashboards.md").read_text(encoding="utf-8")
anchors = {re.sub(r"[^a-z0-9 _-]", "", h.strip().lower()).replace(" ", "-")
           for h in re.findall(r"^#+ (.+)$", runbook, flags=re.M)}
fired, quiet = set(), set()
tested_records = set()
for f in tests:
    doc = yaml.safe_load(f.read_text())
    for case in doc["tests"]:
        for a in case.get("alert_rule_test", []):
            (fired if a.get("exp_alerts") else quiet).add(a["alertname"])
        for e in case.get("promql_expr_test", []):
            tested_records |= sd.metric_names(e["expr"])
for a in alerts:
    name = a["alert"]
    sev = a.get("labels", {}).get("severity")
    check(f"{name}: severity {sev} is critical, warning or info", sev in ("critical", "warning", "info"))
    ann = a.get("annotations", {})
    check(f"{name}: summary, description and runbook", all(ann.get(k) for k in ("summary", "description", "runbook")))
    anchor = ann.get("runbook", "").partition("#")[2]
    check(f"{name}: its runbook section exists in docs/dashboards.md (#{anchor})", anchor in anchors)
    check(f"{name}: a unit test where it fires and one where it does not", name in fired and name in quiet,
          f"fires in a test: {name in fired}, stays quiet in a test: {name in quiet}")
for r in records:
    check(f"recording rule {r['record']}: a unit test of its value", r["record"] in tested_records)

print("== Alertmanager example")
AM = str(sd.DASHBOARDS / "alertmanager" / "alertmanager.yml")
rc, out = run(["amtool", "check-config", AM])
check("amtool check-config alertmanager.yml", rc == 0 and "SUCCESS" in out, out)
# Each kind of alert and who it reaches (docs/dashboards.md, "Alertmanager").
ROUTES = [
    ("severity=critical alertname=SocSensorDown site=xa-kyanh", "oncall-pager,communes-team"),
    ("severity=critical alertname=SocCorrelatorDown", "oncall-pager"),
    ("severity=high alertname=SSH_brute_force site=dc-hatinh", "oncall-pager,datacenter-team"),
    ("severity=warning alertname=SocCaptureDropsHigh site=dc-hatinh", "datacenter-team"),
    ("severity=medium alertname=Required_equipment_missing site=xa-thachha", "communes-team"),
    ("severity=warning alertname=SocRuleReloadFailing", "soc-analysts"),
    ("severity=info alertname=SocLicenseExpiring", "soc-planning"),
    ("severity=info alertname=SocLicenseExpiring site=xa-kyanh", "communes-team"),
]
for labels, receivers in ROUTES:
    rc, out = run(["amtool", "config", "routes", "test", "--config.file", AM, "--verify.receivers", receivers]
                  + labels.split())
    check(f"{labels} -> {receivers}", rc == 0, out)
rc, out = run(["amtool", "config", "routes", "test", "--config.file", AM, "--verify.receivers", "soc-analysts",
               "severity=critical", "site=dc-hatinh"])
check("a wrong expectation is refused by amtool (the route test can fail)", rc != 0, out)
am = yaml.safe_load(Path(AM).read_text())
urls = [c["url"] for r in am["receivers"] for c in r.get("webhook_configs", [])]
check("the example's receivers are on loopback only", urls and all(u.startswith("http://127.0.0.1:") for u in urls),
      str(urls))

print("== metric names")
documented = sd.documented_metrics()
check("docs/metrics.md lists the correlator's families", len(documented) >= 40, str(len(documented)))
recorded = {r["record"] for r in records}
for where, expr in sd.all_expressions():
    for name in sorted(sd.metric_names(expr)):
        family = sd.family_of(name)
        ok = (family in documented or name in recorded or name in sd.PROMETHEUS_OWN or sd.is_pending_name(name))
        if not ok:
            check(f"{where}: {name} is in docs/metrics.md", False, expr)
check("every metric a dashboard or rule reads is documented, recorded or pending", not any(
    "is in docs/metrics.md" in f for f in FAILS))

print("== provisioning")
prov = sd.DASHBOARDS / "provisioning"
dsdoc = yaml.safe_load((prov / "datasources" / "soc-prometheus.yml").read_text())
check("a Prometheus data source, the default", dsdoc.get("apiVersion") == 1 and any(
    d.get("type") == "prometheus" and d.get("isDefault") for d in dsdoc.get("datasources", [])))
pdoc = yaml.safe_load((prov / "dashboards" / "soc.yml").read_text())
check("a file provider for the dashboards", pdoc.get("apiVersion") == 1 and any(
    p.get("type") == "file" and p.get("options", {}).get("path") for p in pdoc.get("providers", [])))

if FAILS:
    print(f"{len(FAILS)} checks failed")
    sys.exit(1)
print("all checks passed")
