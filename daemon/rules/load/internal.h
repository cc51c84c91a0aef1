// The rule loader's parts (daemon/rules/load/), shared between its files and nothing else:
// yaml-cpp stays inside the loader. Each file holds one concern: documents.cpp splits a file
// into YAML documents and checks keys, selection.cpp compiles detections, condition.cpp parses
// conditions, document.cpp turns one document into a Rule, mapping.cpp maps Sigma names and
// logsources to ECS. daemon/rules/loader.cpp drives them (Loader).
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/config/yaml_util.h"
#include "core/diagnostic.h"
#include "daemon/rules/loader.h"
#include "daemon/rules/rule.h"

namespace soc::daemon::rules::load {

// The diagnostics of one document (one rule): every problem is collected, then the rule is
// refused when any is an error. Warnings do not refuse the rule.
struct Doc {
  const std::string& file;
  std::vector<Diagnostic> diags;
  std::vector<Diagnostic> warnings;
  // Lines of the file before the text yaml-cpp parsed (a document parsed alone, see
  // split_documents): added to every mark's line, so that positions are the file's.
  int line_offset = 0;
  void add(const YAML::Node& n, std::string code, std::string msg) { add(n.Mark(), std::move(code), std::move(msg)); }
  void add(const YAML::Mark& m, std::string code, std::string msg) {
    diags.push_back(config::diag_at(file, at(m), std::move(code), std::move(msg)));
  }
  void warn(const YAML::Node& n, std::string code, std::string msg) {
    Diagnostic d = config::diag_at(file, at(n.Mark()), std::move(code), std::move(msg));
    d.warning = true;
    warnings.push_back(std::move(d));
  }
  // A mark in the file: line and column, both 1-based (0: unknown, as yaml-cpp's -1).
  std::pair<int, int> position(const YAML::Node& n) const {
    const YAML::Mark m = at(n.Mark());
    return {m.line + 1, m.column + 1};
  }
  YAML::Mark at(YAML::Mark m) const {
    if (m.line >= 0) m.line += line_offset;
    return m;
  }
};

std::string lower(std::string_view s);
// yaml-cpp throws on conversions: every access goes through a type check first.
inline bool is_scalar(const YAML::Node& n) { return n && n.IsScalar(); }
bool parse_number(std::string_view s, double& out);
// Column of the first character of a scalar's text (after the opening quote when quoted).
int text_column(const YAML::Node& n);

// --- documents.cpp ---------------------------------------------------------------------------

// One YAML document of a file: its text alone (its marks' lines are relative to first_line).
struct DocumentText {
  int first_line = 0;  // 0-based line of the document's first line in the file
  std::string text;
};
// Splits a multi-document stream at its document markers ("---" or "..." at the start of a
// line, which YAML forbids inside any scalar), so that a syntax error in one document is
// reported and the others still load.
std::vector<DocumentText> split_documents(const std::string& source);

// Edit distance with transpositions (optimal string alignment), capped: returns cap + 1 when the
// distance is larger than cap.
size_t edit_distance(std::string_view a, std::string_view b, size_t cap);
// The known key closest to `key` when it is close enough to be a misspelling, else "".
std::string nearest_key(std::string_view key, std::initializer_list<std::string_view> known);
// Reports every key of `map` that is not in `known` as `code` ("unknown key 'levle' in the
// rule; did you mean 'level'?"). `where` names the map in the message ("the rule", "correlation").
void check_keys(Doc& doc, const YAML::Node& map, std::initializer_list<std::string_view> known, std::string_view where,
                std::string_view code = "rule.unknown_key");

// --- selection.cpp ---------------------------------------------------------------------------

bool compile_selection(Doc& doc, const FieldMapping& mapping, const std::string& name, const YAML::Node& node,
                       Selection& sel);

// --- condition.cpp ---------------------------------------------------------------------------

// Parses a condition string over `sels` (selections, or the referenced rules of a temporal
// correlation). Diagnostics point at the offending token.
bool parse_condition(Doc& doc, const YAML::Node& node, const std::vector<Selection>& sels, CondNode& out);

// --- mapping.cpp -----------------------------------------------------------------------------

std::string map_field(const FieldMapping& mapping, const std::string& f);
// Applies the logsource mapping (the entry with exactly the rule's product/service/category;
// without one, the service fallback of FieldMapping, with a warning).
bool map_logsource(Doc& doc, const FieldMapping& mapping, const YAML::Node& ls, Rule& rule);

// --- document.cpp ----------------------------------------------------------------------------

std::optional<std::chrono::microseconds> parse_timespan(const std::string& s);
std::vector<YAML::Node> string_list(Doc& doc, const YAML::Node& n, const char* what);
void load_document(Doc& doc, const FieldMapping& mapping, const YAML::Node& root, Rule& rule);
// The keys a shared allowlist document may have (checked by the loader).
void check_allowlist_keys(Doc& doc, const YAML::Node& root);

}  // namespace soc::daemon::rules::load
