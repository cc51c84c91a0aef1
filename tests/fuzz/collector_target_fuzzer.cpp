// libFuzzer target for the collector's `targets:` loader (collectors/target.cpp) and its
// endpoint parser. Properties: never crash or throw; a refusal says why.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "collectors/target.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 256 * 1024) return 0;
  using namespace soc::collectors;
  soc::fuzz::MemoryFile file("collector", data, size);
  std::vector<Target> targets;
  std::vector<soc::Diagnostic> diags;
  std::string source;
  if (!load_targets(file.path(), targets, diags, source) && diags.empty()) std::abort();
  (void)soc::render_all(diags, source);
  soc::fuzz::for_each_line(data, std::min<size_t>(size, 4096), [](std::string_view line) {
    (void)parse_endpoint(TargetKind::Tls, line);
    (void)parse_endpoint(TargetKind::Tcp, line);
  });
  return 0;
}
