#include "daemon/rules/loader.h"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>

#include <fmt/core.h>

#include "core/config/yaml_util.h"
#include "daemon/rules/load/internal.h"

// The loader's parts live in daemon/rules/load/ (one concern per file); this file reads files,
// isolates each YAML document, and resolves what spans documents (references, allowlists).
namespace soc::daemon::rules {

using load::Doc;

namespace {

// Each file's lines are indexed once, however many diagnostics it has (core/diagnostic.h).
std::string render_each(const std::vector<Diagnostic>& diags, const std::map<std::string, std::string>& sources) {
  std::string out;
  std::map<std::string_view, SourceLines> lines;
  for (const auto& d : diags) {
    auto it = lines.find(d.file);
    if (it == lines.end()) {
      auto src = sources.find(d.file);
      it = lines.emplace(d.file, SourceLines(src != sources.end() ? std::string_view(src->second) : std::string_view()))
               .first;
    }
    out += render(d, it->second);
    out += '\n';
  }
  return out;
}

}  // namespace

std::string RuleSet::render_diagnostics() const { return render_each(diagnostics, sources); }

std::string RuleSet::render_warnings() const { return render_each(warnings, sources); }

namespace {

// A digest of a document's content (not its comments or layout): its nodes, tags and scalars
// in order, each with its length. Walking the tree costs a fraction of emitting it again
// (YAML::Dump was a third of loading the shipped pack).
void digest_node(const YAML::Node& n, std::string& out) {
  auto sized = [&out](char kind, const std::string& s) {
    out += kind;
    out += std::to_string(s.size());
    out += ':';
    out += s;
  };
  switch (n.Type()) {
    case YAML::NodeType::Scalar:
      sized('t', n.Tag());
      sized('s', n.Scalar());
      return;
    case YAML::NodeType::Sequence:
      sized('q', n.Tag());
      for (const auto& e : n) digest_node(e, out);
      out += ']';
      return;
    case YAML::NodeType::Map:
      sized('m', n.Tag());
      for (const auto& kv : n) {
        digest_node(kv.first, out);
        digest_node(kv.second, out);
      }
      out += '}';
      return;
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: out += '~'; return;
  }
}

uint64_t content_digest(const YAML::Node& root) {
  std::string text;
  digest_node(root, text);
  return std::hash<std::string>{}(text);
}

std::string get_title(const YAML::Node& root) {
  const YAML::Node t = root["title"];
  return t && t.IsScalar() ? t.Scalar() : std::string();
}

// Every document of the file. The whole stream is parsed at once when it is well formed (the
// common case, and the fast one); otherwise document by document, so that a syntax error
// refuses only its own document. `broken` receives one diagnostic per document that did not
// parse. Each document comes with the number of file lines before the text it was parsed from.
std::vector<std::pair<YAML::Node, int>> parse_documents(const std::string& file, const std::string& text,
                                                        std::vector<Diagnostic>& broken) {
  std::vector<std::pair<YAML::Node, int>> docs;
  std::vector<YAML::Node> all;
  std::vector<Diagnostic> whole;
  if (config::load_yaml_all(file, text, all, whole)) {
    for (auto& n : all) docs.emplace_back(std::move(n), 0);
    return docs;
  }
  for (const auto& part : load::split_documents(text)) {
    std::vector<YAML::Node> one;
    std::vector<Diagnostic> diags;
    if (config::load_yaml_all(file, part.text, one, diags)) {
      for (auto& n : one) docs.emplace_back(std::move(n), part.first_line);
    } else {
      for (auto& d : diags) {
        if (d.line > 0) d.line += part.first_line;
        broken.push_back(std::move(d));
      }
    }
  }
  if (broken.empty() && !whole.empty()) broken = std::move(whole);  // an error the split did not reproduce
  return docs;
}

}  // namespace

void Loader::load_text(const std::string& file, const std::string& text) {
  set_.sources[file] = text;
  std::vector<Diagnostic> broken;
  const std::vector<std::pair<YAML::Node, int>> docs = parse_documents(file, text, broken);
  for (auto& d : broken) {
    set_.refused.push_back(Refusal{file, "", d});
    set_.diagnostics.push_back(std::move(d));
  }
  for (const auto& [root, line_offset] : docs) {
    if (!root || root.IsNull()) continue;
    Doc doc{file, {}, {}, line_offset};
    if (root.IsMap() && root["allowlist"]) {
      // A shared allowlist: {rules: [ids or names], exceptions: selection}; not a rule.
      Allowlist al;
      al.file = file;
      try {
        load::check_allowlist_keys(doc, root);
        const YAML::Node a = root["allowlist"];
        if (!a.IsMap() || !a["exceptions"]) {
          doc.add(a, "rule.bad_value", "'allowlist' must be a map with 'exceptions' (and optionally 'rules')");
        } else {
          if (a["rules"])
            for (const auto& r : load::string_list(doc, a["rules"], "allowlist.rules"))
              al.rules.push_back({r.Scalar(), doc.position(r)});
          load::compile_selection(doc, mapping_, "exceptions", a["exceptions"], al.exceptions);
        }
      } catch (const YAML::Exception& e) {
        doc.add(e.mark, "rule.bad_value", e.msg);
      }
      if (doc.diags.empty()) {
        allowlists_.push_back(std::move(al));
      } else {
        set_.refused.push_back(Refusal{file, get_title(root), doc.diags.front()});
        for (auto& d : doc.diags) set_.diagnostics.push_back(std::move(d));
      }
      continue;
    }
    Rule rule;
    rule.file = file;
    rule.digest = content_digest(root);
    try {
      load::load_document(doc, mapping_, root, rule);
    } catch (const YAML::Exception& e) {
      doc.add(e.mark, "rule.bad_value", e.msg);
    }
    for (auto& w : doc.warnings) set_.warnings.push_back(std::move(w));
    if (doc.diags.empty()) {
      set_.rules.push_back(std::move(rule));
    } else {
      set_.refused.push_back(Refusal{file, rule.title, doc.diags.front()});
      for (auto& d : doc.diags) set_.diagnostics.push_back(std::move(d));
    }
  }
}


void Loader::load_path(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> files;
  if (fs::is_directory(path, ec)) {
    for (auto it = fs::recursive_directory_iterator(path, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_directory() && it->path().filename() == "mappings") {
        it.disable_recursion_pending();
        continue;
      }
      const auto ext = it->path().extension();
      if (it->is_regular_file() && (ext == ".yml" || ext == ".yaml")) files.push_back(it->path().string());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  if (ec) set_.diagnostics.push_back(Diagnostic{path, 0, 0, "file.unreadable", ec.message()});
  for (const auto& f : files) {
    std::string text;
    if (auto d = config::read_file_bounded(f, text, config::kMaxRuleFileBytes, "file.unreadable")) {
      set_.diagnostics.push_back(std::move(*d));
      continue;
    }
    load_text(f, text);
  }
}

void Loader::apply_allowlists() {
  auto& rules = set_.rules;
  for (const auto& al : allowlists_) {
    std::vector<bool> target(rules.size(), al.rules.empty());
    for (const auto& [ref, pos] : al.rules) {
      bool found = false;
      for (size_t i = 0; i < rules.size(); ++i) {
        if (rules[i].id == ref || rules[i].name == ref) {
          target[i] = true;
          found = true;
        }
      }
      if (!found)
        set_.diagnostics.push_back(Diagnostic{al.file, pos.first, pos.second, "rule.unknown_reference",
                                              fmt::format("allowlist: no rule has the id or name '{}'", ref)});
    }
    for (size_t i = 0; i < rules.size(); ++i)
      if (target[i])
        for (const auto& alt : al.exceptions.alternatives) rules[i].exceptions.alternatives.push_back(alt);
  }
}

namespace {

// Correlation references across a rule set: which rules are refused (a duplicate id, a
// correlation whose references are unknown, refused, itself or circular), then the survivors
// compacted with their references as indexes.
class References {
 public:
  explicit References(RuleSet& set) : set_(set), rules_(set.rules), alive_(rules_.size(), true) {}

  // Duplicate ids: the second one is refused. Then every name and id can be looked up.
  void index_ids() {
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (!rules_[i].id.empty()) {
        auto [it, fresh] = by_id_.emplace(rules_[i].id, i);
        if (!fresh) {
          refuse(i, Diagnostic{rules_[i].file, rules_[i].id_line, rules_[i].id_column, "rule.duplicate_id",
                               fmt::format("id '{}' is already used by a rule in {}", rules_[i].id,
                                           rules_[it->second].file)});
          continue;
        }
      }
      if (!rules_[i].name.empty()) by_name_.emplace(rules_[i].name, i);
    }
  }

  // Resolve until nothing changes: refusing one correlation may orphan another.
  void refuse_unresolved() {
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t i = 0; i < rules_.size(); ++i) {
        if (!alive_[i] || !rules_[i].correlation) continue;
        if (const auto d = bad_reference(i)) {
          refuse(i, *d);
          changed = true;
        }
      }
    }
  }

  // Cycles: a correlation is grounded when everything it refers to is a rule or grounded.
  void refuse_cycles() {
    std::vector<bool> grounded(rules_.size(), false);
    for (size_t i = 0; i < rules_.size(); ++i) grounded[i] = alive_[i] && !rules_[i].correlation;
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t i = 0; i < rules_.size(); ++i) {
        if (!alive_[i] || grounded[i]) continue;
        bool all = true;
        for (const auto& ref : rules_[i].correlation->rule_refs) all = all && grounded[*lookup(ref)];
        if (all) grounded[i] = changed = true;
      }
    }
    for (size_t i = 0; i < rules_.size(); ++i)
      if (alive_[i] && !grounded[i])
        refuse(i, Diagnostic{rules_[i].file, rules_[i].line, 1, "rule.unknown_reference",
                             "circular correlation references"});
  }

  // The rules not refused, in order, with each correlation's references (and its aliases')
  // as indexes among them, and which rules alert on their own.
  std::vector<Rule> compact() {
    std::vector<int> new_index(rules_.size(), -1);
    std::vector<Rule> kept;
    for (size_t i = 0; i < rules_.size(); ++i) {
      if (!alive_[i]) continue;
      new_index[i] = static_cast<int>(kept.size());
      kept.push_back(std::move(rules_[i]));
    }
    for (auto& r : kept) {
      if (!r.correlation) continue;
      auto& c = *r.correlation;
      for (const auto& ref : c.rule_refs) c.rules.push_back(new_index[*lookup(ref)]);
      for (auto& al : c.aliases) {
        for (const auto& [ref, field] : al.written) {
          if (auto t = lookup(ref); t && new_index[*t] >= 0) al.fields.emplace_back(new_index[*t], field);
        }
      }
    }
    for (auto& r : kept) {
      if (!r.correlation) continue;
      for (int t : r.correlation->rules) kept[static_cast<size_t>(t)].standalone = false;
    }
    for (auto& r : kept) {
      if (!r.correlation || !r.correlation->generate) continue;
      for (int t : r.correlation->rules) kept[static_cast<size_t>(t)].standalone = true;
    }
    return kept;
  }

 private:
  std::optional<size_t> lookup(const std::string& ref) const {
    if (auto it = by_id_.find(ref); it != by_id_.end()) return it->second;
    if (auto it = by_name_.find(ref); it != by_name_.end()) return it->second;
    return std::nullopt;
  }

  // Why correlation `i` cannot stand: its first reference that is unknown, refused or itself.
  std::optional<Diagnostic> bad_reference(size_t i) const {
    const auto& c = *rules_[i].correlation;
    for (size_t r = 0; r < c.rule_refs.size(); ++r) {
      const auto target = lookup(c.rule_refs[r]);
      const auto [line, col] = c.ref_positions[r];
      if (!target || !alive_[*target])
        return Diagnostic{rules_[i].file, line, col, "rule.unknown_reference",
                          target ? fmt::format("rule '{}' was refused", c.rule_refs[r])
                                 : fmt::format("no rule has the id or name '{}'", c.rule_refs[r])};
      if (*target == i)
        return Diagnostic{rules_[i].file, line, col, "rule.unknown_reference", "a correlation cannot refer to itself"};
    }
    return std::nullopt;
  }

  void refuse(size_t i, Diagnostic d) {
    alive_[i] = false;
    set_.refused.push_back(Refusal{rules_[i].file, rules_[i].title, d});
    set_.diagnostics.push_back(std::move(d));
  }

  RuleSet& set_;
  std::vector<Rule>& rules_;
  std::vector<bool> alive_;
  std::unordered_map<std::string, size_t> by_id_, by_name_;
};

}  // namespace

RuleSet Loader::finish() {
  apply_allowlists();
  References refs(set_);
  refs.index_ids();
  refs.refuse_unresolved();
  refs.refuse_cycles();
  set_.rules = refs.compact();
  // Diagnostics in file order, then position.
  auto by_position = [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.file, a.line, a.column) < std::tie(b.file, b.line, b.column);
  };
  std::stable_sort(set_.diagnostics.begin(), set_.diagnostics.end(), by_position);
  std::stable_sort(set_.warnings.begin(), set_.warnings.end(), by_position);
  return std::move(set_);
}

}  // namespace soc::daemon::rules
