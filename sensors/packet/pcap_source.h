// The one adapter for libpcap: capture files (pcap and pcapng, which libpcap reads alike) and,
// later, live interfaces. Errors are values with libpcap's message.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"

namespace soc::sensors::packet {

struct Frame {
  const uint8_t* data = nullptr;  // valid until the next call to next()
  uint32_t caplen = 0;
  uint32_t wire_len = 0;
  int64_t ts_us = 0;
};

enum class NextStatus : uint8_t {
  Frame,      // `out` holds a frame
  End,        // the end of the file
  Truncated,  // the file ends in the middle of a record (a cut capture): no more frames
  Error,      // another read error: see error()
};

class PcapSource {
 public:
  // Opens a capture file; fails with code "capture.open" and libpcap's reason ("unknown file
  // format", "truncated dump file", ...), or "capture.filter" when `filter` (BPF, may be empty)
  // does not compile for this file's link type.
  static Result<std::unique_ptr<PcapSource>> open_file(const std::string& path, const std::string& filter);
  ~PcapSource();

  int link_type() const;
  std::string link_type_name() const;
  NextStatus next(Frame& out);
  const std::string& error() const { return error_; }

 private:
  PcapSource() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string error_;
};

}  // namespace soc::sensors::packet
