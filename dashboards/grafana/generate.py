#!/usr/bin/env python3
"""Writes the SOC's Grafana dashboards (dashboards/grafana/*.json) from the definitions below.

    python3 dashboards/grafana/generate.py          # rewrites the JSON files, byte for byte the same
    python3 dashboards/grafana/generate.py --check  # exit 1 when a JSON file differs from this script

The JSON files are what an operator imports or provisions (dashboards/provisioning/); this script
keeps the four consistent (ids, grid, the datasource variable, colours) and is the place to
change them. tests/e2e/dashboards_lint_test.sh runs --check; tests/e2e/dashboards_test.py sends
every query to a real Prometheus scraping a real correlator.

Conventions (docs/dashboards.md):
- every panel and variable queries the `datasource` variable (type prometheus);
- `site`, `sensor`, `system` are multi-value query variables whose "All" is the regex `.*`;
  `severity` is the five words the correlator uses;
- a panel whose queries may rightly return nothing says so in `fieldConfig.defaults.noValue`:
  the text Grafana shows instead of "No data" ("no drops"); every other panel must show data
  in the end-to-end test;
- rules are shown by name, not by id (join with soc_rule_info), sites by id with their names
  from soc_site_info in tables.
"""
import json
import sys
from pathlib import Path

SCHEMA_VERSION = 39  # Grafana 10.4 / 11.x
DS = {"type": "prometheus", "uid": "${datasource}"}
HERE = Path(__file__).resolve().parent

SEVERITY_COLOURS = {
    "critical": "dark-red",
    "high": "red",
    "medium": "orange",
    "low": "yellow",
    "informational": "blue",
}
# soc_requirement_status's `status` words (the report's six words, docs/report.md).
STATUS_COLOURS = {
    "met": ("green", "met"),
    "partially_met": ("orange", "partially met"),
    "not_met": ("red", "not met"),
    "not_applicable": ("text", "not applicable"),
    "not_assessable": ("purple", "not assessable"),
    "waived": ("blue", "waived"),
}
UP_MAPPING = [{"type": "value", "options": {
    "0": {"text": "DOWN", "color": "red", "index": 0},
    "1": {"text": "UP", "color": "green", "index": 1}}}]


# --- variables ---------------------------------------------------------------------------------

def datasource_variable():
    return {
        "current": {}, "hide": 0, "includeAll": False, "label": "Data source", "multi": False,
        "name": "datasource", "options": [], "query": "prometheus", "queryValue": "", "refresh": 1,
        "regex": "", "skipUrlSync": False, "type": "datasource",
    }


def query_variable(name, label, query, description):
    return {
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "datasource": DS, "definition": query, "description": description, "hide": 0,
        "includeAll": True, "allValue": ".*", "label": label, "multi": True, "name": name,
        "options": [],
        "query": {"qryType": 1, "query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
        "refresh": 2, "regex": "", "skipUrlSync": False, "sort": 1, "type": "query",
    }


def severity_variable():
    words = list(SEVERITY_COLOURS)
    return {
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "description": "Alert severity, as the correlator words it (event.severity 5 to 1).",
        "hide": 0, "includeAll": True, "allValue": ".*", "label": "Severity", "multi": True,
        "name": "severity",
        "options": [{"selected": False, "text": w, "value": w} for w in words],
        "query": ",".join(words), "skipUrlSync": False, "type": "custom",
    }


SITE_VAR = query_variable(
    "site", "Site", 'label_values({__name__=~"soc_.+", site!=""}, site)',
    "Sites of the inventory and of the sensors (site ids).")


# --- panels ------------------------------------------------------------------------------------

def target(expr, legend="", ref="A", instant=False, table=False):
    return {
        "datasource": DS, "editorMode": "code", "expr": expr, "legendFormat": legend or "__auto",
        "range": not instant, "instant": instant, "format": "table" if table else "time_series",
        "refId": ref,
    }


def thresholds(*steps):
    """steps: colour, then (value, colour) pairs: thresholds('green', (1, 'red'))."""
    out = [{"color": steps[0], "value": None}]
    for value, colour in steps[1:]:
        out.append({"color": colour, "value": value})
    return {"mode": "absolute", "steps": out}


def panel(kind, title, description, targets, unit="short", no_value=None, defaults=None, options=None,
          overrides=None, transformations=None, w=12, h=8):
    d = {"unit": unit, "color": {"mode": "palette-classic"}, "mappings": [],
         "thresholds": thresholds("green")}
    if no_value:
        d["noValue"] = no_value
    d.update(defaults or {})
    p = {
        "type": kind, "title": title, "description": description, "datasource": DS,
        "targets": [dict(t, refId=chr(ord("A") + i)) for i, t in enumerate(targets)],
        "fieldConfig": {"defaults": d, "overrides": overrides or []},
        "options": options or {},
        "gridPos": {"w": w, "h": h},
    }
    if transformations:
        p["transformations"] = transformations
    return p


def timeseries(title, description, targets, unit="short", axis="", stack=False, bars=False, **kw):
    custom = {
        "axisLabel": axis, "axisPlacement": "auto", "drawStyle": "bars" if bars else "line",
        "fillOpacity": 60 if bars else 10, "gradientMode": "none", "lineWidth": 1,
        "lineInterpolation": "linear", "pointSize": 4, "showPoints": "never", "spanNulls": False,
        "stacking": {"group": "A", "mode": "normal" if stack else "none"},
        "thresholdsStyle": {"mode": "off"},
    }
    defaults = dict(kw.pop("defaults", {}))
    defaults["custom"] = custom
    options = {"legend": {"calcs": ["lastNotNull", "max"], "displayMode": "table", "placement": "right",
                          "showLegend": True},
               "tooltip": {"mode": "multi", "sort": "desc"}}
    return panel("timeseries", title, description, targets, unit=unit, defaults=defaults, options=options, **kw)


def stat(title, description, expr, unit="short", steps=("green",), mappings=None, decimals=None, **kw):
    defaults = {"thresholds": thresholds(*steps), "color": {"mode": "thresholds"}}
    if mappings:
        defaults["mappings"] = mappings
    if decimals is not None:
        defaults["decimals"] = decimals
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
               "colorMode": "background", "graphMode": "none", "justifyMode": "center",
               "orientation": "auto", "textMode": "value", "wideLayout": True, "showPercentChange": False}
    kw.setdefault("w", 4)
    kw.setdefault("h", 4)
    return panel("stat", title, description, [target(expr, instant=True)], unit=unit, defaults=defaults,
                 options=options, **kw)


