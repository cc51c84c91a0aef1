// socctl report verify FILE.json [--events FILE.jsonl...] [--inventory FILE --baseline FILE]:
// checks a JSON report later (docs/report.md, "Digest").
//   1. The digest recomputed from the report's own content (statuses, evidence, inputs) must be
//      the one it states: an edited status or evidence item fails.
//   2. With --events: the events used for the report's period, hashed as the builder hashed
//      them, must be the ones it names (count and SHA-256): a changed, added or removed event
//      fails.
//   3. With --inventory and --baseline too: their digests must be those the report names, and
//      the evidence re-derived from all three at the report's instant must be the report's,
//      item by item (the first differences are listed).
// Exit 0 when every check holds, 1 otherwise (or when the report cannot be read), 2 for usage.
#include <fmt/core.h>

#include <cstdio>
#include <fstream>

#include "core/crypto/digest.h"
#include "daemon/compliance/digest.h"
#include "daemon/compliance/json.h"
#include "daemon/compliance/offline.h"
#include "daemon/compliance/record.h"
#include "socctl/commands.h"

namespace soc::ctl {

namespace cmp = daemon::compliance;
namespace inv = daemon::inventory;

namespace {

int bad(const std::string& message) {
  std::fprintf(stderr, "socctl report verify: %s\n", message.c_str());
  return 1;
}

Result<std::string> read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail("read", fmt::format("cannot read {}", path));
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::string item_text(const cmp::EvidenceItem& e) {
  return fmt::format("{} {} {} {} observed_at {} valid_until {}", e.site.empty() ? "-" : e.site,
                     e.subject.empty() ? "-" : e.subject, inv::to_string(e.status), inv::to_string(e.reason),
                     e.observed_at ? format_rfc3339(*e.observed_at) : "-",
                     e.valid_until ? format_rfc3339(*e.valid_until) : "-");
}

// The first differences between the report's evidence and the re-derived one, one per line.
std::vector<std::string> differences(const cmp::Report& stated, const cmp::Report& derived) {
  std::vector<std::string> out;
  auto note = [&](std::string s) {
    if (out.size() < 20) out.push_back(std::move(s));
  };
  if (stated.systems.size() != derived.systems.size())
    note(fmt::format("{} systems in the report, {} re-derived", stated.systems.size(), derived.systems.size()));
  for (size_t i = 0; i < std::min(stated.systems.size(), derived.systems.size()); ++i) {
    const auto &a = stated.systems[i], &b = derived.systems[i];
    for (size_t j = 0; j < std::min(a.requirements.size(), b.requirements.size()); ++j) {
      const auto &qa = a.requirements[j], &qb = b.requirements[j];
      if (qa.status != qb.status)
        note(fmt::format("{} {}: status {} in the report, {} re-derived", a.id, qa.id, inv::to_string(qa.status),
                         inv::to_string(qb.status)));
      for (size_t k = 0; k < std::max(qa.evidence.size(), qb.evidence.size()); ++k) {
        const std::string ta = k < qa.evidence.size() ? item_text(qa.evidence[k]) : "(none)";
        const std::string tb = k < qb.evidence.size() ? item_text(qb.evidence[k]) : "(none)";
        if (ta != tb) note(fmt::format("{} {} evidence #{}: report: {}; re-derived: {}", a.id, qa.id, k + 1, ta, tb));
      }
    }
  }
  return out;
}

}  // namespace

int run_report_verify(const ReportVerifyOptions& o) {
  if (o.files.empty()) return config::kExitUsage;
  std::vector<std::string> events = o.events;
  if (o.files.size() > 1) {
    if (o.events.empty()) {
      std::fputs("socctl report verify: one report FILE.json is expected; events files follow --events\n", stderr);
      return config::kExitUsage;
    }
    events.insert(events.end(), o.files.begin() + 1, o.files.end());
  }
  if (o.inventory.empty() != o.baseline.empty() || (!o.inventory.empty() && events.empty())) {
    std::fputs("socctl report verify: --inventory and --baseline go together, with --events\n", stderr);
    return config::kExitUsage;
  }
  const std::string& path = o.files[0];
  auto text = read_all(path);
  if (!text) return bad(text.error().message);
  auto report = cmp::from_json(*text, path);
  if (!report) {
    std::fputs(report.error().message.c_str(), stderr);
    return 1;
  }
  const std::string digest = cmp::compute_digest(*report);
  if (digest != report->digest)
    return bad(fmt::format("{}: the digest does not match the content: the report states {}, its statuses and "
                           "evidence give {}",
                           path, report->digest, digest));
  std::printf("%s: the digest matches the statuses and evidence (%s)\n", path.c_str(), digest.c_str());
  if (events.empty()) return 0;

  if (!report->inputs.events)
    return bad(fmt::format("{} is a live report (source {}): it was built from no events files", path, report->source));
  auto scanned = cmp::scan_events(events, report->from, report->to, 0, [](Event&, Timestamp, bool) {});
  if (!scanned) return bad(scanned.error().message);
  const auto& stated = *report->inputs.events;
  if (scanned->input.sha256 != stated.sha256 || scanned->input.used != stated.used)
    return bad(fmt::format("the events differ from those the report was built from: {} lines of the period with "
                           "SHA-256 {}, the report names {} lines with SHA-256 {}",
                           scanned->input.used, scanned->input.sha256, stated.used, stated.sha256));
  std::printf("the %lld events of the period are those the report was built from (%s)\n",
              static_cast<long long>(stated.used), stated.sha256.c_str());
  if (o.inventory.empty()) return 0;

  for (const auto& [file, want, what] : {std::tuple{o.inventory, report->inputs.inventory_sha256, "inventory"},
                                         std::tuple{o.baseline, report->inputs.baseline_sha256, "baseline"}}) {
    auto content = read_all(file);
    if (!content) return bad(content.error().message);
    if (crypto::sha256_hex(*content) != want)
      return bad(fmt::format("{} is not the {} the report was built from (SHA-256 {}, the report names {})", file, what,
                             crypto::sha256_hex(*content), want));
  }
  cmp::OfflineInput in;
  in.inventory_path = o.inventory;
  in.baseline_path = o.baseline;
  in.events = events;
  in.from = report->from;
  in.at = report->to;
  in.lang = report->lang;
  auto derived = cmp::build_offline(in);
  if (!derived) return bad(derived.error().message);
  if (derived->report.digest != report->digest) {
    std::string list;
    for (const auto& d : differences(*report, derived->report)) list += "  " + d + "\n";
    return bad(fmt::format("the evidence re-derived from the inputs differs from the report's (digest {}):\n{}",
                           derived->report.digest, list));
  }
  std::printf("the evidence re-derived from the inventory, the baseline and the events is the report's\n");
  return 0;
}

}  // namespace soc::ctl
