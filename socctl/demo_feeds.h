// socctl demo's sample sensors: what examples/ holds (log folders, captures, events files), and
// how each is prepared and fed to the correlator (docs/adr/0015-demo-real-sensors.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/line_reader.h"
#include "core/result.h"
#include "daemon/inventory/inventory.h"
#include "socctl/process.h"

namespace soc::ctl::demo {

using Clock = std::chrono::steady_clock;

// The sample logs are written in the province's local time (examples/gen_logs.py); syslog
// timestamps carry no zone, so the log sensors are told.
constexpr const char* kSampleTimezone = "+07:00";

enum class Kind { Log, Packet, Events };

struct SampleSensor {
  std::string id;
  std::string site;
  Kind kind = Kind::Events;
  std::vector<std::string> sources;  // log files, the capture, or the events file
  std::string send_file;             // what `socctl send` sends (events, or the decoded capture)
  bool packet_fallback = false;      // the capture goes through `socctl send`
  double span_s = 0;                 // a capture's duration, from its first to its last flow
  std::string how;                   // the process that feeds it, for the view
  uint64_t expected = 0;             // events the correlator must count (--once)
  uint64_t seen = 0;                 // events seen on the live feed
  uint64_t seen_last = 0;
  std::string last_dataset;
  std::deque<std::string> latest;  // the last few events, summarized
  Child proc;
  bool started = false;
  Clock::time_point finished_at{};
  // Log sensors: (destination file, line) in the order the demo appends them.
  std::vector<std::pair<size_t, std::string>> lines;
  std::vector<std::string> dest_files;
  std::vector<std::shared_ptr<std::ofstream>> dest;
  size_t next_line = 0;
  double appended = 0;
};

// The binary `name`: beside this one's build folder (`build_subdir`), beside it, or on PATH.
std::string find_binary(const std::string& name, const std::string& build_subdir);
// The sample data: `given`, the installed examples, or examples/ of the source tree.
std::string find_examples(const std::string& given);
// The rule folder that goes with `examples`; empty when there is none.
std::string find_rules(const std::string& examples);
std::string read_all(const std::string& path);
std::string join(const std::vector<std::string>& v, const char* sep);

// Non-blank lines of a file, each with `visit(line)`.
template <typename F>
uint64_t for_each_line(const std::string& path, F&& visit) {
  LineReader r;
  if (!r.open(path)) return 0;
  std::string_view line;
  bool truncated;
  uint64_t n = 0;
  while (r.next(line, truncated)) {
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    ++n;
    visit(line);
  }
  return n;
}

// Finds the sample sensors of `examples`: log folders, captures, then events files of the
// sensors that have neither.
std::vector<SampleSensor> discover(const std::string& examples);
// Each sample sensor's site: the inventory's, else its events' site.id, else "demo".
void place_sensors(std::vector<SampleSensor>& sensors, const daemon::inventory::Inventory& province);
// Appends up to `n` planned lines to a log sensor's followed files; with `loop`, starts over.
void append_lines(SampleSensor& s, size_t n, bool loop);
// Each sensor's feed, prepared in `tmp`: captures are decoded offline first (the count of flows
// the sensor makes of them is what the correlator must count, and the decoded events are the
// fallback's input); log files are planned line by line for appending.
Result<void> prepare_feeds(std::vector<SampleSensor>& sensors, const std::string& tmp,
                           const std::string& packet_sensor_bin);
// Throwaway keys in `tmp`, the allowlist that binds them (tmp/allow.yaml), and the inventory
// with them in place of its placeholders (the sensors the demo does not start keep theirs, and
// stay silent). Returns the demo's inventory path, empty when the examples have none.
Result<std::string> make_keys_and_inventory(const std::vector<SampleSensor>& sensors, const std::string& tmp,
                                            const std::string& inventory_path);

}  // namespace soc::ctl::demo
