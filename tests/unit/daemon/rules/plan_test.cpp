// The evaluation plan (daemon/rules/plan.h) against the reference evaluator matches(): on
// generated rules and events, a rule is a candidate and matches through the plan exactly when
// matches() says it matches.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <vector>

#include "core/json_codec.h"
#include "daemon/rules/engine.h"
#include "daemon/rules/loader.h"
#include "daemon/rules/plan.h"

using namespace soc::daemon::rules;

namespace {

// Checks the plan against matches() for every rule of `set` on `event`; returns the matches.
int compare(const RuleSet& set, Plan& plan, const soc::Event& event, const std::string& json) {
  std::vector<int> cand;
  // As the engine runs it: the event's fields through the index (matches() scans the event).
  plan.fields().build(event);
  plan.candidates(event, cand);
  CHECK(std::is_sorted(cand.begin(), cand.end()));
  int n = 0;
  for (size_t i = 0; i < set.rules.size(); ++i) {
    if (set.rules[i].correlation) continue;
    const bool want = matches(set.rules[i], event);
    const bool is_cand = std::find(cand.begin(), cand.end(), static_cast<int>(i)) != cand.end();
    const bool got = is_cand && plan.matches(static_cast<int>(i), event);
    if (want != got) FAIL_CHECK("rule " << set.rules[i].title << " on " << json << ": matches() says " << want);
    n += want ? 1 : 0;
  }
  plan.fields().reset();
  return n;
}

}  // namespace

TEST_CASE("plan: string tests become atoms shared across rules, one automaton per field") {
  Loader l(FieldMapping{});
  l.load_text("p.yml", R"(title: a
detection:
  sel: {message|contains: [Failed password, invalid user]}
  condition: sel
---
title: b
detection:
  sel: {message|contains: failed password, user.name: root}
  condition: sel
---
title: c
detection:
  sel: {message|startswith: 'Accepted'}
  condition: not sel
)");
  RuleSet set = l.finish();
  REQUIRE(set.ok());
  Plan plan(set);
  CHECK(plan.atoms() == 4);  // "failed password" is one atom for both rules
  CHECK(plan.automata() == 2);  // message and user.name
  auto ev = soc::decode_event(R"({"message":"FAILED PASSWORD for root","user.name":"Root"})");
  REQUIRE(ev.ok());
  std::vector<int> cand;
  plan.candidates(*ev, cand);
  CHECK(cand == std::vector<int>{0, 1, 2});
  CHECK(plan.matches(0, *ev));
  CHECK(plan.matches(1, *ev));
  CHECK(plan.matches(2, *ev));
  auto other = soc::decode_event(R"({"message":"Accepted publickey"})");
  REQUIRE(other.ok());
  plan.candidates(*other, cand);
  CHECK(cand == std::vector<int>{2});  // only the negated rule must be looked at
  CHECK_FALSE(plan.matches(2, *other));
}

