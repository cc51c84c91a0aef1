#include "daemon/rules/loader.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace soc::daemon::rules;

namespace {

FieldMapping test_mapping() {
  FieldMapping m;
  m.fields["CommandLine"] = "process.command_line";
  m.fields["c-ip"] = "source.ip";
  m.logsources.push_back({"linux", "sshd", "", {{"event.dataset", "sshd"}}});
  return m;
}

RuleSet load(const std::string& text, const std::string& file = "r.yml") {
  Loader l(test_mapping());
  l.load_text(file, text);
  return l.finish();
}

}  // namespace

TEST_CASE("loader reads a rule's metadata, tags and mapped logsource") {
  auto set = load(R"(title: SSH failure
id: 5638f7c0-ac70-491d-8465-2a65075e0d86
name: ssh_fail
status: test
level: high
tags: [attack.credential_access, attack.t1110.001, attack.T1021]
logsource: {product: linux, service: sshd}
detection:
  selection:
    CommandLine|contains: x
  condition: selection
)");
  REQUIRE(set.ok());
  REQUIRE(set.rules.size() == 1);
  const Rule& r = set.rules[0];
  CHECK(r.title == "SSH failure");
  CHECK(r.id == "5638f7c0-ac70-491d-8465-2a65075e0d86");
  CHECK(r.name == "ssh_fail");
  CHECK(r.level == Level::High);
  CHECK(r.techniques == std::vector<std::string>{"T1110.001", "T1021"});
  REQUIRE(r.logsource.size() == 1);
  CHECK(r.logsource[0].first == "event.dataset");
  CHECK(r.selections[0].alternatives[0][0].field == "process.command_line");
  CHECK(r.standalone);
}

TEST_CASE("loader reports an unknown modifier with line, column and caret") {
  auto set = load(R"(title: t
detection:
  sel:
    CommandLine|contians: x
  condition: sel
)");
  REQUIRE(set.rules.empty());
  CHECK(set.render_diagnostics() ==
        "r.yml:4:5: error[rule.bad_modifier]: unknown value modifier 'contians'; did you mean 'contains'?\n"
        "        CommandLine|contians: x\n"
        "        ^\n");
}

TEST_CASE("loader reports every problem of a file at once and keeps the good rules") {
  auto set = load(R"(title: good
detection:
  sel: {a: 1}
  condition: sel
---
title: bad regex and bad cidr
detection:
  sel:
    a|re: 'x('
    b|cidr: 10.0.0.0/33
  condition: sel
---
title: bad condition
detection:
  sel: {a: 1}
  condition: sel and selx
)");
  CHECK(set.rules.size() == 1);
  CHECK(set.refused.size() == 2);
  REQUIRE(set.diagnostics.size() == 3);
  CHECK(soc::render(set.diagnostics[0]) ==
        "r.yml:9:11: error[rule.bad_regex]: invalid regular expression: missing closing parenthesis at offset 2");
  CHECK(soc::render(set.diagnostics[1]) ==
        "r.yml:10:13: error[rule.bad_cidr]: '10.0.0.0/33' is not an IPv4 or IPv6 network (address/prefix)");
  CHECK(soc::render(set.diagnostics[2]) == "r.yml:16:22: error[rule.unknown_selection]: unknown selection 'selx'");
}

TEST_CASE("loader refuses an unsupported feature with a reason that names it") {
  auto set = load(R"(title: wide
detection:
  sel:
    CommandLine|wide|base64offset|contains: x
  condition: sel
---
title: aggregation
detection:
  sel: {a: 1}
  condition: sel | count() > 5
---
title: two of
detection:
  sel1: {a: 1}
  sel2: {a: 1}
  condition: 2 of sel*
---
title: percentile
correlation:
  type: value_percentile
  rules: [x]
  timespan: 1h
  group-by: [a]
  condition: {field: a, gte: 3}
---
title: unmapped
logsource: {product: windows, category: process_creation}
detection:
  sel: {a: 1}
  condition: sel
)");
  CHECK(set.rules.empty());
  CHECK(set.render_diagnostics().find("rule.unsupported") != std::string::npos);
  REQUIRE(set.diagnostics.size() == 5);
  CHECK(soc::render(set.diagnostics[0]) == "r.yml:4:5: error[rule.unsupported]: value modifier 'wide' is not supported");
  CHECK(soc::render(set.diagnostics[1]) ==
        "r.yml:10:18: error[rule.unsupported]: aggregation in the condition ('| count() ...', Sigma v1) is not supported");
  CHECK(soc::render(set.diagnostics[2]) ==
        "r.yml:16:14: error[rule.unsupported]: '2 of' (a count above 1) is not supported");
  CHECK(soc::render(set.diagnostics[3]) ==
        "r.yml:20:9: error[rule.unsupported]: correlation type 'value_percentile' is not supported");
  CHECK(soc::render(set.diagnostics[4]) ==
        "r.yml:27:12: error[rule.unsupported]: logsource (product: windows, category: process_creation) has no field "
        "mapping");
}

