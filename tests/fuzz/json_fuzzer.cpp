// libFuzzer target for the JSON event decoder (untrusted input on the data plane). Properties:
// never crash, refuse with a reason, and what is accepted re-encodes to JSON that decodes to the
// same event. Build: CXX=clang++ meson setup build-fuzz -Dfuzz=enabled; run:
// build-fuzz/tests/json_fuzzer -max_len=4096 corpus/
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/json_codec.h"

namespace {

bool same_event(const soc::Event& a, const soc::Event& b) {
  if (a.size() != b.size()) return false;
  auto it = b.begin();
  for (const auto& f : a) {
    if (f.key != it->key || !(f.value == it->value)) return false;
    ++it;
  }
  return true;
}

soc::DecodeLimits small_limits() {
  soc::DecodeLimits l;
  l.max_bytes = 4096;
  l.max_depth = 4;
  l.max_fields = 32;
  l.max_key_bytes = 64;
  l.max_list_items = 16;
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  static const soc::DecodeLimits limits = small_limits();
  soc::Event e;
  if (auto failure = soc::decode_event_into(input, e, limits)) {
    if (soc::to_string(failure->code) == "unknown") std::abort();
    return 0;
  }
  const std::string json = soc::encode_event(e);
  soc::DecodeLimits relaxed = limits;
  relaxed.max_bytes = 1 << 20;
  relaxed.max_depth = 8;
  soc::Event back;
  if (soc::decode_event_into(json, back, relaxed) || !same_event(e, back)) std::abort();
  return 0;
}