TEST_CASE("plan: agrees with matches() on generated rules and events") {
  std::mt19937 rng(20261127);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  const std::vector<std::string> fields{"a", "b", "message"};
  const std::vector<std::string> words{"ab", "abc", "bca", "ca", "a", "xyz", "AbC", "b*c", "a?c", "c"};
  const std::vector<std::string> mods{"", "|contains", "|startswith", "|endswith", "|contains|all", "|cased",
                                      "|contains|cased", "|neq", "|endswith|cased", "|re"};
  // cw: a logsource that requires event.category (the plan's gate) without a dataset; d1w: both.
  const std::vector<std::string> datasets{"", "d1", "d2", "cw", "d1w"};
  std::string text;
  for (int r = 0; r < 120; ++r) {
    text += "title: r" + std::to_string(r) + "\n";
    const std::string ds = pick(datasets);
    if (!ds.empty()) text += "logsource: {product: p, service: " + ds + "}\n";
    text += "detection:\n";
    const int sels = 1 + static_cast<int>(rng() % 3);
    for (int s = 0; s < sels; ++s) {
      text += "  s" + std::to_string(s) + ":\n";
      const bool list = rng() % 3 == 0;
      const int tests = 1 + static_cast<int>(rng() % 2);
      for (int t = 0; t < tests; ++t) {
        std::string mod = pick(mods);
        std::string w1 = pick(words), w2 = pick(words);
        if (mod == "|re") w1 = w2 = "^a.c";
        text += std::string("    ") + (list && t == 0 ? "- " : list ? "  " : "") + pick(fields) + mod + ": ['" + w1 +
                "', '" + w2 + "']\n";
        if (list) break;
      }
    }
    const std::vector<std::string> conds{"s0", "all of them", "1 of them", "s0 and not 1 of s*", "not s0",
                                         "s0 or (s0 and not s0)"};
    text += "  condition: " + conds[rng() % conds.size()] + "\n---\n";
  }
  FieldMapping mapping;
  for (const char* ds : {"d1", "d2"}) {
    FieldMapping::Logsource ls;
    ls.product = "p";
    ls.service = ds;
    ls.conditions = {{"event.dataset", ds}};
    mapping.logsources.push_back(ls);
  }
  mapping.logsources.push_back({"p", "cw", "", {{"event.category", "Web"}}});
  mapping.logsources.push_back({"p", "d1w", "", {{"event.dataset", "d1"}, {"event.category", "web"}}});
  Loader l(mapping);
  l.load_text("gen.yml", text);
  RuleSet set = l.finish();
  REQUIRE_MESSAGE(set.ok(), set.render_diagnostics());
  REQUIRE(set.rules.size() == 120);
  Plan plan(set);
  CHECK(plan.atoms() > 10);
  const std::vector<std::string> values{"abc", "ABC", "xabcx", "ca", "", "bca", "a", "zzz", "AbC", "abca", "b*c",
                                        "bxc", "12"};
  int total = 0;
  for (int e = 0; e < 600; ++e) {
    std::string json = "{";
    const std::string ds = pick({"", "d1", "d2"});
    if (!ds.empty()) json += "\"event.dataset\":\"" + ds + "\",";
    switch (rng() % 4) {
      case 0: break;
      case 1: json += "\"event.category\":[\"network\",\"WEB\"],"; break;
      case 2: json += "\"event.category\":[\"network\"],"; break;
      default: json += "\"event.category\":\"web\","; break;
    }
    for (const auto& f : fields) {
      unsigned kind = rng() % 4;
      if (f == "message" && (kind == 1 || kind == 2)) kind = 3;  // message is typed: a string
      switch (kind) {
        case 0: break;  // absent
        case 1: json += "\"" + f + "\":[\"" + pick(values) + "\",\"" + pick(values) + "\"],"; break;
        case 2: json += "\"" + f + "\":12,"; break;
        default: json += "\"" + f + "\":\"" + pick(values) + " " + pick(values) + "\","; break;
      }
    }
    if (json.back() == ',') json.pop_back();
    json += "}";
    auto ev = soc::decode_event(json);
    REQUIRE_MESSAGE(ev.ok(), json);
    total += compare(set, plan, *ev, json);
  }
  CHECK(total > 100);  // the generated events do match, so the comparison says something
}

TEST_CASE("field index: finds what Event::find finds, present or absent, in shared slots too") {
  // 300 keys in 128 slots: most slots are shared, and some keys have a slot of their own.
  soc::Event event;
  std::vector<std::string> keys;
  for (int i = 0; i < 300; ++i) keys.push_back("f" + std::to_string(i * 7919 % 1000) + (i % 3 ? ".ip" : ".port"));
  for (size_t i = 0; i < keys.size(); i += 2) event.set(keys[i], soc::Value(static_cast<int64_t>(i)));
  FieldIndex index;
  index.build(event);
  size_t present = 0;
  for (const auto& k : keys) {
    const soc::Value* want = event.find(k);
    CHECK(index.find(event, k) == want);
    present += want != nullptr;
  }
  CHECK(present == 150);
  // A small event: every key in a slot of its own, absent keys answered without a scan.
  soc::Event small;
  small.set("source.ip", soc::Value("10.0.0.1"));
  small.set("source.port", soc::Value(int64_t{22}));
  small.set("event.start", soc::Value("x"));
  index.build(small);
  CHECK(index.find(small, "source.port")->as_int() == 22);
  CHECK(index.find(small, "source.ip")->as_string() == "10.0.0.1");
  CHECK(index.find(small, "destination.port") == nullptr);
  CHECK(index.find(small, "") == nullptr);
  CHECK(index.get_string(small, "event.start") == "x");
  // Another event than the one indexed is scanned, not read through the index.
  soc::Event other;
  other.set("destination.port", soc::Value(int64_t{80}));
  CHECK(index.find(other, "destination.port")->as_int() == 80);
  CHECK(index.find(other, "source.ip") == nullptr);
  index.reset();
  CHECK(index.find(small, "source.port")->as_int() == 22);
}