def bargauge(title, description, expr, legend, unit="short", steps=("green",), decimals=None, min_zero=True, **kw):
    defaults = {"thresholds": thresholds(*steps), "color": {"mode": "thresholds"}}
    if min_zero:
        defaults["min"] = 0
    if decimals is not None:
        defaults["decimals"] = decimals
    options = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
               "orientation": "horizontal", "displayMode": "basic", "valueMode": "color",
               "namePlacement": "left", "showUnfilled": True, "sizing": "auto", "minVizHeight": 16,
               "minVizWidth": 8, "maxVizHeight": 300}
    return panel("bargauge", title, description, [target(expr, legend, instant=True)], unit=unit,
                 defaults=defaults, options=options, **kw)


def table(title, description, targets, columns, sort_by=None, filter_any_positive=None, overrides=None, **kw):
    """targets: instant table queries merged on their common labels. columns: {field: display name};
    fields not named are hidden (Time, __name__, job, instance)."""
    rename = {f: name for f, name in columns.items()}
    index = {f: i for i, f in enumerate(columns)}
    exclude = {f: True for f in ("Time", "__name__", "job", "instance")}
    transformations = [
        {"id": "merge", "options": {}},
        {"id": "organize", "options": {"excludeByName": exclude, "indexByName": index, "renameByName": rename}},
    ]
    if filter_any_positive:
        transformations.append({"id": "filterByValue", "options": {
            "type": "include", "match": "any",
            "filters": [{"fieldName": columns[f], "config": {"id": "greater", "options": {"value": 0}}}
                        for f in filter_any_positive]}})
    defaults = {"custom": {"align": "auto", "cellOptions": {"type": "auto"}, "filterable": True,
                           "inspect": False}}
    options = {"showHeader": True, "cellHeight": "sm",
               "footer": {"show": False, "reducer": ["sum"], "countRows": False, "fields": ""}}
    if sort_by:
        options["sortBy"] = [{"displayName": sort_by[0], "desc": sort_by[1]}]
    return panel("table", title, description, [dict(t, instant=True, range=False, format="table") for t in targets],
                 defaults=defaults, options=options, overrides=overrides, transformations=transformations, **kw)


def column(name, **props):
    """An override for one table column: unit, decimals, thresholds (coloured cells), mappings."""
    properties = []
    for key, value in props.items():
        if key == "cell":
            properties.append({"id": "custom.cellOptions", "value": {"type": value, "mode": "basic"}})
        elif key == "steps":
            properties.append({"id": "thresholds", "value": thresholds(*value)})
            properties.append({"id": "color", "value": {"mode": "thresholds"}})
        else:
            properties.append({"id": key, "value": value})
    return {"matcher": {"id": "byName", "options": name}, "properties": properties}


