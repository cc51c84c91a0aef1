#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "core/clock.h"

namespace soc::log {
namespace {
std::atomic<Level> g_level{Level::Info};
std::atomic<bool> g_timestamps{false};
std::mutex g_mutex;

const char* name(Level l) {
  switch (l) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warning";
    case Level::Error: return "error";
  }
  return "?";
}
}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }
void set_timestamps(bool on) { g_timestamps = on; }

void write(Level level, std::string_view component, std::string_view message) {
  std::string line;
  if (g_timestamps) {
    line = format_rfc3339(now());
    line += ' ';
  }
  line += fmt::format("{} {}: {}\n", name(level), component, message);
  std::lock_guard lock(g_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

bool parse_level(std::string_view text, Level& out) {
  if (text == "debug") out = Level::Debug;
  else if (text == "info") out = Level::Info;
  else if (text == "warn" || text == "warning") out = Level::Warn;
  else if (text == "error") out = Level::Error;
  else return false;
  return true;
}

}  // namespace soc::log
