#include "daemon/rules/plan.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <map>
#include <optional>
#include <tuple>

#include "daemon/rules/loader.h"

namespace soc::daemon::rules {

namespace {

// How a literal must sit in the value for the string test to hold.
enum class Anchor : uint8_t { Exact, Prefix, Suffix, Contains };

struct AtomSpec {
  std::string field;
  bool cased = false;
  Anchor anchor = Anchor::Exact;
  std::string literal;  // already lower-cased when !cased (the loader folds patterns)
};

// A glob pattern is an atom when it is a literal with `*` only at its ends: `lit` (exact),
// `lit*`, `*lit`, `*lit*`. Anything else (`?`, inner `*`, empty literal) is matched as before.
std::optional<AtomSpec> atom_of(const std::string& field, const Pattern& p) {
  if (p.kind != Pattern::Kind::Glob) return std::nullopt;
  const auto& g = p.glob;
  size_t b = 0, e = g.size();
  while (b < e && g[b] == Pattern::kStar) ++b;
  while (e > b && g[e - 1] == Pattern::kStar) --e;
  if (b == e) return std::nullopt;
  AtomSpec a;
  a.field = field;
  a.cased = p.cased;
  for (size_t i = b; i < e; ++i) {
    if (g[i] < 0) return std::nullopt;
    a.literal.push_back(static_cast<char>(static_cast<unsigned char>(g[i])));
  }
  const bool lead = b > 0, trail = e < g.size();
  a.anchor = lead && trail ? Anchor::Contains : lead ? Anchor::Suffix : trail ? Anchor::Prefix : Anchor::Exact;
  return a;
}

using Need = std::optional<std::vector<int>>;  // atoms of which one must hold; nullopt: none known

Need smallest(const std::vector<Need>& needs) {
  Need best;
  for (const auto& n : needs)
    if (n && (!best || n->size() < best->size())) best = n;
  return best;
}

Need union_of(const std::vector<Need>& needs) {
  std::vector<int> all;
  for (const auto& n : needs) {
    if (!n) return std::nullopt;
    all.insert(all.end(), n->begin(), n->end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

}  // namespace

// One Aho-Corasick automaton over the literals of one field (and one case mode), as a DFA over
// byte classes (the bytes that occur in literals, the rest one class).
struct Plan::Automaton {
  std::string field;
  bool cased = false;
  int32_t gate = -1;  // Plan::gates_ index every rule of its atoms requires, or -1
  std::array<uint16_t, 256> cls{};
  size_t classes = 1;
  std::vector<int32_t> delta;  // state * classes + class
  struct Out {
    uint32_t atom;
    uint32_t len;
    Anchor anchor;
  };
  std::vector<uint32_t> out_begin;  // per state, into outs; out_begin[s + 1] ends it
  std::vector<Out> outs;

  void build(const std::vector<std::pair<const AtomSpec*, uint32_t>>& atoms) {
    for (const auto& [a, id] : atoms)
      for (unsigned char c : a->literal)
        if (cls[c] == 0) cls[c] = static_cast<uint16_t>(classes++);
    if (!cased)
      for (int c = 'A'; c <= 'Z'; ++c) cls[c] = cls[std::tolower(c)];
    // Trie.
    std::vector<std::vector<int32_t>> next(1, std::vector<int32_t>(classes, -1));
    std::vector<std::vector<Out>> own(1);
    for (const auto& [a, id] : atoms) {
      int32_t s = 0;
      for (unsigned char c : a->literal) {
        auto& t = next[static_cast<size_t>(s)][cls[c]];
        if (t < 0) {
          t = static_cast<int32_t>(next.size());
          next.emplace_back(classes, -1);
          own.emplace_back();
        }
        s = next[static_cast<size_t>(s)][cls[c]];
      }
      own[static_cast<size_t>(s)].push_back(Out{id, static_cast<uint32_t>(a->literal.size()), a->anchor});
    }
    // Failure links in breadth-first order, completing the transitions into a DFA.
    const size_t n = next.size();
    std::vector<int32_t> fail(n, 0);
    std::vector<std::vector<Out>> all(n);
    std::deque<int32_t> queue;
    for (size_t c = 0; c < classes; ++c) {
      int32_t& t = next[0][c];
      if (t < 0) {
        t = 0;
      } else {
        fail[static_cast<size_t>(t)] = 0;
        queue.push_back(t);
      }
    }
    all[0] = own[0];
    while (!queue.empty()) {
      const auto s = static_cast<size_t>(queue.front());
      queue.pop_front();
      all[s] = own[s];
      const auto& inherited = all[static_cast<size_t>(fail[s])];
      all[s].insert(all[s].end(), inherited.begin(), inherited.end());
      for (size_t c = 0; c < classes; ++c) {
        int32_t& t = next[s][c];
        const int32_t via = next[static_cast<size_t>(fail[s])][c];
        if (t < 0) {
          t = via;
        } else {
          fail[static_cast<size_t>(t)] = via;
          queue.push_back(t);
        }
      }
    }
    delta.resize(n * classes);
    out_begin.assign(n + 1, 0);
    for (size_t s = 0; s < n; ++s) {
      std::copy(next[s].begin(), next[s].end(), delta.begin() + static_cast<ptrdiff_t>(s * classes));
      out_begin[s] = static_cast<uint32_t>(outs.size());
      outs.insert(outs.end(), all[s].begin(), all[s].end());
    }
    out_begin[n] = static_cast<uint32_t>(outs.size());
  }

  // Sets the bit of every atom the text satisfies.
  template <typename SetBit>
  void scan(std::string_view text, SetBit&& set) const {
    int32_t s = 0;
    const size_t n = text.size();
    for (size_t i = 0; i < n; ++i) {
      s = delta[static_cast<size_t>(s) * classes + cls[static_cast<unsigned char>(text[i])]];
      const uint32_t b = out_begin[static_cast<size_t>(s)], e = out_begin[static_cast<size_t>(s) + 1];
      for (uint32_t k = b; k < e; ++k) {
        const Out& o = outs[k];
        bool ok = true;
        switch (o.anchor) {
          case Anchor::Contains: break;
          case Anchor::Prefix: ok = i + 1 == o.len; break;
          case Anchor::Suffix: ok = i + 1 == n; break;
          case Anchor::Exact: ok = i + 1 == n && n == o.len; break;
        }
        if (ok) set(o.atom);
      }
    }
  }
};

struct Plan::Group {
  std::vector<int> always;                  // rules evaluated on every event of the group
  std::vector<int32_t> always_gate;         // per `always` rule: its gate, or -1
  std::vector<std::vector<int>> triggers;   // atom -> rules it makes candidates
  std::vector<Automaton> automata;
};

struct Plan::CompiledRule {
  // selections[s][alternative][test] -> atom per pattern (-1: not an atom)
  std::vector<std::vector<std::vector<std::vector<int32_t>>>> selections;
  Need need;
  bool plain = false;
  // A logsource condition other than the dataset (event.category: web for webserver rules),
  // as an index into Plan::gates_: the rule cannot match an event without it, so neither its
  // automata nor the rule itself need to run on such an event. -1: none.
  int32_t gate = -1;
};

Plan::~Plan() = default;

size_t Plan::automata() const {
  size_t n = any_ ? any_->automata.size() : 0;
  for (const auto& [k, g] : by_dataset_) n += g->automata.size();
  return n;
}

namespace {
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

namespace {

// The distinct string tests (atoms) of a rule set, numbered in the order first met.
struct AtomTable {
  std::map<std::tuple<std::string, bool, Anchor, std::string>, int> ids;
  std::vector<AtomSpec> specs;

  // The atom pattern `p` of `field` is; -1 when it is not one.
  int id_of(const std::string& field, const Pattern& p) {
    auto a = atom_of(field, p);
    if (!a) return -1;
    auto [it, fresh] =
        ids.try_emplace(std::tuple{a->field, a->cased, a->anchor, a->literal}, static_cast<int>(specs.size()));
    if (fresh) specs.push_back(std::move(*a));
    return it->second;
  }
};

// A field test's atoms, one per pattern (-1: not an atom) into `ct`, and what it needs: the
// first atom when every pattern must hold, all of them when any may and each is an atom.
Need compile_test(const FieldTest& t, AtomTable& table, std::vector<int32_t>& ct) {
  std::vector<int> atoms;
  for (const auto& p : t.patterns) {
    const int id = table.id_of(t.field, p);
    if (id >= 0) atoms.push_back(id);
    ct.push_back(id);
  }
  Need n;
  if (!t.neq && !atoms.empty()) {
    if (t.all) n = std::vector<int>{atoms.front()};  // every pattern must hold, so this one
    else if (atoms.size() == t.patterns.size()) n = atoms;  // one of them must hold
  }
  return n;
}

// The condition: And needs any child's atoms, Or the union, Not nothing known.
Need condition_need(const CondNode& n, const std::vector<Need>& sel_needs) {
  std::vector<Need> cs;
  switch (n.kind) {
    case CondNode::Kind::Sel: return sel_needs[static_cast<size_t>(n.selection)];
    case CondNode::Kind::Not: return std::nullopt;
    case CondNode::Kind::And:
      for (const auto& c : n.children) cs.push_back(condition_need(c, sel_needs));
      return smallest(cs);
    case CondNode::Kind::Or:
      for (const auto& c : n.children) cs.push_back(condition_need(c, sel_needs));
      return union_of(cs);
  }
  return std::nullopt;
}

// A plain rule's tests as atoms, and the atoms of which one must hold for it to match.
void compile_rule(const Rule& r, AtomTable& table, Plan::CompiledRule& cr) {
  cr.plain = true;
  std::vector<Need> sel_needs;
  for (const auto& sel : r.selections) {
    auto& cs = cr.selections.emplace_back();
    std::vector<Need> alt_needs;
    for (const auto& conj : sel.alternatives) {
      auto& ca = cs.emplace_back();
      std::vector<Need> test_needs;
      test_needs.reserve(conj.size());
      for (const auto& t : conj) test_needs.push_back(compile_test(t, table, ca.emplace_back()));
      alt_needs.push_back(smallest(test_needs));
    }
    sel_needs.push_back(union_of(alt_needs));
  }
  cr.need = condition_need(r.condition, sel_needs);
}

// Each plain rule's gate: its first logsource condition other than the dataset, numbered in
// `gates` as first met.
void assign_gates(const std::vector<Rule>& rules, std::vector<Plan::CompiledRule>& compiled,
                  std::vector<std::pair<std::string, std::string>>& gates) {
  for (size_t i = 0; i < rules.size(); ++i) {
    if (!compiled[i].plain) continue;
    for (const auto& [field, value] : rules[i].logsource) {
      if (field == "event.dataset") continue;
      const std::pair<std::string, std::string> g{field, lower(value)};
      auto it = std::find(gates.begin(), gates.end(), g);
      compiled[i].gate = static_cast<int32_t>(it - gates.begin());
      if (it == gates.end()) gates.push_back(g);
      break;
    }
  }
}

// The group of `members` (plain rule indexes): which rules each atom makes candidates, the rules
// evaluated on every event, and one automaton per field (and case mode) over their atoms.
std::unique_ptr<Plan::Group> build_group(std::vector<int> members, const std::vector<Plan::CompiledRule>& compiled,
                                         const std::vector<AtomSpec>& specs) {
  std::sort(members.begin(), members.end());
  auto g = std::make_unique<Plan::Group>();
  g->triggers.resize(specs.size());
  std::map<std::pair<std::string, bool>, std::vector<std::pair<const AtomSpec*, uint32_t>>> per_field;
  // The gate every owner of a field's atoms shares (-2: none seen yet, -1: no common gate).
  std::map<std::pair<std::string, bool>, int32_t> field_gate;
  std::vector<char> used(specs.size(), 0);
  for (int i : members) {
    const Plan::CompiledRule& cr = compiled[static_cast<size_t>(i)];
    if (cr.need) {
      for (int a : *cr.need) g->triggers[static_cast<size_t>(a)].push_back(i);
    } else {
      g->always.push_back(i);
      g->always_gate.push_back(cr.gate);
    }
    for (const auto& cs : cr.selections)
      for (const auto& ca : cs)
        for (const auto& ct : ca)
          for (int a : ct) {
            if (a < 0) continue;
            const AtomSpec& s = specs[static_cast<size_t>(a)];
            auto [gi, fresh] = field_gate.try_emplace({s.field, s.cased}, cr.gate);
            if (!fresh && gi->second != cr.gate) gi->second = -1;
            if (used[static_cast<size_t>(a)]) continue;
            used[static_cast<size_t>(a)] = 1;
            per_field[{s.field, s.cased}].emplace_back(&s, static_cast<uint32_t>(a));
          }
  }
  for (const auto& [key, atoms] : per_field) {
    Plan::Automaton& au = g->automata.emplace_back();
    au.field = key.first;
    au.cased = key.second;
    au.gate = field_gate[key];
    au.build(atoms);
  }
  return g;
}

}  // namespace

Plan::Plan(const RuleSet& set) : set_(set) {
  const auto& rules = set.rules;
  rules_.resize(rules.size());
  AtomTable table;
  for (size_t i = 0; i < rules.size(); ++i)
    if (!rules[i].correlation) compile_rule(rules[i], table, rules_[i]);
  assign_gates(rules, rules_, gates_);
  gate_state_.assign(gates_.size(), -1);
  atom_count_ = table.specs.size();
  bits_.assign((atom_count_ + 63) / 64, 0);
  stamp_.assign(rules.size(), 0);

  // Groups: one per dataset a logsource requires (its rules and the unindexed ones), one for
  // the rest.
  std::map<std::string, std::vector<int>> indexed;
  std::vector<int> unindexed;
  for (size_t i = 0; i < rules.size(); ++i) {
    if (!rules_[i].plain) continue;
    const auto ds = std::find_if(rules[i].logsource.begin(), rules[i].logsource.end(),
                                 [](const auto& kv) { return kv.first == "event.dataset"; });
    if (ds == rules[i].logsource.end()) unindexed.push_back(static_cast<int>(i));
    else indexed[lower(ds->second)].push_back(static_cast<int>(i));
  }
  for (auto& [ds, members] : indexed) {
    std::vector<int> all = members;
    all.insert(all.end(), unindexed.begin(), unindexed.end());
    by_dataset_[ds] = build_group(std::move(all), rules_, table.specs);
  }
  any_ = build_group(unindexed, rules_, table.specs);
}

void FieldIndex::build(const Event& event) {
  slots_.fill(kEmpty);
  event_ = &event;
  size_t pos = 0;
  for (const Field& f : event) {
    uint8_t& s = slots_[slot(f.key)];
    s = s == kEmpty && pos < kShared - 1 ? static_cast<uint8_t>(pos + 1) : kShared;
    ++pos;
  }
}

void Plan::candidates(const Event& event, std::vector<int>& out) {
  out.clear();
  for (uint32_t w : set_words_) bits_[w] = 0;
  set_words_.clear();
  key_ = fields_.get_string(event, "event.dataset");
  for (auto& ch : key_)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch + ('a' - 'A'));  // as std::tolower in the C locale
  auto found = by_dataset_.find(key_);
  const Group& g = found != by_dataset_.end() ? *found->second : *any_;
  auto set = [this](uint32_t atom) {
    uint64_t& w = bits_[atom >> 6];
    if (w == 0) set_words_.push_back(atom >> 6);
    w |= uint64_t{1} << (atom & 63);
  };
  std::fill(gate_state_.begin(), gate_state_.end(), static_cast<int8_t>(-1));
  for (const Automaton& au : g.automata) {
    if (au.gate >= 0 && !gate_holds(au.gate, event)) continue;
    const Value* v = fields_.find(event, au.field);
    if (v == nullptr) continue;
    auto scan_one = [&](const Value& x) {
      if (x.is_string()) {
        au.scan(x.as_string(), set);
      } else {
        text_ = x.to_text();
        au.scan(text_, set);
      }
    };
    if (v->is_list()) {
      for (const auto& e : v->as_list()) scan_one(e);
    } else {
      scan_one(*v);
    }
  }
  // The rules evaluated on every event, less those whose gate the event lacks.
  auto add_always = [&](std::vector<int>& into) {
    for (size_t k = 0; k < g.always.size(); ++k)
      if (g.always_gate[k] < 0 || gate_holds(g.always_gate[k], event)) into.push_back(g.always[k]);
  };
  if (set_words_.empty()) {
    add_always(out);
    return;
  }
  if (++epoch_ == 0) {
    std::fill(stamp_.begin(), stamp_.end(), 0);
    epoch_ = 1;
  }
  std::vector<int>& hit = out;  // triggered rules, then merged with `always`
  for (uint32_t w : set_words_) {
    for (uint64_t bits = bits_[w]; bits != 0; bits &= bits - 1) {
      const size_t atom = size_t{w} * 64 + static_cast<size_t>(__builtin_ctzll(bits));
      for (int r : g.triggers[atom]) {
        if (stamp_[static_cast<size_t>(r)] == epoch_) continue;
        stamp_[static_cast<size_t>(r)] = epoch_;
        // A rule whose logsource the event lacks cannot match: not a candidate.
        const int32_t gate = rules_[static_cast<size_t>(r)].gate;
        if (gate >= 0 && !gate_holds(gate, event)) continue;
        hit.push_back(r);
      }
    }
  }
  std::sort(hit.begin(), hit.end());
  if (!g.always.empty()) {
    const size_t n = hit.size();
    add_always(hit);
    std::inplace_merge(hit.begin(), hit.begin() + static_cast<ptrdiff_t>(n), hit.end());
  }
}

bool Plan::gate_holds(int32_t gate, const Event& event) {
  int8_t& state = gate_state_[static_cast<size_t>(gate)];
  if (state < 0) {
    // As logsource_matches reads one condition: any element of a list, case-insensitively.
    // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
    const std::string& field = gates_[static_cast<size_t>(gate)].first;
    const std::string& want = gates_[static_cast<size_t>(gate)].second;
    const Value* v = fields_.find(event, field);
    auto equal = [&](const Value& x) {
      std::string_view t;
      if (x.is_string()) {
        t = x.as_string();
      } else {
        text_ = x.to_text();
        t = text_;
      }
      if (t.size() != want.size()) return false;
      for (size_t i = 0; i < t.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(t[i]);
        if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != static_cast<unsigned char>(want[i])) return false;
      }
      return true;
    };
    bool ok = false;
    if (v != nullptr) {
      if (v->is_list()) {
        for (const auto& e : v->as_list()) ok = ok || equal(e);
      } else {
        ok = equal(*v);
      }
    }
    state = ok ? 1 : 0;
  }
  return state == 1;
}

namespace {

// Evaluates a plain rule's condition with its string tests read from the atom bitset.
struct Evaluation {
  const Rule& rule;
  const std::vector<std::vector<std::vector<std::vector<int32_t>>>>& atoms;  // CompiledRule::selections
  const std::vector<uint64_t>& bits;
  const Event& event;
  const FieldIndex& fields;

  bool pattern(const FieldTest& t, const std::vector<int32_t>& a, size_t k, const Value*& v, bool& looked) const {
    if (a[k] >= 0) return (bits[static_cast<size_t>(a[k]) >> 6] >> (a[k] & 63)) & 1;
    if (!looked) {
      v = fields.find(event, t.field);
      looked = true;
    }
    return match_pattern_value(t.patterns[k], v, event);
  }

  bool test(const FieldTest& t, const std::vector<int32_t>& a) const {
    const Value* v = nullptr;
    bool looked = false;
    const size_t n = t.patterns.size();
    if (t.neq) {
      if (fields.find(event, t.field) == nullptr) return false;
      for (size_t k = 0; k < n; ++k)
        if (pattern(t, a, k, v, looked)) return false;
      return true;
    }
    if (t.all) {
      for (size_t k = 0; k < n; ++k)
        if (!pattern(t, a, k, v, looked)) return false;
      return n > 0;
    }
    for (size_t k = 0; k < n; ++k)
      if (pattern(t, a, k, v, looked)) return true;
    return false;
  }

  bool eval(const CondNode& n) const {
    switch (n.kind) {
      case CondNode::Kind::And:
        for (const auto& c : n.children)
          if (!eval(c)) return false;
        return true;
      case CondNode::Kind::Or:
        for (const auto& c : n.children)
          if (eval(c)) return true;
        return false;
      case CondNode::Kind::Not: return !eval(n.children[0]);
      case CondNode::Kind::Sel: {
        const auto s = static_cast<size_t>(n.selection);
        const auto& sel = rule.selections[s];
        for (size_t a = 0; a < sel.alternatives.size(); ++a) {
          bool all = true;
          for (size_t t = 0; t < sel.alternatives[a].size() && all; ++t)
            all = test(sel.alternatives[a][t], atoms[s][a][t]);
          if (all) return true;
        }
        return false;
      }
    }
    return false;
  }
};

}  // namespace

bool Plan::matches(int index, const Event& event) const {
  const Rule& rule = set_.rules[static_cast<size_t>(index)];
  if (!logsource_matches(rule, event, fields_)) return false;
  return Evaluation{rule, rules_[static_cast<size_t>(index)].selections, bits_, event, fields_}.eval(rule.condition);
}

}  // namespace soc::daemon::rules