def state_timeline(title, description, expr, legend, mappings, **kw):
    defaults = {"custom": {"fillOpacity": 80, "lineWidth": 0}, "mappings": mappings,
                "color": {"mode": "thresholds"}, "thresholds": thresholds("green")}
    options = {"mergeValues": True, "showValue": "auto", "alignValue": "left", "rowHeight": 0.9,
               "legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
               "tooltip": {"mode": "single", "sort": "none"}}
    return panel("state-timeline", title, description, [target(expr, legend)], defaults=defaults,
                 options=options, **kw)


def row(title):
    return {"type": "row", "title": title, "collapsed": False, "panels": [], "gridPos": {"w": 24, "h": 1}}


def severity_overrides():
    return [{"matcher": {"id": "byName", "options": word},
             "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": colour}}]}
            for word, colour in SEVERITY_COLOURS.items()]


def layout(panels):
    """Places panels left to right in rows of 24 columns, in order; a row panel starts a new line."""
    x = y = line_h = 0
    for i, p in enumerate(panels, 1):
        p["id"] = i
        g = p["gridPos"]
        if p["type"] == "row" or x + g["w"] > 24:
            y += line_h
            x = line_h = 0
        g["x"], g["y"] = x, y
        if p["type"] == "row":
            y += 1
            continue
        x += g["w"]
        line_h = max(line_h, g["h"])
    return panels


def dashboard(uid, title, description, variables, panels):
    return {
        "annotations": {"list": [{
            "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
            "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
            "type": "dashboard"}]},
        "description": description,
        "editable": True,
        "fiscalYearStartMonth": 0,
        "graphTooltip": 1,
        "id": None,
        "links": [{"asDropdown": False, "icon": "external link", "includeVars": True, "keepTime": True,
                   "tags": ["soc"], "targetBlank": False, "title": "SOC dashboards", "type": "dashboards"}],
        "panels": layout(panels),
        "refresh": "30s",
        "schemaVersion": SCHEMA_VERSION,
        "tags": ["soc"],
        "templating": {"list": [datasource_variable()] + variables},
        "time": {"from": "now-6h", "to": "now"},
        "timepicker": {},
        "timezone": "browser",
        "title": title,
        "uid": uid,
        "version": 1,
        "weekStart": "",
    }


# --- the four dashboards -----------------------------------------------------------------------

S = 'site=~"$site"'
ALERTS = f'soc_alerts_total{{{S},severity=~"$severity"}}'
RULE_NAMES = "max by (rule, name) (soc_rule_info)"
SITE_NAMES = f"max by (site, name) (soc_site_info{{{S}}})"


def grown(selector, window="$__rate_interval"):
    """How much each counter of `selector` grew over `window`. increase() alone misses a counter that
    the correlator creates on its first increment (the first alert of a rule at a site, a sensor's
    first refused event): no zero sample precedes it. A series absent at the window's start and seen
    fewer times than its target was scraped appeared while Prometheus watched: it counts whole (its
    value). Others count as increase() says (series older than Prometheus's first scrape included)."""
    s, w = selector, window
    new = (f"(({s} unless {s} offset {w}) and "
           f"(count_over_time({s}[{w}]) < on (job, instance) group_left () count_over_time(up[{w}])))")
    return f"((increase({s}[{w}]) unless {new}) or {new})"


def by_rule_name(vector):
    """`vector` (by rule) with a `name` label: the rule's name from soc_rule_info, else its id, so
    that a rule the alert store does not know still shows."""
    return (f"(({vector}) * on (rule) group_left (name) {RULE_NAMES}"
            f" or label_replace(({vector}) unless on (rule) {RULE_NAMES}, \"name\", \"$1\", \"rule\", \"(.*)\"))")


HIGH_ALERTS = f'soc_alerts_total{{{S},severity=~"critical|high"}}'
ALERTS_BY_RULE_IN_RANGE = f"sum by (rule) ({grown(ALERTS, '$__range')})"


