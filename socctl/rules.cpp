// socctl rules check and socctl replay: the rule engine offline, on files.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "core/json_codec.h"
#include "core/line_reader.h"
#include "daemon/inventory/enrich.h"
#include "daemon/inventory/loader.h"
#include "daemon/rules/engine.h"
#include "daemon/rules/loader.h"
#include "daemon/rules/rule_tests.h"
#include "soc_build_config.h"
#include "socctl/commands.h"

namespace soc::ctl {
namespace {

namespace rules = daemon::rules;

// The mapping files given, or the shipped ones (rules/mappings/*.yaml of the source tree).
bool load_mappings(const std::vector<std::string>& given, rules::FieldMapping& out) {
  std::vector<std::string> files = given;
  if (files.empty()) {
    std::error_code ec;
    const std::string dir = std::string(SOC_SOURCE_DIR) + "/rules/mappings";
    for (const auto& e : std::filesystem::directory_iterator(dir, ec))
      if (e.path().extension() == ".yaml" || e.path().extension() == ".yml") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
  }
  std::vector<Diagnostic> diags;
  for (const auto& f : files) rules::merge_mapping(out, rules::load_mapping(f, diags));
  if (!diags.empty()) {
    std::fputs(render_all(diags).c_str(), stderr);
    return false;
  }
  return true;
}

rules::RuleSet load(const std::vector<std::string>& paths, const rules::FieldMapping& mapping) {
  rules::Loader loader(mapping);
  for (const auto& p : paths) loader.load_path(p);
  return loader.finish();
}

}  // namespace

void add_rules(config::Command& root, RulesCheckOptions& check, RulesCheckOptions& test, config::Command*& rules_cmd,
               config::Command*& check_cmd, config::Command*& test_cmd) {
  rules_cmd = &root.subcommand("rules", "Work with rule packs (Sigma rules and correlations)");
  rules_cmd->require_subcommand();
  check_cmd = &rules_cmd->subcommand("check", "Load every rule; exit 0 when all load, 1 with diagnostics otherwise");
  test_cmd = &rules_cmd->subcommand("test", "Run every rule's inline tests (rules/README.md); exit 0 when all pass");
  for (auto [cmd, o] : {std::pair{check_cmd, &check}, std::pair{test_cmd, &test}}) {
    cmd->option("mapping", o->mappings, "Field mapping file (repeatable; default: the shipped rules/mappings/*.yaml)")
        .positionals("paths", o->paths, "Rule files or folders (searched for *.yml and *.yaml)", true);
  }
}

int run_rules_test(const RulesCheckOptions& o) {
  rules::FieldMapping mapping;
  if (!load_mappings(o.mappings, mapping)) return 1;
  auto set = std::make_shared<rules::RuleSet>(load(o.paths, mapping));
  std::fputs(set->render_diagnostics().c_str(), stderr);
  size_t passed = 0, failed = 0, untested = 0;
  for (const auto& r : set->rules) untested += r.tests.empty() ? 1 : 0;
  for (const auto& r : rules::run_rule_tests(set)) {
    std::printf("%s %s:%d: %s: %s%s%s\n", r.passed ? "PASS" : "FAIL", r.file.c_str(), r.line, r.rule.c_str(),
                r.name.c_str(), r.passed ? "" : "\n    ", r.detail.c_str());
    (r.passed ? passed : failed)++;
  }
  std::printf("%zu passed, %zu failed; %zu rules loaded (%zu without tests), %zu refused\n", passed, failed,
              set->rules.size(), untested, set->refused.size());
  return failed == 0 && set->ok() ? 0 : 1;
}

int run_rules_check(const RulesCheckOptions& o) {
  rules::FieldMapping mapping;
  if (!load_mappings(o.mappings, mapping)) return 1;
  const auto set = load(o.paths, mapping);
  std::fputs(set.render_diagnostics().c_str(), stderr);
  std::printf("%zu rules loaded, %zu refused\n", set.rules.size(), set.refused.size());
  return set.ok() ? 0 : 1;
}

void add_replay(config::Command& root, ReplayOptions& o, config::Command*& cmd) {
  cmd = &root.subcommand("replay", "Evaluate events from JSON-lines files against rules; print alerts as JSON lines");
  cmd->option("rules", o.rules, "Rule file or folder (repeatable, required)")
      .option("mapping", o.mappings, "Field mapping file (repeatable; default: the shipped rules/mappings/*.yaml)")
      .option("lateness", o.lateness_s, "Seconds an event may arrive behind the newest one and still count")
      .option("max-groups", o.max_groups, "Open groups per correlation rule before the oldest is evicted")
      .option("inventory", o.inventory, "inventory.yaml: add site.name/kind/level and asset.id/kind before the rules")
      .flag("keep-evidence", o.keep_evidence,
            "Keep the events alerts cite and count held-back repeats, as the correlator does (what it costs: "
            "bench/rules_bench.sh)")
      .positionals("files", o.files, "JSON-lines files of events, evaluated in order (- for standard input)", true);
}

int run_replay(const ReplayOptions& o) {
  if (o.rules.empty()) {
    std::fputs("socctl replay: --rules DIR is required\n", stderr);
    return config::kExitUsage;
  }
  rules::FieldMapping mapping;
  if (!load_mappings(o.mappings, mapping)) return 1;
  std::optional<daemon::inventory::Enricher> enricher;
  if (!o.inventory.empty()) {
    daemon::inventory::Inventory inv;
    std::vector<Diagnostic> diags;
    std::string source;
    if (!daemon::inventory::load_inventory(o.inventory, inv, diags, source)) {
      std::fputs(render_all(diags, source).c_str(), stderr);
      return 1;
    }
    enricher.emplace(inv);
  }
  auto set = std::make_shared<rules::RuleSet>(load(o.rules, mapping));
  // Refused rules are reported; the others run (one bad rule never stops the others).
  std::fputs(set->render_diagnostics().c_str(), stderr);
  rules::EngineOptions options;
  options.allowed_lateness = std::chrono::microseconds(static_cast<int64_t>(o.lateness_s * 1e6));
  options.max_groups_per_rule = static_cast<size_t>(std::max<int64_t>(1, o.max_groups));
  options.keep_evidence = o.keep_evidence;
  options.report_suppressed = o.keep_evidence;
  std::string out;
  rules::Engine engine(set, [&](const Event& alert) {
    out.clear();
    // As the correlator completes its alerts: a correlation's alert names its site's name too.
    if (enricher && !alert.get_string("site.id").empty() && !alert.contains("site.name")) {
      Event a = alert;
      enricher->apply(a);
      encode_event(a, out);
    } else {
      encode_event(alert, out);
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
  }, options);
  uint64_t bad = 0;
  int rc = 0;
  Event event;
  for (const auto& file : o.files) {
    LineReader reader;
    if (auto r = reader.open(file); !r) {
      std::fprintf(stderr, "socctl replay: %s: %s\n", file.c_str(), r.error().message.c_str());
      rc = 1;
      continue;
    }
    std::string_view line;
    bool truncated = false;
    int64_t line_no = 0;
    while (reader.next(line, truncated)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
      if (truncated || decode_event_into(line, event)) {
        ++bad;
        continue;
      }
      // As the correlator numbers what it receives, an event without an id or a sequence number
      // gets its line number in the file, so that alerts name their evidence (soc.evidence).
      if (event.find("event.sequence") == nullptr && event.find("event.id") == nullptr)
        event.set("event.sequence", line_no);
      if (enricher) enricher->apply(event);
      engine.process(event);
    }
    if (!reader.error().empty()) {
      std::fprintf(stderr, "socctl replay: %s: %s\n", file.c_str(), reader.error().c_str());
      rc = 1;
    }
  }
  engine.flush();
  std::fflush(stdout);
  const auto& c = engine.counters();
  std::fprintf(stderr,
               "socctl replay: %zu rules (%zu refused), %llu events (%llu undecodable), %llu matches, %llu alerts, "
               "%llu late, %llu evicted groups, %llu excepted\n",
               set->rules.size(), set->refused.size(), static_cast<unsigned long long>(c.events),
               static_cast<unsigned long long>(bad), static_cast<unsigned long long>(c.matches),
               static_cast<unsigned long long>(c.alerts), static_cast<unsigned long long>(c.late_events),
               static_cast<unsigned long long>(c.evicted_groups), static_cast<unsigned long long>(c.excepted));
  return rc;
}

}  // namespace soc::ctl
