// socctl rules check and socctl replay: the rule engine offline, on files.
#include <cstdio>
#include <memory>
#include <string>

#include "core/json_codec.h"
#include "core/line_reader.h"
#include "daemon/alerts/sinks/alert_log_sink.h"
#include "daemon/alerts/sinks/chain_log.h"
#include "daemon/alerts/sinks/notice_json.h"
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

// The mapping files given, or the shipped ones (rules/mappings/*.yaml, installed or in the
// source tree).
bool load_mappings(const std::vector<std::string>& given, rules::FieldMapping& out) {
  std::vector<Diagnostic> diags;
  const std::vector<std::string> files = given.empty() ? rules::shipped_mapping_files(diags) : given;
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
  std::fputs(set->render_warnings().c_str(), stderr);
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
  std::fputs(set.render_warnings().c_str(), stderr);
  // Warnings (a logsource matched by the service fallback) do not fail the check.
  std::printf("%zu rules loaded, %zu refused", set.rules.size(), set.refused.size());
  if (!set.warnings.empty()) std::printf(", %zu warnings", set.warnings.size());
  std::printf("\n");
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
      .option("alert-log", o.alert_log,
              "Also append the alerts to this hash-chained alert log, as soc-correlator --alert-log writes it "
              "(docs/alert-log.md)")
      .positionals("files", o.files, "JSON-lines files of events, evaluated in order (- for standard input)", true);
}

namespace {

// --inventory: the enricher the correlator's inventory stage would apply. False when the file is
// wrong (reported).
bool open_enricher(const std::string& path, std::optional<daemon::inventory::Enricher>& enricher) {
  if (path.empty()) return true;
  daemon::inventory::Inventory inv;
  std::vector<Diagnostic> diags;
  std::string source;
  if (!daemon::inventory::load_inventory(path, inv, diags, source)) {
    std::fputs(render_all(diags, source).c_str(), stderr);
    return false;
  }
  enricher.emplace(inv);
  return true;
}

// --alert-log: the hash-chained alert log, as the correlator's --alert-log writes it.
Result<std::unique_ptr<daemon::alerts::sinks::ChainLog>> open_chain(const std::string& path) {
  if (path.empty()) return std::unique_ptr<daemon::alerts::sinks::ChainLog>{};
  daemon::alerts::sinks::ChainLogOptions lo;
  lo.path = path;
  lo.fsync = daemon::alerts::sinks::FsyncPolicy::Interval;  // and at the end
  lo.writer = "socctl replay";
  return daemon::alerts::sinks::ChainLog::open(std::move(lo));
}

// Where the replay's alerts go: JSON lines on stdout, and the alert log when one is given.
struct AlertPrinter {
  AlertPrinter(const std::optional<daemon::inventory::Enricher>& e, daemon::alerts::sinks::ChainLog* c)
      : enricher(e), chain(c) {}

  const std::optional<daemon::inventory::Enricher>& enricher;
  daemon::alerts::sinks::ChainLog* chain;
  int64_t alert_ids = 0;
  bool chain_failed = false;
  std::string out;

  void operator()(const Event& alert) {
    out.clear();
    // As the correlator completes its alerts: a correlation's alert names its site's name too.
    std::optional<Event> enriched;
    if (enricher && !alert.get_string("site.id").empty() && !alert.contains("site.name")) {
      enriched = alert;
      enricher->apply(*enriched);
    }
    const Event& a = enriched ? *enriched : alert;
    encode_event(a, out);
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
    if (chain && !chain_failed) {
      const auto record = daemon::alerts::sinks::notice_record(daemon::alerts::sinks::firing_notice(a, ++alert_ids), "");
      if (auto r = chain->append({&record, 1}); !r) {
        std::fprintf(stderr, "socctl replay: --alert-log: %s\n", r.error().message.c_str());
        chain_failed = true;
      }
    }
  }
};

// The files' events, in order, through the engine. Returns 1 when a file could not be read, else
// 0; lines that are not an event are counted in `bad`.
int feed_files(const std::vector<std::string>& files, rules::Engine& engine,
               const std::optional<daemon::inventory::Enricher>& enricher, uint64_t& bad) {
  int rc = 0;
  Event event;
  for (const auto& file : files) {
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
  return rc;
}

}  // namespace

int run_replay(const ReplayOptions& o) {
  if (o.rules.empty()) {
    std::fputs("socctl replay: --rules DIR is required\n", stderr);
    return config::kExitUsage;
  }
  rules::FieldMapping mapping;
  if (!load_mappings(o.mappings, mapping)) return 1;
  std::optional<daemon::inventory::Enricher> enricher;
  if (!open_enricher(o.inventory, enricher)) return 1;
  auto opened = open_chain(o.alert_log);
  if (!opened) {
    std::fprintf(stderr, "socctl replay: --alert-log: %s\n", opened.error().message.c_str());
    return 1;
  }
  std::unique_ptr<daemon::alerts::sinks::ChainLog> chain = std::move(*opened);
  auto set = std::make_shared<rules::RuleSet>(load(o.rules, mapping));
  // Refused rules are reported; the others run (one bad rule never stops the others).
  std::fputs(set->render_diagnostics().c_str(), stderr);
  std::fputs(set->render_warnings().c_str(), stderr);
  rules::EngineOptions options;
  options.allowed_lateness = std::chrono::microseconds(static_cast<int64_t>(o.lateness_s * 1e6));
  options.max_groups_per_rule = static_cast<size_t>(std::max<int64_t>(1, o.max_groups));
  options.keep_evidence = o.keep_evidence;
  options.report_suppressed = o.keep_evidence;
  AlertPrinter printer(enricher, chain.get());
  rules::Engine engine(set, [&](const Event& alert) { printer(alert); }, options);
  uint64_t bad = 0;
  int rc = feed_files(o.files, engine, enricher, bad);
  engine.flush();
  chain.reset();  // synced and closed
  if (printer.chain_failed) rc = 1;
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
