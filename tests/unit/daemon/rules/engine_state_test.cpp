// The rule engine's state across a restart (snapshots, docs/adr/0030) and its bound
// (--max-rule-state): a brute force half counted before a restart fires once after it; a
// changed rule starts fresh; damaged bytes are refused; a flood evicts the oldest groups.
#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/json_codec.h"
#include "daemon/rules/engine.h"
#include "daemon/rules/loader.h"

using namespace soc::daemon::rules;

namespace {

const char* kRules = R"(title: failure
name: failure
detection:
  sel: {event.outcome: failure}
  condition: sel
---
title: brute force
id: 11111111-0000-4000-8000-000000000001
level: high
suppress: 10m
correlation:
  type: event_count
  rules: [failure]
  group-by: [source.ip]
  timespan: 60s
  condition: {gte: 4}
---
title: spraying
id: 11111111-0000-4000-8000-000000000002
correlation:
  type: value_count
  rules: [failure]
  group-by: [source.ip]
  timespan: 10m
  condition: {field: user.name, gte: 3}
)";

std::shared_ptr<const RuleSet> load(const std::string& text) {
  Loader l(FieldMapping{});
  l.load_text("r.yml", text);
  auto set = std::make_shared<RuleSet>(l.finish());
  REQUIRE_MESSAGE(set->ok(), set->render_diagnostics());
  return set;
}

soc::Event failure(int second, const std::string& ip, const std::string& user = "root") {
  const auto ts = soc::Timestamp{} + std::chrono::hours(24 * 365 * 56) + std::chrono::seconds(second);
  auto e = soc::decode_event("{\"@timestamp\":\"" + soc::format_rfc3339(ts) +
                             "\",\"observer.name\":\"s1\",\"event.outcome\":\"failure\",\"source.ip\":\"" + ip +
                             "\",\"user.name\":\"" + user + "\",\"event.id\":\"s1:1:" + std::to_string(second) + "\"}");
  REQUIRE(e.ok());
  return *e;
}

struct Sink {
  std::vector<soc::Event> alerts;
  Engine::AlertSink fn() {
    return [this](const soc::Event& a) { alerts.push_back(a); };
  }
  size_t of(std::string_view rule) const {
    size_t n = 0;
    for (const auto& a : alerts) n += a.get_string("rule.id") == rule;
    return n;
  }
};

constexpr std::string_view kBrute = "11111111-0000-4000-8000-000000000001";
constexpr std::string_view kSpray = "11111111-0000-4000-8000-000000000002";

// Export, encode, decode: what a restart does between two engines.
EngineState round_trip(const Engine& e) {
  std::string bytes;
  e.encode_state(bytes);
  auto back = decode_engine_state(bytes);
  REQUIRE(back.ok());
  return std::move(*back);
}

}  // namespace

TEST_CASE("a brute force half counted before a restart fires once after it, with all its evidence") {
  auto set = load(kRules);
  Sink before, after;
  Engine first(set, before.fn());
  first.process(failure(0, "203.0.113.9", "root"));
  first.process(failure(5, "203.0.113.9", "admin"));
  CHECK(before.alerts.empty());
  CHECK(first.state_groups() == 2);  // one per correlation

  Engine second(set, after.fn());
  const auto report = second.import_state(round_trip(first));
  CHECK(report.rules == 2);
  CHECK(report.groups == 2);
  CHECK(second.state_groups() == 2);
  CHECK(second.state_bytes() == first.state_bytes());
  second.process(failure(10, "203.0.113.9", "root"));
  second.process(failure(15, "203.0.113.9", "root"));
  REQUIRE(after.of(kBrute) == 1);
  CHECK(after.of(kSpray) == 0);  // two distinct users so far
  const soc::Event& a = after.alerts[0];
  CHECK(a.get_int("soc.count") == 4);
  CHECK(soc::encode_event(a).find("\"soc.evidence\":[\"s1:1:0\",\"s1:1:5\",\"s1:1:10\",\"s1:1:15\"]") !=
        std::string::npos);
}

