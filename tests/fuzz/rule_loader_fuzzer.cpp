// libFuzzer target for the rule loader (daemon/rules/loader.cpp): a rule file dropped into a
// live rule folder, with the shipped field mapping. Properties: never crash or throw; what
// loads can be evaluated on an event.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/event.h"
#include "core/shipped_paths.h"
#include "daemon/rules/engine.h"
#include "daemon/rules/loader.h"

namespace {

using namespace soc::daemon::rules;

const FieldMapping& mapping() {
  static const FieldMapping* m = [] {
    auto* out = new FieldMapping;
    std::vector<soc::Diagnostic> diags;
    merge_mapping(*out, load_mapping(soc::shipped_path("rules/mappings/sigma-ecs.yaml", "rules/mappings/sigma-ecs.yaml"), diags));
    return out;
  }();
  return *m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;
  Loader loader(mapping());
  loader.load_text("fuzz.yml", std::string(reinterpret_cast<const char*>(data), size));
  auto set = std::make_shared<const RuleSet>(loader.finish());
  (void)set->render_diagnostics();
  if (set->rules.empty()) return 0;
  Engine engine(set, [](const soc::Event&) {});
  soc::Event e;
  e.set("@timestamp", soc::Timestamp(std::chrono::seconds(1'790'000'000)));
  e.set("event.dataset", "sshd");
  e.set("event.category", "authentication");
  e.set("message", "Failed password for root from 192.0.2.1");
  engine.process(e);
  engine.flush();
  return 0;
}
