#include "core/config/command_line.h"

#include <doctest/doctest.h>

#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "soc_build_config.h"
#include "tests/unit/test_support.h"

namespace {

using soc::config::kExitConfig;
using soc::config::kExitUsage;

// A command with one option of every kind, positionals and a subcommand with its own options.
struct Socd {
  std::string listen = "tcp://127.0.0.1:7000";
  int64_t workers = 2;
  double ratio = 0.5;
  std::vector<std::string> rules;
  bool verbose = false;
  std::vector<std::string> inputs;
  std::string target = "all";
  bool fix = false;

  soc::config::CommandLine cli{"socd", "The test daemon."};
  soc::config::Command* check = nullptr;

  explicit Socd(bool with_subcommand = false, bool inputs_required = false) {
    cli.root()
        .option("listen", listen, "Where to listen")
        .option("workers", workers, "Worker threads")
        .option("ratio", ratio, "A fraction")
        .option("rules", rules, "Rule files (repeatable)")
        .flag("verbose", verbose, "Say more");
    if (with_subcommand) {
      check = &cli.root().subcommand("check", "Check the configuration");
      check->option("target", target, "What to check").flag("fix", fix, "Repair what can be repaired");
    } else {
      cli.root().positionals("inputs", inputs, "Input files", inputs_required);
    }
  }

  struct Run {
    std::optional<int> rc;
    std::string out;
    std::string err;
  };

  Run parse(std::vector<std::string> args) {
    args.insert(args.begin(), "socd");
    std::vector<const char*> argv;
    for (const auto& a : args) argv.push_back(a.c_str());
    Run r;
    const auto c = soc::test::capture_output([&] { r.rc = cli.parse(static_cast<int>(argv.size()), argv.data()); });
    r.out = c.out;
    r.err = c.err;
    return r;
  }
};

}  // namespace

TEST_CASE("command line without arguments keeps the defaults and goes on") {
  Socd s;
  const auto r = s.parse({});
  CHECK_FALSE(r.rc);
  CHECK(s.listen == "tcp://127.0.0.1:7000");
  CHECK(s.workers == 2);
  CHECK(s.ratio == 0.5);
  CHECK(s.rules.empty());
  CHECK_FALSE(s.verbose);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
}

TEST_CASE("command line sets options of every kind and collects positionals") {
  Socd s;
  const auto r = s.parse({"--listen", "tcp://0.0.0.0:9000", "--workers", "8", "--ratio", "0.25", "--verbose", "a.jsonl",
                          "b.jsonl"});
  CHECK_FALSE(r.rc);
  CHECK(s.listen == "tcp://0.0.0.0:9000");
  CHECK(s.workers == 8);
  CHECK(s.ratio == 0.25);
  CHECK(s.verbose);
  CHECK(s.inputs == std::vector<std::string>{"a.jsonl", "b.jsonl"});
  CHECK(r.err.empty());
}

TEST_CASE("a repeated list option takes one value each time and leaves the rest positional") {
  Socd s;
  const auto r = s.parse({"--rules", "a.yaml", "--rules", "b.yaml", "input.jsonl"});
  CHECK_FALSE(r.rc);
  CHECK(s.rules == std::vector<std::string>{"a.yaml", "b.yaml"});
  CHECK(s.inputs == std::vector<std::string>{"input.jsonl"});

  Socd once;
  CHECK_FALSE(once.parse({"--rules", "a.yaml", "x.jsonl", "y.jsonl"}).rc);
  CHECK(once.rules == std::vector<std::string>{"a.yaml"});
  CHECK(once.inputs == std::vector<std::string>{"x.jsonl", "y.jsonl"});
}

TEST_CASE("--help prints the options table to stdout and exits 0") {
  Socd s;
  const auto r = s.parse({"--help"});
  REQUIRE(r.rc);
  CHECK(*r.rc == 0);
  CHECK(r.out.find("The test daemon.") != std::string::npos);
  CHECK(r.out.find("--listen") != std::string::npos);
  CHECK(r.out.find("Worker threads") != std::string::npos);
  CHECK(r.out.find("--config") != std::string::npos);
  CHECK(r.out.find("tcp://127.0.0.1:7000") != std::string::npos);  // the default is documented
  CHECK(r.err.empty());
  Socd h;
  CHECK(h.parse({"-h"}).rc == 0);
}

TEST_CASE("--version prints the program and version and exits 0") {
  Socd s;
  const auto r = s.parse({"--version"});
  CHECK(r.rc == 0);
  CHECK(r.out == std::string("socd ") + SOC_VERSION + "\n");
  CHECK(r.err.empty());
}

TEST_CASE("usage errors exit 2 with a message on stderr") {
  const std::vector<std::vector<std::string>> cases = {
      {"--nope"},
      {"--workers", "many"},
      {"--workers", "1.5"},
      {"--ratio", "half"},
      {"--workers"},
      {"--verbose=maybe"},
  };
  for (const auto& args : cases) {
    CAPTURE(args.front());
    Socd s;
    const auto r = s.parse(args);
    CHECK(r.rc == kExitUsage);
    CHECK(r.err.rfind("socd: ", 0) == 0);
    CHECK(r.err.find("Run with --help for the list of options.\n") != std::string::npos);
    CHECK(r.out.empty());
  }
}

