// The command line of every binary: an options table that both parses and documents (Fluent
// Bit's plugin tables), behind one adapter for CLI11 and yaml-cpp.
//
// Every command gets --help, --version and --config FILE, and the root command --check-config,
// which reads the file, reports its mistakes and exits (0 when it is valid). The config file is
// YAML whose keys are the long flag names without dashes (`listen: tcp://...`); a flag given on
// the command line wins over the file. Exit codes: 0 after --help/--version, 2 for a usage error (unknown flag,
// bad value), 78 (EX_CONFIG) for a config file that cannot be used, each problem reported as
// file:line:column.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace soc::config {

inline constexpr int kExitUsage = 2;
inline constexpr int kExitConfig = 78;
inline constexpr int kExitSoftware = 70;  // EX_SOFTWARE: an internal error (run_main)

// Runs a binary's main body and returns its exit status. Errors are values (STYLE.md), so an
// exception that reaches here is an internal error (a bug, or memory exhausted): it is reported
// as "PROGRAM: fatal: ..." on stderr and the status is kExitSoftware (70), which systemd
// restarts, where an escaping exception would abort the process with a core dump.
int run_main(const char* program, int (*body)(int, char**), int argc, char** argv) noexcept;

class Command {
 public:
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;
  ~Command();

  struct Impl;  // defined in command_line.cpp
  Impl& impl() { return *impl_; }

  // --name VALUE. The target's current value is the documented default.
  Command& option(const std::string& name, std::string& target, const std::string& help);
  Command& option(const std::string& name, int64_t& target, const std::string& help);
  Command& option(const std::string& name, double& target, const std::string& help);
  // --name VALUE, repeatable (and a YAML list in the config file).
  Command& option(const std::string& name, std::vector<std::string>& target, const std::string& help);
  // --name (no value).
  Command& flag(const std::string& name, bool& target, const std::string& help);
  // Positional arguments; `required` means at least one.
  Command& positionals(const std::string& name, std::vector<std::string>& target, const std::string& help,
                       bool required);

  // A key the config file may hold that is no flag: a structured section (e.g. a list of maps)
  // that the command's owner reads itself from config_path() after parse(). The command line
  // adapter only stops reporting it as an unknown key.
  Command& config_section(const std::string& name);
  // The --config FILE given (empty when none).
  const std::string& config_path() const;

  Command& subcommand(const std::string& name, const std::string& description);
  // True when this (sub)command was named on the command line.
  bool selected() const;
  // Requires one of the subcommands to be named.
  void require_subcommand();

 private:
  friend class CommandLine;
  explicit Command(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class CommandLine {
 public:
  CommandLine(const std::string& program, const std::string& description);
  ~CommandLine();

  Command& root();

  // Parses argv and the config file. Returns nullopt to go on, or the exit code to exit with
  // (help/version printed to stdout, errors to stderr).
  std::optional<int> parse(int argc, const char* const* argv);

  // --check-config was given. parse() has then already exited 0 after a valid file, unless the
  // root command has config_section()s: their owner checks them and exits.
  bool check_config() const { return check_config_; }

 private:
  std::unique_ptr<Command> root_;
  bool check_config_ = false;
};

}  // namespace soc::config
