#include "core/config/command_line.h"

#include <CLI/CLI.hpp>
#include <fmt/core.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <new>

#include "core/diagnostic.h"
#include "core/config/yaml_util.h"
#include "soc_build_config.h"

namespace soc::config {

namespace {
enum class Kind { String, Int, Double, List, Flag };
struct Entry {
  std::string name;
  Kind kind;
  void* target;
  CLI::Option* opt;
};
}  // namespace

struct Command::Impl {
  CLI::App* app = nullptr;
  std::unique_ptr<CLI::App> owned;  // the root owns its App; subcommands belong to their parent
  std::vector<Entry> entries;
  std::vector<std::unique_ptr<Command>> subcommands;
  std::string config_path;
  std::vector<std::string> sections;  // config keys read by the command's owner

  void add_entry(const std::string& name, Kind kind, void* target, CLI::Option* opt) {
    entries.push_back({name, kind, target, opt});
  }
};

Command::Command(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {
  impl_->app->set_help_flag("-h,--help", "Print this help and exit");
  impl_->app->add_option("--config", impl_->config_path,
                         "YAML file whose keys are the long flag names (the command line wins)");
  impl_->app->option_defaults()->always_capture_default();
}

Command::~Command() = default;

Command& Command::option(const std::string& name, std::string& target, const std::string& help) {
  auto* o = impl_->app->add_option("--" + name, target, help)->capture_default_str();
  impl_->add_entry(name, Kind::String, &target, o);
  return *this;
}

Command& Command::option(const std::string& name, int64_t& target, const std::string& help) {
  auto* o = impl_->app->add_option("--" + name, target, help)->capture_default_str();
  impl_->add_entry(name, Kind::Int, &target, o);
  return *this;
}

Command& Command::option(const std::string& name, double& target, const std::string& help) {
  auto* o = impl_->app->add_option("--" + name, target, help)->capture_default_str();
  impl_->add_entry(name, Kind::Double, &target, o);
  return *this;
}

Command& Command::option(const std::string& name, std::vector<std::string>& target, const std::string& help) {
  // One value per occurrence, so that `--rules A file.jsonl` leaves file.jsonl to positionals.
  auto* o = impl_->app->add_option("--" + name, target, help)->allow_extra_args(false);
  impl_->add_entry(name, Kind::List, &target, o);
  return *this;
}

Command& Command::flag(const std::string& name, bool& target, const std::string& help) {
  auto* o = impl_->app->add_flag("--" + name, target, help);
  impl_->add_entry(name, Kind::Flag, &target, o);
  return *this;
}

Command& Command::positionals(const std::string& name, std::vector<std::string>& target, const std::string& help,
                              bool required) {
  auto* o = impl_->app->add_option(name, target, help);
  if (required) o->required();
  return *this;
}

Command& Command::config_section(const std::string& name) {
  impl_->sections.push_back(name);
  return *this;
}

const std::string& Command::config_path() const { return impl_->config_path; }

Command& Command::subcommand(const std::string& name, const std::string& description) {
  auto impl = std::make_unique<Impl>();
  impl->app = impl_->app->add_subcommand(name, description);
  impl_->subcommands.push_back(std::unique_ptr<Command>(new Command(std::move(impl))));
  return *impl_->subcommands.back();
}

bool Command::selected() const { return impl_->app->parsed(); }

void Command::require_subcommand() { impl_->app->require_subcommand(1); }

CommandLine::CommandLine(const std::string& program, const std::string& description) {
  auto impl = std::make_unique<Command::Impl>();
  impl->owned = std::make_unique<CLI::App>(description, program);
  impl->app = impl->owned.get();
  impl->app->set_version_flag("--version", std::string(program) + " " + SOC_VERSION, "Print the version and exit");
  impl->app->add_flag("--check-config", check_config_,
                      "Read the --config file, report its mistakes (file:line:column) and exit: 0 when it is valid");
  root_.reset(new Command(std::move(impl)));
}

CommandLine::~CommandLine() = default;

Command& CommandLine::root() { return *root_; }

namespace {

// Applies one config file to the options of one command. Keys given on the command line are
// skipped; every problem is collected.
void apply_config(Command::Impl& cmd, std::vector<Diagnostic>& diags, std::string& source) {
  const std::string& path = cmd.config_path;
  if (auto d = read_file_bounded(path, source, kMaxConfigFileBytes, "config.unreadable")) {
    diags.push_back(std::move(*d));
    return;
  }
  YAML::Node root;
  if (!load_yaml(path, source, root, diags)) return;
  if (root.IsNull()) return;  // an empty file sets nothing
  if (!root.IsMap()) {
    diags.push_back(diag_at(path, root, "config.not_a_map", "the config file must be a map of option names to values"));
    return;
  }
  std::string known;
  for (const auto& e : cmd.entries) known += (known.empty() ? "" : ", ") + e.name;
  for (const auto& s : cmd.sections) known += (known.empty() ? "" : ", ") + s;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const std::string name = key.IsScalar() ? key.Scalar() : "";
    if (std::find(cmd.sections.begin(), cmd.sections.end(), name) != cmd.sections.end()) continue;
    const Entry* entry = nullptr;
    for (const auto& e : cmd.entries) {
      if (e.name == name) entry = &e;
    }
    if (!entry) {
      diags.push_back(diag_at(path, key, "config.unknown_key",
                              fmt::format("unknown key '{}' (known keys: {})", name, known)));
      continue;
    }
    if (entry->opt->count() > 0) continue;  // the command line wins
    auto bad = [&](std::string_view expected) {
      diags.push_back(diag_at(path, value, "config.bad_value", fmt::format("'{}' expects {}", name, expected)));
    };
    try {
      switch (entry->kind) {
        case Kind::String:
          if (!value.IsScalar()) { bad("a string"); break; }
          *static_cast<std::string*>(entry->target) = value.Scalar();
          break;
        case Kind::Int:
          if (!value.IsScalar()) { bad("an integer"); break; }
          *static_cast<int64_t*>(entry->target) = value.as<int64_t>();
          break;
        case Kind::Double:
          if (!value.IsScalar()) { bad("a number"); break; }
          *static_cast<double*>(entry->target) = value.as<double>();
          break;
        case Kind::Flag:
          if (!value.IsScalar()) { bad("true or false"); break; }
          *static_cast<bool*>(entry->target) = value.as<bool>();
          break;
        case Kind::List: {
          auto* list = static_cast<std::vector<std::string>*>(entry->target);
          if (value.IsScalar()) {
            list->push_back(value.Scalar());
          } else if (value.IsSequence()) {
            bool ok = true;
            for (const auto& item : value) ok = ok && item.IsScalar();
            if (!ok) { bad("a list of strings"); break; }
            for (const auto& item : value) list->push_back(item.Scalar());
          } else {
            bad("a string or a list of strings");
          }
          break;
        }
      }
    } catch (const YAML::Exception&) {
      bad(entry->kind == Kind::Int ? "an integer" : entry->kind == Kind::Double ? "a number" : "true or false");
    }
  }
}

void collect_selected(Command::Impl& cmd, std::vector<Command::Impl*>& out) {
  out.push_back(&cmd);
  for (auto& sub : cmd.subcommands) {
    if (sub->selected()) collect_selected(sub->impl(), out);
  }
}

}  // namespace

int run_main(const char* program, int (*body)(int, char**), int argc, char** argv) noexcept {
  try {
    return body(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "%s: fatal: out of memory\n", program);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: fatal: internal error: %s\n", program, e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: fatal: internal error: an unknown exception\n", program);
  }
  return kExitSoftware;
}