def overview():
    panels = [
        stat("Correlator", "Whether Prometheus reaches the correlator's /metrics (job soc-correlator).",
             'min(up{job="soc-correlator"})', steps=("red", (1, "green")), mappings=UP_MAPPING),
        stat("Alerts, last hour", "Alerts raised by the rules and the baseline in the last hour.",
             f"sum({grown(ALERTS, '1h')}) or vector(0)", decimals=0, steps=("green", (1, "orange"))),
        stat("Open alerts", "Alerts open in the alert store (not acknowledged, not resolved).",
             'sum(soc_alerts_open{state="open",severity=~"$severity"}) or vector(0)', decimals=0,
             steps=("green", (1, "red"))),
        stat("Sensors down", "Inventory sensors not heard within the baseline's freshness window.",
             f"sum(1 - soc_sensor_up{{{S}}})", decimals=0, steps=("green", (1, "red"))),
        stat("Expired licenses", "Licenses of inventory assets past their end.",
             f"count(soc_license_expiry_timestamp_seconds{{{S}}} <= time()) or vector(0)", decimals=0,
             steps=("green", (1, "red"))),
        stat("Events per second", "Events accepted from every sensor of the selected sites.",
             f"sum(rate(soc_events_received_total{{{S}}}[$__rate_interval]))", decimals=1),
        timeseries("Alerts by severity",
                   "Alerts raised (rules and baseline) in each interval of the graph, stacked by severity. The "
                   "interval is Grafana's $__rate_interval: a minute at 15 s scrapes, wider on long time ranges. "
                   "Every alert counts, the first of a rule at a site too.",
                   [target(f"sum by (severity) ({grown(ALERTS)})", "{{severity}}")],
                   axis="alerts per interval", stack=True, bars=True, overrides=severity_overrides(),
                   no_value="no alert", w=12, h=9),
        timeseries("Events per second by site and dataset",
                   "Events accepted per second, by site and event.dataset.",
                   [target(f"sum by (site, dataset) (rate(soc_events_received_total{{{S}}}[$__rate_interval]))",
                           "{{site}} {{dataset}}")],
                   axis="events/s", stack=True, w=12, h=9),
        table("Sites in trouble now",
              "Sites with a sensor down, missing equipment, an expired license or a high or critical alert "
              "in the last hour. Empty when every selected site is fine.",
              [target(SITE_NAMES, table=True),
               target(f"sum by (site) (1 - soc_sensor_up{{{S}}})", table=True),
               target(f"sum by (site) (soc_site_equipment_gaps{{{S}}})", table=True),
               target(f"sum by (site) (soc_license_expiry_timestamp_seconds{{{S}}} <= bool time())", table=True),
               target(f"sum by (site) ({grown(HIGH_ALERTS, '1h')})", table=True)],
              {"site": "Site", "name": "Name", "Value #B": "Sensors down", "Value #C": "Equipment gaps",
               "Value #D": "Expired licenses", "Value #E": "High alerts (1h)"},
              sort_by=("Sensors down", True),
              filter_any_positive=["Value #B", "Value #C", "Value #D", "Value #E"],
              overrides=[column(n, cell="color-background", steps=("transparent", (1, "red")), decimals=0)
                         for n in ("Sensors down", "Equipment gaps", "Expired licenses", "High alerts (1h)")],
              no_value="no site in trouble", w=24, h=8),
        table("Top rules",
              "Rules that raised the most alerts over the dashboard's time range, by name.",
              [target(f"topk(10, {by_rule_name(ALERTS_BY_RULE_IN_RANGE)})", table=True)],
              {"name": "Rule", "Value": "Alerts", "rule": "Rule id"},
              sort_by=("Alerts", True), overrides=[column("Alerts", decimals=0)], filter_any_positive=["Value"],
              no_value="no alert in the time range", w=12, h=9),
        table("Top sites",
              "Sites with the most alerts over the dashboard's time range.",
              [target(f"topk(10, sum by (site) ({grown(ALERTS, '$__range')}))", table=True),
               target(SITE_NAMES, table=True)],
              {"site": "Site", "name": "Name", "Value #A": "Alerts"},
              sort_by=("Alerts", True), overrides=[column("Alerts", decimals=0)], filter_any_positive=["Value #A"],
              no_value="no alert in the time range", w=12, h=9),
        bargauge("Open alerts by severity", "Alerts open in the alert store, by severity.",
                 'sum by (severity) (soc_alerts_open{state="open",severity=~"$severity"})', "{{severity}}",
                 decimals=0, steps=("green", (1, "orange")), no_value="no open alert", w=12, h=7),
        timeseries("Alerts by rule", "Alerts in each interval of the graph for the ten rules raising the most, "
                   "by name.",
                   [target(f"topk(10, {by_rule_name(f'sum by (rule) ({grown(ALERTS)})')})", "{{name}}")],
                   axis="alerts per interval", bars=True, no_value="no alert", w=12, h=7),
    ]
    return dashboard("soc-overview", "SOC overview",
                     "What the SOC sees now: alerts by severity, rule and site, events per site, the sites in trouble.",
                     [SITE_VAR, severity_variable()], panels)


SENSOR_VAR = query_variable(
    "sensor", "Sensor",
    'label_values({__name__=~"soc_sensor_up|soc_sensor_last_seen_timestamp_seconds", site=~"$site"}, sensor)',
    "Sensors of the selected sites: those of the inventory and those heard.")
