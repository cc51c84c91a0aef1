// Logging to stderr in one line per record: `<level> <component>: <message>`. Thread-safe.
// Daemons run under systemd, which timestamps stderr, so no timestamp is added unless asked.
#pragma once

#include <fmt/core.h>

#include <string_view>

namespace soc::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void set_level(Level level);
Level level();
// Prefix every record with an RFC 3339 timestamp (for runs outside systemd).
void set_timestamps(bool on);
void write(Level level, std::string_view component, std::string_view message);

template <typename... Args>
void debug(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::Debug) write(Level::Debug, component, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::Info) write(Level::Info, component, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::Warn) write(Level::Warn, component, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(std::string_view component, fmt::format_string<Args...> f, Args&&... args) {
  write(Level::Error, component, fmt::format(f, std::forward<Args>(args)...));
}

// Parses "debug|info|warn|error"; returns false for anything else.
bool parse_level(std::string_view text, Level& out);

}  // namespace soc::log
