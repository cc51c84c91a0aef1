// notice_driver: publishes alert notices read from JSON lines through the correlator's alert
// sinks (the same flags and code as soc-correlator: --alert-log, --alertmanager, --webhook...),
// then stops them (draining) and prints what each sink did. The end-to-end tests use it to give
// the sinks what the alert store publishes (repeats, acknowledgements, resolutions) in a chosen
// order; bench/alerts_bench.sh to measure notices per second through all sinks.
//
// usage: notice_driver [sink flags] [--repeat N] [--hold S] FILE
//   each line: {"kind":"firing|repeat|acknowledged|resolved","id":N,"count":N,
//               "first_seen":T,"last_seen":T,"resolved_at":T,"alert":{flat alert event}}
//   --repeat N publishes the file N times, ids shifted by the largest id each time;
//   --hold S keeps the sinks running S seconds after the last notice (Alertmanager re-sends).
// Output, one line per sink: "SINK ok=N retry=N dropped=N failed=N", then
// "published N notices in S s; all sinks done in S s (N notices/s)". Exit 0, 1 on bad input,
// 78 on bad flags.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/config/command_line.h"
#include "core/json_codec.h"
#include "core/line_reader.h"
#include "daemon/alerts/sinks/flags.h"

using namespace soc;
using namespace soc::daemon::alerts;

namespace {

std::optional<NoticeKind> kind_of(std::string_view s) {
  if (s == "firing") return NoticeKind::Firing;
  if (s == "repeat") return NoticeKind::Repeat;
  if (s == "acknowledged") return NoticeKind::Acknowledged;
  if (s == "resolved") return NoticeKind::Resolved;
  return std::nullopt;
}

bool to_notice(const Event& in, Notice& n, std::string& why) {
  auto kind = kind_of(in.get_string("kind"));
  if (!kind) return why = "kind must be firing, repeat, acknowledged or resolved", false;
  n.kind = *kind;
  n.id = in.get_int("id").value_or(0);
  if (n.id <= 0) return why = "id must be a positive integer", false;
  n.count = static_cast<uint64_t>(std::max<int64_t>(1, in.get_int("count").value_or(1)));
  const Timestamp t = now();
  auto time_of = [&](std::string_view key) { return parse_rfc3339(in.get_string(key)); };
  n.first_seen = time_of("first_seen").value_or(t);
  n.last_seen = time_of("last_seen").value_or(t);
  if (auto r = time_of("resolved_at")) n.resolved_at = *r;
  else if (n.kind == NoticeKind::Resolved) n.resolved_at = t;
  n.alert = Event{};
  for (const auto& f : in) {
    if (f.key.rfind("alert.", 0) == 0) n.alert.set(std::string_view(f.key).substr(6), f.value);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  sinks::SinkFlags flags;
  int64_t repeat = 1;
  double hold_s = 0;
  std::vector<std::string> files;
  config::CommandLine cli("notice_driver", "Publishes alert notices from JSON lines through the correlator's alert sinks.");
  sinks::add_sink_flags(cli.root(), flags);
  cli.root()
      .option("repeat", repeat, "Publish the file this many times, ids shifted each time")
      .option("hold", hold_s, "Seconds to keep the sinks running after the last notice")
      .positionals("files", files, "JSON-lines file of notices", true);
  if (auto code = cli.parse(argc, argv)) return *code;

  std::vector<Notice> notices;
  int64_t max_id = 0;
  for (const auto& file : files) {
    LineReader reader;
    if (auto r = reader.open(file); !r) {
      std::fprintf(stderr, "notice_driver: %s: %s\n", file.c_str(), r.error().message.c_str());
      return 1;
    }
    std::string_view line;
    bool truncated = false;
    Event e;
    while (reader.next(line, truncated)) {
      if (line.empty()) continue;
      Notice n;
      std::string why;
      if (auto bad = decode_event_into(line, e)) why = bad->message();
      else to_notice(e, n, why);
      if (!why.empty()) {
        std::fprintf(stderr, "notice_driver: %s:%llu: %s\n", file.c_str(), static_cast<unsigned long long>(reader.line_number()),
                     why.c_str());
        return 1;
      }
      max_id = std::max(max_id, n.id);
      notices.push_back(std::move(n));
    }
  }

  daemon::telemetry::Registry metrics;
  auto built = sinks::make_sinks(flags, &metrics, "", "notice_driver");
  if (!built) {
    std::fprintf(stderr, "notice_driver: %s\n", built.error().message.c_str());
    return config::kExitConfig;
  }
  if (!built->dispatcher) {
    std::fprintf(stderr, "notice_driver: no sink asked for (--alert-log, --alertmanager, --webhook)\n");
    return config::kExitConfig;
  }
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  uint64_t published = 0;
  for (int64_t r = 0; r < repeat; ++r) {
    for (const auto& n : notices) {
      Notice copy = n;
      copy.id += r * max_id;
      built->dispatcher->publish(copy);
      ++published;
    }
  }
  const double publish_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (hold_s > 0) std::this_thread::sleep_for(std::chrono::duration<double>(hold_s));
  built->dispatcher->stop();
  const double done_s = std::chrono::duration<double>(Clock::now() - start).count() - hold_s;
  for (const auto& s : built->dispatcher->stats()) {
    std::printf("%s ok=%llu retry=%llu dropped=%llu failed=%llu\n", s.sink.c_str(), static_cast<unsigned long long>(s.ok),
                static_cast<unsigned long long>(s.retry), static_cast<unsigned long long>(s.dropped),
                static_cast<unsigned long long>(s.failed));
  }
  std::printf("published %llu notices in %.6f s; all sinks done in %.6f s (%.0f notices/s)\n",
              static_cast<unsigned long long>(published), publish_s, done_s, done_s > 0 ? published / done_s : 0.0);
  return 0;
}