TEST_CASE("the evidence events a window kept come back with it: the alert after a restart carries them") {
  auto set = load(kRules);
  EngineOptions o;
  o.keep_evidence = true;
  std::vector<AlertDetails> details;
  auto sink = Engine::DetailedSink([&](const soc::Event& a, const AlertDetails& d) {
    if (a.get_string("rule.id") == kBrute) details.push_back(d);
  });
  Engine first(set, sink, o);
  first.process(failure(0, "203.0.113.9", "root"));
  first.process(failure(5, "203.0.113.9", "admin"));  // the group is warm now: its events are kept

  Engine second(set, sink, o);
  second.import_state(round_trip(first));
  CHECK(second.state_bytes() == first.state_bytes());
  second.process(failure(10, "203.0.113.9", "root"));
  second.process(failure(15, "203.0.113.9", "root"));
  REQUIRE(details.size() == 1);
  const auto& ev = details[0].evidence;
  REQUIRE(ev.size() == 4);
  CHECK(ev[0].id == "s1:1:0");
  CHECK(ev[0].json == nullptr);  // a cold group's first event is cited by id only, as before the restart
  CHECK(ev[1].id == "s1:1:5");
  REQUIRE(ev[1].json != nullptr);
  CHECK(ev[1].json->find("\"user.name\":\"admin\"") != std::string::npos);
  CHECK(ev[3].json != nullptr);
}

TEST_CASE("suppression survives a restart: the alert after it is held back") {
  auto set = load(kRules);
  Sink before, after;
  Engine first(set, before.fn());
  for (int s = 0; s < 4; ++s) first.process(failure(s, "198.51.100.1"));
  REQUIRE(before.of(kBrute) == 1);
  Engine second(set, after.fn());
  CHECK(second.import_state(round_trip(first)).suppressions == 1);
  for (int s = 10; s < 14; ++s) second.process(failure(s, "198.51.100.1"));
  CHECK(after.of(kBrute) == 0);
  CHECK(second.counters().suppressed == 1);
}

TEST_CASE("suppressions come back in order of last use: a full table then evicts the idle one") {
  auto set = load(kRules);
  size_t brute = set->rules.size();
  for (size_t i = 0; i < set->rules.size(); ++i)
    if (set->rules[i].id == kBrute) brute = i;
  REQUIRE(brute < set->rules.size());
  Sink before, after;
  Engine first(set, before.fn());
  for (int s = 0; s < 4; ++s) first.process(failure(s, "198.51.100.1"));
  for (int s = 4; s < 8; ++s) first.process(failure(s, "198.51.100.2"));
  for (int s = 8; s < 12; ++s) first.process(failure(s, "198.51.100.1"));  // held back: .1 used last
  REQUIRE(before.of(kBrute) == 2);
  EngineOptions o;
  o.max_groups_per_rule = 2;
  Engine second(set, after.fn(), o);
  CHECK(second.import_state(round_trip(first)).suppressions == 2);
  for (int s = 12; s < 16; ++s) second.process(failure(s, "198.51.100.3"));  // evicts .2, the idle one
  for (int s = 16; s < 20; ++s) second.process(failure(s, "198.51.100.1"));  // still held back
  CHECK(after.of(kBrute) == 1);
  CHECK(second.counters().suppressed == 1);
  CHECK(second.rule_stats()[brute].evicted == 1);
  for (int s = 20; s < 24; ++s) second.process(failure(s, "198.51.100.2"));  // forgotten: alerts again
  CHECK(after.of(kBrute) == 2);
}

TEST_CASE("a rule changed since the snapshot starts fresh; the unchanged one keeps its window") {
  auto set = load(kRules);
  Sink sink;
  Engine first(set, sink.fn());
  first.process(failure(0, "192.0.2.1", "a"));
  first.process(failure(1, "192.0.2.1", "b"));
  std::string changed = kRules;
  changed.replace(changed.find("gte: 4"), 6, "gte: 3");
  Sink after;
  Engine second(load(changed), after.fn());
  const auto report = second.import_state(round_trip(first));
  CHECK(report.changed == 1);
  CHECK(report.rules == 1);
  second.process(failure(2, "192.0.2.1", "c"));
  CHECK(after.of(kSpray) == 1);  // three users: a, b (restored) and c
  CHECK(after.of(kBrute) == 0);  // the changed rule saw one failure only
}

