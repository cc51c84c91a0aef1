// The loader takes files people edit: whatever the bytes, it reports diagnostics and never
// throws or crashes. Mutations of real rules (the shipped pack) and hostile conditions.
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <string>

#include "core/config/yaml_util.h"
#include "daemon/rules/engine.h"
#include "daemon/rules/loader.h"

using namespace soc::daemon::rules;

TEST_CASE("loader survives deeply nested and malformed conditions") {
  std::string deep(5000, '(');
  const std::string text = "title: t\ndetection:\n  s: {a: 1}\n  condition: '" + deep + "s'\n";
  Loader l(FieldMapping{});
  l.load_text("d.yml", text);
  auto set = l.finish();
  CHECK(set.rules.empty());
  REQUIRE_FALSE(set.diagnostics.empty());
  CHECK(set.diagnostics[0].code == "rule.bad_condition");
  for (const char* c : {"s and", "(s", "s)", "not", "1 of", "all of x*", "s or or s", "| count()", "them"}) {
    Loader m(FieldMapping{});
    m.load_text("c.yml", std::string("title: t\ndetection:\n  s: {a: 1}\n  condition: '") + c + "'\n");
    CHECK_MESSAGE(!m.finish().ok(), c);
  }
}

TEST_CASE("loader never throws on mutated rule files, and what loads can be evaluated") {
  std::vector<std::string> texts;
  for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(SOC_SOURCE_ROOT) + "/rules")) {
    if (e.path().extension() != ".yml") continue;
    std::string t;
    REQUIRE(soc::config::read_file(e.path().string(), t));
    texts.push_back(t);
  }
  REQUIRE_FALSE(texts.empty());
  std::mt19937 rng(5);
  const std::string alphabet = " \n:-|*?{}[]'\"\\#&!%@`,>0aZ";
  auto event = soc::Event();
  event.set("event.dataset", "sshd");
  event.set("message", "Failed password");
  for (int round = 0; round < 300; ++round) {
    std::string t = texts[rng() % texts.size()];
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < edits && !t.empty(); ++i) {
      const size_t pos = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: t.erase(pos, 1 + rng() % 16); break;
        default: t.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
      }
    }
    Loader l(FieldMapping{});
    CHECK_NOTHROW(l.load_text("m.yml", t));
    auto set = std::make_shared<RuleSet>(l.finish());
    Engine engine(set, [](const soc::Event&) {});
    CHECK_NOTHROW(engine.process(event));
    engine.flush();
  }
}
