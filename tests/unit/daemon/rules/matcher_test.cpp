#include <doctest/doctest.h>

#include <string>

#include "core/json_codec.h"
#include "daemon/rules/engine.h"
#include "daemon/rules/loader.h"

using namespace soc::daemon::rules;

namespace {

// Loads one rule whose detection is `detection` (YAML, indented by two) and tests `json`.
bool rule_matches(const std::string& detection, const std::string& json) {
  Loader l(FieldMapping{});
  l.load_text("m.yml", "title: t\ndetection:\n" + detection);
  RuleSet set = l.finish();
  if (!set.ok()) {
    FAIL_CHECK(set.render_diagnostics());
    return false;
  }
  auto ev = soc::decode_event(json);
  REQUIRE_MESSAGE(ev.ok(), ev.error().message());
  return matches(set.rules[0], *ev);
}

}  // namespace

TEST_CASE("plain values are case-insensitive whole-value matches with * and ? wildcards") {
  const std::string d = "  sel:\n    a: 'Foo*Bar?'\n  condition: sel\n";
  CHECK(rule_matches(d, R"({"a":"foo-and-barX"})"));
  CHECK(rule_matches(d, R"({"a":"FOOBARX"})"));
  CHECK_FALSE(rule_matches(d, R"({"a":"foobar"})"));
  CHECK_FALSE(rule_matches(d, R"({"a":"xfoobarX"})"));
  CHECK_FALSE(rule_matches(d, R"({"b":"foobarX"})"));
  // Escaped wildcards are literal.
  const std::string e = "  sel:\n    a: 'x\\*y'\n  condition: sel\n";
  CHECK(rule_matches(e, R"({"a":"x*y"})"));
  CHECK_FALSE(rule_matches(e, R"({"a":"xzzy"})"));
}

