"""What the dashboards' tests share: reading the Grafana dashboards, the Prometheus rules and
docs/metrics.md, the checks Grafana needs to import a dashboard, the PromQL of every panel with
its variables replaced, and the list of expressions that wait for other branches.

Used by tests/e2e/dashboards_lint_test.py (files alone) and tests/e2e/dashboards_test.py (a real
Prometheus scraping a real correlator). Standard library and python3-yaml only.
"""
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

SRC = Path(os.environ.get("SRC") or Path(__file__).resolve().parents[2])
DASHBOARDS = SRC / "dashboards"
GRAFANA = DASHBOARDS / "grafana"
RULE_FILES = [DASHBOARDS / "prometheus" / "soc-recording.rules.yml", DASHBOARDS / "prometheus" / "soc-alerts.rules.yml"]
METRICS_DOC = SRC / "docs" / "metrics.md"

# Grafana 10.4 and 11 write schemaVersion 39 to 41; older numbers are migrated on import.
SCHEMA_VERSIONS = range(39, 42)
PANEL_TYPES = {"timeseries", "stat", "table", "bargauge", "gauge", "state-timeline", "status-history", "row",
               "text", "piechart", "barchart", "heatmap"}
TRANSFORMATIONS = {"merge", "organize", "filterByValue", "joinByField", "sortBy", "reduce", "seriesToRows",
                   "labelsToFields", "calculateField", "filterFieldsByName"}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# What Grafana puts in for its own variables, as the tests send the queries (Prometheus scrapes the
# correlator every second there; in production $__rate_interval is at least 4 scrape intervals).
BUILTINS = {"__rate_interval": "1m", "__interval": "15s", "__range": "5m"}
# Metrics Prometheus records itself (not in docs/metrics.md).
PROMETHEUS_OWN = {"up", "scrape_duration_seconds"}


# --- pending on other branches -------------------------------------------------------------------

@dataclass
class Pending:
    branch: str   # the branch (and issue) that adds it
    pattern: str  # a regular expression matching the expressions that depend on it
    probe: str    # a query that returns data once it has landed
    what: str


# Expressions that use metrics, or label values, that other branches are adding now and that
# main does not export yet. The end-to-end test still sends them to Prometheus (they must parse
# and run) but accepts an empty answer. When a probe returns data, the branch has landed: the
# test fails and names the entry to delete (merge main, delete the entry, the panel must now show
# data). The lint test accepts their metric names without a docs/metrics.md row.
PENDING = [
]


def pending_for(expr):
    """The PENDING entries `expr` depends on, directly or through a recording rule."""
    recorded = {r["record"]: r["expr"] for r in load_rules() if "record" in r}
    text = expr + "".join(recorded[n] for n in metric_names(expr) if n in recorded)
    return [p for p in PENDING if re.search(p.pattern, text)]


def is_pending_name(name):
    """A metric name that another branch is adding (a PENDING pattern matches it)."""
    return any(re.search(p.pattern, name) for p in PENDING)


# --- reading -------------------------------------------------------------------------------------

def load_dashboards():
    return [(path.name, json.loads(path.read_text(encoding="utf-8"))) for path in sorted(GRAFANA.glob("*.json"))]


def load_rules():
    """Every rule of the rule files: dicts with `record` or `alert`, `expr`, and `file`."""
    out = []
    for path in RULE_FILES:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for group in doc["groups"]:
            for rule in group["rules"]:
                out.append(dict(rule, file=path.name, group=group["name"]))
    return out


def documented_metrics():
    """docs/metrics.md's tables: {name: (type, frozenset(labels))}."""
    out = {}
    for line in METRICS_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 7 or not re.fullmatch(r"`soc_[a-z0-9_]+`", cells[1]):
            continue
        labels = frozenset(re.findall(r"`([a-z_]+)`", cells[4]))
        out[cells[1].strip("`")] = (cells[2], labels)
    return out


# --- panels and queries --------------------------------------------------------------------------

def panels(dashboard):
    for p in dashboard["panels"]:
        yield p
        yield from p.get("panels", [])  # a collapsed row holds its panels