std::optional<int> CommandLine::parse(int argc, const char* const* argv) {
  CLI::App& app = *root_->impl().app;
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::fputs(app.help().c_str(), stdout);
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    return 0;
  } catch (const CLI::CallForVersion& e) {
    std::fputs(e.what(), stdout);
    std::fputc('\n', stdout);
    return 0;
  } catch (const CLI::ParseError& e) {
    // Help of the subcommand that was being parsed, when the error came from one.
    std::fprintf(stderr, "%s: %s\nRun with --help for the list of options.\n", app.get_name().c_str(), e.what());
    return kExitUsage;
  }
  if (check_config_ && root_->impl().config_path.empty()) {
    std::fprintf(stderr, "%s: --check-config needs --config FILE\n", app.get_name().c_str());
    return kExitUsage;
  }
  std::vector<Command::Impl*> chain;
  collect_selected(root_->impl(), chain);
  for (Command::Impl* cmd : chain) {
    if (cmd->config_path.empty()) continue;
    std::vector<Diagnostic> diags;
    std::string source;
    apply_config(*cmd, diags, source);
    if (!diags.empty()) {
      std::fputs(render_all(diags, source).c_str(), stderr);
      return kExitConfig;
    }
  }
  // A command with sections of its own (the collector's targets:) checks them, then exits.
  if (check_config_ && root_->impl().sections.empty()) {
    std::printf("%s: every key is known and every value has the right type\n", root_->impl().config_path.c_str());
    return 0;
  }
  return std::nullopt;
}

}  // namespace soc::config
