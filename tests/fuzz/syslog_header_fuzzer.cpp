// libFuzzer target for the syslog header parser (sensors/log/syslog_header.cpp), which every
// line from the network goes through. Properties: never crash or read outside the line, and
// every view it returns lies inside the line.
#include <cstdint>
#include <cstdlib>

#include "sensors/log/syslog_header.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() || (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace soc::sensors::log;
  static const TimeContext ctx = [] {
    TimeContext c;
    c.reference = soc::Timestamp(std::chrono::seconds(1'790'000'000));
    parse_timezone("+07:00", c);
    return c;
  }();
  soc::fuzz::for_each_line(data, size, [](std::string_view line) {
    SyslogHeader h;
    if (!parse_syslog(line, ctx, h)) return;
    if (!inside(h.hostname, line) || !inside(h.program, line) || !inside(h.message, line)) std::abort();
    if (h.priority > 191) std::abort();
    (void)facility_name(h.priority);
    (void)severity_name(h.priority);
  });
  return 0;
}