SS = 'site=~"$site",sensor=~"$sensor"'
# soc_events_lost_total and its siblings carry the sensor only: the site comes from last_seen.
IN_SITES = f"on (sensor) max by (sensor) (soc_sensor_last_seen_timestamp_seconds{{{SS}}})"


def per_sensor(metric, by="sensor"):
    selector = metric + '{sensor=~"$sensor"}'
    return f"sum by ({by}) ({grown(selector)}) and {IN_SITES}"


def sensors():
    panels = [
        table("Sensors", "Every sensor: up (inventory freshness window), seconds since last heard, events per "
              "second, version and uptime it reports.",
              [target(f"max by (sensor, site) (soc_sensor_up{{{SS}}})", table=True),
               target(f"time() - max by (sensor, site) (soc_sensor_last_seen_timestamp_seconds{{{SS}}})", table=True),
               target(f"sum by (sensor, site) (rate(soc_events_received_total{{{SS}}}[$__rate_interval]))", table=True),
               target(f"max by (sensor, site, version) (soc_sensor_build_info{{{SS}}})", table=True),
               target(f"max by (sensor, site) (soc_sensor_uptime_seconds{{{SS}}})", table=True)],
              {"sensor": "Sensor", "site": "Site", "Value #A": "Up", "Value #B": "Last heard (ago)",
               "Value #C": "Events/s", "version": "Version", "Value #E": "Uptime"},
              sort_by=("Up", False),
              overrides=[column("Up", cell="color-background", mappings=UP_MAPPING),
                         column("Last heard (ago)", unit="s", decimals=0, cell="color-text",
                                steps=("green", (60, "orange"), (300, "red"))),
                         column("Events/s", decimals=1), column("Uptime", unit="s", decimals=0),
                         column("Value #D", **{"custom.hidden": True})],
              w=24, h=9),
        state_timeline("Up over time", "Each inventory sensor, up or down, over the time range.",
                       f"max by (sensor) (soc_sensor_up{{{SS}}})", "{{sensor}}", UP_MAPPING, w=12, h=8),
        timeseries("Seconds since last heard", "How long ago each sensor's last event or heartbeat arrived.",
                   [target(f"time() - max by (sensor) (soc_sensor_last_seen_timestamp_seconds{{{SS}}})", "{{sensor}}")],
                   unit="s", axis="age", w=12, h=8),
        timeseries("Events per second by sensor", "Events accepted per second from each sensor.",
                   [target(f"sum by (sensor) (rate(soc_events_received_total{{{SS}}}[$__rate_interval]))", "{{sensor}}")],
                   axis="events/s", w=12, h=8),
        timeseries("Capture drops", "Packets the kernel or the interface dropped per second, per packet sensor: "
                   "traffic the sensor did not see.",
                   [target(f"sum by (sensor) (rate(soc_sensor_packets_dropped_kernel_total{{{SS}}}[$__rate_interval]) "
                           f"+ rate(soc_sensor_packets_dropped_interface_total{{{SS}}}[$__rate_interval]))",
                           "{{sensor}}"),
                    target(f"sum by (sensor) (rate(soc_sensor_packets_received_total{{{SS}}}[$__rate_interval]))",
                           "{{sensor}} captured")],
                   unit="pps", axis="packets/s", no_value="no packet sensor", w=12, h=8),
        timeseries("Events lost and repeated", "Events a sensor numbered that never arrived (lost), and "
                   "events received twice and dropped (repeated, after a reconnection).",
                   [target(per_sensor("soc_events_lost_total"), "{{sensor}} lost"),
                    target(per_sensor("soc_events_duplicate_total"), "{{sensor}} repeated")],
                   axis="events", bars=True, w=12, h=8),
        timeseries("Messages rejected by reason", "Messages the correlator refused: unknown key, a sensor "
                   "claiming another site or id, malformed frames.",
                   [target("sum by (reason) (increase(soc_messages_rejected_total[$__rate_interval]))", "{{reason}}")],
                   axis="messages", bars=True, w=12, h=8),
        timeseries("Events rejected by reason", "Events in accepted messages that the decoder refused.",
                   [target(per_sensor("soc_events_rejected_total", "sensor, reason"), "{{sensor}} {{reason}}")],
                   axis="events", bars=True, no_value="no event refused", w=12, h=8),
        timeseries("Sent, acknowledged, resent", "What the senders report: events handed over and acknowledged "
                   "per second, batches resent.",
                   [target(f"sum by (sensor) (rate(soc_sensor_events_sent_total{{{SS}}}[$__rate_interval]))",
                           "{{sensor}} sent"),
                    target(f"sum by (sensor) (rate(soc_sensor_events_acked_total{{{SS}}}[$__rate_interval]))",
                           "{{sensor}} acked"),
                    target(f"sum by (sensor) (rate(soc_sensor_batches_resent_total{{{SS}}}[$__rate_interval]))",
                           "{{sensor}} batches resent")],
                   axis="per second", w=12, h=8),
        timeseries("Sensor restarts", "New runs of a sensor's sender (a new sequence epoch).",
                   [target(per_sensor("soc_sensor_restarts_total"), "{{sensor}}")],
                   axis="restarts", bars=True, w=12, h=8),
        timeseries("Spool", "Bytes each sender keeps on disk, unacknowledged, beside its limit (--spool, "
                   "--spool-max-bytes): what a sensor holds while the correlator or the link is away.",
                   [target(f"max by (sensor) (soc_sensor_spool_bytes{{{SS}}})", "{{sensor}}"),
                    target(f"max by (sensor) (soc_sensor_spool_bytes_limit{{{SS}}})", "{{sensor}} limit")],
                   unit="bytes", axis="bytes", no_value="no sensor with a spool (--spool)", w=12, h=8),
        timeseries("Events dropped by the senders", "Events a sensor dropped before the correlator had them: a "
                   "full spool, a failing disk, an event it could not send.",
                   [target(f"sum by (sensor) ({grown('soc_sensor_events_dropped_total{' + SS + '}')})", "{{sensor}}")],
                   axis="events", bars=True, w=12, h=8),
        timeseries("Log sensors: lines per second", "Lines read, lines the generic fallback kept (no decoder "
                   "knew them) and lines cut, per log sensor.",
                   [target(f"sum by (sensor) (rate(soc_sensor_log_lines_read_total{{{SS}}}[$__rate_interval]))",
                           "{{sensor}} read"),
                    target(f"sum by (sensor) (rate(soc_sensor_log_decode_fallbacks_total{{{SS}}}[$__rate_interval]))",
                           "{{sensor}} fallback"),
                    target(f"sum by (sensor) (rate(soc_sensor_log_lines_truncated_total{{{SS}}}[$__rate_interval]))",
                           "{{sensor}} truncated")],
                   axis="lines/s", no_value="no log sensor", w=12, h=8),
        timeseries("Packet sensors: flows in the table", "Flows the packet sensors track now.",
                   [target(f"max by (sensor) (soc_sensor_flows_active{{{SS}}})", "{{sensor}}")],
                   axis="flows", no_value="no packet sensor", w=12, h=8),
        timeseries("Collectors: probes and failures", "Probe results per minute, and those that failed.",
                   [target(f"sum by (sensor) (rate(soc_sensor_probes_total{{{SS}}}[$__rate_interval])) * 60",
                           "{{sensor}} probes"),
                    target(f"sum by (sensor) (rate(soc_sensor_probe_failures_total{{{SS}}}[$__rate_interval])) * 60",
                           "{{sensor}} failed")],
                   axis="per minute", no_value="no collector", w=12, h=8),
    ]
    return dashboard("soc-sensors", "SOC sensors",
                     "Which sensors are up, when each was last heard, what each sends and loses.",
                     [SITE_VAR, SENSOR_VAR], panels)