TEST_CASE("a missing required positional is a usage error") {
  Socd s(/*with_subcommand=*/false, /*inputs_required=*/true);
  CHECK(s.parse({}).rc == kExitUsage);
  Socd ok(false, true);
  CHECK_FALSE(ok.parse({"in.jsonl"}).rc);
}

TEST_CASE("a config file sets options by their long names") {
  soc::test::TempDir dir;
  const std::string path = dir.write("socd.yaml",
                                     "listen: tcp://10.0.0.1:7000\n"
                                     "workers: 16\n"
                                     "ratio: 0.75\n"
                                     "rules: [a.yaml, b.yaml]\n"
                                     "verbose: true\n");
  Socd s;
  const auto r = s.parse({"--config", path});
  CHECK_FALSE(r.rc);
  CHECK(r.err.empty());
  CHECK(s.listen == "tcp://10.0.0.1:7000");
  CHECK(s.workers == 16);
  CHECK(s.ratio == 0.75);
  CHECK(s.rules == std::vector<std::string>{"a.yaml", "b.yaml"});
  CHECK(s.verbose);
}

TEST_CASE("a single string in the config file sets a list option to one item") {
  soc::test::TempDir dir;
  Socd s;
  CHECK_FALSE(s.parse({"--config", dir.write("c.yaml", "rules: only.yaml\n")}).rc);
  CHECK(s.rules == std::vector<std::string>{"only.yaml"});
}

TEST_CASE("the command line wins over the config file") {
  soc::test::TempDir dir;
  const std::string path = dir.write("socd.yaml",
                                     "listen: tcp://10.0.0.1:7000\n"
                                     "workers: 16\n"
                                     "rules: [from-file.yaml]\n"
                                     "verbose: false\n");
  Socd s;
  const auto r = s.parse({"--workers", "3", "--rules", "cli.yaml", "--config", path, "--verbose"});
  CHECK_FALSE(r.rc);
  CHECK(s.workers == 3);
  CHECK(s.rules == std::vector<std::string>{"cli.yaml"});
  CHECK(s.verbose);
  CHECK(s.listen == "tcp://10.0.0.1:7000");  // not on the command line: from the file
}

TEST_CASE("an empty config file sets nothing") {
  soc::test::TempDir dir;
  Socd s;
  CHECK_FALSE(s.parse({"--config", dir.write("empty.yaml", "")}).rc);
  CHECK(s.workers == 2);
}

TEST_CASE("an unknown key in the config file exits 78 with file:line:column and a caret") {
  soc::test::TempDir dir;
  const std::string path = dir.write("socd.yaml", "listen: tcp://10.0.0.1:7000\nbogus: 1\n");
  Socd s;
  const auto r = s.parse({"--config", path});
  CHECK(r.rc == kExitConfig);
  CHECK(r.err == path + ":2:1: error[config.unknown_key]: unknown key 'bogus' (known keys: listen, workers, ratio, "
                        "rules, verbose)\n"
                        "    bogus: 1\n"
                        "    ^\n");
  CHECK(r.out.empty());
}

TEST_CASE("a config value of the wrong type exits 78 naming what the option expects") {
  soc::test::TempDir dir;
  const std::string path = dir.write("socd.yaml",
                                     "workers: many\n"
                                     "ratio: half\n"
                                     "verbose: maybe\n"
                                     "listen: {host: x}\n"
                                     "rules: [[a]]\n"
                                     "bogus: 1\n");
  Socd s;
  const auto r = s.parse({"--config", path});
  CHECK(r.rc == kExitConfig);
  CHECK(r.err == path + ":1:10: error[config.bad_value]: 'workers' expects an integer\n    workers: many\n             ^\n" +
                     path + ":2:8: error[config.bad_value]: 'ratio' expects a number\n    ratio: half\n           ^\n" +
                     path + ":3:10: error[config.bad_value]: 'verbose' expects true or false\n    verbose: maybe\n             ^\n" +
                     path + ":4:9: error[config.bad_value]: 'listen' expects a string\n    listen: {host: x}\n            ^\n" +
                     path + ":5:8: error[config.bad_value]: 'rules' expects a list of strings\n    rules: [[a]]\n           ^\n" +
                     path + ":6:1: error[config.unknown_key]: unknown key 'bogus' (known keys: listen, workers, ratio, "
                            "rules, verbose)\n    bogus: 1\n    ^\n");
}

TEST_CASE("a config file that cannot be used exits 78") {
  soc::test::TempDir dir;
  {
    Socd s;
    const std::string path = (dir.path() / "missing.yaml").string();
    const auto r = s.parse({"--config", path});
    CHECK(r.rc == kExitConfig);
    CHECK(r.err == path + ": error[config.unreadable]: cannot read the file: No such file or directory\n");
  }
  {
    Socd s;
    const std::string path = dir.write("list.yaml", "- a\n- b\n");
    const auto r = s.parse({"--config", path});
    CHECK(r.rc == kExitConfig);
    CHECK(r.err.rfind(path + ":1:1: error[config.not_a_map]: the config file must be a map of option names to values\n",
                      0) == 0);
  }
  {
    Socd s;
    const std::string path = dir.write("broken.yaml", "workers: [1, 2\n");
    const auto r = s.parse({"--config", path});
    CHECK(r.rc == kExitConfig);
    CHECK(r.err.rfind(path + ":2:1: error[yaml.syntax]: ", 0) == 0);
  }
}