TEST_CASE("loader reports missing keys and bad values") {
  auto set = load(R"(title: no detection
level: severe
---
title: no condition
detection:
  sel: {a: 1}
---
title: no timespan
correlation:
  type: event_count
  rules: [x]
  condition: {gte: 2}
)");
  CHECK(set.rules.empty());
  CHECK(set.render_diagnostics() ==
        "r.yml:1:1: error[rule.missing_key]: a rule needs 'detection' (or 'correlation')\n"
        "    title: no detection\n"
        "    ^\n"
        "r.yml:2:8: error[rule.bad_value]: 'level' must be informational, low, medium, high or critical\n"
        "    level: severe\n"
        "           ^\n"
        "r.yml:6:3: error[rule.missing_key]: 'detection' needs a 'condition'\n"
        "      sel: {a: 1}\n"
        "      ^\n"
        "r.yml:10:3: error[rule.missing_key]: correlation needs 'timespan'\n"
        "      type: event_count\n"
        "      ^\n");
}

TEST_CASE("loader turns a YAML syntax error into a diagnostic") {
  auto set = load("title: x\ndetection: {a: [1,\n");
  CHECK(set.rules.empty());
  REQUIRE(set.diagnostics.size() == 1);
  CHECK(set.diagnostics[0].code == "yaml.syntax");
  CHECK(set.refused.size() == 1);
}

TEST_CASE("loader parses conditions with precedence, parentheses and quantifiers") {
  auto set = load(R"(title: c
detection:
  sel_a: {a: 1}
  sel_b: {b: 1}
  filter: {c: 1}
  condition: (1 of sel_* and not filter) or all of them
)");
  REQUIRE(set.ok());
  const CondNode& c = set.rules[0].condition;
  REQUIRE(c.kind == CondNode::Kind::Or);
  REQUIRE(c.children.size() == 2);
  CHECK(c.children[0].kind == CondNode::Kind::And);
  CHECK(c.children[0].children[0].kind == CondNode::Kind::Or);
  CHECK(c.children[0].children[0].children.size() == 2);
  CHECK(c.children[0].children[1].kind == CondNode::Kind::Not);
  CHECK(c.children[1].kind == CondNode::Kind::And);
  CHECK(c.children[1].children.size() == 3);
}

TEST_CASE("loader resolves correlation references by id and name, and refuses unknown ones") {
  auto set = load(R"(title: base
id: 5638f7c0-ac70-491d-8465-2a65075e0d86
name: base
detection:
  sel: {a: 1}
  condition: sel
---
title: by id
name: count_base
correlation:
  type: event_count
  rules: [5638f7c0-ac70-491d-8465-2a65075e0d86]
  group-by: [c-ip]
  timespan: 5m
  condition: {gte: 2}
---
title: chained
correlation:
  type: event_count
  rules: [count_base]
  timespan: 1h
  condition: {gte: 2}
---
title: dangling
correlation:
  type: temporal
  rules: [base, nowhere]
  group-by: [a]
  timespan: 1h
)");
  REQUIRE(set.rules.size() == 3);
  CHECK_FALSE(set.rules[0].standalone);  // referenced, no generate
  CHECK(set.rules[1].correlation->rules == std::vector<int>{0});
  CHECK(set.rules[1].correlation->group_by == std::vector<std::string>{"source.ip"});
  CHECK_FALSE(set.rules[1].standalone);
  CHECK(set.rules[2].correlation->rules == std::vector<int>{1});
  CHECK(set.rules[2].standalone);
  REQUIRE(set.diagnostics.size() == 1);
  CHECK(soc::render(set.diagnostics[0]) ==
        "r.yml:27:17: error[rule.unknown_reference]: no rule has the id or name 'nowhere'");
}

