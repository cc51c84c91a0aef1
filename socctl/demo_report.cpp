#include "socctl/demo_report.h"

#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "daemon/compliance/json.h"
#include "daemon/compliance/offline.h"
#include "soc_build_config.h"
#include "socctl/report/html.h"

namespace soc::ctl {

namespace fs = std::filesystem;
namespace cmp = daemon::compliance;
namespace inv = daemon::inventory;

Result<DemoReport> write_demo_report(const std::string& inventory, const std::string& baseline,
                                     const std::vector<std::string>& events, const std::string& dir_given) {
  std::string dir = dir_given;
  std::error_code ec;
  if (dir.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    dir = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/soc-demo-report.XXXXXX";
    if (!mkdtemp(dir.data())) return fail("report", "cannot make a folder for the report in " + fs::path(dir).parent_path().string());
  } else if (fs::create_directories(dir, ec); ec) {
    return fail("report", fmt::format("cannot make {}: {}", dir, ec.message()));
  }
  cmp::OfflineInput in;
  in.inventory_path = inventory;
  in.baseline_path = baseline;
  for (const auto& e : events)
    if (fs::exists(e)) in.events.push_back(e);
  in.at = now();
  in.lang = inv::Language::Vi;
  in.version = SOC_VERSION;
  auto built = cmp::build_offline(in);
  if (!built) return fail(built.error());
  const cmp::Report& r = built->report;
  DemoReport out;
  out.json = fs::absolute(dir + "/report.json").string();
  out.html = fs::absolute(dir + "/report.html").string();
  for (const auto& [path, content] : {std::pair{out.json, cmp::to_json(r)}, {out.html, report::render_html(r, out.json)}}) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << content;
    if (!f) return fail("report", "cannot write " + path);
  }
  const auto& s = r.summary;
  out.summary = fmt::format("{} systems x {} requirements: {} met, {} partially met, {} not met, {} not applicable, "
                            "{} not assessable, {} waived; {} open critical gaps",
                            r.systems.size(), r.systems.empty() ? 0 : r.systems[0].requirements.size(), s[0], s[1], s[2],
                            s[3], s[4], s[5], r.gaps.size());
  return out;
}

}  // namespace soc::ctl