TEST_CASE("a subcommand is selected by name and parses its own options") {
  Socd s(/*with_subcommand=*/true);
  const auto r = s.parse({"--workers", "4", "check", "--target", "rules", "--fix"});
  CHECK_FALSE(r.rc);
  REQUIRE(s.check);
  CHECK(s.check->selected());
  CHECK(s.workers == 4);
  CHECK(s.target == "rules");
  CHECK(s.fix);

  Socd idle(true);
  CHECK_FALSE(idle.parse({"--workers", "4"}).rc);
  CHECK_FALSE(idle.check->selected());
}

TEST_CASE("a required subcommand that is missing is a usage error") {
  Socd s(true);
  s.cli.root().require_subcommand();
  const auto r = s.parse({});
  CHECK(r.rc == kExitUsage);
  CHECK_FALSE(r.err.empty());
}

TEST_CASE("a subcommand reads its own config file and the root's keys are unknown there") {
  soc::test::TempDir dir;
  {
    Socd s(true);
    const auto r = s.parse({"check", "--config", dir.write("check.yaml", "target: sensors\nfix: true\n")});
    CHECK_FALSE(r.rc);
    CHECK(s.target == "sensors");
    CHECK(s.fix);
  }
  {
    Socd s(true);
    const std::string path = dir.write("mixed.yaml", "target: sensors\nworkers: 3\n");
    const auto r = s.parse({"check", "--config", path});
    CHECK(r.rc == kExitConfig);
    CHECK(r.err == path + ":2:1: error[config.unknown_key]: unknown key 'workers' (known keys: target, fix)\n"
                          "    workers: 3\n"
                          "    ^\n");
  }
}

TEST_CASE("an unknown option of a subcommand is a usage error") {
  Socd s(true);
  CHECK(s.parse({"check", "--nope"}).rc == kExitUsage);
}

TEST_CASE("--check-config reads the config file, reports its mistakes and exits") {
  soc::test::TempDir dir;
  {
    Socd s;
    const std::string good = dir.write("good.yaml", "listen: tcp://0.0.0.0:1\nworkers: 4\n");
    const auto r = s.parse({"--config", good, "--check-config"});
    REQUIRE(r.rc.has_value());
    CHECK(*r.rc == 0);
    CHECK(r.out == good + ": every key is known and every value has the right type\n");
  }
  {
    Socd s;
    const std::string bad = dir.write("bad.yaml", "listen: tcp://0.0.0.0:1\nworker: 4\n");
    const auto r = s.parse({"--config", bad, "--check-config"});
    CHECK(r.rc == kExitConfig);
    CHECK(r.err.find(bad + ":2:1: error[config.unknown_key]: unknown key 'worker'") != std::string::npos);
  }
  {
    Socd s;
    const auto r = s.parse({"--check-config"});
    CHECK(r.rc == kExitUsage);
    CHECK(r.err == "socd: --check-config needs --config FILE\n");
  }
  {
    // A command with a section of its own checks it itself: parse() goes on.
    Socd s;
    s.cli.root().config_section("targets");
    const std::string with_section = dir.write("t.yaml", "targets: []\n");
    const auto r = s.parse({"--config", with_section, "--check-config"});
    CHECK_FALSE(r.rc.has_value());
    CHECK(s.cli.check_config());
  }
}

TEST_CASE("run_main returns the body's status, and 70 with a fatal message when an exception escapes it") {
  char name[] = "socd";
  char* argv[] = {name, nullptr};
  int rc = -1;
  auto out = soc::test::capture_output([&] {
    rc = soc::config::run_main(
        "socd", [](int argc, char**) { return argc == 1 ? 3 : 4; }, 1, argv);
  });
  CHECK(rc == 3);
  CHECK(out.err.empty());

  out = soc::test::capture_output([&] {
    rc = soc::config::run_main(
        "socd", [](int, char**) -> int { throw std::runtime_error("a broken invariant"); }, 1, argv);
  });
  CHECK(rc == soc::config::kExitSoftware);
  CHECK(rc == 70);
  CHECK(out.err == "socd: fatal: internal error: a broken invariant\n");

  out = soc::test::capture_output([&] {
    rc = soc::config::run_main(
        "socd", [](int, char**) -> int { throw std::bad_alloc(); }, 1, argv);
  });
  CHECK(rc == 70);
  CHECK(out.err == "socd: fatal: out of memory\n");

  out = soc::test::capture_output([&] {
    rc = soc::config::run_main(
        "socd", [](int, char**) -> int { throw 42; }, 1, argv);
  });
  CHECK(rc == 70);
  CHECK(out.err == "socd: fatal: internal error: an unknown exception\n");
}
