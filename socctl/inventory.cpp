// socctl inventory check: validates an inventory (and, with --baseline, a baseline and the
// waivers that refer to it) and prints every diagnostic, the way the correlator would refuse them.
#include <cstdio>

#include "daemon/inventory/loader.h"
#include "socctl/commands.h"

namespace soc::ctl {

void add_inventory(config::Command& root, InventoryOptions& o, config::Command*& check_cmd) {
  auto& cmd = root.subcommand("inventory", "The inventory of sites, systems, assets, sensors and waivers");
  cmd.require_subcommand();
  check_cmd =
      &cmd.subcommand("check", "Validate an inventory (and a baseline): exit 0 when clean, 1 with every problem");
  check_cmd->option("baseline", o.baseline, "Also validate this baseline and the inventory's waivers against it")
      .positionals("file", o.files, "The inventory file (inventory.yaml)", true);
}

int run_inventory_check(const InventoryOptions& o) {
  if (o.files.size() != 1) {
    std::fputs("socctl inventory check: exactly one inventory FILE is expected (see --help)\n", stderr);
    return config::kExitUsage;
  }
  namespace inv = daemon::inventory;
  const std::string& path = o.files[0];
  std::vector<Diagnostic> diags;
  std::string source;
  inv::Inventory inventory;
  bool ok = inv::load_inventory(path, inventory, diags, source);
  std::fputs(render_all(diags, source).c_str(), stderr);
  if (!o.baseline.empty()) {
    std::vector<Diagnostic> bdiags;
    std::string bsource;
    inv::Baseline baseline;
    const bool bok = inv::load_baseline(o.baseline, baseline, bdiags, bsource);
    std::fputs(render_all(bdiags, bsource).c_str(), stderr);
    // Waivers are checked only against a baseline that loaded: a broken one would make every
    // waiver look dangling.
    if (bok) {
      std::vector<Diagnostic> wdiags;
      if (!inv::check_waivers(path, inventory, baseline, wdiags)) ok = false;
      std::fputs(render_all(wdiags, source).c_str(), stderr);
    }
    ok = ok && bok;
    if (ok)
      std::printf("%s: %zu requirements (baseline %s %s)\n", o.baseline.c_str(), baseline.requirements.size(),
                  baseline.id.c_str(), baseline.version.c_str());
  }
  if (!ok) return 1;
  std::printf("%s: %zu sites, %zu systems, %zu assets, %zu sensors, %zu waivers\n", path.c_str(),
              inventory.sites.size(), inventory.systems.size(), inventory.assets.size(), inventory.sensors.size(),
              inventory.waivers.size());
  return 0;
}

}  // namespace soc::ctl
