// Loads Sigma rules and Sigma correlation rules from YAML files into a RuleSet (the only place
// of the rule engine that includes yaml-cpp). Each rule (each YAML document) is loaded on its
// own: a broken or unsupported rule is refused with diagnostics (file:line:column, a stable
// code, all problems of a file at once) and the others still load. Never throws.
//
// A YAML syntax error refuses only the document it is in: the other documents of the file load.
// Unknown keys are refused with the nearest known key ("did you mean 'suppress'?"): a misspelt
// key would otherwise switch a feature off without a word.
//
// Diagnostic codes (stable, see docs/adr/0008-rule-engine.md and 0031-detection-breadth.md):
//   yaml.syntax, rule.missing_key, rule.unknown_key, rule.bad_value, rule.unsupported,
//   rule.duplicate_key, rule.bad_condition, rule.unknown_selection, rule.bad_modifier, rule.bad_regex, rule.bad_cidr,
//   rule.unknown_reference, rule.duplicate_id, mapping.bad_value, mapping.unknown_key,
//   file.unreadable; warnings (the rule loads): rule.logsource_fallback.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/diagnostic.h"
#include "daemon/rules/rule.h"

namespace soc::daemon::rules {

// From Sigma field names and logsources to our ECS events (rules/mappings/*.yaml).
struct FieldMapping {
  std::map<std::string, std::string> fields;  // Sigma name -> ECS name; unlisted names pass through
  struct Logsource {
    std::string product, service, category;  // empty: the rule must not have this key either
    std::vector<std::pair<std::string, std::string>> conditions;  // ECS field -> value
  };
  std::vector<Logsource> logsources;
  // A logsource with a service and no entry matches event.dataset = this template ("{service}"
  // when empty; "{product}" is replaced too), per product when listed (`service_fallback:`).
  std::string fallback_dataset;
  std::map<std::string, std::string> fallback_by_product;
};

// A rule that was refused: where, and the first diagnostic (its code and message say why).
struct Refusal {
  std::string file;
  std::string title;
  Diagnostic reason;
};

struct RuleSet {
  std::vector<Rule> rules;
  std::vector<Refusal> refused;
  std::vector<Diagnostic> diagnostics;    // every problem found, in file order
  std::vector<Diagnostic> warnings;       // what loaded with a caveat (Diagnostic::warning), in file order
  std::map<std::string, std::string> sources;  // file -> text, to render diagnostics with a caret
  bool ok() const { return diagnostics.empty(); }
  // Every diagnostic rendered with its snippet, one after the other.
  std::string render_diagnostics() const;
  // Every warning, the same way.
  std::string render_warnings() const;
};

// Parses a mapping file; problems are appended to `diags` (then the mapping is partial).
FieldMapping load_mapping(const std::string& path, std::vector<Diagnostic>& diags);
// Merges `more` into `into` (later files win on field names; logsources are appended).
void merge_mapping(FieldMapping& into, const FieldMapping& more);
// The mapping files the project ships (rules/mappings/*.yaml in the source tree from a build
// tree, in the installed data folder otherwise), in name order. None found (a binary copied
// out of its build tree, an install without its data) is a diagnostic: without the mappings
// most Sigma rules would be refused or matched on the wrong fields.
std::vector<std::string> shipped_mapping_files(std::vector<Diagnostic>& diags);

class Loader {
 public:
  explicit Loader(FieldMapping mapping) : mapping_(std::move(mapping)) {}

  // Loads one file (every YAML document in it) from its text.
  void load_text(const std::string& file, const std::string& text);
  // Loads a file, or every *.yml / *.yaml under a folder (recursively, in name order, skipping
  // folders named `mappings`).
  void load_path(const std::string& path);

  // Resolves correlation references (by id or name, across every loaded file), refuses
  // correlations whose references are unknown, refused, or circular, and decides which rules
  // emit alerts on their own. Call once, after the last load.
  RuleSet finish();

 private:
  FieldMapping mapping_;
  RuleSet set_;
  // Shared allowlists (documents with `allowlist:`, rules/README.md "Exceptions"): applied to
  // the rules they name (all when they name none) by finish().
  struct Allowlist {
    std::string file;
    std::vector<std::pair<std::string, std::pair<int, int>>> rules;  // id or name, (line, column)
    Selection exceptions;
  };
  std::vector<Allowlist> allowlists_;
  // Adds each allowlist's exceptions to the rules it names (unknown names are diagnostics).
  void apply_allowlists();
};

}  // namespace soc::daemon::rules
