// libFuzzer target for the inventory and baseline loaders (daemon/inventory/loader.cpp, a
// yaml-cpp event stream): the first byte chooses which. Properties: never crash or throw; a
// loader that refuses the file says why.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "daemon/inventory/loader.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0 || size > 256 * 1024) return 0;
  soc::fuzz::MemoryFile file("inventory", data + 1, size - 1);
  std::vector<soc::Diagnostic> diags;
  std::string source;
  bool ok;
  if (data[0] & 1) {
    soc::daemon::inventory::Baseline b;
    ok = soc::daemon::inventory::load_baseline(file.path(), b, diags, source);
  } else {
    soc::daemon::inventory::Inventory inv;
    ok = soc::daemon::inventory::load_inventory(file.path(), inv, diags, source);
  }
  if (!ok && diags.empty()) std::abort();
  (void)soc::render_all(diags, source);
  return 0;
}
