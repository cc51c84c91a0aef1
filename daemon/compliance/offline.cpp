#include "daemon/compliance/offline.h"

#include "core/crypto/digest.h"
#include "daemon/compliance/build.h"
#include "daemon/compliance/record.h"
#include "daemon/inventory/loader.h"

namespace soc::daemon::compliance {

namespace inv = inventory;

Result<OfflineReport> build_offline(const OfflineInput& in) {
  auto inventory = std::make_shared<inv::Inventory>();
  auto baseline = std::make_shared<inv::Baseline>();
  std::vector<Diagnostic> diags;
  std::string inv_source, base_source, text;
  bool ok = inv::load_inventory(in.inventory_path, *inventory, diags, inv_source);
  text += render_all(diags, inv_source);
  diags.clear();
  const bool base_ok = inv::load_baseline(in.baseline_path, *baseline, diags, base_source);
  text += render_all(diags, base_source);
  if (ok && base_ok) {
    diags.clear();
    ok = inv::check_waivers(in.inventory_path, *inventory, *baseline, diags);
    text += render_all(diags, inv_source);
  }
  if (!ok || !base_ok) return fail("config", text);

  RecordOptions ro;
  ro.files = in.events;
  ro.to = in.at;
  ro.from = in.from;
  auto recorded = record(inventory, baseline, ro);
  if (!recorded) return fail(recorded.error());
  const auto findings = inv::evaluate(*recorded->inventory, *baseline, recorded->evidence, in.at);
  BuildInput b;
  b.inventory = recorded->inventory.get();
  b.baseline = baseline.get();
  b.findings = &findings;
  b.from = recorded->from;
  b.to = in.at;
  b.lang = in.lang;
  b.generator = in.generator;
  b.version = in.version;
  b.source = "events";
  b.inputs.inventory_sha256 = crypto::sha256_hex(inv_source);
  b.inputs.baseline_sha256 = crypto::sha256_hex(base_source);
  b.inputs.events = recorded->input;
  b.alerts = std::move(recorded->alerts);
  return OfflineReport{build(b), std::move(recorded->warnings)};
}

}  // namespace soc::daemon::compliance
