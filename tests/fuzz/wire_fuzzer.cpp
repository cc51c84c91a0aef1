// libFuzzer target for the wire header decoder. Properties: never read outside the frame, refuse
// with a reason, and accept only frames that are the canonical encoding of what was decoded.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/transport/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view frame(reinterpret_cast<const char*>(data), size);
  soc::transport::Header h;
  if (auto e = soc::transport::decode_header(frame, h)) {
    if (soc::transport::to_string(*e) == "unknown") std::abort();
    return 0;
  }
  if (soc::transport::encode_header(h) != frame) std::abort();
  return 0;
}
