#!/usr/bin/env python3
"""Draws the SOC's Grafana dashboards from Prometheus query results, one PNG per dashboard.

    python3 dashboards/draw_panels.py RESULTS.json OUT_DIR

RESULTS.json is what tests/e2e/dashboards_test.py saves: for each dashboard file and panel id,
each query's instant result and, for time series, its range result. Each picture keeps the
dashboard's layout (gridPos on 24 columns), the panels' titles, units, thresholds and value
mappings, their table transformations (merge, organize, filter by value) and their noValue
text. It is not Grafana and says so on the picture: Grafana is not packaged in Debian, so these
pictures are what docs/dashboards.md shows. Needs python3-matplotlib.
"""
import json
import math
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

GRAFANA = Path(__file__).resolve().parent / "grafana"
BG, PANEL, TEXT, DIM, GRID = "#111217", "#181b1f", "#ccccdc", "#8e8e8e", "#2c3235"
COLOURS = {"green": "#73bf69", "red": "#f2495c", "orange": "#ff9830", "yellow": "#fade2a", "blue": "#5794f2",
           "purple": "#b877d9", "dark-red": "#c4162a", "text": "#ccccdc", "transparent": None}
PALETTE = ["#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#705da0", "#37872d",
           "#fade2a", "#447ebc", "#c15c17", "#890f02", "#0a437c", "#6d1f62", "#584477"]
LABEL = ("Drawn from Prometheus query results of the end-to-end test (tests/e2e/dashboards_test.py), "
         "not a Grafana screenshot")


def colour(name):
    return COLOURS.get(name, name)


def legend(fmt, metric):
    if not fmt or fmt == "__auto":
        return ", ".join(f"{k}={v}" for k, v in sorted(metric.items()) if k != "__name__") or "value"
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), fmt).strip()


def threshold_colour(value, thresholds):
    steps = (thresholds or {}).get("steps") or [{"color": "green", "value": None}]
    chosen = steps[0]["color"]
    for s in steps[1:]:
        if value is not None and s["value"] is not None and value >= s["value"]:
            chosen = s["color"]
    return colour(chosen)


def mapped(value, mappings):
    for m in mappings or []:
        if m.get("type") == "value":
            key = value if isinstance(value, str) else (str(int(value)) if value == int(value) else str(value))
            hit = m["options"].get(key)
            if hit:
                return hit.get("text", key), colour(hit.get("color"))
    return None, None


UNITS = {"s": "s", "d": " days", "pps": " p/s", "percentunit": "%"}


def fmt_value(value, unit, decimals):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "percentunit":
        value *= 100
    if unit == "s" and abs(value) >= 120:
        for div, suffix in ((86400, " d"), (3600, " h"), (60, " min")):
            if abs(value) >= div:
                return f"{value / div:.1f}{suffix}"
    if decimals is None:
        decimals = 0 if value == int(value) and abs(value) < 1e6 else (2 if abs(value) < 10 else 1)
    text = f"{value:,.{decimals}f}"
    if unit == "s" and abs(value) < 1 and value != 0:
        text = f"{value * 1e6:.1f} µs" if abs(value) < 1e-3 else f"{value * 1e3:.1f} ms"
        return text
    return text + UNITS.get(unit, "")


def field_props(panel, name):
    """The defaults merged with the overrides for the column `name`."""
    props = dict(panel["fieldConfig"]["defaults"])
    for o in panel["fieldConfig"]["overrides"]:
        if o["matcher"].get("options") == name:
            for p in o["properties"]:
                if p["id"] == "custom.cellOptions":
                    props["cell"] = p["value"]["type"]
                else:
                    props[p["id"]] = p["value"]
    return props


def value_of(sample):
    try:
        return float(sample[1])
    except (TypeError, ValueError, IndexError):
        return None


# --- tables: Grafana's merge, organize and filterByValue on instant results ----------------------

