// The rule engine live (docs/adr/0016-live-rules.md): Engine::advance and Engine::replace_rules,
// and the correlator's RulesStage (idle watermark, reload policy, metrics).
#include "daemon/rules_stage.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/json_codec.h"
#include "tests/unit/test_support.h"

namespace soc::daemon {
namespace {

const char* kRules = R"(title: rule a
name: a
detection:
  sel: {rule: a}
  condition: sel
---
title: three a
id: 33333333-3333-4333-8333-333333333333
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 60s
  condition: {gte: 3}
---
title: few a
id: 44444444-4444-4444-8444-444444444444
correlation:
  type: event_count
  rules: [a]
  group-by: [source.ip]
  timespan: 10s
  condition: {lt: 2}
)";

const Timestamp kT0 = Timestamp{} + std::chrono::hours(24 * 365 * 56);

Event event_at(double secs, const std::string& rule = "a", const std::string& ip = "10.0.0.1") {
  const auto ts = kT0 + std::chrono::microseconds(static_cast<int64_t>(secs * 1e6));
  auto ev = decode_event("{\"@timestamp\":\"" + format_rfc3339(ts) + "\",\"rule\":\"" + rule + "\",\"source.ip\":\"" + ip +
                         "\",\"observer.name\":\"s1\"}");
  REQUIRE(ev.ok());
  return *ev;
}

std::shared_ptr<const rules::RuleSet> load(const std::string& text, const std::string& file = "r.yml") {
  rules::Loader l(rules::FieldMapping{});
  l.load_text(file, text);
  auto set = std::make_shared<rules::RuleSet>(l.finish());
  REQUIRE_MESSAGE(set->ok(), set->render_diagnostics());
  return set;
}

size_t count_rule(const std::vector<Event>& alerts, std::string_view id) {
  size_t n = 0;
  for (const auto& a : alerts) n += a.get_string("rule.id") == id ? 1 : 0;
  return n;
}

TEST_CASE("advance closes a window-end condition once event time passed window and lateness") {
  std::vector<Event> alerts;
  rules::Engine e(load(kRules), [&](const Event& a) { alerts.push_back(a); });
  e.process(event_at(0));
  e.advance(kT0 + std::chrono::seconds(69));  // 10 s window + 60 s lateness not yet over
  CHECK(count_rule(alerts, "44444444-4444-4444-8444-444444444444") == 0);
  e.advance(kT0 + std::chrono::seconds(71));
  CHECK(count_rule(alerts, "44444444-4444-4444-8444-444444444444") == 1);
  CHECK(e.groups(2) == 0);
  // The alert is the one flush() would have raised: the evidence's times, not the wall clock's.
  CHECK(alerts.back().find("source.ip")->to_text() == "10.0.0.1");
  CHECK(alerts.back().timestamp() == kT0);
}

TEST_CASE("replace_rules keeps the open windows of unchanged rules, even when their index moves") {
  std::vector<Event> alerts;
  rules::Engine e(load(kRules), [&](const Event& a) { alerts.push_back(a); });
  e.process(event_at(0));
  e.process(event_at(1));
  REQUIRE(e.groups(1) == 1);
  // A new rule in front moves every index by one; "few a" changes (lt: 3), "three a" does not.
  std::string changed = std::string("title: new\nname: n\ndetection:\n  sel: {rule: n}\n  condition: sel\n---\n") + kRules;
  changed.replace(changed.find("{lt: 2}"), 7, "{lt: 3}");
  e.replace_rules(load(changed));
  CHECK(e.rules().rules.size() == 4);
  CHECK(e.groups(2) == 1);  // three a: kept
  CHECK(e.groups(3) == 0);  // few a: changed, starts empty
  e.process(event_at(2));
  CHECK(count_rule(alerts, "33333333-3333-4333-8333-333333333333") == 1);
  CHECK(alerts.back().get_int("soc.count") == 3);
  CHECK(e.rule_stats()[1].matches == 1);  // rule a, since the reload
  CHECK(e.rule_stats()[2].matches == 1);  // three a fired
}

TEST_CASE("replace_rules drops the state of a correlation whose referenced rule changed") {
  std::vector<Event> alerts;
  rules::Engine e(load(kRules), [&](const Event& a) { alerts.push_back(a); });
  e.process(event_at(0, "a"));
  e.process(event_at(1, "a"));
  std::string changed = kRules;
  changed.replace(changed.find("sel: {rule: a}"), 14, "sel: {rule: [a, x]}");
  e.replace_rules(load(changed));
  CHECK(e.groups(1) == 0);
  e.process(event_at(2, "a"));
  CHECK(count_rule(alerts, "33333333-3333-4333-8333-333333333333") == 0);
}

struct StageFixture {
  test::TempDir dir;
  telemetry::Registry metrics;
  AlertOutput out{metrics, nullptr, nullptr};
  std::unique_ptr<RulesStage> stage;
  double metric(const std::string& series) const {
    const std::string text = metrics.serialize();
    const auto pos = text.find("\n" + series + " ");
    if (pos == std::string::npos) return -1;
    return std::stod(text.substr(pos + series.size() + 2));
  }
  void start() {
    RulesStageOptions o;
    o.paths = {dir.path().string()};
    o.eval_sample = 1;
    stage = std::make_unique<RulesStage>(metrics, out, o);
    REQUIRE(stage->load());
  }
};

TEST_CASE("the stage closes windows on the wall clock when the sensors are idle") {
  StageFixture f;
  f.dir.write("r.yml", kRules);
  f.start();
  Event ev = event_at(0);
  f.stage->on_event(ev);
  const auto now = RulesStage::Clock::now();
  f.stage->tick(now + std::chrono::seconds(30));
  CHECK(f.out.emitted() == 0);
  f.stage->tick(now + std::chrono::seconds(75));
  CHECK(f.out.emitted() == 1);
  CHECK(f.metric("soc_rule_state_groups{rule=\"44444444-4444-4444-8444-444444444444\"}") == 0);
  CHECK(f.metric("soc_rule_matches_total{rule=\"a\"}") == 1);
  CHECK(f.metric("soc_rule_eval_seconds_count") == 1);
}

// Found by the sanitizer build's e2e-demo (docs/adr/0035): a log sensor reading two files, one
// ahead of the other in event time, had the idle watermark of the one ahead, so the stage closed
// the windows of the file behind while it was still sending, and a burst in it never reached
// its count. The idle watermark is per stream, as the engine's lateness is.
TEST_CASE("a file of a log sensor read behind another keeps its windows open while it sends") {
  StageFixture f;
  f.dir.write("r.yml", kRules);
  f.start();
  auto in_file = [](double secs, const std::string& file, const std::string& rule) {
    const auto ts = kT0 + std::chrono::microseconds(static_cast<int64_t>(secs * 1e6));
    auto ev = decode_event("{\"@timestamp\":\"" + format_rfc3339(ts) + "\",\"rule\":\"" + rule +
                           "\",\"source.ip\":\"10.0.0.9\",\"observer.name\":\"s1\",\"log.file.path\":\"" + file +
                           "\"}");
    REQUIRE(ev.ok());
    return *ev;
  };
  Event ahead = in_file(3000, "/var/log/auth.log", "other");  // read to its end first
  f.stage->on_event(ahead);
  Event e0 = in_file(0, "/var/log/kern.log", "a");
  f.stage->on_event(e0);
  const auto now = RulesStage::Clock::now();
  f.stage->tick(now + std::chrono::seconds(1));  // the sensor's other file is 50 minutes ahead
  Event e1 = in_file(1, "/var/log/kern.log", "a");
  f.stage->on_event(e1);
  Event e2 = in_file(2, "/var/log/kern.log", "a");
  f.stage->on_event(e2);
  f.stage->tick(now + std::chrono::seconds(2));
  CHECK(f.metric("soc_rule_matches_total{rule=\"33333333-3333-4333-8333-333333333333\"}") == 1);
}

TEST_CASE("a reload with a broken rule in a changed file keeps the running set; a broken file already loaded does not block") {
  StageFixture f;
  const std::string all = kRules;
  const size_t split = all.find("---\n");
  f.dir.write("a.yml", all.substr(0, split));  // rule a
  f.dir.write("c.yml", all.substr(split + 4));  // the correlations on it
  f.dir.write("unsupported.yml", "title: old\naction: global\n");  // refused at start, tolerated after
  f.start();
  CHECK(f.metric("soc_rules_loaded") == 3);
  CHECK(f.metric("soc_rules_failed") == 1);
  CHECK(f.metric("soc_rules_last_reload_successful") == 1);
  f.dir.write("z.yml", "title: broken\ndetection:\n  sel: {x|nope: 1}\n  condition: sel\n");
  CHECK_FALSE(f.stage->reload("test"));
  CHECK(f.metric("soc_rules_reload_total{result=\"failure\"}") == 1);
  CHECK(f.metric("soc_rules_last_reload_successful") == 0);
  CHECK(f.metric("soc_rules_loaded") == 3);
  f.dir.write("z.yml", "title: fixed\nname: z\ndetection:\n  sel: {x: 1}\n  condition: sel\n");
  CHECK(f.stage->reload("test"));
  CHECK(f.metric("soc_rules_reload_total{result=\"success\"}") == 1);
  CHECK(f.metric("soc_rules_last_reload_successful") == 1);
  CHECK(f.metric("soc_rules_loaded") == 4);
  // Renaming the rule that running correlations (in an unchanged file) refer to would drop
  // them: refused, although the changed file itself loads.
  std::string orphan = all.substr(0, split);
  orphan.replace(orphan.find("name: a"), 7, "name: q");
  f.dir.write("a.yml", orphan);
  CHECK_FALSE(f.stage->reload("test"));
  CHECK(f.metric("soc_rules_loaded") == 4);
  CHECK(f.metric("soc_rules_reload_total{result=\"failure\"}") == 2);
}

TEST_CASE("a histogram through the telemetry adapter") {
  telemetry::Registry metrics;
  auto h = metrics.histogram("t_seconds", "test", {}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  const std::string text = metrics.serialize();
  CHECK(text.find("t_seconds_bucket{le=\"0.1\"} 1") != std::string::npos);
  CHECK(text.find("t_seconds_bucket{le=\"1\"} 2") != std::string::npos);
  CHECK(text.find("t_seconds_count 3") != std::string::npos);
}

}  // namespace
}  // namespace soc::daemon
