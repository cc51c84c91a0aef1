// libFuzzer target for the packet path: capture-file bytes through libpcap, the frame decoder,
// the flow table and nDPI (sensors/packet), as the sensor reads a capture. Properties: never
// crash, every event encodes to JSON the correlator's decoder accepts. The sensor (and nDPI's
// 20 ms start) is made once; each input's flows are flushed at its end.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "core/json_codec.h"
#include "sensors/packet/packet_sensor.h"
#include "sensors/packet/pcap_source.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace soc::sensors::packet;

void check(const soc::Event& e) {
  std::string json;
  soc::encode_event(e, json);
  soc::Event back;
  if (soc::decode_event_into(json, back)) std::abort();
}

PacketSensor& sensor() {
  static PacketSensor* s = [] {
    SensorConfig c;
    c.flows.max_flows = 4096;
    auto made = PacketSensor::create(c, &check);
    if (!made) std::abort();
    return made->release();
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  PacketSensor& s = sensor();
  soc::fuzz::MemoryFile file("capture", data, size);
  auto src = PcapSource::open_file(file.path(), "");
  if (!src) return 0;
  if (!is_supported((*src)->link_type())) return 0;
  const int link = (*src)->link_type();
  Frame f;
  for (int n = 0; n < 100'000 && (*src)->next(f) == NextStatus::Frame; ++n) {
    s.on_frame(link, f.data, f.caplen, f.wire_len, f.ts_us);
  }
  s.flush();
  return 0;
}