TEST_CASE("contains, startswith, endswith, cased and all") {
  CHECK(rule_matches("  sel:\n    a|contains: 'WGET'\n  condition: sel\n", R"({"a":"sh -c wget http://x"})"));
  CHECK(rule_matches("  sel:\n    a|startswith: '/tmp/'\n  condition: sel\n", R"({"a":"/TMP/x"})"));
  CHECK_FALSE(rule_matches("  sel:\n    a|startswith: '/tmp/'\n  condition: sel\n", R"({"a":"/var/tmp/x"})"));
  CHECK(rule_matches("  sel:\n    a|endswith: '.php'\n  condition: sel\n", R"({"a":"/x/shell.PHP"})"));
  CHECK_FALSE(rule_matches("  sel:\n    a|contains|cased: 'WGET'\n  condition: sel\n", R"({"a":"wget"})"));
  const std::string all = "  sel:\n    a|contains|all: [one, two]\n  condition: sel\n";
  CHECK(rule_matches(all, R"({"a":"two then one"})"));
  CHECK_FALSE(rule_matches(all, R"({"a":"only one"})"));
  // A list value: any element matches.
  CHECK(rule_matches("  sel:\n    a: [x, y]\n  condition: sel\n", R"({"a":"y"})"));
  // A list field: any element.
  CHECK(rule_matches("  sel:\n    tags: beta\n  condition: sel\n", R"({"tags":["alpha","beta"]})"));
}

TEST_CASE("re with i, m and s flags; regexes are case-sensitive by default") {
  CHECK(rule_matches("  sel:\n    a|re: '^ab+c$'\n  condition: sel\n", R"({"a":"abbbc"})"));
  CHECK_FALSE(rule_matches("  sel:\n    a|re: '^ab+c$'\n  condition: sel\n", R"({"a":"ABBC"})"));
  CHECK(rule_matches("  sel:\n    a|re|i: '^ab+c$'\n  condition: sel\n", R"({"a":"ABBC"})"));
  CHECK(rule_matches("  sel:\n    a|re|m: '^two$'\n  condition: sel\n", R"({"a":"one\ntwo\nthree"})"));
  CHECK_FALSE(rule_matches("  sel:\n    a|re: '^two$'\n  condition: sel\n", R"({"a":"one\ntwo\nthree"})"));
  CHECK(rule_matches("  sel:\n    a|re|s: 'one.two'\n  condition: sel\n", R"({"a":"one\ntwo"})"));
  CHECK_FALSE(rule_matches("  sel:\n    a|re: 'one.two'\n  condition: sel\n", R"({"a":"one\ntwo"})"));
}

TEST_CASE("cidr matches IPv4 and IPv6 networks, on address and string fields") {
  const std::string d = "  sel:\n    source.ip|cidr: ['10.0.0.0/8', 'fd00::/8']\n  condition: sel\n";
  CHECK(rule_matches(d, R"({"source.ip":"10.1.2.3"})"));
  CHECK(rule_matches(d, R"({"source.ip":"fd12::1"})"));
  CHECK_FALSE(rule_matches(d, R"({"source.ip":"11.0.0.1"})"));
  CHECK_FALSE(rule_matches(d, R"({"source.ip":"fe80::1"})"));
  CHECK(rule_matches(d, R"({"x.addr":"1","source.ip":"10.0.0.1"})"));
  CHECK(rule_matches("  sel:\n    x|cidr: 192.168.1.0/24\n  condition: sel\n", R"({"x":"192.168.1.77"})"));
}

TEST_CASE("base64, base64offset and windash expand into the encoded or dashed variants") {
  // "ping" in base64 is "cGluZw=="
  CHECK(rule_matches("  sel:\n    a|base64: ping\n  condition: sel\n", R"({"a":"cGluZw=="})"));
  CHECK_FALSE(rule_matches("  sel:\n    a|base64: ping\n  condition: sel\n", R"({"a":"CGLUZW=="})"));
  // base64offset|contains finds the value at any byte offset inside a longer encoded text.
  const std::string off = "  sel:\n    a|base64offset|contains: 'http://'\n  condition: sel\n";
  CHECK(rule_matches(off, R"({"a":"d2dldCBodHRwOi8vZXZpbA=="})"));  // "wget http://evil"
  CHECK(rule_matches(off, R"({"a":"eCBodHRwOi8v"})"));              // "x http://"
  CHECK(rule_matches(off, R"({"a":"aHR0cDovLw=="})"));              // "http://"
  const std::string dash = "  sel:\n    a|windash|contains: ' -enc '\n  condition: sel\n";
  CHECK(rule_matches(dash, R"({"a":"powershell -enc AAA"})"));
  CHECK(rule_matches(dash, R"({"a":"powershell /enc AAA"})"));
  CHECK(rule_matches(dash, "{\"a\":\"powershell \xE2\x80\x93" "enc AAA\"}"));
  CHECK_FALSE(rule_matches(dash, R"({"a":"powershell enc AAA"})"));
}

TEST_CASE("lt, lte, gt, gte compare numbers; exists, neq, fieldref and null") {
  CHECK(rule_matches("  sel:\n    n|gt: 10\n  condition: sel\n", R"({"n":11})"));
  CHECK_FALSE(rule_matches("  sel:\n    n|gt: 10\n  condition: sel\n", R"({"n":10})"));
  CHECK(rule_matches("  sel:\n    n|gte: 10\n  condition: sel\n", R"({"n":10})"));
  CHECK(rule_matches("  sel:\n    n|lt: 1.5\n  condition: sel\n", R"({"n":1})"));
  CHECK(rule_matches("  sel:\n    n|lte: 3\n  condition: sel\n", R"({"n":"3"})"));
  CHECK_FALSE(rule_matches("  sel:\n    n|lte: 3\n  condition: sel\n", R"({"n":"abc"})"));
  CHECK(rule_matches("  sel:\n    n|exists: true\n  condition: sel\n", R"({"n":"x"})"));
  CHECK(rule_matches("  sel:\n    n|exists: false\n  condition: sel\n", R"({"m":"x"})"));
  CHECK(rule_matches("  sel:\n    n|neq: x\n  condition: sel\n", R"({"n":"y"})"));
  CHECK_FALSE(rule_matches("  sel:\n    n|neq: x\n  condition: sel\n", R"({"n":"X"})"));
  CHECK_FALSE(rule_matches("  sel:\n    n|neq: x\n  condition: sel\n", R"({"m":"y"})"));
  CHECK(rule_matches("  sel:\n    a|fieldref: b\n  condition: sel\n", R"({"a":"Same","b":"same"})"));
  CHECK_FALSE(rule_matches("  sel:\n    a|fieldref: b\n  condition: sel\n", R"({"a":"x","b":"y"})"));
  CHECK(rule_matches("  sel:\n    a: null\n  condition: sel\n", R"({"b":"y"})"));
  CHECK_FALSE(rule_matches("  sel:\n    a: null\n  condition: sel\n", R"({"a":"y"})"));
}

TEST_CASE("keyword lists search the message; selections as lists of maps are alternatives") {
  const std::string kw = "  keywords:\n    - 'Failed password'\n    - 'Invalid user'\n  condition: keywords\n";
  CHECK(rule_matches(kw, R"({"message":"sshd[1]: Invalid user bob from 1.2.3.4"})"));
  CHECK_FALSE(rule_matches(kw, R"({"message":"Accepted password"})"));
  const std::string alts = "  sel:\n    - {a: 1, b: 2}\n    - {c: 3}\n  condition: sel\n";
  CHECK(rule_matches(alts, R"({"a":1,"b":2})"));
  CHECK(rule_matches(alts, R"({"c":"3"})"));
  CHECK_FALSE(rule_matches(alts, R"({"a":1,"b":3})"));
}

TEST_CASE("conditions combine selections with and, or, not and quantifiers") {
  const std::string d = "  sel_a: {a: 1}\n  sel_b: {b: 1}\n  filter: {f: 1}\n"
                        "  condition: 1 of sel_* and not filter\n";
  CHECK(rule_matches(d, R"({"a":1})"));
  CHECK(rule_matches(d, R"({"b":1})"));
  CHECK_FALSE(rule_matches(d, R"({"a":1,"f":1})"));
  const std::string all = "  sel_a: {a: 1}\n  sel_b: {b: 1}\n  condition: all of sel_*\n";
  CHECK(rule_matches(all, R"({"a":1,"b":1})"));
  CHECK_FALSE(rule_matches(all, R"({"a":1})"));
  const std::string them = "  sel_a: {a: 1}\n  sel_b: {b: 1}\n  condition: 1 of them\n";
  CHECK(rule_matches(them, R"({"b":1})"));
}

TEST_CASE("the logsource mapping restricts a rule to its events") {
  FieldMapping m;
  m.logsources.push_back({"linux", "sshd", "", {{"event.dataset", "sshd"}}});
  m.fields["User"] = "user.name";
  Loader l(m);
  l.load_text("m.yml", "title: t\nlogsource: {product: linux, service: sshd}\n"
                       "detection:\n  sel: {User: root}\n  condition: sel\n");
  RuleSet set = l.finish();
  REQUIRE(set.ok());
  CHECK(matches(set.rules[0], *soc::decode_event(R"({"event.dataset":"sshd","user.name":"root"})")));
  CHECK_FALSE(matches(set.rules[0], *soc::decode_event(R"({"event.dataset":"sudo","user.name":"root"})")));
}
