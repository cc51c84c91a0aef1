// socctl report: the auditors' compliance report (docs/report.md, docs/adr/0025), built offline
// from an inventory, a baseline and recorded events, or fetched from a running correlator
// (GET /api/v1/compliance), written as JSON, HTML, CSV or PDF in Vietnamese or English.
// Exit 0 when written; 1 when an input cannot be used (each problem located) or the PDF cannot
// be made; 2 for a usage error.
#include <fmt/core.h>

#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/http/client.h"
#include "core/json_tree.h"
#include "daemon/compliance/digest.h"
#include "daemon/compliance/json.h"
#include "daemon/compliance/offline.h"
#include "daemon/compliance/record.h"
#include "soc_build_config.h"
#include "socctl/commands.h"
#include "socctl/report/csv.h"
#include "socctl/report/html.h"
#include "socctl/report_pdf.h"

namespace soc::ctl {

namespace cmp = daemon::compliance;
namespace inv = daemon::inventory;
namespace fs = std::filesystem;

void add_report(config::Command& root, ReportOptions& o, ReportVerifyOptions& v, config::Command*& report_cmd,
                config::Command*& verify_cmd) {
  report_cmd = &root.subcommand(
      "report", "The compliance report for auditors: per information system and requirement, with evidence");
  report_cmd->option("inventory", o.inventory, "inventory.yaml (with --baseline: build the report offline)")
      .option("baseline", o.baseline, "baseline.yaml")
      .option("events", o.events,
              "Recorded events: the correlator's --events-out file (heartbeats, readings, log events) and its "
              "--alerts-out file; repeatable, or several files after one --events")
      .option("api", o.api, "Build the report from a running correlator instead: http://HOST:PORT of its listener")
      .option("at", o.at, "The instant the statuses are evaluated at, RFC 3339 (default: now); makes a report reproducible")
      .option("from", o.from, "The start of the period, RFC 3339 (default: the earliest event used)")
      .option("format", o.format, "json, html, csv or pdf")
      .option("lang", o.lang, "vi or en")
      .option("out", o.out, "The file to write (- for standard output, except pdf)")
      .option("chromium", o.chromium, "Chromium for --format pdf (default: $SOC_CHROMIUM, else chromium on PATH)")
      .option("timeout", o.timeout_s, "Seconds allowed for --api requests and for Chromium")
      .positionals("more-events", o.more_events, "More events files (after --events FILE)", false);
  verify_cmd = &report_cmd->subcommand(
      "verify", "Check a JSON report's digest; with --events, that the events are those it was built from");
  verify_cmd->option("events", v.events, "The recorded events the report was built from (repeatable)")
      .option("inventory", v.inventory, "With --baseline and --events: re-derive every evidence item and compare")
      .option("baseline", v.baseline, "See --inventory")
      .positionals("file", v.files, "The report (FILE.json), then more events files after --events", true);
}

namespace {

int usage(const std::string& message) {
  std::fprintf(stderr, "socctl report: %s (see socctl report --help)\n", message.c_str());
  return config::kExitUsage;
}

int problem(const std::string& message) {
  std::fprintf(stderr, "socctl report: %s\n", message.c_str());
  return 1;
}

std::optional<Timestamp> parse_instant(const std::string& text) { return parse_rfc3339(text); }

// Writes `content` to `path` whole or not at all ("-": standard output).
Result<void> write_file(const std::string& path, const std::string& content) {
  if (path == "-") {
    if (std::fwrite(content.data(), 1, content.size(), stdout) != content.size() || std::fflush(stdout) != 0)
      return fail("write", "cannot write to standard output");
    return {};
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(content.data(), static_cast<std::streamsize>(content.size()));
    f.flush();
    if (!f) return fail("write", fmt::format("cannot write {}", tmp));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return fail("write", fmt::format("cannot write {}: {}", path, ec.message()));
  return {};
}

std::string url_encode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':')
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

// "?lang=vi&at=..." with the values percent-encoded.
std::string query(const ReportOptions& o) {
  std::string q = "?lang=" + url_encode(o.lang);
  if (!o.at.empty()) q += "&at=" + url_encode(o.at);
  return q;
}

std::string api_error(const http::Response& r) {
  auto tree = json::parse(r.body);
  if (tree)
    if (const auto* e = tree->find("error"))
      if (const auto* m = e->find("message"); m && m->is_string()) return m->as_string();
  return r.body.substr(0, 300);
}

// The alerts of the period from GET /api/v1/alerts (docs/api.md, issue 10), when the correlator
// has an alert store; "not available" otherwise.
cmp::AlertsSummary fetch_alerts(const std::string& base, const cmp::Report& r, double timeout_s) {
  cmp::AlertsSummary none;
  none.note = "the correlator serves no alert list (GET /api/v1/alerts)";
  cmp::AlertTally tally;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    http::Request req;
    req.url = fmt::format("{}/api/v1/alerts?since={}&until={}&limit=1000{}", base, url_encode(format_rfc3339(r.from)),
                          url_encode(format_rfc3339(r.to)), cursor.empty() ? "" : "&cursor=" + url_encode(cursor));
    req.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
    auto resp = http::get(req);
    if (!resp || resp->status != 200) {
      if (resp && resp->status != 404) none.note = fmt::format("GET /api/v1/alerts answered {}", resp->status);
      return none;
    }
    auto tree = json::parse(resp->body);
    const json::Node* list = tree ? tree->find("alerts") : nullptr;
    if (!list || !list->is_array()) {
      none.note = "GET /api/v1/alerts answered something that is not an alert list";
      return none;
    }
    for (const auto& a : list->items()) {
      auto text = [&](const json::Node* n, std::string_view key) -> std::string {
        const json::Node* v = n ? n->find(key) : nullptr;
        return v && v->is_string() ? v->as_string() : "";
      };
      const json::Node* sev = a.find("severity");
      const json::Node* number = sev ? sev->find("number") : nullptr;
      // An alert of the store folds its repeats (count): each is one alert of the period, as
      // each is one line of --alerts-out in a report built from files.
      const json::Node* count = a.find("count");
      tally.add(text(a.find("site"), "id"), number && number->is_int() ? number->as_int() : 0, text(a.find("rule"), "id"),
                text(a.find("rule"), "name"), count && count->is_int() && count->as_int() > 0 ? count->as_int() : 1);
    }
    const json::Node* next = tree->find("next");
    if (!next || !next->is_string()) return tally.finish();
    cursor = next->as_string();
  }
  return tally.finish();
}

Result<cmp::Report> from_api(const ReportOptions& o) {
  std::string base = o.api;
  while (!base.empty() && base.back() == '/') base.pop_back();
  http::Request req;
  req.url = base + "/api/v1/compliance" + query(o);
  req.timeout = std::chrono::milliseconds(static_cast<int64_t>(o.timeout_s * 1000));
  req.max_body_bytes = size_t(1) << 30;
  auto resp = http::get(req);
  if (!resp) return fail("api", fmt::format("GET {}: {}", req.url, resp.error().message));
  if (resp->status != 200)
    return fail("api", fmt::format("GET {} answered {}: {}", req.url, resp->status, api_error(*resp)));
  auto report = cmp::from_json(resp->body, req.url);
  if (!report) return fail("api", report.error().message);
  if (cmp::compute_digest(*report) != report->digest)
    return fail("api", "the correlator's report does not match its own digest");
  if (!report->alerts.available) report->alerts = fetch_alerts(base, *report, o.timeout_s);
  return report;
}

Result<cmp::Report> from_files(const ReportOptions& o, Timestamp at, std::optional<Timestamp> from) {
  cmp::OfflineInput in;
  in.inventory_path = o.inventory;
  in.baseline_path = o.baseline;
  in.events = o.events;
  in.events.insert(in.events.end(), o.more_events.begin(), o.more_events.end());
  in.from = from;
  in.at = at;
  in.lang = *inv::parse_language(o.lang);
  in.version = SOC_VERSION;
  auto built = cmp::build_offline(in);
  if (!built) return fail(built.error());
  if (!built->warnings.empty()) {
    std::fputs(render_all(built->warnings).c_str(), stderr);
    const auto& e = *built->report.inputs.events;
    std::fprintf(stderr, "socctl report: %lld malformed lines skipped (the %zu first are listed above)\n",
                 static_cast<long long>(e.malformed), built->warnings.size());
  }
  return std::move(built->report);
}

}  // namespace