SYSTEM_VAR = query_variable("system", "System", "label_values(soc_requirement_status, system)",
                            "Information systems of the inventory.")


def assets():
    days_steps = ("red", (30, "orange"), (60, "green"))
    panels = [
        stat("Expired licenses", "Licenses past their end.",
             f"count(soc_license_expiry_timestamp_seconds{{{S}}} <= time()) or vector(0)", decimals=0,
             steps=("green", (1, "red")), w=6),
        stat("Licenses ending within 60 days", "Licenses still valid that end within 60 days.",
             f"count(soc_license_expiry_timestamp_seconds{{{S}}} > time() < time() + 60 * 86400) or vector(0)",
             decimals=0, steps=("green", (1, "orange")), w=6),
        stat("Equipment gaps", "Equipment or sensor kinds the baseline requires and the inventory lacks, "
             "summed over the selected sites.", f"sum(soc_site_equipment_gaps{{{S}}})", decimals=0,
             steps=("green", (1, "red")), w=6),
        stat("Requirements not met", "Requirements of the selected systems whose status is not met.",
             'count(soc_requirement_status{system=~"$system",status="not_met"} == 1)',
             decimals=0, steps=("green", (1, "red")), no_value="none not met", w=6),
        bargauge("License expiry in days", "Days until each license of each asset ends: red under 30, amber "
                 "under 60. Negative: expired that many days ago.",
                 f"sort((soc_license_expiry_timestamp_seconds{{{S}}} - time()) / 86400)",
                 "{{asset}} {{license}} ({{site}})", unit="d", steps=days_steps, decimals=0,
                 min_zero=False, w=12, h=12),
        table("Certificates", "TLS certificates the collectors read: days until each expires (red under 14, "
              "amber under 30).",
              [target(f"(soc_certificate_expiry_timestamp_seconds{{{S}}} - time()) / 86400", table=True)],
              {"target": "Target", "site": "Site", "Value": "Days left"},
              sort_by=("Days left", False),
              overrides=[column("Days left", unit="d", decimals=1, cell="color-background",
                                steps=("red", (14, "orange"), (30, "green")))],
              no_value="no certificate read by a collector", w=12, h=6),
        table("Assets reachable", "Whether each inventory asset answered the collectors' last TCP probe.",
              [target(f"max by (asset, site) (soc_asset_reachable{{{S}}})", table=True)],
              {"asset": "Asset", "site": "Site", "Value": "Reachable"},
              sort_by=("Reachable", False),
              overrides=[column("Reachable", cell="color-background", mappings=[{"type": "value", "options": {
                  "0": {"text": "no", "color": "red", "index": 0},
                  "1": {"text": "yes", "color": "green", "index": 1}}}])],
              no_value="no asset probed by a collector", w=12, h=6),
        bargauge("Equipment gaps per site", "Kinds of equipment or sensor the baseline requires at each site "
                 "and the inventory lacks.",
                 f"sort_desc(soc_site_equipment_gaps{{{S}}} * on (site) group_left (name) {SITE_NAMES})",
                 "{{name}} ({{site}})", steps=("green", (1, "red")), decimals=0, w=12, h=8),
        bargauge("Requirements by status", "Requirements of the selected systems, counted by their current "
                 "status.",
                 'count by (status) (soc_requirement_status{system=~"$system"} == 1)', "{{status}}",
                 decimals=0, steps=("blue",), w=12, h=8),
        table("Requirement status per system and level", "The current status of every baseline requirement "
              "for every information system, with the system's approved level.",
              [target('(soc_requirement_status{system=~"$system"} == 1) '
                      '* on (system) group_left (name, level) max by (system, name, level) (soc_system_info)', table=True)],
              {"system": "System", "name": "Name", "level": "Level", "requirement": "Requirement",
               "status": "Status"},
              sort_by=("Status", False),
              overrides=[column("Status", cell="color-background", mappings=[{"type": "value", "options": {
                  word: {"text": text, "color": colour, "index": i}
                  for i, (word, (colour, text)) in enumerate(STATUS_COLOURS.items())}}]),
                  column("Value", **{"custom.hidden": True})],
              w=24, h=12),
    ]
    return dashboard("soc-assets", "SOC assets and compliance",
                     "Licenses and certificates of the inventory's assets, missing equipment per site, and the "
                     "status of every baseline requirement per information system.",
                     [SITE_VAR, SYSTEM_VAR], panels)


