// The console's static files (daemon/console/www), compiled into the correlator by embed.py.
#pragma once

#include <string_view>
#include <vector>

namespace soc::daemon::console {

struct File {
  std::string_view name;          // "console.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view content;
};

// Every file, sorted by name; the content lives as long as the program.
const std::vector<File>& files();

}  // namespace soc::daemon::console