int run_report(const ReportOptions& o) {
  if (o.format != "json" && o.format != "html" && o.format != "csv" && o.format != "pdf")
    return usage("--format must be json, html, csv or pdf");
  if (!inv::parse_language(o.lang)) return usage("--lang must be vi or en");
  if (o.out.empty()) return usage("--out FILE is required");
  if (o.out == "-" && o.format == "pdf") return usage("--format pdf needs a file for --out");
  const bool live = !o.api.empty();
  if (live && (!o.inventory.empty() || !o.baseline.empty() || !o.events.empty() || !o.from.empty()))
    return usage("--api builds the report from the correlator: --inventory, --baseline, --events and --from do not apply");
  if (!live && (o.inventory.empty() || o.baseline.empty()))
    return usage("--inventory and --baseline are required (or --api URL)");
  if (!o.more_events.empty() && o.events.empty()) return usage("unexpected arguments: events files follow --events");
  if (!(o.timeout_s > 0)) return usage("--timeout must be positive");
  std::optional<Timestamp> at, from;
  if (!o.at.empty() && !(at = parse_instant(o.at))) return usage("--at must be an RFC 3339 time, e.g. 2026-12-04T08:00:00Z");
  if (!o.from.empty() && !(from = parse_instant(o.from)))
    return usage("--from must be an RFC 3339 time, e.g. 2026-12-01T00:00:00Z");
  if (from && *from > at.value_or(now())) return usage("--from is after --at");

  auto report = live ? from_api(o) : from_files(o, at.value_or(now()), from);
  if (!report) {
    if (report.error().code == "config") {
      std::fputs(report.error().message.c_str(), stderr);
      return 1;
    }
    return problem(report.error().message);
  }
  std::string content;
  if (o.format == "json") content = cmp::to_json(*report);
  else if (o.format == "csv") content = report::render_csv(*report);
  else content = report::render_html(*report, o.out == "-" ? "report.json"
                                                              : fs::path(o.out).stem().string() + ".json");
  if (o.format == "pdf") {
    auto printed = print_pdf(content, o.out, {o.chromium, o.timeout_s});
    if (!printed) return problem(printed.error().message);
  } else if (auto w = write_file(o.out, content); !w) {
    return problem(w.error().message);
  }
  const auto& s = report->summary;
  std::fprintf(stderr,
               "socctl report: %s: %zu systems; %lld met, %lld partially met, %lld not met, %lld not applicable, "
               "%lld not assessable, %lld waived; digest %s\n",
               o.out == "-" ? "standard output" : o.out.c_str(), report->systems.size(), static_cast<long long>(s[0]),
               static_cast<long long>(s[1]), static_cast<long long>(s[2]), static_cast<long long>(s[3]),
               static_cast<long long>(s[4]), static_cast<long long>(s[5]), report->digest.c_str());
  return 0;
}

}  // namespace soc::ctl