def correlator():
    panels = [
        stat("Correlator", "Whether Prometheus reaches the correlator's /metrics.",
             'min(up{job="soc-correlator"})', steps=("red", (1, "green")), mappings=UP_MAPPING),
        stat("Rules loaded", "Rules and correlations running.", "sum(soc_rules_loaded)", decimals=0),
        stat("Rules refused", "Rules refused by the last load or reload (the log says why).",
             "sum(soc_rules_failed)", decimals=0, steps=("green", (1, "orange"))),
        stat("Last rule reload", "Whether the last rule reload succeeded (a failed one leaves the older "
             "rules running).", "min(soc_rules_last_reload_successful)", steps=("red", (1, "green")),
             mappings=[{"type": "value", "options": {"0": {"text": "FAILED", "color": "red", "index": 0},
                                                     "1": {"text": "OK", "color": "green", "index": 1}}}]),
        stat("Last inventory reload", "Whether the last inventory and baseline reload succeeded.",
             "min(soc_inventory_last_reload_successful)", steps=("red", (1, "green")),
             mappings=[{"type": "value", "options": {"0": {"text": "FAILED", "color": "red", "index": 0},
                                                     "1": {"text": "OK", "color": "green", "index": 1}}}]),
        stat("Events accepted per second", "Events accepted from every sensor.",
             "sum(rate(soc_events_received_total[$__rate_interval]))", decimals=1),
        timeseries("Rule evaluation time per event", "Time to evaluate one event against every rule "
                   "(a sample of events is timed): median and 99th percentile.",
                   [target("histogram_quantile(0.5, sum by (le) (rate(soc_rule_eval_seconds_bucket[$__rate_interval])))",
                           "p50"),
                    target("histogram_quantile(0.99, sum by (le) (rate(soc_rule_eval_seconds_bucket[$__rate_interval])))",
                           "p99")],
                   unit="s", axis="per event", w=12, h=8),
        timeseries("Reloads", "Rule and inventory reloads, by result.",
                   [target("sum by (result) (increase(soc_rules_reload_total[$__rate_interval]))", "rules {{result}}"),
                    target("sum by (result) (increase(soc_inventory_reload_total[$__rate_interval]))",
                           "inventory {{result}}")],
                   axis="reloads", bars=True, w=12, h=8),
        timeseries("Correlation state", "Open groups (windows) of the correlation rules: the state the "
                   "correlator holds. The ten largest, by rule name.",
                   [target(f"topk(10, {by_rule_name('sum by (rule) (soc_rule_state_groups)')})", "{{name}}")],
                   axis="groups", no_value="no correlation rule", w=12, h=8),
        timeseries("Rule matches per second", "Events matched per second by the ten busiest rules, by name.",
                   [target(f"topk(10, {by_rule_name('sum by (rule) (rate(soc_rule_matches_total[$__rate_interval]))')})",
                           "{{name}}")],
                   axis="matches/s", no_value="no rule matched", w=12, h=8),
        timeseries("Alerts suppressed", "Alerts held back by rules' suppression windows, by rule name.",
                   [target(f"topk(10, {by_rule_name('sum by (rule) (increase(soc_alerts_suppressed_total[$__rate_interval]))')})",
                           "{{name}}")],
                   axis="alerts", bars=True, no_value="no alert suppressed", w=12, h=8),
        timeseries("Messages per second", "Batches and heartbeats received from all sensors.",
                   [target("sum(rate(soc_batches_received_total[$__rate_interval]))", "batches"),
                    target("sum(rate(soc_heartbeats_received_total[$__rate_interval]))", "heartbeats")],
                   axis="per second", w=12, h=8),
        timeseries("Alert deliveries", "Alert notices by sink and result in each interval: ok, retry, "
                   "dropped (queue full), failed (given up).",
                   [target(f"sum by (sink, result) ({grown('soc_alert_deliveries_total')})", "{{sink}} {{result}}")],
                   axis="notices per interval", bars=True, w=12, h=8),
        timeseries("Alert queues", "Notices waiting in each sink's queue (queued and in flight).",
                   [target("max by (sink) (soc_alert_queue_depth)", "{{sink}}")],
                   axis="notices", w=12, h=8),
        timeseries("Alert store", "Alerts the alert store keeps (every state), and those its retention pruned, "
                   "by reason (age, rows).",
                   [target("max(soc_alert_store_alerts)", "alerts kept"),
                    target(f"sum by (reason) ({grown('soc_alert_store_pruned_total')})", "pruned ({{reason}})")],
                   axis="alerts", w=12, h=8),
        timeseries("Write errors", "Writes the correlator could not make, by output (--events-out, the alert "
                   "store, the state folder): what it could not write it does not acknowledge.",
                   [target(f"sum by (output) ({grown('soc_write_errors_total')})", "{{output}}")],
                   axis="errors", bars=True, w=12, h=8),
        timeseries("Correlation groups evicted", "Open groups of correlation rules dropped because the state "
                   "reached its bound: detections those groups would have made are missed. By rule name.",
                   [target(f"topk(10, {by_rule_name('sum by (rule) (' + grown('soc_rule_groups_evicted_total') + ')')})",
                           "{{name}}")],
                   axis="groups", bars=True, no_value="no group evicted", w=12, h=8),
        timeseries("Scrape time", "How long Prometheus takes to read the correlator's /metrics.",
                   [target('max(scrape_duration_seconds{job="soc-correlator"})', "scrape duration")],
                   unit="s", axis="seconds", w=12, h=8),
    ]
    return dashboard("soc-correlator", "SOC correlator health",
                     "The correlator itself: rule evaluation time, reloads, state held, messages, alert deliveries.",
                     [], panels)


DASHBOARDS = {
    "soc-overview.json": overview,
    "soc-sensors.json": sensors,
    "soc-assets.json": assets,
    "soc-correlator.json": correlator,
}


def render(make):
    return json.dumps(make(), indent=2, ensure_ascii=False) + "\n"


def main(argv):
    check = "--check" in argv
    stale = []
    for name, make in DASHBOARDS.items():
        path = HERE / name
        text = render(make)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("differs from generate.py (run python3 dashboards/grafana/generate.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