def table_rows(panel, results):
    frames = []
    multi = len(panel["targets"]) > 1
    for t in panel["targets"]:
        col = f"Value #{t['refId']}" if multi else "Value"
        rows = []
        for s in (results.get(t["refId"]) or {}).get("instant", []):
            row = {k: v for k, v in s["metric"].items()}
            row[col] = value_of(s["value"])
            rows.append(row)
        frames.append(rows)
    merged = []
    for rows in frames:
        for row in rows:
            labels = {k: v for k, v in row.items() if not k.startswith("Value")}
            hits = [m for m in merged
                    if (set(labels) & {k for k in m if not k.startswith("Value")})
                    and all(m[k] == labels[k] for k in set(labels) & set(m) if not k.startswith("Value"))]
            if not hits:
                merged.append(dict(row))
            for m in hits:
                m.update(row)
    columns, rename, exclude = [], {}, set()
    for tr in panel.get("transformations", []):
        if tr["id"] == "organize":
            rename = tr["options"].get("renameByName", {})
            exclude = set(tr["options"].get("excludeByName", {}))
            order = tr["options"].get("indexByName", {})
            columns = sorted(rename, key=lambda f: order.get(f, 99))
    hidden = {o["matcher"]["options"] for o in panel["fieldConfig"]["overrides"]
              if any(p["id"] == "custom.hidden" and p["value"] for p in o["properties"])}
    columns = [c for c in columns if c not in exclude and c not in hidden and rename.get(c) not in hidden]
    rows = [{rename.get(c, c): r.get(c) for c in columns} for r in merged]
    names = [rename.get(c, c) for c in columns]
    for tr in panel.get("transformations", []):
        if tr["id"] == "filterByValue":
            fields = [f["fieldName"] for f in tr["options"]["filters"]]
            rows = [r for r in rows if any((r.get(f) or 0) > 0 for f in fields)]
    for o in panel.get("options", {}).get("sortBy", []):
        key = o["displayName"]
        rows.sort(key=lambda r: (r.get(key) is None, r.get(key) if not isinstance(r.get(key), str) else 0,
                                 str(r.get(key))), reverse=o.get("desc", False))
    return names, rows


# --- panels --------------------------------------------------------------------------------------

def empty_reason(panel, results):
    """What Grafana would show for an empty panel: its noValue; here also what a query waits for."""
    waiting = sorted({e["pending"] for e in results.values() if e.get("pending")})
    if waiting:
        return "waits for " + "; ".join(waiting)
    return panel["fieldConfig"]["defaults"].get("noValue") or "No data"


def draw_empty(ax, panel, results):
    ax.axis("off")
    ax.text(0.5, 0.45, empty_reason(panel, results), ha="center", va="center", color=DIM, fontsize=9,
            transform=ax.transAxes, wrap=True)


def draw_stat(ax, panel, results):
    d = panel["fieldConfig"]["defaults"]
    series = (results.get("A") or {}).get("instant", [])
    if not series:
        return draw_empty(ax, panel, results)
    value = value_of(series[0]["value"])
    text, fill = mapped(value, d.get("mappings"))
    if text is None:
        text = fmt_value(value, d.get("unit"), d.get("decimals"))
        fill = threshold_colour(value, d.get("thresholds"))
    if fill:
        ax.add_patch(Rectangle((0, 0), 1, 1, transform=ax.transAxes, color=fill, alpha=0.85, zorder=0))
    ax.text(0.5, 0.4, text, ha="center", va="center", color="white", fontsize=20, fontweight="bold",
            transform=ax.transAxes)


