#include "daemon/alerts/catalog.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "daemon/alerts/mitre.h"
#include "daemon/rules/loader.h"

namespace soc::daemon::alerts {
namespace {

rules::RuleSet shipped_rules() {
  rules::FieldMapping mapping;
  std::vector<Diagnostic> diags;
  for (const auto& e : std::filesystem::directory_iterator(std::string(SOC_SOURCE_ROOT) + "/rules/mappings"))
    rules::merge_mapping(mapping, rules::load_mapping(e.path().string(), diags));
  rules::Loader loader(std::move(mapping));
  loader.load_path(std::string(SOC_SOURCE_ROOT) + "/rules");
  return loader.finish();
}

TEST_CASE("every MITRE technique the shipped rules cite has a name") {
  const auto set = shipped_rules();
  REQUIRE(set.rules.size() > 10);
  size_t cited = 0;
  for (const auto& r : set.rules)
    for (const auto& t : r.techniques) {
      CAPTURE(r.title);
      CAPTURE(t);
      CHECK(mitre_technique_name(t).has_value());
      ++cited;
    }
  CHECK(cited > 0);
  CHECK(mitre_technique_name("T1110.001") == std::optional<std::string_view>("Password Guessing"));
  CHECK(mitre_technique_name("T0000") == std::nullopt);
}

TEST_CASE("the catalog groups and resolves each rule as its suppression, correlation or key fields say") {
  const auto set = shipped_rules();
  const RuleCatalog catalog(catalog_entries(set, std::chrono::minutes(5)));
  // A correlation with suppress: its group-by, its suppression window.
  const RuleInfo* brute = catalog.find("6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a03");
  REQUIRE(brute);
  CHECK(brute->name == "SSH brute force from one address");
  // The rule's own description (YAML's folded block).
  CHECK(brute->description.rfind("5 or more failed SSH logins from one source address within 10 minutes", 0) == 0);
  CHECK(brute->severity == 4);
  CHECK(brute->group_fields == std::vector<std::string>{"source.ip"});
  CHECK(brute->quiet == std::chrono::minutes(10));
  // A correlation without suppress: its timespan.
  const RuleInfo* success = catalog.find("6c2f0b4e-8a0f-4d55-9c1e-1f3b0e7a5a05");
  REQUIRE(success);
  CHECK(success->quiet == std::chrono::minutes(30));
  CHECK(success->group_fields == std::vector<std::string>{"source.ip"});
  // A plain rule without suppress: the key fields and the default quiet period.
  const RuleInfo* sudo = catalog.find("3d6f1a2b-4c5e-4f70-8a9b-0c1d2e3f4a01");
  REQUIRE(sudo);
  CHECK(sudo->group_fields == kPlainRuleGroup);
  CHECK(sudo->quiet == std::chrono::minutes(5));
  CHECK(catalog.find("no-such-rule") == nullptr);
}

TEST_CASE("the group key names the group fields present, in order") {
  Event e;
  e.set("user.name", "root");
  e.set("source.ip", "203.0.113.7");
  CHECK(group_key(e, {"source.ip", "destination.ip", "user.name"}) == "source.ip=203.0.113.7,user.name=root");
  CHECK(group_key(e, {}) == "");
}

}  // namespace
}  // namespace soc::daemon::alerts
