// An alert's page (#/alerts/ID): what the rule says, where, the evidence events in a table with
// the fields that matter for their dataset and the raw message, the other alerts of the same
// source address, the acknowledgement form and the history.
"use strict";

// The fields shown for each dataset (the rest is in the raw event); prefixes match families.
const DATASET_FIELDS = {
  "sshd": ["event.outcome", "user.name", "source.ip", "source.port", "host.hostname"],
  "sudo": ["user.name", "user.target.name", "process.command_line", "host.hostname"],
  "nginx.access": ["source.ip", "http.request.method", "url.original", "http.response.status_code",
    "user_agent.original"],
  "iptables": ["event.action", "source.ip", "destination.ip", "destination.port", "network.transport"],
  "fortigate": ["event.action", "source.ip", "destination.ip", "destination.port", "user.name"],
  "flow": ["source.ip", "source.port", "destination.ip", "destination.port", "network.transport",
    "ndpi.protocol", "ndpi.risk", "dns.question.name", "tls.client.server_name"],
};
const DEFAULT_FIELDS = ["event.action", "event.outcome", "source.ip", "destination.ip", "destination.port",
  "user.name", "url.original", "host.hostname", "asset.id"];

function fieldsOf(e) {
  const ds = e["event.dataset"] || "";
  const keys = DATASET_FIELDS[ds] || DATASET_FIELDS[ds.split(".")[0]] || DEFAULT_FIELDS;
  return keys.filter((k) => e[k] !== undefined && e[k] !== null)
    .map((k) => h("div", {class: "kv"}, h("span", {class: "k"}, k), " ",
      h("span", {class: "v"}, Array.isArray(e[k]) ? e[k].join(", ") : String(e[k]))));
}

function rawOf(e) {
  if (e.message) return h("code", {class: "raw"}, e.message);
  return h("details", {}, h("summary", {}, "JSON"), h("pre", {class: "raw"}, JSON.stringify(e, null, 1)));
}

function evidenceTable(events) {
  if (!events.length) return h("p", {class: "empty"}, t("d.noevidence"));
  return table([t("e.time"), t("e.sensor"), t("e.dataset"), t("e.fields"), t("e.raw")],
    events.map((e) => h("tr", {},
      h("td", {class: "nowrap"}, timeCell(e["@timestamp"])),
      h("td", {class: "nowrap"}, e["observer.name"] || "—"),
      h("td", {}, e["event.dataset"] || "—"),
      h("td", {}, fieldsOf(e)),
      h("td", {class: "rawcell"}, rawOf(e)))),
    {class: "evidence", id: "evidence"});
}

function historyTable(history) {
  return table([t("h.at"), t("h.action"), t("h.by"), t("h.comment"), t("h.count")],
    history.map((x) => h("tr", {},
      h("td", {class: "nowrap"}, timeCell(x.at)), h("td", {}, t("h." + x.action)), h("td", {}, x.by || "—"),
      h("td", {}, x.comment || ""), h("td", {class: "num"}, String(x.count)))),
    {class: "history", id: "history"});
}

function sourceOf(a) {
  return (a.group && a.group["source.ip"]) || (a.fields && a.fields["source.ip"]) || "";
}

async function relatedAlerts(a, ctx) {
  const ip = sourceOf(a);
  const box = h("section", {id: "related"}, h("h2", {}, t("d.related", ip || "—")));
  if (!ip) return box.append(h("p", {class: "empty"}, t("d.nosource"))), box;
  const data = await api("/api/v1/alerts" + query({"source.ip": ip, state: "open,acknowledged,resolved", limit: 20}));
  const others = data.alerts.filter((x) => x.id !== a.id);
  box.append(others.length ? table([t("q.time"), t("f.severity"), t("q.rule"), t("q.site"), t("q.state")],
    others.map((x) => h("tr", {},
      h("td", {class: "nowrap"}, timeCell(x.last_seen)), h("td", {}, sevBadge(x.severity.word)),
      h("td", {}, h("a", {href: "#/alerts/" + x.id}, x.rule.name)),
      h("td", {}, x.site ? (x.site.name || x.site.id) : "—"), h("td", {}, stateBadge(x.state)))))
    : h("p", {class: "empty"}, t("d.norelated")));
  return box;
}

function storageGet(store, key) { try { return store.getItem(key) || ""; } catch (e) { return ""; } }
function storageSet(store, key, v) { try { store.setItem(key, v); } catch (e) { /* not kept */ } }