TEST_CASE("loader refuses a list in condition.field and a string condition on temporal_ordered, naming them") {
  auto set = load(R"(title: base
name: base
detection:
  sel: {a: 1}
  condition: sel
---
title: list field
correlation:
  type: value_count
  rules: [base]
  group-by: [a]
  timespan: 1h
  condition:
    field: [b, c]
    gte: 2
---
title: extended
correlation:
  type: temporal_ordered
  rules: [base]
  group-by: [a]
  timespan: 1h
  condition: base and not other
)");
  REQUIRE(set.diagnostics.size() == 2);
  CHECK(soc::render(set.diagnostics[0]) ==
        "r.yml:14:12: error[rule.unsupported]: a list in 'condition.field' is not supported");
  CHECK(soc::render(set.diagnostics[1]) ==
        "r.yml:23:14: error[rule.unsupported]: an extended (boolean string) correlation condition is supported on "
        "'temporal' only");
}

TEST_CASE("loader with generate: true keeps the referenced rule's own alerts") {
  auto set = load(R"(title: base
name: base
detection:
  sel: {a: 1}
  condition: sel
---
title: count
generate: true
correlation:
  type: event_count
  rules: [base]
  timespan: 1h
  condition: {gte: 2}
)");
  REQUIRE(set.ok());
  CHECK(set.rules[0].standalone);
  CHECK(set.rules[1].correlation->generate);
}

TEST_CASE("loader parses the extended temporal condition over rule names") {
  auto set = load(R"(title: base
name: base
detection:
  sel: {a: 1}
  condition: sel
---
title: absent
correlation:
  type: temporal
  rules: [base]
  group-by: [a]
  timespan: 1h
  condition: base and not other
)");
  REQUIRE(set.diagnostics.size() == 1);
  CHECK(soc::render(set.diagnostics[0]) == "r.yml:13:27: error[rule.unknown_selection]: unknown selection 'other'");
}

TEST_CASE("loader refuses a second rule with an id already used, pointing at the id") {
  Loader l(FieldMapping{});
  l.load_text("one.yml", "title: one\nid: 5638f7c0-ac70-491d-8465-2a65075e0d86\ndetection:\n  s: {a: 1}\n  condition: s\n");
  l.load_text("two.yml", "title: two\nid: 5638f7c0-ac70-491d-8465-2a65075e0d86\ndetection:\n  s: {a: 1}\n  condition: s\n");
  auto set = l.finish();
  REQUIRE(set.rules.size() == 1);
  CHECK(set.rules[0].title == "one");
  REQUIRE(set.diagnostics.size() == 1);
  CHECK(set.render_diagnostics() ==
        "two.yml:2:5: error[rule.duplicate_id]: id '5638f7c0-ac70-491d-8465-2a65075e0d86' is already used by a rule "
        "in one.yml\n"
        "    id: 5638f7c0-ac70-491d-8465-2a65075e0d86\n"
        "        ^\n");
}

TEST_CASE("loader refuses a misspelt key with the nearest known key, line, column and caret") {
  auto set = load(R"(title: good
detection:
  sel: {a: 1}
  condition: sel
---
title: suppression switched off by a typo
levle: high
supress: 10m
detection:
  sel: {a: 1}
  condition: sel
)");
  CHECK(set.rules.size() == 1);
  REQUIRE(set.refused.size() == 1);
  CHECK(set.refused[0].title == "suppression switched off by a typo");
  CHECK(set.render_diagnostics() ==
        "r.yml:7:1: error[rule.unknown_key]: unknown key 'levle' in the rule; did you mean 'level'?\n"
        "    levle: high\n"
        "    ^\n"
        "r.yml:8:1: error[rule.unknown_key]: unknown key 'supress' in the rule; did you mean 'suppress'?\n"
        "    supress: 10m\n"
        "    ^\n");
}

TEST_CASE("loader checks the keys of suppress, correlation, logsource and tests too") {
  auto set = load(R"(title: base
name: base
logsource: {product: linux, servce: sshd}
detection:
  sel: {a: 1}
  condition: sel
tests:
  - name: t
    events: []
    expected: []
---
title: corr
suppress: {timespan: 10m, bye: [source.ip]}
correlation:
  type: event_count
  rules: [base]
  group_by: [source.ip]
  timespan: 1m
  condition: {gte: 2}
)");
  CHECK(set.rules.empty());
  std::vector<std::string> unknown;
  for (const auto& d : set.diagnostics)
    if (d.code == "rule.unknown_key") unknown.push_back(soc::render(d));
  REQUIRE(unknown.size() == 4);
  CHECK(unknown[0] == "r.yml:3:29: error[rule.unknown_key]: unknown key 'servce' in logsource; did you mean 'service'?");
  CHECK(unknown[1] == "r.yml:10:5: error[rule.unknown_key]: unknown key 'expected' in a test; did you mean 'expect'?");
  CHECK(unknown[2] == "r.yml:13:27: error[rule.unknown_key]: unknown key 'bye' in suppress; did you mean 'by'?");
  CHECK(unknown[3] ==
        "r.yml:17:3: error[rule.unknown_key]: unknown key 'group_by' in correlation; did you mean 'group-by'?");
}

