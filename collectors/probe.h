// One probe of one target, as asset events (event.kind: state): collector.tls and collector.tcp
// give one event each; collector.license one per license entry, or one failure event. A probe
// never throws and never fails: what went wrong is an event with event.outcome: failure and
// error.message. Blocking, bounded by options.timeout (per connection step).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "collectors/target.h"
#include "core/event.h"

namespace soc::collectors {

struct ProbeOptions {
  std::chrono::milliseconds timeout{10'000};
  std::string fortios_token;  // for license targets without a token_file of their own
  bool fortios_insecure = false;
};

std::vector<Event> probe(const Target& target, const ProbeOptions& options);

}  // namespace soc::collectors
