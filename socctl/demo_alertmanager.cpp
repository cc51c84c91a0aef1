#include "socctl/demo_alertmanager.h"

#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace soc::ctl {

namespace {

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string d; std::getline(dirs, d, ':');) {
    std::string candidate = (d.empty() ? "." : d) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

std::string tail_of(const std::string& path, size_t lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string l; std::getline(in, l);) all.push_back(l);
  std::string out;
  for (size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) out += all[i] + "\n";
  return out;
}

}  // namespace

Result<DemoAlertmanager> DemoAlertmanager::start(const std::string& dir) {
  const std::string binary = find_on_path("prometheus-alertmanager");
  if (binary.empty()) return fail("missing", "prometheus-alertmanager is not installed (Debian: apt-get install prometheus-alertmanager)");
  std::error_code ec;
  std::filesystem::create_directories(dir + "/data", ec);
  // Grouped as the on-call route of the ADR's example; no receiver: the demo shows what would page.
  std::ofstream(dir + "/alertmanager.yml") << "route:\n  receiver: on-call\n  group_by: [alertname, site]\n"
                                              "  group_wait: 5s\nreceivers:\n  - name: on-call\n";
  DemoAlertmanager am;
  am.port_ = free_port();
  am.url_ = fmt::format("http://127.0.0.1:{}", am.port_);
  // --cluster.listen-address= : no gossip port (it would listen on every interface).
  auto child = Child::spawn({binary, "--config.file=" + dir + "/alertmanager.yml", "--storage.path=" + dir + "/data",
                             fmt::format("--web.listen-address=127.0.0.1:{}", am.port_), "--cluster.listen-address="},
                            dir + "/alertmanager.log");
  if (!child) return fail("start", child.error().message);
  am.proc_ = *child;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!http_get(am.port_, "/-/ready")) {
    if (!am.proc_.running() || std::chrono::steady_clock::now() > deadline) {
      am.proc_.stop();
      return fail("start", "prometheus-alertmanager did not start; its log:\n" + tail_of(dir + "/alertmanager.log", 5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return am;
}

Result<size_t> DemoAlertmanager::active_alerts() const {
  auto body = http_get(port_, "/api/v2/alerts?active=true&silenced=false&inhibited=false");
  if (!body) return fail(body.error());
  size_t n = 0;
  for (size_t pos = 0; (pos = body->find("\"fingerprint\":", pos)) != std::string::npos; ++pos) ++n;
  return n;
}

void DemoAlertmanager::stop() {
  if (proc_.pid() > 0 && proc_.running()) proc_.stop();
}

}  // namespace soc::ctl
