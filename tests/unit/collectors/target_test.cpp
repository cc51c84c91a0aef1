#include "collectors/target.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/config/command_line.h"
#include "tests/unit/test_support.h"

using soc::collectors::load_targets;
using soc::collectors::Target;
using soc::collectors::TargetKind;

TEST_CASE("endpoint specs are HOST:PORT, [v6]:PORT, and for TLS HOST:PORT/SNI") {
  using soc::collectors::parse_endpoint;
  using soc::collectors::TargetKind;
  auto t = parse_endpoint(TargetKind::Tls, "10.0.0.5:443/portal.example.vn");
  REQUIRE(t.ok());
  CHECK(t->host == "10.0.0.5");
  CHECK(t->port == 443);
  CHECK(t->sni == "portal.example.vn");
  auto v6 = parse_endpoint(TargetKind::Tcp, "[2001:db8::1]:5060");
  REQUIRE(v6.ok());
  CHECK(v6->host == "2001:db8::1");
  CHECK(v6->port == 5060);
  CHECK(parse_endpoint(TargetKind::Tcp, "host").error().message == "'host': expected HOST:PORT");
  CHECK(parse_endpoint(TargetKind::Tcp, "host:0").error().message == "'host:0': the port must be 1..65535");
  CHECK(parse_endpoint(TargetKind::Tcp, "host:65536").error().message == "'host:65536': the port must be 1..65535");
  CHECK(parse_endpoint(TargetKind::Tcp, ":80").error().message == "':80': empty host");
  CHECK(parse_endpoint(TargetKind::Tcp, "2001:db8::1:80").error().message ==
        "'2001:db8::1:80': write an IPv6 address in brackets: [ADDRESS]:PORT");
  CHECK(parse_endpoint(TargetKind::Tls, "h:443/").error().message == "'h:443/': empty server name after '/'");
}

TEST_CASE("the targets section of the config file gives targets with their asset and interval") {
  soc::test::TempDir dir;
  const auto path = dir.write("c.yaml", R"(interval: 600
targets:
  - {tls: portal.example.vn:443, asset: portal-1, interval: 3600}
  - tcp: 10.0.0.5:5060
    asset: vc-1
  - {fortios: "https://10.0.0.1", asset: fw-dc-1, token_file: /etc/soc/fw.token, insecure: true}
)");
  std::vector<Target> out;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  REQUIRE(load_targets(path, out, diags, source));
  REQUIRE(out.size() == 3);
  CHECK(out[0].kind == TargetKind::Tls);
  CHECK(out[0].host == "portal.example.vn");
  CHECK(out[0].asset_id == "portal-1");
  CHECK(out[0].interval.count() == 3600);
  CHECK(out[1].kind == TargetKind::Tcp);
  CHECK(out[1].port == 5060);
  CHECK(out[1].asset_id == "vc-1");
  CHECK(out[1].interval.count() == 0);
  CHECK(out[2].kind == TargetKind::License);
  CHECK(out[2].url == "https://10.0.0.1");
  CHECK(out[2].token_file == "/etc/soc/fw.token");
  CHECK(out[2].insecure);
}

TEST_CASE("every mistake of the targets section is reported with its position") {
  soc::test::TempDir dir;
  const auto path = dir.write("c.yaml", R"(targets:
  - {tls: nohost, asset: a}
  - {tcp: h:1, colour: red}
  - {tcp: h:1, tls: h:2}
  - {tcp: h:1, interval: -3}
  - {tcp: h:1, insecure: true}
  - just-a-string
)");
  std::vector<Target> out;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  CHECK_FALSE(load_targets(path, out, diags, source));
  std::vector<std::string> got;
  for (const auto& d : diags) got.push_back(std::to_string(d.line) + ":" + std::to_string(d.column) + " " + d.message);
  const std::vector<std::string> want = {
      "2:11 'nohost': expected HOST:PORT",
      "3:16 unknown key 'colour' (known keys: tls, tcp, fortios, asset, interval, token_file, insecure)",
      "4:5 a target names exactly one of tls, tcp, fortios",
      "5:26 'interval' expects seconds, 1 to 604800",
      "6:5 token_file and insecure apply to fortios targets only",
      "7:5 a target is a map: {tls: HOST:PORT[/SNI]} or {tcp: HOST:PORT} or {fortios: URL}",
  };
  CHECK(got == want);
}

TEST_CASE("the command line accepts a config section it does not parse and names the config file") {
  soc::test::TempDir dir;
  const auto path = dir.write("c.yaml", "interval: 5\ntargets:\n  - {tcp: h:1}\n");
  int64_t interval = 300;
  soc::config::CommandLine cli("t", "test");
  cli.root().option("interval", interval, "seconds").config_section("targets");
  const char* argv[] = {"t", "--config", path.c_str()};
  CHECK_FALSE(cli.parse(3, argv).has_value());
  CHECK(interval == 5);
  CHECK(cli.root().config_path() == path);
}
