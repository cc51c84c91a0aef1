#include "core/shipped_paths.h"

#include <unistd.h>

#include <string>

#include "soc_build_config.h"

namespace soc {

bool running_from_build_tree() {
  static const bool in_build = [] {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return false;
    const std::string self(buf, static_cast<size_t>(n));
    const std::string build = std::string(SOC_BUILD_DIR) + "/";
    return self.compare(0, build.size(), build) == 0;
  }();
  return in_build;
}

std::string shipped_path(std::string_view in_source, std::string_view in_data_dir) {
  if (running_from_build_tree()) return std::string(SOC_SOURCE_DIR) + "/" + std::string(in_source);
  return std::string(SOC_DATA_DIR) + "/" + std::string(in_data_dir);
}

}  // namespace soc