TEST_CASE("loader keeps custom attributes under custom_attributes and refuses other unknown keys") {
  auto set = load(R"(title: with custom attributes
custom_attributes: {owner: soc-team, ticket: 42}
detection:
  sel: {a: 1}
  condition: sel
---
title: with a stray key
ownership: soc-team
detection:
  sel: {a: 1}
  condition: sel
)");
  CHECK(set.rules.size() == 1);
  REQUIRE(set.diagnostics.size() == 1);
  CHECK(soc::render(set.diagnostics[0]) ==
        "r.yml:8:1: error[rule.unknown_key]: unknown key 'ownership' in the rule (custom attributes go under "
        "'custom_attributes')");
}

TEST_CASE("a YAML syntax error refuses its own document and the other documents of the file load") {
  auto set = load(R"(title: first
detection:
  sel: {a: 1}
  condition: sel
---
title: broken
detection:
  sel: {a: [1, 2}
  condition: sel
---
title: third
detection:
  sel: {a: 3}
  condition: sel
...
---
title: fourth
detection:
  sel: {a: 4}
  condition: sel
---
title: fifth
levle: low
detection:
  sel: {a: 5}
  condition: sel
)");
  REQUIRE(set.rules.size() == 3);
  CHECK(set.rules[0].title == "first");
  CHECK(set.rules[1].title == "third");
  CHECK(set.rules[2].title == "fourth");
  // Documents parsed one by one still report the file's lines.
  CHECK(set.rules[1].line == 11);
  CHECK(set.rules[2].line == 17);
  REQUIRE(set.diagnostics.size() == 2);
  CHECK(set.diagnostics[0].code == "yaml.syntax");
  CHECK(set.diagnostics[0].line == 8);
  CHECK(set.render_diagnostics().find("r.yml:23:1: error[rule.unknown_key]: unknown key 'levle' in the rule; "
                                      "did you mean 'level'?\n    levle: low\n    ^\n") != std::string::npos);
  CHECK(set.refused.size() == 2);
}

TEST_CASE("a logsource service without a mapping entry loads on its dataset, with a warning") {
  auto set = load(R"(title: FTP server login refused
logsource: {product: linux, service: vsftpd}
detection:
  keywords: ['FAIL LOGIN']
  condition: keywords
---
title: A Windows rule
logsource: {product: windows, category: process_creation}
detection:
  sel: {CommandLine|contains: whoami}
  condition: sel
)");
  REQUIRE(set.rules.size() == 1);
  const Rule& r = set.rules[0];
  REQUIRE(r.logsource.size() == 1);
  CHECK(r.logsource[0] == std::pair<std::string, std::string>{"event.dataset", "vsftpd"});
  CHECK(r.selections[0].alternatives[0][0].field == "message");
  REQUIRE(set.warnings.size() == 1);
  CHECK(set.render_warnings() ==
        "r.yml:2:12: warning[rule.logsource_fallback]: logsource (product: linux, service: vsftpd) has no entry in "
        "the field mapping: matched as event.dataset: vsftpd (keywords search message)\n"
        "    logsource: {product: linux, service: vsftpd}\n"
        "               ^\n");
  // No service: nothing to fall back on, still refused.
  REQUIRE(set.diagnostics.size() == 1);
  CHECK(set.diagnostics[0].code == "rule.unsupported");
}

TEST_CASE("the service fallback follows the mapping's template for the product") {
  FieldMapping m = test_mapping();
  m.fallback_by_product["zeek"] = "zeek.{service}";
  Loader l(m);
  l.load_text("z.yml", R"(title: Zeek RDP
logsource: {product: zeek, service: rdp}
detection:
  sel: {cookie: x}
  condition: sel
)");
  auto set = l.finish();
  REQUIRE(set.rules.size() == 1);
  CHECK(set.rules[0].logsource[0].second == "zeek.rdp");
  CHECK(set.ok());
}

TEST_CASE("loader bounds what quantifiers expand to and points at the one past the bound") {
  // 500 selections: `1 of s*` and `all of s*` name 1,000 of them together, the bound.
  auto rule = [](int selections, const std::string& condition) {
    std::string text = "title: t\ndetection:\n";
    for (int i = 0; i < selections; ++i) text += "  s" + std::to_string(i) + ": {a: " + std::to_string(i) + "}\n";
    return text + "  condition: " + condition + "\n";
  };
  auto at_bound = load(rule(500, "1 of s* and all of s*"));
  REQUIRE(at_bound.ok());
  CHECK(at_bound.rules[0].condition.children[1].children.size() == 500);

  auto past = load(rule(501, "1 of s* and all of s*"));
  CHECK(past.rules.empty());
  CHECK(past.render_diagnostics() ==
        "r.yml:504:26: error[rule.condition_too_large]: the condition refers to more than 1000 selections once "
        "its quantifiers are expanded; split the rule\n"
        "      condition: 1 of s* and all of s*\n" +
            std::string(4 + 25, ' ') + "^\n");

  // Repeating a quantifier is refused as soon as the tree would pass the bound, not after
  // building the product of repetitions and selections.
  std::string repeated = "1 of s*";
  for (int i = 0; i < 20000; ++i) repeated += " or 1 of s*";
  auto bomb = load(rule(400, repeated));
  CHECK(bomb.rules.empty());
  REQUIRE(bomb.diagnostics.size() == 1);
  CHECK(bomb.diagnostics[0].code == "rule.condition_too_large");
  CHECK(bomb.diagnostics[0].line == 403);
  CHECK(bomb.diagnostics[0].column == 14 + 2 * 11);  // the third `1 of s*`
}

TEST_CASE("loader matches a quantifier's pattern of many stars in linear time") {
  // A recursive glob tries every way to split the name among the stars: C(100, 60) ways here.
  const std::string name(40, 'a');
  auto set = load("title: t\ndetection:\n  " + name + ": {a: 1}\n  condition: 1 of " + std::string(60, '*') +
                  "b\n");
  CHECK(set.rules.empty());
  REQUIRE(set.diagnostics.size() == 1);
  CHECK(set.diagnostics[0].code == "rule.unknown_selection");
  CHECK(set.diagnostics[0].message == "no selection matches '" + std::string(60, '*') + "b'");

  auto stars = load("title: t\ndetection:\n  sel_" + name + ": {a: 1}\n  condition: 1 of s*e*l*_*a*a\n");
  CHECK(stars.ok());
}

TEST_CASE("loader reads deduplicate on event_count and refuses it elsewhere or without a timespan") {
  auto set = load(R"(title: base
name: base
detection:
  sel: {a: 1}
  condition: sel
---
title: counted once
correlation:
  type: event_count
  rules: [base]
  group-by: [source.ip]
  timespan: 10m
  condition: {gte: 5}
  deduplicate: {by: [c-ip, user.name], within: 2s}
---
title: distinct values
correlation:
  type: value_count
  rules: [base]
  group-by: [source.ip]
  timespan: 10m
  condition: {field: user.name, gte: 5}
  deduplicate: {by: [user.name], within: 2s}
---
title: no timespan
correlation:
  type: event_count
  rules: [base]
  group-by: [source.ip]
  timespan: 10m
  condition: {gte: 5}
  deduplicate: {by: [user.name], whithin: 2s}
)");
  REQUIRE(set.rules.size() == 2);
  const auto& d = set.rules[1].correlation->deduplicate;
  REQUIRE(d.has_value());
  CHECK(d->by == std::vector<std::string>{"source.ip", "user.name"});  // mapped like any field
  CHECK(d->within == std::chrono::seconds(2));
  REQUIRE(set.diagnostics.size() == 3);
  CHECK(soc::render(set.diagnostics[0]) ==
        "r.yml:23:16: error[rule.unsupported]: 'deduplicate' is supported on event_count correlations only");
  CHECK(soc::render(set.diagnostics[1]) ==
        "r.yml:32:16: error[rule.bad_value]: 'deduplicate.within' must be a timespan (e.g. 2s)");
  CHECK(soc::render(set.diagnostics[2]) ==
        "r.yml:32:34: error[rule.unknown_key]: unknown key 'whithin' in deduplicate; did you mean 'within'?");
}