def panel_targets(dashboard):
    for p in panels(dashboard):
        for t in p.get("targets", []):
            yield p, t


def variable_names(dashboard):
    return [v["name"] for v in dashboard.get("templating", {}).get("list", [])]


VARIABLE = re.compile(r"\$\{([A-Za-z_]\w*)(?::\w+)?\}|\$([A-Za-z_]\w*)")


def substitute(expr, match_all=".*"):
    """A panel's query as Grafana sends it with every variable at "All" (its regex `.*`). `$1` in a
    label_replace() is not a variable: Grafana leaves it, and so does this."""
    def repl(m):
        name = m.group(1) or m.group(2)
        return BUILTINS.get(name, match_all)
    return VARIABLE.sub(repl, expr)


def label_values_query(query):
    """`label_values(SELECTOR, LABEL)` or `label_values(LABEL)` -> (selector or None, label)."""
    m = re.fullmatch(r"\s*label_values\((?:(.*),)?\s*(\w+)\s*\)\s*", query)
    if not m:
        return None
    return (m.group(1).strip() if m.group(1) else None), m.group(2)


def metric_names(expr):
    """Metric names (and recording rules) an expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)           # no string literals
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\{[^}]*\}", " ", text)                    # no matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)                   # no ranges
    names = set()
    for m in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = m.group(0)
        following = text[m.end():].lstrip()
        if following.startswith("("):
            continue  # a function or an aggregation
        if word in {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
                    "bool", "offset", "inf", "nan", "Inf", "NaN"}:
            continue
        if word.startswith("soc_") or ":" in word or word in PROMETHEUS_OWN:
            names.add(word)
    # Selectors like {__name__=~"soc_.+"} name no one metric.
    return names


def family_of(name):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def all_expressions():
    """(where, expr) for every panel query, variable query and rule of the dashboards/ folder."""
    out = []
    for file, d in load_dashboards():
        for p, t in panel_targets(d):
            out.append((f"{file}: panel {p['id']} '{p['title']}' {t['refId']}", t["expr"]))
        for v in d.get("templating", {}).get("list", []):
            if v.get("type") == "query":
                lv = label_values_query(v["query"]["query"])
                if lv and lv[0]:
                    out.append((f"{file}: variable {v['name']}", lv[0]))
    for r in load_rules():
        out.append((f"{r['file']}: {r.get('alert') or r.get('record')}", r["expr"]))
    return out


# --- what Grafana needs to import a dashboard ----------------------------------------------------

def static_problems(file, d):
    """Problems that would stop Grafana importing `d`, or leave a panel without data."""
    problems = []

    def bad(msg):
        problems.append(f"{file}: {msg}")

    uid = d.get("uid")
    if not isinstance(uid, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", uid):
        bad(f"uid {uid!r} is not 1-40 letters, digits, - or _")
    if not isinstance(d.get("title"), str) or not d["title"].strip():
        bad("no title")
    if d.get("schemaVersion") not in SCHEMA_VERSIONS:
        bad(f"schemaVersion {d.get('schemaVersion')!r} is not one of Grafana 10.4/11 ({list(SCHEMA_VERSIONS)})")
    if d.get("id") is not None:
        bad("id must be null (Grafana assigns it; a fixed id overwrites another dashboard)")
    if not isinstance(d.get("panels"), list) or not d["panels"]:
        bad("no panels")
        return problems

    variables = d.get("templating", {}).get("list", [])
    names = [v.get("name") for v in variables]
    if len(set(names)) != len(names):
        bad(f"variable names repeat: {names}")
    ds = [v for v in variables if v.get("name") == "datasource"]
    if not ds or ds[0].get("type") != "datasource" or ds[0].get("query") != "prometheus":
        bad("no `datasource` variable of type datasource listing prometheus data sources")
    for v in variables:
        if v.get("type") == "query":
            if v.get("datasource") != DATASOURCE:
                bad(f"variable {v['name']}: datasource is not ${{datasource}}")
            q = v.get("query")
            query = q.get("query") if isinstance(q, dict) else q
            if not query or label_values_query(query) is None:
                bad(f"variable {v['name']}: query {query!r} is not label_values(...)")
            if v.get("definition") != query:
                bad(f"variable {v['name']}: definition differs from the query")
            if v.get("includeAll") and v.get("allValue") not in (".*", ".+"):
                bad(f"variable {v['name']}: 'All' must be the regex .* (got {v.get('allValue')!r})")
        elif v.get("type") == "custom":
            if not v.get("query"):
                bad(f"variable {v['name']}: custom variable without values")
        elif v.get("type") != "datasource":
            bad(f"variable {v['name']}: type {v.get('type')!r} not used here")
    defined = set(names) | set(BUILTINS)

    ids = []
    boxes = []
    for p in panels(d):
        where = f"panel {p.get('id')} '{p.get('title')}'"
        ids.append(p.get("id"))
        if not isinstance(p.get("id"), int):
            bad(f"{where}: id is not an integer")
        if p.get("type") not in PANEL_TYPES:
            bad(f"{where}: unknown panel type {p.get('type')!r}")
        if not p.get("title"):
            bad(f"{where}: no title")
        g = p.get("gridPos", {})
        if not all(isinstance(g.get(k), int) for k in ("x", "y", "w", "h")):
            bad(f"{where}: gridPos needs integer x, y, w, h")
            continue
        if g["x"] < 0 or g["y"] < 0 or g["w"] < 1 or g["h"] < 1 or g["x"] + g["w"] > 24:
            bad(f"{where}: gridPos {g} is outside the 24 columns")
        for other_where, o in boxes:
            if (g["x"] < o["x"] + o["w"] and o["x"] < g["x"] + g["w"] and
                    g["y"] < o["y"] + o["h"] and o["y"] < g["y"] + g["h"]):
                bad(f"{where}: overlaps {other_where}")
        boxes.append((where, g))
        if p.get("type") == "row":
            continue
        if not p.get("description"):
            bad(f"{where}: no description (the analyst's tooltip)")
        if p.get("datasource") != DATASOURCE:
            bad(f"{where}: datasource is not ${{datasource}}: {p.get('datasource')!r}")
        targets = p.get("targets") or []
        if not targets:
            bad(f"{where}: no targets")
        refs = [t.get("refId") for t in targets]
        if len(set(refs)) != len(refs) or not all(refs):
            bad(f"{where}: refIds missing or repeated: {refs}")
        for t in targets:
            if t.get("datasource") != DATASOURCE:
                bad(f"{where} {t.get('refId')}: target datasource is not ${{datasource}}")
            if not t.get("expr"):
                bad(f"{where} {t.get('refId')}: no expr")
                continue
            for m in VARIABLE.finditer(t["expr"]):
                name = m.group(1) or m.group(2)
                if name not in defined:
                    bad(f"{where} {t.get('refId')}: variable ${name} is not defined")
        fc = p.get("fieldConfig")
        if not isinstance(fc, dict) or not isinstance(fc.get("defaults"), dict) or not isinstance(
                fc.get("overrides"), list):
            bad(f"{where}: fieldConfig needs defaults and overrides")
        no_value = (fc or {}).get("defaults", {}).get("noValue")
        if no_value is not None and not (isinstance(no_value, str) and no_value.strip()):
            bad(f"{where}: noValue must be words saying what empty means")
        renamed = set()
        for tr in p.get("transformations", []):
            if tr.get("id") not in TRANSFORMATIONS:
                bad(f"{where}: unknown transformation {tr.get('id')!r}")
            if tr.get("id") == "organize":
                renamed |= set(tr["options"].get("renameByName", {}).values())
            if tr.get("id") == "filterByValue":
                for f in tr["options"].get("filters", []):
                    if f.get("fieldName") not in renamed:
                        bad(f"{where}: filterByValue on {f.get('fieldName')!r}, which no organize step names")
    if len(set(ids)) != len(ids):
        bad(f"panel ids repeat: {sorted(i for i in ids if ids.count(i) > 1)}")
    return problems
