// The sites (#/sites): one row per site of the inventory with its level, sensors (reporting or
// silent, last seen), equipment gaps, licenses and open alerts by severity; a site's page
// (#/sites/ID) with its systems, sensors, assets and the status of every requirement there.
"use strict";

function sensorList(sensors) {
  if (!sensors.length) return h("span", {class: "bad"}, t("s.nosensor"));
  return sensors.map((s) => h("div", {class: "sensor " + (s.up ? "up" : "down")},
    h("span", {class: "dot", "aria-hidden": "true"}, s.up ? "●" : "○"), " ", s.id, " ",
    h("span", {class: s.up ? "ok" : "bad"}, s.up ? t("s.up") : (s.last_seen ? t("s.silent") : t("s.never"))),
    s.last_seen ? h("span", {class: "muted"}, " · " + t("s.lastseen", fmtTime(s.last_seen))) : null));
}

function licenseCell(l) {
  const parts = [];
  if (l.expired) parts.push(h("div", {class: "bad"}, t("s.expired", l.expired)));
  if (l.expiring) parts.push(h("div", {class: "warn"}, t("s.expiring", l.expiring)));
  return parts.length ? parts : t("s.none");
}

function openAlerts(site) {
  const cells = SEVERITIES.filter((s) => site.open_alerts[s] > 0).map((s) =>
    h("a", {class: `sev sev-${s}`, href: "#/alerts" + query({site: site.id, severity: s})},
      `${t("sev." + s)}: ${site.open_alerts[s]}`));
  return cells.length ? cells : t("s.none");
}

function gapsCell(gaps) {
  return gaps.length ? h("span", {class: "bad", title: gaps.join(", ")}, gaps.map(kindLabel).join(", ")) : t("s.none");
}

async function renderSites(ctx) {
  const data = await api("/api/v1/sites");
  if (ctx.stale()) return;
  ctx.main.replaceChildren(
    h("h1", {}, t("s.title")),
    h("p", {class: "muted"}, t("s.evaluated", fmtTime(data.evaluated_at))),
    table([t("s.name"), t("s.kind"), t("s.level"), t("s.sensors"), t("s.gaps"), t("s.licenses"), t("s.alerts")],
      data.sites.map((s) => h("tr", {"data-site": s.id},
        h("td", {}, h("a", {href: "#/sites/" + s.id}, s.name || s.id), h("div", {class: "muted"}, s.id)),
        h("td", {}, t("kind." + s.kind)),
        h("td", {class: "num"}, s.level ? String(s.level) : "—"),
        h("td", {}, sensorList(s.sensors)),
        h("td", {}, gapsCell(s.equipment_gaps)),
        h("td", {}, licenseCell(s.licenses)),
        h("td", {class: "sevs"}, openAlerts(s)))),
      {class: "sites", id: "sites"}));
  ctx.rendered();
  ctx.poll = () => renderSites(ctx);
}

// A license: its name, end date, status, and whether a collector read it from the device (when)
// or the inventory only declares it.
function licenseLine(l) {
  const source = l.source === "device"
    ? h("span", {class: "lic-source lic-device", title: (l.read_at || "") + " (UTC)"}, t("lic.device") + " " + fmtTime(l.read_at))
    : h("span", {class: "lic-source lic-declared"}, t("lic.declared"));
  return h("div", {}, `${l.name} ${l.expires} `, h("span", {class: "lic lic-" + l.status}, t("lic." + l.status)),
    " ", source);
}

function assetTable(assets) {
  return table([t("a.id"), t("a.kind"), t("a.model"), t("a.address"), t("a.licenses")],
    assets.map((a) => h("tr", {},
      h("td", {}, a.id), h("td", {}, kindLabel(a.kind)), h("td", {}, [a.vendor, a.model].filter((x) => x).join(" ") || "—"),
      h("td", {}, a.address || "—"),
      h("td", {}, a.licenses.length ? a.licenses.map(licenseLine) : "—"))),
    {class: "assets", id: "assets"});
}

function requirementTable(reqs) {
  return table([t("r.system"), t("r.requirement"), t("r.status"), t("r.reason")],
    reqs.map((r) => h("tr", {},
      h("td", {}, r.system),
      h("td", {}, h("code", {}, r.requirement), " ", (LANG === "en" ? r.title.en : r.title.vi) || ""),
      h("td", {}, statusBadge(r.status)),
      h("td", {}, r.reason))),
    {class: "requirements", id: "requirements"});
}

async function renderSite(id, ctx) {
  let s;
  try {
    s = await api("/api/v1/sites/" + encodeURIComponent(id));
  } catch (e) {
    if (e.status === 404) return ctx.main.replaceChildren(h("p", {}, t("err.notfound")));
    throw e;
  }
  if (ctx.stale()) return;
  ctx.main.replaceChildren(
    h("p", {}, h("a", {href: "#/sites", class: "back"}, t("s.back"))),
    h("h1", {}, s.name || s.id, " ", h("span", {class: "muted"}, `${s.id} · ${t("kind." + s.kind)} · ${t("s.level")} ${s.level || "—"}`)),
    dl([
      [t("s.systems"), s.systems.length ? s.systems.map((x) => h("div", {}, `${x.name} (${t("s.level")} ${x.level})`)) : "—"],
      [t("s.sensors"), sensorList(s.sensors)],
      [t("s.gaps"), gapsCell(s.equipment_gaps)],
      [t("s.licenses"), licenseCell(s.licenses)],
      [t("s.alerts"), openAlerts(s)],
    ]),
    h("section", {}, h("h2", {}, t("s.assets")), assetTable(s.assets)),
    h("section", {}, h("h2", {}, t("s.requirements")), requirementTable(s.requirements)));
  ctx.rendered();
}
