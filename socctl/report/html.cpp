#include "socctl/report/html.h"

#include <fmt/core.h>

#include <algorithm>
#include <numeric>

#include "daemon/compliance/json.h"
#include "daemon/inventory/reason.h"
#include "socctl/report/labels.h"

namespace soc::ctl::report {

namespace {

namespace cmp = daemon::compliance;
namespace inv = daemon::inventory;
using cmp::Report;
using inv::Status;

// Print-first CSS: A4, colour kept when printing, tables that repeat their heads and keep rows
// whole. Status colours are paired with their words (never colour alone) and readable in grey.
constexpr std::string_view kCss = R"css(
@page { size: A4; margin: 16mm 13mm 18mm 13mm;
  @bottom-right { content: counter(page) " / " counter(pages); font: 8pt "DejaVu Sans", sans-serif; color: #555; } }
* { -webkit-print-color-adjust: exact; print-color-adjust: exact; box-sizing: border-box; }
html { font-family: "DejaVu Sans", "Noto Sans", "Liberation Sans", Arial, sans-serif; font-size: 9.5pt; color: #111; }
body { margin: 0 auto; max-width: 190mm; padding: 6mm 0; line-height: 1.35; }
h1 { font-size: 16pt; margin: 0 0 2pt; }
.subtitle { margin: 0 0 8pt; color: #333; }
h2 { font-size: 13pt; margin: 14pt 0 4pt; border-bottom: 1.2pt solid #1f3a5f; color: #1f3a5f; }
h3 { font-size: 11.5pt; margin: 10pt 0 3pt; }
h4 { font-size: 10pt; margin: 8pt 0 2pt; break-after: avoid; }
section.system + section.system { break-before: page; }
table { border-collapse: collapse; width: 100%; margin: 3pt 0 8pt; }
th, td { border: 0.5pt solid #8a8a8a; padding: 2pt 4pt; vertical-align: top; text-align: left; }
th { background: #e8edf3; font-weight: bold; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
table.meta th { width: 32%; }
td.num, th.num { text-align: right; white-space: nowrap; }
#systems-summary th .st { white-space: normal; }
#systems-summary td:first-child { width: 34%; }
.mono { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8pt; word-break: break-all; }
.note { color: #444; font-size: 8.5pt; margin: 2pt 0 6pt; }
.st { display: inline-block; padding: 0.5pt 4pt; border: 0.8pt solid; border-radius: 3pt; font-weight: bold;
  white-space: nowrap; font-size: 8.5pt; }
.st-met { background: #dcf3dc; color: #14532d; border-color: #2e7d32; }
.st-partially_met { background: #fff1c7; color: #6b4e00; border-color: #b7860b; }
.st-not_met { background: #fbdada; color: #7f1010; border-color: #c62828; }
.st-not_applicable { background: #eeeeee; color: #424242; border-color: #9e9e9e; }
.st-not_assessable { background: #e8e2f4; color: #3b2a6b; border-color: #6a4fb3; }
.st-waived { background: #dbe9f8; color: #0d3c6e; border-color: #1e6bb8; }
.sev-5 { color: #7f1010; font-weight: bold; } .sev-4 { color: #a3360c; font-weight: bold; }
.signoff { display: flex; gap: 12mm; margin-top: 10pt; break-inside: avoid; }
.signoff div { flex: 1; border: 0.5pt solid #8a8a8a; padding: 4pt; height: 38mm; }
.signoff p { margin: 0 0 2pt; }
)css";

std::string esc(std::string_view s) { return html_escape(s); }

std::string badge(Status s, const Labels&, inv::Language lang) {
  return fmt::format("<span class=\"st st-{}\">{}</span>", inv::to_string(s), esc(inv::status_label(s, lang)));
}

// An instant in the inventory's time zone, as people there read it.
std::string local_time(Timestamp t, const Report& r) {
  const auto local = t + r.utc_offset;
  const auto day = std::chrono::floor<std::chrono::days>(local);
  const std::chrono::hh_mm_ss hms(std::chrono::floor<std::chrono::seconds>(local - day));
  return fmt::format("{} {:02}:{:02}:{:02} (UTC{})", inv::date_words(day, r.lang), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count(), cmp::offset_text(r.utc_offset));
}

std::string opt_time(const std::optional<Timestamp>& t, const Report& r) { return t ? esc(local_time(*t, r)) : "—"; }
std::string opt_date(const std::optional<inv::Date>& d, const Report& r) {
  return d ? esc(inv::date_words(*d, r.lang)) : "—";
}

// fmt's runtime formatting of a label with {} placeholders.
template <typename... A>
std::string with(std::string_view pattern, A&&... args) {
  return fmt::vformat(pattern, fmt::make_format_args(args...));
}

std::string row(std::initializer_list<std::string> cells, bool head = false) {
  std::string out = "<tr>";
  for (const auto& c : cells) out += (head ? "<th>" : "<td>") + c + (head ? "</th>" : "</td>");
  return out + "</tr>\n";
}

void header(std::string& out, const Report& r, const Labels& lab) {
  out += fmt::format("<h1>{}</h1>\n<p class=\"subtitle\">{}</p>\n", esc(lab.title), esc(lab.subtitle));
  out += "<table class=\"meta\" id=\"report-header\"><tbody>\n";
  out += row({esc(lab.report_id), "<span class=\"mono\">" + esc(r.digest.substr(0, 16)) + "</span>"});
  out += row({esc(lab.period), esc(with(lab.period_from_to, local_time(r.from, r), local_time(r.to, r)))});
  out += row({esc(lab.generated_at), esc(local_time(r.to, r))});
  out += row({esc(lab.generator), esc(r.generator + " " + r.version)});
  out += row({esc(lab.baseline), esc(r.baseline_id + " " + r.baseline_version) +
                                     (r.baseline_description.empty() ? "" : "<br>" + esc(r.baseline_description))});
  std::string basis;
  for (const auto& b : r.basis) basis += (basis.empty() ? "" : "<br>") + esc(b);
  out += row({esc(lab.legal_basis), basis.empty() ? esc(lab.none) : basis});
  out += row({esc(lab.time_zone), "UTC" + esc(cmp::offset_text(r.utc_offset))});
  out += row({esc(lab.inventory), esc(with(lab.inventory_size, r.sites, r.systems_count, r.assets, r.sensors))});
  out += row({esc(lab.source),
              esc(r.source == "live" ? std::string(lab.source_live)
                                     : with(lab.source_events, r.inputs.events ? r.inputs.events->used : 0))});
  out += "</tbody></table>\n";
}

void summary(std::string& out, const Report& r, const Labels& lab) {
  out += fmt::format("<h2>{}</h2>\n<p class=\"note\">{}</p>\n", esc(lab.summary_heading), esc(lab.summary_intro));
  out += "<table id=\"status-summary\" class=\"status-table\"><thead>" +
         row({esc(lab.status), "<span>" + esc(lab.count) + "</span>"}, true) + "</thead><tbody>\n";
  int64_t total = 0;
  for (size_t i = 0; i < r.summary.size(); ++i) {
    total += r.summary[i];
    out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td></tr>\n", badge(static_cast<Status>(i), lab, r.lang),
                       r.summary[i]);
  }
  out += fmt::format("<tr><th>{}</th><th class=\"num\">{}</th></tr>\n</tbody></table>\n", esc(lab.total), total);

  out += fmt::format("<h3>{}</h3>\n<table id=\"systems-summary\"><thead><tr><th>{}</th><th>{}</th>", esc(lab.by_system),
                     esc(lab.system), esc(lab.level));
  for (size_t i = 0; i < r.summary.size(); ++i) out += "<th>" + badge(static_cast<Status>(i), lab, r.lang) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& s : r.systems) {
    out += fmt::format("<tr><td>{}<br><span class=\"mono\">{}</span></td><td class=\"num\">{}</td>", esc(s.name),
                       esc(s.id), s.level);
    for (auto n : s.counts) out += fmt::format("<td class=\"num\">{}</td>", n);
    out += "</tr>\n";
  }
  out += "</tbody></table>\n";
}

void gaps(std::string& out, const Report& r, const Labels& lab) {
  out += fmt::format("<h2>{}</h2>\n<p class=\"note\">{}</p>\n", esc(lab.gaps_heading), esc(lab.gaps_intro));
  if (r.gaps.empty()) {
    out += fmt::format("<p>{}</p>\n", esc(lab.gaps_none));
    return;
  }
  out += "<table id=\"gaps\"><thead>" +
         row({esc(lab.site), esc(lab.gap), esc(lab.subject), esc(lab.observed), esc(lab.systems)}, true) +
         "</thead><tbody>\n";
  const size_t shown = std::min(r.gaps.size(), kMaxGapRows);
  for (size_t i = 0; i < shown; ++i) {
    const auto& g = r.gaps[i];
    std::string systems;
    for (const auto& s : g.systems) systems += (systems.empty() ? "" : ", ") + s;
    out += row({esc(g.site_name.empty() ? g.site : g.site_name) + "<br><span class=\"mono\">" + esc(g.site) + "</span>",
                esc(lab.gap_kinds[static_cast<size_t>(g.kind)]),
                g.kind == cmp::GapKind::EquipmentMissing
                    ? esc(inv::kind_word(g.subject, r.lang))
                    : esc(g.subject) +
                          (g.subject_kind.empty() ? "" : " (" + esc(inv::kind_word(g.subject_kind, r.lang)) + ")"),
                esc(g.observed), esc(systems)});
  }
  out += "</tbody></table>\n";
  if (shown < r.gaps.size())
    out += fmt::format("<p class=\"note\">{}</p>\n", esc(with(lab.gaps_more, shown, r.gaps.size())));
}

void alerts(std::string& out, const Report& r, const Labels& lab) {
  out += fmt::format("<h2>{}</h2>\n", esc(lab.alerts_heading));
  const auto& a = r.alerts;
  if (!a.available) {
    out += fmt::format("<p>{}{}</p>\n", esc(lab.alerts_unavailable), a.note.empty() ? "" : ": " + esc(a.note));
    return;
  }
  if (a.total == 0) {
    out += fmt::format("<p>{}</p>\n", esc(lab.alerts_none));
    return;
  }
  auto severity_head = [&] {
    std::string h;
    for (int s = 5; s >= 1; --s) h += fmt::format("<th class=\"num sev-{}\">{}</th>", s, esc(lab.severities[s - 1]));
    return h;
  };
  auto severity_cells = [&](const std::array<int64_t, 5>& c) {
    std::string h;
    for (int s = 5; s >= 1; --s) h += fmt::format("<td class=\"num\">{}</td>", c[static_cast<size_t>(s - 1)]);
    return h;
  };
  out += fmt::format(
      "<h3>{}</h3>\n<table id=\"alerts-by-site\"><thead><tr><th>{}</th>{}<th class=\"num\">{}</th></tr>"
      "</thead><tbody>\n",
      esc(lab.by_site), esc(lab.site), severity_head(), esc(lab.total));
  for (const auto& s : a.by_site)
    out += fmt::format("<tr><td>{}</td>{}<td class=\"num\">{}</td></tr>\n", esc(s.site.empty() ? "—" : s.site),
                       severity_cells(s.by_severity), s.total);
  out += fmt::format("<tr><th>{}</th>{}<th class=\"num\">{}</th></tr>\n</tbody></table>\n", esc(lab.total),
                     severity_cells(a.by_severity), a.total);
  out += fmt::format("<h3>{}</h3>\n<table id=\"alerts-by-rule\"><thead>", esc(lab.by_rule)) +
         row({esc(lab.rule), esc(lab.severity), "<span>" + esc(lab.count) + "</span>"}, true) + "</thead><tbody>\n";
  const size_t shown = std::min<size_t>(a.by_rule.size(), 50);
  for (size_t i = 0; i < shown; ++i) {
    const auto& rule = a.by_rule[i];
    const std::string sev =
        rule.severity >= 1 && rule.severity <= 5 ? std::string(lab.severities[rule.severity - 1]) : "—";
    out += fmt::format("<tr><td>{}<br><span class=\"mono\">{}</span></td><td class=\"sev-{}\">{}</td><td class=\"num\">{}"
                       "</td></tr>\n",
                       esc(rule.name), esc(rule.id), rule.severity, esc(sev), rule.count);
  }
  out += "</tbody></table>\n";
}

// An evidence item's subject: a kind (what is missing) in words, else the id as written.
std::string subject_words(const cmp::EvidenceItem& e, inv::Language lang) {
  if (e.subject.empty()) return "—";
  switch (e.reason) {
    case inv::Reason::AssetCount:
    case inv::Reason::NoSensor:
    case inv::Reason::NoAssetToCheck:
      return esc(inv::kind_word(e.subject, lang));
    default:
      return esc(e.subject);
  }
}

void evidence_table(std::string& out, const Report& r, const cmp::RequirementResult& q, const Labels& lab) {
  // Not met first (worst first), then in evaluation order; at most kMaxEvidenceRows.
  std::vector<size_t> order(q.evidence.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return inv::severity(q.evidence[a].status) > inv::severity(q.evidence[b].status);
  });
  const size_t shown = std::min(order.size(), kMaxEvidenceRows);
  out += "<table class=\"evidence\"><thead>" +
         row({esc(lab.site), esc(lab.subject), esc(lab.status), esc(lab.observed), esc(lab.observed_at),
              esc(lab.valid_until), esc(lab.source_col)},
             true) +
         "</thead><tbody>\n";
  for (size_t k = 0; k < shown; ++k) {
    const auto& e = q.evidence[order[k]];
    out += row({esc(e.site.empty() ? "—" : e.site), subject_words(e, r.lang), badge(e.status, lab, r.lang),
                esc(e.observed), opt_time(e.observed_at, r), opt_time(e.valid_until, r),
                esc(lab.sources[static_cast<size_t>(e.source)])});
  }
  out += "</tbody></table>\n";
  if (shown < q.evidence.size())
    out += fmt::format("<p class=\"note\">{}</p>\n", esc(with(lab.evidence_more, shown, q.evidence.size())));
}

void system_section(std::string& out, const Report& r, const cmp::SystemResult& s, const Labels& lab) {
  out += fmt::format("<section class=\"system\" id=\"system-{}\">\n<h3>{}: {} <span class=\"mono\">({})</span></h3>\n",
                     esc(s.id), esc(lab.system), esc(s.name), esc(s.id));
  std::string sites;
  const size_t named = std::min(s.sites.size(), kMaxSiteNames);
  for (size_t i = 0; i < named; ++i)
    sites += (i ? ", " : "") + esc(s.sites[i].name) + " <span class=\"mono\">(" + esc(s.sites[i].id) + ")</span>";
  if (named < s.sites.size()) sites += " " + esc(with(lab.sites_more, s.sites.size() - named));
  out += "<table class=\"meta\"><tbody>\n";
  out += row({esc(lab.level), std::to_string(s.level)});
  out += row({esc(lab.owner), s.owner.empty() ? "—" : esc(s.owner)});
  out += row({esc(lab.approved), opt_date(s.approved, r)});
  out += row({esc(lab.last_assessment), opt_date(s.last_assessment, r)});
  out += row(
      {esc(lab.sites_in_scope), fmt::format("{}: {}", s.sites.size(), sites.empty() ? esc(lab.no_site_named) : sites)});
  out += row({esc(lab.assets_in_scope), std::to_string(s.assets_in_scope)});
  out += "</tbody></table>\n";

  out += fmt::format("<h4>{}</h4>\n<table class=\"status-table requirements\"><thead>", esc(lab.requirements)) +
         row({esc(lab.requirement), esc(lab.req_title), esc(lab.status), esc(lab.reason), esc(lab.coverage)}, true) +
         "</thead><tbody>\n";
  for (const auto& q : s.requirements) {
    const std::string title = r.lang == inv::Language::En && !q.title_en.empty() ? q.title_en : q.title_vi;
    std::string reference = esc(q.reference);
    if (!q.legacy.empty()) reference += "<br>" + esc(lab.legacy) + ": " + esc(q.legacy);
    const std::string coverage = q.coverage.total ? fmt::format("{}/{} {}", q.coverage.met, q.coverage.total,
                                                                esc(lab.units[static_cast<size_t>(q.coverage.unit)]))
                                                  : "—";
    out += fmt::format(
        "<tr><td class=\"mono\">{}</td><td>{}<br><span class=\"note\">{}</span></td><td>{}</td><td>{}</td>"
        "<td class=\"num\">{}</td></tr>\n",
        esc(q.id), esc(title), reference, badge(q.status, lab, r.lang), esc(q.reason), coverage);
  }
  out += "</tbody></table>\n";

  for (const auto& q : s.requirements) {
    if (q.status == Status::NotApplicable) continue;
    const std::string title = r.lang == inv::Language::En && !q.title_en.empty() ? q.title_en : q.title_vi;
    out +=
        fmt::format("<h4>{} {}: {} {}</h4>\n", esc(lab.evidence), esc(q.id), esc(title), badge(q.status, lab, r.lang));
    std::string method = q.check.empty() ? std::string(lab.manual) : std::string(lab.automatic) + " (" + q.check + ")";
    out += fmt::format(
        "<p class=\"note\">{}: {}{}{}</p>\n", esc(lab.method), esc(method),
        q.manual.empty() ? "" : "; " + esc(lab.artefact) + ": " + esc(q.manual),
        q.waiver ? "; " + esc(with(lab.waived_until, inv::date_words(q.waiver->expires, r.lang), q.waiver->approved_by))
                 : "");
    evidence_table(out, r, q, lab);
  }

  out += fmt::format("<h4>{}</h4>\n", esc(lab.waivers));
  if (s.waivers.empty()) {
    out += fmt::format("<p>{}</p>\n", esc(lab.waivers_none));
  } else {
    out += "<table class=\"waivers\"><thead>" +
           row({esc(lab.requirement), esc(lab.waiver_reason), esc(lab.approved_by), esc(lab.expires), esc(lab.state)},
               true) +
           "</thead><tbody>\n";
    for (const auto& w : s.waivers)
      out += row({"<span class=\"mono\">" + esc(w.requirement) + "</span>", esc(w.reason), esc(w.approved_by),
                  esc(inv::date_words(w.expires, r.lang)), esc(w.in_force ? lab.in_force : lab.expired)});
    out += "</tbody></table>\n";
  }
  out += "</section>\n";
}

void integrity(std::string& out, const Report& r, const Labels& lab, const std::string& json_name) {
  out += fmt::format("<section class=\"system\" id=\"integrity\">\n<h2>{}</h2>\n<p>{}</p>\n",
                     esc(lab.integrity_heading), esc(lab.integrity_text));
  out += fmt::format("<p class=\"mono\">socctl report verify {}{}</p>\n", esc(json_name),
                     r.inputs.events ? " --events …" : "");
  out += "<table class=\"meta\"><tbody>\n";
  out += row({esc(lab.digest), "<span class=\"mono\" id=\"digest\">" + esc(r.digest) + "</span>"});
  out += row({esc(lab.inventory_sha256), "<span class=\"mono\">" + esc(r.inputs.inventory_sha256) + "</span>"});
  out += row({esc(lab.baseline_sha256), "<span class=\"mono\">" + esc(r.inputs.baseline_sha256) + "</span>"});
  if (const auto& e = r.inputs.events) {
    out += row({esc(lab.events_sha256), "<span class=\"mono\">" + esc(e->sha256) + "</span><br>" +
                                            esc(with(lab.events_counts, e->used, e->files, e->malformed, e->outside))});
  }
  out += "</tbody></table>\n";
  out += fmt::format("<h2>{}</h2>\n<div class=\"signoff\">", esc(lab.signoff_heading));
  for (auto who : {lab.prepared_by, lab.approver})
    out += fmt::format("<div><p><b>{}</b></p><p class=\"note\">{}</p><p>{}: ……/……/………</p></div>", esc(who),
                       esc(lab.sign_hint), esc(lab.date));
  out += "</div>\n</section>\n";
}

}  // namespace

std::string html_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string render_html(const Report& r, const std::string& json_name) {
  const Labels& lab = labels(r.lang);
  std::string out;
  out.reserve(64 * 1024);
  out += fmt::format(
      "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"{}\">\n<title>{} {}</title>\n<style>{}</style>\n</head>\n<body>\n",
      lab.html_lang, esc(r.generator + " " + r.version), esc(lab.title), esc(r.digest.substr(0, 16)), kCss);
  header(out, r, lab);
  summary(out, r, lab);
  gaps(out, r, lab);
  alerts(out, r, lab);
  out += fmt::format("<h2>{}</h2>\n", esc(lab.systems_heading));
  for (const auto& s : r.systems) system_section(out, r, s, lab);
  integrity(out, r, lab, json_name);
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace soc::ctl::report