// POST /api/v1/alerts/ID/ack with the token typed by the analyst (kept for the tab only).
function ackForm(a, onDone) {
  if (a.state === "resolved") return h("section", {id: "ack"}, h("h2", {}, t("ack.title")), h("p", {}, t("ack.resolved")));
  const msg = h("p", {class: "ack-msg", id: "ack-msg", role: "status"});
  const form = h("form", {class: "ack", id: "ack-form"},
    h("label", {}, t("ack.by"), h("input", {name: "by", required: true, maxlength: 64,
      value: storageGet(localStorage, "soc.by")})),
    h("label", {class: "wide"}, t("ack.comment"), h("textarea", {name: "comment", rows: 2, maxlength: 4096})),
    h("label", {}, t("ack.token"), h("input", {name: "token", type: "password", required: true,
      autocomplete: "off", value: storageGet(sessionStorage, "soc.token")})),
    h("button", {type: "submit"}, t("ack.submit")), msg);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    storageSet(localStorage, "soc.by", data.get("by"));
    storageSet(sessionStorage, "soc.token", data.get("token"));
    try {
      await api(`/api/v1/alerts/${a.id}/ack`, {method: "POST",
        headers: {"Content-Type": "application/json", "Authorization": "Bearer " + data.get("token")},
        body: JSON.stringify({by: data.get("by"), comment: data.get("comment")})});
      msg.className = "ack-msg ok";
      msg.textContent = t("ack.done");
      onDone();
    } catch (e) {
      msg.className = "ack-msg error";
      msg.textContent = `${e.status || ""} ${e.message}`;
    }
  });
  return h("section", {id: "ack"}, h("h2", {}, t("ack.title")), form);
}

// The inventory's assets the evidence names: the correlator's enrichment (asset.id), or an
// address of the event that is an asset's address at the alert's site.
function assetsOf(a, evidence, site) {
  const assets = site && site.assets ? site.assets : [];
  const ids = new Set(evidence.map((e) => e["asset.id"]).filter((x) => x));
  for (const e of evidence) {
    for (const k of ["destination.ip", "host.ip", "source.ip"]) {
      const match = assets.find((x) => x.address && x.address === e[k]);
      if (match) ids.add(match.id);
    }
  }
  if (!ids.size) return "—";
  return [...ids].map((id) => {
    const asset = assets.find((x) => x.id === id);
    const what = asset ? ` (${[kindLabel(asset.kind), asset.vendor, asset.model].filter((x) => x).join(", ")})` : "";
    return h("div", {}, id + what);
  });
}

function facts(a, site) {
  const mitre = a.rule.mitre.map((m) => h("div", {}, h("code", {}, m.id), " ", m.name || ""));
  return dl([
    [t("d.description"), a.rule.description || "—"],
    [t("f.severity"), sevBadge(a.severity.word)],
    [t("q.state"), [stateBadge(a.state), a.acknowledged ?
      h("span", {class: "muted"}, " " + t("ack.last", a.acknowledged.by, fmtTime(a.acknowledged.at))) : null]],
    [t("d.mitre"), mitre.length ? mitre : "—"],
    [t("d.site"), a.site ? h("a", {href: "#/sites/" + a.site.id}, a.site.name || a.site.id) : "—"],
    [t("d.asset"), assetsOf(a, a.evidence || [], site)],
    [t("d.source"), sourceOf(a) || "—"],
    [t("d.summary"), a.summary],
    [t("d.count"), String(a.count)],
    [t("d.first"), timeCell(a.first_seen)],
    [t("d.last"), timeCell(a.last_seen)],
    a.resolved_at ? [t("d.resolved"), timeCell(a.resolved_at)] : null,
    [t("d.fields"), Object.entries(a.fields || {}).map(([k, v]) => h("div", {class: "kv"},
      h("span", {class: "k"}, k), " ", h("span", {class: "v"}, String(v))))],
  ]);
}

async function renderDetail(id, ctx) {
  let a;
  try {
    a = await api("/api/v1/alerts/" + encodeURIComponent(id));
  } catch (e) {
    if (e.status === 404 || e.status === 400) return ctx.main.replaceChildren(h("p", {}, t("err.notfound")));
    throw e;
  }
  let site = null;
  if (a.site) site = await api("/api/v1/sites/" + encodeURIComponent(a.site.id)).catch(() => null);
  const related = await relatedAlerts(a, ctx);
  if (ctx.stale()) return;
  ctx.main.replaceChildren(
    h("p", {}, h("a", {href: "#/alerts", class: "back"}, t("d.back"))),
    h("h1", {id: "alert-title"}, sevBadge(a.severity.word), " ", a.rule.name, " ", h("span", {class: "muted"}, "#" + a.id)),
    facts(a, site),
    h("section", {}, h("h2", {}, t("d.evidence", a.evidence.length)), evidenceTable(a.evidence)),
    related,
    ackForm(a, () => renderDetail(id, ctx)),
    h("section", {}, h("h2", {}, t("d.history")), historyTable(a.history)));
  ctx.rendered();
}
