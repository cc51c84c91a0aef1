// socctl demo's sample sensors (socctl/demo_feeds.h).
#include "socctl/demo_feeds.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "core/json_codec.h"
#include "core/shipped_paths.h"
#include "core/transport/keys.h"
#include "core/z85.h"

namespace soc::ctl::demo {

namespace fs = std::filesystem;

namespace {

// The local wall-clock time a sample line was logged at, as seconds since an arbitrary origin
// (month, day and time only: the samples of one sensor span hours of one year, in one zone).
// Knows the formats of the samples: syslog (RFC 3164 "Nov 20 15:02:54"), nginx/Apache access
// ("[20/Nov/2026:15:02:54 +0700]") and FortiGate ("date=2026-11-20 time=15:02:54").
std::optional<int64_t> sample_time(std::string_view line) {
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  auto month = [](std::string_view m) -> int {
    const auto at = kMonths.find(m);
    return m.size() == 3 && at != std::string_view::npos && at % 3 == 0 ? static_cast<int>(at / 3) + 1 : 0;
  };
  auto num = [](std::string_view t, size_t at, size_t n) -> int {
    if (at + n > t.size()) return -1;
    int v = 0;
    for (size_t i = at; i < at + n; ++i) {
      if (t[i] < '0' || t[i] > '9') return -1;
      v = v * 10 + (t[i] - '0');
    }
    return v;
  };
  auto key = [](int mon, int day, int h, int m, int sec) -> std::optional<int64_t> {
    if (mon < 1 || day < 1 || h < 0 || m < 0 || sec < 0) return std::nullopt;
    return ((static_cast<int64_t>(mon) * 32 + day) * 24 + h) * 3600 + m * 60 + sec;
  };
  if (line.size() >= 15 && month(line.substr(0, 3)) && line[3] == ' ') {  // "Nov 20 15:02:54"
    const int day = line[4] == ' ' ? num(line, 5, 1) : num(line, 4, 2);
    return key(month(line.substr(0, 3)), day, num(line, 7, 2), num(line, 10, 2), num(line, 13, 2));
  }
  if (auto at = line.find(" ["); at != std::string_view::npos && at + 22 <= line.size()) {  // access log
    const std::string_view t = line.substr(at + 2);
    return key(month(t.substr(3, 3)), num(t, 0, 2), num(t, 12, 2), num(t, 15, 2), num(t, 18, 2));
  }
  if (line.rfind("date=", 0) == 0 && line.size() >= 35 && line.substr(15, 6) == " time=") {  // FortiGate
    return key(num(line, 10, 2), num(line, 13, 2), num(line, 21, 2), num(line, 24, 2), num(line, 27, 2));
  }
  return std::nullopt;
}

// Merges the files' lines in the order they were logged (each file keeps its own order; a line
// without a time it knows takes its predecessor's), so that at any rate every file of a log
// sensor advances through the same minutes: the correlator's windows and lateness run per
// sensor, and a file appended an hour behind its neighbour would be late for them.
void plan_log_lines(SampleSensor& s, const std::string& dest_dir) {
  struct Tagged {
    int64_t time;
    size_t file;
    std::string line;
  };
  std::vector<Tagged> all;
  for (size_t i = 0; i < s.sources.size(); ++i) {
    int64_t last = 0;
    for_each_line(s.sources[i], [&](std::string_view l) {
      if (auto t = sample_time(l)) last = std::max(last, *t);
      all.push_back({last, i, std::string(l)});
    });
    s.dest_files.push_back(dest_dir + "/" + fs::path(s.sources[i]).filename().string());
  }
  std::stable_sort(all.begin(), all.end(), [](const Tagged& a, const Tagged& b) { return a.time < b.time; });
  for (auto& t : all) s.lines.emplace_back(t.file, std::move(t.line));
  s.expected = s.lines.size();
}

}  // namespace

std::string find_binary(const std::string& name, const std::string& build_subdir) {
  const std::string dir = self_dir();
  for (const std::string& candidate :
       {fmt::format("{}/../{}/{}", dir, build_subdir, name), fmt::format("{}/{}", dir, name)}) {
    if (access(candidate.c_str(), X_OK) == 0) return fs::canonical(candidate).string();
  }
  return name;  // rely on PATH
}

std::string find_examples(const std::string& given) {
  if (!given.empty()) return given;
  for (const std::string& candidate : {shipped_path("examples", "examples"), self_dir() + "/../../examples"}) {
    if (fs::is_directory(candidate)) return candidate;
  }
  return "examples";
}

std::string find_rules(const std::string& examples) {
  for (const std::string& candidate :
       {examples + "/../rules", shipped_path("rules", "rules")}) {
    if (fs::is_directory(candidate)) return fs::canonical(candidate).string();
  }
  return "";
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<SampleSensor> discover(const std::string& examples) {
  std::map<std::string, SampleSensor> found;
  std::error_code ec;
  for (const auto& dir : fs::directory_iterator(examples + "/logs", ec)) {
    if (!dir.is_directory()) continue;
    SampleSensor s;
    s.id = dir.path().filename().string();
    s.kind = Kind::Log;
    for (const auto& f : fs::directory_iterator(dir.path(), ec)) {
      if (f.path().extension() == ".log") s.sources.push_back(f.path().string());
    }
    std::sort(s.sources.begin(), s.sources.end());
    if (!s.sources.empty()) found.emplace(s.id, std::move(s));
  }
  for (const auto& f : fs::directory_iterator(examples + "/pcap", ec)) {
    if (f.path().extension() != ".pcap" && f.path().extension() != ".pcapng") continue;
    SampleSensor s;
    s.id = f.path().stem().string();
    s.kind = Kind::Packet;
    s.sources.push_back(f.path().string());
    found.emplace(s.id, std::move(s));
  }
  for (const auto& f : fs::directory_iterator(examples + "/events", ec)) {
    if (f.path().extension() != ".jsonl") continue;
    SampleSensor s;
    s.id = f.path().stem().string();
    s.kind = Kind::Events;
    s.sources.push_back(f.path().string());
    s.send_file = s.sources[0];
    found.emplace(s.id, std::move(s));  // no-op when the sensor has real samples
  }
  std::vector<SampleSensor> out;
  out.reserve(found.size());
  for (auto& [id, s] : found) out.push_back(std::move(s));
  return out;
}

void append_lines(SampleSensor& s, size_t n, bool loop) {
  if (s.dest.empty()) {
    for (const auto& f : s.dest_files)
      s.dest.push_back(std::make_shared<std::ofstream>(f, std::ios::app | std::ios::binary));
  }
  std::set<size_t> touched;
  for (size_t k = 0; k < n; ++k) {
    if (s.next_line >= s.lines.size()) {
      if (!loop || s.lines.empty()) break;
      s.next_line = 0;
    }
    const auto& [file, line] = s.lines[s.next_line++];
    *s.dest[file] << line << '\n';
    touched.insert(file);
  }
  for (size_t f : touched) s.dest[f]->flush();
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : sep) + x;
  return out;
}
void place_sensors(std::vector<SampleSensor>& sensors, const daemon::inventory::Inventory& province) {
  for (auto& s : sensors) {
    for (const auto& known : province.sensors) {
      if (known.id == s.id) s.site = known.site;
    }
    if (s.site.empty() && s.kind == Kind::Events) {
      for_each_line(s.send_file, [&](std::string_view line) {
        if (s.site.empty()) {
          if (auto e = decode_event(line)) s.site = std::string(e->get_string("site.id"));
        }
      });
    }
    if (s.site.empty()) s.site = "demo";
  }
}

Result<void> prepare_feeds(std::vector<SampleSensor>& sensors, const std::string& tmp,
                           const std::string& packet_sensor_bin) {
  std::error_code ec;
  for (auto& s : sensors) {
    if (s.kind == Kind::Events) {
      s.expected = for_each_line(s.send_file, [](std::string_view) {});
      s.how = "socctl send";
    } else if (s.kind == Kind::Packet) {
      s.send_file = tmp + "/" + s.id + ".decoded.jsonl";
      auto c = Child::spawn({"/bin/sh", "-c", "exec \"$0\" --read \"$1\" --sensor-id \"$2\" --site \"$3\" > \"$4\"",
                             packet_sensor_bin, s.sources[0], s.id, s.site, s.send_file},
                            tmp + "/" + s.id + ".decode.log");
      if (!c || c->wait() != 0) {
        return fail("demo", fmt::format("{} --read {} failed: {}", packet_sensor_bin, s.sources[0],
                                        read_all(tmp + "/" + s.id + ".decode.log")));
      }
      std::optional<Timestamp> first, last;
      s.expected = for_each_line(s.send_file, [&](std::string_view line) {
        auto ev = decode_event(line);
        if (!ev) return;
        auto time_of = [&](std::string_view key) -> std::optional<Timestamp> {
          const Value* v = ev->find(key);
          return v ? parse_rfc3339(v->to_text()) : std::nullopt;
        };
        auto t0 = time_of("event.start");
        auto t1 = time_of("@timestamp");
        if (t0 && (!first || *t0 < *first)) first = t0;
        if (t1 && (!last || *t1 > *last)) last = t1;
      });
      if (first && last && *last > *first) s.span_s = std::chrono::duration<double>(*last - *first).count();
      s.how = "soc-packet-sensor --read " + fs::path(s.sources[0]).filename().string();
    } else {
      const std::string dir = tmp + "/logs/" + s.id;
      fs::create_directories(dir, ec);
      plan_log_lines(s, dir);
      std::vector<std::string> names;
      for (const auto& f : s.sources) names.push_back(fs::path(f).filename().string());
      s.how = "soc-log-sensor --file " + join(names, ",");
    }
  }
  return {};
}

Result<std::string> make_keys_and_inventory(const std::vector<SampleSensor>& sensors, const std::string& tmp,
                                            const std::string& inventory_path) {
  std::string allow = "sensors:\n";
  std::map<std::string, std::string> pubkeys;
  std::vector<std::string> names{"correlator"};
  for (auto& s : sensors) names.push_back(s.id);
  for (const auto& name : names) {
    auto kp = transport::generate_key_pair();
    if (!kp || !transport::write_key_files(fmt::format("{}/{}", tmp, name), *kp, true))
      return fail("demo", "cannot make keys in " + tmp);
    pubkeys[name] = z85_encode_key(kp->public_key);
  }
  for (const auto& s : sensors) {
    allow += fmt::format("  - {{id: {}, site: {}, public_key: \"{}\"}}\n", s.id, s.site, pubkeys[s.id]);
  }
  std::ofstream(tmp + "/allow.yaml") << allow;
  if (!fs::exists(inventory_path)) return std::string();
  std::istringstream in(read_all(inventory_path));
  std::ostringstream out;
  for (std::string line; std::getline(in, line);) {
    for (const auto& s : sensors) {
      const auto id_at = line.find("id: " + s.id + ",");
      const auto key_at = line.find("public_key: \"");
      if (id_at == std::string::npos || key_at == std::string::npos) continue;
      const auto value = key_at + 13;
      const auto end = line.find('"', value);
      if (end != std::string::npos) line.replace(value, end - value, pubkeys[s.id]);
    }
    out << line << '\n';
  }
  const std::string demo_inventory = tmp + "/inventory.yaml";
  std::ofstream(demo_inventory) << out.str();
  return demo_inventory;
}

}  // namespace soc::ctl::demo
