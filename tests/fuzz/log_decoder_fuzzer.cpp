// libFuzzer target for the log decoders (sensors/log/decoders/*.yaml over PCRE2, the JSON-lines
// decoder and the generic fallback): what a device or a compromised server writes to a log. The
// first byte chooses the --format (auto, syslog, json or one decoder's format), the rest is
// decoded line by line. Properties: never crash, every event encodes to JSON the correlator's
// decoder accepts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "core/json_codec.h"
#include "sensors/log/decoder.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace soc::sensors::log;

struct Decoders {
  DecoderSet set;
  std::vector<std::string> formats{"auto", "syslog", "json"};
  std::vector<std::unique_ptr<LineDecoder>> decoders;  // one per format, kept across inputs
};

Decoders& decoders() {
  static Decoders* d = [] {
    auto* out = new Decoders;
    std::vector<soc::Diagnostic> diags;
    if (!out->set.load_directory(find_builtin_decoders(), diags) || out->set.decoders().empty()) std::abort();
    for (const auto& dec : out->set.decoders())
      for (const auto& f : dec->formats) out->formats.push_back(f);
    for (const auto& f : out->formats) {
      DecodeOptions o;
      o.format = f;
      o.time.reference = soc::Timestamp(std::chrono::seconds(1'790'000'000));
      out->decoders.push_back(std::make_unique<LineDecoder>(out->set, o));
    }
    return out;
  }();
  return *d;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Decoders& d = decoders();
  LineDecoder& decoder = *d.decoders[data[0] % d.decoders.size()];
  soc::Event event;
  std::string json;
  soc::fuzz::for_each_line(data + 1, size - 1, [&](std::string_view line) {
    if (!decoder.decode(line, false, event)) return;
    json.clear();
    soc::encode_event(event, json);
    soc::Event back;
    if (auto failure = soc::decode_event_into(json, back)) {
      std::fprintf(stderr, "an event the decoder made does not read back (%s): %s\n",
                   failure->message().c_str(), json.c_str());
      std::abort();
    }
  });
  return 0;
}