def draw_timeseries(ax, panel, results, t0):
    d = panel["fieldConfig"]["defaults"]
    custom = d.get("custom", {})
    stacked = custom.get("stacking", {}).get("mode") == "normal"
    bars = custom.get("drawStyle") == "bars"
    overrides = {o["matcher"]["options"]: p["value"].get("fixedColor")
                 for o in panel["fieldConfig"]["overrides"] for p in o["properties"] if p["id"] == "color"}
    lines = []
    for t in panel["targets"]:
        for s in (results.get(t["refId"]) or {}).get("range", []):
            xs = [(float(v[0]) - t0) / 60 for v in s["values"]]
            ys = [value_of(v) for v in s["values"]]
            lines.append((legend(t.get("legendFormat"), s["metric"]), xs, ys))
    if not lines:
        return draw_empty(ax, panel, results)
    lines.sort(key=lambda l: l[0])
    ax.set_facecolor(PANEL)
    base = {}
    for i, (name, xs, ys) in enumerate(lines[:16]):
        c = colour(overrides.get(name)) or PALETTE[i % len(PALETTE)]
        ys = [0 if (y is None or math.isnan(y)) else y for y in ys]
        if stacked:
            low = [base.get(x, 0) for x in xs]
            high = [l + y for l, y in zip(low, ys)]
            ax.fill_between(xs, low, high, color=c, alpha=0.6 if bars else 0.25, linewidth=0, step="mid" if bars else None)
            ax.plot(xs, high, color=c, linewidth=0.8, label=name[:40])
            for x, h in zip(xs, high):
                base[x] = h
        else:
            ax.plot(xs, ys, color=c, linewidth=1.1, label=name[:40])
    ax.grid(color=GRID, linewidth=0.5)
    ax.tick_params(colors=DIM, labelsize=6)
    for spine in ax.spines.values():
        spine.set_visible(False)
    unit = d.get("unit")
    label = custom.get("axisLabel", "")
    top = max((y for _, _, ys in lines for y in ys if y is not None and not math.isnan(y)), default=0)
    if unit == "s" and 0 < top < 1e-3:
        ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v * 1e6:.0f}"))
        unit = "µs"
    ax.set_ylabel(label + (f" ({unit})" if unit in ("s", "µs", "pps") else ""), color=DIM, fontsize=6)
    ax.set_xlabel("minutes into the test", color=DIM, fontsize=6)
    leg = ax.legend(loc="upper left", fontsize=5.5, frameon=False, labelcolor=TEXT, ncol=1 + len(lines) // 6)
    for text in leg.get_texts():
        text.set_color(TEXT)


def draw_state_timeline(ax, panel, results, t0):
    d = panel["fieldConfig"]["defaults"]
    rows = [(legend(panel["targets"][0].get("legendFormat"), s["metric"]), s["values"])
            for s in (results.get("A") or {}).get("range", [])]
    if not rows:
        return draw_empty(ax, panel, results)
    rows.sort()
    for i, (name, values) in enumerate(rows):
        for (ta, va), (tb, _) in zip(values, values[1:] + [[values[-1][0] + 2, None]]):
            text, c = mapped(value_of([0, va]), d.get("mappings"))
            ax.add_patch(Rectangle(((float(ta) - t0) / 60, i + 0.1), (float(tb) - float(ta)) / 60, 0.8,
                                   color=c or PALETTE[0], linewidth=0))
        ax.text(-0.01, i + 0.5, name, ha="right", va="center", color=TEXT, fontsize=6,
                transform=ax.get_yaxis_transform())
    ax.set_ylim(0, len(rows))
    ax.set_xlim(0, max((float(v[-1][0]) - t0) / 60 for _, v in rows) + 0.05)
    ax.set_yticks([])
    ax.tick_params(colors=DIM, labelsize=6)
    ax.set_facecolor(PANEL)
    ax.set_xlabel("minutes into the test", color=DIM, fontsize=6)
    for spine in ax.spines.values():
        spine.set_visible(False)


def draw_bargauge(ax, panel, results):
    d = panel["fieldConfig"]["defaults"]
    t = panel["targets"][0]
    bars = [(legend(t.get("legendFormat"), s["metric"]), value_of(s["value"]))
            for s in (results.get("A") or {}).get("instant", [])]
    if not bars:
        return draw_empty(ax, panel, results)
    bars = bars[:14]
    names = [b[0] for b in bars][::-1]
    values = [b[1] or 0 for b in bars][::-1]
    colours = [threshold_colour(v, d.get("thresholds")) or PALETTE[0] for v in values]
    ax.barh(range(len(values)), values, color=colours, height=0.7)
    ax.set_yticks(range(len(values)))
    ax.set_yticklabels(names, fontsize=6, color=TEXT)
    for i, v in enumerate(values):
        ax.text(v, i, (" " if v >= 0 else "") + fmt_value(v, d.get("unit"), d.get("decimals")) + ("" if v >= 0 else " "),
                va="center", ha="left" if v >= 0 else "right", fontsize=6, color=colours[i])
    ax.axvline(0, color=DIM, linewidth=0.6)
    ax.set_facecolor(PANEL)
    ax.tick_params(colors=DIM, labelsize=6)
    lo, hi = min(values + [0]), max(values + [0])
    span = (hi - lo) or 1
    ax.set_xlim(lo - (0.25 if lo < 0 else 0.05) * span, hi + 0.25 * span)
    for spine in ax.spines.values():
        spine.set_visible(False)


def draw_table(ax, panel, results):
    d = panel["fieldConfig"]["defaults"]
    names, rows = table_rows(panel, results)
    if not rows:
        return draw_empty(ax, panel, results)
    ax.axis("off")
    shown = rows[:14]
    cells, fills, text_colours = [], [], []
    for r in shown:
        line, fill_line, text_line = [], [], []
        for n in names:
            props = field_props(panel, n)
            v = r.get(n)
            text, c = (mapped(v, props.get("mappings")) if v is not None else (None, None))
            if text is None:
                text = v if isinstance(v, str) else fmt_value(v, props.get("unit"), props.get("decimals"))
                if props.get("cell") in ("color-background", "color-text") and isinstance(v, (int, float)):
                    c = threshold_colour(v, props.get("thresholds"))
            text = (text or "")[:38]
            line.append(text)
            fill_line.append(c if props.get("cell") == "color-background" and c else PANEL)
            text_line.append(c if props.get("cell") == "color-text" and c else TEXT)
        cells.append(line)
        fills.append(fill_line)
        text_colours.append(text_line)
    tab = ax.table(cellText=cells, colLabels=names, cellColours=fills, loc="upper center", cellLoc="left",
                   colColours=[GRID] * len(names))
    tab.auto_set_font_size(False)
    tab.set_fontsize(6)
    tab.scale(1, 1.05)
    for (i, j), cell in tab.get_celld().items():
        cell.set_edgecolor(BG)
        cell.get_text().set_color(TEXT if i == 0 else text_colours[i - 1][j])
    if len(rows) > len(shown):
        ax.text(1, 0, f"{len(rows) - len(shown)} more rows", ha="right", va="bottom", color=DIM, fontsize=6,
                transform=ax.transAxes)


def draw_dashboard(dashboard, results, t0, t1, out):
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    unit = 0.34
    width, height = 20.0, rows * unit + 0.9
    fig = plt.figure(figsize=(width, height), dpi=90, facecolor=BG)
    top = 0.9 / height
    fig.text(0.005, 1 - 0.28 / height, dashboard["title"], color=TEXT, fontsize=14, fontweight="bold", va="center")
    when = datetime.fromtimestamp(t1, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    fig.text(0.995, 1 - 0.28 / height, f"{LABEL}; {when}, {(t1 - t0) / 60:.1f} minutes of data", color=DIM,
             fontsize=8, ha="right", va="center", style="italic")
    for p in panels:
        g = p["gridPos"]
        x, w = g["x"] / 24, g["w"] / 24
        y = 1 - top - (g["y"] + g["h"]) * unit / height
        h = g["h"] * unit / height
        frame = fig.add_axes([x + 0.002, y + 0.002, w - 0.004, h - 0.004])
        frame.set_facecolor(PANEL)
        frame.set_xticks([])
        frame.set_yticks([])
        for spine in frame.spines.values():
            spine.set_color(GRID)
        frame.text(0.01, 1 - 0.16 / (g["h"] * unit), p["title"], color=TEXT, fontsize=8, fontweight="bold",
                   va="center", transform=frame.transAxes)
        title_h = 0.32 / height
        inner = [x + 0.006 + (0.05 * w if p["type"] in ("timeseries",) else 0) + (0.12 * w if p["type"] == "state-timeline" else 0),
                 y + 0.006 + (0.35 / height if p["type"] in ("timeseries", "state-timeline") else 0),
                 w - 0.012 - (0.05 * w if p["type"] == "timeseries" else 0) - (0.12 * w if p["type"] == "state-timeline" else 0),
                 h - 0.012 - title_h - (0.35 / height if p["type"] in ("timeseries", "state-timeline") else 0)]
        if p["type"] == "bargauge":
            inner[0] += 0.25 * w
            inner[2] -= 0.25 * w
        ax = fig.add_axes(inner)
        ax.set_facecolor(PANEL)
        r = results.get(str(p["id"]), {})
        if p["type"] == "stat":
            ax.axis("off")
            draw_stat(ax, p, r)
        elif p["type"] == "timeseries":
            draw_timeseries(ax, p, r, t0)
        elif p["type"] == "state-timeline":
            draw_state_timeline(ax, p, r, t0)
        elif p["type"] == "bargauge":
            draw_bargauge(ax, p, r)
        elif p["type"] == "table":
            draw_table(ax, p, r)
        else:
            ax.axis("off")
            ax.text(0.5, 0.5, f"({p['type']} panel)", color=DIM, ha="center", transform=ax.transAxes)
        if p["type"] in ("stat", "table"):
            ax.set_xticks([])
            ax.set_yticks([])
    fig.savefig(out, facecolor=BG)
    plt.close(fig)


def main(argv):
    if len(argv) != 2:
        print(__doc__)
        return 2
    results = json.loads(Path(argv[0]).read_text())
    out_dir = Path(argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    t0, t1 = results["prometheus"]["start"], results["prometheus"]["end"]
    for file, entry in results["dashboards"].items():
        dashboard = json.loads((GRAFANA / file).read_text(encoding="utf-8"))
        out = out_dir / f"dashboard-{Path(file).stem}.png"
        draw_dashboard(dashboard, entry["panels"], t0, t1, out)
        print(f"{out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