TEST_CASE("the watermarks come back: an event too late before the restart is too late after it") {
  auto set = load(kRules);
  Sink sink;
  Engine first(set, sink.fn());
  first.process(failure(1000, "192.0.2.7"));
  Engine second(set, sink.fn());
  second.import_state(round_trip(first));
  second.process(failure(0, "192.0.2.8"));  // 1000 s behind its stream: beyond the 60 s lateness
  CHECK(second.counters().late_events == 2);  // refused by both correlations
  CHECK(second.state_groups() == 2);          // only the restored ones
}

TEST_CASE("damaged state is refused, never half restored") {
  auto set = load(kRules);
  Sink sink;
  Engine first(set, sink.fn());
  for (int s = 0; s < 3; ++s) first.process(failure(s, "10.9.9." + std::to_string(s)));
  std::string bytes;
  first.encode_state(bytes);
  CHECK_FALSE(decode_engine_state(bytes.substr(0, bytes.size() - 1)).ok());
  CHECK_FALSE(decode_engine_state(bytes + "x").ok());
  // Every single truncation point refuses or parses whole; none crashes.
  size_t refused = 0;
  for (size_t n = 0; n < bytes.size(); ++n) refused += !decode_engine_state(bytes.substr(0, n)).ok();
  CHECK(refused == bytes.size());
}

TEST_CASE("--max-rule-state in groups: the least recently updated groups of any rule go first, counted per rule") {
  auto set = load(kRules);
  Sink sink;
  EngineOptions o;
  o.max_state_groups = 10;
  Engine e(set, sink.fn(), o);
  for (int i = 0; i < 100; ++i) e.process(failure(i, "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250)));
  CHECK(e.state_groups() <= 10);
  uint64_t evicted = 0;
  for (const auto& s : e.rule_stats()) evicted += s.evicted;
  CHECK(evicted == 200 - e.state_groups());
  CHECK(e.counters().evicted_groups == evicted);
  // A brute force in the middle of the flood still fires: its group is kept fresh by its events.
  for (int i = 0; i < 4; ++i) {
    e.process(failure(100 + i, "203.0.113.200"));
    e.process(failure(100 + i, "10.1.0." + std::to_string(i)));
  }
  CHECK(sink.of(kBrute) == 1);
}

TEST_CASE("a flood of one-event groups larger than the bound does not push out a brute force under way") {
  auto set = load(kRules);
  Sink sink;
  EngineOptions o;
  o.max_state_groups = 20;
  Engine e(set, sink.fn(), o);
  e.process(failure(0, "203.0.113.5"));
  e.process(failure(1, "203.0.113.5"));  // updated again: kept ahead of the flood's groups
  for (int i = 0; i < 1000; ++i) e.process(failure(2, "10.2." + std::to_string(i / 250) + "." + std::to_string(i % 250)));
  CHECK(e.state_groups() <= 20);
  e.process(failure(3, "203.0.113.5"));
  e.process(failure(4, "203.0.113.5"));
  CHECK(sink.of(kBrute) == 1);
  REQUIRE(sink.alerts.size() >= 1);
  CHECK(sink.alerts[0].get_int("soc.count") == 4);
}

TEST_CASE("--max-rule-state in bytes bounds the estimate, which follows the entries") {
  auto set = load(kRules);
  Sink sink;
  EngineOptions o;
  o.max_state_bytes = 64 << 10;
  Engine e(set, sink.fn(), o);
  for (int i = 0; i < 5000; ++i)
    e.process(failure(i / 100, "10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) + "." +
                                   std::to_string(i % 256)));
  CHECK(e.state_bytes() <= o.max_state_bytes);
  CHECK(e.state_groups() > 50);
  CHECK(e.counters().evicted_groups > 0);
  Engine unbounded(set, sink.fn());
  for (int i = 0; i < 100; ++i) unbounded.process(failure(0, "10.0.0." + std::to_string(i)));
  const size_t per_group = unbounded.state_bytes() / unbounded.state_groups();
  CHECK(per_group > 100);
  CHECK(per_group < 2000);
}
