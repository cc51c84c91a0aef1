#include "daemon/compliance/record.h"

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <utility>

#include "core/crypto/digest.h"
#include "core/json_codec.h"
#include "core/line_reader.h"
#include "daemon/inventory/enrich.h"
#include "daemon/inventory/observations.h"

namespace soc::daemon::compliance {

namespace inv = inventory;

namespace {

constexpr size_t kMaxAlertSites = 10'000;
constexpr size_t kMaxAlertRules = 1'000;
constexpr std::string_view kOther = "(other)";

}  // namespace

void AlertTally::add(std::string_view site, int64_t severity, std::string_view rule_id, std::string_view rule_name,
                     int64_t times) {
  s_.total += times;
  const bool known = severity >= 1 && severity <= 5;
  if (known) s_.by_severity[static_cast<size_t>(severity - 1)] += times;
  auto site_it = sites_.find(site);
  if (site_it == sites_.end()) {
    const std::string_view name = sites_.size() < kMaxAlertSites ? site : kOther;
    site_it = sites_.find(name);
    if (site_it == sites_.end()) {
      site_it = sites_.emplace(std::string(name), s_.by_site.size()).first;
      s_.by_site.push_back({std::string(name), {}, 0});
    }
  }
  auto& per_site = s_.by_site[site_it->second];
  per_site.total += times;
  if (known) per_site.by_severity[static_cast<size_t>(severity - 1)] += times;
  auto rule_it = rules_.find(rule_id);
  if (rule_it == rules_.end()) {
    const bool room = rules_.size() < kMaxAlertRules;
    const std::string_view id = room ? rule_id : kOther;
    rule_it = rules_.find(id);
    if (rule_it == rules_.end()) {
      rule_it = rules_.emplace(std::string(id), s_.by_rule.size()).first;
      s_.by_rule.push_back({std::string(id), room ? std::string(rule_name) : std::string(kOther), 0, 0});
    }
  }
  auto& per_rule = s_.by_rule[rule_it->second];
  per_rule.count += times;
  per_rule.severity = std::max(per_rule.severity, known ? severity : int64_t{0});
}

AlertsSummary AlertTally::finish() {
  std::sort(s_.by_site.begin(), s_.by_site.end(), [](const auto& a, const auto& b) { return a.site < b.site; });
  std::sort(s_.by_rule.begin(), s_.by_rule.end(),
            [](const auto& a, const auto& b) { return a.count != b.count ? a.count > b.count : a.id < b.id; });
  return std::move(s_);
}

Result<Scanned> scan_events(const std::vector<std::string>& files, std::optional<Timestamp> from, Timestamp to,
                            size_t max_warnings,
                            const std::function<void(Event& e, Timestamp time, bool ingested)>& on_line) {
  Scanned out;
  out.input.files = static_cast<int64_t>(files.size());
  crypto::Sha256Hasher hasher;
  Event e;
  auto warn = [&](const std::string& file, uint64_t line, size_t column, std::string code, std::string message) {
    if (out.warnings.size() >= max_warnings) return;
    out.warnings.push_back({file, static_cast<int>(line), static_cast<int>(column), std::move(code), std::move(message)});
  };
  for (const auto& path : files) {
    LineReader reader;
    if (auto r = reader.open(path); !r) return fail("events", fmt::format("{}: {}", path, r.error().message));
    std::string_view line;
    bool truncated = false;
    while (reader.next(line, truncated)) {
      ++out.input.lines;
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      if (auto err = decode_event_into(line, e)) {
        ++out.input.malformed;
        warn(path, reader.line_number(), err->offset + 1, "events.malformed", err->message());
        continue;
      }
      const auto ingested = inv::Observations::arrival_of(e);
      const auto time = ingested ? ingested : e.timestamp();
      if (!time) {
        ++out.input.malformed;
        warn(path, reader.line_number(), 1, "events.untimed", "neither event.ingested nor @timestamp: the line is skipped");
        continue;
      }
      if (*time > to || (from && *time < *from)) {
        ++out.input.outside;
        continue;
      }
      ++out.input.used;
      if (!out.earliest || *time < *out.earliest) out.earliest = time;
      // The digest of the events: each used line's bytes and a newline, in the order read.
      hasher.update(line);
      hasher.update("\n");
      on_line(e, *time, ingested.has_value());
    }
    if (!reader.error().empty()) return fail("events", fmt::format("{}: {}", path, reader.error()));
  }
  out.input.sha256 = crypto::to_hex(hasher.finish());
  return out;
}

Result<Recorded> record(std::shared_ptr<const inv::Inventory> inventory, std::shared_ptr<const inv::Baseline> baseline,
                        const RecordOptions& o) {
  inv::Observations obs;
  // The enricher is made before the pointers move into obs, which keeps the inventory alive.
  const inv::Enricher enricher(*inventory);
  obs.bind(std::move(inventory), std::move(baseline));
  AlertTally alerts;
  bool any_alert = false;
  auto scanned = scan_events(o.files, o.from, o.to, o.max_warnings, [&](Event& e, Timestamp time, bool ingested) {
    if (e.get_string("event.dataset") == "soc.heartbeat") {
      obs.heartbeat(e.get_string("observer.name"), time);
    } else if (!ingested && e.get_string("event.kind") == "alert") {
      any_alert = true;
      alerts.add(e.get_string("site.id"), e.get_int("event.severity").value_or(0), e.get_string("rule.id"),
                 e.get_string("rule.name"));
    } else {
      enricher.apply(e);
      (void)obs.observe(e, time);
    }
  });
  if (!scanned) return fail(scanned.error());
  Recorded out;
  out.from = o.from ? *o.from : scanned->earliest.value_or(o.to);
  obs.set_observing_since(out.from);
  out.input = scanned->input;
  out.warnings = std::move(scanned->warnings);
  out.evidence = obs.evidence();
  out.inventory = obs.effective_inventory();
  out.alerts = alerts.finish();
  if (!any_alert) {
    out.alerts.available = false;
    out.alerts.note = "no alert among the inputs (give the correlator's --alerts-out file with --events)";
  }
  return out;
}

}  // namespace soc::daemon::compliance
