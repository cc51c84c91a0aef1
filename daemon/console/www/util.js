// Shared helpers: building DOM nodes (text only: nothing from the API is parsed as HTML), the
// JSON API, times in the province's zone, severity and status badges.
"use strict";

// h("td", {class: "x"}, "text", node, ...): an element with attributes and children.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// The API's error shape, kept as an Error with its status and stable code.
class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, options) {
  let response;
  try {
    response = await fetch(path, Object.assign({cache: "no-store"}, options || {}));
  } catch (e) {
    throw new ApiError(0, "network", String(e.message || e));
  }
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    const err = body && body.error ? body.error : {code: "http", message: response.statusText};
    throw new ApiError(response.status, err.code, err.message);
  }
  return body;
}

function query(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") continue;
    parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(v));
  }
  return parts.length ? "?" + parts.join("&") : "";
}

// The province's zone, as GET /api/v1/status gives it ("+07:00").
const ZONE = {text: "+07:00", minutes: 420};

function setZone(text) {
  const m = /^([+-])(\d\d):(\d\d)$/.exec(text || "");
  if (!m) return;
  ZONE.text = text;
  ZONE.minutes = (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

function pad(n, w) { return String(n).padStart(w || 2, "0"); }

// "04/12/2026 17:15:00" in the province's zone (the API's times are UTC).
function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(Date.parse(iso) + ZONE.minutes * 60000);
  if (isNaN(d)) return iso;
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function timeCell(iso) {
  return h("time", {datetime: iso || "", title: (iso || "") + " (UTC)"}, fmtTime(iso));
}

// A datetime-local value ("2026-12-04T17:15") read in the province's zone -> RFC 3339.
function localToRfc3339(value) {
  if (!value) return "";
  return (value.length === 16 ? value + ":00" : value) + ZONE.text;
}

// RFC 3339 -> a datetime-local value in the province's zone.
function rfc3339ToLocal(iso) {
  if (!iso) return "";
  const d = new Date(Date.parse(iso) + ZONE.minutes * 60000);
  if (isNaN(d)) return "";
  return d.toISOString().slice(0, 16);
}

const SEVERITIES = ["critical", "high", "medium", "low", "informational"];

// Severity as colour AND words: the badge always says it.
function sevBadge(word) {
  return h("span", {class: `sev sev-${word}`}, t("sev." + word));
}

function stateBadge(state) {
  return h("span", {class: `state state-${state}`}, t("state." + state));
}

function statusBadge(status) {
  return h("span", {class: `status status-${status}`}, t("st." + status));
}

function banner(text) {
  const b = document.getElementById("banner");
  b.textContent = text || "";
  b.hidden = !text;
}

function table(headers, rows, attrs) {
  return h("table", attrs || {},
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", {scope: "col"}, x)))),
    h("tbody", {}, rows));
}

function dl(pairs) {
  return h("dl", {class: "facts"}, pairs.filter((p) => p).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}
