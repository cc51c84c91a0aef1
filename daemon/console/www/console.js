// The console's router and live updates. Routes live in the hash (#/alerts?..., #/alerts/ID,
// #/sites, #/sites/ID), so links and the back button work and the server serves one page. The
// page in view re-reads its data every POLL_MS (ctx.poll) while the tab is visible.
"use strict";

const POLL_MS = 5000;
const app = {sites: [], rules: [], generation: 0, poll: null, busy: false};
// For tests and for the curious: when the current page last finished drawing (performance.now()).
window.socConsole = {renderedAt: null, renders: 0};

function live(ok, detail) {
  document.getElementById("live").textContent = ok ?
    t("live.updated", fmtTime(new Date().toISOString())) : t("live.failed", detail);
}

async function boot() {
  const status = await api("/api/v1/status");
  setZone(status.time_zone);
  const [sites, rules] = await Promise.all([
    status.parts.inventory ? api("/api/v1/sites").catch(() => ({sites: []})) : {sites: []},
    api("/api/v1/rules").catch(() => ({rules: []}))]);
  app.sites = sites.sites;
  app.rules = rules.rules.slice().sort((a, b) => a.name.localeCompare(b.name));
}

function context() {
  const generation = ++app.generation;
  app.poll = null;
  return {
    main: document.getElementById("main"),
    stale: () => generation !== app.generation,
    rendered: () => {
      window.socConsole.renderedAt = performance.now();
      window.socConsole.renders += 1;
      live(true);
    },
    set poll(fn) { if (generation === app.generation) app.poll = fn; },
  };
}

async function route() {
  const hash = location.hash || "#/alerts";
  const [path, search] = hash.slice(1).split("?");
  const params = new URLSearchParams(search || "");
  const parts = path.split("/").filter((x) => x);
  document.getElementById("nav-alerts").classList.toggle("active", parts[0] !== "sites");
  document.getElementById("nav-sites").classList.toggle("active", parts[0] === "sites");
  const ctx = context();
  banner("");
  try {
    if (parts[0] === "sites" && parts[1]) await renderSite(decodeURIComponent(parts[1]), ctx);
    else if (parts[0] === "sites") await renderSites(ctx);
    else if (parts[0] === "alerts" && parts[1]) await renderDetail(decodeURIComponent(parts[1]), ctx);
    else await renderQueue(params, ctx, app);
  } catch (e) {
    if (!ctx.stale()) banner(`${e.status || ""} ${e.code || ""}: ${e.message}`);
    live(false, e.message);
  }
}

async function tick() {
  if (!app.poll || app.busy || document.hidden) return;
  app.busy = true;
  const generation = app.generation;
  try {
    await app.poll();
  } catch (e) {
    if (generation === app.generation) live(false, e.message);
  } finally {
    app.busy = false;
  }
}

async function main() {
  setLanguage(savedLanguage());
  const lang = document.getElementById("lang");
  lang.value = LANG;
  lang.addEventListener("change", () => { setLanguage(lang.value); route(); });
  try {
    await boot();
  } catch (e) {
    banner(`${e.status || ""} ${e.message}`);
  }
  window.addEventListener("hashchange", route);
  await route();
  setInterval(tick, POLL_MS);
}

main();
