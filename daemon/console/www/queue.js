// The alert queue (#/alerts?filters): newest first, one page of PAGE_SIZE at a time through the
// API's cursor (never everything), the counts per severity of what is not resolved, and the
// filters. The page re-reads its own page every few seconds (console.js) and marks new alerts.
"use strict";

const PAGE_SIZE = 50;
const FILTERS = ["state", "severity", "site", "rule", "since", "until", "source.ip"];
const DEFAULT_STATE = "open,acknowledged";
const trail = [];  // cursors of the pages before the current one (for "newer")

function queueFilters(params) {
  const f = {};
  for (const k of FILTERS) f[k] = params.get(k) || "";
  if (!params.has("state")) f.state = DEFAULT_STATE;
  return f;
}

function queueHash(filters, cursor, page) {
  return "#/alerts" + query(Object.assign({}, filters, {cursor: cursor || "", page: page > 1 ? page : ""}));
}

function selectOf(name, value, options) {
  return h("select", {name, id: "f-" + name.replace(".", "-")},
    options.map(([v, label]) => h("option", {value: v, selected: v === value}, label)));
}

function filterForm(f, app) {
  const states = [[DEFAULT_STATE, t("state.unresolved")], ["open", t("state.open")],
    ["acknowledged", t("state.acknowledged")], ["resolved", t("state.resolved")], ["open,acknowledged,resolved", t("any")]];
  const sevs = [["", t("any")]].concat(SEVERITIES.map((s) => [s, t("sev." + s)]));
  const sites = [["", t("any")]].concat(app.sites.map((s) => [s.id, s.name || s.id]));
  const rules = [["", t("any")]].concat(app.rules.map((r) => [r.id, r.name]));
  const form = h("form", {class: "filters", id: "filters"},
    h("label", {}, t("f.state"), selectOf("state", f.state, states)),
    h("label", {}, t("f.severity"), selectOf("severity", f.severity, sevs)),
    h("label", {}, t("f.site"), selectOf("site", f.site, sites)),
    h("label", {}, t("f.rule"), selectOf("rule", f.rule, rules)),
    h("label", {}, t("f.since"), h("input", {type: "datetime-local", name: "since", value: rfc3339ToLocal(f.since)})),
    h("label", {}, t("f.until"), h("input", {type: "datetime-local", name: "until", value: rfc3339ToLocal(f.until)})),
    h("label", {}, t("f.source"), h("input", {type: "text", name: "source.ip", value: f["source.ip"], size: 15})),
    h("button", {type: "submit"}, t("f.apply")),
    h("button", {type: "button", onclick: () => { trail.length = 0; location.hash = "#/alerts"; }}, t("f.clear")));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const next = {};
    for (const k of FILTERS) next[k] = data.get(k) || "";
    next.since = localToRfc3339(next.since);
    next.until = localToRfc3339(next.until);
    trail.length = 0;
    location.hash = queueHash(next, "", 1);
  });
  return form;
}

function countsBar(counts, f) {
  return h("div", {class: "counts", id: "counts", "aria-label": t("q.counts")},
    SEVERITIES.map((s) => {
      const open = counts.open[s], acked = counts.acknowledged[s];
      const next = Object.assign({}, f, {severity: s});
      return h("a", {class: `count sev-${s}` + (open + acked === 0 ? " zero" : ""), href: queueHash(next, "", 1),
        "data-severity": s},
      h("span", {class: "count-word"}, t("sev." + s)),
      h("span", {class: "count-n"}, String(open + acked)),
      h("span", {class: "count-split"}, `${open} ${t("q.open")} · ${acked} ${t("q.acked")}`));
    }));
}

function alertRow(a, isNew) {
  return h("tr", {"data-id": a.id, class: isNew ? "new" : null},
    h("td", {class: "nowrap"}, timeCell(a.last_seen)),
    h("td", {}, sevBadge(a.severity.word)),
    h("td", {}, h("a", {href: "#/alerts/" + a.id, class: "alert-link"}, a.rule.name),
      isNew ? h("span", {class: "tag-new"}, t("q.new")) : null),
    h("td", {}, a.site ? (a.site.name || a.site.id) : "—"),
    h("td", {class: "summary", title: a.summary}, a.summary),
    h("td", {class: "num"}, String(a.count)),
    h("td", {}, stateBadge(a.state)));
}

function pager(f, cursor, page, next) {
  const newer = trail.length ? trail[trail.length - 1] : "";
  return h("div", {class: "pager"},
    page > 1 ? h("a", {href: queueHash(f, "", 1), onclick: () => { trail.length = 0; }}, t("q.first")) : null,
    page > 1 ? h("a", {href: queueHash(f, newer, page - 1), onclick: () => { trail.pop(); }, id: "newer"},
      t("q.newer")) : null,
    h("span", {}, t("q.page", page)),
    next ? h("a", {href: queueHash(f, next, page + 1), onclick: () => { trail.push(cursor); }, id: "older"},
      t("q.older")) : null);
}

async function renderQueue(params, ctx, app) {
  const f = queueFilters(params);
  const cursor = params.get("cursor") || "";
  const page = Number(params.get("page") || 1);
  if (page === 1) trail.length = 0;
  const counts = h("div", {});
  const body = h("div", {id: "queue"}, h("p", {}, t("loading")));
  ctx.main.replaceChildren(h("h1", {}, t("q.title")), counts, filterForm(f, app), body);
  let seen = null;           // ids drawn so far (null before the first draw)
  const marked = new Set();  // ids that arrived while the page was open: highlighted until it is left
  async function load() {
    const data = await api("/api/v1/alerts" + query(Object.assign({}, f, {limit: PAGE_SIZE, cursor})));
    if (ctx.stale()) return;
    counts.replaceChildren(countsBar(data.counts, f));
    if (seen !== null) for (const a of data.alerts) if (!seen.has(a.id)) marked.add(a.id);
    seen = new Set([...(seen || []), ...data.alerts.map((a) => a.id)]);
    const rows = data.alerts.map((a) => alertRow(a, marked.has(a.id)));
    body.replaceChildren(
      data.alerts.length ? table([t("q.time"), t("f.severity"), t("q.rule"), t("q.site"), t("q.summary"),
        t("q.count"), t("q.state")], rows, {class: "alerts", id: "alerts"}) : h("p", {class: "empty"}, t("q.none")),
      pager(f, cursor, page, data.next));
    ctx.rendered();
  }
  await load();
  ctx.poll = load;
}
